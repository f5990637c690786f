/*
 * The journal on plan screens: whether an entry can be written now (the folder exists or can be
 * made, is writable, has room), said on the plan before anything runs. When it cannot, the plan
 * is refused unless the admin chooses, with an option of the plan, to go on without a journal.
 */
#ifndef ST_JOURNAL_GATE_H
#define ST_JOURNAL_GATE_H

#include <stdbool.h>
#include <time.h>

#include "core/mergeplan.h"
#include "view/widgets.h"

/* The option's key on every plan screen. */
#define ST_JOURNAL_GATE_KEY '9'

typedef struct st_journal_gate {
    char *why; /* why no entry can be written now; NULL: it can */
    bool skip; /* the admin chose to go on without one */
} st_journal_gate;

/* Looks at the journal's folder again (each time the plan is made again). */
void st_journal_gate_check(st_journal_gate *g);
void st_journal_gate_free(st_journal_gate *g);

/*
 * Adds what the plan must say about the journal to its hazards: a refusal while no entry can be
 * written and the admin did not choose to go on, a warning once they did. True when it refuses.
 */
bool st_journal_gate_hazard(const st_journal_gate *g, st_hazard **hazards, size_t *n);

/*
 * A merge's plan says before the typed yes that the journal cannot give it back, and names a
 * snapshot the admin could take first, named from `when` (the plan's opening: a name that
 * changed with each remake would change the plan's text, and clear what was typed). Its hazard
 * goes first: the plan's own end stays last.
 */
void st_journal_gate_not_undoable(st_hazard **hazards, size_t *n, st_req_kind kind, time_t when);

/* The option's line (under a heading of its own when `heading`); nothing while not needed. */
void st_journal_gate_option(const st_journal_gate *g, st_textbuf *tb, bool heading);

/* The option's key: true when it was the gate's (the choice is toggled). */
bool st_journal_gate_key(st_journal_gate *g, int key);

/* What a submitted request carries: the flag, and the plan as shown (the text of tb). */
void st_journal_gate_request(const st_journal_gate *g, const st_textbuf *tb, st_request *req);

#endif
