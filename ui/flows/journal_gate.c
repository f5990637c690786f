#include "config.h"

#include "flows/journal_gate.h"

#include <curses.h>
#include <stdlib.h>
#include <string.h>

#include "base/i18n.h"
#include "base/util.h"
#include "core/journal_store.h"
#include "core/snapplan.h"

void st_journal_gate_check(st_journal_gate *g)
{
    free(g->why);
    g->why = NULL;
    char *root = st_journal_root();
    st_journal_check(root, &g->why);
    free(root);
}

void st_journal_gate_free(st_journal_gate *g)
{
    free(g->why);
    g->why = NULL;
}

bool st_journal_gate_hazard(const st_journal_gate *g, st_hazard **hazards, size_t *n)
{
    if (!g->why)
        return false;
    *hazards = xrealloc(*hazards, (*n + 1) * sizeof(st_hazard));
    st_hazard *h = &(*hazards)[(*n)++];
    if (g->skip) {
        h->level = ST_HAZ_WARN;
        h->text = xasprintf(_("no journal: this action will not be recorded (%s)"), g->why);
        return false;
    }
    h->level = ST_HAZ_REFUSE;
    h->text = xasprintf(_("the journal cannot be written, so this action could not be recorded "
                          "or undone: %s. Make room for it, or choose option %c to go on "
                          "without a journal."),
                        g->why, ST_JOURNAL_GATE_KEY);
    return true;
}

void st_journal_gate_not_undoable(st_hazard **hazards, size_t *n, st_req_kind kind, time_t when)
{
    char *stamp = st_snap_default_name(when);
    *hazards = xrealloc(*hazards, (*n + 1) * sizeof(st_hazard));
    memmove(*hazards + 1, *hazards, *n * sizeof(st_hazard));
    (*n)++;
    (*hazards)[0].level = ST_HAZ_WARN;
    (*hazards)[0].text =
        xasprintf(kind == ST_REQ_PULL
                      ? _("Not undoable: the journal records this pull but cannot give it back, "
                          "since its data moves into another image. For a way back, take a "
                          "snapshot first (s), such as before-pull-%s.")
                      : _("Not undoable: the journal records this commit but cannot give it "
                          "back, since its data moves into another image. For a way back, take "
                          "a snapshot first (s), such as before-commit-%s."),
                  stamp);
    free(stamp);
}

void st_journal_gate_option(const st_journal_gate *g, st_textbuf *tb, bool heading)
{
    if (!g->why)
        return;
    if (heading)
        st_tb_add(tb, A_BOLD, 0, "%s", _("Options (press the number to change):"));
    st_tb_add(tb, A_NORMAL, 2, _("%c  go on without a journal: %s"), ST_JOURNAL_GATE_KEY,
              g->skip ? _("yes") : _("no"));
}

bool st_journal_gate_key(st_journal_gate *g, int key)
{
    if (key != ST_JOURNAL_GATE_KEY || !g->why)
        return false;
    g->skip = !g->skip;
    return true;
}

void st_journal_gate_request(const st_journal_gate *g, const st_textbuf *tb, st_request *req)
{
    if (g->why && g->skip)
        req->flags |= ST_F_NO_JOURNAL;
    strbuf b;
    sb_init(&b);
    for (size_t i = 0; i < tb->n; i++) {
        for (int k = 0; k < tb->lines[i].indent; k++)
            sb_addc(&b, ' ');
        sb_add(&b, tb->lines[i].text);
        sb_addc(&b, '\n');
    }
    free(req->plan);
    req->plan = sb_steal(&b);
}
