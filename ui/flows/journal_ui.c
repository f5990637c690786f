/*
 * The journal view: the entries of a domain (or of a host) newest first, each a head line (when,
 * what, by whom, the outcome) and each disk's chain before and after side by side. The entries
 * are local files, read when the view opens; it is laid out again for each width.
 */
#include "config.h"

#include "flows/journal_ui.h"

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
    st_journal_file *files;
    size_t n;
    st_textbuf tb;
    int laid_out_for; /* the width tb was made for; 0: none yet */
    int scroll, lines, inner;
} journal_view;

/* The entries as lines `w` columns wide. */
static void lay_out(st_app *a, journal_view *v, int w)
{
    st_tb_clear(&v->tb);
    v->laid_out_for = w;
    if (!v->n)
        st_tb_add(&v->tb, A_DIM, 0, "%s", _("Nothing was recorded here yet."));
    for (size_t i = 0; i < v->n; i++) {
        const st_journal_file *f = &v->files[i];
        if (!f->doc) {
            st_tb_add(&v->tb, st_attr(a, PAIR_ERROR, A_BOLD), 0, _("%s: cannot be read: %s"),
                      st_basename(f->path), f->why ? f->why : "?");
            continue;
        }
        char *head = st_journal_headline(f->doc);
        const st_json *after = st_json_get(f->doc, "after");
        bool ok = st_json_get_bool(after, "ok", true);
        int attr = ok ? (int)A_BOLD : st_attr(a, PAIR_ERROR, A_BOLD);
        st_tb_add(&v->tb, attr, 0, "%s", head);
        free(head);
        char *details = st_journal_details(f->doc, a->utf8, w);
        char *save = NULL;
        for (char *line = strtok_r(details, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
            st_tb_add(&v->tb, A_NORMAL, 0, "%s", line);
        free(details);
        st_tb_add(&v->tb, A_NORMAL, 0, "%s", "");
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
    v->inner = h - 3;
    v->lines = st_tb_draw(a, &v->tb, y + 1, x + 2, 0, w - 4, 0);
    if (v->scroll > v->lines - v->inner)
        v->scroll = v->lines - v->inner > 0 ? v->lines - v->inner : 0;
    st_tb_draw(a, &v->tb, y + 1, x + 2, v->inner, w - 4, v->scroll);
    char *foot = xasprintf(ngettext("%zu entry, newest first; Up/Down/PgUp/PgDn scroll, Esc or q "
                                    "closes",
                                    "%zu entries, newest first; Up/Down/PgUp/PgDn scroll, Esc or "
                                    "q closes",
                                    v->n),
                           v->n);
    st_put(a, y + h - 2, x + 2, w - 4, foot, A_DIM);
    free(foot);
}

static bool view_key(st_app *a, st_dialog *d, st_keyreq req, int key, bool is_code)
{
    journal_view *v = d->data;
    (void)a, (void)key, (void)is_code;
    if (req == ST_KEY_CANCEL)
        return true;
    size_t max = v->lines > v->inner ? (size_t)(v->lines - v->inner) : 0;
    size_t at = (size_t)v->scroll;
    if (st_key_move(req, &at, max + 1, (size_t)(v->inner > 1 ? v->inner : 1)))
        v->scroll = (int)at;
    return false;
}

static void view_free(st_dialog *d)
{
    journal_view *v = d->data;
    st_tb_clear(&v->tb);
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
    v->n = st_journal_load(root, h->uri, dom, &v->files);
    free(root);
    v->title = dom ? xasprintf(_(" Journal of %s "), dom)
                   : xasprintf(_(" Journal of %s "), h->name ? h->name : h->uri);
    st_dialog *d = xcalloc(1, sizeof(*d));
    d->ops = &view_ops;
    d->data = v;
    st_app_push_dialog(a, d);
}
