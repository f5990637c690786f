/*
 * How a block job ended when no event said so (events lost over a reconnect, or a job found at
 * start): judged from the disk's chain afterwards. Only a chain that changed the way the job
 * changes it counts as completion; pure functions, unit-tested.
 */
#ifndef ST_JOB_END_H
#define ST_JOB_END_H

#include <stddef.h>

#include "core/model.h"

/*
 * The phase a vanished job ended in: COMPLETED when `now` (the disk's chain, active layer first)
 * shows the job's work done; CANCELLED for an active commit or copy whose disk stayed on its top
 * (aborted without pivot: nothing lost); ENDED otherwise (neither its success nor a failure is
 * known), with *why set to a translated reason (not to be freed). `before` is the chain when the
 * job was first seen (may be empty); the job's top and base are used when known.
 */
st_job_phase st_job_judge_end(const st_job *j, char *const *before, size_t n_before,
                              char *const *now, size_t n_now, const char **why);

#endif
