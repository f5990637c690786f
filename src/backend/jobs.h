/*
 * The jobs running on one host: block jobs (commit, pull, copy) and domain jobs (save, restore,
 * memory snapshots, offline merges run by qemu-img). Progress comes from events (registered before
 * any job starts) and from polling at least twice a second while anything runs, as virsh does.
 * Jobs belong to QEMU, not to this process: jobs found running at start are tracked the same way.
 */
#ifndef ST_JOBS_H
#define ST_JOBS_H

#include <libvirt/libvirt.h>

#include "core/model.h"

struct st_worker;
typedef struct st_jobtab st_jobtab;

st_jobtab *st_jobtab_new(void);
void st_jobtab_free(st_jobtab *t);

/* Copies the current jobs (finished ones stay listed for a while) into h->jobs. */
void st_jobtab_fill_host(st_jobtab *t, st_host *h);
void st_jobtab_copy(st_jobtab *t, st_job **jobs, size_t *n);

/* A BLOCK_JOB_2 event (called on the event thread). */
void st_jobtab_event(st_jobtab *t, const char *domain, const char *uuid, const char *disk, int type,
                     int status);

/*
 * Starts tracking a job this process started (or found). `dom` is referenced. Returns its id.
 * For domain jobs disk is NULL.
 */
int st_jobtab_track(st_jobtab *t, virDomainPtr dom, const char *disk, st_job_kind kind,
                    const char *top, const char *base, unsigned long bandwidth);
/*
 * An offline merge as its record shows it (`v`: identity, progress, phase; strings copied),
 * keyed by the record's path. A finished job is taken in only when it ended less than
 * ST_OFFLINE_SHOW seconds ago (`ended_ago`), and stays listed until then.
 */
#define ST_OFFLINE_SHOW 300.0
typedef enum {
    ST_OFF_GONE,  /* finished too long ago to be listed */
    ST_OFF_SAME,  /* listed; progress updated */
    ST_OFF_NEW,   /* listed from now on */
    ST_OFF_ENDED, /* was running here, has ended now */
} st_off_change;
st_off_change st_jobtab_offline(st_jobtab *t, const char *record, const st_job *v,
                                double ended_ago);
/* Progress and phase reported by an action thread (offline merges, domain jobs). */
void st_jobtab_update(st_jobtab *t, int id, st_job_phase phase, uint64_t cur, uint64_t end,
                      const char *error);
/* Ends a job with `phase`, keeping the progress it last reported (a domain job may report none). */
void st_jobtab_finish(st_jobtab *t, int id, st_job_phase phase, const char *error);
/* The domain stopped (destroyed, shut down, crashed): its block jobs failed with it. */
void st_jobtab_domain_stopped(st_jobtab *t, const char *uuid, const char *why);
/* Marks a block job as expected to end cancelled (we aborted it) or pivoting. */
void st_jobtab_set_phase(st_jobtab *t, const char *uuid, const char *disk, st_job_phase phase);
void st_jobtab_set_bandwidth(st_jobtab *t, const char *uuid, const char *disk, unsigned long bw);
/* The plan's figure of the data a merge copies (its progress counts the virtual span). */
void st_jobtab_set_data(st_jobtab *t, int id, uint64_t bytes);

/*
 * Files to remove after the job completes (the admin asked to delete merged files). `record`
 * (followup.h; handed over, may be NULL) is dropped once the follow-up is done.
 */
void st_jobtab_set_cleanup(st_jobtab *t, int id, char *const *paths, size_t n, char *record);
/* The domain was started paused for this job: pivot when ready, shut it off when done. */
void st_jobtab_set_paused_run(st_jobtab *t, const char *domain, const char *disk, char *record);
/* The follow-up records this process handles itself (copies). */
size_t st_jobtab_followup_records(st_jobtab *t, char ***out);
/* Runs the follow-ups of jobs that reached READY or ended (worker thread). */
void st_jobtab_after(struct st_worker *w);

/*
 * A worker taken over (worker.h) hands its jobs to its successor: the block jobs and offline
 * merges it tracks, running or with a follow-up still to do (files to remove, a pivot, a
 * shutdown), so that neither the jobs panel nor the follow-ups lose them. Their domain handles
 * belong to the old connection and stay behind: the successor looks each domain up again. Jobs
 * that a thread of the old worker drives (a save, a restore, a snapshot with memory) stay with
 * it: only that thread can tell how they end.
 */
void st_jobtab_hand_over(st_jobtab *from, st_jobtab *to);
/*
 * The worker's connection was lost and is opened again (a daemon restarted): the domain handles
 * of the jobs st_jobtab_hand_over would hand over belong to the connection that is gone, and
 * every call through them fails. They are dropped; the next connection looks each domain up
 * again, and polls then find each job running (live progress again) or gone (judged from its
 * chain, since the events that told how it ended were lost with the connection).
 */
void st_jobtab_detach(st_jobtab *t);
/* Lets go of the domain handles the table holds (a worker taken over, as it ends: they keep its
 * connection open). */
void st_jobtab_release_domains(st_jobtab *t);

/*
 * QEMU could not write the image `path` of the domain for want of space (the event loop's
 * thread: IO_ERROR_REASON "enospc"); `paused` when it paused the domain. The worker tells the
 * admin (st_jobtab_explain_io_errors) and redoes the reasons of the domain's jobs that failed
 * just before.
 */
void st_jobtab_io_error(st_jobtab *t, const char *uuid, const char *domain, const char *path,
                        bool paused);
void st_jobtab_explain_io_errors(struct st_worker *w);

/* Whether a job still runs on the disk. */
bool st_jobtab_disk_busy(st_jobtab *t, const char *domain, const char *disk);
/* Whether a QEMU of the host runs a block job (for domain `uuid`, or any when NULL), or ended one
 * less than `grace` seconds ago. Offline merges (qemu-img) do not count: no QEMU runs them. */
bool st_jobtab_qemu_busy(st_jobtab *t, const char *uuid, double now, double grace);
/* Whether anything is running (then the worker polls often). */
bool st_jobtab_active(st_jobtab *t);
bool st_jobtab_due(st_jobtab *t, double now);

/* Polls every tracked, unfinished job; returns true when something changed. Worker thread only. */
bool st_jobtab_poll(struct st_worker *w);

/* Looks for block jobs on a running domain's disks (jobs started elsewhere, e.g. by virsh). */
void st_jobtab_probe_domain(struct st_worker *w, virDomainPtr dom, const st_domain *d);

/* Whether a refresh should also probe every running domain for jobs started elsewhere. */
bool st_jobtab_scan_due(st_jobtab *t, unsigned refreshes);

#endif
