#include "config.h"

#include "jobs.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "i18n.h"
#include "util.h"
#include "actions.h"
#include "worker.h"

/* Finished jobs stay on screen this long, so that the admin sees how they ended. */
#define ST_JOB_LINGER 60.0
#define ST_POLL_EVERY 0.4
/* Probe every running domain for foreign jobs on every Nth refresh (and the first). */
#define ST_SCAN_EVERY 5

typedef struct tracked {
    st_job job;
    virDomainPtr dom; /* referenced; NULL when only an event told us */
    double finished_at;
    double last_t;
    uint64_t last_cur;
    char **cleanup; /* files to remove once the job completed (and pivoted) */
    size_t n_cleanup;
    bool paused_run; /* we started the domain paused for this job: pivot and stop it after */
    /* We asked libvirt to abort it: however it ends (an aborted active commit reports
     * COMPLETED), it was cancelled. The job stays live until then, so that the events and polls
     * that follow find it rather than take it for a new one that then "completes". */
    bool aborting;
    bool after_done;
} tracked;

struct st_jobtab {
    pthread_mutex_t lock;
    tracked *v;
    size_t n, cap;
    double last_poll;
};

static int next_job_id = 1;
static pthread_mutex_t id_lock = PTHREAD_MUTEX_INITIALIZER;

static int new_id(void)
{
    pthread_mutex_lock(&id_lock);
    int id = next_job_id++;
    pthread_mutex_unlock(&id_lock);
    return id;
}

st_jobtab *st_jobtab_new(void)
{
    st_jobtab *t = xcalloc(1, sizeof(*t));
    pthread_mutex_init(&t->lock, NULL);
    return t;
}

static void tracked_clear(tracked *tr)
{
    st_job_clear(&tr->job);
    for (size_t i = 0; i < tr->n_cleanup; i++)
        free(tr->cleanup[i]);
    free(tr->cleanup);
    if (tr->dom)
        virDomainFree(tr->dom);
    memset(tr, 0, sizeof(*tr));
}

void st_jobtab_free(st_jobtab *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->n; i++)
        tracked_clear(&t->v[i]);
    free(t->v);
    pthread_mutex_destroy(&t->lock);
    free(t);
}

static tracked *find(st_jobtab *t, const char *uuid, const char *disk, bool live_only)
{
    for (size_t i = t->n; i-- > 0;) {
        tracked *tr = &t->v[i];
        if (streq0(tr->job.uuid, uuid) && streq0(tr->job.disk, disk) &&
            (!live_only || !st_job_phase_final(tr->job.phase)))
            return tr;
    }
    return NULL;
}

static tracked *add(st_jobtab *t)
{
    xgrow((void **)&t->v, &t->cap, t->n + 1, sizeof(tracked));
    tracked *tr = &t->v[t->n++];
    memset(tr, 0, sizeof(*tr));
    tr->job.id = new_id();
    tr->job.started = st_now();
    tr->job.eta = -1;
    return tr;
}

/* Drops jobs that finished long ago. Lock held. */
static void prune(st_jobtab *t, double now)
{
    size_t k = 0;
    for (size_t i = 0; i < t->n; i++) {
        if (st_job_phase_final(t->v[i].job.phase) && now - t->v[i].finished_at > ST_JOB_LINGER)
            tracked_clear(&t->v[i]);
        else
            t->v[k++] = t->v[i];
    }
    t->n = k;
}

void st_jobtab_copy(st_jobtab *t, st_job **jobs, size_t *n)
{
    pthread_mutex_lock(&t->lock);
    prune(t, st_now());
    *n = t->n;
    *jobs = t->n ? xcalloc(t->n, sizeof(st_job)) : NULL;
    for (size_t i = 0; i < t->n; i++)
        st_job_copy(&(*jobs)[i], &t->v[i].job);
    pthread_mutex_unlock(&t->lock);
}

void st_jobtab_fill_host(st_jobtab *t, st_host *h)
{
    for (size_t i = 0; i < h->n_jobs; i++)
        st_job_clear(&h->jobs[i]);
    free(h->jobs);
    st_jobtab_copy(t, &h->jobs, &h->n_jobs);
}

static st_job_kind kind_of(int type)
{
    switch (type) {
    case VIR_DOMAIN_BLOCK_JOB_TYPE_PULL:
        return ST_JOB_PULL;
    case VIR_DOMAIN_BLOCK_JOB_TYPE_COMMIT:
        return ST_JOB_COMMIT;
    case VIR_DOMAIN_BLOCK_JOB_TYPE_ACTIVE_COMMIT:
        return ST_JOB_ACTIVE_COMMIT;
    case VIR_DOMAIN_BLOCK_JOB_TYPE_COPY:
        return ST_JOB_COPY;
    default:
        return ST_JOB_OTHER;
    }
}

static void finish(tracked *tr, st_job_phase phase, const char *error)
{
    tr->job.phase = phase;
    tr->finished_at = st_now();
    tr->job.eta = 0;
    if (phase == ST_PHASE_COMPLETED && tr->job.end)
        tr->job.cur = tr->job.end;
    if (error && !tr->job.error)
        tr->job.error = xstrdup(error);
}

void st_jobtab_event(st_jobtab *t, const char *domain, const char *uuid, const char *disk, int type,
                     int status)
{
    pthread_mutex_lock(&t->lock);
    tracked *tr = find(t, uuid, disk, true);
    /* The commit libvirt runs inside a snapshot delete is the delete's to finish (and never
     * to pivot): its thread reports how it ended. */
    if (tr && tr->job.kind == ST_JOB_SNAPSHOT_DELETE) {
        pthread_mutex_unlock(&t->lock);
        return;
    }
    if (!tr && status == VIR_DOMAIN_BLOCK_JOB_READY) {
        tr = add(t);
        tr->job.domain = xstrdup0(domain);
        tr->job.uuid = xstrdup0(uuid);
        tr->job.disk = xstrdup0(disk);
        tr->job.kind = kind_of(type);
    }
    if (tr) {
        switch (status) {
        case VIR_DOMAIN_BLOCK_JOB_COMPLETED:
            finish(tr, tr->aborting ? ST_PHASE_CANCELLED : ST_PHASE_COMPLETED, NULL);
            break;
        case VIR_DOMAIN_BLOCK_JOB_FAILED:
            finish(tr, ST_PHASE_FAILED, _("libvirt reported that the block job failed"));
            break;
        case VIR_DOMAIN_BLOCK_JOB_CANCELED:
            finish(tr, ST_PHASE_CANCELLED, NULL);
            break;
        case VIR_DOMAIN_BLOCK_JOB_READY:
            if (tr->job.phase != ST_PHASE_PIVOTING && !tr->aborting)
                tr->job.phase = ST_PHASE_READY;
            tr->job.eta = 0;
            break;
        }
    }
    pthread_mutex_unlock(&t->lock);
}

int st_jobtab_track(st_jobtab *t, virDomainPtr dom, const char *disk, st_job_kind kind,
                    const char *top, const char *base, unsigned long bandwidth)
{
    pthread_mutex_lock(&t->lock);
    char uuid[VIR_UUID_STRING_BUFLEN] = "";
    if (dom)
        virDomainGetUUIDString(dom, uuid);
    tracked *tr = dom ? find(t, uuid, disk, true) : NULL;
    if (!tr) {
        tr = add(t);
        tr->job.domain = xstrdup0(dom ? virDomainGetName(dom) : NULL);
        tr->job.uuid = xstrdup(uuid);
        tr->job.disk = xstrdup0(disk);
        if (dom && virDomainRef(dom) == 0)
            tr->dom = dom;
    }
    tr->job.kind = kind;
    tr->job.ours = true;
    tr->job.bandwidth = bandwidth;
    if (top && !tr->job.top)
        tr->job.top = xstrdup(top);
    if (base && !tr->job.base)
        tr->job.base = xstrdup(base);
    int id = tr->job.id;
    pthread_mutex_unlock(&t->lock);
    return id;
}

void st_jobtab_update(st_jobtab *t, int id, st_job_phase phase, uint64_t cur, uint64_t end,
                      const char *error)
{
    pthread_mutex_lock(&t->lock);
    for (size_t i = 0; i < t->n; i++) {
        tracked *tr = &t->v[i];
        if (tr->job.id != id)
            continue;
        double now = st_now();
        if (tr->last_t > 0 && now > tr->last_t && cur >= tr->last_cur) {
            double r = (cur - tr->last_cur) / (now - tr->last_t);
            tr->job.rate = tr->job.rate > 0 ? 0.7 * tr->job.rate + 0.3 * r : r;
        }
        tr->last_t = now;
        tr->last_cur = cur;
        tr->job.cur = cur;
        tr->job.end = end;
        tr->job.eta = tr->job.rate > 0 && end > cur ? (end - cur) / tr->job.rate : -1;
        if (st_job_phase_final(phase))
            finish(tr, phase, error);
        else
            tr->job.phase = phase;
        break;
    }
    pthread_mutex_unlock(&t->lock);
}

void st_jobtab_finish(st_jobtab *t, int id, st_job_phase phase, const char *error)
{
    pthread_mutex_lock(&t->lock);
    for (size_t i = 0; i < t->n; i++)
        if (t->v[i].job.id == id) {
            finish(&t->v[i], phase, error);
            break;
        }
    pthread_mutex_unlock(&t->lock);
}

void st_jobtab_set_phase(st_jobtab *t, const char *uuid, const char *disk, st_job_phase phase)
{
    pthread_mutex_lock(&t->lock);
    tracked *tr = find(t, uuid, disk, true);
    if (tr && phase == ST_PHASE_CANCELLED)
        tr->aborting = true; /* the end decides the phase: see tracked */
    else if (tr) {
        tr->aborting = false;
        tr->job.phase = phase;
    }
    pthread_mutex_unlock(&t->lock);
}

void st_jobtab_set_bandwidth(st_jobtab *t, const char *uuid, const char *disk, unsigned long bw)
{
    pthread_mutex_lock(&t->lock);
    tracked *tr = find(t, uuid, disk, true);
    if (tr)
        tr->job.bandwidth = bw;
    pthread_mutex_unlock(&t->lock);
}

bool st_jobtab_active(st_jobtab *t)
{
    pthread_mutex_lock(&t->lock);
    bool any = false;
    for (size_t i = 0; i < t->n && !any; i++)
        any = !st_job_phase_final(t->v[i].job.phase);
    pthread_mutex_unlock(&t->lock);
    return any;
}

bool st_jobtab_due(st_jobtab *t, double now)
{
    return now - t->last_poll >= ST_POLL_EVERY;
}

bool st_jobtab_scan_due(st_jobtab *t, unsigned refreshes)
{
    (void)t;
    return refreshes <= 1 || refreshes % ST_SCAN_EVERY == 0;
}

/* Applies one virDomainGetBlockJobInfo answer. Lock held. */
static void apply_block_info(tracked *tr, int ret, const virDomainBlockJobInfo *info, double now)
{
    if (tr->job.kind == ST_JOB_SNAPSHOT_DELETE)
        return; /* its own thread polls it and knows when the delete is over */
    if (ret == 0) {
        /* The job is gone. The event says how it ended; without one, trust what we saw. */
        if (!st_job_phase_final(tr->job.phase))
            finish(tr, tr->aborting ? ST_PHASE_CANCELLED : ST_PHASE_COMPLETED, NULL);
        return;
    }
    tr->job.kind = kind_of(info->type) != ST_JOB_OTHER ? kind_of(info->type) : tr->job.kind;
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
        !tr->aborting)
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
        tracked *tr = find(t, d->uuid, disk->target, true);
        if (!tr) {
            tr = add(t);
            tr->job.domain = xstrdup(d->name);
            tr->job.uuid = xstrdup(d->uuid);
            tr->job.disk = xstrdup(disk->target);
            tr->job.phase = ST_PHASE_RUNNING;
            if (virDomainRef(dom) == 0)
                tr->dom = dom;
        }
        apply_block_info(tr, ret, &info, st_now());
        pthread_mutex_unlock(&t->lock);
    }
}

void st_jobtab_set_cleanup(st_jobtab *t, int id, char *const *paths, size_t n)
{
    pthread_mutex_lock(&t->lock);
    for (size_t i = 0; i < t->n; i++)
        if (t->v[i].job.id == id && !t->v[i].n_cleanup && n) {
            t->v[i].cleanup = xcalloc(n, sizeof(char *));
            for (size_t k = 0; k < n; k++)
                t->v[i].cleanup[k] = xstrdup(paths[k]);
            t->v[i].n_cleanup = n;
        }
    pthread_mutex_unlock(&t->lock);
}

void st_jobtab_set_paused_run(st_jobtab *t, const char *domain, const char *disk)
{
    pthread_mutex_lock(&t->lock);
    for (size_t i = t->n; i-- > 0;)
        if (streq0(t->v[i].job.domain, domain) && streq0(t->v[i].job.disk, disk) &&
            !st_job_phase_final(t->v[i].job.phase)) {
            t->v[i].paused_run = true;
            break;
        }
    pthread_mutex_unlock(&t->lock);
}

/* What to do for one job once it reached a phase that needs a follow-up. */
typedef struct followup {
    virDomainPtr dom;
    char *disk;
    bool pivot, destroy;
    char **cleanup;
    size_t n_cleanup;
} followup;

/* Takes the follow-ups due now out of the table. Lock held. */
static size_t take_followups(st_jobtab *t, followup *out, size_t max)
{
    size_t n = 0;
    for (size_t i = 0; i < t->n && n < max; i++) {
        tracked *tr = &t->v[i];
        if (tr->after_done || !tr->dom)
            continue;
        bool ready = tr->job.phase == ST_PHASE_READY && !tr->aborting;
        bool final = st_job_phase_final(tr->job.phase);
        if (!(tr->paused_run && ready) && !(final && (tr->paused_run || tr->n_cleanup)))
            continue;
        followup *f = &out[n++];
        memset(f, 0, sizeof(*f));
        virDomainRef(tr->dom);
        f->dom = tr->dom;
        f->disk = xstrdup0(tr->job.disk);
        if (ready) {
            /* A domain started paused only for this job: finish it the way the plan said. */
            f->pivot = true;
            tr->job.phase = ST_PHASE_PIVOTING;
            continue;
        }
        tr->after_done = true;
        f->destroy = tr->paused_run;
        if (tr->job.phase == ST_PHASE_COMPLETED) {
            f->cleanup = tr->cleanup;
            f->n_cleanup = tr->n_cleanup;
            tr->cleanup = NULL;
            tr->n_cleanup = 0;
        }
    }
    return n;
}

void st_jobtab_after(st_worker *w)
{
    followup fs[16];
    pthread_mutex_lock(&w->jobs->lock);
    size_t n = take_followups(w->jobs, fs, 16);
    pthread_mutex_unlock(&w->jobs->lock);
    for (size_t i = 0; i < n; i++) {
        followup *f = &fs[i];
        st_worker_busy(w);
        if (f->pivot && virDomainBlockJobAbort(f->dom, f->disk, VIR_DOMAIN_BLOCK_JOB_ABORT_PIVOT))
            virResetLastError();
        if (f->destroy && virDomainDestroy(f->dom) < 0)
            virResetLastError();
        st_worker_idle(w);
        for (size_t k = 0; k < f->n_cleanup; k++) {
            if (unlink(f->cleanup[k]) != 0)
                st_action_result(w, 0, false, _("could not remove %s"), f->cleanup[k]);
            free(f->cleanup[k]);
        }
        if (f->n_cleanup)
            st_action_result(
                w, 0, true,
                ngettext("removed %zu merged file", "removed %zu merged files", f->n_cleanup),
                f->n_cleanup);
        free(f->cleanup);
        free(f->disk);
        virDomainFree(f->dom);
        st_worker_request_refresh(w, 100);
    }
}
