/* Runs a queued request on its host's worker (long ones continue on a thread of their own). */
#ifndef ST_ACTIONS_H
#define ST_ACTIONS_H

#include "core/request.h"

struct st_worker;

void st_action_run(struct st_worker *w, int id, const st_request *req);

/* Posts the result of request `id`. */
void st_action_result(struct st_worker *w, int id, bool ok, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif
