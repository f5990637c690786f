#include "config.h"

#include "core/job_end.h"

#include <stdbool.h>
#include <string.h>

#include "base/i18n.h"
#include "base/util.h"

static bool holds(char *const *v, size_t n, const char *path)
{
    for (size_t i = 0; path && i < n; i++)
        if (streq0(v[i], path))
            return true;
    return false;
}

/* Layers only left: every layer now was there before, and fewer remain. */
static bool only_shrank(char *const *before, size_t nb, char *const *now, size_t nn)
{
    if (!nb || nn >= nb)
        return false;
    for (size_t i = 0; i < nn; i++)
        if (!holds(before, nb, now[i]))
            return false;
    return true;
}

static bool commit_done(const st_job *j, char *const *b, size_t nb, char *const *n, size_t nn)
{
    if (j->top)
        return !holds(n, nn, j->top) && (!j->base || holds(n, nn, j->base)) &&
               (!nb || !nn || streq0(n[0], b[0]));
    return nn && only_shrank(b, nb, n, nn) && streq0(n[0], b[0]);
}

static bool pull_done(const st_job *j, char *const *b, size_t nb, char *const *n, size_t nn)
{
    const char *active = j->top ? j->top : nb ? b[0] : NULL;
    if (!active || !nn || !streq0(n[0], active))
        return false;
    if (j->base)
        return nn >= 2 && streq0(n[1], j->base);
    if (j->ours)
        return nn == 1; /* a pull of ours without a base leaves the active layer standalone */
    return only_shrank(b, nb, n, nn); /* a found pull's base is not known: its layers left */
}

st_job_phase st_job_judge_end(const st_job *j, char *const *before, size_t n_before,
                              char *const *now, size_t n_now, const char **why)
{
    *why = NULL;
    switch (j->kind) {
    case ST_JOB_COMMIT:
        if (commit_done(j, before, n_before, now, n_now))
            return ST_PHASE_COMPLETED;
        break;
    case ST_JOB_PULL:
        if (pull_done(j, before, n_before, now, n_now))
            return ST_PHASE_COMPLETED;
        break;
    case ST_JOB_ACTIVE_COMMIT:
    case ST_JOB_COPY: {
        const char *top = j->top ? j->top : n_before ? before[0] : NULL;
        if (n_now && j->base && streq0(now[0], j->base))
            return ST_PHASE_COMPLETED; /* pivoted */
        if (n_now && top && streq0(now[0], top)) {
            *why = _("the job ended without a pivot: the disk stays on its top layer");
            return ST_PHASE_CANCELLED;
        }
        break;
    }
    default:
        break;
    }
    *why = _("the job ended without a report from libvirt, and the chain does not show it "
             "completed: how it ended is not known");
    return ST_PHASE_ENDED;
}
