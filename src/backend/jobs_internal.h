/* The jobs table's insides, shared by its files: the table (jobs.c), polling (jobs_poll.c). */
#ifndef ST_JOBS_INTERNAL_H
#define ST_JOBS_INTERNAL_H

#include <pthread.h>

#include "backend/jobs.h"

typedef struct tracked {
    st_job job;
    virDomainPtr dom; /* referenced; NULL when only an event told us */
    double finished_at;
    st_rate rate;   /* the progress figures polled, for its pace */
    char **cleanup; /* files to remove once the job completed (and pivoted) */
    size_t n_cleanup;
    bool paused_run; /* we started the domain paused for this job: pivot and stop it after */
    /* We asked libvirt to abort it: however it ends (an aborted active commit reports
     * COMPLETED), it was cancelled. The job stays live until then, so that the events and polls
     * that follow find it rather than take it for a new one that then "completes". */
    bool aborting;
    bool after_done;
    /* Its end was given to the journal (journal_record.h). */
    bool journaled;
    char **before; /* a job found running: its disk's chain when found (paths, active first) */
    size_t n_before;
    double gone_since; /* st_now() when a poll first found the job gone without an event */
    char *record;      /* an offline merge: its record (offline_state.h) */
    bool want_reason;  /* failed by an event: libvirt is still to be asked why */
    char *poll_error;  /* what the last failed poll said (a reason of last resort) */
    char *fu_record;   /* the record of its follow-up (followup.h), until it is done */
    double linger;     /* how long it stays listed once finished; 0: ST_JOB_LINGER */
    bool reattach;     /* handed over (st_jobtab_hand_over): dom is looked up again by uuid */

    /* Its reason is to be looked at again for a want of space (jobs_nospace.c): its domain
     * stopped under it, or QEMU said the domain's disk ran out of space (`enospc`). */
    bool want_space;
    bool enospc;
    /* job.error says the space ran out (and is redone as things change). */
    bool space_reason;
} tracked;

/* QEMU could not write a disk for want of space (an I/O error event), for the worker to tell. */
typedef struct st_io_error {
    char *uuid, *domain;
    char *path;  /* the image that could not be written */
    bool paused; /* QEMU paused the domain on it */
} st_io_error;

struct st_jobtab {
    pthread_mutex_t lock;
    tracked *v;
    size_t n, cap;
    double last_poll;
    st_io_error *io_errors; /* not told yet */
    size_t n_io_errors, cap_io_errors;
};

/* Lock held for all of these. */
tracked *jt_find(st_jobtab *t, const char *uuid, const char *disk, bool live_only);
tracked *jt_add(st_jobtab *t);
tracked *jt_by_id(st_jobtab *t, int id);
/* New progress figures of a job, read at `now`: its pace follows (rate.h). */
void jt_progress(tracked *tr, double now, uint64_t cur, uint64_t end);
/* Ends the job with `phase`; the first error given is kept. */
void jt_finish(tracked *tr, st_job_phase phase, const char *error);
/* libvirt's block job type as ours. */
st_job_kind jt_kind_of(int type);
/* Asks libvirt why the jobs that failed by an event failed (worker thread, lock not held). */
void st_jobtab_fetch_reasons(struct st_worker *w);
/* Jobs handed over by a worker taken over get their domains from this worker's connection. */
void st_jobtab_reattach(struct st_worker *w);
void st_io_error_clear(st_io_error *e);
/*
 * Why job `id` failed when the filesystem it wrote into is full (or QEMU said its domain's disk
 * ran out of space), with what to do; NULL when neither. Worker thread, lock not held; `dom`
 * (may be NULL) tells whether the domain is paused on the error.
 */
char *st_jobtab_space_reason(struct st_worker *w, int id, virDomainPtr dom);
/*
 * Takes the next job that `pick` chooses (lock held; it clears what made it choose): its id, a
 * copy of its uuid and a reference to its domain (NULL when none). False when none is left.
 * Lock not held.
 */
bool jt_pick(st_jobtab *t, bool (*pick)(tracked *tr), int *id, char **uuid, virDomainPtr *dom);
/* Jobs libvirt's block job calls know (commit, pull, copy). */
bool jt_is_block_kind(st_job_kind k);

#endif
