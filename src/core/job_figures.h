/*
 * What a job's line says of its progress: the percent its bars show, and the figures beside them
 * (how far, how fast, how long yet), said only where they mean something. Pure: the interface
 * draws these strings, the unit tests read them.
 */
#ifndef ST_JOB_FIGURES_H
#define ST_JOB_FIGURES_H

#include <stddef.h>

#include "core/model.h"

/*
 * How far a job is, 0 to 1, as every bar shows it. Never 1 before the job really ended (virsh
 * caps it the same way); a job that failed keeps how far it got.
 */
double st_job_fraction(const st_job *j);

/* The percent as a job's short form shows it ("45%"); "done" for a completed job that reported
 * no progress (a snapshot, a revert: there is no fake 100%); "" for others without progress. */
void st_job_percent(const st_job *j, char *out, size_t n);

/*
 * The figures beside the bar, for a job seen at `now` (st_now()):
 *   "12%  1.00 MiB/s  ETA 1:53  15.0 MiB/128 MiB virtual, ~41.3 MiB data"
 * The rate and ETA only once the job's pace is known ("ETA at most" when the rest may go
 * faster), "no progress for 0:05" when it does not move, "skipping unallocated space",
 * "finishing"; a job that ended says "done" or how far it got, never a rate. Block jobs count
 * the disk's virtual span, which the figures say ("virtual"), with the plan's data when known.
 */
void st_job_figures(const st_job *j, double now, char *out, size_t n);

/*
 * What tells a job from another on the same disk: where it merges ("into base.qcow2", "above
 * mid.qcow2", "the whole chain") when known, and, for a job that ended, the clock time `ended`
 * (preformatted; NULL: not said): "above mid.qcow2, ended 14:05:09". "" when nothing is known.
 */
void st_job_about(const st_job *j, const char *ended, char *out, size_t n);

/* "1:05", "1:02:03"; "--:--" when s < 0. */
void st_fmt_duration(char *out, size_t n, double s);

#endif
