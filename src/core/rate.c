#include "config.h"

#include "core/rate.h"

#include <string.h>

/*
 * Without a limit, an interval that moved at least JUMP_MIN bytes at over JUMP_FACTOR times the
 * job's typical pace leapt over unallocated space. (Progress comes in chunks of at most a few
 * MiB at a time: smaller steps are the job's own granularity, not leaps.)
 */
#define JUMP_MIN    (16.0 * 1048576)
#define JUMP_FACTOR 8.0
/* No block job copies data this fast: a job that seems to is passing over unallocated space. */
#define RATE_CEILING (4.0 * 1073741824)
/* Over a limit by more than a chunk's worth: the excess was skipped, not copied. */
#define OVER_LIMIT 1.25

void st_rate_init(st_rate *r)
{
    memset(r, 0, sizeof(*r));
}

static void restart(st_rate *r, double t, uint64_t cur)
{
    r->n = 1;
    r->s[0] = (st_rate_sample){t, cur};
    r->moved_at = t;
}

void st_rate_add(st_rate *r, double t, uint64_t cur, uint64_t end, double limit)
{
    r->end = end;
    r->limit = limit > 0 ? limit : 0;
    const st_rate_sample *last = r->n ? &r->s[r->n - 1] : NULL;
    if (!last || cur < last->cur || t - last->t > ST_RATE_WINDOW) {
        restart(r, t, cur);
        return;
    }
    if (t <= last->t) /* the same moment (or a clock that went back): nothing to learn */
        return;
    if (cur != last->cur)
        r->moved_at = t;
    /* Samples older than the window go; the oldest goes when the window is full anyway. */
    size_t drop = 0;
    while (drop < r->n && t - r->s[drop].t > ST_RATE_WINDOW)
        drop++;
    if (r->n - drop == ST_RATE_MAX_SAMPLES)
        drop++;
    memmove(r->s, r->s + drop, (r->n - drop) * sizeof(r->s[0]));
    r->n -= drop;
    r->s[r->n++] = (st_rate_sample){t, cur};
}

typedef struct interval {
    double dt, rate;
    uint64_t bytes;
} interval;

/* The rate that half the window's time moved at or below (robust against a few leaps). */
static double median_rate(const interval *v, size_t n, double span)
{
    interval sorted[ST_RATE_MAX_SAMPLES];
    memcpy(sorted, v, n * sizeof(*v));
    for (size_t i = 1; i < n; i++)
        for (size_t j = i; j > 0 && sorted[j - 1].rate > sorted[j].rate; j--) {
            interval tmp = sorted[j];
            sorted[j] = sorted[j - 1];
            sorted[j - 1] = tmp;
        }
    double t = 0;
    for (size_t i = 0; i < n; i++) {
        t += sorted[i].dt;
        if (t >= span / 2)
            return sorted[i].rate;
    }
    return n ? sorted[n - 1].rate : 0;
}

/*
 * The window's data rate without a limit: its leaps left out. Returns 0 when only leaps moved
 * it; *leapt says whether any was left out.
 */
static double data_rate(const st_rate *r, bool *leapt)
{
    interval v[ST_RATE_MAX_SAMPLES];
    size_t n = 0;
    for (size_t i = 1; i < r->n; i++) {
        double dt = r->s[i].t - r->s[i - 1].t;
        uint64_t b = r->s[i].cur - r->s[i - 1].cur;
        v[n++] = (interval){dt, b / dt, b};
    }
    double span = r->s[r->n - 1].t - r->s[0].t;
    double typical = median_rate(v, n, span);
    double bytes = 0, time = 0;
    *leapt = false;
    for (size_t i = 0; i < n; i++) {
        bool leap = (v[i].bytes >= JUMP_MIN && v[i].rate > JUMP_FACTOR * typical) ||
                    v[i].rate > RATE_CEILING;
        *leapt = *leapt || leap;
        if (!leap) {
            bytes += (double)v[i].bytes;
            time += v[i].dt;
        }
    }
    /* What is left must still span enough time to say anything. */
    return bytes > 0 && time >= ST_RATE_MIN_SPAN / 2 ? bytes / time : 0;
}

st_pace st_rate_pace(const st_rate *r, double now)
{
    st_pace p;
    memset(&p, 0, sizeof(p));
    if (!r->n || !r->end)
        return p;
    const st_rate_sample *first = &r->s[0], *last = &r->s[r->n - 1];
    double still = now > r->moved_at ? now - r->moved_at : 0;
    if (last->cur >= r->end) {
        p.state = ST_PACE_FINISHING;
        p.still = still;
        return p;
    }
    uint64_t moved = last->cur - first->cur;
    if (still >= ST_RATE_STALL || (!moved && last->t - first->t >= ST_RATE_MIN_SPAN)) {
        p.state = ST_PACE_STALLED;
        p.still = still;
        return p;
    }
    if (r->n < ST_RATE_MIN_SAMPLES || last->t - first->t < ST_RATE_MIN_SPAN)
        return p;
    double avg = moved / (last->t - first->t);
    if (r->limit > 0) {
        /* Data moves at most at the limit: what went faster was skipped (or came in a burst
         * that the window's average already smooths). */
        p.rate = avg > r->limit ? r->limit : avg;
        p.eta_at_most = avg > r->limit * OVER_LIMIT;
    } else {
        p.rate = data_rate(r, &p.eta_at_most);
        if (!p.rate) {
            p.state = ST_PACE_SKIPPING;
            return p;
        }
    }
    p.state = ST_PACE_MOVING;
    p.eta = (r->end - last->cur) / p.rate;
    if (r->data && p.eta > r->data / p.rate) { /* the rest of the span cannot hold more */
        p.eta = r->data / p.rate;
        p.eta_at_most = true;
    }
    return p;
}
