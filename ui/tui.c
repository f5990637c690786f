/*
 * The loop: poll() on the terminal, the backend's message queue and a signal pipe; handle what
 * arrived; redraw once if anything changed. Nothing here waits on a host. The life of a key
 * press from here to a libvirt call: doc/ARCHITECTURE.md.
 */
#include "config.h"

#include <curses.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/i18n.h"
#include "base/trace.h"
#include "base/util.h"
#include "flows/flows.h"
#include "flows/journal_ui.h"
#include "tui.h"
#include "view/app.h"
#include "view/groups.h"
#include "view/keys.h"
#include "view/search.h"
#include "view/term.h"

static const st_glyphs glyphs_utf8 = {
    .vert = "│  ",
    .tee = "├─ ",
    .corner = "└─ ",
    .blank = "   ",
    .expanded = "▾ ",
    .collapsed = "▸ ",
    .leaf = "  ",
    .here = "◀",
    .current = "◀",
    .bar_full = "█",
    .bar_empty = "░",
    .ellipsis = "…",
    .dot = "•",
    .hline = "─",
    .vline = "│",
    .top_left = "┌",
    .top_right = "┐",
    .bottom_left = "└",
    .bottom_right = "┘",
    .bar_color = " ",
    .cut = "…",
};

const st_glyphs st_glyphs_ascii = {
    .vert = "|  ",
    .tee = "|- ",
    .corner = "`- ",
    .blank = "   ",
    .expanded = "- ",
    .collapsed = "+ ",
    .leaf = "  ",
    .here = "<",
    .current = "<",
    .bar_full = "#",
    .bar_empty = ".",
    .ellipsis = "...",
    .dot = "*",
    .hline = "-",
    .vline = "|",
    .top_left = "+",
    .top_right = "+",
    .bottom_left = "+",
    .bottom_right = "+",
    .bar_color = "#",
    .cut = "~",
};

void st_app_status(st_app *a, bool error, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *text = xvasprintf(fmt, ap);
    va_end(ap);
    char **slot = error ? &a->last_error : &a->status;
    free(*slot);
    *slot = text;
    if (!error) {
        a->status_at = st_now();
        a->status_request = 0;
    }
    a->dirty = true;
}

void st_app_push_dialog(st_app *a, st_dialog *d)
{
    d->below = a->dialog;
    a->dialog = d;
    a->dirty = true;
}

/* Unlinks d from the list at *head; false when it is not there. */
static bool unlink_dialog(st_dialog **head, st_dialog *d)
{
    for (st_dialog **p = head; *p; p = &(*p)->below)
        if (*p == d) {
            *p = d->below;
            d->below = NULL;
            return true;
        }
    return false;
}

void st_app_remove_dialog(st_app *a, st_dialog *d)
{
    if (unlink_dialog(&a->dialog, d) || unlink_dialog(&a->hidden, d)) {
        if (d->ops->free)
            d->ops->free(d);
        free(d);
    }
    a->dirty = true;
}

void st_app_hide_dialog(st_app *a, st_dialog *d)
{
    if (unlink_dialog(&a->dialog, d)) {
        d->below = a->hidden;
        a->hidden = d;
    }
    a->dirty = true;
}

void st_app_pop_dialog(st_app *a)
{
    if (a->dialog)
        st_app_remove_dialog(a, a->dialog);
}

const st_row *st_app_selected(const st_app *a)
{
    return a->sel < a->tree.n ? &a->tree.rows[a->sel] : NULL;
}

static void remember_selection(st_app *a)
{
    const st_row *r = st_app_selected(a);
    if (r) {
        free(a->sel_key);
        a->sel_key = xstrdup(r->key);
    }
}

void st_app_select_key(st_app *a, const char *key)
{
    size_t i = st_tree_find(&a->tree, key);
    if (i != SIZE_MAX) {
        a->sel = i;
        remember_selection(a);
    }
    a->dirty = true;
}

void st_app_rebuild(st_app *a)
{
    char *want = a->sel_key ? xstrdup(a->sel_key) : NULL;
    st_tree_build(&a->tree, a->hosts, (const char *const *)a->labels, a->n_hosts, false);
    size_t i = want ? st_tree_find(&a->tree, want) : SIZE_MAX;
    /* The node went away (a merge removed a layer): fall back to its nearest ancestor. */
    while (i == SIZE_MAX && want) {
        char *slash = strrchr(want, '/');
        if (!slash)
            break;
        *slash = '\0';
        i = st_tree_find(&a->tree, want);
    }
    if (i != SIZE_MAX)
        a->sel = i;
    else if (a->sel >= a->tree.n)
        a->sel = a->tree.n ? a->tree.n - 1 : 0;
    free(want);
    remember_selection(a);
    a->need_rebuild = false;
    a->dirty = true;
}

/* ---- backend messages ---- */

static void replace_jobs(st_host *h, st_msg *m)
{
    for (size_t i = 0; i < h->n_jobs; i++)
        st_job_clear(&h->jobs[i]);
    free(h->jobs);
    h->jobs = m->jobs;
    h->n_jobs = m->n_jobs;
    m->jobs = NULL;
    m->n_jobs = 0;
}

static void dialog_message(st_app *a, const st_msg *m)
{
    if (m->kind == ST_MSG_RESULT && m->request_id && m->request_id == a->status_request) {
        free(a->status);
        a->status = NULL;
        a->status_request = 0;
    }
    st_dialog *lists[] = {a->dialog, a->hidden};
    for (size_t i = 0; i < 2; i++)
        for (st_dialog *d = lists[i]; d; d = d->below)
            if (d->request_id && d->request_id == m->request_id && d->ops->message) {
                d->ops->message(a, d, m);
                return;
            }
    if (m->kind == ST_MSG_RESULT && m->text)
        st_app_status(a, !m->ok, "%s", m->text);
}

static void handle_message(st_app *a, st_msg *m)
{
    if (m->host_index >= a->n_hosts)
        return;
    switch (m->kind) {
    case ST_MSG_HOST:
        st_tui_host_model(a, m->host_index, m->host);
        m->host = NULL;
        for (st_dialog *d = a->dialog; d; d = d->below)
            if (d->ops->model_changed)
                d->ops->model_changed(a, d);
        st_flow_watch_jobs(a);
        break;
    case ST_MSG_JOBS:
        if (a->hosts[m->host_index])
            replace_jobs(a->hosts[m->host_index], m);
        for (st_dialog *d = a->dialog; d; d = d->below)
            if (d->ops->model_changed)
                d->ops->model_changed(a, d);
        st_flow_watch_jobs(a);
        a->dirty = true;
        break;
    case ST_MSG_RESULT:
    case ST_MSG_PLAN:
    case ST_MSG_PROGRESS:
        dialog_message(a, m);
        a->dirty = true;
        break;
    }
}

void st_tui_host_model(st_app *a, size_t i, st_host *h)
{
    st_host_free(a->hosts[i]);
    a->hosts[i] = h;
    /* The worker marked the layers its own domains share; across hosts only this view can. */
    if (a->n_hosts > 1)
        st_model_mark_shared(a->hosts, a->n_hosts);
    a->need_rebuild = true;
    a->search_stale = true;
}

static void drain_backend(st_app *a)
{
    st_msg *m;
    while ((m = st_backend_next(a->b))) {
        handle_message(a, m);
        st_msg_free(m);
    }
    if (a->need_rebuild)
        st_app_rebuild(a);
    st_flow_offer_followups(a);
}

/* F5's message goes when every host that can refresh has finished the refresh asked for. */
static void check_refresh_done(st_app *a)
{
    if (!a->refreshing)
        return;
    for (size_t i = 0; i < a->n_hosts; i++) {
        bool can = a->hstate[i] == ST_HOST_CONNECTED || a->hstate[i] == ST_HOST_NOT_RESPONDING;
        if (can && st_backend_refreshes_done(a->b, i) < a->refresh_target[i])
            return;
    }
    a->refreshing = false;
    free(a->status);
    a->status = NULL;
    a->dirty = true;
}

static void start_refresh(st_app *a)
{
    for (size_t i = 0; i < a->n_hosts; i++)
        a->refresh_target[i] = st_backend_refresh_target(a->b, i);
    st_backend_refresh(a->b, SIZE_MAX);
    st_app_status(a, false, "%s", _("refreshing…"));
    a->refreshing = true;
}

static void poll_host_states(st_app *a)
{
    for (size_t i = 0; i < a->n_hosts; i++) {
        double since = 0;
        st_host_state s = st_backend_host_state(a->b, i, &since);
        if (s != a->hstate[i] || s == ST_HOST_NOT_RESPONDING) {
            a->hstate[i] = s;
            a->hsince[i] = since;
            a->dirty = true;
        }
    }
    check_refresh_done(a);
}

/* ---- keys ---- */

static void move_sel(st_app *a, long delta)
{
    if (!a->tree.n)
        return;
    long s = (long)a->sel + delta;
    if (s < 0)
        s = 0;
    if (s >= (long)a->tree.n)
        s = (long)a->tree.n - 1;
    a->sel = (size_t)s;
    remember_selection(a);
    a->dirty = true;
}

/* Keeps the selection on its node after row i gained (on) or lost `k` rows below it. */
static void follow_splice(st_app *a, size_t i, size_t k, bool on)
{
    if (a->sel <= i)
        return;
    if (on)
        a->sel += k;
    else if (a->sel <= i + k)
        a->sel = i; /* it was inside the collapsed subtree: its nearest ancestor that stays */
    else
        a->sel -= k;
    remember_selection(a);
}

static void set_expanded(st_app *a, const st_row *r, bool on)
{
    size_t i = (size_t)(r - a->tree.rows);
    st_tree_set_expanded(&a->tree, r->key, on);
    /* Only the toggled subtree's rows change: splice them, unless a rebuild is due anyway. */
    size_t k = a->need_rebuild ? SIZE_MAX : st_tree_toggle(&a->tree, a->hosts, i, on);
    if (k == SIZE_MAX) {
        st_app_rebuild(a);
        return;
    }
    follow_splice(a, i, k, on);
    a->dirty = true;
}

static void do_expand(st_app *a)
{
    const st_row *r = st_app_selected(a);
    if (!r)
        return;
    if (r->has_children && !r->expanded)
        set_expanded(a, r, true);
    else if (r->has_children && a->sel + 1 < a->tree.n)
        move_sel(a, 1);
}

static void do_collapse(st_app *a)
{
    const st_row *r = st_app_selected(a);
    if (!r)
        return;
    if (r->has_children && r->expanded)
        set_expanded(a, r, false);
    else if (r->parent != SIZE_MAX) {
        a->sel = r->parent;
        remember_selection(a);
        a->dirty = true;
    }
}

/* A page of the detail pane less one line, so that the reader keeps their place. */
static void scroll_detail(st_app *a, int dir)
{
    int step = a->detail_rows > 2 ? a->detail_rows - 1 : 1;
    int max = a->detail_lines > a->detail_rows ? a->detail_lines - a->detail_rows : 0;
    a->detail_scroll += dir * step;
    if (a->detail_scroll > max)
        a->detail_scroll = max;
    if (a->detail_scroll < 0)
        a->detail_scroll = 0;
    a->dirty = true;
}

static void handle_request(st_app *a, st_keyreq req)
{
    const st_keydef *def = st_key_def(ST_CTX_ACTION, req);
    if (def && def->action) {
        if (a->readonly) {
            st_app_status(a, true, "%s", _("read-only connection: actions are not available"));
            return;
        }
        st_ui_action(a, req);
        return;
    }
    if (st_key_move(req, &a->sel, a->tree.n, a->tree_h > 0 ? (size_t)a->tree_h : 1)) {
        remember_selection(a);
        a->dirty = true;
        return;
    }
    switch (req) {
    case ST_KEY_EXPAND:
        do_expand(a);
        break;
    case ST_KEY_COLLAPSE:
        do_collapse(a);
        break;
    case ST_KEY_TOGGLE: {
        const st_row *r = st_app_selected(a);
        if (r && r->has_children)
            set_expanded(a, r, !r->expanded);
        break;
    }
    case ST_KEY_SEARCH:
        st_search_start(a);
        break;
    case ST_KEY_SEARCH_NEXT:
        st_search_next(a, 1);
        break;
    case ST_KEY_SEARCH_PREV:
        st_search_next(a, -1);
        break;
    case ST_KEY_REFRESH:
        clearok(curscr, TRUE);
        start_refresh(a);
        break;
    case ST_KEY_DISMISS:
        free(a->last_error);
        a->last_error = NULL;
        a->dirty = true;
        break;
    case ST_KEY_JOBS:
        a->show_jobs = !a->show_jobs;
        a->dirty = true;
        break;
    case ST_KEY_GROUP:
        st_groups_next(a);
        break;
    case ST_KEY_DETAIL_UP:
    case ST_KEY_DETAIL_DOWN:
        scroll_detail(a, req == ST_KEY_DETAIL_DOWN ? 1 : -1);
        break;
    case ST_KEY_HELP:
        st_app_push_dialog(a, st_help_new(ST_CTX_TREE));
        break;
    case ST_KEY_JOURNAL:
        st_flow_journal(a, st_app_selected(a));
        break;
    case ST_KEY_ORPHANS:
        st_flow_orphans(a, st_app_selected(a));
        break;
    case ST_KEY_QUIT:
        st_flow_quit(a);
        break;
    default:
        break;
    }
}

/*
 * A key over a dialog: its request in the dialog's context. F5 and Ctrl-L refresh over any
 * dialog (a noisy link garbles the screen under whatever is open); the help key opens the
 * dialog's own keys, and over the help itself closes it.
 */
static void dialog_key(st_app *a, int key, bool is_code)
{
    st_dialog *d = a->dialog;
    st_keyreq req = st_key_lookup(d->ops->keys, key, is_code);
    if (req == ST_KEY_REFRESH) {
        handle_request(a, req);
        if (d->ops->refreshed)
            d->ops->refreshed(a, d);
        a->dirty = true;
        return;
    }
    if (req == ST_KEY_HELP && d->ops->keys != ST_CTX_HELP) {
        st_app_push_dialog(a, st_help_new(d->ops->keys));
        return;
    }
    if (d->ops->key(a, d, req, key, is_code))
        st_app_remove_dialog(a, d);
    a->dirty = true;
}

static void handle_key(st_app *a, int key, bool is_code)
{
    if (is_code && key == KEY_RESIZE) {
        a->dirty = true;
        return;
    }
    if (a->dialog) {
        dialog_key(a, key, is_code);
        return;
    }
    if (a->searching) {
        st_keyreq req = st_key_lookup(ST_CTX_SEARCH, key, is_code);
        if (req == ST_KEY_REFRESH)
            handle_request(a, req);
        else if (req == ST_KEY_HELP)
            st_app_push_dialog(a, st_help_new(ST_CTX_SEARCH));
        else
            st_search_key(a, req, key, is_code);
        return;
    }
    st_keyreq req = st_key_lookup(ST_CTX_TREE, key, is_code);
    if (req == ST_KEY_NONE && !is_code)
        st_app_status(a, false, "%s", _("unknown key: press ? for help"));
    handle_request(a, req);
}

void st_tui_key(st_app *a, int key, bool is_code)
{
    handle_key(a, key, is_code);
}

static void read_keys(st_app *a)
{
    wint_t ch;
    int r;
    while ((r = get_wch(&ch)) != ERR) {
        /* For the benchmarks: a key's way from here to the paint that answers it. */
        st_trace("key %d", (int)ch);
        handle_key(a, (int)ch, r == KEY_CODE_YES);
    }
}

/* ---- setup and the loop ---- */

static void init_colors(st_app *a)
{
    a->color = !a->opt->no_color && has_colors();
    if (!a->color)
        return;
    start_color();
    use_default_colors();
    init_pair(PAIR_TITLE, COLOR_BLACK, COLOR_CYAN);
    init_pair(PAIR_RUNNING, COLOR_GREEN, -1);
    init_pair(PAIR_PAUSED, COLOR_YELLOW, -1);
    init_pair(PAIR_SHUTOFF, -1, -1);
    init_pair(PAIR_BROKEN, COLOR_RED, -1);
    init_pair(PAIR_SHARED, COLOR_YELLOW, -1);
    init_pair(PAIR_HERE, COLOR_CYAN, -1);
    init_pair(PAIR_ERROR, COLOR_RED, -1);
    init_pair(PAIR_BAR, COLOR_BLACK, COLOR_GREEN);
    init_pair(PAIR_DIALOG, -1, -1);
    init_pair(PAIR_DIM, COLOR_BLUE, -1);
}

static void app_init(st_app *a, const st_options *o)
{
    memset(a, 0, sizeof(*a));
    a->opt = o;
    a->utf8 = o->utf8;
    a->g = o->utf8 && !o->ascii ? &glyphs_utf8 : &st_glyphs_ascii;
    a->readonly = o->readonly;
    a->show_jobs = true;
    st_tree_init(&a->tree);
    st_tree_init(&a->search_all);
    a->search_stale = true;
    st_backend_opts bo = {
        .uris = (const char *const *)o->uris,
        .n_uris = o->n_uris,
        .readonly = o->readonly,
        .interval_ms = o->interval_ms,
        .events = true,
        .snapshots = true,
        .inactive_xml = true,
        .doctor = true,
        .max_depth = o->max_depth,
    };
    a->b = st_backend_start(&bo);
    a->n_hosts = st_backend_n_hosts(a->b);
    a->hosts = xcalloc(a->n_hosts, sizeof(st_host *));
    a->labels = xcalloc(a->n_hosts, sizeof(char *));
    a->hstate = xcalloc(a->n_hosts, sizeof(st_host_state));
    a->hsince = xcalloc(a->n_hosts, sizeof(double));
    a->refresh_target = xcalloc(a->n_hosts, sizeof(unsigned));
    for (size_t i = 0; i < a->n_hosts; i++) {
        const char *u = st_backend_uri(a->b, i);
        const char *label = o->labels && i < o->n_uris ? o->labels[i] : NULL;
        a->labels[i] = xstrdup(label ? label : u ? u : _("default host"));
    }
    st_groups_init(a);
    if (o->config_warning)
        st_app_status(a, true, "%s", o->config_warning);
    st_app_rebuild(a);
}

static void app_free(st_app *a)
{
    while (a->dialog)
        st_app_pop_dialog(a);
    while (a->hidden)
        st_app_remove_dialog(a, a->hidden);
    for (size_t i = 0; i < a->n_hosts; i++) {
        st_host_free(a->hosts[i]);
        free(a->labels[i]);
    }
    free(a->hosts);
    free(a->labels);
    st_groups_free(a);
    free(a->hstate);
    free(a->hsince);
    free(a->refresh_target);
    free(a->last_error);
    st_tree_free(&a->tree);
    st_tree_free(&a->search_all);
    free(a->sel_key);
    free(a->detail_for);
    free(a->status);
    free(a->search_origin);
    free(a->last_search);
    for (size_t i = 0; i < a->n_fu_offered; i++)
        free(a->fu_offered[i]);
    free(a->fu_offered);
    free(a->search_names);
    free(a->search_folded);
    free(a->search_hits);
    free(a->search_hits_for);
}

int st_tui_run(const st_options *o)
{
    st_term_prepare();
    st_app app;
    app_init(&app, o);
    st_term_start();
    init_colors(&app);
    struct pollfd fds[3] = {
        {STDIN_FILENO, POLLIN, 0},
        {st_backend_fd(app.b), POLLIN, 0},
        {st_term_signal_fd(), POLLIN, 0},
    };
    app.dirty = true;
    int status = 0;
    while (!app.quit) {
        poll_host_states(&app);
        if (app.dirty) {
            st_draw(&app);
            app.dirty = false;
        }
        /* Wake now and then to count "not responding" seconds and expire status messages. */
        int n = poll(fds, 3, 500);
        if (n < 0 && errno != EINTR)
            break;
        if (st_term_quit_signal()) {
            status = 128 + st_term_quit_signal();
            break;
        }
        if (fds[2].revents & POLLIN)
            st_term_drain_signals();
        if (fds[1].revents & POLLIN)
            drain_backend(&app);
        if (fds[0].revents & (POLLHUP | POLLERR)) {
            status = 129; /* the terminal went away: like SIGHUP */
            break;
        }
        read_keys(&app);
        /* A follow-up held while a dialog was open is offered once none is. */
        if (!app.dialog)
            st_flow_offer_followups(&app);
        if (app.status && st_now() - app.status_at >= 15 && st_now() - app.status_at < 16)
            app.dirty = true;
    }
    /* Restore the terminal before anything else can go wrong; jobs keep running in QEMU. */
    st_term_stop();
    st_backend_stop(app.b);
    st_backend_free(app.b);
    app_free(&app);
    st_term_show_log(o->utf8);
    return status;
}
