/* Runs a queued request on its host's worker (long ones continue on a thread of their own). */
#ifndef ST_ACTIONS_H
#define ST_ACTIONS_H

#include <libvirt/libvirt.h>

#include "backend/mailbox.h"
#include "core/request.h"

struct st_worker;

void st_action_run(struct st_worker *w, int id, const st_request *req);

/* Looks up the domain request `id` names; when there is none, answers the request and returns
 * NULL. */
virDomainPtr st_action_lookup(struct st_worker *w, int id, const char *name);

#endif
