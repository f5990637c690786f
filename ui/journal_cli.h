/* --journal: the journal printed for scripts and audits. */
#ifndef ST_JOURNAL_CLI_H
#define ST_JOURNAL_CLI_H

#include "view/options.h"

/*
 * Prints the entries of the hosts given (-c, the config file; none: every host in the journal)
 * and of the domains named (none: all), newest first: as text, or as JSON lines with --json.
 * Returns the exit status: 1 when an entry could not be read (said on stderr), else 0.
 */
int st_journal_cli(const st_options *o);

#endif
