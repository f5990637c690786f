/*
 * Block jobs and domains stopped by a full filesystem (nospace.h): the reason of a failed job
 * that libvirt gave none for, and a notice when QEMU paused a domain because its disk could not
 * be written. The worker's thread, except st_jobtab_io_error (the event loop's).
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
#include "core/nospace.h"

/* A job that failed this long before QEMU said "out of space" may have failed of it too. */
#define ST_NOSPACE_RECENT 10.0

void st_jobtab_io_error(st_jobtab *t, const char *uuid, const char *domain, const char *path,
                        bool paused)
{
    pthread_mutex_lock(&t->lock);
    xgrow((void **)&t->io_errors, &t->cap_io_errors, t->n_io_errors + 1, sizeof(st_io_error));
    st_io_error *e = &t->io_errors[t->n_io_errors++];
    e->uuid = xstrdup0(uuid);
    e->domain = xstrdup0(domain);
    e->path = xstrdup0(path);
    e->paused = paused;
    /* The domain's jobs that failed a moment ago may have failed of it too (the event comes
     * after their own): their reason is looked at again. */
    double now = st_now();
    for (size_t i = 0; i < t->n; i++) {
        tracked *tr = &t->v[i];
        if (streq0(tr->job.uuid, uuid) && tr->job.phase == ST_PHASE_FAILED &&
            now - tr->finished_at < ST_NOSPACE_RECENT)
            tr->enospc = tr->want_space = true;
    }
    pthread_mutex_unlock(&t->lock);
}

void st_io_error_clear(st_io_error *e)
{
    free(e->uuid);
    free(e->domain);
    free(e->path);
    memset(e, 0, sizeof(*e));
}

/* Whether QEMU paused the domain on an I/O error (and it is still paused). */
static bool paused_on_error(st_worker *w, virDomainPtr dom)
{
    int state = 0, reason = 0;
    st_worker_busy(w);
    int rc = dom ? virDomainGetState(dom, &state, &reason, 0) : -1;
    st_worker_idle(w);
    virResetLastError();
    return rc == 0 && state == VIR_DOMAIN_PAUSED && reason == VIR_DOMAIN_PAUSED_IOERROR;
}

/* The filesystem of the folder that holds `path`, when it is on this machine and full. */
static bool full_fs_of(const st_worker *w, const char *path, st_fs_space *fs)
{
    memset(fs, 0, sizeof(*fs));
    if (!w->local || !path || path[0] != '/')
        return false;
    char *dir = st_dirname(path);
    bool full = st_fs_space_of(dir, fs) && st_fs_full(fs);
    free(dir);
    if (!full)
        st_fs_space_clear(fs);
    return full;
}

char *st_jobtab_space_reason(st_worker *w, int id, virDomainPtr dom)
{
    pthread_mutex_lock(&w->jobs->lock);
    tracked *tr = jt_by_id(w->jobs, id);
    /* Where the job writes: the base of a commit or a copy, the active layer of a pull. */
    char *target = tr ? xstrdup0(tr->job.kind == ST_JOB_PULL ? tr->job.top : tr->job.base) : NULL;
    char *domain = tr ? xstrdup0(tr->job.domain) : NULL;
    /* QEMU's word stands for a filesystem this machine cannot look at. */
    bool enospc_seen = tr && tr->enospc && !w->local;
    pthread_mutex_unlock(&w->jobs->lock);
    st_fs_space fs;
    bool full = full_fs_of(w, target, &fs);
    char *r = full || enospc_seen ? st_nospace_job_reason(full ? &fs : NULL, domain ? domain : "?",
                                                          paused_on_error(w, dom))
                                  : NULL;
    st_fs_space_clear(&fs);
    free(target);
    free(domain);
    return r;
}

/* The target of the domain's disk whose active layer is `path` (the live XML); NULL if none. */
static char *disk_of(st_worker *w, virDomainPtr dom, const char *path)
{
    st_worker_busy(w);
    char *xml = dom ? virDomainGetXMLDesc(dom, 0) : NULL;
    st_worker_idle(w);
    virResetLastError();
    st_domain d;
    memset(&d, 0, sizeof(d));
    char *err = NULL, *target = NULL;
    if (xml && st_xml_parse_domain(xml, &d, &err) == 0)
        for (size_t i = 0; i < d.n_disks && !target; i++)
            if (d.disks[i].n_chain && streq0(d.disks[i].chain[0].path, path))
                target = xstrdup0(d.disks[i].target);
    st_domain_clear(&d);
    free(err);
    free(xml);
    return target;
}

/* "commit on vm/vda": a job of the domain that failed a moment ago for want of space; NULL
 * when none did. */
static char *failed_job_of(st_jobtab *t, const char *uuid)
{
    char *r = NULL;
    double now = st_now();
    pthread_mutex_lock(&t->lock);
    for (size_t i = t->n; i-- > 0 && !r;) {
        const tracked *tr = &t->v[i];
        if (streq0(tr->job.uuid, uuid) && tr->job.phase == ST_PHASE_FAILED && tr->space_reason &&
            now - tr->finished_at < ST_NOSPACE_RECENT)
            r = xasprintf(_("%s on %s/%s"), st_job_kind_label(tr->job.kind),
                          tr->job.domain ? tr->job.domain : "?", tr->job.disk ? tr->job.disk : "?");
    }
    pthread_mutex_unlock(&t->lock);
    return r;
}

/* Tells the admin that QEMU paused the domain of `e` for want of space, and what to do. */
static void tell_paused(st_worker *w, const st_io_error *e)
{
    st_worker_busy(w);
    virDomainPtr dom = e->uuid ? virDomainLookupByUUIDString(w->conn, e->uuid) : NULL;
    st_worker_idle(w);
    virResetLastError();
    char *disk = disk_of(w, dom, e->path);
    st_fs_space fs;
    bool full = full_fs_of(w, e->path, &fs);
    char *job = failed_job_of(w->jobs, e->uuid);
    char *text = st_nospace_pause_notice(full ? &fs : NULL, e->domain ? e->domain : "?",
                                         disk ? disk : st_basename(e->path ? e->path : "?"), job);
    st_action_result(w, 0, false, "%s", text);
    free(text);
    free(job);
    free(disk);
    st_fs_space_clear(&fs);
    if (dom)
        virDomainFree(dom);
}

/* Puts a want of space in a failed job's reason: in place of an earlier one (the domain has
 * paused since), after any other ("the domain stopped (crashed) while the job ran"). Lock held. */
static void set_space_reason(tracked *tr, char *why)
{
    char *r = tr->job.error && !tr->space_reason ? xasprintf("%s; %s", tr->job.error, why) : why;
    if (r != why)
        free(why);
    free(tr->job.error);
    tr->job.error = r;
    tr->space_reason = true;
}

static bool wants_space(tracked *tr)
{
    bool want = tr->want_space;
    tr->want_space = false;
    return want;
}

/* Jobs that failed just before QEMU said "out of space", or whose domain stopped under them:
 * their reason says whether the space ran out, and what to do. */
static void redo_reasons(st_worker *w)
{
    int id;
    char *uuid;
    virDomainPtr dom;
    while (jt_pick(w->jobs, wants_space, &id, &uuid, &dom)) {
        char *why = st_jobtab_space_reason(w, id, dom);
        pthread_mutex_lock(&w->jobs->lock);
        tracked *tr = jt_by_id(w->jobs, id);
        if (tr && why) {
            set_space_reason(tr, why);
            why = NULL;
        }
        pthread_mutex_unlock(&w->jobs->lock);
        free(why);
        free(uuid);
        if (dom)
            virDomainFree(dom);
        st_worker_post_jobs(w);
    }
}

void st_jobtab_explain_io_errors(st_worker *w)
{
    st_jobtab *t = w->jobs;
    pthread_mutex_lock(&t->lock);
    st_io_error *v = t->io_errors;
    size_t n = t->n_io_errors;
    t->io_errors = NULL;
    t->n_io_errors = t->cap_io_errors = 0;
    pthread_mutex_unlock(&t->lock);
    redo_reasons(w);
    for (size_t i = 0; i < n; i++) {
        if (v[i].paused)
            tell_paused(w, &v[i]);
        st_io_error_clear(&v[i]);
    }
    free(v);
}
