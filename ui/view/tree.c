#include "config.h"

#include "view/tree.h"

#include <stdlib.h>
#include <string.h>

#include "backend/since.h"
#include "base/i18n.h"
#include "base/util.h"
#include "core/report.h"

#define EXPANDED  ((void *)1)
#define COLLAPSED ((void *)2)

/* A block of key bytes; blocks are kept from one rebuild to the next. */
typedef struct st_key_block {
    struct st_key_block *next;
    size_t used, size;
    char data[];
} st_key_block;

enum { KEY_BLOCK = 64 * 1024 };

void st_tree_init(st_tree *t)
{
    memset(t, 0, sizeof(*t));
    st_hash_init(&t->expansion, NULL);
}

static void clear_rows(st_tree *t)
{
    for (st_key_block *b = t->keys; b; b = b->next)
        b->used = 0;
    t->n = 0;
    t->key_used = t->key_garbage = 0;
}

void st_tree_free(st_tree *t)
{
    clear_rows(t);
    free(t->rows);
    st_hash_clear(&t->expansion);
    while (t->keys) {
        st_key_block *b = t->keys;
        t->keys = b->next;
        free(b);
    }
    memset(t, 0, sizeof(*t));
}

/* Room for n bytes of key in the first block with space (blocks fill in order). */
static char *key_alloc(st_tree *t, size_t n)
{
    st_key_block **pp = &t->keys;
    for (; *pp; pp = &(*pp)->next)
        if ((*pp)->size - (*pp)->used >= n)
            break;
    if (!*pp) {
        size_t size = n > KEY_BLOCK ? n : KEY_BLOCK;
        *pp = xmalloc(sizeof(st_key_block) + size);
        (*pp)->next = NULL;
        (*pp)->used = 0;
        (*pp)->size = size;
    }
    char *p = (*pp)->data + (*pp)->used;
    (*pp)->used += n;
    t->key_used += n;
    return p;
}

/* "parent/" + tag + name, in the key blocks. */
static char *make_key(st_tree *t, const char *parent, const char *tag, const char *name)
{
    size_t pl = parent ? strlen(parent) : 0, tl = strlen(tag), nl = name ? strlen(name) : 0;
    char *k = key_alloc(t, pl + 1 + tl + nl + 1);
    char *p = k;
    if (parent) {
        memcpy(p, parent, pl);
        p += pl;
        *p++ = '/';
    }
    memcpy(p, tag, tl);
    p += tl;
    if (nl)
        memcpy(p, name, nl);
    p[nl] = '\0';
    return k;
}

bool st_tree_is_expanded(const st_tree *t, const char *key)
{
    return st_hash_get(&t->expansion, key) != COLLAPSED;
}

void st_tree_set_expanded(st_tree *t, const char *key, bool expanded)
{
    st_hash_put(&t->expansion, key, expanded ? EXPANDED : COLLAPSED);
}

size_t st_tree_find(const st_tree *t, const char *key)
{
    for (size_t i = 0; i < t->n; i++)
        if (strcmp(t->rows[i].key, key) == 0)
            return i;
    return SIZE_MAX;
}

size_t st_tree_find_near(const st_tree *t, const char *key, size_t hint)
{
    if (hint >= t->n)
        return st_tree_find(t, key);
    for (size_t d = 0; d <= hint || hint + d < t->n; d++) {
        if (d <= hint && strcmp(t->rows[hint - d].key, key) == 0)
            return hint - d;
        if (d && hint + d < t->n && strcmp(t->rows[hint + d].key, key) == 0)
            return hint + d;
    }
    return SIZE_MAX;
}

/* Walk state: where new rows go, and the guides of the ancestors. */
typedef struct walk {
    st_tree *t;
    bool all;
} walk;

static st_row *add_row(walk *w, st_row_kind kind, int depth, size_t parent, char *key, bool last,
                       bool has_children)
{
    st_tree *t = w->t;
    xgrow((void **)&t->rows, &t->cap, t->n + 1, sizeof(st_row));
    st_row *r = &t->rows[t->n++];
    memset(r, 0, sizeof(*r));
    r->kind = kind;
    r->depth = depth;
    r->parent = parent;
    r->key = key;
    r->last = last;
    r->has_children = has_children;
    r->expanded = has_children && st_tree_is_expanded(t, key);
    if (parent != SIZE_MAX) {
        const st_row *p = &t->rows[parent];
        r->open_mask = p->open_mask;
        if (!p->last && p->depth < ST_TREE_MAX_GUIDES)
            r->open_mask |= 1ull << p->depth;
        r->host = p->host;
        r->dom = p->dom;
        r->disk = p->disk;
    }
    return r;
}

/* Whether to walk below a row just added. */
static bool descend(const walk *w, const st_row *r)
{
    return r->has_children && (r->expanded || w->all);
}

/*
 * A layer is known by its path, but a path makes a long key and there is one per layer: the key
 * holds a 64-bit FNV-1a hash of it instead (two layers of one disk colliding would only move the
 * selection between them).
 */
static void path_tag(const char *path, char out[17])
{
    uint64_t h = 1469598103934665603ull;
    for (const char *s = path ? path : ""; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    /* By hand: snprintf would be half of a rebuild's time. */
    for (int i = 15; i >= 0; i--, h >>= 4)
        out[i] = "0123456789abcdef"[h & 15];
    out[16] = '\0';
}

static void add_layers(walk *w, size_t disk_row, const st_disk *d)
{
    const char *dkey = w->t->rows[disk_row].key;
    for (size_t i = 0; i < d->n_chain; i++) {
        char tag[17];
        path_tag(d->chain[i].path, tag);
        char *key = make_key(w->t, dkey, "L", tag);
        int depth = w->t->rows[disk_row].depth + 1;
        st_row *r = add_row(w, ROW_LAYER, depth, disk_row, key, i + 1 == d->n_chain, false);
        r->layer = i;
    }
}

static bool snapshot_is_last(const st_domain *d, const size_t *order, size_t k)
{
    const st_snapshot *s = &d->snaps[order[k]];
    for (size_t j = k + 1; j < d->n_snaps; j++)
        if (streq0(d->snaps[order[j]].parent, s->parent))
            return false;
    return true;
}

static bool snapshot_has_children(const st_domain *d, const st_snapshot *s)
{
    for (size_t j = 0; j < d->n_snaps; j++)
        if (streq0(d->snaps[j].parent, s->name))
            return true;
    return false;
}

/* The NOW row, the last child of the current snapshot's row `cur_row`. */
static void add_now(walk *w, size_t cur_row)
{
    const st_row *c = &w->t->rows[cur_row];
    size_t snap = c->snap;
    char *key = make_key(w->t, c->key, "N", NULL);
    st_row *r = add_row(w, ROW_NOW, c->depth + 1, cur_row, key, true, false);
    r->snap = snap;
}

static void add_snapshots(walk *w, size_t group_row, const st_domain *d)
{
    int *depth;
    size_t *order = st_snapshot_order(d, &depth);
    /* parents[k]: the row of the snapshot at depth k on the current path. */
    size_t *parents = xcalloc(d->n_snaps + 1, sizeof(size_t));
    int skip_below = -1; /* a collapsed snapshot hides deeper rows until the depth comes back */
    const char *gkey = w->t->rows[group_row].key;
    /* Where the domain is now goes below the current snapshot when it is no longer there. */
    const st_snapshot *cur;
    const char *why;
    bool now = st_domain_since_current(d, &cur, &why) != ST_SINCE_AT;
    size_t now_under = SIZE_MAX; /* the current snapshot's row, until its NOW row is added */
    int now_depth = 0;
    for (size_t k = 0; k < d->n_snaps; k++) {
        if (now_under != SIZE_MAX && depth[k] <= now_depth) {
            add_now(w, now_under);
            now_under = SIZE_MAX;
        }
        if (skip_below >= 0 && depth[k] > skip_below)
            continue;
        skip_below = -1;
        const st_snapshot *s = &d->snaps[order[k]];
        size_t parent = depth[k] == 0 ? group_row : parents[depth[k] - 1];
        int rdepth = w->t->rows[group_row].depth + 1 + depth[k];
        char *key = make_key(w->t, gkey, "", s->name);
        bool is_cur = now && s == cur;
        bool last = snapshot_is_last(d, order, k) && !(now && cur && streq0(s->parent, cur->name));
        st_row *r = add_row(w, ROW_SNAPSHOT, rdepth, parent, key, last,
                            snapshot_has_children(d, s) || is_cur);
        r->snap = order[k];
        parents[depth[k]] = w->t->n - 1;
        if (r->has_children && !descend(w, r))
            skip_below = depth[k];
        else if (is_cur) {
            now_under = w->t->n - 1;
            now_depth = depth[k];
        }
    }
    if (now_under != SIZE_MAX)
        add_now(w, now_under);
    free(parents);
    free(order);
    free(depth);
}

/* The rows below a domain's row: disks (and their layers), branches, the snapshot group. */
static void add_domain_children(walk *w, size_t drow, const st_domain *d)
{
    const char *key = w->t->rows[drow].key;
    for (size_t k = 0; k < d->n_disks; k++) {
        const st_disk *disk = &d->disks[k];
        char *dkey = make_key(w->t, key, "K", disk->target ? disk->target : "?");
        st_row *dr =
            add_row(w, ROW_DISK, 2, drow, dkey,
                    k + 1 == d->n_disks && !d->n_snaps && !d->n_branches, disk->n_chain > 0);
        dr->disk = k;
        size_t disk_row = w->t->n - 1;
        if (descend(w, dr))
            add_layers(w, disk_row, disk);
    }
    for (size_t b = 0; b < d->n_branches; b++) {
        char *bkey = make_key(w->t, key, "B", d->branches[b].file ? d->branches[b].file : "?");
        st_row *br =
            add_row(w, ROW_BRANCH, 2, drow, bkey, b + 1 == d->n_branches && !d->n_snaps, false);
        br->branch = b;
    }
    if (d->n_snaps) {
        char *gkey = make_key(w->t, key, "S", NULL);
        st_row *g = add_row(w, ROW_SNAPGROUP, 2, drow, gkey, true, true);
        size_t grow = w->t->n - 1;
        if (descend(w, g))
            add_snapshots(w, grow, d);
    }
}

static void add_domain(walk *w, size_t host_row, const st_domain *d, size_t di, bool last)
{
    const char *hkey = w->t->rows[host_row].key;
    char *key = make_key(w->t, hkey, "D", d->uuid);
    bool kids = d->n_disks > 0 || d->n_snaps > 0 || d->n_branches > 0;
    st_row *r = add_row(w, ROW_DOMAIN, 1, host_row, key, last, kids);
    r->dom = di;
    if (descend(w, r))
        add_domain_children(w, w->t->n - 1, d);
}

static void add_host_children(walk *w, size_t hrow, const st_host *host)
{
    for (size_t i = 0; i < host->n_doms; i++)
        add_domain(w, hrow, &host->doms[i], i, i + 1 == host->n_doms);
}

void st_tree_build(st_tree *t, st_host *const *hosts, const char *const *host_labels,
                   size_t n_hosts, bool all)
{
    (void)host_labels;
    clear_rows(t);
    walk w = {t, all};
    size_t last = n_hosts; /* the last host shown */
    for (size_t h = 0; h < n_hosts; h++)
        last = t->hidden && t->hidden[h] ? last : h;
    for (size_t h = 0; h < n_hosts; h++) {
        if (t->hidden && t->hidden[h])
            continue;
        const st_host *host = hosts[h];
        char num[32];
        snprintf(num, sizeof(num), "%zu", h);
        char *key = make_key(t, NULL, "H", num);
        st_row *r = add_row(&w, ROW_HOST, 0, SIZE_MAX, key, h == last, host && host->n_doms > 0);
        r->host = h;
        size_t hrow = t->n - 1;
        if (host && descend(&w, r))
            add_host_children(&w, hrow, host);
    }
}

size_t st_tree_subtree_end(const st_tree *t, size_t i)
{
    size_t j = i + 1;
    while (j < t->n && t->rows[j].depth > t->rows[i].depth)
        j++;
    return j;
}

/* Drops rows [from, to) and renumbers the parents of the rows after them. */
static void remove_rows(st_tree *t, size_t from, size_t to)
{
    size_t k = to - from;
    for (size_t j = from; j < to; j++)
        t->key_garbage += strlen(t->rows[j].key) + 1;
    memmove(&t->rows[from], &t->rows[to], (t->n - to) * sizeof(st_row));
    t->n -= k;
    for (size_t j = from; j < t->n; j++)
        if (t->rows[j].parent != SIZE_MAX && t->rows[j].parent >= to)
            t->rows[j].parent -= k;
}

/*
 * Moves the rows appended since old_n to just after row i, renumbering parents: the new rows'
 * (built at the end, they point at row i or at each other) and those of the rows they pass.
 */
static void move_appended(st_tree *t, size_t i, size_t old_n)
{
    size_t k = t->n - old_n;
    st_row *fresh = xmalloc(k * sizeof(st_row));
    memcpy(fresh, &t->rows[old_n], k * sizeof(st_row));
    memmove(&t->rows[i + 1 + k], &t->rows[i + 1], (old_n - i - 1) * sizeof(st_row));
    for (size_t j = 0; j < k; j++)
        if (fresh[j].parent >= old_n)
            fresh[j].parent = fresh[j].parent - old_n + i + 1;
    memcpy(&t->rows[i + 1], fresh, k * sizeof(st_row));
    free(fresh);
    for (size_t j = i + 1 + k; j < t->n; j++)
        if (t->rows[j].parent != SIZE_MAX && t->rows[j].parent > i)
            t->rows[j].parent += k;
}

/* Builds row i's children at the end of the rows; false for kinds only a full walk knows. */
static bool append_children(st_tree *t, st_host *const *hosts, size_t i)
{
    const st_row *r = &t->rows[i];
    const st_host *h = hosts[r->host];
    walk w = {t, false};
    switch (r->kind) {
    case ROW_HOST:
        add_host_children(&w, i, h);
        return true;
    case ROW_DOMAIN:
        add_domain_children(&w, i, &h->doms[r->dom]);
        return true;
    case ROW_DISK:
        add_layers(&w, i, &h->doms[r->dom].disks[r->disk]);
        return true;
    case ROW_SNAPGROUP:
        add_snapshots(&w, i, &h->doms[r->dom]);
        return true;
    default:
        /* A snapshot's subtree comes out of its domain's whole topological order. */
        return false;
    }
}

size_t st_tree_toggle(st_tree *t, st_host *const *hosts, size_t i, bool expanded)
{
    if (i >= t->n || !t->rows[i].has_children || t->rows[i].expanded == expanded ||
        !hosts[t->rows[i].host])
        return SIZE_MAX;
    if (!expanded) {
        size_t end = st_tree_subtree_end(t, i);
        t->rows[i].expanded = false;
        remove_rows(t, i + 1, end);
        return end - i - 1;
    }
    /* Keys of removed rows stay in the blocks until a full rebuild: not more than half. */
    if (t->key_garbage * 2 > t->key_used)
        return SIZE_MAX;
    size_t old_n = t->n;
    t->rows[i].expanded = true;
    if (!append_children(t, hosts, i)) {
        t->rows[i].expanded = false;
        t->n = old_n;
        return SIZE_MAX;
    }
    move_appended(t, i, old_n);
    return t->n - old_n;
}

const char *st_row_name(const st_row *r, st_host *const *hosts, const char *const *host_labels)
{
    const st_host *h = hosts[r->host];
    switch (r->kind) {
    case ROW_HOST:
        return host_labels[r->host];
    case ROW_DOMAIN:
        return h->doms[r->dom].name;
    case ROW_DISK:
        return h->doms[r->dom].disks[r->disk].target;
    case ROW_LAYER: {
        const char *p = h->doms[r->dom].disks[r->disk].chain[r->layer].path;
        return p ? st_basename(p) : "";
    }
    case ROW_SNAPGROUP:
        return _("Snapshots");
    case ROW_SNAPSHOT:
        return h->doms[r->dom].snaps[r->snap].name;
    case ROW_BRANCH: {
        const char *f = h->doms[r->dom].branches[r->branch].file;
        return f ? st_basename(f) : "";
    }
    case ROW_NOW:
        return _("NOW");
    }
    return "";
}
