#include "config.h"

#include "flows/undo_ui.h"

#include <curses.h>
#include <stdlib.h>
#include <string.h>

#include "base/i18n.h"
#include "base/util.h"
#include "core/journal.h"
#include "flows/journal_gate.h"
#include "view/widgets.h"

typedef struct undo_dlg {
    size_t host;
    char *path, *domain, *head;
    st_json *doc;
    st_undo_plan *plan;
    st_journal_gate journal;
    bool refused;
    st_confirm confirm;
} undo_dlg;

typedef struct here_ctx {
    const st_host *h;
    const st_domain *d;
} here_ctx;

static bool model_has_snap(const char *name, void *p)
{
    here_ctx *c = p;
    return c->d && st_domain_find_snapshot(c->d, name) != NULL;
}

/* Images are read where they are: on this machine; a remote host checks them itself. */
static char *local_sum(const char *path, bool *missing, void *p)
{
    here_ctx *c = p;
    return st_journal_header_sum_now(path, c->h->local, missing);
}

static st_json *local_identity(const char *path, void *p)
{
    here_ctx *c = p;
    return st_journal_identity_now(path, c->h->local);
}

st_undo_plan *st_undo_plan_here(st_app *a, size_t host, const st_json *doc)
{
    here_ctx c = {a->hosts[host], NULL};
    if (c.h)
        c.d = st_host_find_domain(c.h, st_json_get_str(doc, "domain"));
    st_undo_host uh = {model_has_snap, NULL, c.h ? local_sum : NULL, &c,
                       c.h ? local_identity : NULL};
    bool running = c.d && c.d->state != ST_DOM_SHUTOFF;
    return st_undo_plan_make(doc, running, &uh);
}

static void plan_text(st_app *a, const undo_dlg *u, st_textbuf *tb)
{
    st_tb_add(tb, A_BOLD, 0, "%s", _("The entry:"));
    st_tb_add(tb, A_NORMAL, 2, "%s", u->head);
    if (u->plan->why) {
        st_tb_add(tb, st_attr(a, PAIR_ERROR, A_BOLD), 0, _("%s: %s"),
                  u->plan->stale ? _("STALE") : _("NOT UNDOABLE"), u->plan->why);
        return;
    }
    st_tb_add(tb, A_BOLD, 0, "%s", _("What will run:"));
    for (size_t i = 0; i < u->plan->n_steps; i++)
        st_tb_add(tb, A_NORMAL, 2, "%s", u->plan->steps[i]);
    st_tb_add(tb, A_NORMAL, 0, "%s",
              _("Note: the host checks the entry again right before anything is defined."));
    st_hazard *hz = NULL;
    size_t n = 0;
    st_journal_gate_hazard(&u->journal, &hz, &n);
    for (size_t i = 0; i < n; i++) {
        st_tb_add(tb, st_attr(a, PAIR_ERROR, A_BOLD), 0, "%s", hz[i].text);
        free(hz[i].text);
    }
    free(hz);
    st_journal_gate_option(&u->journal, tb, true);
}

static void replan(st_app *a, undo_dlg *u)
{
    st_undo_plan_free(u->plan);
    u->plan = st_undo_plan_here(a, u->host, u->doc);
    st_journal_gate_check(&u->journal);
    u->refused = u->plan->why || (u->journal.why && !u->journal.skip);
    st_textbuf tb = {0};
    plan_text(a, u, &tb);
    st_confirm_plan(&u->confirm, &tb);
    st_tb_clear(&tb);
}

static void undo_draw(st_app *a, st_dialog *d)
{
    undo_dlg *u = d->data;
    int y, x, h, w;
    st_dialog_box(a, 100, a->lines, &y, &x, &h, &w);
    char *title = xasprintf(_(" Undo %s of %s "), st_json_get_str(u->doc, "action"), u->domain);
    st_frame(a, y, x, h, w, title);
    free(title);
    st_textbuf tb = {0};
    plan_text(a, u, &tb);
    u->confirm.refused_foot =
        u->plan->why ? _("This entry cannot be given back (see above): Esc goes back.") : NULL;
    st_confirm_draw(a, &u->confirm, &tb, u->refused, y, x, h, w);
    st_tb_clear(&tb);
}

static void submit(st_app *a, undo_dlg *u)
{
    st_request req = {0};
    req.kind = ST_REQ_UNDO;
    req.domain = u->domain;
    req.path = u->path;
    st_textbuf tb = {0};
    plan_text(a, u, &tb);
    st_journal_gate_request(&u->journal, &tb, &req);
    st_tb_clear(&tb);
    int id = st_backend_submit(a->b, u->host, &req);
    free(req.plan);
    st_app_status(a, false, _("%s: undoing…"), u->domain);
    a->status_request = id;
}

static bool undo_key(st_app *a, st_dialog *d, st_keyreq req, int key, bool is_code)
{
    undo_dlg *u = d->data;
    (void)is_code;
    if (req == ST_KEY_CANCEL)
        return true;
    switch (st_confirm_key(a, &u->confirm, u->refused, req, key)) {
    case ST_CONFIRM_YES:
        submit(a, u);
        return true;
    case ST_CONFIRM_HANDLED:
        return false;
    case ST_CONFIRM_OTHER:
        break;
    }
    if (req == ST_KEY_OPTION && !u->plan->why && st_journal_gate_key(&u->journal, key))
        replan(a, u);
    /* Enter on a refused plan closes it: there is nothing to start. */
    return req == ST_KEY_ACCEPT && u->refused;
}

static void undo_model_changed(st_app *a, st_dialog *d)
{
    replan(a, d->data);
}

static void undo_free(st_dialog *d)
{
    undo_dlg *u = d->data;
    st_undo_plan_free(u->plan);
    st_json_free(u->doc);
    st_journal_gate_free(&u->journal);
    free(u->path);
    free(u->domain);
    free(u->head);
    free(u);
}

static const st_dialog_ops undo_ops = {
    .keys = ST_CTX_PLAN,
    .draw = undo_draw,
    .key = undo_key,
    .model_changed = undo_model_changed,
    .free = undo_free,
};

void st_undo_open(st_app *a, size_t host, const st_journal_file *f)
{
    if (a->readonly) {
        st_app_status(a, true, "%s", _("read-only connection: no actions"));
        return;
    }
    char *text = st_json_dump(f->doc);
    undo_dlg *u = xcalloc(1, sizeof(*u));
    u->doc = st_json_parse(text, NULL);
    free(text);
    u->host = host;
    u->path = xstrdup(f->path);
    u->domain = xstrdup0(st_json_get_str(u->doc, "domain"));
    u->head = st_journal_headline(u->doc);
    replan(a, u);
    st_dialog *d = xcalloc(1, sizeof(*d));
    d->ops = &undo_ops;
    d->data = u;
    st_app_push_dialog(a, d);
}
