/*
 * A merge's entry left "started": the interface that started the job ended (or its terminal
 * died) before the job did, and jobs run on by design. The next start completes such entries
 * from what can be known then, and never guesses:
 *   - an offline merge's job record (the helper's own account: its phase, start, end, error);
 *   - else the disk's chain now against the chain the plan leads to (the entry's chain before,
 *     less the merged layers): that chain means completed; the chain as it was means the job
 *     ended without completing, but whether it failed or was cancelled is not known; anything
 *     else is not known at all.
 * A job still running is left "started" (an interface follows it to its end). Pure: the host's
 * facts come in; the backend gathers them.
 */
#ifndef ST_JOURNAL_SETTLE_H
#define ST_JOURNAL_SETTLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "core/journal.h"
#include "core/json.h"
#include "core/model.h"

/* Whether the entry is a merge whose job's end is not recorded yet. */
bool st_journal_unsettled(const st_json *doc);

/* The chain the plan leads to on the entry's disk (paths, active first, malloc'd); 0 and
 * *out NULL when the entry does not say enough (no chain of the disk, top or base not in it). */
size_t st_journal_expected_chain(const st_json *doc, char ***out);

/* What the host says now about the entry's job. */
typedef struct st_settle_facts {
    bool domain_gone;  /* no domain of that name on the host now */
    bool job_running;  /* a job runs on the disk now (a block job, or a live offline helper) */
    char *const *now;  /* the disk's chain now, active layer first */
    size_t n_now;      /* 0: the disk or its chain is not known */
    const st_job *rec; /* an offline merge's record as a job (phase, error, cur), or NULL */
    double rec_ended;  /* the record's end (wall clock); 0: not recorded */
} st_settle_facts;

typedef struct st_settle {
    bool wait;           /* the job runs on: nothing to write yet */
    const char *outcome; /* "completed", "failed", "cancelled" or "unknown" */
    bool ok;
    char *message;   /* what is known and how (malloc'd, translated) */
    double duration; /* seconds since the entry's start; < 0: not known */
    time_t finished; /* when the job ended; 0: not known (no interface saw it end) */
    bool bytes_known;
    uint64_t bytes;
    const char *source; /* how it was learnt: "job record", "chain", "job end" */
} st_settle;

/* Judges the entry's end from the facts. */
void st_settle_judge(const st_json *doc, const st_settle_facts *f, st_settle *out);
void st_settle_clear(st_settle *s);

/* Marks doc's "after" as completed by this later run: who, when, from what (`source`). */
void st_journal_completed_by(st_json *doc, const st_journal_who *who, time_t when,
                             const char *source);

/*
 * Sets doc's "after" to the judged end, with the chain as it became (taken), and
 * "completed_by": who completed it, when (a later run's), and from what.
 */
void st_journal_settle_end(st_json *doc, const st_settle *s, const st_journal_who *who, time_t when,
                           st_json *chains);

#endif
