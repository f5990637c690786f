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

#include "plan.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "i18n.h"
#include "util.h"

#define NONE SIZE_MAX

/* A growable array of owned strings. */
typedef struct strv {
    char **v;
    size_t n, cap;
} strv;

static void sv_push(strv *s, char *str)
{
    xgrow((void **)&s->v, &s->cap, s->n + 1, sizeof(char *));
    s->v[s->n++] = str;
}

static void sv_free(strv *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->v[i]);
    free(s->v);
    memset(s, 0, sizeof(*s));
}

static char *sv_join(const strv *s, const char *sep)
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
static char **sv_steal(strv *s, size_t *n)
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

typedef struct ctx {
    st_plan *p;
    st_host *const *hosts;
    size_t n_hosts, hi;
    const st_host *h;
    const st_domain *d;
    const st_disk *k;
    const char *dom, *target;
    const st_facts *facts;
    st_merge_opts o;
    bool pull;
    size_t top, base;     /* as asked: commit top/base; pull: base (NONE: whole chain) */
    size_t first, end;    /* layers whose data is copied and which leave the chain */
    size_t receiver;      /* the layer the data is written into */
    size_t rewritten;     /* the layer whose backing pointer changes; NONE */
    size_t newbacking;    /* what the rewritten layer then points at; NONE: nothing */
    bool online;          /* a libvirt block job (running, paused or started paused) */
    bool start_paused;    /* remote shut-off domain started paused for the job */
    bool libvirt_deletes; /* VIR_DOMAIN_BLOCK_COMMIT_DELETE removes the merged files */
    bool files_local;     /* every leaving layer is a plain file (not network, not block) */
    bool size_unknown;    /* some copied layer's allocation is not known */
    bool relative;        /* the new backing name is written relative */
    bool names_unknown;   /* some backing name involved is not known */
    char *rel_name;       /* the relative backing name libvirt would write */
    size_t hcap;
    strv calls;
} ctx;

/* ---- hazards ---------------------------------------------------------------------------- */

static void haz(ctx *c, st_hazard_level lv, char *text)
{
    st_plan *p = c->p;
    xgrow((void **)&p->hazards, &c->hcap, p->n_hazards + 1, sizeof(st_hazard));
    p->hazards[p->n_hazards++] = (st_hazard){lv, text};
    if (lv == ST_HAZ_REFUSE)
        p->refused = true;
}

__attribute__((format(printf, 3, 4))) static void hazf(ctx *c, st_hazard_level lv, const char *fmt,
                                                       ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = xvasprintf(fmt, ap);
    va_end(ap);
    haz(c, lv, s);
}

/* REFUSE first, then WARN, then INFO; within a level the order in which they were found. */
static void sort_hazards(st_plan *p)
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

static const char *lname(const st_layer *l)
{
    return l->path ? st_basename(l->path) : "?";
}

/* A layer's full path for display; "?" for a layer whose path is not known (refused anyway). */
static const char *lpath(const st_layer *l)
{
    return l->path ? l->path : "?";
}

static const st_layer *L(const ctx *c, size_t i)
{
    return &c->k->chain[i];
}

static bool in_range(const ctx *c, size_t i)
{
    return i >= c->first && i < c->end;
}

/* Shell words stay bare only when nothing in them means anything to a shell. */
static void sb_shq(strbuf *b, const char *s)
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
static void sb_cq(strbuf *b, const char *s)
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
static const st_domain *find_sharer(const ctx *c, const char *label, const st_host **where)
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

static char *join_shared(const st_layer *l)
{
    strv s = {0};
    for (size_t i = 0; i < l->n_shared; i++)
        sv_push(&s, xstrdup(l->shared_with[i]));
    char *r = sv_join(&s, ", ");
    sv_free(&s);
    return r;
}

/* ---- relative backing names ------------------------------------------------------------- */

static bool name_is_relative(const char *n)
{
    return n && *n && n[0] != '/' && !strstr(n, "://") && strncmp(n, "json:", 5) != 0;
}

/*
 * The name libvirt writes with RELATIVE: it walks the backing names from the rewritten layer down
 * to the base and joins each to the folder part of the previous one
 * (virStorageSourceGetRelativeBackingPath). It refuses when any of them is absolute, so do we.
 */
static void plan_relative(ctx *c)
{
    if (c->rewritten == NONE || c->newbacking == NONE)
        return; /* nothing gets a new backing name */
    char *path = NULL;
    bool ok = true;
    for (size_t i = c->rewritten; ok && i < c->newbacking; i++) {
        const char *n = L(c, i)->backing_name;
        if (!n)
            c->names_unknown = true;
        ok = name_is_relative(n);
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
    c->p->relative_default = c->p->relative_possible;
    c->relative = c->p->relative_possible && c->o.relative;
}

/* The backing name as it will be written into the rewritten layer. */
static const char *new_backing_name(const ctx *c)
{
    if (c->newbacking == NONE)
        return "";
    return c->relative ? c->rel_name : lpath(L(c, c->newbacking));
}

/* ---- before / after --------------------------------------------------------------------- */

static char *layer_line(const st_layer *l, size_t idx, strv *marks)
{
    char sz[32];
    if (l->allocation)
        st_fmt_bytes(sz, sizeof(sz), l->allocation);
    else
        snprintf(sz, sizeof(sz), "?");
    strbuf b;
    sb_init(&b);
    sb_printf(&b, "[%zu] %s  %s  %s", idx, lname(l), l->format ? l->format : "?", sz);
    if (marks->n) {
        char *m = sv_join(marks, "; ");
        sb_printf(&b, "  (%s)", m);
        free(m);
    }
    sv_free(marks);
    return sb_steal(&b);
}

static void before_marks(const ctx *c, size_t i, strv *m)
{
    const char *rcv = lname(L(c, c->receiver));
    if (i == 0)
        sv_push(m, xstrdup(c->pull ? _("active layer: receives the data") : _("active layer")));
    if (!c->pull && i == c->first)
        sv_push(m, xstrdup(_("top")));
    if (in_range(c, i))
        sv_push(m, xasprintf(c->pull ? _("copied into %s; leaves the chain")
                                     : _("merged into %s; leaves the chain"),
                             rcv));
    if (!c->pull && i == c->receiver)
        sv_push(m, xstrdup(_("base: receives the data")));
    if (!c->pull && i == c->rewritten)
        sv_push(m, xasprintf(_("backing file becomes %s"), rcv));
    if (c->pull && i == c->newbacking)
        sv_push(m, xasprintf(_("becomes the backing file of %s"), lname(L(c, 0))));
}

static void after_marks(const ctx *c, size_t old, size_t idx, strv *m)
{
    if (idx == 0 && c->pull)
        sv_push(m, xstrdup(_("active layer: holds the pulled data")));
    else if (idx == 0 && c->top == 0 && c->p->offline)
        sv_push(m, xstrdup(_("active layer: the domain definition points here")));
    else if (idx == 0 && c->top == 0)
        sv_push(m, xstrdup(_("active layer after the pivot")));
    else if (idx == 0)
        sv_push(m, xstrdup(_("active layer")));
    if (c->pull && idx == 0 && c->newbacking == NONE)
        sv_push(m, xstrdup(_("standalone: no backing file")));
    if (!c->pull && old == c->receiver)
        sv_push(m, xstrdup(_("holds the merged data")));
    if (old == c->rewritten && c->newbacking != NONE)
        sv_push(m, xasprintf(_("backing file: %s"), new_backing_name(c)));
}

static void plan_chains(ctx *c)
{
    strv before = {0}, after = {0}, leaving = {0};
    for (size_t i = 0; i < c->k->n_chain; i++) {
        strv m = {0};
        before_marks(c, i, &m);
        sv_push(&before, layer_line(L(c, i), i, &m));
    }
    size_t idx = 0;
    for (size_t i = 0; i < c->k->n_chain; i++) {
        if (in_range(c, i)) {
            sv_push(&leaving, xstrdup(lpath(L(c, i))));
            c->p->bytes += L(c, i)->allocation;
            c->size_unknown = c->size_unknown || !L(c, i)->allocation;
            continue;
        }
        strv m = {0};
        after_marks(c, i, idx, &m);
        sv_push(&after, layer_line(L(c, i), idx++, &m));
    }
    c->p->before = sv_steal(&before, &c->p->n_before);
    c->p->after = sv_steal(&after, &c->p->n_after);
    c->p->leaving = sv_steal(&leaving, &c->p->n_leaving);
}

static void plan_title(ctx *c)
{
    const char *rcv = lname(L(c, c->receiver));
    if (!c->pull && c->top == 0)
        c->p->title = xasprintf(_("Active commit of %s into %s (%s/%s)"), lname(L(c, 0)), rcv,
                                c->dom, c->target);
    else if (!c->pull)
        c->p->title =
            xasprintf(_("Commit %s into %s (%s/%s)"), lname(L(c, c->top)), rcv, c->dom, c->target);
    else if (c->newbacking != NONE)
        c->p->title = xasprintf(_("Pull into %s everything above %s (%s/%s)"), rcv,
                                lname(L(c, c->newbacking)), c->dom, c->target);
    else
        c->p->title = xasprintf(_("Pull the whole chain into %s (%s/%s)"), rcv, c->dom, c->target);
}

/* ---- flags, request and the calls ------------------------------------------------------- */

static char *libvirt_flags(const ctx *c)
{
    strv f = {0};
    if (c->relative)
        sv_push(&f, xstrdup("RELATIVE"));
    if (!c->pull && c->top == 0)
        sv_push(&f, xstrdup("ACTIVE"));
    if (c->libvirt_deletes && c->o.delete_files && c->p->delete_possible)
        sv_push(&f, xstrdup("DELETE"));
    char *s = f.n ? sv_join(&f, " | ") : NULL;
    sv_free(&f);
    return s;
}

static void plan_request(ctx *c)
{
    st_request *r = &c->p->req;
    r->kind = c->pull ? ST_REQ_PULL : ST_REQ_COMMIT;
    r->domain = xstrdup(c->dom);
    r->disk = xstrdup(c->target);
    r->top = xstrdup0(L(c, c->pull ? 0 : c->top)->path);
    r->base = c->newbacking != NONE ? xstrdup0(L(c, c->newbacking)->path) : NULL;
    if (c->relative)
        r->flags |= ST_F_RELATIVE;
    if (!c->pull && c->top == 0)
        r->flags |= ST_F_ACTIVE;
    if (c->start_paused)
        r->flags |= ST_F_START_PAUSED;
    r->bandwidth = c->o.bandwidth;
    if (c->newbacking != NONE)
        r->format = xstrdup0(L(c, c->newbacking)->format);
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

/* Starts a shown libvirt call: fn(dom="…"[, disk="…"] */
static void call_head(strbuf *b, const ctx *c, const char *fn, bool disk)
{
    sb_printf(b, "%s(dom=", fn);
    sb_cq(b, c->dom);
    if (disk) {
        sb_add(b, ", disk=");
        sb_cq(b, c->target);
    }
}

static void call_commit(ctx *c, strbuf *b, const char *flags)
{
    call_head(b, c, "virDomainBlockCommit", true);
    sb_add(b, ", base=");
    sb_cq(b, L(c, c->base)->path);
    sb_add(b, ", top=");
    sb_cq(b, L(c, c->top)->path);
    sb_printf(b, ", bandwidth=%lu MiB/s, flags=%s)", c->o.bandwidth, flags ? flags : "0");
    sv_push(&c->calls, sb_steal(b));
    if (c->top != 0)
        return;
    sb_add(b, _("when READY, to pivot: "));
    call_head(b, c, "virDomainBlockJobAbort", true);
    sb_add(b, ", flags=PIVOT)");
    sv_push(&c->calls, sb_steal(b));
    sb_add(b, _("or, to keep the overlay: "));
    call_head(b, c, "virDomainBlockJobAbort", true);
    sb_add(b, ", flags=0)");
    sv_push(&c->calls, sb_steal(b));
}

static void call_pull(ctx *c, strbuf *b, const char *flags)
{
    if (c->newbacking == NONE) {
        call_head(b, c, "virDomainBlockPull", true);
    } else {
        /* virDomainBlockPull has no base: a pull that stops above a base is a rebase. */
        call_head(b, c, "virDomainBlockRebase", true);
        sb_add(b, ", base=");
        sb_cq(b, L(c, c->newbacking)->path);
    }
    sb_printf(b, ", bandwidth=%lu MiB/s, flags=%s)", c->o.bandwidth, flags ? flags : "0");
    sv_push(&c->calls, sb_steal(b));
}

static void virsh_line(ctx *c, strbuf *b)
{
    sb_add(b, _("virsh equivalent: "));
    if (c->start_paused) {
        sb_add(b, "virsh start ");
        sb_shq(b, c->dom);
        sb_add(b, " --paused; ");
    }
    sb_add(b, c->pull ? "virsh blockpull " : "virsh blockcommit ");
    sb_shq(b, c->dom);
    sb_addc(b, ' ');
    sb_shq(b, c->target);
    if (!c->pull && c->top == 0)
        sb_add(b, " --active");
    if (c->newbacking != NONE) {
        sb_add(b, " --base ");
        sb_shq(b, lpath(L(c, c->newbacking)));
    }
    if (!c->pull && c->top != 0) {
        sb_add(b, " --top ");
        sb_shq(b, lpath(L(c, c->top)));
    }
    if (c->relative)
        sb_add(b, " --keep-relative");
    if (c->o.bandwidth)
        sb_printf(b, " --bandwidth %lu", c->o.bandwidth);
    if (c->libvirt_deletes && c->o.delete_files && c->p->delete_possible)
        sb_add(b, " --delete");
    sb_add(b, " --wait --verbose");
    if (!c->pull && c->top == 0)
        sb_add(b, _(" --pivot (or --keep-overlay to keep the overlay; neither: leave the job "
                    "ready)"));
    if (c->start_paused) {
        sb_add(b, "; virsh destroy ");
        sb_shq(b, c->dom);
    }
    sv_push(&c->calls, sb_steal(b));
}

/* Files this program removes itself after the job (no libvirt flag does it for a pull). */
static void call_remove(ctx *c, strbuf *b)
{
    if (!c->o.delete_files || !c->p->delete_possible || c->libvirt_deletes || !c->p->n_leaving)
        return;
    sb_add(b, "rm --");
    for (size_t i = 0; i < c->p->n_leaving; i++) {
        sb_addc(b, ' ');
        sb_shq(b, c->p->leaving[i]);
    }
    sv_push(&c->calls, sb_steal(b));
}

static void calls_online(ctx *c)
{
    strbuf b;
    sb_init(&b);
    char *flags = libvirt_flags(c);
    c->p->flags = xstrdup(flags ? flags : "none");
    if (c->start_paused) {
        call_head(&b, c, "virDomainCreateWithFlags", false);
        sb_add(&b, ", flags=START_PAUSED)");
        sv_push(&c->calls, sb_steal(&b));
    }
    if (c->pull)
        call_pull(c, &b, flags);
    else
        call_commit(c, &b, flags);
    if (c->start_paused) {
        call_head(&b, c, "virDomainDestroy", false);
        sb_addc(&b, ')');
        sv_push(&c->calls, sb_steal(&b));
    }
    call_remove(c, &b);
    virsh_line(c, &b);
    free(flags);
}

/*
 * Shut-off domain on this machine. qemu-img commit -b BASE copies the data of TOP and of every
 * layer between it and BASE into BASE (-b implies -d: TOP is not emptied). The layer above TOP
 * then still points at TOP, so an unsafe rebase (-u: no data moves, the data is already in BASE)
 * points it at BASE.
 */
static void calls_offline(ctx *c)
{
    strbuf b;
    sb_init(&b);
    c->p->flags = xstrdup("none");
    const char *bfmt = c->newbacking != NONE ? L(c, c->newbacking)->format : NULL;
    if (!c->pull) {
        sb_add(&b, "qemu-img commit -p -d -t none");
        if (c->o.bandwidth)
            sb_printf(&b, " -r %luM", c->o.bandwidth);
        sb_add(&b, " -b ");
        sb_shq(&b, lpath(L(c, c->base)));
        sb_addc(&b, ' ');
        sb_shq(&b, lpath(L(c, c->top)));
        sv_push(&c->calls, sb_steal(&b));
        if (c->top > 0) {
            sb_add(&b, "qemu-img rebase -u -F ");
            sb_shq(&b, bfmt ? bfmt : "?");
            sb_add(&b, " -b ");
            sb_shq(&b, new_backing_name(c));
            sb_addc(&b, ' ');
            sb_shq(&b, lpath(L(c, c->top - 1)));
        } else {
            sb_printf(&b, _("the domain definition is updated: %s → %s"), c->target,
                      lpath(L(c, c->base)));
        }
        sv_push(&c->calls, sb_steal(&b));
    } else {
        /* A safe rebase copies into the active layer what the new backing lacks; with an empty
         * backing name that is everything, and the image becomes standalone. */
        sb_add(&b, "qemu-img rebase -p -t none");
        if (c->newbacking != NONE) {
            sb_add(&b, " -F ");
            sb_shq(&b, bfmt ? bfmt : "?");
        }
        sb_add(&b, " -b ");
        sb_shq(&b, new_backing_name(c));
        sb_addc(&b, ' ');
        sb_shq(&b, lpath(L(c, 0)));
        sv_push(&c->calls, sb_steal(&b));
    }
    call_remove(c, &b);
}

/* ---- hazard checks ---------------------------------------------------------------------- */

static void check_host(ctx *c)
{
    if (c->h->readonly)
        hazf(c, ST_HAZ_REFUSE,
             _("The connection to %s is read-only: nothing can be changed through it."),
             c->h->name  ? c->h->name
             : c->h->uri ? c->h->uri
                         : "?");
    else if (!c->h->reachable)
        hazf(c, ST_HAZ_REFUSE, _("%s is not connected right now: nothing can be run there."),
             c->h->name  ? c->h->name
             : c->h->uri ? c->h->uri
                         : "?");
}

/* Decides how the job runs, from the domain state and where the images are. */
static void check_state(ctx *c)
{
    switch (c->d->state) {
    case ST_DOM_RUNNING:
    case ST_DOM_BLOCKED:
    case ST_DOM_PAUSED:
        c->online = true;
        return;
    case ST_DOM_SHUTOFF:
        if (c->h->local) {
            c->p->offline = true;
            return;
        }
        if (c->o.start_paused) {
            c->online = c->start_paused = true;
            hazf(c, ST_HAZ_INFO,
                 _("%s is shut off on a remote host: the domain will be started paused for the "
                   "job and shut off again afterwards. The guest does not run in between."),
                 c->dom);
            return;
        }
        hazf(c, ST_HAZ_REFUSE,
             _("%s is shut off and its images are on a remote host: block jobs need a running "
               "QEMU and qemu-img can only be run on this machine. Allow starting it paused for "
               "the job, or run the merge on that host."),
             c->dom);
        return;
    default:
        hazf(c, ST_HAZ_REFUSE, _("%s is %s: a merge needs it running, paused or shut off."), c->dom,
             st_dom_state_label(c->d->state));
        return;
    }
}

static void check_disk(ctx *c)
{
    if (c->k->readonly)
        hazf(c, ST_HAZ_REFUSE, _("%s is a read-only disk: nothing is written through it."),
             c->target);
    if (c->pull && c->newbacking == NONE && c->k->chain_unknown)
        hazf(c, ST_HAZ_WARN,
             _("The chain below the last known layer is not known (%s): the size estimate "
               "covers only the known layers."),
             c->k->chain_unknown);
}

/* Every layer read or written must exist and be readable as far as discovery could tell. */
static void check_layers(ctx *c)
{
    for (size_t i = 0; i < c->k->n_chain; i++) {
        bool involved =
            in_range(c, i) || i == c->receiver || i == c->rewritten || i == c->newbacking;
        if (!involved)
            continue;
        const st_layer *l = L(c, i);
        if (!l->path)
            hazf(c, ST_HAZ_REFUSE, _("Layer %zu of %s has no known path: it cannot be merged."), i,
                 c->target);
        else if (l->broken)
            hazf(c, ST_HAZ_REFUSE, _("%s is unusable (%s): nothing is merged through it."), l->path,
                 l->broken);
    }
}

/* The receiver is written into; the rewritten layer gets a new backing pointer. */
static void refuse_shared(ctx *c, size_t i, bool receiver)
{
    const st_layer *l = L(c, i);
    if (!l->n_shared)
        return;
    char *who = join_shared(l);
    if (receiver)
        hazf(c, ST_HAZ_REFUSE, _("%s is also read by %s: writing into it would corrupt them."),
             lname(l), who);
    else
        hazf(c, ST_HAZ_REFUSE,
             _("%s is also used by %s: its backing file would be changed under them."), lname(l),
             who);
    free(who);
}

/* A path of this chain that another disk of the same domain also holds (two disks, one image). */
static const char *same_domain_user(const ctx *c, const char *path)
{
    for (size_t k = 0; path && k < c->d->n_disks; k++) {
        const st_disk *o = &c->d->disks[k];
        if (o == c->k)
            continue;
        for (size_t i = 0; i < o->n_chain; i++)
            if (streq0(o->chain[i].path, path))
                return o->target ? o->target : "?";
    }
    return NULL;
}

/* Writing into an image another chain reads corrupts that chain: no exceptions. */
static void check_shared(ctx *c)
{
    refuse_shared(c, c->receiver, true);
    if (c->rewritten != NONE && c->rewritten != c->receiver)
        refuse_shared(c, c->rewritten, false);
    const char *other = same_domain_user(c, L(c, c->receiver)->path);
    if (other)
        hazf(c, ST_HAZ_REFUSE,
             _("%s is also read by disk %s of this domain: writing into it would corrupt that "
               "disk."),
             lname(L(c, c->receiver)), other);
}

static void check_jobs(ctx *c)
{
    for (size_t i = 0; i < c->h->n_jobs; i++) {
        const st_job *j = &c->h->jobs[i];
        if (!streq0(j->domain, c->dom) || st_job_phase_final(j->phase))
            continue;
        if (j->disk && !streq0(j->disk, c->target))
            continue;
        if (j->disk)
            hazf(c, ST_HAZ_REFUSE,
                 _("A job is already running on %s/%s (%s, %s): wait for it to end or abort it "
                   "first."),
                 c->dom, c->target, st_job_kind_label(j->kind), st_job_phase_label(j->phase));
        else
            hazf(c, ST_HAZ_REFUSE,
                 _("A job is already running on %s (%s, %s): wait for it to end first."), c->dom,
                 st_job_kind_label(j->kind), st_job_phase_label(j->phase));
        return;
    }
    if (c->facts && c->facts->job_running)
        hazf(c, ST_HAZ_REFUSE,
             _("Another block job is running on %s/%s: %s. Wait for it to end or abort it "
               "first."),
             c->dom, c->target, c->facts->job_desc ? c->facts->job_desc : _("libvirt reports one"));
}

/* How a snapshot of this domain fares. Snapshot X names the overlay X created; the image X was
 * taken from (its point in time) is that overlay's backing file, one index further down. */
typedef struct snap_fx {
    strv lost;     /* its point in time is written into or made invalid */
    strv dangling; /* its point in time survives, but its metadata names files leaving the chain */
    strv branch;   /* its overlay is outside this chain: another branch that may read our images */
    strv internal; /* internal snapshots stored in an image that leaves the chain */
} snap_fx;

static size_t chain_index(const ctx *c, const char *path)
{
    for (size_t i = 0; path && i < c->k->n_chain; i++)
        if (streq0(L(c, i)->path, path))
            return i;
    return NONE;
}

/*
 * A commit writes into the base and leaves the layers strictly between top and base invalid
 * (they now read the newer data in the base); the top itself stays a valid image, and so does
 * everything a pull leaves behind (a pull writes only into the active layer). After an active
 * commit's pivot the guest writes into the base, so nothing above it stays valid.
 */
static bool point_lost(const ctx *c, size_t s)
{
    if (c->pull || s == NONE)
        return false;
    return s == c->receiver || (s > c->top && s < c->base);
}

static bool internal_on_disk(const st_snapshot *s, const char *target)
{
    for (size_t j = 0; j < s->n_disks; j++)
        if (streq0(s->disks[j].target, target))
            return streq0(s->disks[j].snapshot, "internal");
    return !s->external; /* no per-disk detail: the snapshot's kind says it */
}

static void classify_snapshot(const ctx *c, const st_snapshot *s, snap_fx *fx)
{
    bool lost = false, dangling = false, branch = false;
    for (size_t j = 0; j < s->n_disks; j++) {
        const st_snapdisk *sd = &s->disks[j];
        if (!sd->file)
            continue;
        size_t i = chain_index(c, sd->file);
        if (i == NONE) {
            branch = branch || streq0(sd->target, c->target);
            continue;
        }
        size_t taken_from = i + 1 < c->k->n_chain ? i + 1 : NONE;
        if (!in_range(c, i) && i != c->rewritten)
            continue;
        if (point_lost(c, taken_from))
            lost = true;
        else
            dangling = true;
    }
    if (s->memory_file && chain_index(c, s->memory_file) != NONE)
        dangling = true;
    if (lost)
        sv_push(&fx->lost, xstrdup(s->name));
    else if (dangling)
        sv_push(&fx->dangling, xstrdup(s->name));
    else if (branch)
        sv_push(&fx->branch, xstrdup(s->name));
    /* Internal snapshots live in the image that was active when they were taken; only an
     * active commit moves the disk off that image. */
    if (!c->pull && c->top == 0 && internal_on_disk(s, c->target))
        sv_push(&fx->internal, xstrdup(s->name));
}

static void warn_snapshots(ctx *c, const snap_fx *fx)
{
    char *n;
    if (fx->lost.n) {
        n = sv_join(&fx->lost, ", ");
        hazf(c, ST_HAZ_WARN,
             ngettext("Snapshot %s was taken on an image this merge writes into or removes from "
                      "the chain: its point in time is lost, and its metadata will point at files "
                      "no longer in the chain: reverting to it will fail; delete it with "
                      "'metadata only' afterwards.",
                      "Snapshots %s were taken on images this merge writes into or removes from "
                      "the chain: their point in time is lost, and their metadata will point at "
                      "files no longer in the chain: reverting to them will fail; delete them "
                      "with 'metadata only' afterwards.",
                      fx->lost.n),
             n);
        free(n);
    }
    /* Their image is still valid (a pull writes nothing below the active layer; a commit leaves
     * its top readable), so only the metadata suffers. */
    if (fx->dangling.n) {
        n = sv_join(&fx->dangling, ", ");
        hazf(c, ST_HAZ_WARN,
             ngettext("Snapshot %s names files that leave the chain or whose backing file "
                      "changes: its metadata will point at files no longer in the chain, and "
                      "libvirt will refuse to delete it normally: delete it with 'metadata only' "
                      "afterwards. The image it was taken from is kept, unchanged, unless you "
                      "delete it.",
                      "Snapshots %s name files that leave the chain or whose backing file "
                      "changes: their metadata will point at files no longer in the chain, and "
                      "libvirt will refuse to delete them normally: delete them with 'metadata "
                      "only' afterwards. The images they were taken from are kept, unchanged, "
                      "unless you delete them.",
                      fx->dangling.n),
             n);
        free(n);
    }
    /* A pull writes only into the active layer: other branches are safe unless files go. */
    if (fx->branch.n && !c->pull) {
        n = sv_join(&fx->branch, ", ");
        hazf(c, ST_HAZ_WARN,
             ngettext("Snapshot %s has its overlay outside this chain (another branch). If it is "
                      "backed by %s or by a layer being merged, this commit corrupts it: check "
                      "with 'qemu-img info --backing-chain' first.",
                      "Snapshots %s have overlays outside this chain (another branch). If those "
                      "are backed by %s or by a layer being merged, this commit corrupts them: "
                      "check with 'qemu-img info --backing-chain' first.",
                      fx->branch.n),
             n, lname(L(c, c->receiver)));
        free(n);
    }
    if (fx->internal.n) {
        n = sv_join(&fx->internal, ", ");
        hazf(c, ST_HAZ_WARN,
             ngettext("Internal snapshot %s is stored inside the image that was active when it "
                      "was taken: if that is %s, libvirt can no longer revert to it or delete it "
                      "once the disk runs on %s.",
                      "Internal snapshots %s are stored inside the image that was active when "
                      "they were taken: if that is %s, libvirt can no longer revert to them or "
                      "delete them once the disk runs on %s.",
                      fx->internal.n),
             n, lname(L(c, 0)), lname(L(c, c->receiver)));
        free(n);
    }
}

/* Files are deleted only if nothing may still need them. */
static void check_delete(ctx *c, const snap_fx *fx)
{
    if (!c->o.delete_files)
        return;
    if (!c->p->delete_possible) {
        if (c->files_local && !c->h->local)
            haz(c, ST_HAZ_REFUSE,
                xstrdup(_("The merged files cannot be deleted from here: libvirt deletes files "
                          "only at the end of a live commit, not after a pull, and they are on "
                          "a remote host. Remove them there once nothing names them.")));
        else
            haz(c, ST_HAZ_REFUSE,
                xstrdup(_("The merged files cannot be deleted: they are not all local files.")));
        return;
    }
    for (size_t i = c->first; i < c->end; i++)
        if (L(c, i)->n_shared) {
            char *who = join_shared(L(c, i));
            hazf(c, ST_HAZ_REFUSE, _("%s cannot be deleted: %s still use it."), lname(L(c, i)),
                 who);
            free(who);
        }
    strv names = {0};
    for (size_t i = 0; i < fx->lost.n; i++)
        sv_push(&names, xstrdup(fx->lost.v[i]));
    for (size_t i = 0; i < fx->dangling.n; i++)
        sv_push(&names, xstrdup(fx->dangling.v[i]));
    if (names.n) {
        char *n = sv_join(&names, ", ");
        hazf(c, ST_HAZ_REFUSE,
             _("The merged files cannot be deleted: snapshots %s still name them. Delete those "
               "snapshots with 'metadata only' first, or merge without deleting."),
             n);
        free(n);
    }
    sv_free(&names);
    if (fx->branch.n) {
        char *n = sv_join(&fx->branch, ", ");
        hazf(c, ST_HAZ_REFUSE,
             _("The merged files cannot be deleted: the overlays of snapshots %s (another "
               "branch) may be backed by them."),
             n);
        free(n);
    }
    if (c->p->refused)
        return;
    char *files = sv_join(&(strv){c->p->leaving, c->p->n_leaving, 0}, ", ");
    if (c->libvirt_deletes)
        hazf(c, ST_HAZ_WARN,
             _("After the job completes, and only then, libvirt deletes %s%s. If it cannot "
               "remove a file it only logs a warning: check afterwards."),
             files,
             c->top == 0 ? _(" (only on pivot: keeping the overlay or leaving the job ready "
                             "deletes nothing)")
                         : "");
    else
        hazf(c, ST_HAZ_WARN,
             _("After the job completes, and only then, these files are deleted: %s. They "
               "cannot be recovered."),
             files);
    free(files);
}

static void check_snapshots(ctx *c)
{
    snap_fx fx = {0};
    for (size_t i = 0; i < c->d->n_snaps; i++)
        classify_snapshot(c, &c->d->snaps[i], &fx);
    warn_snapshots(c, &fx);
    check_delete(c, &fx);
    sv_free(&fx.lost);
    sv_free(&fx.dangling);
    sv_free(&fx.branch);
    sv_free(&fx.internal);
}

static void check_space(ctx *c)
{
    const char *path = L(c, c->receiver)->path;
    if (!path)
        return;
    char *dir = st_dirname(path);
    const st_space *sp = NULL;
    for (size_t i = 0; c->facts && i < c->facts->n_space; i++)
        if (streq0(c->facts->space[i].path, dir))
            sp = &c->facts->space[i];
    char need[32], have[32];
    st_fmt_bytes(need, sizeof(need), c->p->bytes);
    if (!sp)
        hazf(c, ST_HAZ_WARN, _("Free space in %s was not checked: the merge needs up to %s."), dir,
             need);
    else if (!sp->known)
        hazf(c, ST_HAZ_WARN, _("Free space in %s is not known (%s): the merge needs up to %s."),
             dir, sp->why ? sp->why : "?", need);
    else if (sp->free_bytes < c->p->bytes) {
        st_fmt_bytes(have, sizeof(have), sp->free_bytes);
        hazf(c, ST_HAZ_REFUSE, _("Not enough free space: needs up to %s in %s, %s free."), need,
             dir, have);
    }
    if (c->size_unknown)
        hazf(c, ST_HAZ_WARN,
             _("The size of some layers being copied is not known: up to %s is only what is "
               "known."),
             need);
    if (c->facts && c->facts->error)
        hazf(c, ST_HAZ_WARN, _("Some facts could not be gathered: %s"), c->facts->error);
    free(dir);
}

/* qemu-img must never open an image that a running QEMU holds. */
static void check_offline_users(ctx *c)
{
    for (size_t i = 0; i < c->k->n_chain; i++) {
        if (!(in_range(c, i) || i == c->receiver || i == c->rewritten))
            continue;
        const st_layer *l = L(c, i);
        for (size_t s = 0; s < l->n_shared; s++) {
            const st_host *where = NULL;
            const st_domain *o = find_sharer(c, l->shared_with[s], &where);
            if (!o || o->state == ST_DOM_SHUTOFF)
                continue;
            hazf(c, ST_HAZ_REFUSE,
                 _("%s is in use by %s, which is %s: qemu-img must never touch an image a "
                   "running VM holds."),
                 lname(l), l->shared_with[s], st_dom_state_label(o->state));
        }
    }
}

/* A managed save holds the guest's memory as of the disk's current content. */
static void check_managed_save(ctx *c)
{
    if (c->d->state == ST_DOM_SHUTOFF && c->d->managed_save)
        hazf(c, ST_HAZ_REFUSE,
             _("%s has a managed save image: the saved memory expects the disk exactly as it is, "
               "and changing it would corrupt the guest when it resumes. Start the domain, or "
               "remove the managed save, first."),
             c->dom);
}

/* A backing file written without its format makes every later open guess it. */
static void check_offline_format(ctx *c)
{
    if (c->newbacking == NONE || c->rewritten == NONE || L(c, c->newbacking)->format)
        return;
    hazf(c, ST_HAZ_REFUSE,
         _("The format of %s is not known: a backing file is never written without its format "
           "(qemu-img would have to guess it)."),
         lname(L(c, c->newbacking)));
}

static void info_offline(ctx *c)
{
    hazf(c, ST_HAZ_INFO,
         _("The domain is shut off: the merge runs on this machine with %s (%s), shown "
           "above."),
         "qemu-img",
         c->pull      ? "rebase -p"
         : c->top > 0 ? "commit -p, rebase -u"
                      : "commit -p");
    if (!c->pull && c->top == 0)
        hazf(c, ST_HAZ_INFO, _("The domain definition is updated: %s → %s."), c->target,
             lpath(L(c, c->base)));
}

static void info_active(ctx *c)
{
    if (c->pull || c->top != 0 || !c->online)
        return;
    strv gone = {0};
    for (size_t i = c->first; i < c->end; i++)
        sv_push(&gone, xstrdup(lname(L(c, i))));
    char *g = sv_join(&gone, ", ");
    sv_free(&gone);
    const char *base = lname(L(c, c->base)), *top = lname(L(c, 0));
    hazf(c, ST_HAZ_INFO,
         _("Active commit: the job copies until it is READY and then mirrors every new write "
           "into both images until you choose. pivot: the disk then runs on %s; %s leave the "
           "chain. keep: abort without pivot, the disk stays on %s, the base already holds the "
           "merged data. Or leave it ready for later (the mirroring goes on)."),
         base, g, top);
    free(g);
    if (c->start_paused)
        haz(c, ST_HAZ_INFO,
            xstrdup(_("The domain was started paused only for this job: choose pivot. Shutting "
                      "it off while the job is ready cancels the job, as keep would.")));
}

static void info_misc(ctx *c)
{
    if (c->o.bandwidth && c->p->offline && c->pull)
        hazf(c, ST_HAZ_INFO,
             _("qemu-img rebase has no speed limit: the limit of %lu MiB/s does not apply."),
             c->o.bandwidth);
    else if (c->o.bandwidth)
        hazf(c, ST_HAZ_INFO, _("The copy is limited to %lu MiB/s."), c->o.bandwidth);
    if (c->rewritten == NONE || c->newbacking == NONE)
        return;
    if (c->names_unknown)
        haz(c, ST_HAZ_INFO,
            xstrdup(_("The backing file names of this chain are not known here (remote host): "
                      "the new backing name will be written as an absolute path by libvirt.")));
    else if (c->o.relative && !c->p->relative_possible)
        hazf(c, ST_HAZ_INFO,
             _("The backing names involved are absolute: %s will point at %s by its absolute "
               "path."),
             lname(L(c, c->rewritten)), lpath(L(c, c->newbacking)));
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
static st_plan *early_refusal(ctx *c, char *why)
{
    st_plan *p = c->p;
    p->title = xasprintf(c->pull ? _("Pull on %s/%s") : _("Commit on %s/%s"), c->dom ? c->dom : "?",
                         c->target ? c->target : "?");
    p->flags = xstrdup("none");
    haz(c, ST_HAZ_REFUSE, why);
    return p;
}

/* Whether the files leaving the chain can be deleted, and by whom. */
static void plan_delete(ctx *c)
{
    bool files = !streq0(c->k->type, "network") && !streq0(c->k->type, "block");
    for (size_t i = c->first; i < c->end; i++)
        files = files && L(c, i)->path && L(c, i)->path[0] == '/';
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

static void plan_body(ctx *c)
{
    plan_relative(c);
    check_host(c);
    check_state(c);
    plan_delete(c);
    plan_title(c);
    plan_chains(c);
    check_disk(c);
    check_layers(c);
    check_shared(c);
    check_jobs(c);
    check_snapshots(c);
    check_space(c);
    check_managed_save(c);
    if (c->p->offline) {
        check_offline_users(c);
        check_offline_format(c);
        info_offline(c);
    }
    info_active(c);
    info_misc(c);
    plan_request(c);
    if (c->p->offline)
        calls_offline(c);
    else
        calls_online(c);
    c->p->calls = sv_steal(&c->calls, &c->p->n_calls);
    sort_hazards(c->p);
}

static void ctx_init(ctx *c, st_host *const *hosts, size_t n_hosts, size_t host, const char *dom,
                     const char *target, const st_facts *facts, const st_merge_opts *opts)
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
static char *find_disk(ctx *c)
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
    ctx c;
    ctx_init(&c, hosts, n_hosts, host, dom, target, facts, opts);
    c.p->kind = ST_REQ_COMMIT;
    char *why = find_disk(&c);
    if (why)
        return early_refusal(&c, why);
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
    return c.p;
}

st_plan *st_plan_pull(st_host *const *hosts, size_t n_hosts, size_t host, const char *dom,
                      const char *target, size_t base, const st_facts *facts,
                      const st_merge_opts *opts)
{
    ctx c;
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
    return c.p;
}

void st_merge_opts_default(st_merge_opts *o, const st_host *h, const char *dom, const char *target)
{
    memset(o, 0, sizeof(*o));
    const st_domain *d;
    const st_disk *k;
    if (!resolve(h, dom, target, &d, &k))
        return;
    /* Relative when every backing name the chain's headers show is relative. */
    bool any = false, all = true;
    for (size_t i = 0; i + 1 < k->n_chain; i++) {
        const char *n = k->chain[i].backing_name;
        if (!n)
            continue;
        any = true;
        all = all && name_is_relative(n);
    }
    o->relative = any && all;
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
    char **v = xcalloc(1, sizeof(char *));
    v[0] = st_dirname(path);
    *n = 1;
    return v;
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
    for (size_t i = 0; i < p->n_hazards; i++)
        free(p->hazards[i].text);
    free(p->hazards);
    st_request_clear(&p->req);
    free(p);
}
