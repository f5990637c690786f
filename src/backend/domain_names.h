/*
 * The names of the domains of some hosts, for shell completion: read-only, in a child process
 * that cannot reach the terminal, and bounded in time, so that a TAB never hangs the shell on a
 * host that does not answer or an SSH login that would prompt.
 */
#ifndef ST_DOMAIN_NAMES_H
#define ST_DOMAIN_NAMES_H

#include <stddef.h>

/*
 * Calls emit(name, data) for every domain name the hosts gave within timeout_ms (all hosts
 * together; what came before the deadline is kept). Names holding a control character are left
 * out: they cannot be typed back on a command line. Returns the number of names passed on.
 */
size_t st_domain_names(const char *const *uris, size_t n_uris, int timeout_ms,
                       void (*emit)(const char *name, void *data), void *data);

#endif
