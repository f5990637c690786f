/*
 * The journal view: the entries of a domain (or of a host) newest first, each a head line (when,
 * what, by whom, the outcome) and each disk's chain before and after side by side. The entries
 * are local files, read when the view opens; it is laid out again for each width. Up and Down
 * choose an entry (drawn first, marked); u opens its undo plan (undo_ui.h).
 */
#include "config.h"

#include "flows/journal_ui.h"
#include "flows/undo_ui.h"

#include <curses.h>
#include <stdlib.h>
#include <string.h>

#include "base/i18n.h"
#include "base/util.h"
#include "core/journal.h"
#include "core/journal_store.h"
#include "view/keys.h"
#include "view/widgets.h"

typedef struct journal_view {
    char *title;
    size_t host;
    st_journal_file *files;
    size_t n;
    st_textbuf *tbs;  /* one per entry */
    int laid_out_for; /* the width they were made for; 0: none yet */
    size_t sel;       /* the selected entry, drawn first */
} journal_view;

/* The entries as lines `w` columns wide. */
static void lay_out(st_app *a, journal_view *v, int w)
{
    v->laid_out_for = w;
    for (size_t i = 0; i < v->n; i++) {
        const st_journal_file *f = &v->files[i];
        st_textbuf *tb = &v->tbs[i];
        st_tb_clear(tb);
        if (!f->doc) {
            st_tb_add(tb, st_attr(a, PAIR_ERROR, A_BOLD), 0, _("%s: cannot be read: %s"),
                      st_basename(f->path), f->why ? f->why : "?");
            continue;
        }
        char *head = st_journal_headline(f->doc);
        const st_json *after = st_json_get(f->doc, "after");
        int attr =
            st_json_get_bool(after, "ok", true) ? (int)A_BOLD : st_attr(a, PAIR_ERROR, A_BOLD);
        st_tb_add(tb, attr, 0, "%s", head);
        free(head);
        /* An entry whose images changed since says so before anything else. */
        st_undo_plan *u = st_undo_plan_here(a, v->host, f->doc);
        if (u->stale)
            st_tb_add(tb, st_attr(a, PAIR_ERROR, A_BOLD), 2, _("stale: %s"), u->why);
        st_undo_plan_free(u);
        char *details = st_journal_details(f->doc, a->utf8, w);
        char *save = NULL;
        for (char *line = strtok_r(details, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
            st_tb_add(tb, A_NORMAL, 0, "%s", line);
        free(details);
        st_tb_add(tb, A_NORMAL, 0, "%s", "");
    }
}

static void view_draw(st_app *a, st_dialog *d)
{
    journal_view *v = d->data;
    int y, x, h, w;
    st_dialog_box(a, a->cols, a->lines, &y, &x, &h, &w);
    if (w < 20 || h < 5)
        return;
    st_frame(a, y, x, h, w, v->title);
    if (v->laid_out_for != w - 4)
        lay_out(a, v, w - 4);
    if (!v->n)
        st_put(a, y + 1, x + 2, w - 4, _("Nothing was recorded here yet."), A_DIM);
    /* The selected entry first, its head line marked; the ones after it below. */
    int row = 0, inner = h - 3;
    for (size_t i = v->sel; i < v->n && row < inner; i++) {
        if (i == v->sel)
            st_put(a, y + 1, x + 1, 1, ">", A_BOLD);
        row += st_tb_draw(a, &v->tbs[i], y + 1 + row, x + 2, inner - row, w - 4, 0);
    }
    char *foot = xasprintf(ngettext("%zu entry, newest first; Up/Down choose, u undoes the one "
                                    "marked, Esc or q closes",
                                    "%zu entries, newest first; Up/Down choose, u undoes the one "
                                    "marked, Esc or q closes",
                                    v->n),
                           v->n);
    st_put(a, y + h - 2, x + 2, w - 4, foot, A_DIM);
    free(foot);
}

static bool view_key(st_app *a, st_dialog *d, st_keyreq req, int key, bool is_code)
{
    journal_view *v = d->data;
    (void)key, (void)is_code;
    if (req == ST_KEY_CANCEL)
        return true;
    if (req == ST_KEY_UNDO && v->n && v->files[v->sel].doc) {
        st_undo_open(a, v->host, &v->files[v->sel]);
        return false;
    }
    /* The moving keys choose an entry: the chosen one is drawn first. */
    st_key_move(req, &v->sel, v->n, 2);
    return false;
}

static void view_free(st_dialog *d)
{
    journal_view *v = d->data;
    for (size_t i = 0; i < v->n; i++)
        st_tb_clear(&v->tbs[i]);
    free(v->tbs);
    st_journal_files_free(v->files, v->n);
    free(v->title);
    free(v);
}

static const st_dialog_ops view_ops = {
    .keys = ST_CTX_JOURNAL,
    .draw = view_draw,
    .key = view_key,
    .free = view_free,
};

void st_flow_journal(st_app *a, const st_row *r)
{
    const st_host *h = r && r->host < a->n_hosts ? a->hosts[r->host] : NULL;
    if (!h) {
        st_app_status(a, true, "%s", _("journal: select a domain or a host"));
        return;
    }
    const char *dom = r->kind != ROW_HOST && r->dom < h->n_doms ? h->doms[r->dom].name : NULL;
    char *root = st_journal_root();
    if (!root) {
        st_app_status(a, true, "%s",
                      _("journal: no folder for it: neither XDG_STATE_HOME nor HOME is set"));
        return;
    }
    journal_view *v = xcalloc(1, sizeof(*v));
    v->host = r->host;
    v->n = st_journal_load(root, h->uri, dom, &v->files);
    v->tbs = xcalloc(v->n ? v->n : 1, sizeof(st_textbuf));
    free(root);
    v->title = dom ? xasprintf(_(" Journal of %s "), dom)
                   : xasprintf(_(" Journal of %s "), h->name ? h->name : h->uri);
    st_dialog *d = xcalloc(1, sizeof(*d));
    d->ops = &view_ops;
    d->data = v;
    st_app_push_dialog(a, d);
}
