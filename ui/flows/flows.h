/* The guided flows behind the action keys: pick → plan → confirm → progress. */
#ifndef ST_FLOWS_H
#define ST_FLOWS_H

#include "view/app.h"

void st_flow_commit(st_app *a, const st_row *r);
void st_flow_pull(st_app *a, const st_row *r);
/* The commit plan of the compaction the chain doctor offers for the row's disk. */
void st_flow_compact(st_app *a, const st_row *r);
void st_flow_abort(st_app *a, const st_row *r);
void st_flow_bandwidth(st_app *a, const st_row *r);
void st_flow_pivot(st_app *a, const st_row *r);

void st_flow_snapshot(st_app *a, const st_row *r);
void st_flow_revert(st_app *a, const st_row *r);
void st_flow_delete(st_app *a, const st_row *r);
void st_flow_save(st_app *a, const st_row *r);
void st_flow_restore(st_app *a, const st_row *r);
void st_flow_managedsave_remove(st_app *a, const st_row *r);
/* The orphan finder's view of the selected row's host (orphans_ui.c). */
void st_flow_orphans(st_app *a, const st_row *r);

/*
 * Announces in the status line an active commit that became ready (called on job updates); P
 * then opens the choice (st_flow_pivot: the selected disk's ready job, else the oldest one).
 */
void st_flow_watch_jobs(st_app *a);

/* q: quits, unless this process still has follow-ups to run; then it asks first. */
void st_flow_quit(st_app *a);
/* Offers what earlier interfaces left undone (the models' follow-ups), when no dialog is open. */
void st_flow_offer_followups(st_app *a);

/* The job on the disk of row r (or on the domain's only running job), NULL when none. */
const st_job *st_row_job(const st_app *a, const st_row *r);

#endif
