/*
 * Polling libvirt for the block jobs of the table, twice a second while any runs (virsh's
 * fallback when events are late), and probing running domains for jobs started elsewhere.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "backend/actions.h"
#include "backend/jobs_internal.h"
#include "backend/worker.h"
#include "backend/xmlutil.h"
#include "base/i18n.h"
#include "base/util.h"
#include "core/job_end.h"

#define ST_POLL_EVERY 0.4
/* A job gone without an event is judged from its chain at once when that shows it completed;
 * otherwise after this long, in case the event is only late (also when its domain stopped: the
 * lifecycle event says how). */
#define ST_GONE_GRACE 1.5

bool st_jobtab_due(st_jobtab *t, double now)
{
    return now - t->last_poll >= ST_POLL_EVERY;
}

/* Applies an answer of virDomainGetBlockJobInfo that found the job. Lock held. */
static void apply_block_info(tracked *tr, const virDomainBlockJobInfo *info, double now)
{
    if (tr->job.kind == ST_JOB_SNAPSHOT_DELETE)
        return; /* its own thread polls it and knows when the delete is over */
    tr->gone_since = 0;
    tr->job.kind = jt_kind_of(info->type) != ST_JOB_OTHER ? jt_kind_of(info->type) : tr->job.kind;
    tr->job.bandwidth = info->bandwidth;
    jt_progress(tr, now, info->cur, info->end);
    bool ready = tr->job.kind == ST_JOB_ACTIVE_COMMIT || tr->job.kind == ST_JOB_COPY;
    if (ready && info->end > 0 && info->cur == info->end && tr->job.phase != ST_PHASE_PIVOTING &&
        !tr->aborting)
        tr->job.phase = ST_PHASE_READY;
    else if (tr->job.phase == ST_PHASE_STARTING)
        tr->job.phase = ST_PHASE_RUNNING;
}

/* The paths of the disk's chain in the live XML, active layer first; SIZE_MAX when unknown. */
static size_t live_chain(st_worker *w, virDomainPtr dom, const char *disk, char ***out)
{
    *out = NULL;
    st_worker_busy(w);
    char *xml = virDomainGetXMLDesc(dom, 0);
    st_worker_idle(w);
    if (!xml) {
        virResetLastError();
        return SIZE_MAX;
    }
    st_domain d;
    memset(&d, 0, sizeof(d));
    char *err = NULL;
    size_t n = SIZE_MAX;
    const st_disk *k =
        st_xml_parse_domain(xml, &d, &err) == 0 ? st_domain_find_disk(&d, disk) : NULL;
    if (k) {
        n = k->n_chain;
        *out = n ? xcalloc(n, sizeof(char *)) : NULL;
        for (size_t i = 0; i < n; i++)
            (*out)[i] = xstrdup0(k->chain[i].path);
    }
    st_domain_clear(&d);
    free(err);
    free(xml);
    return n;
}

static void free_paths(char **v, size_t n)
{
    for (size_t i = 0; v && i < n; i++)
        free(v[i]);
    free(v);
}

/*
 * The job is gone and no event said how it ended (events are lost over a reconnect; a job found
 * at start may end before one is delivered). Only a chain changed the way the job changes it is
 * taken as completion; anything else waits a moment for a late event, then says what is known.
 */
static void judge_vanished(st_worker *w, int id, virDomainPtr dom, const char *disk)
{
    char **now = NULL;
    size_t n_now = live_chain(w, dom, disk, &now);
    st_jobtab *t = w->jobs;
    pthread_mutex_lock(&t->lock);
    tracked *tr = jt_by_id(t, id);
    if (tr && !st_job_phase_final(tr->job.phase)) {
        const char *why = _("the job ended, and its domain's chain could not be read to tell how");
        st_job_phase ph = ST_PHASE_ENDED;
        if (tr->aborting)
            ph = ST_PHASE_CANCELLED, why = NULL; /* we aborted it */
        else if (n_now != SIZE_MAX)
            ph = st_job_judge_end(&tr->job, tr->before, tr->n_before, now, n_now, &why);
        double t_now = st_now();
        if (!tr->gone_since)
            tr->gone_since = t_now;
        if (ph == ST_PHASE_COMPLETED || ph == ST_PHASE_CANCELLED ||
            t_now - tr->gone_since >= ST_GONE_GRACE) {
            jt_finish(tr, ph, why);
            st_worker_request_refresh(w, 0);
        }
    }
    pthread_mutex_unlock(&t->lock);
    free_paths(now, n_now == SIZE_MAX ? 0 : n_now);
}

/*
 * A poll failed: when the domain is not running any more, neither is its job. The lifecycle
 * event says how the domain stopped; it is given a moment to arrive before this says less.
 */
static void poll_failed(st_worker *w, int id, virDomainPtr dom)
{
    st_worker_busy(w);
    int active = virDomainIsActive(dom);
    st_worker_idle(w);
    virResetLastError();
    if (active != 0)
        return; /* running, or the connection is gone: nothing is known */
    pthread_mutex_lock(&w->jobs->lock);
    tracked *tr = jt_by_id(w->jobs, id);
    double now = st_now();
    if (tr && !st_job_phase_final(tr->job.phase) && !tr->gone_since)
        tr->gone_since = now;
    else if (tr && !st_job_phase_final(tr->job.phase) && now - tr->gone_since >= ST_GONE_GRACE) {
        jt_finish(tr, ST_PHASE_FAILED, _("the domain stopped while the job ran"));
        st_worker_request_refresh(w, 0);
    }
    pthread_mutex_unlock(&w->jobs->lock);
}

/* Remembers libvirt's message of a failed poll: the reason of last resort should the job fail. */
static void keep_poll_error(st_jobtab *t, int id)
{
    char *e = st_lv_error("");
    pthread_mutex_lock(&t->lock);
    tracked *tr = jt_by_id(t, id);
    if (tr && e && *e) {
        free(tr->poll_error);
        tr->poll_error = e;
        e = NULL;
    }
    pthread_mutex_unlock(&t->lock);
    free(e);
}

/* Looks one handed-over job's domain up; lock not held. */
static void reattach_one(st_worker *w, int id, const char *uuid)
{
    st_worker_busy(w);
    virDomainPtr d = virDomainLookupByUUIDString(w->conn, uuid);
    st_worker_idle(w);
    bool gone = !d && virGetLastErrorCode() == VIR_ERR_NO_DOMAIN;
    virResetLastError();
    st_jobtab *t = w->jobs;
    pthread_mutex_lock(&t->lock);
    tracked *tr = jt_by_id(t, id);
    if (tr && d && !tr->dom) {
        tr->dom = d;
        d = NULL;
    }
    if (tr && tr->dom) {
        tr->reattach = false; /* found, here or by a job scan meanwhile */
    } else if (tr && gone) {
        tr->reattach = false;
        if (!st_job_phase_final(tr->job.phase))
            jt_finish(tr, ST_PHASE_FAILED, _("the domain is gone"));
    }
    pthread_mutex_unlock(&t->lock);
    if (d)
        virDomainFree(d);
}

void st_jobtab_reattach(st_worker *w)
{
    st_jobtab *t = w->jobs;
    pthread_mutex_lock(&t->lock);
    size_t due = 0;
    for (size_t i = 0; i < t->n; i++)
        due += t->v[i].reattach;
    if (!due) { /* every poll and refresh comes here: nothing to do, nothing allocated */
        pthread_mutex_unlock(&t->lock);
        return;
    }
    size_t n = 0;
    int *ids = xcalloc(due, sizeof(int));
    char **uuids = xcalloc(due, sizeof(char *));
    for (size_t i = 0; i < t->n; i++)
        if (t->v[i].reattach) {
            ids[n] = t->v[i].job.id;
            uuids[n++] = xstrdup(t->v[i].job.uuid);
        }
    pthread_mutex_unlock(&t->lock);
    /* Until the connection answers for each (a lookup that fails otherwise is tried again). */
    for (size_t i = 0; i < n; i++) {
        reattach_one(w, ids[i], uuids[i]);
        free(uuids[i]);
    }
    free(ids);
    free(uuids);
}

/* Polls the job at index i of the table, if it is a running block job we can ask about. */
static bool poll_one(st_worker *w, size_t i)
{
    st_jobtab *t = w->jobs;
    pthread_mutex_lock(&t->lock);
    tracked *tr = i < t->n ? &t->v[i] : NULL;
    if (!tr || !tr->dom || !tr->job.disk || !jt_is_block_kind(tr->job.kind) ||
        st_job_phase_final(tr->job.phase)) {
        pthread_mutex_unlock(&t->lock);
        return false;
    }
    virDomainPtr dom = tr->dom;
    virDomainRef(dom);
    char *disk = xstrdup(tr->job.disk);
    int id = tr->job.id;
    pthread_mutex_unlock(&t->lock);

    virDomainBlockJobInfo info;
    memset(&info, 0, sizeof(info));
    st_worker_busy(w);
    int ret = virDomainGetBlockJobInfo(dom, disk, &info, 0);
    st_worker_idle(w);
    if (ret < 0) {
        keep_poll_error(t, id);
        poll_failed(w, id, dom);
    } else if (ret == 0) {
        judge_vanished(w, id, dom, disk);
    } else {
        pthread_mutex_lock(&t->lock);
        tr = jt_by_id(t, id);
        if (tr && !st_job_phase_final(tr->job.phase))
            apply_block_info(tr, &info, st_now());
        pthread_mutex_unlock(&t->lock);
    }
    virDomainFree(dom);
    free(disk);
    return true;
}

bool st_jobtab_poll(st_worker *w)
{
    st_jobtab *t = w->jobs;
    st_jobtab_reattach(w);
    pthread_mutex_lock(&t->lock);
    t->last_poll = st_now();
    size_t n = t->n;
    pthread_mutex_unlock(&t->lock);
    bool changed = false;
    for (size_t i = 0; i < n; i++)
        changed = poll_one(w, i) || changed;
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

/* The chain a job found running started from, to judge later whether it changed. Lock held. */
static void remember_chain(tracked *tr, const st_disk *disk)
{
    if (tr->n_before || !disk->n_chain)
        return;
    tr->before = xcalloc(disk->n_chain, sizeof(char *));
    for (size_t i = 0; i < disk->n_chain; i++)
        tr->before[i] = xstrdup0(disk->chain[i].path);
    tr->n_before = disk->n_chain;
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
        apply_block_info(tr, &info, st_now());
        fill_ends(tr, disk);
        remember_chain(tr, disk);
        pthread_mutex_unlock(&t->lock);
    }
}

/* libvirt's message for the domain's last job, when it keeps one (VIR_DOMAIN_JOB_ERRMSG). */
static char *job_errmsg(st_worker *w, virDomainPtr dom)
{
    int type = 0, n = 0;
    virTypedParameterPtr params = NULL;
    st_worker_busy(w);
    int rc = virDomainGetJobStats(dom, &type, &params, &n, VIR_DOMAIN_JOB_STATS_COMPLETED);
    st_worker_idle(w);
    char *msg = NULL;
    const char *s = NULL;
    if (rc == 0 && virTypedParamsGetString(params, n, VIR_DOMAIN_JOB_ERRMSG, &s) == 1 && s && *s)
        msg = xstrdup(s);
    virTypedParamsFree(params, n);
    virResetLastError();
    return msg;
}

/* A failed job's reason also goes to the status line when it tells the admin what to do. */
static void tell_failed(st_worker *w, int id, const char *why)
{
    pthread_mutex_lock(&w->jobs->lock);
    tracked *tr = jt_by_id(w->jobs, id);
    char *text = tr ? xasprintf(_("%s on %s/%s failed: %s"), st_job_kind_label(tr->job.kind),
                                tr->job.domain ? tr->job.domain : "?",
                                tr->job.disk ? tr->job.disk : "?", why)
                    : NULL;
    pthread_mutex_unlock(&w->jobs->lock);
    if (text)
        st_action_result(w, 0, false, "%s", text);
    free(text);
}

/* A failed job's reason: a full filesystem where it wrote, else libvirt's own message, else the
 * last failed poll's, else the plain truth (libvirt 9.0 keeps QEMU's message of a failed block
 * job to itself). */
static void fill_reason(st_worker *w, int id, const char *uuid, virDomainPtr dom)
{
    virDomainPtr d = dom;
    if (!d) {
        st_worker_busy(w);
        d = virDomainLookupByUUIDString(w->conn, uuid);
        st_worker_idle(w);
        virResetLastError();
    }
    char *space = st_jobtab_space_reason(w, id, d);
    char *msg = d && !space ? job_errmsg(w, d) : NULL;
    if (d && d != dom)
        virDomainFree(d);
    pthread_mutex_lock(&w->jobs->lock);
    tracked *tr = jt_by_id(w->jobs, id);
    bool told = tr && !tr->job.error && space;
    if (told)
        tr->space_reason = true;
    if (tr && !tr->job.error) {
        tr->job.error = space            ? xstrdup(space)
                        : msg            ? xasprintf(_("libvirt: %s"), msg)
                        : tr->poll_error ? xasprintf(_("libvirt: %s"), tr->poll_error)
                                         : xstrdup(_("the block job failed; libvirt gave no "
                                                     "reason"));
    }
    pthread_mutex_unlock(&w->jobs->lock);
    if (told)
        tell_failed(w, id, space);
    free(space);
    free(msg);
}

static bool wants_reason(tracked *tr)
{
    bool want = tr->want_reason;
    tr->want_reason = false;
    return want;
}

void st_jobtab_fetch_reasons(st_worker *w)
{
    int id;
    char *uuid;
    virDomainPtr dom;
    while (jt_pick(w->jobs, wants_reason, &id, &uuid, &dom)) {
        fill_reason(w, id, uuid, dom);
        if (dom)
            virDomainFree(dom);
        free(uuid);
        st_worker_post_jobs(w);
    }
}
