/*
 * Active commits that reached READY and wait for the admin's choice (pivot or keep): found here
 * for the status line's notice and for P, which opens the choice.
 */
#ifndef ST_READY_H
#define ST_READY_H

#include <stdbool.h>
#include <stddef.h>

#include "view/app.h"

/* True for an active commit in READY: it waits for pivot or keep. */
bool st_job_waits_for_choice(const st_job *j);
/* The first ready active commit of any host (the oldest: lowest id) and *host; *count of them. */
const st_job *st_first_ready_job(const st_app *a, size_t *host, size_t *count);
/* "vda of test2 ready: P to pivot/keep" while a ready job waits for a choice, else NULL. */
char *st_ready_notice(const st_app *a);

#endif
