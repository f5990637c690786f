/*
 * --doctor: the chain doctor's report, and with --fix its plan of safe fixes and a typed yes;
 * --orphans: the orphan finder's list, and with --fix the removal of what it offers.
 */
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

/* The same for --orphans: the files found, and with --fix the plan of their removal. */
int st_orphans_cli(const st_options *o, st_host *const *hosts, size_t n, bool hosts_failed);

/* Asks with `prompt` on standard output; true when the answer is "yes". Otherwise says that
 * nothing was changed. */
bool st_cli_typed_yes(const char *prompt);

#endif
