/*
 * The journal's entries of the requests that change a host (core/journal.h says what an entry
 * holds): written before the request runs, from what libvirt and the image headers say then, and
 * completed when its result is posted.
 */
#ifndef ST_JOURNAL_RECORD_H
#define ST_JOURNAL_RECORD_H

#include <stdbool.h>

#include "core/model.h"
#include "core/request.h"

struct st_worker;

/*
 * Before request `id` runs: writes its entry. False, with the refusal posted as its result, when
 * the entry cannot be written and the request does not carry ST_F_NO_JOURNAL (the admin's choice
 * on the plan to go on without one); job control goes on without its entry then. True at once
 * for requests that change nothing.
 */
bool st_journal_before(struct st_worker *w, int id, const st_request *req);

/*
 * Request `id` has its result: completes its entry, if it has one. A merge's result says that its
 * job started: its entry says so until the job ends (st_journal_job_end).
 */
void st_journal_after(struct st_worker *w, int id, bool ok, const char *text);

/* A job of ours ended: completes the entry of the merge that started it, if there is one. */
void st_journal_job_end(struct st_worker *w, const st_job *j);

#endif
