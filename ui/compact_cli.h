/*
 * --doctor --fix's compaction of a chain deeper than the limit: the commit plan the interface's
 * F opens, made by the same planner with the host's facts, printed in the doctor's plan before
 * the typed yes, then run and followed until its job ends.
 */
#ifndef ST_COMPACT_CLI_H
#define ST_COMPACT_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "backend/backend.h"
#include "core/doctor.h"
#include "core/mergeplan.h"

/*
 * Waits up to ms milliseconds for the message `take` accepts (it may take what it needs out of
 * it); the others are dropped, as nothing draws them. False on timeout.
 */
bool st_cli_wait(st_backend *b, int ms, bool (*take)(st_msg *m, void *ctx), void *ctx);

/* The index of the host named `name` among hosts; SIZE_MAX: none. */
size_t st_cli_host_of(st_host *const *hosts, size_t n, const char *name);

/* The plan of the compaction x offers (x->fix == ST_FIX_COMPACT); NULL and *err when no plan can
 * be made (the host does not answer, the chain changed). hosts[*host] is the disk's host. */
st_plan *st_compact_cli_plan(const st_finding *x, st_backend *b, st_host *const *hosts, size_t n,
                             size_t *host, char **err);

/* The plan's text under the fix's line, indented; also what the journal records. */
char *st_compact_cli_text(const st_plan *p);

/* That text on standard output, each name in it made safe for the terminal. */
void st_compact_cli_put(const st_plan *p, bool utf8);

/* Runs the plan on hosts[host] and waits until its job ends: 0, or -1 and *err. */
int st_compact_cli_run(const st_plan *p, size_t host, st_backend *b, char **err);

#endif
