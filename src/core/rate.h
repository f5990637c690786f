/*
 * How fast a job moves, judged from the progress figures its polls return (cur of end, with the
 * time each was read). A rate and an ETA are given only once they mean something: over a window
 * of enough samples of a job that is moving. Pure: no libvirt, no clock (times are passed in).
 *
 * What the figures hide, and how each is met:
 * - QEMU's block jobs count the disk's whole virtual span and pass over unallocated parts at
 *   once, so cur leaps ahead between two polls while little data moved. A leap far beyond the
 *   job's pace (or beyond its bandwidth limit) is left out of the rate, and the ETA computed
 *   without it is then an upper bound (the rest may hold more such parts). A job seen only
 *   leaping has no rate at all: it is skipping unallocated space.
 * - Progress comes in chunks coarser than the polls: the rate is taken over the whole window,
 *   never from two neighbouring samples.
 * - A job that stopped moving has no rate: it says how long it has not moved.
 * - cur going back is a new run (a job restarted, a worker that reconnected to a job it knew):
 *   the window starts again. So does a gap longer than the window (polls that could not run).
 * - Where the data the job copies is known to be at most `data` bytes (its plan counted them),
 *   no ETA is longer than that much at the job's rate.
 */
#ifndef ST_RATE_H
#define ST_RATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* At least this many samples over at least this many seconds before a rate is given. */
#define ST_RATE_MIN_SAMPLES 3
#define ST_RATE_MIN_SPAN    2.0
/* The window the rate is taken over. */
#define ST_RATE_WINDOW 10.0
/* cur unchanged this long: the job does not move (no rate). */
#define ST_RATE_STALL       3.0
#define ST_RATE_MAX_SAMPLES 64

typedef enum {
    ST_PACE_UNKNOWN = 0, /* too few samples yet, or no progress figures at all */
    ST_PACE_MOVING,      /* rate and eta are known */
    ST_PACE_SKIPPING,    /* cur leaps over unallocated space: no data rate to give */
    ST_PACE_STALLED,     /* cur has not moved for `still` seconds */
    ST_PACE_FINISHING,   /* cur reached end, the job has not ended (for `still` seconds) */
} st_pace_state;

typedef struct st_pace {
    st_pace_state state;
    double rate;      /* bytes per second (MOVING) */
    double eta;       /* seconds (MOVING) */
    bool eta_at_most; /* leaps over unallocated space were left out: the rest may go faster */
    double still;     /* STALLED, FINISHING: seconds since cur last moved */
} st_pace;

typedef struct st_rate_sample {
    double t;
    uint64_t cur;
} st_rate_sample;

typedef struct st_rate {
    st_rate_sample s[ST_RATE_MAX_SAMPLES]; /* oldest first, within ST_RATE_WINDOW of the last */
    size_t n;
    uint64_t end;
    double limit;    /* bytes per second the job may move at most; 0: no limit known */
    uint64_t data;   /* at most this much data is copied in all (a plan's figure); 0: unknown */
    double moved_at; /* when cur last changed (or was first seen) */
} st_rate;

void st_rate_init(st_rate *r);
/* A poll's figures at time t (seconds, monotonic); limit: the job's bandwidth in bytes/s or 0. */
void st_rate_add(st_rate *r, double t, uint64_t cur, uint64_t end, double limit);
/* What can be said of the job's pace at time `now` (no earlier than the last sample). */
st_pace st_rate_pace(const st_rate *r, double now);

#endif
