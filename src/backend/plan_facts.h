/* The facts a plan needs that only the host knows (plan_facts.c). */
#ifndef ST_PLAN_FACTS_H
#define ST_PLAN_FACTS_H

#include "backend/host.h"

/* Answers a FACTS request with a PLAN message. */
void st_plan_facts(st_worker *w, int id, const st_request *req);
/* The room at s->path: on this machine a block device's, or the free space of the file system
 * that holds it; on a remote host the storage pool that holds `file` (s->why says why it is not
 * known). */
void st_space_read(st_worker *w, st_space *s, const char *file);
/* What the header of the save file `path` holds: its domain's name and disks (left NULL when the
 * file cannot be read). */
void st_saved_facts(st_worker *w, const char *path, st_facts *f);

#endif
