/* The interactive program. */
#ifndef ST_TUI_H
#define ST_TUI_H

#include <stdbool.h>

#include "view/options.h"

/* Runs the curses interface until the admin quits or a signal ends it; returns the exit status. */
int st_tui_run(const st_options *o);

struct st_app;
/*
 * Handles one key exactly as the loop does (dialogs, search, the key map). For the benchmarks
 * (tests/bench/bench_ui.c), which drive the real key path on a model of their own.
 */
void st_tui_key(struct st_app *a, int key, bool is_code);
/* Takes a new model of host i (as a ST_MSG_HOST brings it); the rows are rebuilt before the next
 * draw (st_app_rebuild). The same entry for the benchmarks. */
struct st_host;
void st_tui_host_model(struct st_app *a, size_t i, struct st_host *h);

#endif
