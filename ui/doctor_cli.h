/* --doctor: the chain doctor's report, and with --fix its plan of safe fixes and a typed yes. */
#ifndef ST_DOCTOR_CLI_H
#define ST_DOCTOR_CLI_H

#include <stddef.h>

#include "backend/backend.h"
#include "view/options.h"

/*
 * Checks the hosts' chains, prints the findings and, with --fix, offers the fixes. `b` carries
 * the metadata deletions (NULL: none can be made). Returns the exit status: 0 healthy, 1
 * warnings, 2 errors (or a host that could not be checked: `hosts_failed`), counting only what
 * a fix did not mend.
 */
int st_doctor_cli(const st_options *o, st_backend *b, st_host *const *hosts, size_t n,
                  bool hosts_failed);

#endif
