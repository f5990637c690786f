/*
 * The journal's entries of the requests that change a host (core/journal.h says what an entry
 * holds): written before the request runs, from what libvirt and the image headers say then, and
 * completed when its result is posted.
 */
#ifndef ST_JOURNAL_RECORD_H
#define ST_JOURNAL_RECORD_H

#include <stdbool.h>

#include "core/json.h"
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

/* The chains of a domain's disks now, as an entry records them. */
st_json *st_journal_chains_now(struct st_worker *w, const char *domain);

/* Whether this process follows the entry at path (its request or its job runs). */
bool st_journal_tracked(const char *path);

/* An entry of a job an earlier run started and that still runs: completed (and marked as
 * completed by this run) when the job ends here. Takes doc. */
void st_journal_adopt(struct st_worker *w, st_json *doc, const char *path);

/*
 * At a host's first model in this run: completes the entries of merges whose job ended after
 * the run that started them did (core/journal_settle.h), and follows those whose job still runs
 * when `follow` (the interface).
 */
void st_journal_settle_host(struct st_worker *w, const st_host *h, bool follow);

#endif
