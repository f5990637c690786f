/* The interactive program. */
#ifndef ST_TUI_H
#define ST_TUI_H

#include "options.h"

/* Runs the curses interface until the admin quits or a signal ends it; returns the exit status. */
int st_tui_run(const st_options *o);

#endif
