/* The detail pane: everything known about the selected node, long values wrapped. */
#include "config.h"

#include <curses.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "backend/domstate.h"
#include "backend/since.h"
#include "base/i18n.h"
#include "base/util.h"
#include "core/space.h"
#include "core/text.h"
#include "view/app.h"
#include "view/groups.h"
#include "view/keys.h"

/*
 * The pane is laid out twice: once to count its lines, once to draw those in view. `line` counts
 * every line of the content; only lines first .. first+rows-1 are drawn, from row y.
 */
typedef struct detail {
    st_app *a;
    int y, x, w;
    int label_w;
    bool draw;
    int line, first, rows;
} detail;

/* Draws one line of content if it is in view; counts it either way. */
static void dput(detail *d, int x, int w, const char *s, int attr)
{
    int row = d->line++ - d->first;
    if (d->draw && row >= 0 && row < d->rows)
        st_put(d->a, d->y + row, x, w, s, attr);
}

/* One "label: value" entry; long values wrap onto following lines, at a space or a '/'. */
static void dline(detail *d, const char *label, const char *value)
{
    if (!value)
        return;
    int vx = d->x + d->label_w + 1, vw = d->w - d->label_w - 1;
    if (vw < 8) {
        dput(d, d->x, d->w, label, A_BOLD);
        return;
    }
    int row = d->line - d->first;
    if (d->draw && row >= 0 && row < d->rows)
        st_put(d->a, d->y + row, d->x, d->label_w, label, A_BOLD);
    char *safe = st_text_sanitize(value, d->a->utf8);
    const char *p = safe;
    do {
        size_t nb = st_text_wrap_bytes(p, vw);
        char *part = strndup(p, nb);
        dput(d, vx, vw, part, A_NORMAL);
        free(part);
        p += nb;
        if (*p == ' ')
            p++; /* the space a line was broken at starts no line */
    } while (*p);
    free(safe);
}

static void dlinef(detail *d, const char *label, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void dlinef(detail *d, const char *label, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *v = xvasprintf(fmt, ap);
    va_end(ap);
    dline(d, label, v);
    free(v);
}

static void detail_layer(detail *d, const st_host *h, const st_disk *k, size_t li)
{
    const st_layer *l = &k->chain[li];
    char vs[32], al[32], ph[32];
    st_fmt_bytes(vs, sizeof(vs), l->virtual_size);
    st_fmt_bytes(al, sizeof(al), l->allocation);
    /* No file size for a remote running domain's layers: unknown, not "0 B". */
    if (l->physical)
        st_fmt_bytes(ph, sizeof(ph), l->physical);
    else
        snprintf(ph, sizeof(ph), "%s", _("unknown"));
    dline(d, _("Path"), l->path);
    dlinef(d, _("Format"), "%s", l->format ? l->format : _("unknown"));
    if (l->virtual_size)
        dlinef(d, _("Sizes"), _("virtual %s, allocated %s, file %s"), vs, al, ph);
    else
        dline(d, _("Sizes"), _("not known here (not read from this machine)"));
    /* Two numbers that look alike: the tree's position and libvirt's id (which names the
     * layer in virsh's top/base arguments), each said for what it is. */
    dlinef(d, _("Depth"), _("[%zu] in the tree, of %zu layers (0 is the active layer)"), li,
           k->n_chain);
    if (l->backing_index >= 0)
        dlinef(d, _("Index"), _("%s[%d]: libvirt's index of this layer, an id, not its depth"),
               k->target, l->backing_index);
    if (li + 1 < k->n_chain)
        dline(d, _("Backing"), k->chain[li + 1].path);
    else if (k->chain_unknown)
        dlinef(d, _("Backing"), _("not known: %s"), k->chain_unknown);
    else
        dline(d, _("Backing"), _("none: this is the base image"));
    if (l->backing_name)
        dline(d, _("Header"), l->backing_name);
    if (l->n_shared) {
        strbuf sb;
        sb_init(&sb);
        for (size_t i = 0; i < l->n_shared; i++) {
            if (i)
                sb_add(&sb, ", ");
            sb_add(&sb, l->shared_with[i]);
        }
        dline(d, _("Shared"), sb.s);
        sb_free(&sb);
    }
    if (l->broken)
        dline(d, _("Broken"), l->broken);
    char *merge = st_layer_merge_text(k, li, h->local);
    if (merge)
        dline(d, _("Merging it"), merge);
    free(merge);
}

/* Every finding of the chain doctor about an image (path), else a disk or a domain. */
static void detail_doctor(detail *d, const st_host *h, const char *domain, const char *disk,
                          const char *path)
{
    for (size_t i = 0; i < h->doctor.n; i++) {
        const st_finding *x = &h->doctor.v[i];
        if (x->level == ST_DOC_NOTE || !st_finding_about(x, domain, disk, path))
            continue;
        const char *level = x->level == ST_DOC_ERROR ? _("error") : _("warning");
        if (x->fix == ST_FIX_NONE) {
            dlinef(d, _("Doctor"), "%s: %s", level, x->text);
            continue;
        }
        char *fix = st_fix_describe(x);
        dlinef(d, _("Doctor"), "%s: %s [%s %s]", level, x->text, _("fix:"), fix);
        free(fix);
    }
}

/* A disk's part in a snapshot, as libvirt's XML says it (snapshot='...'), in words. */
static const char *disk_snapshot_kind(const char *k)
{
    if (!k)
        return "";
    if (strcmp(k, "external") == 0)
        return _("external");
    if (strcmp(k, "internal") == 0)
        return _("internal");
    if (strcmp(k, "no") == 0)
        return _("not in the snapshot");
    if (strcmp(k, "manual") == 0)
        return _("manual");
    return k;
}
/* What deleting an external snapshot does to the space of a disk: libvirt merges the overlay it
 * made (still in the chain) into the image below it. */
static void snapshot_merge(detail *d, const st_host *h, const st_domain *dom, const st_snapdisk *sd)
{
    char *merge = st_snapdisk_merge_text(dom, sd, h->local);
    if (merge)
        dlinef(d, _("Deleting it"), _("%s merges %s"), sd->target, merge);
    free(merge);
}

static void detail_snapshot(detail *d, const st_host *h, const st_domain *dom, const st_snapshot *s)
{
    char when[64] = "";
    time_t t = (time_t)s->creation_time;
    struct tm tm;
    if (localtime_r(&t, &tm))
        strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm);
    dline(d, _("Snapshot"), s->name);
    dline(d, _("Parent"), s->parent ? s->parent : _("none (a root)"));
    dline(d, _("Created"), when);
    /* TRANSLATORS: two words of a snapshot's kind ("external, disks only"). */
    dlinef(d, _("Kind"), _("%s, %s"), s->external ? _("external") : _("internal"),
           s->memory ? _("disks and memory") : _("disks only"));
    /* libvirt's names ("shutoff") in words; a disk-only snapshot records no state. */
    if (streq0(s->state, "disk-snapshot"))
        dline(d, _("State"), st_snap_state_label(s->state));
    else
        dlinef(d, _("State"), _("%s when taken"), st_snap_state_label(s->state));
    if (s->current) {
        const st_snapshot *cur;
        const char *why;
        st_since since = st_domain_since_current(dom, &cur, &why);
        dline(d, _("Current"),
              since == ST_SINCE_AT
                  ? _("yes: the domain runs from this snapshot")
                  : _("yes: the next snapshot's parent; the domain is at NOW, below it"));
    }
    dline(d, _("Description"), s->description && *s->description ? s->description : "-");
    for (size_t i = 0; i < s->n_disks; i++) {
        char *v = xasprintf("%s %s %s", s->disks[i].target ? s->disks[i].target : "?",
                            disk_snapshot_kind(s->disks[i].snapshot),
                            s->disks[i].file ? s->disks[i].file : "");
        dline(d, _("Disk"), v);
        free(v);
    }
    if (s->memory_file)
        dline(d, _("Memory"), s->memory_file);
    for (size_t i = 0; i < s->n_disks; i++)
        if (streq0(s->disks[i].snapshot, "external"))
            snapshot_merge(d, h, dom, &s->disks[i]);
}

/* Where the domain is now, against its current snapshot, and how that is known. */
static void detail_now(detail *d, const st_domain *dom)
{
    const st_snapshot *cur;
    const char *why;
    st_since since = st_domain_since_current(dom, &cur, &why);
    dline(d, _("Now"), dom->name);
    const char *reason = st_dom_reason_label(dom->state, dom->reason);
    if (reason)
        dlinef(d, _("State"), _("%s (%s)"), st_dom_state_label(dom->state), reason);
    else
        dline(d, _("State"), st_dom_state_label(dom->state));
    if (cur)
        dlinef(d, _("Since"),
               since == ST_SINCE_MOVED ? _("moved on from snapshot %s")
                                       : _("perhaps moved on from snapshot %s"),
               cur->name);
    dline(d, _("How known"), why);
}

static void detail_branch(detail *d, const st_branch *b)
{
    char when[64] = "";
    time_t t = (time_t)b->left;
    struct tm tm;
    if (b->left && localtime_r(&t, &tm))
        strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm);
    dline(d, _("Branch"), b->file);
    dline(d, _("Disk"), b->disk);
    dline(d, _("Left"), when[0] ? when : "-");
    dlinef(d, _("Why"),
           _("the disk was reverted to snapshot %s; this overlay keeps what was "
             "written before that, and is never deleted by this tool"),
           b->snapshot ? b->snapshot : "?");
    if (b->base)
        dline(d, _("New base"), b->base);
    for (size_t i = 0; i < b->n_chain; i++)
        dline(d, i == 0 ? _("Chain") : "", b->chain[i]);
}

/* What a disk's (or a domain's) images occupy on the host, each file once. */
static void on_host(detail *d, const st_disk *k, const st_domain *dom)
{
    st_space_total t;
    if (k)
        st_disk_space(k, &t);
    else
        st_domain_space(dom, &t);
    if (!t.bytes)
        return; /* nothing known of what the files occupy (a test host, say) */
    char *text = st_space_text(&t);
    dline(d, _("On host"), text);
    free(text);
}

static void detail_domain(detail *d, const st_domain *dom, const st_host *h)
{
    dline(d, _("Domain"), dom->name);
    dline(d, _("UUID"), dom->uuid);
    const char *why = st_dom_reason_label(dom->state, dom->reason);
    if (why)
        /* TRANSLATORS: a domain's state and why ("shut off (destroyed)"). */
        dlinef(d, _("State"), _("%s (%s)"), st_dom_state_label(dom->state), why);
    else
        dlinef(d, _("State"), _("%s (reason %d)"), st_dom_state_label(dom->state), dom->reason);
    dline(d, _("Defined"), dom->persistent ? _("persistent") : _("transient"));
    dlinef(d, _("Disks"), "%zu", dom->n_disks);
    on_host(d, NULL, dom);
    dlinef(d, _("Snapshots"), "%zu", dom->n_snaps);
    if (dom->managed_save)
        dline(d, _("Saved"), _("has a managed save image (d removes it)"));
    if (dom->n_branches)
        dlinef(d, _("Branches"), "%zu", dom->n_branches);
    if (dom->error)
        dline(d, _("Error"), dom->error);
    if (dom->snaps_error)
        dline(d, _("Error"), dom->snaps_error);
    for (size_t i = 0; i < h->n_jobs; i++)
        if (streq0(h->jobs[i].domain, dom->name)) {
            char buf[256];
            st_job_figures(&h->jobs[i], st_now(), buf, sizeof(buf));
            dlinef(d, _("Job"), "%s %s %s", h->jobs[i].disk ? h->jobs[i].disk : "",
                   st_job_kind_label(h->jobs[i].kind), buf);
        }
}

static void detail_disk(detail *d, const st_domain *dom, const st_disk *k, const st_host *h)
{
    dlinef(d, _("Disk"), "%s (%s, %s)", k->target, k->device ? k->device : "?",
           k->bus ? k->bus : "?");
    dlinef(d, _("Type"), "%s %s%s", k->type ? k->type : "?", k->format ? k->format : "?",
           k->readonly ? _(", read-only") : "");
    dline(d, _("Active"), k->source ? k->source : _("no media"));
    dlinef(d, _("Chain"), ngettext("%zu layer", "%zu layers", k->n_chain), k->n_chain);
    on_host(d, k, NULL);
    if (k->chain_unknown)
        dline(d, _("Unknown"), k->chain_unknown);
    const st_job *j = st_host_disk_job(h, dom->name, k->target, false);
    if (j) {
        char buf[256];
        st_job_figures(j, st_now(), buf, sizeof(buf));
        /* TRANSLATORS: a job's kind, its phase and its figures ("pull, running: 45% …"). */
        dlinef(d, _("Job"), _("%s, %s: %s"), st_job_kind_label(j->kind),
               st_job_phase_label(j->phase), buf);
        if (j->error)
            dline(d, _("Error"), j->error);
    }
}

static void detail_host(detail *d, size_t hi)
{
    st_app *a = d->a;
    const st_host *h = a->hosts[hi];
    dline(d, _("Host"), a->labels[hi]);
    const char *uri = st_backend_uri(a->b, hi);
    if (uri && strcmp(uri, a->labels[hi]) != 0)
        dline(d, _("URI"), uri);
    if (st_host_group(a, hi))
        dline(d, _("Group"), st_host_group(a, hi));
    dline(d, _("State"), st_host_state_label(a->hstate[hi]));
    if (!h)
        return;
    if (h->name && !streq0(h->name, a->labels[hi]))
        dline(d, _("Name"), h->name);
    dline(d, _("libvirt"), h->libvirt_version);
    if (h->hv_type)
        dlinef(d, _("Hypervisor"), "%s %s", h->hv_type, h->hv_version ? h->hv_version : "");
    dlinef(d, _("Domains"), "%zu", h->n_doms);
    dline(d, _("Images"), h->local ? _("on this machine") : _("remote"));
    if (h->readonly)
        dline(d, _("Access"), _("read-only"));
    if (h->error)
        dline(d, _("Error"), h->error);
}

static void detail_content(detail *d, const st_row *r)
{
    st_app *a = d->a;
    const st_host *h = a->hosts[r->host];
    switch (r->kind) {
    case ROW_HOST:
        detail_host(d, r->host);
        break;
    case ROW_DOMAIN:
        detail_domain(d, &h->doms[r->dom], h);
        detail_doctor(d, h, h->doms[r->dom].name, NULL, NULL);
        break;
    case ROW_DISK:
        detail_disk(d, &h->doms[r->dom], &h->doms[r->dom].disks[r->disk], h);
        detail_doctor(d, h, h->doms[r->dom].name, h->doms[r->dom].disks[r->disk].target, NULL);
        break;
    case ROW_LAYER:
        detail_layer(d, h, &h->doms[r->dom].disks[r->disk], r->layer);
        if (h->doms[r->dom].disks[r->disk].chain[r->layer].path)
            detail_doctor(d, h, NULL, NULL, h->doms[r->dom].disks[r->disk].chain[r->layer].path);
        break;
    case ROW_SNAPGROUP:
        dlinef(d, _("Snapshots"), "%zu", h->doms[r->dom].n_snaps);
        break;
    case ROW_SNAPSHOT:
        detail_snapshot(d, h, &h->doms[r->dom], &h->doms[r->dom].snaps[r->snap]);
        break;
    case ROW_NOW:
        detail_now(d, &h->doms[r->dom]);
        break;
    case ROW_BRANCH:
        detail_branch(d, &h->doms[r->dom].branches[r->branch]);
        break;
    }
}

/* Another node selected: its details start from the top. */
static void follow_selection(st_app *a, const st_row *r)
{
    if (a->detail_for && streq0(a->detail_for, r->key))
        return;
    free(a->detail_for);
    a->detail_for = xstrdup(r->key);
    a->detail_scroll = 0;
}

/* The first key bound to a request, as the help writes it. */
static void first_key(st_keyreq req, char *out, size_t n)
{
    st_key_label(st_key_def(ST_CTX_VIEW, req), ST_CTX_TREE, out, n);
    char *sp = strchr(out, ' ');
    if (sp)
        *sp = '\0';
}

/* " 5-8 of 12  [/] scroll ", with the keys as the key table binds them. */
static void draw_more(st_app *a, const detail *d, int y)
{
    char up[64], down[64];
    first_key(ST_KEY_DETAIL_UP, up, sizeof(up));
    first_key(ST_KEY_DETAIL_DOWN, down, sizeof(down));
    int last = d->first + d->rows < d->line ? d->first + d->rows : d->line;
    char *more = xasprintf(_(" %d-%d of %d  %s/%s scroll "), d->first + 1, last, d->line, up, down);
    int w = st_text_width(more);
    if (w > a->detail_w - 2)
        w = a->detail_w - 2;
    st_put(a, y, a->detail_x + a->detail_w - w - 1, w, more, A_DIM);
    free(more);
}

void st_draw_detail(st_app *a)
{
    if (!a->detail_h || !a->detail_w)
        return;
    /* The pane is blank already (erase() in st_draw): only the separator is drawn. */
    for (int y = a->detail_y; a->detail_x > 0 && y < a->detail_y + a->detail_h; y++) {
        move(y, a->detail_x - 1);
        addstr(a->g->vline);
    }
    int top = a->detail_y;
    if (a->detail_x == 0) {
        move(top, 0);
        attron(A_DIM);
        for (int x = 0; x < a->cols; x++)
            addstr(a->g->hline);
        attroff(A_DIM);
        top++;
    }
    const st_row *r = st_app_selected(a);
    if (!r)
        return;
    follow_selection(a, r);
    detail d = {.a = a, .y = top, .x = a->detail_x + 1, .w = a->detail_w - 2, .label_w = 12};
    detail_content(&d, r); /* counts the lines */
    int rows = a->detail_y + a->detail_h - top;
    /* What does not fit scrolls, and the separator line says how far; beside the tree there is
     * no separator, so the pane's last row does. */
    bool more = d.line > rows;
    if (more && a->detail_x > 0)
        rows--;
    a->detail_rows = rows;
    a->detail_lines = d.line;
    if (a->detail_scroll > d.line - rows)
        a->detail_scroll = d.line > rows ? d.line - rows : 0;
    d.draw = true;
    d.line = 0;
    d.first = a->detail_scroll;
    d.rows = rows;
    detail_content(&d, r);
    if (more)
        draw_more(a, &d, a->detail_x > 0 ? top + rows : a->detail_y);
}
