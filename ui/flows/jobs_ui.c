/* Job control from the tree: abort, bandwidth, and pivot or keep for a ready active commit. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/i18n.h"
#include "base/util.h"
#include "flows/flows.h"
#include "view/ready.h"
#include "view/widgets.h"

typedef struct job_ref {
    size_t host;
    char *dom, *disk;
    st_job_kind kind;
    char *top, *base;
} job_ref;

static job_ref *ref_new(const st_row *r, const st_job *j)
{
    job_ref *jr = xcalloc(1, sizeof(*jr));
    jr->host = r->host;
    jr->dom = xstrdup0(j->domain);
    jr->disk = xstrdup0(j->disk);
    jr->kind = j->kind;
    jr->top = xstrdup0(j->top);
    jr->base = xstrdup0(j->base);
    return jr;
}

static void ref_free(void *p)
{
    job_ref *jr = p;
    free(jr->dom);
    free(jr->disk);
    free(jr->top);
    free(jr->base);
    free(jr);
}

static void send(st_app *a, const job_ref *jr, st_req_kind kind, unsigned long bw)
{
    st_request req = {0};
    req.kind = kind;
    req.domain = jr->dom;
    req.disk = jr->disk;
    req.bandwidth = bw;
    st_backend_submit(a->b, jr->host, &req);
}

static void on_abort(st_app *a, size_t choice, void *ctx)
{
    if (choice == 1)
        send(a, ctx, ST_REQ_ABORT, 0);
}

void st_flow_abort(st_app *a, const st_row *r)
{
    const st_job *j = st_row_job(a, r);
    if (!j || !j->disk) {
        st_app_status(a, true, "%s", _("this job cannot be aborted from here"));
        return;
    }
    if (j->kind == ST_JOB_OFFLINE_COMMIT || j->kind == ST_JOB_OFFLINE_PULL) {
        st_app_status(a, true, "%s",
                      _("an offline merge (qemu-img) cannot be aborted safely once it runs"));
        return;
    }
    job_ref *jr = ref_new(r, j);
    char *hint = xasprintf(j->phase == ST_PHASE_READY
                               ? _("%s on %s/%s is ready: aborting keeps the disk on its current "
                                   "top layer (the base keeps the data copied so far).")
                               : _("%s on %s/%s: aborting stops the copy; the chain stays as it "
                                   "was and no data is lost."),
                           st_job_kind_label(j->kind), jr->dom, jr->disk);
    const char *items[] = {_("No, let it run"), _("Yes, abort the job")};
    st_app_push_dialog(
        a, st_picker_new(_("Abort the job?"), hint, items, 2, 0, on_abort, jr, ref_free));
    free(hint);
}

static void on_bw(st_app *a, const char *text, void *ctx)
{
    unsigned long v;
    if (text && st_parse_mibs(a, text, &v))
        send(a, ctx, ST_REQ_SET_SPEED, v);
}

void st_flow_bandwidth(st_app *a, const st_row *r)
{
    const st_job *j = st_row_job(a, r);
    if (!j || !j->disk || j->kind == ST_JOB_OFFLINE_COMMIT || j->kind == ST_JOB_OFFLINE_PULL) {
        st_app_status(a, true, "%s", _("only a block job's bandwidth can be changed"));
        return;
    }
    char cur[32];
    snprintf(cur, sizeof(cur), "%lu", j->bandwidth);
    st_app_push_dialog(a, st_input_new(_("Bandwidth"), _("MiB/s (0 = unlimited):"), cur, on_bw,
                                       ref_new(r, j), ref_free));
}

static void on_pivot(st_app *a, size_t choice, void *ctx)
{
    if (choice == 0)
        send(a, ctx, ST_REQ_PIVOT, 0);
    else if (choice == 1)
        send(a, ctx, ST_REQ_ABORT, 0);
    else
        st_app_status(a, false, "%s", _("left ready: press P on the disk to finish it later"));
}

/*
 * The active layer and the base of a ready job: what the job recorded when this process started
 * it, else the model (the disk's active layer, and the live XML's <mirror>, which names the base
 * being written), as for a job found at start.
 */
static void fill_ends(const st_app *a, job_ref *jr)
{
    const st_host *h = a->hosts[jr->host];
    const st_domain *d = h ? st_host_find_domain(h, jr->dom) : NULL;
    const st_disk *k = d ? st_domain_find_disk(d, jr->disk) : NULL;
    if (!jr->top && k && k->n_chain)
        jr->top = xstrdup0(k->chain[0].path);
    if (!jr->base && k && k->mirror)
        jr->base = xstrdup(k->mirror);
}

static void open_pivot(st_app *a, job_ref *jr)
{
    fill_ends(a, jr);
    const char *base = jr->base ? st_basename(jr->base) : _("the base");
    const char *top = jr->top ? st_basename(jr->top) : _("the top layer");
    char *i0 =
        xasprintf(_("Pivot: the disk then runs on %s; the layers above it leave the chain"), base);
    char *i1 = xasprintf(_("Keep the overlay: abort without pivot; the disk stays on %s"), top);
    /* Leaving it ready changes nothing, so it is what Enter and Esc do: the offer may come up
     * while the admin is typing elsewhere, and only a deliberate letter pivots or aborts. */
    const st_choice items[] = {
        {'p', i0},
        {'k', i1},
        {'l', _("Leave it ready: decide later (P on the disk)")},
    };
    char *title = xasprintf(_("Active commit of %s/%s is ready"), jr->dom, jr->disk);
    st_app_push_dialog(a, st_choice_new(title,
                                        _("All data is in the base now; QEMU keeps mirroring "
                                          "new writes until you choose."),
                                        items, 3, 2, on_pivot, jr, ref_free));
    free(title);
    free(i0);
    free(i1);
}

void st_flow_pivot(st_app *a, const st_row *r)
{
    const st_job *j = st_row_job(a, r);
    size_t host = r ? r->host : 0, n;
    /* P on the disk finishes its job; anywhere else, the ready job the status line names. */
    if (!j || !st_job_waits_for_choice(j))
        j = st_first_ready_job(a, &host, &n);
    if (!j) {
        st_app_status(a, true, "%s",
                      _("pivot: no job is ready (only an active commit that reached READY can "
                        "pivot)"));
        return;
    }
    st_row where = {.host = host};
    open_pivot(a, ref_new(&where, j));
}

/* Remembers a running job's id (the oldest is forgotten past ST_OFFERED_MAX). */
static void remember_running(st_app *a, int id)
{
    for (size_t k = 0; k < ST_OFFERED_MAX; k++)
        if (a->running_seen[k] == id)
            return;
    a->running_seen[a->n_running_seen++ % ST_OFFERED_MAX] = id;
}

/* Forgets a job's id; false when it was not remembered. */
static bool forget_running(st_app *a, int id)
{
    for (size_t k = 0; k < ST_OFFERED_MAX; k++)
        if (a->running_seen[k] == id) {
            a->running_seen[k] = 0;
            return true;
        }
    return false;
}

/*
 * Says in the status line how a job ended: what said it started would otherwise stay. A job
 * cancelled is not said again: the abort that cancelled it has said so (the panel shows one
 * aborted elsewhere).
 */
static void announce_end(st_app *a, const st_job *j)
{
    const char *kind = st_job_kind_label(j->kind), *dom = j->domain ? j->domain : "?",
               *disk = j->disk ? j->disk : "?";
    if (j->phase == ST_PHASE_COMPLETED)
        st_app_status(a, false, _("%s on %s/%s completed"), kind, dom, disk);
    else if (j->phase == ST_PHASE_FAILED)
        st_app_status(a, true, _("%s on %s/%s failed: %s"), kind, dom, disk,
                      j->error ? j->error : "?");
}

/*
 * A ready job is said in the status line for as long as it waits (st_draw_status), never as a
 * dialog: a dialog pushed over the one the admin is typing into would take the keys meant for
 * it. P opens the choice. What is said here is how a block job seen running ended (a snapshot,
 * a save and an offline merge report their end as their own result); a failure once its reason
 * is known, which libvirt is asked for after the event.
 */
void st_flow_watch_jobs(st_app *a)
{
    for (size_t h = 0; h < a->n_hosts; h++) {
        const st_host *host = a->hosts[h];
        for (size_t i = 0; host && i < host->n_jobs; i++) {
            const st_job *j = &host->jobs[i];
            if (!st_job_kind_is_block(j->kind))
                continue;
            if (!st_job_phase_final(j->phase))
                remember_running(a, j->id);
            else if ((j->phase != ST_PHASE_FAILED || j->error) && forget_running(a, j->id))
                announce_end(a, j);
        }
    }
}
