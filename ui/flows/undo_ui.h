/*
 * Undo from the journal view: the plan of giving an entry back (core/journal_undo.h), made from
 * the model and the image headers on this machine, with the typed yes; the host checks it again
 * before anything is defined.
 */
#ifndef ST_UNDO_UI_H
#define ST_UNDO_UI_H

#include "core/journal_store.h"
#include "core/journal_undo.h"
#include "view/app.h"

/* Opens the undo plan of entry f of host `host`. */
void st_undo_open(st_app *a, size_t host, const st_journal_file *f);

/* The undo plan of entry doc as the interface sees it now (st_undo_plan_free). */
st_undo_plan *st_undo_plan_here(st_app *a, size_t host, const st_json *doc);

#endif
