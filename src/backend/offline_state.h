/*
 * The record of an offline merge, shared by the interface that starts it and the detached helper
 * process that runs it (virt-snaptree --offline-job FILE): what to do, written once by the
 * interface, then how far it got, rewritten by the helper alone (atomically, by rename). Any
 * interface started later reads these records to show the job and how it ended, so the merge
 * and its follow-ups do not depend on the terminal that started them.
 */
#ifndef ST_OFFLINE_STATE_H
#define ST_OFFLINE_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/model.h"

/* What the helper is doing; kept as text in the file. */
#define ST_STEP_STARTING      "starting"
#define ST_STEP_CHECKING      "checking"      /* the chain read again, qemu-img check */
#define ST_STEP_COPYING       "copying"       /* qemu-img commit or rebase */
#define ST_STEP_REBASING      "rebasing"      /* rebase -u of the layer above the top */
#define ST_STEP_REDEFINING    "redefining"    /* the domain pointed at the base */
#define ST_STEP_REDEFINE_WAIT "redefine-wait" /* no connection of its own yet: see below */
#define ST_STEP_REMOVING      "removing"
#define ST_STEP_DONE          "done"

typedef struct st_offline_state {
    /* The job, as the interface planned it. */
    char *uri; /* the connection the interface used; the helper opens its own */
    char *domain, *uuid, *disk;
    bool pull;
    unsigned flags;          /* ST_F_* of the request */
    unsigned long bandwidth; /* MiB/s, 0 = unlimited */
    st_layer *chain;         /* path, format, virtual_size, allocation; active layer first */
    size_t n_chain;
    size_t top, base; /* chain indices; base == n_chain for a pull without base */
    char **remove;    /* files to remove at the end (the admin asked) */
    size_t n_remove;
    uint64_t unit; /* the bytes qemu-img's 100% stands for */
    /* How far it got, written by the helper. */
    long pid;                     /* the helper */
    unsigned long long pid_start; /* its start time (/proc/PID/stat), against pid reuse */
    char *step;
    st_job_phase phase; /* RUNNING, COMPLETED or FAILED */
    double pct;
    double started, updated, ended; /* wall clock (seconds since the epoch); 0 = not yet */
    char *error;
} st_offline_state;

/*
 * The folder of the records: $XDG_RUNTIME_DIR/virt-snaptree/jobs, else /run/virt-snaptree/jobs
 * for root, else /tmp/virt-snaptree-UID/jobs; created 0700. NULL (and *err) when it cannot be.
 */
char *st_offline_dir(char **err);

int st_offline_state_write(const char *path, const st_offline_state *s, char **err);
int st_offline_state_read(const char *path, st_offline_state *s, char **err);
void st_offline_state_clear(st_offline_state *s);

/*
 * Calls fn for each readable record in the folder of the records; fn returns true when it keeps
 * the state (to clear it itself), false to have it cleared.
 */
void st_offline_each(bool (*fn)(const char *record, st_offline_state *s, void *ctx), void *ctx);

/* Seconds since the epoch: records outlive the process (and its monotonic clock's meaning). */
double st_wall_now(void);

/* Whether the helper that wrote the record is still running. */
bool st_offline_helper_alive(const st_offline_state *s);
/* The start time of process pid as /proc shows it, 0 when it does not exist. */
unsigned long long st_proc_start(long pid);

#endif
