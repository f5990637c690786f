/*
 * Snapshot flows, in the style of the merges: a plan screen that says what happens, what state
 * is lost and what libvirt would refuse, options changed with number keys, a typed "yes". The
 * plan comes from the same pure functions the backend runs again before it acts (snapplan.h).
 * After submitting, a small screen waits for the result, so that a revert libvirt refused can be
 * offered again with FORCE and files libvirt left behind can be offered for removal; Esc hides
 * it (the job goes on, its result shows in the status line, and such an offer opens when the
 * result arrives).
 */
#include "config.h"

#include <curses.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "backend/savelist.h"
#include "base/i18n.h"
#include "base/util.h"
#include "core/snapplan.h"
#include "flows/flows.h"
#include "flows/journal_gate.h"
#include "flows/snap_ui.h"
#include "view/widgets.h"

typedef struct plan_dlg {
    st_dialog *self;
    snapflow *f;
    st_snapplan *plan;
    st_confirm confirm;
    st_journal_gate journal;
} plan_dlg;

snapflow *st_snapflow_new(st_req_kind kind, size_t host, const char *dom)
{
    snapflow *f = xcalloc(1, sizeof(*f));
    f->kind = kind;
    f->host = host;
    f->dom = xstrdup0(dom);
    return f;
}

void st_snapflow_free(void *p)
{
    snapflow *f = p;
    if (!f)
        return;
    free(f->dom);
    free(f->snap);
    free(f->path);
    st_facts_free(f->facts);
    st_request_clear(&f->form);
    for (size_t i = 0; i < f->n_files; i++)
        free(f->files[i]);
    free(f->files);
    free(f);
}

/* Files are looked at only where the images are: on this machine. */
static bool ui_exists(const char *path, void *ctx)
{
    (void)ctx;
    struct stat st;
    return lstat(path, &st) == 0;
}

/* The flow's domain in the current model, NULL when it is gone. */
static const st_domain *flow_domain(st_app *a, const snapflow *f)
{
    const st_host *h = a->hosts[f->host];
    return h && f->dom ? st_host_find_domain(h, f->dom) : NULL;
}

static st_snapplan *make_plan(st_app *a, const snapflow *f)
{
    const st_host *h = a->hosts[f->host];
    const st_domain *d = flow_domain(a, f);
    st_exists_fn ex = h && h->local ? ui_exists : NULL;
    switch (f->kind) {
    case ST_REQ_RESTORE:
        return h ? st_snapplan_restore(h, f->path, f->dom, f->restored, f->facts, f->flags, ex,
                                       NULL)
                 : NULL;
    case ST_REQ_REMOVE_FILES:
        return h ? st_snapplan_remove_files(h, f->dom, f->files, f->n_files) : NULL;
    default:
        break;
    }
    if (!d)
        return NULL;
    switch (f->kind) {
    case ST_REQ_SNAPSHOT_CREATE:
        return st_snapplan_create(h, d, &f->form, ex, NULL);
    case ST_REQ_REVERT:
        return st_snapplan_revert(h, d, f->snap, f->flags, time(NULL), f->facts);
    case ST_REQ_SNAPSHOT_DELETE:
        return st_snapplan_delete(h, d, f->snap, f->flags);
    case ST_REQ_SAVE:
        return st_snapplan_save(h, d, f->path, f->flags, ex, NULL);
    case ST_REQ_MANAGEDSAVE_REMOVE:
        return st_snapplan_managedsave_remove(h, d);
    default:
        return NULL;
    }
}

static void plan_text(st_app *a, const plan_dlg *p, st_textbuf *tb);

static void replan(st_app *a, plan_dlg *p)
{
    st_snapplan *n = make_plan(a, p->f);
    if (n) {
        st_snapplan_free(p->plan);
        p->plan = n;
    }
    if (!p->plan)
        return;
    st_journal_gate_check(&p->journal);
    /* A plan made again is a fresh one: the journal's refusal is added to it once. */
    if (n && st_journal_gate_hazard(&p->journal, &p->plan->hazards, &p->plan->n_hazards))
        p->plan->refused = true;
    st_textbuf tb = {0};
    plan_text(a, p, &tb);
    st_confirm_plan(&p->confirm, &tb);
    st_tb_clear(&tb);
}

/* ---- drawing ---- */

static void add_list(st_textbuf *tb, const char *title, char **v, size_t n)
{
    if (!n)
        return;
    st_tb_add(tb, A_BOLD, 0, "%s", title);
    for (size_t i = 0; i < n; i++)
        st_tb_add(tb, A_NORMAL, 2, "%s", v[i]);
}

static const char *after_label(unsigned flags)
{
    if (flags & ST_F_RUNNING)
        return _("running");
    if (flags & ST_F_PAUSED)
        return _("paused");
    return _("as saved");
}

static const char *scope_label(unsigned flags)
{
    if (flags & ST_F_CHILDREN)
        return _("this snapshot and all its children");
    if (flags & ST_F_CHILDREN_ONLY)
        return _("its children only");
    return _("this snapshot only");
}

static void options_text(st_app *a, const plan_dlg *p, st_textbuf *tb)
{
    const snapflow *f = p->f;
    const st_domain *d = flow_domain(a, f);
    switch (f->kind) {
    case ST_REQ_REVERT:
    case ST_REQ_SAVE:
    case ST_REQ_RESTORE:
        st_tb_add(tb, A_BOLD, 0, "%s", _("Options (press the number to change):"));
        st_tb_add(tb, A_NORMAL, 2, _("1  state afterwards: %s"), after_label(f->flags));
        if (f->kind == ST_REQ_SAVE)
            st_tb_add(tb, A_NORMAL, 2, _("2  save file: %s"), f->path ? f->path : "");
        /* A managed save image blocks a revert by branching and goes stale under a revert to
         * a snapshot without memory: offer its removal here; the plan is made again after. */
        if (f->kind == ST_REQ_REVERT && d && d->managed_save)
            st_tb_add(tb, A_NORMAL, 2, "%s",
                      _("2  remove the managed save image first (its own plan)"));
        if (f->kind == ST_REQ_REVERT && p->plan->native_external)
            st_tb_add(tb, A_NORMAL, 2, _("3  what libvirt removes: %s"),
                      (f->flags & ST_F_DISCARD) ? _("discard it (libvirt removes the files)")
                                                : _("keep it (shown as a detached branch)"));
        break;
    case ST_REQ_SNAPSHOT_DELETE:
        st_tb_add(tb, A_BOLD, 0, "%s", _("Options (press the number to change):"));
        st_tb_add(tb, A_NORMAL, 2, _("1  delete: %s"), scope_label(f->flags));
        st_tb_add(tb, A_NORMAL, 2, _("2  metadata only (keep every file): %s"),
                  (f->flags & ST_F_METADATA_ONLY) ? _("yes") : _("no"));
        break;
    default:
        st_journal_gate_option(&p->journal, tb, true);
        return;
    }
    st_journal_gate_option(&p->journal, tb, false);
}

static void plan_text(st_app *a, const plan_dlg *p, st_textbuf *tb)
{
    const st_snapplan *pl = p->plan;
    add_list(tb, _("What happens:"), pl->steps, pl->n_steps);
    add_list(tb, _("State that is lost:"), pl->lost, pl->n_lost);
    add_list(tb, _("What will run:"), pl->calls, pl->n_calls);
    add_list(tb, _("Files left behind (you are offered to remove them afterwards):"),
             pl->left_files, pl->n_left_files);
    for (size_t i = 0; i < pl->n_hazards; i++) {
        const st_hazard *h = &pl->hazards[i];
        int attr = h->level == ST_HAZ_REFUSE ? st_attr(a, PAIR_ERROR, A_BOLD)
                   : h->level == ST_HAZ_WARN ? st_attr(a, PAIR_SHARED, A_BOLD)
                                             : (int)A_NORMAL;
        st_tb_add(tb, attr, 0, _("%s: %s"), st_hazard_label(h->level), h->text);
    }
    options_text(a, p, tb);
}

static void plan_draw(st_app *a, st_dialog *dlg)
{
    plan_dlg *p = dlg->data;
    int y, x, h, w;
    st_dialog_box(a, 100, a->lines, &y, &x, &h, &w);
    char *title = xasprintf(" %s ", p->plan && p->plan->title ? p->plan->title : _("Plan"));
    st_frame(a, y, x, h, w, title);
    free(title);
    if (!p->plan) {
        st_put(a, y + 2, x + 2, w - 4, _("The domain is gone from the host."), A_BOLD);
        return;
    }
    st_textbuf tb = {0};
    plan_text(a, p, &tb);
    st_confirm_draw(a, &p->confirm, &tb, p->plan->refused, y, x, h, w);
    st_tb_clear(&tb);
}

/* ---- waiting for the result ---- */

typedef struct wait_dlg {
    snapflow *f; /* the flow that was submitted, for a second round (FORCE, removal) */
    char *title;
} wait_dlg;

static void wait_draw(st_app *a, st_dialog *dlg)
{
    wait_dlg *wd = dlg->data;
    int y, x, h, w;
    st_dialog_box(a, 72, 7, &y, &x, &h, &w);
    st_frame(a, y, x, h, w, wd->title);
    st_put(a, y + 2, x + 2, w - 4, _("Running… progress shows in the jobs panel."), A_BOLD);
    st_put(a, y + h - 2, x + 2, w - 4, _("Esc hides this (the job goes on)"), A_DIM);
}

/* Esc hides the screen but keeps it waiting: a follow-up the result offers still opens. */
static bool wait_key(st_app *a, st_dialog *dlg, st_keyreq req, int key, bool is_code)
{
    (void)key;
    (void)is_code;
    if (req == ST_KEY_CANCEL) {
        st_app_hide_dialog(a, dlg);
        st_app_status(a, false, "%s",
                      _("the job goes on; its result shows here, and what it offers opens then"));
    }
    return false;
}

static void offer_force(st_app *a, wait_dlg *wd, const char *why)
{
    snapflow *f = wd->f;
    wd->f = NULL;
    f->flags |= ST_F_FORCE;
    /* A passing message, not the sticky error: the plan shown again says why, and a sticky
     * refusal would hide the forced revert's own result. */
    st_app_status(a, false, _("libvirt refused: %s"), why);
    /* The plan screen again, with FORCE and its warning: the admin types yes once more. */
    st_snap_plan_open(a, f);
}

/* The result lists the files libvirt left behind after its first line. */
static void offer_removal(st_app *a, wait_dlg *wd, const char *text)
{
    snapflow *f = st_snapflow_new(ST_REQ_REMOVE_FILES, wd->f->host, wd->f->dom);
    const char *nl = strchr(text, '\n');
    while (nl && nl[1]) {
        const char *end = strchr(nl + 1, '\n');
        size_t len = end ? (size_t)(end - nl - 1) : strlen(nl + 1);
        f->files = xrealloc(f->files, (f->n_files + 1) * sizeof(char *));
        f->files[f->n_files++] = strndup(nl + 1, len);
        nl = end;
    }
    st_snap_plan_open(a, f);
}

static void wait_message(st_app *a, st_dialog *dlg, const st_msg *m)
{
    wait_dlg *wd = dlg->data;
    if (m->kind != ST_MSG_RESULT)
        return;
    const char *text = m->text ? m->text : "?";
    const char *nl = strchr(text, '\n');
    char *first = nl ? strndup(text, (size_t)(nl - text)) : xstrdup(text);
    bool force =
        !m->ok && m->detail == ST_RESULT_REVERT_RISKY && wd->f && !(wd->f->flags & ST_F_FORCE);
    if (!force)
        st_app_status(a, !m->ok, "%s", first);
    free(first);
    /* The wait screen is done either way; a follow-up opens above it and outlives it. */
    dlg->request_id = 0;
    if (force)
        offer_force(a, wd, text);
    else if (m->ok && m->detail == ST_RESULT_LEFT_FILES && wd->f)
        offer_removal(a, wd, text);
    st_app_remove_dialog(a, dlg);
}

static void wait_free(st_dialog *dlg)
{
    wait_dlg *wd = dlg->data;
    st_snapflow_free(wd->f);
    free(wd->title);
    free(wd);
}

static const st_dialog_ops wait_ops = {.keys = ST_CTX_WAIT,
                                       .draw = wait_draw,
                                       .key = wait_key,
                                       .message = wait_message,
                                       .free = wait_free};

static void submit(st_app *a, plan_dlg *p)
{
    st_dialog *dlg = xcalloc(1, sizeof(*dlg));
    wait_dlg *wd = xcalloc(1, sizeof(*wd));
    wd->title = xasprintf(" %s ", p->plan->title);
    dlg->ops = &wait_ops;
    dlg->data = wd;
    st_textbuf tb = {0};
    plan_text(a, p, &tb);
    st_journal_gate_request(&p->journal, &tb, &p->plan->req);
    st_tb_clear(&tb);
    dlg->request_id = st_backend_submit(a->b, p->f->host, &p->plan->req);
    wd->f = p->f;
    p->f = NULL;
    st_app_push_dialog(a, dlg);
    st_app_status(a, false, _("%s: starting…"), p->plan->title);
    a->status_request = dlg->request_id;
}

/* ---- keys ---- */

static void cycle_after(unsigned *flags)
{
    if (*flags & ST_F_RUNNING)
        *flags = (*flags & ~ST_F_RUNNING) | ST_F_PAUSED;
    else if (*flags & ST_F_PAUSED)
        *flags &= ~ST_F_PAUSED;
    else
        *flags |= ST_F_RUNNING;
}

static void cycle_scope(unsigned *flags)
{
    if (*flags & ST_F_CHILDREN)
        *flags = (*flags & ~ST_F_CHILDREN) | ST_F_CHILDREN_ONLY;
    else if (*flags & ST_F_CHILDREN_ONLY)
        *flags &= ~ST_F_CHILDREN_ONLY;
    else
        *flags |= ST_F_CHILDREN;
}

static void on_save_path(st_app *a, const char *text, void *ctx)
{
    plan_dlg *p = ctx;
    if (!text)
        return;
    free(p->f->path);
    p->f->path = xstrdup(text);
    replan(a, p);
}

static bool option_key(st_app *a, plan_dlg *p, int key)
{
    snapflow *f = p->f;
    bool after = f->kind == ST_REQ_REVERT || f->kind == ST_REQ_SAVE || f->kind == ST_REQ_RESTORE;
    if (st_journal_gate_key(&p->journal, key))
        ; /* the plan is made again below */
    else if (key == '1' && after)
        cycle_after(&f->flags);
    else if (key == '1' && f->kind == ST_REQ_SNAPSHOT_DELETE)
        cycle_scope(&f->flags);
    else if (key == '2' && f->kind == ST_REQ_SNAPSHOT_DELETE)
        f->flags ^= ST_F_METADATA_ONLY;
    else if (key == '3' && f->kind == ST_REQ_REVERT && p->plan && p->plan->native_external)
        f->flags ^= ST_F_DISCARD;
    else if (key == '2' && f->kind == ST_REQ_REVERT) {
        const st_domain *d = flow_domain(a, f);
        if (!d || !d->managed_save)
            return false;
        st_snap_plan_open(a, st_snapflow_new(ST_REQ_MANAGEDSAVE_REMOVE, f->host, d->name));
        return true;
    } else if (key == '2' && f->kind == ST_REQ_SAVE) {
        st_app_push_dialog(a, st_input_new(_("Save file"), _("Absolute path of the new file:"),
                                           f->path, on_save_path, p, NULL));
        return true;
    } else
        return false;
    replan(a, p);
    return true;
}

static void on_mix_confirm(st_app *a, size_t choice, void *ctx)
{
    plan_dlg *p = ctx;
    if (choice != 1) {
        st_app_status(a, false, "%s", _("not mixed: nothing was changed"));
        return;
    }
    p->f->form.flags |= ST_F_MIX_OK;
    p->plan->req.flags |= ST_F_MIX_OK;
    submit(a, p);
    st_app_remove_dialog(a, p->self);
}

/* Typed yes: a plan that mixes snapshot kinds is asked a second time. */
static bool confirm(st_app *a, st_dialog *dlg, plan_dlg *p)
{
    if (!p->plan->mixing || (p->f->form.flags & ST_F_MIX_OK)) {
        submit(a, p);
        return true;
    }
    const char *items[] = {_("No, do not mix them"),
                           _("Yes, mix internal and external snapshots on this domain")};
    p->confirm.typed[0] = '\0';
    (void)dlg;
    st_app_push_dialog(a, st_picker_new(_("Mix snapshot kinds? (asked a second time)"),
                                        _("Other tools have lost data this way: read the warning "
                                          "on the plan."),
                                        items, 2, 0, on_mix_confirm, p, NULL));
    return false;
}

static bool plan_key(st_app *a, st_dialog *dlg, st_keyreq req, int key, bool is_code)
{
    plan_dlg *p = dlg->data;
    (void)is_code;
    if (req == ST_KEY_CANCEL)
        return true;
    bool refused = !p->plan || p->plan->refused;
    switch (st_confirm_key(a, &p->confirm, refused, req, key)) {
    case ST_CONFIRM_YES:
        return confirm(a, dlg, p);
    case ST_CONFIRM_HANDLED:
        return false;
    case ST_CONFIRM_OTHER:
        break;
    }
    /* Options stay available on a refused plan: changing one may lift the refusal. */
    if (req == ST_KEY_OPTION) {
        option_key(a, p, key);
        return false;
    }
    /* Enter on a refused plan closes it: there is nothing to start. */
    return req == ST_KEY_ACCEPT && refused;
}

/* Whether the facts measured cover every file the plan says libvirt removes. */
static bool written_known(const st_facts *facts, const st_snapplan *plan)
{
    for (size_t i = 0; i < plan->n_removed; i++) {
        bool found = false;
        for (size_t k = 0; facts && k < facts->n_written && !found; k++)
            found = streq0(facts->written[k].path, plan->removed[i]);
        if (!found)
            return false;
    }
    return true;
}

/*
 * A revert that libvirt does itself removes files: the host measures what each holds (its own
 * clusters, read from its tables), and the plan is made again with the figures.
 */
static void ask_written(st_app *a, st_dialog *dlg, plan_dlg *p)
{
    if (!p->f || p->f->kind != ST_REQ_REVERT || !p->plan || !p->plan->n_removed ||
        dlg->request_id || written_known(p->f->facts, p->plan))
        return;
    st_request req = {0};
    req.kind = ST_REQ_FACTS;
    req.flags = ST_F_WRITTEN;
    req.paths = p->plan->removed;
    req.n_paths = p->plan->n_removed;
    dlg->request_id = st_backend_submit(a->b, p->f->host, &req);
}

static void plan_model_changed(st_app *a, st_dialog *dlg)
{
    plan_dlg *p = dlg->data;
    if (p->f)
        replan(a, p);
    ask_written(a, dlg, p);
}

/* The save file's header as the host read it: the restore's domain and the disks it runs on. */
static void plan_message(st_app *a, st_dialog *dlg, const st_msg *m)
{
    plan_dlg *p = dlg->data;
    if (m->kind == ST_MSG_RESULT && !m->ok) {
        /* No facts will come (the host stopped answering): the plan stays as it was. */
        dlg->request_id = 0;
        st_app_status(a, true, "%s", m->text ? m->text : "?");
        return;
    }
    if (m->kind != ST_MSG_PLAN || !m->facts || !p->f)
        return;
    dlg->request_id = 0;
    st_facts_free(p->f->facts);
    p->f->facts = st_facts_copy(m->facts);
    if (!p->f->dom && m->facts->saved_domain)
        p->f->dom = xstrdup(m->facts->saved_domain);
    replan(a, p);
}

static void plan_free(st_dialog *dlg)
{
    plan_dlg *p = dlg->data;
    st_snapflow_free(p->f);
    st_snapplan_free(p->plan);
    st_journal_gate_free(&p->journal);
    free(p);
}

static const st_dialog_ops plan_ops = {
    .keys = ST_CTX_PLAN,
    .draw = plan_draw,
    .key = plan_key,
    .message = plan_message,
    .model_changed = plan_model_changed,
    .free = plan_free,
};

void st_snap_plan_open(st_app *a, snapflow *f)
{
    plan_dlg *p = xcalloc(1, sizeof(*p));
    p->f = f;
    replan(a, p);
    st_dialog *dlg = xcalloc(1, sizeof(*dlg));
    dlg->ops = &plan_ops;
    dlg->data = p;
    p->self = dlg;
    if (f->kind == ST_REQ_RESTORE && f->path) {
        st_request req = {0};
        req.kind = ST_REQ_FACTS;
        req.path = f->path;
        dlg->request_id = st_backend_submit(a->b, f->host, &req);
    }
    ask_written(a, dlg, p);
    st_app_push_dialog(a, dlg);
}

/* ---- the flows ---- */

static const st_domain *row_domain(st_app *a, const st_row *r)
{
    return &a->hosts[r->host]->doms[r->dom];
}

void st_flow_snapshot(st_app *a, const st_row *r)
{
    st_snap_create_open(a, r);
}

void st_flow_revert(st_app *a, const st_row *r)
{
    const st_domain *d = row_domain(a, r);
    snapflow *f = st_snapflow_new(ST_REQ_REVERT, r->host, d->name);
    f->snap = xstrdup(d->snaps[r->snap].name);
    st_snap_plan_open(a, f);
}

void st_flow_delete(st_app *a, const st_row *r)
{
    const st_domain *d = row_domain(a, r);
    snapflow *f = st_snapflow_new(ST_REQ_SNAPSHOT_DELETE, r->host, d->name);
    f->snap = xstrdup(d->snaps[r->snap].name);
    st_snap_plan_open(a, f);
}

void st_flow_managedsave_remove(st_app *a, const st_row *r)
{
    st_snap_plan_open(a,
                      st_snapflow_new(ST_REQ_MANAGEDSAVE_REMOVE, r->host, row_domain(a, r)->name));
}

void st_flow_save(st_app *a, const st_row *r)
{
    const st_domain *d = row_domain(a, r);
    snapflow *f = st_snapflow_new(ST_REQ_SAVE, r->host, d->name);
    char *stamp = st_snap_default_name(time(NULL));
    char *img = NULL;
    for (size_t k = 0; k < d->n_disks && !img; k++)
        if (d->disks[k].source && d->disks[k].source[0] == '/')
            img = d->disks[k].source;
    f->path = st_snap_default_file(img, d->name, stamp, ".save");
    free(stamp);
    st_snap_plan_open(a, f);
}

/* ---- restore: a known save file, or a typed path ---- */

typedef struct restore_pick {
    size_t host;
    st_saved *list;
    size_t n;
} restore_pick;

static void restore_pick_free(void *p)
{
    restore_pick *rp = p;
    st_savelist_free(rp->list, rp->n);
    free(rp);
}

static void on_restore_path(st_app *a, const char *text, void *ctx)
{
    size_t host = (size_t)(uintptr_t)ctx;
    if (!text || !*text)
        return;
    snapflow *f = st_snapflow_new(ST_REQ_RESTORE, host, NULL);
    f->path = xstrdup(text);
    st_snap_plan_open(a, f);
}

static void on_restore_pick(st_app *a, size_t choice, void *ctx)
{
    restore_pick *rp = ctx;
    if (choice == SIZE_MAX)
        return;
    if (choice >= rp->n) {
        st_app_push_dialog(a, st_input_new(_("Restore"), _("Save file (absolute path):"), "",
                                           on_restore_path, (void *)(uintptr_t)rp->host, NULL));
        return;
    }
    snapflow *f = st_snapflow_new(ST_REQ_RESTORE, rp->host, rp->list[choice].domain);
    f->path = xstrdup(rp->list[choice].path);
    f->restored = rp->list[choice].restored;
    st_snap_plan_open(a, f);
}

void st_flow_restore(st_app *a, const st_row *r)
{
    restore_pick *rp = xcalloc(1, sizeof(*rp));
    rp->host = r->host;
    rp->n = st_savelist_load(&rp->list);
    char **items = xcalloc(rp->n + 1, sizeof(char *));
    for (size_t i = 0; i < rp->n; i++) {
        char when[32] = "";
        time_t t = (time_t)rp->list[i].saved;
        struct tm tm;
        if (localtime_r(&t, &tm))
            strftime(when, sizeof(when), "%Y-%m-%d %H:%M", &tm);
        items[i] = xasprintf("%s  %s  %s%s", rp->list[i].domain, when, rp->list[i].path,
                             rp->list[i].restored ? _("  (restored before)") : "");
    }
    items[rp->n] = xstrdup(_("Type the path of a save file…"));
    st_app_push_dialog(a, st_picker_new(_("Restore a domain from a save file"),
                                        _("Files saved with this tool, newest first"),
                                        (const char *const *)items, rp->n + 1, 0, on_restore_pick,
                                        rp, restore_pick_free));
    for (size_t i = 0; i <= rp->n; i++)
        free(items[i]);
    free(items);
}
