/*
 * The long-call runner: a libvirt call that can take minutes (memory written or read, data
 * merged) runs on a thread of its own, and a second thread polls its progress into the jobs
 * table, so that the worker keeps refreshing the tree meanwhile. When the call returns, its jobs
 * end, the request is answered and the domain is read again.
 */
#include "config.h"

#include "backend/longcall.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "backend/snapactions_internal.h"
#include "base/i18n.h"
#include "base/procfile.h"
#include "base/util.h"

#define POLL_NS 250000000L

void longcall_free(longcall *c)
{
    if (c->dom)
        virDomainFree(c->dom);
    if (c->conn)
        virConnectClose(c->conn);
    free(c->dom_name);
    st_request_clear(&c->req);
    free(c->xml);
    st_snapplan_free(c->plan);
    for (size_t i = 0; i < c->n_disks; i++)
        free(c->disks[i]);
    free(c->disks);
    free(c->disk_jids);
    for (size_t i = 0; c->overlays && i < c->req.n_diskspecs; i++)
        free(c->overlays[i]);
    free(c->overlays);
    st_host_free(c->host);
    free(c->nvram);
    free(c->nvram_copy);
    free(c->ok_text);
    free(c);
}

/*
 * Progress of the domain's current job: (total - remaining) of memory, else of data. Zero pages
 * are scanned without being "processed", so remaining is what moves for a mostly idle guest.
 */
static bool job_progress(virDomainPtr dom, uint64_t *cur, uint64_t *end)
{
    int type = 0, n = 0;
    virTypedParameterPtr params = NULL;
    if (virDomainGetJobStats(dom, &type, &params, &n, 0) < 0) {
        virResetLastError();
        return false;
    }
    unsigned long long total = 0, rem = 0, done = 0;
    const char *keys[2][3] = {
        {VIR_DOMAIN_JOB_MEMORY_TOTAL, VIR_DOMAIN_JOB_MEMORY_REMAINING,
         VIR_DOMAIN_JOB_MEMORY_PROCESSED},
        {VIR_DOMAIN_JOB_DATA_TOTAL, VIR_DOMAIN_JOB_DATA_REMAINING, VIR_DOMAIN_JOB_DATA_PROCESSED},
    };
    bool got = false;
    for (int k = 0; k < 2 && !got; k++) {
        total = rem = done = 0;
        if (virTypedParamsGetULLong(params, n, keys[k][0], &total) != 1 || !total)
            continue;
        if (virTypedParamsGetULLong(params, n, keys[k][1], &rem) == 1 && rem <= total)
            done = total - rem;
        else if (virTypedParamsGetULLong(params, n, keys[k][2], &done) != 1)
            continue;
        got = true;
    }
    virTypedParamsFree(params, n);
    if (!got || type == VIR_DOMAIN_JOB_NONE)
        return false;
    *cur = done > total ? total : done;
    *end = total;
    return true;
}

/*
 * Whether virDomainGetJobStats answers now rather than when the job ends. A query that libvirt
 * 9.0 does not allow yet waits for the whole job: a restore allows none (nor reports any job),
 * and a snapshot allows them only once its memory transfer runs, which on this machine shows as
 * a process holding the memory file open. A remote host's file cannot be seen: ask anyway.
 */
static bool job_stats_ready(longcall *c)
{
    uint64_t pos, size;
    if (c->req.kind == ST_REQ_RESTORE)
        return false;
    if (c->req.kind != ST_REQ_SNAPSHOT_CREATE || !c->w->local || c->stats_ready)
        return true;
    c->stats_ready =
        c->req.snap_kind == ST_SNAP_KIND_MEMORY && st_file_read_pos(c->req.path, &pos, &size);
    return c->stats_ready;
}

/* A restore's domain exists only once libvirt has read the file's header. */
static void find_restored_domain(longcall *c)
{
    if (c->dom || !c->dom_name)
        return;
    c->dom = virDomainLookupByName(c->conn, c->dom_name);
    if (!c->dom)
        virResetLastError();
}

static bool poll_once(longcall *c)
{
    bool changed = false;
    find_restored_domain(c);
    uint64_t cur, end;
    /* libvirt 9.0 reports no job during a restore: how far the file was read stands in. */
    bool restore = c->req.kind == ST_REQ_RESTORE;
    if (c->jid && (restore ? c->read_path && st_file_read_pos(c->read_path, &cur, &end)
                           : c->dom && job_stats_ready(c) && job_progress(c->dom, &cur, &end))) {
        st_jobtab_update(c->w->jobs, c->jid, ST_PHASE_RUNNING, cur, end, NULL);
        changed = true;
    }
    for (size_t i = 0; c->dom && i < c->n_disks; i++) {
        virDomainBlockJobInfo info;
        memset(&info, 0, sizeof(info));
        if (virDomainGetBlockJobInfo(c->dom, c->disks[i], &info, 0) == 1 && info.end) {
            st_jobtab_update(c->w->jobs, c->disk_jids[i], ST_PHASE_RUNNING, info.cur, info.end,
                             NULL);
            changed = true;
        }
        virResetLastError();
    }
    return changed;
}

static void *poller_main(void *p)
{
    longcall *c = p;
    struct timespec ts = {0, POLL_NS};
    while (!atomic_load(&c->done)) {
        if (poll_once(c))
            st_worker_post_jobs(c->w);
        nanosleep(&ts, NULL);
    }
    return NULL;
}

static void finish_jobs(longcall *c, bool ok, const char *err)
{
    st_job_phase ph = ok ? ST_PHASE_COMPLETED : ST_PHASE_FAILED;
    if (c->jid)
        st_jobtab_finish(c->w->jobs, c->jid, ph, err);
    for (size_t i = 0; i < c->n_disks; i++)
        st_jobtab_finish(c->w->jobs, c->disk_jids[i], ph, err);
    st_worker_post_jobs(c->w);
}

static void *runner_main(void *p)
{
    longcall *c = p;
    pthread_t poller;
    bool polling = pthread_create(&poller, NULL, poller_main, c) == 0;
    char *err = NULL;
    int rc = c->run(c, &err);
    atomic_store(&c->done, true);
    if (polling)
        pthread_join(poller, NULL);
    finish_jobs(c, rc == 0, err);
    if (rc == 0)
        st_post_result(c->w, c->id, true, c->detail,
                       c->ok_text ? xstrdup(c->ok_text) : xstrdup("ok"));
    else
        st_post_result(c->w, c->id, false, c->detail, err ? xstrdup(err) : xstrdup("?"));
    free(err);
    find_restored_domain(c);
    sa_refresh_domain(c->w, c->dom);
    longcall_free(c);
    return NULL;
}

longcall *longcall_new(st_worker *w, int id, virDomainPtr dom, const st_request *req,
                       longcall_fn run)
{
    longcall *c = xcalloc(1, sizeof(*c));
    c->w = w;
    if (w->conn && virConnectRef(w->conn) == 0)
        c->conn = w->conn;
    c->id = id;
    if (dom && virDomainRef(dom) == 0)
        c->dom = dom;
    st_request_copy(&c->req, req);
    c->run = run;
    atomic_init(&c->done, false);
    return c;
}

void longcall_track(longcall *c, st_job_kind kind)
{
    c->jid = st_jobtab_track(c->w->jobs, c->dom, NULL, kind, NULL, NULL, 0);
    st_jobtab_update(c->w->jobs, c->jid, ST_PHASE_RUNNING, 0, 0, NULL);
}

void longcall_start(longcall *c)
{
    st_worker_post_jobs(c->w);
    pthread_t t;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    if (pthread_create(&t, &attr, runner_main, c) != 0) {
        finish_jobs(c, false, _("cannot start a thread"));
        st_action_result(c->w, c->id, false, "%s", _("cannot start a thread"));
        longcall_free(c);
    }
    pthread_attr_destroy(&attr);
}
