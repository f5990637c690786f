/*
 * What follows a job once it reached READY or ended, for the jobs that need this process: the
 * files a pull merged, removed; a domain started paused for the job, pivoted and shut off.
 * Each such follow-up is also recorded (followup.h) so that the next interface can finish it
 * when this one ends first.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backend/actions.h"
#include "backend/followup.h"
#include "backend/jobs_internal.h"
#include "backend/journal_record.h"
#include "backend/worker.h"
#include "base/i18n.h"
#include "base/util.h"

void st_jobtab_set_cleanup(st_jobtab *t, int id, char *const *paths, size_t n, char *record)
{
    pthread_mutex_lock(&t->lock);
    tracked *tr = jt_by_id(t, id);
    if (tr && !tr->n_cleanup && n) {
        tr->cleanup = xcalloc(n, sizeof(char *));
        for (size_t k = 0; k < n; k++)
            tr->cleanup[k] = xstrdup(paths[k]);
        tr->n_cleanup = n;
        free(tr->fu_record);
        tr->fu_record = record;
        record = NULL;
    }
    pthread_mutex_unlock(&t->lock);
    free(record);
}

void st_jobtab_set_paused_run(st_jobtab *t, const char *domain, const char *disk, char *record)
{
    pthread_mutex_lock(&t->lock);
    for (size_t i = t->n; i-- > 0;)
        if (streq0(t->v[i].job.domain, domain) && streq0(t->v[i].job.disk, disk) &&
            !st_job_phase_final(t->v[i].job.phase)) {
            t->v[i].paused_run = true;
            free(t->v[i].fu_record);
            t->v[i].fu_record = record;
            record = NULL;
            break;
        }
    pthread_mutex_unlock(&t->lock);
    free(record);
}

size_t st_jobtab_followup_records(st_jobtab *t, char ***out)
{
    pthread_mutex_lock(&t->lock);
    size_t n = 0;
    *out = t->n ? xcalloc(t->n, sizeof(char *)) : NULL;
    for (size_t i = 0; i < t->n; i++)
        if (t->v[i].fu_record)
            (*out)[n++] = xstrdup(t->v[i].fu_record);
    pthread_mutex_unlock(&t->lock);
    return n;
}

/* What to do for one job once it reached a phase that needs a follow-up. */
typedef struct followup {
    virDomainPtr dom;
    char *disk;
    bool pivot, destroy;
    char **cleanup;
    size_t n_cleanup;
    char *record; /* dropped once done */
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
        f->record = tr->fu_record;
        tr->fu_record = NULL;
        if (tr->job.phase == ST_PHASE_COMPLETED) {
            f->cleanup = tr->cleanup;
            f->n_cleanup = tr->n_cleanup;
            tr->cleanup = NULL;
            tr->n_cleanup = 0;
        }
    }
    return n;
}

static void followup_clear(followup *f)
{
    for (size_t k = 0; k < f->n_cleanup; k++)
        free(f->cleanup[k]);
    free(f->cleanup);
    free(f->record);
    free(f->disk);
    virDomainFree(f->dom);
}

/* Our jobs that ended since the last look, copied for the journal. Lock held. */
static size_t take_ended(st_jobtab *t, st_job *out, size_t max)
{
    size_t n = 0;
    for (size_t i = 0; i < t->n && n < max; i++) {
        tracked *tr = &t->v[i];
        /* Jobs of others too: an entry an earlier run left may be waiting for one. */
        if (tr->journaled || !st_job_phase_final(tr->job.phase))
            continue;
        tr->journaled = true;
        st_job *j = &out[n++];
        memset(j, 0, sizeof(*j));
        j->domain = xstrdup0(tr->job.domain);
        j->disk = xstrdup0(tr->job.disk);
        j->kind = tr->job.kind;
        j->phase = tr->job.phase;
        j->cur = tr->job.cur;
        j->end = tr->job.end;
        j->data = tr->job.data;
        j->error = xstrdup0(tr->job.error);
    }
    return n;
}

static void journal_ended(st_worker *w)
{
    st_job ended[16];
    pthread_mutex_lock(&w->jobs->lock);
    size_t n = take_ended(w->jobs, ended, 16);
    pthread_mutex_unlock(&w->jobs->lock);
    for (size_t i = 0; i < n; i++) {
        st_journal_job_end(w, &ended[i]);
        free(ended[i].domain);
        free(ended[i].disk);
        free(ended[i].error);
    }
}

void st_jobtab_after(st_worker *w)
{
    st_jobtab_reattach(w);
    st_jobtab_fetch_reasons(w);
    st_jobtab_explain_io_errors(w);
    followup fs[16];
    pthread_mutex_lock(&w->jobs->lock);
    size_t n = take_followups(w->jobs, fs, 16);
    pthread_mutex_unlock(&w->jobs->lock);
    for (size_t i = 0; i < n; i++) {
        followup *f = &fs[i];
        /* Taken over meanwhile: the record stays, and the successor, which reads it as left by
         * an earlier interface, offers the rest. */
        if (!st_worker_may_change(w, 0)) {
            followup_clear(f);
            continue;
        }
        st_worker_busy(w);
        if (f->pivot && virDomainBlockJobAbort(f->dom, f->disk, VIR_DOMAIN_BLOCK_JOB_ABORT_PIVOT))
            virResetLastError();
        if (f->destroy && virDomainDestroy(f->dom) < 0)
            virResetLastError();
        st_worker_idle(w);
        for (size_t k = 0; k < f->n_cleanup; k++)
            if (unlink(f->cleanup[k]) != 0)
                st_action_result(w, 0, false, _("could not remove %s"), f->cleanup[k]);
        if (f->n_cleanup)
            st_action_result(
                w, 0, true,
                ngettext("removed %zu merged file", "removed %zu merged files", f->n_cleanup),
                f->n_cleanup);
        st_followup_drop(f->record);
        followup_clear(f);
        st_worker_request_refresh(w, 100);
    }
    /* After the follow-ups: the chain recorded as it became is the one they left. */
    journal_ended(w);
}
