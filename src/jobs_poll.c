/*
 * Polling libvirt for the block jobs of the table, twice a second while any runs (virsh's
 * fallback when events are late), and probing running domains for jobs started elsewhere.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "jobs_internal.h"
#include "util.h"
#include "worker.h"

#define ST_POLL_EVERY 0.4

bool st_jobtab_due(st_jobtab *t, double now)
{
    return now - t->last_poll >= ST_POLL_EVERY;
}

/* Applies one virDomainGetBlockJobInfo answer. Lock held. */
static void apply_block_info(tracked *tr, int ret, const virDomainBlockJobInfo *info, double now)
{
    if (tr->job.kind == ST_JOB_SNAPSHOT_DELETE)
        return; /* its own thread polls it and knows when the delete is over */
    if (ret == 0) {
        /* The job is gone. The event says how it ended; without one, trust what we saw. */
        if (!st_job_phase_final(tr->job.phase))
            jt_finish(tr,
                      tr->job.phase == ST_PHASE_CANCELLED ? ST_PHASE_CANCELLED : ST_PHASE_COMPLETED,
                      NULL);
        return;
    }
    tr->job.kind = jt_kind_of(info->type) != ST_JOB_OTHER ? jt_kind_of(info->type) : tr->job.kind;
    if (tr->last_t > 0 && now > tr->last_t && info->cur >= tr->last_cur) {
        double r = (info->cur - tr->last_cur) / (now - tr->last_t);
        tr->job.rate = tr->job.rate > 0 ? 0.7 * tr->job.rate + 0.3 * r : r;
    }
    tr->last_t = now;
    tr->last_cur = info->cur;
    tr->job.cur = info->cur;
    tr->job.end = info->end;
    tr->job.bandwidth = info->bandwidth;
    tr->job.eta =
        tr->job.rate > 0 && info->end > info->cur ? (info->end - info->cur) / tr->job.rate : -1;
    bool ready = tr->job.kind == ST_JOB_ACTIVE_COMMIT || tr->job.kind == ST_JOB_COPY;
    if (ready && info->end > 0 && info->cur == info->end && tr->job.phase != ST_PHASE_PIVOTING &&
        tr->job.phase != ST_PHASE_CANCELLED)
        tr->job.phase = ST_PHASE_READY;
    else if (tr->job.phase == ST_PHASE_STARTING)
        tr->job.phase = ST_PHASE_RUNNING;
}

static bool is_block_kind(st_job_kind k)
{
    return k == ST_JOB_COMMIT || k == ST_JOB_ACTIVE_COMMIT || k == ST_JOB_PULL ||
           k == ST_JOB_COPY || k == ST_JOB_OTHER;
}

bool st_jobtab_poll(st_worker *w)
{
    st_jobtab *t = w->jobs;
    bool changed = false;
    pthread_mutex_lock(&t->lock);
    t->last_poll = st_now();
    size_t n = t->n;
    pthread_mutex_unlock(&t->lock);
    for (size_t i = 0; i < n; i++) {
        pthread_mutex_lock(&t->lock);
        if (i >= t->n || !t->v[i].dom || !t->v[i].job.disk || !is_block_kind(t->v[i].job.kind) ||
            st_job_phase_final(t->v[i].job.phase)) {
            pthread_mutex_unlock(&t->lock);
            continue;
        }
        virDomainPtr dom = t->v[i].dom;
        virDomainRef(dom);
        char *disk = xstrdup(t->v[i].job.disk);
        int id = t->v[i].job.id;
        pthread_mutex_unlock(&t->lock);

        virDomainBlockJobInfo info;
        memset(&info, 0, sizeof(info));
        st_worker_busy(w);
        int ret = virDomainGetBlockJobInfo(dom, disk, &info, 0);
        st_worker_idle(w);
        if (ret < 0)
            virResetLastError();
        pthread_mutex_lock(&t->lock);
        for (size_t k = 0; k < t->n; k++)
            if (t->v[k].job.id == id && ret >= 0) {
                bool was_final = st_job_phase_final(t->v[k].job.phase);
                apply_block_info(&t->v[k], ret, &info, st_now());
                if (!was_final && st_job_phase_final(t->v[k].job.phase))
                    st_worker_request_refresh(w, 0);
                changed = true;
            }
        pthread_mutex_unlock(&t->lock);
        virDomainFree(dom);
        free(disk);
    }
    return changed;
}

/*
 * What a job found running works on, for the pivot offer and to judge how it ended: an active
 * commit or a copy runs from the active layer into the live XML's <mirror>; a pull writes into
 * the active layer. (A commit further down names its ends nowhere libvirt shows.) Lock held.
 */
static void fill_ends(tracked *tr, const st_disk *disk)
{
    bool from_active = tr->job.kind == ST_JOB_ACTIVE_COMMIT || tr->job.kind == ST_JOB_COPY ||
                       tr->job.kind == ST_JOB_PULL;
    if (!tr->job.top && from_active && disk->n_chain)
        tr->job.top = xstrdup0(disk->chain[0].path);
    if (!tr->job.base && tr->job.kind != ST_JOB_PULL && disk->mirror)
        tr->job.base = xstrdup(disk->mirror);
}

void st_jobtab_probe_domain(st_worker *w, virDomainPtr dom, const st_domain *d)
{
    for (size_t k = 0; k < d->n_disks; k++) {
        const st_disk *disk = &d->disks[k];
        if (!disk->target || !disk->n_chain)
            continue;
        virDomainBlockJobInfo info;
        memset(&info, 0, sizeof(info));
        st_worker_busy(w);
        int ret = virDomainGetBlockJobInfo(dom, disk->target, &info, 0);
        st_worker_idle(w);
        if (ret < 0)
            virResetLastError();
        if (ret != 1)
            continue;
        st_jobtab *t = w->jobs;
        pthread_mutex_lock(&t->lock);
        tracked *tr = jt_find(t, d->uuid, disk->target, true);
        if (!tr) {
            tr = jt_add(t);
            tr->job.domain = xstrdup(d->name);
            tr->job.uuid = xstrdup(d->uuid);
            tr->job.disk = xstrdup(disk->target);
            tr->job.phase = ST_PHASE_RUNNING;
            if (virDomainRef(dom) == 0)
                tr->dom = dom;
        }
        if (!tr->dom && virDomainRef(dom) == 0)
            tr->dom = dom; /* only an event had told us of it */
        apply_block_info(tr, ret, &info, st_now());
        fill_ends(tr, disk);
        pthread_mutex_unlock(&t->lock);
    }
}
