/*
 * The orphan finder's view (O on a host): every image-like file of the host's folders with what
 * it is to the host, and below them the removal of those nothing references, with its typed yes.
 * The finder reads this machine's folders and /proc, never libvirt: what it references comes
 * from the model the interface already has. The storage pools are the exception: periodic
 * refreshes do not list them (a call per pool and volume each time), so the view asks the host's
 * worker for them once when it opens and again on F5, and classifies when they arrive.
 */
#include "config.h"

#include <curses.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "backend/backend.h"
#include "backend/orphans.h"
#include "base/i18n.h"
#include "base/util.h"
#include "flows/flows.h"
#include "view/app.h"
#include "view/widgets.h"

typedef struct orphans_dlg {
    size_t host;
    st_orphans found;
    long long now;
    st_confirm confirm;
    bool reading; /* the pools were asked for and have not answered: nothing is offered yet */
} orphans_dlg;

/* Asks the host's worker for its pools and their volumes; the answer comes to orphans_message. */
static void ask_pools(st_app *a, st_dialog *dlg)
{
    orphans_dlg *o = dlg->data;
    st_request req = {.kind = ST_REQ_POOLS};
    o->reading = true;
    dlg->request_id = st_backend_submit(a->b, o->host, &req);
}

/*
 * Classifies the host's files as --orphans does: the interface's model of the host, seen through
 * a shallow copy that borrows the pools the worker listed (pools NULL: none came, and why_not
 * says why). Neither model is changed; the finder copies what it keeps.
 */
static void classify(st_app *a, orphans_dlg *o, const st_host *pools, const char *why_not)
{
    st_orphans_clear(&o->found);
    memset(&o->found, 0, sizeof(o->found));
    o->now = (long long)time(NULL);
    if (!a->hosts[o->host])
        return;
    st_host lent = *a->hosts[o->host];
    if (pools) {
        lent.pool_dirs = pools->pool_dirs;
        lent.n_pool_dirs = pools->n_pool_dirs;
        lent.pool_vols = pools->pool_vols;
        lent.n_pool_vols = pools->n_pool_vols;
        lent.pool_unscanned = pools->pool_unscanned;
        lent.n_pool_unscanned = pools->n_pool_unscanned;
        lent.pools_read = pools->pools_read;
    }
    st_host *h = &lent;
    st_orphans_find(&h, 1, &o->found);
    if (why_not) {
        char *line = xasprintf(_("storage pools: %s"), why_not);
        st_orphans_note(&o->found, line);
        free(line);
    }
}

/* Offered for removal: the plan. Anything else: one line each, what it is. */
static void view_text(st_app *a, const orphans_dlg *o, st_textbuf *tb)
{
    if (o->reading) {
        st_tb_add(tb, A_BOLD, 0, "%s", _("Reading the host's storage pools…"));
        return;
    }
    uint64_t bytes;
    size_t n = st_orphans_removable(&o->found, &bytes);
    for (size_t i = 0; i < o->found.n; i++) {
        const st_found *f = &o->found.v[i];
        char *line = st_found_line(f, o->now);
        st_tb_add(tb, f->removable ? st_attr(a, PAIR_SHARED, A_BOLD) : (int)A_NORMAL, 2, "%s",
                  line);
        free(line);
    }
    for (size_t i = 0; i < o->found.n_unscanned; i++)
        st_tb_add(tb, A_NORMAL, 2, "%s: %s", _("not scanned"), o->found.unscanned[i]);
    st_tb_pin(tb);
    char size[32];
    st_fmt_bytes(size, sizeof(size), bytes);
    if (!n)
        st_tb_add(tb, A_BOLD, 0, "%s", _("Nothing here can be removed."));
    else if (a->readonly)
        st_tb_add(tb, A_BOLD, 0, "%s", _("Read-only (-r): nothing is removed."));
    else {
        st_tb_add(tb, A_BOLD, 0,
                  ngettext("Remove the %zu file marked (%s)? Nothing references it.",
                           "Remove the %zu files marked (%s)? Nothing references them.", n),
                  n, size);
        st_tb_add(tb, A_NORMAL, 0, "%s",
                  _("Only the domains of the hosts given are known: a shut-off domain of another "
                    "connection may use these files."));
    }
}

static bool refused(const st_app *a, const orphans_dlg *o)
{
    uint64_t bytes;
    return o->reading || a->readonly || st_orphans_removable(&o->found, &bytes) == 0;
}

static void orphans_draw(st_app *a, st_dialog *dlg)
{
    orphans_dlg *o = dlg->data;
    int y, x, h, w;
    st_dialog_box(a, 110, a->lines, &y, &x, &h, &w);
    char *title = xasprintf(" %s ", _("Files in the host's folders"));
    st_frame(a, y, x, h, w, title);
    free(title);
    st_textbuf tb = {0};
    view_text(a, o, &tb);
    st_confirm_plan(&o->confirm, &tb);
    o->confirm.refused_foot = _("Esc closes this view.");
    st_confirm_draw(a, &o->confirm, &tb, refused(a, o), y, x, h, w);
    st_tb_clear(&tb);
}

/* Removes what was offered, each checked again, and says how it went in the status line. */
static void remove_offered(st_app *a, orphans_dlg *o)
{
    strbuf b;
    sb_init(&b);
    size_t removed = 0;
    for (size_t i = 0; i < o->found.n; i++) {
        const st_found *f = &o->found.v[i];
        char *err = NULL;
        if (!f->removable)
            continue;
        if (st_orphans_remove(f, &err) == 0)
            removed++;
        else
            sb_printf(&b, "; %s: %s", f->path, err);
        free(err);
    }
    char *text = xasprintf(ngettext("Removed %zu file.%s", "Removed %zu files.%s", removed),
                           removed, b.s ? b.s : "");
    st_app_status(a, b.len > 0, "%s", text);
    free(text);
    sb_free(&b);
}

static bool orphans_key(st_app *a, st_dialog *dlg, st_keyreq req, int key, bool is_code)
{
    orphans_dlg *o = dlg->data;
    (void)is_code;
    if (req == ST_KEY_CANCEL)
        return true;
    switch (st_confirm_key(a, &o->confirm, refused(a, o), req, key)) {
    case ST_CONFIRM_YES:
        remove_offered(a, o);
        return true;
    case ST_CONFIRM_HANDLED:
        return false;
    case ST_CONFIRM_OTHER:
        break;
    }
    /* Enter on a view with nothing to remove closes it. */
    return req == ST_KEY_ACCEPT && refused(a, o);
}

/* The pools' answer: the files are classified now, with the model the interface has now. */
static void orphans_message(st_app *a, st_dialog *dlg, const st_msg *m)
{
    orphans_dlg *o = dlg->data;
    if (m->kind != ST_MSG_RESULT)
        return;
    dlg->request_id = 0;
    o->reading = false;
    classify(a, o, m->ok ? m->host : NULL, m->ok ? NULL : m->text ? m->text : "?");
}

static void orphans_refreshed(st_app *a, st_dialog *dlg)
{
    ask_pools(a, dlg);
}

static void orphans_free(st_dialog *dlg)
{
    orphans_dlg *o = dlg->data;
    st_orphans_clear(&o->found);
    free(o);
}

static const st_dialog_ops orphans_ops = {
    .keys = ST_CTX_PLAN,
    .draw = orphans_draw,
    .key = orphans_key,
    .message = orphans_message,
    .refreshed = orphans_refreshed,
    .free = orphans_free,
};

void st_flow_orphans(st_app *a, const st_row *r)
{
    st_host *h = r ? a->hosts[r->host] : NULL;
    if (!h) {
        st_app_status(a, true, "%s", _("orphans: wait until the host is connected"));
        return;
    }
    orphans_dlg *o = xcalloc(1, sizeof(*o));
    o->host = r->host;
    st_dialog *dlg = xcalloc(1, sizeof(*dlg));
    dlg->ops = &orphans_ops;
    dlg->data = o;
    ask_pools(a, dlg);
    st_app_push_dialog(a, dlg);
}
