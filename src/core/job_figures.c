#include "config.h"

#include "core/job_figures.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "base/i18n.h"
#include "base/util.h"

double st_job_fraction(const st_job *j)
{
    if (j->phase == ST_PHASE_COMPLETED || j->phase == ST_PHASE_READY)
        return 1;
    double f = j->end ? (double)j->cur / j->end : 0;
    if (!st_job_phase_final(j->phase) && f > 0.99)
        f = 0.99;
    return f < 0 ? 0 : f > 1 ? 1 : f;
}

void st_job_percent(const st_job *j, char *out, size_t n)
{
    if (j->end)
        snprintf(out, n, "%3.0f%%", 100 * st_job_fraction(j));
    else
        snprintf(out, n, "%s", j->phase == ST_PHASE_COMPLETED ? _("done") : "");
}

void st_fmt_duration(char *out, size_t n, double s)
{
    if (s < 0 || !isfinite(s)) {
        snprintf(out, n, "--:--");
        return;
    }
    long t = (long)(s + 0.5);
    if (t >= 3600)
        snprintf(out, n, "%ld:%02ld:%02ld", t / 3600, t / 60 % 60, t % 60);
    else
        snprintf(out, n, "%ld:%02ld", t / 60, t % 60);
}

/* Jobs whose cur and end count the disk's whole virtual span: QEMU's commit below the active
 * layer and its pull (stream) walk every cluster. An active commit or a copy (a mirror) counts
 * the data it copies. */
static bool counts_virtual(st_job_kind k)
{
    return k == ST_JOB_COMMIT || k == ST_JOB_PULL;
}

/* "15.0 MiB/128 MiB virtual, ~41.3 MiB data"; only the total when `total_only`. */
static void fmt_amounts(const st_job *j, bool total_only, char *out, size_t n)
{
    char cur[32], end[32], data[32];
    st_fmt_bytes(cur, sizeof(cur), j->cur);
    st_fmt_bytes(end, sizeof(end), j->end);
    st_fmt_bytes(data, sizeof(data), j->data);
    char amount[80];
    if (total_only)
        snprintf(amount, sizeof(amount), "%s", end);
    else
        snprintf(amount, sizeof(amount), "%s/%s", cur, end);
    if (!counts_virtual(j->kind))
        snprintf(out, n, "%s", amount);
    else if (j->data)
        snprintf(out, n, _("%s virtual, ~%s data"), amount, data);
    else
        snprintf(out, n, _("%s virtual"), amount);
}

/* How fast and how long yet, or why that is not said; "" while not known. */
static void fmt_pace(const st_pace *p, char *out, size_t n)
{
    char a[32], b[32];
    switch (p->state) {
    case ST_PACE_MOVING:
        st_fmt_bytes(a, sizeof(a), (uint64_t)p->rate);
        st_fmt_duration(b, sizeof(b), p->eta);
        snprintf(out, n, p->eta_at_most ? _("%s/s  ETA at most %s") : _("%s/s  ETA %s"), a, b);
        return;
    case ST_PACE_SKIPPING:
        snprintf(out, n, "%s", _("skipping unallocated space"));
        return;
    case ST_PACE_STALLED:
        st_fmt_duration(b, sizeof(b), p->still);
        snprintf(out, n, _("no progress for %s"), b);
        return;
    case ST_PACE_FINISHING:
        snprintf(out, n, "%s", _("finishing"));
        return;
    case ST_PACE_UNKNOWN:
        break;
    }
    out[0] = '\0';
}

/* A job that ended: done, or how far it got. Never a rate. */
static void fmt_ended(const st_job *j, char *out, size_t n)
{
    char amounts[128];
    if (!j->end) { /* it reported no progress: the phase says all */
        snprintf(out, n, "%s", j->phase == ST_PHASE_COMPLETED ? _("done") : "");
        return;
    }
    fmt_amounts(j, j->phase == ST_PHASE_COMPLETED, amounts, sizeof(amounts));
    if (j->phase == ST_PHASE_COMPLETED)
        snprintf(out, n, _("done: %s"), amounts);
    else
        snprintf(out, n, _("stopped at %.0f%%: %s"), 100 * st_job_fraction(j), amounts);
}

void st_job_figures(const st_job *j, double now, char *out, size_t n)
{
    if (st_job_phase_final(j->phase)) {
        fmt_ended(j, out, n);
        return;
    }
    if (!j->end) { /* a remote restore, a save that has not begun: say so, not a frozen 0% */
        char t[32];
        st_fmt_duration(t, sizeof(t), j->started > 0 ? now - j->started : -1);
        snprintf(out, n, _("%s so far, no progress reported"), t);
        return;
    }
    char pct[16], pace[96], amounts[128];
    st_job_percent(j, pct, sizeof(pct));
    /* Ready or pivoting: the copy is done; what it moved at no longer matters. */
    if (j->phase == ST_PHASE_RUNNING || j->phase == ST_PHASE_STARTING)
        fmt_pace(&j->pace, pace, sizeof(pace));
    else
        pace[0] = '\0';
    fmt_amounts(j, false, amounts, sizeof(amounts));
    snprintf(out, n, "%s  %s%s%s", pct, pace, pace[0] ? "  " : "", amounts);
}

void st_job_about(const st_job *j, const char *ended, char *out, size_t n)
{
    char where[256] = "";
    bool pull = j->kind == ST_JOB_PULL || j->kind == ST_JOB_OFFLINE_PULL;
    bool merge = pull || j->kind == ST_JOB_COMMIT || j->kind == ST_JOB_ACTIVE_COMMIT ||
                 j->kind == ST_JOB_OFFLINE_COMMIT;
    if (merge && j->base)
        snprintf(where, sizeof(where), pull ? _("above %s") : _("into %s"), st_basename(j->base));
    else if (pull && j->ours) /* a pull of ours without a base took the whole chain */
        snprintf(where, sizeof(where), "%s", _("the whole chain"));
    bool when = ended && st_job_phase_final(j->phase);
    if (when && where[0])
        snprintf(out, n, _("%s, ended %s"), where, ended);
    else if (when)
        snprintf(out, n, _("ended %s"), ended);
    else
        snprintf(out, n, "%s", where);
}
