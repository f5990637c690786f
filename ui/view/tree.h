/*
 * The tree as rows: every host, domain, disk, chain layer and snapshot that is visible given which
 * nodes are expanded. Rows are rebuilt from the models whenever a model changes (an expand or a
 * collapse splices only the toggled subtree's rows); each row has a stable key so that the
 * selection and the expansion survive refreshes.
 */
#ifndef ST_TREE_H
#define ST_TREE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/hash.h"
#include "core/model.h"

typedef enum {
    ROW_HOST,
    ROW_DOMAIN,
    ROW_DISK,
    ROW_LAYER,
    ROW_SNAPGROUP,
    ROW_SNAPSHOT,
    ROW_BRANCH, /* a detached branch left by an external revert (never deleted by this tool) */
    ROW_NOW,    /* where the domain is now, below its current snapshot when it moved on since
                 * (or may have: since.h); snap is the current snapshot */
} st_row_kind;

#define ST_TREE_MAX_GUIDES 64

typedef struct st_row {
    st_row_kind kind;
    int depth;
    size_t host, dom, disk, layer, snap, branch;
    char *key;
    bool has_children;
    bool expanded;
    bool last;          /* last among its siblings */
    uint64_t open_mask; /* bit d: the ancestor at depth d has siblings below (draw a guide) */
    size_t parent;      /* row index of the parent; SIZE_MAX for hosts */
} st_row;

typedef struct st_tree {
    st_row *rows;
    size_t n, cap;
    st_hash expansion; /* key → EXPANDED or COLLAPSED, where the admin chose */
    /* hidden[h]: host h and its subtree get no rows (a group filter). NULL: every host shown. */
    const bool *hidden;
    /* The rows' keys live in these blocks, reused by every rebuild: a rebuild of 10,000 rows
     * then costs no malloc per row (it happens on every refresh and every expand or collapse). */
    struct st_key_block *keys;
    /* Key bytes handed out since the last full build, and those of rows removed since. */
    size_t key_used, key_garbage;
} st_tree;

void st_tree_init(st_tree *t);
void st_tree_free(st_tree *t);

/*
 * Rebuilds the rows. With `all`, collapsed nodes are walked too (for searching); `expanded` still
 * says what the admin chose. hosts[i] may be NULL (not yet known).
 */
void st_tree_build(st_tree *t, st_host *const *hosts, const char *const *host_labels,
                   size_t n_hosts, bool all);

/* The first row after row i's subtree (its descendants are the rows in between). */
size_t st_tree_subtree_end(const st_tree *t, size_t i);

/*
 * Expands or collapses row i where it stands, as a full build would leave the rows: a collapse
 * removes its subtree, an expand builds only its children and splices them in (a Space at
 * 10,000 rows then costs the rows it touches, not a walk of every model). Returns how many rows
 * were removed or added, or SIZE_MAX when nothing was done and a full build is needed (a
 * snapshot's subtree, a missing host, too many dropped keys kept in the blocks).
 */
size_t st_tree_toggle(st_tree *t, st_host *const *hosts, size_t i, bool expanded);

/* The row index whose key equals `key`, or SIZE_MAX. */
size_t st_tree_find(const st_tree *t, const char *key);

/* The same, looking at row `hint` first and then ever farther from it (the row usually stayed
 * where it was, or moved by a few). */
size_t st_tree_find_near(const st_tree *t, const char *key, size_t hint);

bool st_tree_is_expanded(const st_tree *t, const char *key);
void st_tree_set_expanded(st_tree *t, const char *key, bool expanded);

/* The name shown for a row (domain name, file name, snapshot name …), not sanitized. */
const char *st_row_name(const st_row *r, st_host *const *hosts, const char *const *host_labels);

#endif
