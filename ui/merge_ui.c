/*
 * Commit and pull, guided: pick the base, gather facts on the host, show the plan with its
 * hazards and options, take a typed "yes", submit. Then the job shows in the tree and the jobs
 * panel; an active commit that becomes ready offers pivot or keep.
 */
#include "config.h"

#include <curses.h>
#include <stdlib.h>
#include <string.h>

#include "flows.h"
#include "i18n.h"
#include "plan.h"
#include "text.h"
#include "util.h"
#include "widgets.h"

typedef struct merge_flow {
    st_req_kind kind;
    size_t host;
    char *dom, *disk;
    char *top, *base; /* paths: indices are found again in every new model */
    st_merge_opts opts;
    st_facts *facts;
    st_plan *plan;
    int stage; /* 0 waiting for facts, 1 plan shown */
    st_confirm confirm;
} merge_flow;

static void flow_free(merge_flow *f)
{
    free(f->dom);
    free(f->disk);
    free(f->top);
    free(f->base);
    st_facts_free(f->facts);
    if (f->plan)
        st_plan_free(f->plan);
    free(f);
}

static const st_disk *flow_disk(st_app *a, const merge_flow *f, const st_domain **dom)
{
    const st_host *h = a->hosts[f->host];
    const st_domain *d = h ? st_host_find_domain(h, f->dom) : NULL;
    if (dom)
        *dom = d;
    return d ? st_domain_find_disk(d, f->disk) : NULL;
}

static size_t chain_index(const st_disk *k, const char *path)
{
    for (size_t i = 0; k && path && i < k->n_chain; i++)
        if (streq0(k->chain[i].path, path))
            return i;
    return SIZE_MAX;
}

static void plan_text(st_app *a, const st_plan *p, const merge_flow *f, st_textbuf *tb);

/* Remakes the plan from the latest model, facts and options. */
static void replan(st_app *a, merge_flow *f)
{
    if (f->plan)
        st_plan_free(f->plan);
    const st_disk *k = flow_disk(a, f, NULL);
    size_t top = chain_index(k, f->top);
    size_t base = f->base ? chain_index(k, f->base) : SIZE_MAX;
    if (f->kind == ST_REQ_COMMIT)
        f->plan = st_plan_commit(a->hosts, a->n_hosts, f->host, f->dom, f->disk, top, base,
                                 f->facts, &f->opts);
    else
        f->plan =
            st_plan_pull(a->hosts, a->n_hosts, f->host, f->dom, f->disk, base, f->facts, &f->opts);
    st_textbuf tb = {0};
    plan_text(a, f->plan, f, &tb);
    st_confirm_plan(&f->confirm, &tb);
    st_tb_clear(&tb);
}

static const char *level_label(st_hazard_level l)
{
    switch (l) {
    case ST_HAZ_REFUSE:
        return _("REFUSED");
    case ST_HAZ_WARN:
        return _("Warning");
    case ST_HAZ_INFO:
        return _("Note");
    }
    return "";
}

static void plan_text(st_app *a, const st_plan *p, const merge_flow *f, st_textbuf *tb)
{
    char bytes[32];
    st_fmt_bytes(bytes, sizeof(bytes), p->bytes);
    st_tb_add(tb, A_BOLD, 0, "%s", _("Chain before (active layer first):"));
    for (size_t i = 0; i < p->n_before; i++)
        st_tb_add(tb, A_NORMAL, 2, "%s", p->before[i]);
    st_tb_add(tb, A_BOLD, 0, "%s", _("Chain after:"));
    for (size_t i = 0; i < p->n_after; i++)
        st_tb_add(tb, A_NORMAL, 2, "%s", p->after[i]);
    if (p->n_leaving) {
        st_tb_add(
            tb, A_BOLD, 0, "%s",
            ngettext("File that leaves the chain:", "Files that leave the chain:", p->n_leaving));
        for (size_t i = 0; i < p->n_leaving; i++)
            st_tb_add(tb, A_NORMAL, 2, "%s", p->leaving[i]);
    }
    if (p->offline || !p->span) {
        st_tb_add(tb, A_NORMAL, 0, _("Data to copy: up to %s"), bytes);
    } else { /* the job's bar counts more than this: say so before it runs */
        char span[32];
        st_fmt_bytes(span, sizeof(span), p->span);
        st_tb_add(tb, A_NORMAL, 0,
                  _("Data to copy: up to %s (the job's progress counts the disk's whole virtual "
                    "size, %s: unallocated parts pass at once)"),
                  bytes, span);
    }
    /* libvirt's flags, untranslated as the calls below spell them; qemu-img takes none. */
    if (!p->offline)
        st_tb_add(tb, A_NORMAL, 0, _("libvirt flags: %s"),
                  !p->flags || streq0(p->flags, "none") ? _("none") : p->flags);
    st_tb_add(tb, A_BOLD, 0, "%s", _("What will run:"));
    for (size_t i = 0; i < p->n_calls; i++)
        st_tb_add(tb, A_NORMAL, 2, "%s", p->calls[i]);
    for (size_t i = 0; i < p->n_hazards; i++) {
        const st_hazard *h = &p->hazards[i];
        int attr = h->level == ST_HAZ_REFUSE ? st_attr(a, PAIR_ERROR, A_BOLD)
                   : h->level == ST_HAZ_WARN ? st_attr(a, PAIR_SHARED, A_BOLD)
                                             : (int)A_NORMAL;
        st_tb_add(tb, attr, 0, _("%s: %s"), level_label(h->level), h->text);
    }
    char bw[48];
    if (f->opts.bandwidth)
        snprintf(bw, sizeof(bw), _("%lu MiB/s"), f->opts.bandwidth);
    else
        snprintf(bw, sizeof(bw), "%s", _("unlimited"));
    st_tb_add(tb, A_BOLD, 0, "%s", _("Options (press the number to change):"));
    /* What will be written: relative only where the names involved are; nothing to say where
     * no backing name is written. */
    if (p->new_backing)
        st_tb_add(tb, p->relative_possible ? A_NORMAL : A_DIM, 2,
                  _("1  keep backing names relative: %s"),
                  p->relative_possible && f->opts.relative ? _("yes") : _("no"));
    st_tb_add(tb, A_NORMAL, 2, _("2  delete the merged files afterwards: %s"),
              f->opts.delete_files ? _("yes") : _("no"));
    st_tb_add(tb, A_NORMAL, 2, _("3  bandwidth limit: %s"), bw);
    const st_domain *d = NULL;
    flow_disk(a, f, &d);
    if (d && d->state == ST_DOM_SHUTOFF && a->hosts[f->host] && !a->hosts[f->host]->local)
        st_tb_add(tb, A_NORMAL, 2, _("4  start the domain paused for the job: %s"),
                  f->opts.start_paused ? _("yes") : _("no"));
}

static void plan_draw(st_app *a, st_dialog *dlg)
{
    merge_flow *f = dlg->data;
    int y, x, h, w;
    st_dialog_box(a, 100, a->lines, &y, &x, &h, &w);
    char *title = xasprintf(" %s ", f->plan && f->plan->title  ? f->plan->title
                                    : f->kind == ST_REQ_COMMIT ? _("Commit")
                                                               : _("Pull"));
    st_frame(a, y, x, h, w, title);
    free(title);
    if (f->stage == 0) {
        st_put(a, y + 2, x + 2, w - 4, _("Checking the host (free space, running jobs)…"), A_BOLD);
        st_put(a, y + h - 2, x + 2, w - 4, _("Esc cancels"), A_DIM);
        return;
    }
    st_textbuf tb = {0};
    plan_text(a, f->plan, f, &tb);
    st_confirm_draw(a, &f->confirm, &tb, f->plan->refused, y, x, h, w);
    st_tb_clear(&tb);
}

static void submit(st_app *a, merge_flow *f)
{
    st_request req;
    st_request_copy(&req, &f->plan->req);
    if (f->opts.delete_files && !req.n_paths) {
        req.paths = xcalloc(f->plan->n_leaving, sizeof(char *));
        for (size_t i = 0; i < f->plan->n_leaving; i++)
            req.paths[i] = xstrdup(f->plan->leaving[i]);
        req.n_paths = f->plan->n_leaving;
    }
    st_backend_submit(a->b, f->host, &req);
    st_request_clear(&req);
    st_app_status(a, false, _("%s/%s: starting…"), f->dom, f->disk);
}

static void on_bandwidth(st_app *a, const char *text, void *ctx)
{
    merge_flow *f = ctx;
    if (text && st_parse_mibs(a, text, &f->opts.bandwidth))
        replan(a, f);
}

static void on_delete_confirm(st_app *a, size_t choice, void *ctx)
{
    merge_flow *f = ctx;
    f->opts.delete_files = choice == 1;
    replan(a, f);
}

static void ask_delete(st_app *a, merge_flow *f)
{
    if (f->opts.delete_files) {
        f->opts.delete_files = false;
        replan(a, f);
        return;
    }
    const char *items[] = {_("No, keep the files"),
                           _("Yes, delete them once the job has completed")};
    strbuf hint;
    sb_init(&hint);
    sb_add(&hint, _("These files would be removed: "));
    for (size_t i = 0; f->plan && i < f->plan->n_leaving; i++) {
        if (i)
            sb_add(&hint, ", ");
        sb_add(&hint, st_basename(f->plan->leaving[i]));
    }
    st_app_push_dialog(a, st_picker_new(_("Delete the merged files? (asked twice)"), hint.s, items,
                                        2, 0, on_delete_confirm, f, NULL));
    sb_free(&hint);
}

static bool plan_key(st_app *a, st_dialog *dlg, int key, bool is_code)
{
    merge_flow *f = dlg->data;
    if (!is_code && key == 27)
        return true;
    if (f->stage == 0)
        return false;
    switch (st_confirm_key(a, &f->confirm, f->plan->refused, key, is_code)) {
    case ST_CONFIRM_YES:
        submit(a, f);
        return true;
    case ST_CONFIRM_HANDLED:
        return false;
    case ST_CONFIRM_OTHER:
        break;
    }
    /* Options stay available on a refused plan: changing one may be what lifts the refusal. */
    if (!is_code && key == '1' && f->plan->relative_possible) {
        f->opts.relative = !f->opts.relative;
        replan(a, f);
    } else if (!is_code && key == '2') {
        ask_delete(a, f);
    } else if (!is_code && key == '3') {
        char cur[32];
        snprintf(cur, sizeof(cur), "%lu", f->opts.bandwidth);
        st_app_push_dialog(a, st_input_new(_("Bandwidth"), _("MiB/s (0 = unlimited):"), cur,
                                           on_bandwidth, f, NULL));
    } else if (!is_code && key == '4') {
        f->opts.start_paused = !f->opts.start_paused;
        replan(a, f);
    } else if (f->plan->refused) {
        return !is_code && (key == '\n' || key == '\r' || key == 'q');
    }
    return false;
}

static void plan_message(st_app *a, st_dialog *dlg, const st_msg *m)
{
    merge_flow *f = dlg->data;
    if (m->kind == ST_MSG_PLAN && m->facts) {
        st_facts_free(f->facts);
        /* The message is freed after this call: keep a copy of the facts. */
        f->facts = st_facts_copy(m->facts);
        f->stage = 1;
        replan(a, f);
    } else if (m->kind == ST_MSG_RESULT && !m->ok) {
        st_app_status(a, true, "%s", m->text ? m->text : "?");
        /* No facts will come (the host stopped answering): nothing to plan with. */
        if (f->stage == 0)
            st_app_remove_dialog(a, dlg);
    }
}

static void plan_model_changed(st_app *a, st_dialog *dlg)
{
    merge_flow *f = dlg->data;
    if (f->stage == 1)
        replan(a, f);
}

static void plan_free(st_dialog *dlg)
{
    flow_free(dlg->data);
}

static const st_dialog_ops plan_ops = {
    .draw = plan_draw,
    .key = plan_key,
    .message = plan_message,
    .model_changed = plan_model_changed,
    .free = plan_free,
};

/* Opens the plan screen and asks the host for the facts the plan needs. */
static void open_plan(st_app *a, merge_flow *f)
{
    const st_host *h = a->hosts[f->host];
    const st_disk *k = flow_disk(a, f, NULL);
    st_merge_opts_default(&f->opts);
    size_t top = chain_index(k, f->top), base = f->base ? chain_index(k, f->base) : SIZE_MAX;
    st_request req = {0};
    req.kind = ST_REQ_FACTS;
    req.domain = f->dom;
    req.disk = f->disk;
    req.top = f->top;
    req.base = f->kind == ST_REQ_COMMIT ? f->base : f->top;
    req.paths = st_plan_space_paths(h, f->dom, f->disk, f->kind, top, base, &req.n_paths);
    st_dialog *dlg = xcalloc(1, sizeof(*dlg));
    dlg->ops = &plan_ops;
    dlg->data = f;
    dlg->request_id = st_backend_submit(a->b, f->host, &req);
    for (size_t i = 0; i < req.n_paths; i++)
        free(req.paths[i]);
    free(req.paths);
    st_app_push_dialog(a, dlg);
}

static merge_flow *flow_new(st_app *a, const st_row *r, st_req_kind kind)
{
    const st_domain *d = &a->hosts[r->host]->doms[r->dom];
    merge_flow *f = xcalloc(1, sizeof(*f));
    f->kind = kind;
    f->host = r->host;
    f->dom = xstrdup(d->name);
    f->disk = xstrdup(d->disks[r->disk].target);
    return f;
}

static void layer_item(const st_layer *l, size_t i, const char *note, strbuf *b)
{
    char al[32];
    st_fmt_bytes(al, sizeof(al), l->allocation);
    sb_printf(b, "[%zu] %s  %s  %s%s%s", i, st_basename(l->path ? l->path : "?"),
              l->format ? l->format : "?", al, note ? "  " : "", note ? note : "");
}

/* ---- commit ---- */

static void on_commit_base(st_app *a, size_t choice, void *ctx)
{
    merge_flow *f = ctx;
    const st_disk *k = flow_disk(a, f, NULL);
    size_t top = chain_index(k, f->top);
    if (choice == SIZE_MAX || !k || top == SIZE_MAX || top + 1 + choice >= k->n_chain) {
        flow_free(f);
        if (choice != SIZE_MAX)
            st_app_status(a, true, "%s", _("the chain changed meanwhile: try again"));
        return;
    }
    f->base = xstrdup(k->chain[top + 1 + choice].path);
    open_plan(a, f);
}

void st_flow_commit(st_app *a, const st_row *r)
{
    merge_flow *f = flow_new(a, r, ST_REQ_COMMIT);
    const st_disk *k = &a->hosts[r->host]->doms[r->dom].disks[r->disk];
    f->top = xstrdup(k->chain[r->layer].path);
    size_t n = k->n_chain - r->layer - 1;
    char **items = xcalloc(n, sizeof(char *));
    for (size_t i = 0; i < n; i++) {
        strbuf b;
        sb_init(&b);
        layer_item(&k->chain[r->layer + 1 + i], r->layer + 1 + i,
                   i == 0       ? _("(directly below)")
                   : i + 1 == n ? _("(base image)")
                                : NULL,
                   &b);
        items[i] = sb_steal(&b);
    }
    char *title = xasprintf(_("Commit %s down into which layer?"), st_basename(f->top));
    st_app_push_dialog(a, st_picker_new(title,
                                        _("Its data and that of every layer between goes into "
                                          "the layer you pick."),
                                        (const char *const *)items, n, 0, on_commit_base, f, NULL));
    free(title);
    for (size_t i = 0; i < n; i++)
        free(items[i]);
    free(items);
}

/* ---- pull ---- */

/* The picker lists "none", then layers 2 and below: layer 1 as the base would copy nothing. */
static size_t pull_item_layer(size_t item)
{
    return item == 0 ? SIZE_MAX : item + 1;
}

static void on_pull_base(st_app *a, size_t choice, void *ctx)
{
    merge_flow *f = ctx;
    const st_disk *k = flow_disk(a, f, NULL);
    size_t base = choice == SIZE_MAX ? SIZE_MAX : pull_item_layer(choice);
    if (choice == SIZE_MAX || !k || (base != SIZE_MAX && base >= k->n_chain)) {
        flow_free(f);
        return;
    }
    f->top = xstrdup(k->chain[0].path);
    f->base = base == SIZE_MAX ? NULL : xstrdup(k->chain[base].path);
    open_plan(a, f);
}

void st_flow_pull(st_app *a, const st_row *r)
{
    merge_flow *f = flow_new(a, r, ST_REQ_PULL);
    const st_disk *k = &a->hosts[r->host]->doms[r->dom].disks[r->disk];
    /* "none", and each layer below the active one that has something above it to copy. */
    size_t n = k->n_chain - 1;
    char **items = xcalloc(n, sizeof(char *));
    items[0] = xstrdup(_("none: the active layer becomes standalone (copies everything)"));
    for (size_t i = 1; i < n; i++) {
        size_t layer = pull_item_layer(i);
        strbuf b;
        sb_init(&b);
        layer_item(&k->chain[layer], layer,
                   layer == r->layer ? _("(selected: what lies above it is copied up)") : NULL, &b);
        items[i] = sb_steal(&b);
    }
    /* p on a layer makes it the base, as the issue has it: everything above it is copied up.
     * On the active layer or the one below it, the least there is to copy: layer 2, when the
     * chain has one, else the whole chain. */
    size_t def = r->layer >= 2 ? r->layer - 1 : n > 1 ? 1 : 0;
    char *title = xasprintf(_("Pull into %s: down to which base?"), st_basename(k->chain[0].path));
    st_app_push_dialog(a, st_picker_new(title,
                                        _("Layers above the base are copied into the active "
                                          "layer; the base and below stay."),
                                        (const char *const *)items, n, def, on_pull_base, f, NULL));
    free(title);
    for (size_t i = 0; i < n; i++)
        free(items[i]);
    free(items);
}
