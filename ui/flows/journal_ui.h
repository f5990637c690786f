/* The journal key: what was done to the selected domain (on a host row: to all its domains). */
#ifndef ST_JOURNAL_UI_H
#define ST_JOURNAL_UI_H

#include "view/app.h"

/* Opens the journal of row r's domain, or of its host's domains on a host row; newest first. */
void st_flow_journal(st_app *a, const st_row *r);

#endif
