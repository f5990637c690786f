/* The guided flows behind the action keys: pick → plan → confirm → progress. */
#ifndef ST_FLOWS_H
#define ST_FLOWS_H

#include "app.h"

void st_flow_commit(st_app *a, const st_row *r);
void st_flow_pull(st_app *a, const st_row *r);
void st_flow_abort(st_app *a, const st_row *r);
void st_flow_bandwidth(st_app *a, const st_row *r);
void st_flow_pivot(st_app *a, const st_row *r);

void st_flow_snapshot(st_app *a, const st_row *r);
void st_flow_revert(st_app *a, const st_row *r);
void st_flow_delete(st_app *a, const st_row *r);
void st_flow_save(st_app *a, const st_row *r);
void st_flow_restore(st_app *a, const st_row *r);
void st_flow_managedsave_remove(st_app *a, const st_row *r);

/* Offers pivot/keep when one of our active commits became ready (called on job updates). */
void st_flow_watch_jobs(st_app *a);

/* The job on the disk of row r (or on the domain's only running job), NULL when none. */
const st_job *st_row_job(const st_app *a, const st_row *r);

#endif
