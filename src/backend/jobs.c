#include "config.h"

#include "backend/jobs.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backend/jobs_internal.h"
#include "backend/worker.h"
#include "base/util.h"

/* Finished jobs stay on screen this long, so that the admin sees how they ended. */
#define ST_JOB_LINGER 60.0
/* Probe every running domain for foreign jobs on every Nth refresh (and the first). */
#define ST_SCAN_EVERY 5

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
    for (size_t i = 0; i < tr->n_before; i++)
        free(tr->before[i]);
    free(tr->before);
    free(tr->record);
    free(tr->poll_error);
    free(tr->fu_record);
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
    for (size_t i = 0; i < t->n_io_errors; i++)
        st_io_error_clear(&t->io_errors[i]);
    free(t->io_errors);
    pthread_mutex_destroy(&t->lock);
    free(t);
}

tracked *jt_find(st_jobtab *t, const char *uuid, const char *disk, bool live_only)
{
    for (size_t i = t->n; i-- > 0;) {
        tracked *tr = &t->v[i];
        if (streq0(tr->job.uuid, uuid) && streq0(tr->job.disk, disk) &&
            (!live_only || !st_job_phase_final(tr->job.phase)))
            return tr;
    }
    return NULL;
}

tracked *jt_by_id(st_jobtab *t, int id)
{
    for (size_t i = 0; i < t->n; i++)
        if (t->v[i].job.id == id)
            return &t->v[i];
    return NULL;
}

bool jt_is_block_kind(st_job_kind k)
{
    return st_job_kind_is_block(k);
}

bool jt_pick(st_jobtab *t, bool (*pick)(tracked *tr), int *id, char **uuid, virDomainPtr *dom)
{
    pthread_mutex_lock(&t->lock);
    tracked *tr = NULL;
    for (size_t i = 0; i < t->n && !tr; i++)
        if (pick(&t->v[i]))
            tr = &t->v[i];
    if (tr) {
        *id = tr->job.id;
        *uuid = xstrdup0(tr->job.uuid);
        *dom = tr->dom;
        if (*dom)
            virDomainRef(*dom);
    }
    pthread_mutex_unlock(&t->lock);
    return tr != NULL;
}

tracked *jt_add(st_jobtab *t)
{
    xgrow((void **)&t->v, &t->cap, t->n + 1, sizeof(tracked));
    tracked *tr = &t->v[t->n++];
    memset(tr, 0, sizeof(*tr));
    tr->job.id = new_id();
    tr->job.started = st_now();
    st_rate_init(&tr->rate);
    return tr;
}

/* Drops jobs that finished long ago. Lock held. */
static void prune(st_jobtab *t, double now)
{
    size_t k = 0;
    for (size_t i = 0; i < t->n; i++) {
        double linger = t->v[i].linger > 0 ? t->v[i].linger : ST_JOB_LINGER;
        if (st_job_phase_final(t->v[i].job.phase) && now - t->v[i].finished_at > linger)
            tracked_clear(&t->v[i]);
        else
            t->v[k++] = t->v[i];
    }
    t->n = k;
}

/* Drops the job's domain handle, which belongs to a connection that is gone or given up: the
 * next connection looks the domain up again by uuid. Only a job that had a domain needs one
 * again (an offline merge has its record). Lock held. */
static void look_up_again(tracked *tr)
{
    tr->reattach = tr->reattach || (tr->dom && tr->job.uuid);
    if (tr->dom)
        virDomainFree(tr->dom);
    tr->dom = NULL;
}

/* Whether a job goes to the successor of a worker taken over (st_jobtab_hand_over). */
static bool handed_over(const tracked *tr)
{
    bool ours = jt_is_block_kind(tr->job.kind) || tr->record;
    bool follow_up = !tr->after_done && (tr->n_cleanup || tr->paused_run);
    return ours && (!st_job_phase_final(tr->job.phase) || follow_up);
}

void st_jobtab_hand_over(st_jobtab *from, st_jobtab *to)
{
    pthread_mutex_lock(&from->lock);
    pthread_mutex_lock(&to->lock);
    size_t k = 0;
    for (size_t i = 0; i < from->n; i++) {
        tracked *tr = &from->v[i];
        if (!handed_over(tr)) {
            from->v[k++] = *tr;
            continue;
        }
        xgrow((void **)&to->v, &to->cap, to->n + 1, sizeof(tracked));
        tracked *moved = &to->v[to->n++];
        *moved = *tr;
        look_up_again(moved);
    }
    from->n = k;
    pthread_mutex_unlock(&to->lock);
    pthread_mutex_unlock(&from->lock);
}

void st_jobtab_detach(st_jobtab *t)
{
    pthread_mutex_lock(&t->lock);
    for (size_t i = 0; i < t->n; i++)
        if (handed_over(&t->v[i]))
            look_up_again(&t->v[i]);
    pthread_mutex_unlock(&t->lock);
}

void st_jobtab_release_domains(st_jobtab *t)
{
    pthread_mutex_lock(&t->lock);
    for (size_t i = 0; i < t->n; i++)
        if (t->v[i].dom) {
            virDomainFree(t->v[i].dom);
            t->v[i].dom = NULL;
        }
    pthread_mutex_unlock(&t->lock);
}

void st_jobtab_copy(st_jobtab *t, st_job **jobs, size_t *n)
{
    pthread_mutex_lock(&t->lock);
    prune(t, st_now());
    *n = t->n;
    *jobs = t->n ? xcalloc(t->n, sizeof(st_job)) : NULL;
    for (size_t i = 0; i < t->n; i++) {
        st_job_copy(&(*jobs)[i], &t->v[i].job);
        (*jobs)[i].finished = st_job_phase_final(t->v[i].job.phase) ? t->v[i].finished_at : 0;
        (*jobs)[i].followup = !t->v[i].after_done && (t->v[i].n_cleanup || t->v[i].paused_run);
    }
    pthread_mutex_unlock(&t->lock);
}

void st_jobtab_fill_host(st_jobtab *t, st_host *h)
{
    for (size_t i = 0; i < h->n_jobs; i++)
        st_job_clear(&h->jobs[i]);
    free(h->jobs);
    st_jobtab_copy(t, &h->jobs, &h->n_jobs);
}

st_job_kind jt_kind_of(int type)
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

void jt_progress(tracked *tr, double now, uint64_t cur, uint64_t end)
{
    tr->rate.data = tr->job.data;
    st_rate_add(&tr->rate, now, cur, end, tr->job.bandwidth * 1048576.0);
    tr->job.cur = cur;
    tr->job.end = end;
    tr->job.pace = st_rate_pace(&tr->rate, now);
}

void jt_finish(tracked *tr, st_job_phase phase, const char *error)
{
    tr->job.phase = phase;
    tr->finished_at = st_now();
    /* What it moved at says nothing of a job that ended. */
    memset(&tr->job.pace, 0, sizeof(tr->job.pace));
    if (phase == ST_PHASE_COMPLETED && tr->job.end)
        tr->job.cur = tr->job.end;
    if (error && !tr->job.error)
        tr->job.error = xstrdup(error);
}

void st_jobtab_event(st_jobtab *t, const char *domain, const char *uuid, const char *disk, int type,
                     int status)
{
    pthread_mutex_lock(&t->lock);
    tracked *tr = jt_find(t, uuid, disk, true);
    /* The commit libvirt runs inside a snapshot delete is the delete's to finish (and never
     * to pivot): its thread reports how it ended. */
    if (tr && tr->job.kind == ST_JOB_SNAPSHOT_DELETE) {
        pthread_mutex_unlock(&t->lock);
        return;
    }
    if (!tr && status == VIR_DOMAIN_BLOCK_JOB_READY) {
        tr = jt_add(t);
        tr->job.domain = xstrdup0(domain);
        tr->job.uuid = xstrdup0(uuid);
        tr->job.disk = xstrdup0(disk);
        tr->job.kind = jt_kind_of(type);
    }
    if (tr) {
        switch (status) {
        case VIR_DOMAIN_BLOCK_JOB_COMPLETED:
            jt_finish(tr, tr->aborting ? ST_PHASE_CANCELLED : ST_PHASE_COMPLETED, NULL);
            break;
        case VIR_DOMAIN_BLOCK_JOB_FAILED:
            /* The event carries no reason, and no blocking call may run here: the worker asks
             * libvirt for one next (st_jobtab_fetch_reasons). */
            jt_finish(tr, ST_PHASE_FAILED, NULL);
            tr->want_reason = true;
            break;
        case VIR_DOMAIN_BLOCK_JOB_CANCELED:
            jt_finish(tr, ST_PHASE_CANCELLED, NULL);
            break;
        case VIR_DOMAIN_BLOCK_JOB_READY:
            if (tr->job.phase != ST_PHASE_PIVOTING && !tr->aborting)
                tr->job.phase = ST_PHASE_READY;
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
    tracked *tr = dom ? jt_find(t, uuid, disk, true) : NULL;
    if (!tr) {
        tr = jt_add(t);
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

static tracked *by_record(st_jobtab *t, const char *record)
{
    for (size_t i = 0; i < t->n; i++)
        if (streq0(t->v[i].record, record))
            return &t->v[i];
    return NULL;
}

/* A record seen for the first time. Lock held. */
static tracked *take_record(st_jobtab *t, const char *record, const st_job *v, double ended_ago)
{
    tracked *tr = jt_add(t);
    tr->record = xstrdup(record);
    tr->linger = ST_OFFLINE_SHOW;
    tr->job.domain = xstrdup0(v->domain);
    tr->job.uuid = xstrdup0(v->uuid);
    tr->job.disk = xstrdup0(v->disk);
    tr->job.kind = v->kind;
    tr->job.top = xstrdup0(v->top);
    tr->job.base = xstrdup0(v->base);
    tr->job.ours = v->ours;
    tr->job.phase = ST_PHASE_RUNNING;
    if (st_job_phase_final(v->phase)) {
        jt_finish(tr, v->phase, v->error);
        tr->finished_at = st_now() - ended_ago; /* it ended then, not now */
    }
    return tr;
}

st_off_change st_jobtab_offline(st_jobtab *t, const char *record, const st_job *v, double ended_ago)
{
    pthread_mutex_lock(&t->lock);
    tracked *tr = by_record(t, record);
    st_off_change ch = ST_OFF_SAME;
    if (!tr && st_job_phase_final(v->phase) && ended_ago > ST_OFFLINE_SHOW) {
        pthread_mutex_unlock(&t->lock);
        return ST_OFF_GONE;
    }
    if (!tr) {
        tr = take_record(t, record, v, ended_ago);
        ch = ST_OFF_NEW;
    }
    tr->job.bandwidth = v->bandwidth;
    jt_progress(tr, st_now(), v->cur, v->end);
    if (!st_job_phase_final(tr->job.phase) && st_job_phase_final(v->phase)) {
        jt_finish(tr, v->phase, v->error);
        ch = ST_OFF_ENDED;
    }
    pthread_mutex_unlock(&t->lock);
    return ch;
}

void st_jobtab_update(st_jobtab *t, int id, st_job_phase phase, uint64_t cur, uint64_t end,
                      const char *error)
{
    pthread_mutex_lock(&t->lock);
    for (size_t i = 0; i < t->n; i++) {
        tracked *tr = &t->v[i];
        if (tr->job.id != id)
            continue;
        jt_progress(tr, st_now(), cur, end);
        if (st_job_phase_final(phase))
            jt_finish(tr, phase, error);
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
            jt_finish(&t->v[i], phase, error);
            break;
        }
    pthread_mutex_unlock(&t->lock);
}

void st_jobtab_domain_stopped(st_jobtab *t, const char *uuid, const char *why)
{
    pthread_mutex_lock(&t->lock);
    for (size_t i = 0; i < t->n; i++) {
        tracked *tr = &t->v[i];
        if (!streq0(tr->job.uuid, uuid) || !jt_is_block_kind(tr->job.kind))
            continue;
        if (!st_job_phase_final(tr->job.phase)) {
            jt_finish(tr, ST_PHASE_FAILED, why);
            tr->want_space = true;
        } else if (tr->want_reason) {
            /* It failed by an event just before: this is the reason libvirt did not give. */
            tr->job.error = xstrdup(why);
            tr->want_reason = false;
            tr->want_space = true;
        }
    }
    pthread_mutex_unlock(&t->lock);
}

void st_jobtab_set_phase(st_jobtab *t, const char *uuid, const char *disk, st_job_phase phase)
{
    pthread_mutex_lock(&t->lock);
    tracked *tr = jt_find(t, uuid, disk, true);
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
    tracked *tr = jt_find(t, uuid, disk, true);
    if (tr)
        tr->job.bandwidth = bw;
    pthread_mutex_unlock(&t->lock);
}

void st_jobtab_set_data(st_jobtab *t, int id, uint64_t bytes)
{
    pthread_mutex_lock(&t->lock);
    tracked *tr = jt_by_id(t, id);
    if (tr)
        tr->job.data = bytes;
    pthread_mutex_unlock(&t->lock);
}

bool st_jobtab_disk_busy(st_jobtab *t, const char *domain, const char *disk)
{
    pthread_mutex_lock(&t->lock);
    bool busy = false;
    for (size_t i = 0; i < t->n && !busy; i++)
        busy = streq0(t->v[i].job.domain, domain) && streq0(t->v[i].job.disk, disk) &&
               !st_job_phase_final(t->v[i].job.phase);
    pthread_mutex_unlock(&t->lock);
    return busy;
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

bool st_jobtab_scan_due(st_jobtab *t, unsigned refreshes)
{
    (void)t;
    return refreshes <= 1 || refreshes % ST_SCAN_EVERY == 0;
}

bool st_jobtab_qemu_busy(st_jobtab *t, const char *uuid, double now, double grace)
{
    pthread_mutex_lock(&t->lock);
    bool busy = false;
    for (size_t i = 0; i < t->n && !busy; i++) {
        const tracked *tr = &t->v[i];
        busy = !tr->record && (!uuid || streq0(tr->job.uuid, uuid)) &&
               (!st_job_phase_final(tr->job.phase) || now - tr->finished_at < grace);
    }
    pthread_mutex_unlock(&t->lock);
    return busy;
}
