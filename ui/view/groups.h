/*
 * Groups of hosts, named in the configuration file ("group=NAME"): the tree shows one group's
 * hosts, or every host. The hosts outside the group keep their connections and models; only
 * their rows are left out.
 */
#ifndef ST_GROUPS_H
#define ST_GROUPS_H

#include "view/app.h"

/* Sets up the filter, showing --group's hosts when it was given, else every host. */
void st_groups_init(st_app *a);
/* The next group in the configuration file's order; after the last, every host again. */
void st_groups_next(st_app *a);
/* Host i's group, NULL: none (a host from -c, or a config line without one). */
const char *st_host_group(const st_app *a, size_t i);
void st_groups_free(st_app *a);

#endif
