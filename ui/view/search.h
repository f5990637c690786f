/* Incremental search over node names, including nodes inside collapsed branches. */
#ifndef ST_SEARCH_H
#define ST_SEARCH_H

#include <stdbool.h>

#include "view/app.h"

void st_search_start(st_app *a);
/* A key of the search prompt: its request in ST_CTX_SEARCH, or ST_KEY_NONE and a character. */
void st_search_key(st_app *a, st_keyreq req, int key, bool is_code);
/* n / N: the next or previous match of the last search, wrapping around. */
void st_search_next(st_app *a, int dir);

#endif
