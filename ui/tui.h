/* The interactive program. */
#ifndef ST_TUI_H
#define ST_TUI_H

#include <stdbool.h>

#include "options.h"

/* Runs the curses interface until the admin quits or a signal ends it; returns the exit status. */
int st_tui_run(const st_options *o);

struct st_app;
/*
 * Handles one key exactly as the loop does (dialogs, search, the key map). For the benchmarks
 * (tests/bench/bench_ui.c), which drive the real key path on a model of their own.
 */
void st_tui_key(struct st_app *a, int key, bool is_code);

#endif
