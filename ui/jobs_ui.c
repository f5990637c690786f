/* Job control from the tree: abort, bandwidth, and pivot or keep for a ready active commit. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flows.h"
#include "i18n.h"
#include "util.h"
#include "widgets.h"

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

static void open_pivot(st_app *a, job_ref *jr)
{
    const char *base = jr->base ? st_basename(jr->base) : _("the base");
    const char *top = jr->top ? st_basename(jr->top) : _("the top layer");
    char *i0 =
        xasprintf(_("Pivot: the disk then runs on %s; the layers above it leave the chain"), base);
    char *i1 = xasprintf(_("Keep the overlay: abort without pivot; the disk stays on %s"), top);
    const char *items[] = {i0, i1, _("Leave it ready: decide later (P on the disk)")};
    char *title = xasprintf(_("Active commit of %s/%s is ready"), jr->dom, jr->disk);
    st_app_push_dialog(a, st_picker_new(title,
                                        _("All data is in the base now; QEMU keeps mirroring "
                                          "new writes until you choose."),
                                        items, 3, 0, on_pivot, jr, ref_free));
    free(title);
    free(i0);
    free(i1);
}

void st_flow_pivot(st_app *a, const st_row *r)
{
    const st_job *j = st_row_job(a, r);
    if (j)
        open_pivot(a, ref_new(r, j));
}

void st_flow_watch_jobs(st_app *a)
{
    for (size_t h = 0; h < a->n_hosts; h++) {
        const st_host *host = a->hosts[h];
        for (size_t i = 0; host && i < host->n_jobs; i++) {
            const st_job *j = &host->jobs[i];
            /* Ours or found at start (started by virsh, or before a lost session): both. */
            if (j->phase != ST_PHASE_READY || j->kind != ST_JOB_ACTIVE_COMMIT)
                continue;
            bool seen = false;
            for (size_t k = 0; k < ST_OFFERED_MAX && !seen; k++)
                seen = a->offered[k] == j->id;
            if (seen)
                continue;
            a->offered[a->n_offered++ % ST_OFFERED_MAX] = j->id;
            st_row fake = {.host = h};
            open_pivot(a, ref_new(&fake, j));
        }
    }
}
