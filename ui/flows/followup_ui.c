/*
 * What a job leaves for this interface to do once it ends (the files a pull merged; a domain
 * started paused for it): quitting first asks, and what an earlier interface left undone is
 * offered at start, never over a dialog in use, with "later" as the answer to a stray key.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "base/i18n.h"
#include "base/util.h"
#include "flows/flows.h"
#include "flows/snap_ui.h"
#include "view/widgets.h"

/* ---- quitting ---- */

static void on_quit(st_app *a, size_t choice, void *ctx)
{
    (void)ctx;
    if (choice == 1)
        a->quit = true;
}

/* "test2/vda, far/vda": the jobs whose follow-ups this process still has to run. */
static char *pending_list(const st_app *a)
{
    strbuf b;
    sb_init(&b);
    for (size_t h = 0; h < a->n_hosts; h++)
        for (size_t i = 0; a->hosts[h] && i < a->hosts[h]->n_jobs; i++) {
            const st_job *j = &a->hosts[h]->jobs[i];
            if (j->followup)
                sb_printf(&b, "%s%s/%s", b.len ? ", " : "", j->domain ? j->domain : "?",
                          j->disk ? j->disk : "?");
        }
    return sb_steal(&b);
}

void st_flow_quit(st_app *a)
{
    char *list = pending_list(a);
    if (!*list) {
        free(list);
        a->quit = true;
        return;
    }
    char *hint = xasprintf(_("When their jobs end this interface still has to finish %s (remove "
                             "merged files, or pivot and shut off a domain started paused)."),
                           list);
    const st_choice items[] = {
        {'w', _("Wait: stay until the jobs have ended and their follow-ups are done")},
        {'q', _("Quit anyway: the jobs go on, and the next start offers what is left to do")},
    };
    st_app_push_dialog(a, st_choice_new(_("Quit now?"), hint, items, 2, 0, on_quit, NULL, NULL));
    free(hint);
    free(list);
}

/* ---- offers at start ---- */

typedef struct offer {
    size_t host;
    st_followup f;
    bool ready; /* ST_FU_PAUSED: the job waits for its pivot */
} offer;

static void offer_free(void *p)
{
    offer *o = p;
    st_followup_clear(&o->f);
    free(o);
}

static void send_record(st_app *a, const offer *o, st_req_kind kind)
{
    st_request req = {0};
    req.kind = kind;
    req.domain = o->f.domain;
    req.disk = o->f.disk;
    req.path = o->f.record;
    st_backend_submit(a->b, o->host, &req);
}

static void on_offer(st_app *a, size_t choice, void *ctx)
{
    offer *o = ctx;
    if (choice == 1) {
        send_record(a, o, ST_REQ_FOLLOWUP_FORGET);
    } else if (choice == 0 && o->f.kind == ST_FU_PAUSED) {
        send_record(a, o, ST_REQ_FINISH_PAUSED);
    } else if (choice == 0) {
        /* The removal's own plan, with what still names the files and the typed yes. */
        snapflow *sf = st_snapflow_new(ST_REQ_REMOVE_FILES, o->host, o->f.domain);
        sf->files = o->f.files;
        sf->n_files = o->f.n_files;
        o->f.files = NULL;
        o->f.n_files = 0;
        st_snap_plan_open(a, sf);
    }
}

/*
 * Whether the follow-up can be offered now; o is filled. Merged files are offered once their
 * job has ended and no chain reads them; a paused domain once its job is ready or gone.
 */
static bool offer_now(const st_host *h, size_t hi, const st_followup *f, offer *o)
{
    const st_job *j = st_host_disk_job(h, f->domain, f->disk, true);
    bool ready = j && j->phase == ST_PHASE_READY;
    if (j && !ready)
        return false;
    memset(o, 0, sizeof(*o));
    o->host = hi;
    o->ready = ready;
    st_followups_copy(&o->f, f, 1);
    if (f->kind == ST_FU_PAUSED)
        return true;
    size_t n = 0;
    for (size_t i = 0; i < o->f.n_files; i++) {
        if (!st_host_chains_hold(h, o->f.files[i]))
            o->f.files[n++] = o->f.files[i];
        else
            free(o->f.files[i]);
    }
    o->f.n_files = n;
    if (n && !j)
        return true;
    st_followup_clear(&o->f);
    return false;
}

static void open_offer(st_app *a, offer *o)
{
    strbuf files;
    sb_init(&files);
    for (size_t i = 0; i < o->f.n_files; i++)
        sb_printf(&files, "%s%s", i ? ", " : "", st_basename(o->f.files[i]));
    char *title = xasprintf(_("Left to do by an earlier session: %s/%s"), o->f.domain, o->f.disk);
    char *hint =
        o->f.kind == ST_FU_REMOVE
            ? xasprintf(_("Its pull has completed; the merged files it was to remove are still "
                          "there and no chain reads them: %s."),
                        files.s)
            : xasprintf(_("%s was started paused for a job and is still paused%s."), o->f.domain,
                        o->ready ? _("; the job is ready") : _("; the job has ended"));
    const char *first =
        o->f.kind == ST_FU_REMOVE ? _("Review the removal of these files (its plan, then yes)")
        : o->ready ? _("Pivot onto the base, then shut the domain off, as its plan said")
                   : _("Shut the domain off: it was started paused only for the job");
    const st_choice items[] = {
        {o->f.kind == ST_FU_REMOVE ? 'r'
         : o->ready                ? 'p'
                                   : 's',
         first},
        {'f', _("Forget it: change nothing and do not ask again")},
        {'l', _("Later: ask again at the next start")},
    };
    st_app_push_dialog(a, st_choice_new(title, hint, items, 3, 2, on_offer, o, offer_free));
    free(title);
    free(hint);
    sb_free(&files);
}

static bool offered(st_app *a, const char *record)
{
    for (size_t i = 0; i < a->n_fu_offered; i++)
        if (streq0(a->fu_offered[i], record))
            return true;
    return false;
}

void st_flow_offer_followups(st_app *a)
{
    for (size_t hi = 0; hi < a->n_hosts && !a->dialog; hi++) {
        const st_host *h = a->hosts[hi];
        for (size_t i = 0; h && i < h->n_followups && !a->dialog; i++) {
            const st_followup *f = &h->followups[i];
            offer o;
            if (offered(a, f->record) || !offer_now(h, hi, f, &o))
                continue;
            /* Once per session: "later" means the next start. */
            a->fu_offered = xrealloc(a->fu_offered, (a->n_fu_offered + 1) * sizeof(char *));
            a->fu_offered[a->n_fu_offered++] = xstrdup(f->record);
            offer *heap = xcalloc(1, sizeof(*heap));
            *heap = o;
            open_offer(a, heap);
        }
    }
}
