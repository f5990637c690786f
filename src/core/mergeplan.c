/*
 * The planner. Everything here is computed from the model and the facts the worker gathered;
 * nothing touches a host. A plan is always returned: when something is wrong it carries an
 * ST_HAZ_REFUSE hazard that says why, so that the plan screen can show the reason instead of
 * silently offering nothing.
 *
 * Vocabulary: chain index 0 is the active layer, the last index the bottom base image. A merge
 * copies the data of the layers [first, end) into the receiver; those layers leave the chain;
 * the "rewritten" layer is the one whose backing pointer changes.
 */
#include "config.h"

#include "core/mergeplan.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/i18n.h"
#include "base/util.h"
#include "core/backing_name.h"
#include "core/mergeplan_internal.h"

void pl_sv_push(pl_strv *s, char *str)
{
    xgrow((void **)&s->v, &s->cap, s->n + 1, sizeof(char *));
    s->v[s->n++] = str;
}

void pl_sv_free(pl_strv *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->v[i]);
    free(s->v);
    memset(s, 0, sizeof(*s));
}

char *pl_sv_join(const pl_strv *s, const char *sep)
{
    strbuf b;
    sb_init(&b);
    for (size_t i = 0; i < s->n; i++) {
        if (i)
            sb_add(&b, sep);
        sb_add(&b, s->v[i]);
    }
    return sb_steal(&b);
}

/* Hands the strings to a plan field (NULL when empty, as the other plan arrays). */
char **pl_sv_steal(pl_strv *s, size_t *n)
{
    char **v = s->v;
    *n = s->n;
    if (!s->n) {
        free(v);
        v = NULL;
    }
    memset(s, 0, sizeof(*s));
    return v;
}

/* ---- hazards ---------------------------------------------------------------------------- */

void pl_haz(plan_ctx *c, st_hazard_level lv, char *text)
{
    st_plan *p = c->p;
    xgrow((void **)&p->hazards, &c->hcap, p->n_hazards + 1, sizeof(st_hazard));
    p->hazards[p->n_hazards++] = (st_hazard){lv, text};
    if (lv == ST_HAZ_REFUSE) {
        p->refused = true;
        c->n_fixed++;
    }
}

void pl_lifted_by(plan_ctx *c, size_t from, unsigned opts)
{
    for (size_t i = from; i < c->p->n_hazards; i++) {
        if (c->p->hazards[i].level != ST_HAZ_REFUSE)
            continue;
        c->n_fixed--;
        c->lifts |= opts;
    }
}

void pl_hazf(plan_ctx *c, st_hazard_level lv, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = xvasprintf(fmt, ap);
    va_end(ap);
    pl_haz(c, lv, s);
}

/* REFUSE first, then WARN, then INFO; within a level the order in which they were found. */
void pl_sort_hazards(st_plan *p)
{
    for (size_t i = 1; i < p->n_hazards; i++) {
        st_hazard h = p->hazards[i];
        size_t j = i;
        while (j > 0 && p->hazards[j - 1].level < h.level) {
            p->hazards[j] = p->hazards[j - 1];
            j--;
        }
        p->hazards[j] = h;
    }
}

/* ---- small helpers ---------------------------------------------------------------------- */

const char *pl_lname(const st_layer *l)
{
    return l->path ? st_basename(l->path) : "?";
}

/* A layer's full path for display; "?" for a layer whose path is not known (refused anyway). */
const char *pl_lpath(const st_layer *l)
{
    return l->path ? l->path : "?";
}

const st_layer *pl_L(const plan_ctx *c, size_t i)
{
    return &c->k->chain[i];
}

bool pl_in_range(const plan_ctx *c, size_t i)
{
    return i >= c->first && i < c->end;
}

/* Shell words stay bare only when nothing in them means anything to a shell. */
void pl_sb_shq(strbuf *b, const char *s)
{
    static const char safe[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                               "0123456789_-./:=@%+,";
    if (*s && strspn(s, safe) == strlen(s)) {
        sb_add(b, s);
        return;
    }
    sb_addc(b, '\'');
    for (; *s; s++) {
        if (*s == '\'')
            sb_add(b, "'\\''");
        else
            sb_addc(b, *s);
    }
    sb_addc(b, '\'');
}

/* A C string literal for the libvirt calls as shown. */
void pl_sb_cq(strbuf *b, const char *s)
{
    if (!s) {
        sb_add(b, "NULL");
        return;
    }
    sb_addc(b, '"');
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            sb_addc(b, '\\');
        sb_addc(b, *s);
    }
    sb_addc(b, '"');
}

/*
 * Finds the domain a shared_with label names. st_model_mark_shared writes "dom" for a domain on
 * the same host and "dom@hostname" for one elsewhere; the host name itself may hold '@' (a URI),
 * so the label is rebuilt for every candidate rather than split.
 */
const st_domain *pl_find_sharer(const plan_ctx *c, const char *label, const st_host **where)
{
    for (size_t hi = 0; hi < c->n_hosts; hi++) {
        const st_host *h = c->hosts[hi];
        if (!h)
            continue;
        const char *hname = h->name ? h->name : h->uri ? h->uri : "?";
        for (size_t di = 0; di < h->n_doms; di++) {
            const st_domain *d = &h->doms[di];
            if (!d->name)
                continue;
            bool hit;
            if (hi == c->hi) {
                hit = streq0(label, d->name);
            } else {
                size_t nl = strlen(d->name);
                hit = strncmp(label, d->name, nl) == 0 && label[nl] == '@' &&
                      strcmp(label + nl + 1, hname) == 0;
            }
            if (hit) {
                *where = h;
                return d;
            }
        }
    }
    return NULL;
}

char *pl_join_shared(const st_layer *l)
{
    pl_strv s = {0};
    for (size_t i = 0; i < l->n_shared; i++)
        pl_sv_push(&s, xstrdup(l->shared_with[i]));
    char *r = pl_sv_join(&s, ", ");
    pl_sv_free(&s);
    return r;
}

/* ---- relative backing names ------------------------------------------------------------- */

bool pl_name_is_relative(const char *n)
{
    return n && *n && n[0] != '/' && !strstr(n, "://") && strncmp(n, "json:", 5) != 0;
}

/*
 * The name libvirt writes with RELATIVE: it walks the backing names from the rewritten layer down
 * to the base and joins each to the folder part of the previous one
 * (virStorageSourceGetRelativeBackingPath). It refuses when any of them is absolute, so do we.
 */
static void plan_relative(plan_ctx *c)
{
    if (c->rewritten == NONE || c->newbacking == NONE)
        return; /* nothing gets a new backing name */
    char *path = NULL;
    bool ok = true;
    for (size_t i = c->rewritten; ok && i < c->newbacking; i++) {
        const char *n = pl_L(c, i)->backing_name;
        if (!n)
            c->names_unknown = true;
        ok = pl_name_is_relative(n);
        if (!ok)
            break;
        /* Each name is relative to the folder of the image that stores it. */
        const char *slash = path ? strrchr(path, '/') : NULL;
        int keep = slash ? (int)(slash - path) + 1 : 0;
        char *next = xasprintf("%.*s%s", keep, path ? path : "", n);
        free(path);
        path = next;
    }
    if (ok) {
        c->rel_name = path;
        c->p->relative_possible = true;
    } else {
        free(path);
    }
    c->relative = c->p->relative_possible && c->o.relative;
}

/*
 * The backing name the rewritten layer gets. libvirt's job writes what libvirt composes
 * (RELATIVE) or the base's path as libvirt opened it; qemu-img rebase writes ours, the shortest
 * way from the layer's own folder (see backing_name.h).
 */
static void plan_new_name(plan_ctx *c)
{
    if (c->rewritten == NONE || c->newbacking == NONE)
        return;
    const char *base = pl_lpath(pl_L(c, c->newbacking));
    if (c->p->offline)
        c->new_name = st_backing_name_for(pl_lpath(pl_L(c, c->rewritten)), base, c->relative);
    else
        c->new_name = xstrdup(c->relative ? c->rel_name : base);
}

/* The backing name as it will be written into the rewritten layer. */
const char *pl_new_backing_name(const plan_ctx *c)
{
    return c->new_name ? c->new_name : "";
}

/* ---- before / after --------------------------------------------------------------------- */

static char *layer_line(const st_layer *l, size_t idx, pl_strv *marks)
{
    char sz[32];
    if (l->allocation)
        st_fmt_bytes(sz, sizeof(sz), l->allocation);
    else
        snprintf(sz, sizeof(sz), "?");
    strbuf b;
    sb_init(&b);
    sb_printf(&b, "[%zu] %s  %s  %s", idx, pl_lname(l), l->format ? l->format : "?", sz);
    if (marks->n) {
        /* TRANSLATORS: what the plan says of a layer, between marks ("top; merged into …"). */
        char *m = pl_sv_join(marks, _("; "));
        /* TRANSLATORS: the marks after a layer's line; Chinese takes full-width brackets. */
        sb_printf(&b, _("  (%s)"), m);
        free(m);
    }
    pl_sv_free(marks);
    return sb_steal(&b);
}

static void before_marks(const plan_ctx *c, size_t i, pl_strv *m)
{
    const char *rcv = pl_lname(pl_L(c, c->receiver));
    if (i == 0)
        pl_sv_push(m, xstrdup(c->pull ? _("active layer: receives the data") : _("active layer")));
    if (!c->pull && i == c->first)
        pl_sv_push(m, xstrdup(_("top")));
    if (pl_in_range(c, i))
        pl_sv_push(m, xasprintf(c->pull ? _("copied into %s; leaves the chain")
                                        : _("merged into %s; leaves the chain"),
                                rcv));
    if (!c->pull && i == c->receiver)
        pl_sv_push(m, xstrdup(_("base: receives the data")));
    if (!c->pull && i == c->rewritten)
        pl_sv_push(m, xasprintf(_("backing file becomes %s"), rcv));
    if (c->pull && i == c->newbacking)
        pl_sv_push(m, xasprintf(_("becomes the backing file of %s"), pl_lname(pl_L(c, 0))));
}

static void after_marks(const plan_ctx *c, size_t old, size_t idx, pl_strv *m)
{
    if (idx == 0 && c->pull)
        pl_sv_push(m, xstrdup(_("active layer: holds the pulled data")));
    else if (idx == 0 && c->top == 0 && c->p->offline)
        pl_sv_push(m, xstrdup(_("active layer: the domain definition points here")));
    else if (idx == 0 && c->top == 0)
        pl_sv_push(m, xstrdup(_("active layer after the pivot")));
    else if (idx == 0)
        pl_sv_push(m, xstrdup(_("active layer")));
    if (c->pull && idx == 0 && c->newbacking == NONE)
        pl_sv_push(m, xstrdup(_("standalone: no backing file")));
    if (!c->pull && old == c->receiver)
        pl_sv_push(m, xstrdup(_("holds the merged data")));
    if (old == c->rewritten && c->newbacking != NONE)
        pl_sv_push(m, xasprintf(_("backing file: %s"), pl_new_backing_name(c)));
}

static void plan_chains(plan_ctx *c)
{
    pl_strv before = {0}, after = {0}, leaving = {0};
    for (size_t i = 0; i < c->k->n_chain; i++) {
        pl_strv m = {0};
        before_marks(c, i, &m);
        pl_sv_push(&before, layer_line(pl_L(c, i), i, &m));
    }
    size_t idx = 0;
    for (size_t i = 0; i < c->k->n_chain; i++) {
        if (pl_in_range(c, i)) {
            pl_sv_push(&leaving, xstrdup(pl_lpath(pl_L(c, i))));
            c->p->bytes += pl_L(c, i)->allocation;
            c->size_unknown = c->size_unknown || !pl_L(c, i)->allocation;
            continue;
        }
        pl_strv m = {0};
        after_marks(c, i, idx, &m);
        pl_sv_push(&after, layer_line(pl_L(c, i), idx++, &m));
    }
    /* A mirror (active commit) counts the data it copies, as the plan does. */
    if (c->pull || c->top > 0)
        c->p->span = pl_L(c, c->pull ? 0 : c->top)->virtual_size;
    c->p->before = pl_sv_steal(&before, &c->p->n_before);
    c->p->after = pl_sv_steal(&after, &c->p->n_after);
    c->p->leaving = pl_sv_steal(&leaving, &c->p->n_leaving);
}

static void plan_title(plan_ctx *c)
{
    const char *rcv = pl_lname(pl_L(c, c->receiver));
    /* qemu-img commits a shut-off domain's active layer like any other: no mirror, no READY,
     * no pivot: an "active commit" is what a running domain's QEMU does. */
    if (!c->pull && c->top == 0 && !c->p->offline)
        c->p->title = xasprintf(_("Active commit of %s into %s (%s/%s)"), pl_lname(pl_L(c, 0)), rcv,
                                c->dom, c->target);
    else if (!c->pull)
        c->p->title = xasprintf(_("Commit %s into %s (%s/%s)"), pl_lname(pl_L(c, c->top)), rcv,
                                c->dom, c->target);
    else if (c->newbacking != NONE)
        c->p->title = xasprintf(_("Pull into %s everything above %s (%s/%s)"), rcv,
                                pl_lname(pl_L(c, c->newbacking)), c->dom, c->target);
    else
        c->p->title = xasprintf(_("Pull the whole chain into %s (%s/%s)"), rcv, c->dom, c->target);
}

/* ---- flags, request and the calls ------------------------------------------------------- */

char *pl_libvirt_flags(const plan_ctx *c)
{
    pl_strv f = {0};
    if (c->relative)
        pl_sv_push(&f, xstrdup("RELATIVE"));
    if (!c->pull && c->top == 0)
        pl_sv_push(&f, xstrdup("ACTIVE"));
    if (c->libvirt_deletes && c->o.delete_files && c->p->delete_possible)
        pl_sv_push(&f, xstrdup("DELETE"));
    char *s = f.n ? pl_sv_join(&f, " | ") : NULL;
    pl_sv_free(&f);
    return s;
}

const char *st_hazard_label(st_hazard_level l)
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

char *pl_libvirt_layer(const plan_ctx *c, size_t i)
{
    const st_layer *l = pl_L(c, i);
    /* libvirt finds a layer by its file name, or by "vda[N]" with N its index in the live XML:
     * a network layer (nbd+unix:///…) has no file name libvirt would match. */
    if (l->path && l->path[0] != '/' && l->backing_index >= 0)
        return xasprintf("%s[%d]", c->target, l->backing_index);
    return xstrdup0(l->path);
}

static void plan_request(plan_ctx *c)
{
    st_request *r = &c->p->req;
    r->kind = c->pull ? ST_REQ_PULL : ST_REQ_COMMIT;
    r->domain = xstrdup(c->dom);
    r->disk = xstrdup(c->target);
    r->top = pl_libvirt_layer(c, c->pull ? 0 : c->top);
    r->base = c->newbacking != NONE ? pl_libvirt_layer(c, c->newbacking) : NULL;
    if (c->relative)
        r->flags |= ST_F_RELATIVE;
    if (!c->pull && c->top == 0)
        r->flags |= ST_F_ACTIVE;
    if (c->start_paused)
        r->flags |= ST_F_START_PAUSED;
    r->bandwidth = c->o.bandwidth;
    r->space_needed = c->p->peak;
    r->data = c->size_unknown ? 0 : c->p->bytes;
    if (c->newbacking != NONE)
        r->format = xstrdup0(pl_L(c, c->newbacking)->format);
    /* The files to remove afterwards, so that whoever removes them removes exactly these. */
    if (c->o.delete_files && c->p->delete_possible) {
        r->flags |= ST_F_DELETE;
        if (c->p->n_leaving) {
            r->paths = xcalloc(c->p->n_leaving, sizeof(char *));
            for (size_t i = 0; i < c->p->n_leaving; i++)
                r->paths[i] = xstrdup0(c->p->leaving[i]);
            r->n_paths = c->p->n_leaving;
        }
    }
}

/* ---- setting up --------------------------------------------------------------------------- */

static bool resolve(const st_host *h, const char *dom, const char *target, const st_domain **d,
                    const st_disk **k)
{
    *d = st_host_find_domain(h, dom);
    *k = *d ? st_domain_find_disk(*d, target) : NULL;
    return *k != NULL;
}

/* A plan that refuses before anything could be computed. */
static st_plan *early_refusal(plan_ctx *c, char *why)
{
    st_plan *p = c->p;
    p->title = xasprintf(c->pull ? _("Pull on %s/%s") : _("Commit on %s/%s"), c->dom ? c->dom : "?",
                         c->target ? c->target : "?");
    p->flags = xstrdup("none");
    pl_haz(c, ST_HAZ_REFUSE, why);
    return p;
}

/* Whether the files leaving the chain can be deleted, and by whom. */
static void plan_delete(plan_ctx *c)
{
    bool files = !streq0(c->k->type, "network") && !streq0(c->k->type, "block");
    for (size_t i = c->first; i < c->end; i++)
        files = files && pl_L(c, i)->path && pl_L(c, i)->path[0] == '/';
    c->files_local = files;
    /* libvirt 9.0's QEMU driver accepts VIR_DOMAIN_BLOCK_COMMIT_DELETE and unlinks the merged
     * file images when the commit completes (on pivot for an active commit), on whichever host
     * it runs. A pull has no such flag: only this machine's files can be removed, by us. */
    if (c->online && !c->pull) {
        c->libvirt_deletes = true;
        c->p->delete_possible = files;
    } else {
        c->p->delete_possible = files && c->h->local;
    }
}

static void plan_body(plan_ctx *c)
{
    c->p->new_backing = c->rewritten != NONE && c->newbacking != NONE;
    plan_relative(c);
    pl_check_early(c);
    plan_new_name(c);
    plan_delete(c);
    plan_title(c);
    plan_chains(c);
    pl_space_figures(c);
    pl_check_rest(c);
    plan_request(c);
    if (c->p->offline)
        pl_calls_offline(c);
    else
        pl_calls_online(c);
    c->p->calls = pl_sv_steal(&c->calls, &c->p->n_calls);
    pl_sort_hazards(c->p);
    c->p->lifting = c->p->refused && !c->n_fixed ? c->lifts : 0;
}

static void ctx_init(plan_ctx *c, st_host *const *hosts, size_t n_hosts, size_t host,
                     const char *dom, const char *target, const st_facts *facts,
                     const st_merge_opts *opts)
{
    memset(c, 0, sizeof(*c));
    c->p = xcalloc(1, sizeof(st_plan));
    c->hosts = hosts;
    c->n_hosts = n_hosts;
    c->hi = host;
    c->h = host < n_hosts ? hosts[host] : NULL;
    c->dom = dom;
    c->target = target;
    c->facts = facts;
    if (opts)
        c->o = *opts;
    c->rewritten = c->newbacking = NONE;
}

/* Host, domain and disk exist; NULL when they do (c->k, c->d set), else the refusal text. */
static char *find_disk(plan_ctx *c)
{
    if (!c->h)
        return xstrdup(_("The host is not known."));
    if (!resolve(c->h, c->dom, c->target, &c->d, &c->k))
        return c->d ? xasprintf(_("Domain %s has no disk %s."), c->dom, c->target ? c->target : "?")
                    : xasprintf(_("Domain %s was not found on %s."), c->dom ? c->dom : "?",
                                c->h->name ? c->h->name : "?");
    return NULL;
}

st_plan *st_plan_commit(st_host *const *hosts, size_t n_hosts, size_t host, const char *dom,
                        const char *target, size_t top, size_t base, const st_facts *facts,
                        const st_merge_opts *opts)
{
    plan_ctx c;
    ctx_init(&c, hosts, n_hosts, host, dom, target, facts, opts);
    c.p->kind = ST_REQ_COMMIT;
    char *why = find_disk(&c);
    if (why)
        return early_refusal(&c, why);
    if (top == base && top < c.k->n_chain)
        return early_refusal(&c, xasprintf(_("%s cannot be committed into itself: the base must "
                                             "be a layer below it."),
                                           pl_lpath(&c.k->chain[top])));
    if (!(top < base && base < c.k->n_chain))
        return early_refusal(&c, xasprintf(_("Cannot commit layer %zu into layer %zu: the top "
                                             "must be above the base, in a chain of %zu."),
                                           top, base, c.k->n_chain));
    c.top = c.first = top;
    c.base = c.end = c.receiver = c.newbacking = base;
    c.rewritten = top > 0 ? top - 1 : NONE;
    plan_body(&c);
    c.p->active = top == 0 && !c.p->offline;
    free(c.rel_name);
    free(c.new_name);
    return c.p;
}

st_plan *st_plan_pull(st_host *const *hosts, size_t n_hosts, size_t host, const char *dom,
                      const char *target, size_t base, const st_facts *facts,
                      const st_merge_opts *opts)
{
    plan_ctx c;
    ctx_init(&c, hosts, n_hosts, host, dom, target, facts, opts);
    c.pull = true;
    c.p->kind = ST_REQ_PULL;
    char *why = find_disk(&c);
    if (why)
        return early_refusal(&c, why);
    size_t n = c.k->n_chain;
    if (base == NONE ? n < 2 : !(base > 1 && base < n))
        return early_refusal(
            &c, base == NONE || base == 1
                    ? xstrdup(_("Nothing to pull: no layer lies between the active layer and "
                                "the base."))
                    : xasprintf(_("Cannot pull down to layer %zu: the chain has %zu layers."), base,
                                n));
    c.top = 0;
    c.base = base;
    c.first = 1;
    c.end = base == NONE ? n : base;
    c.receiver = c.rewritten = 0;
    c.newbacking = base;
    plan_body(&c);
    free(c.rel_name);
    free(c.new_name);
    return c.p;
}

void st_merge_opts_default(st_merge_opts *o)
{
    memset(o, 0, sizeof(*o));
    /* Whether names are relative is a matter of the names the merge rewrites, not of the whole
     * chain: plan_relative decides, from the layers involved. */
    o->relative = true;
}

char **st_plan_space_paths(const st_host *h, const char *dom, const char *target, st_req_kind k,
                           size_t top, size_t base, size_t *n)
{
    *n = 0;
    const st_domain *d;
    const st_disk *disk;
    if (!resolve(h, dom, target, &d, &disk) || !disk->n_chain)
        return NULL;
    size_t rcv;
    if (k == ST_REQ_COMMIT && top < base && base < disk->n_chain)
        rcv = base;
    else if (k == ST_REQ_PULL)
        rcv = 0;
    else
        return NULL;
    const char *path = disk->chain[rcv].path;
    if (!path || path[0] != '/')
        return NULL; /* a network image has no folder to look at */
    /* The image itself: the host tells a file's filesystem from a block device's room. */
    char **v = xcalloc(1, sizeof(char *));
    v[0] = xstrdup(path);
    *n = 1;
    return v;
}

void st_plan_map_layers(const st_host *h, const char *dom, const char *target, st_req_kind k,
                        size_t top, size_t base, st_request *req)
{
    const st_domain *d;
    const st_disk *disk;
    if (!resolve(h, dom, target, &d, &disk) || disk->n_chain < 2)
        return;
    size_t n = disk->n_chain, first, end, rcv;
    if (k == ST_REQ_COMMIT && top < base && base < n) {
        first = top;
        end = rcv = base;
    } else if (k == ST_REQ_PULL && (base == NONE || (base > 1 && base < n))) {
        first = 1;
        end = base == NONE ? n : base;
        rcv = 0;
        req->flags |= ST_F_PULL_FACTS;
    } else {
        return;
    }
    req->n_layers = end - first + 1;
    req->layers = xcalloc(req->n_layers, sizeof(char *));
    req->layer_fmts = xcalloc(req->n_layers, sizeof(char *));
    for (size_t i = first; i <= end; i++) {
        size_t li = i < end ? i : rcv;
        req->layers[i - first] = xstrdup0(disk->chain[li].path);
        req->layer_fmts[i - first] = xstrdup0(disk->chain[li].format);
    }
}

static void free_strv(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

void st_plan_free(st_plan *p)
{
    if (!p)
        return;
    free(p->title);
    free_strv(p->before, p->n_before);
    free_strv(p->after, p->n_after);
    free_strv(p->leaving, p->n_leaving);
    free(p->flags);
    free_strv(p->calls, p->n_calls);
    free_strv(p->space, p->n_space);
    for (size_t i = 0; i < p->n_hazards; i++)
        free(p->hazards[i].text);
    free(p->hazards);
    st_request_clear(&p->req);
    free(p);
}
