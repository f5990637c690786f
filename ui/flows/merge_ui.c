/*
 * Commit and pull, guided: pick the base, gather facts on the host, show the plan with its
 * hazards and options, take a typed "yes", submit. Then the job shows in the tree and the jobs
 * panel; an active commit that becomes ready offers pivot or keep.
 */
#include "config.h"

#include <curses.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/i18n.h"
#include "base/util.h"
#include "core/compact.h"
#include "core/mergeplan.h"
#include "flows/flows.h"
#include "flows/journal_gate.h"
#include "view/widgets.h"

/* Where a merge's plan screen is: the plan needs the host's facts first. */
typedef enum { MERGE_WAITING_FACTS, MERGE_PLAN_SHOWN } merge_step;

typedef struct merge_flow {
    st_req_kind kind;
    size_t host;
    char *dom, *disk;
    char *top, *base;       /* paths: indices are found again in every new model */
    size_t top_at, base_at; /* where they were picked: a path a looped chain repeats is found
                             * there, not at its first place */
    size_t *offered;        /* the picker's items: chain indices (SIZE_MAX: no base) */
    size_t n_offered;
    st_merge_opts opts;
    st_facts *facts;
    st_plan *plan;
    merge_step step;
    st_confirm confirm;
    st_journal_gate journal;
    time_t opened; /* when the plan opened: names the snapshot it suggests */
} merge_flow;

static void flow_free(merge_flow *f)
{
    free(f->dom);
    free(f->disk);
    free(f->top);
    free(f->base);
    free(f->offered);
    st_facts_free(f->facts);
    if (f->plan)
        st_plan_free(f->plan);
    st_journal_gate_free(&f->journal);
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

/* Where path is in the chain: at `at` if it is still there, else its first place. */
static size_t chain_index(const st_disk *k, const char *path, size_t at)
{
    if (k && path && at < k->n_chain && streq0(k->chain[at].path, path))
        return at;
    for (size_t i = 0; k && path && i < k->n_chain; i++)
        if (streq0(k->chain[i].path, path))
            return i;
    return SIZE_MAX;
}

/*
 * Layer i is a layer above it met again: a looped chain's last entry (the walk marks it broken
 * and stops there). Offering it would offer a layer as its own base.
 */
static bool repeats_above(const st_disk *k, size_t i)
{
    const st_layer *l = &k->chain[i];
    for (size_t j = 0; j < i; j++) {
        const st_layer *o = &k->chain[j];
        if (streq0(o->path, l->path) || (l->ino && o->dev == l->dev && o->ino == l->ino))
            return true;
    }
    return false;
}

static void plan_text(st_app *a, const st_plan *p, const merge_flow *f, st_textbuf *tb);

/* Remakes the plan from the latest model, facts and options. */
static void replan(st_app *a, merge_flow *f)
{
    if (f->plan)
        st_plan_free(f->plan);
    const st_disk *k = flow_disk(a, f, NULL);
    size_t top = chain_index(k, f->top, f->top_at);
    size_t base = f->base ? chain_index(k, f->base, f->base_at) : SIZE_MAX;
    if (f->kind == ST_REQ_COMMIT)
        f->plan = st_plan_commit(a->hosts, a->n_hosts, f->host, f->dom, f->disk, top, base,
                                 f->facts, &f->opts);
    else
        f->plan =
            st_plan_pull(a->hosts, a->n_hosts, f->host, f->dom, f->disk, base, f->facts, &f->opts);
    st_journal_gate_not_undoable(&f->plan->hazards, &f->plan->n_hazards, f->kind, f->opened);
    st_journal_gate_check(&f->journal);
    if (st_journal_gate_hazard(&f->journal, &f->plan->hazards, &f->plan->n_hazards)) {
        /* Refused by the journal alone, the option lifts it; with others, it is one more. */
        f->plan->lifting =
            f->plan->refused && !f->plan->lifting ? 0 : f->plan->lifting | ST_OPT_JOURNAL;
        f->plan->refused = true;
    }
    st_textbuf tb = {0};
    plan_text(a, f->plan, f, &tb);
    st_confirm_plan(&f->confirm, &tb);
    st_tb_clear(&tb);
}

/*
 * The options the plan screen offers (ST_OPT_*): all that apply, but on a refused plan only those
 * whose change lifts the refusal, so that none is offered that cannot help.
 */
static unsigned shown_options(st_app *a, const merge_flow *f)
{
    const st_domain *d = NULL;
    flow_disk(a, f, &d);
    unsigned all = ST_OPT_RELATIVE | ST_OPT_DELETE | ST_OPT_BANDWIDTH;
    if (d && d->state == ST_DOM_SHUTOFF && a->hosts[f->host] && !a->hosts[f->host]->local)
        all |= ST_OPT_START_PAUSED;
    /* Nothing to say about relative names where no backing name is written. */
    if (f->plan && !f->plan->new_backing)
        all &= ~ST_OPT_RELATIVE;
    if (f->journal.why)
        all |= ST_OPT_JOURNAL;
    return f->plan && f->plan->refused ? all & f->plan->lifting : all;
}

/* On a refused plan, what the footer says can be done. */
static const char *refused_foot(const st_plan *p)
{
    if (!p->lifting)
        return _("This plan is refused (see above) and no option changes that: Esc goes back; "
                 "nothing was changed.");
    return _("This plan is refused (see above): the options shown can lift it; Esc goes back, "
             "nothing was changed.");
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
    for (size_t i = 0; i < p->n_space; i++)
        st_tb_add(tb, A_NORMAL, 0, "%s", p->space[i]);
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
        st_tb_add(tb, attr, 0, _("%s: %s"), st_hazard_label(h->level), h->text);
    }
    unsigned shown = shown_options(a, f);
    if (!shown)
        return;
    /* Options and the prompt stay in view below the plan, which scrolls above them. */
    st_tb_pin(tb);
    st_tb_add(tb, A_BOLD, 0, "%s", _("Options (press the number to change):"));
    /* What will be written: relative only where the names involved are. */
    if (shown & ST_OPT_RELATIVE)
        st_tb_add(tb, p->relative_possible ? A_NORMAL : A_DIM, 2,
                  _("1  keep backing names relative: %s"),
                  p->relative_possible && f->opts.relative ? _("yes") : _("no"));
    if (shown & ST_OPT_DELETE)
        st_tb_add(tb, A_NORMAL, 2, _("2  delete the merged files afterwards: %s"),
                  f->opts.delete_files ? _("yes") : _("no"));
    char bw[48];
    if (f->opts.bandwidth)
        snprintf(bw, sizeof(bw), _("%lu MiB/s"), f->opts.bandwidth);
    else
        snprintf(bw, sizeof(bw), "%s", _("unlimited"));
    if (shown & ST_OPT_BANDWIDTH)
        st_tb_add(tb, A_NORMAL, 2, _("3  bandwidth limit: %s"), bw);
    if (shown & ST_OPT_START_PAUSED)
        st_tb_add(tb, A_NORMAL, 2, _("4  start the domain paused for the job: %s"),
                  f->opts.start_paused ? _("yes") : _("no"));
    if (shown & ST_OPT_JOURNAL)
        st_journal_gate_option(&f->journal, tb, false);
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
    if (f->step == MERGE_WAITING_FACTS) {
        st_put(a, y + 2, x + 2, w - 4, _("Checking the host (free space, running jobs)…"), A_BOLD);
        st_put(a, y + h - 2, x + 2, w - 4, _("Esc cancels"), A_DIM);
        return;
    }
    st_textbuf tb = {0};
    plan_text(a, f->plan, f, &tb);
    f->confirm.refused_foot = refused_foot(f->plan);
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
    st_textbuf tb = {0};
    plan_text(a, f->plan, f, &tb);
    st_journal_gate_request(&f->journal, &tb, &req);
    st_tb_clear(&tb);
    int id = st_backend_submit(a->b, f->host, &req);
    st_request_clear(&req);
    st_app_status(a, false, _("%s/%s: starting…"), f->dom, f->disk);
    a->status_request = id;
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

/* A numbered option (1-4); on a refused plan only those shown: the ones that can lift it. */
static void option_key(st_app *a, merge_flow *f, int digit)
{
    unsigned shown = shown_options(a, f);
    if (digit == '1' && (shown & ST_OPT_RELATIVE) && f->plan->relative_possible) {
        f->opts.relative = !f->opts.relative;
        replan(a, f);
    } else if (digit == '2' && (shown & ST_OPT_DELETE)) {
        ask_delete(a, f);
    } else if (digit == '3' && (shown & ST_OPT_BANDWIDTH)) {
        char cur[32];
        snprintf(cur, sizeof(cur), "%lu", f->opts.bandwidth);
        st_app_push_dialog(a, st_input_new(_("Bandwidth"), _("MiB/s (0 = unlimited):"), cur,
                                           on_bandwidth, f, NULL));
    } else if (digit == '4' && (shown & ST_OPT_START_PAUSED)) {
        f->opts.start_paused = !f->opts.start_paused;
        replan(a, f);
    } else if ((shown & ST_OPT_JOURNAL) && st_journal_gate_key(&f->journal, digit)) {
        replan(a, f);
    }
}

static bool plan_key(st_app *a, st_dialog *dlg, st_keyreq req, int key, bool is_code)
{
    merge_flow *f = dlg->data;
    (void)is_code;
    if (req == ST_KEY_CANCEL)
        return true;
    if (f->step == MERGE_WAITING_FACTS)
        return false;
    switch (st_confirm_key(a, &f->confirm, f->plan->refused, req, key)) {
    case ST_CONFIRM_YES:
        submit(a, f);
        return true;
    case ST_CONFIRM_HANDLED:
        return false;
    case ST_CONFIRM_OTHER:
        break;
    }
    if (req == ST_KEY_OPTION)
        option_key(a, f, key);
    /* Enter on a refused plan closes it: there is nothing to start. */
    return req == ST_KEY_ACCEPT && f->plan->refused;
}

static void plan_message(st_app *a, st_dialog *dlg, const st_msg *m)
{
    merge_flow *f = dlg->data;
    if (m->kind == ST_MSG_PLAN && m->facts) {
        st_facts_free(f->facts);
        /* The message is freed after this call: keep a copy of the facts. */
        f->facts = st_facts_copy(m->facts);
        f->step = MERGE_PLAN_SHOWN;
        replan(a, f);
    } else if (m->kind == ST_MSG_RESULT && !m->ok) {
        st_app_status(a, true, "%s", m->text ? m->text : "?");
        /* No facts will come (the host stopped answering): nothing to plan with. */
        if (f->step == MERGE_WAITING_FACTS)
            st_app_remove_dialog(a, dlg);
    }
}

static void plan_model_changed(st_app *a, st_dialog *dlg)
{
    merge_flow *f = dlg->data;
    if (f->step == MERGE_PLAN_SHOWN)
        replan(a, f);
}

static void plan_free(st_dialog *dlg)
{
    flow_free(dlg->data);
}

static const st_dialog_ops plan_ops = {
    .keys = ST_CTX_PLAN,
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
    f->opened = time(NULL);
    size_t top = chain_index(k, f->top, f->top_at);
    size_t base = f->base ? chain_index(k, f->base, f->base_at) : SIZE_MAX;
    st_request req = {0};
    req.kind = ST_REQ_FACTS;
    req.domain = f->dom;
    req.disk = f->disk;
    req.top = f->top;
    req.base = f->kind == ST_REQ_COMMIT ? f->base : f->top;
    req.paths = st_plan_space_paths(h, f->dom, f->disk, f->kind, top, base, &req.n_paths);
    st_plan_map_layers(h, f->dom, f->disk, f->kind, top, base, &req);
    st_dialog *dlg = xcalloc(1, sizeof(*dlg));
    dlg->ops = &plan_ops;
    dlg->data = f;
    dlg->request_id = st_backend_submit(a->b, f->host, &req);
    /* The names were borrowed from the flow; the lists are the request's own. */
    req.domain = req.disk = req.top = req.base = NULL;
    st_request_clear(&req);
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

/* A layer as the pickers list it; one that other domains also read says which. */
static void layer_item(const st_layer *l, size_t i, const char *note, strbuf *b)
{
    char al[32];
    st_fmt_bytes(al, sizeof(al), l->allocation);
    sb_printf(b, "[%zu] %s  %s  %s%s%s", i, st_basename(l->path ? l->path : "?"),
              l->format ? l->format : "?", al, note ? "  " : "", note ? note : "");
    if (!l->n_shared)
        return;
    sb_printf(b, "  [%s ", _("shared with"));
    for (size_t k = 0; k < l->n_shared; k++)
        sb_printf(b, "%s%s", k ? ", " : "", l->shared_with[k]);
    sb_addc(b, ']');
}

/* Offers layer i (SIZE_MAX: none, then `note` is the item) to a picker as item f->n_offered. */
static void offer(merge_flow *f, size_t i, char ***items, const st_layer *l, const char *note)
{
    /* A chain has a few layers: one more each time is cheap enough. */
    f->offered = xrealloc(f->offered, (f->n_offered + 1) * sizeof(size_t));
    *items = xrealloc(*items, (f->n_offered + 1) * sizeof(char *));
    strbuf b;
    sb_init(&b);
    if (l)
        layer_item(l, i, note, &b);
    else
        sb_add(&b, note);
    (*items)[f->n_offered] = sb_steal(&b);
    f->offered[f->n_offered++] = i;
}

static void free_items(char **items, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(items[i]);
    free(items);
}

/* ---- commit ---- */

static void on_commit_base(st_app *a, size_t choice, void *ctx)
{
    merge_flow *f = ctx;
    const st_disk *k = flow_disk(a, f, NULL);
    size_t top = chain_index(k, f->top, f->top_at);
    /* Layers above the top may have come or gone: the pick keeps its distance to the top. */
    size_t base =
        choice < f->n_offered && top != SIZE_MAX ? f->offered[choice] - f->top_at + top : SIZE_MAX;
    if (choice == SIZE_MAX || !k || base >= k->n_chain) {
        flow_free(f);
        if (choice != SIZE_MAX)
            st_app_status(a, true, "%s", _("the chain changed meanwhile: try again"));
        return;
    }
    f->top_at = top;
    f->base = xstrdup(k->chain[base].path);
    f->base_at = base;
    open_plan(a, f);
}

void st_flow_commit(st_app *a, const st_row *r)
{
    merge_flow *f = flow_new(a, r, ST_REQ_COMMIT);
    const st_disk *k = &a->hosts[r->host]->doms[r->dom].disks[r->disk];
    f->top = xstrdup(k->chain[r->layer].path);
    f->top_at = r->layer;
    char **items = NULL;
    for (size_t i = r->layer + 1; i < k->n_chain; i++)
        if (!repeats_above(k, i))
            offer(f, i, &items, &k->chain[i],
                  i == r->layer + 1     ? _("(directly below)")
                  : i + 1 == k->n_chain ? _("(base image)")
                                        : NULL);
    /* Only the loop's way back below: nothing to pick; the plan says why nothing can run. */
    if (!f->n_offered) {
        f->base = xstrdup(k->chain[r->layer + 1].path);
        f->base_at = r->layer + 1;
        open_plan(a, f);
        return;
    }
    char *title = xasprintf(_("Commit %s down into which layer?"), st_basename(f->top));
    size_t n = f->n_offered;
    st_app_push_dialog(a, st_picker_new(title,
                                        _("Its data and that of every layer between goes into "
                                          "the layer you pick."),
                                        (const char *const *)items, n, 0, on_commit_base, f, NULL));
    free(title);
    free_items(items, n);
}

/* ---- pull ---- */

static void on_pull_base(st_app *a, size_t choice, void *ctx)
{
    merge_flow *f = ctx;
    const st_disk *k = flow_disk(a, f, NULL);
    size_t base = choice < f->n_offered ? f->offered[choice] : 0;
    if (choice == SIZE_MAX || !k || base == 0 || (base != SIZE_MAX && base >= k->n_chain)) {
        flow_free(f);
        return;
    }
    f->top = xstrdup(k->chain[0].path);
    f->top_at = 0;
    f->base = base == SIZE_MAX ? NULL : xstrdup(k->chain[base].path);
    f->base_at = base;
    open_plan(a, f);
}

void st_flow_pull(st_app *a, const st_row *r)
{
    merge_flow *f = flow_new(a, r, ST_REQ_PULL);
    const st_disk *k = &a->hosts[r->host]->doms[r->dom].disks[r->disk];
    /* "none", and each layer below the active one that has something above it to copy (layer 1
     * as the base would copy nothing). */
    char **items = NULL;
    offer(f, SIZE_MAX, &items, NULL,
          _("none: the active layer becomes standalone (copies everything)"));
    size_t def = 0;
    for (size_t layer = 2; layer < k->n_chain; layer++) {
        if (repeats_above(k, layer))
            continue;
        /* p on a layer makes it the base, as the issue has it: everything above it is copied
         * up. On the active layer or the one below it, the least there is to copy: layer 2,
         * when the chain has one, else the whole chain. */
        if (layer == r->layer || (layer == 2 && r->layer < 2))
            def = f->n_offered;
        offer(f, layer, &items, &k->chain[layer],
              layer == r->layer ? _("(selected: what lies above it is copied up)") : NULL);
    }
    size_t n = f->n_offered;
    char *title = xasprintf(_("Pull into %s: down to which base?"), st_basename(k->chain[0].path));
    st_app_push_dialog(a, st_picker_new(title,
                                        _("Layers above the base are copied into the active "
                                          "layer; the base and below stay."),
                                        (const char *const *)items, n, def, on_pull_base, f, NULL));
    free(title);
    free_items(items, n);
}

/* ---- compaction: the chain doctor's fix for a chain deeper than the limit ---- */

void st_flow_compact(st_app *a, const st_row *r)
{
    const st_host *h = a->hosts[r->host];
    const st_domain *d = &h->doms[r->dom];
    const st_disk *k = &d->disks[r->disk];
    const st_finding *x = st_compact_find(&h->doctor, d->name, k->target);
    if (!x) {
        st_app_status(a, true, "%s",
                      _("fix: the chain doctor offers no fix for this disk's chain"));
        return;
    }
    size_t top = chain_index(k, x->fix_top, 1);
    size_t base = chain_index(k, x->fix_base, SIZE_MAX);
    if (top == SIZE_MAX || base == SIZE_MAX || base <= top) {
        st_app_status(a, true, "%s", _("the chain changed meanwhile: try again"));
        return;
    }
    merge_flow *f = flow_new(a, r, ST_REQ_COMMIT);
    f->top = xstrdup(x->fix_top);
    f->top_at = top;
    f->base = xstrdup(x->fix_base);
    f->base_at = base;
    open_plan(a, f);
}
