#include "config.h"

#include "view/search.h"

#include <curses.h>
#include <stdlib.h>
#include <string.h>

#include "base/i18n.h"
#include "base/util.h"
#include "view/widgets.h"

/* ASCII letters in lower case; other bytes (UTF-8 sequences: CJK) as they are. */
static void fold_ascii(char *s)
{
    for (; *s; s++)
        if (*s >= 'A' && *s <= 'Z')
            *s = (char)(*s - 'A' + 'a');
}

/* Case-insensitive for ASCII: both sides come folded (strcasestr was most of a letter's cost). */
static bool name_matches(const char *folded_name, const char *folded_pat)
{
    return *folded_pat && folded_name && strstr(folded_name, folded_pat) != NULL;
}

/* Copies of the rows' names, folded, one after another in one block (freed as one). */
static void fold_names(st_app *a)
{
    const st_tree *all = &a->search_all;
    const char **name = xcalloc(all->n ? all->n : 1, sizeof(char *));
    size_t bytes = 0;
    for (size_t i = 0; i < all->n; i++) {
        name[i] = st_row_name(&all->rows[i], a->hosts, (const char *const *)a->labels);
        bytes += name[i] ? strlen(name[i]) + 1 : 0;
    }
    free(a->search_folded);
    a->search_folded = xmalloc(bytes ? bytes : 1);
    char *p = a->search_folded;
    for (size_t i = 0; i < all->n; i++) {
        if (!name[i])
            continue;
        size_t n = strlen(name[i]) + 1;
        memcpy(p, name[i], n);
        fold_ascii(p);
        name[i] = p;
        p += n;
    }
    free(a->search_names);
    a->search_names = name;
}

/* Every node's row and name, built once per set of models (a refresh makes it stale). */
static void index_nodes(st_app *a)
{
    st_tree *all = &a->search_all;
    if (!a->search_stale)
        return;
    st_tree_build(all, a->hosts, (const char *const *)a->labels, a->n_hosts, true);
    fold_names(a);
    free(a->search_hits);
    a->search_hits = all->n ? xcalloc(all->n, sizeof(size_t)) : NULL;
    free(a->search_hits_for);
    a->search_hits_for = NULL;
    a->search_origin_row = SIZE_MAX;
    a->search_stale = false;
}

/* The rows matching pat: the kept hits narrowed when pat extends their text, else all rows. */
static void match_rows(st_app *a, const char *text)
{
    const char *kept = a->search_hits_for;
    char *pat = xstrdup(text);
    fold_ascii(pat);
    size_t n = 0;
    if (kept && strncmp(pat, kept, strlen(kept)) == 0) {
        for (size_t k = 0; k < a->n_search_hits; k++)
            if (name_matches(a->search_names[a->search_hits[k]], pat))
                a->search_hits[n++] = a->search_hits[k];
    } else {
        for (size_t i = 0; i < a->search_all.n; i++)
            if (name_matches(a->search_names[i], pat))
                a->search_hits[n++] = i;
    }
    a->n_search_hits = n;
    free(a->search_hits_for);
    a->search_hits_for = pat;
}

/*
 * The hit to go to from row `start`, in direction dir, wrapping: the first after it (or at it,
 * with include_from), or the last before it; the hits are in row order.
 */
static size_t pick_hit(const st_app *a, size_t start, int dir, bool include_from)
{
    const size_t *h = a->search_hits;
    size_t n = a->n_search_hits, lo = 0, hi = n;
    /* lo: the first hit at or after start (after it, when start itself may not be taken). */
    size_t bound = dir >= 0 && !include_from ? start + 1 : start;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (h[mid] < bound)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (dir >= 0)
        return h[lo < n ? lo : 0];
    if (include_from && lo < n && h[lo] == start)
        return start;
    return h[lo > 0 ? lo - 1 : n - 1];
}

/* Expands the collapsed ancestors of row i of search_all; whether any was collapsed. */
static bool reveal(st_app *a, size_t i)
{
    const st_tree *all = &a->search_all;
    bool changed = false;
    for (size_t p = all->rows[i].parent; p != SIZE_MAX; p = all->rows[p].parent)
        if (!st_tree_is_expanded(&a->tree, all->rows[p].key)) {
            st_tree_set_expanded(&a->tree, all->rows[p].key, true);
            changed = true;
        }
    return changed;
}

/* Selects row i of search_all, visible now: rows are rebuilt only if it was hidden. */
static void select_hit(st_app *a, size_t i)
{
    const char *key = a->search_all.rows[i].key;
    free(a->sel_key);
    a->sel_key = xstrdup(key);
    size_t at = SIZE_MAX;
    if (!reveal(a, i) && !a->need_rebuild) {
        /* With every row open up to here it is at i, or fewer rows up where some are closed. */
        at = st_tree_find_near(&a->tree, key, i < a->tree.n ? i : a->tree.n - 1);
    }
    if (at == SIZE_MAX) {
        st_app_rebuild(a);
        return;
    }
    a->sel = at;
    a->dirty = true;
}

/*
 * Finds the next row (after `from_key`, in direction dir, wrapping) whose name matches, in the
 * tree with every branch open; reveals it by expanding its ancestors and selects it.
 */
static bool find_and_reveal(st_app *a, const char *pat, const char *from_key, int dir,
                            bool include_from, size_t *from_row)
{
    index_nodes(a);
    match_rows(a, pat);
    if (!a->n_search_hits)
        return false;
    size_t start = from_row ? *from_row : SIZE_MAX;
    if (start == SIZE_MAX) {
        start = from_key ? st_tree_find(&a->search_all, from_key) : 0;
        if (start == SIZE_MAX)
            start = 0;
        if (from_row)
            *from_row = start;
    }
    select_hit(a, pick_hit(a, start, dir, include_from));
    return true;
}

void st_search_start(st_app *a)
{
    a->searching = true;
    a->search_failed = false;
    a->search[0] = '\0';
    free(a->search_origin);
    a->search_origin = a->sel_key ? xstrdup(a->sel_key) : NULL;
    a->search_origin_row = SIZE_MAX;
    /* A message of before (say, "no search yet") is not about this search. */
    free(a->status);
    a->status = NULL;
    a->dirty = true;
}

static void search_end(st_app *a, bool keep)
{
    a->searching = false;
    if (keep && a->search[0]) {
        free(a->last_search);
        a->last_search = xstrdup(a->search);
    } else if (!keep && a->search_origin) {
        st_app_select_key(a, a->search_origin);
    }
    a->dirty = true;
}

static void update(st_app *a)
{
    if (!a->search[0]) {
        a->search_failed = false;
        if (a->search_origin)
            st_app_select_key(a, a->search_origin);
        return;
    }
    /* The origin stays for the whole search: its row is looked up once per set of models. */
    a->search_failed =
        !find_and_reveal(a, a->search, a->search_origin, 1, true, &a->search_origin_row);
}

void st_search_key(st_app *a, st_keyreq req, int key, bool is_code)
{
    a->dirty = true;
    switch (req) {
    case ST_KEY_CANCEL:
        search_end(a, false);
        return;
    case ST_KEY_ACCEPT:
        search_end(a, true);
        return;
    case ST_KEY_ERASE:
        st_utf8_backspace(a->search);
        update(a);
        return;
    case ST_KEY_NONE:
        break;
    default:
        return;
    }
    /* Text: the key table leaves every printable character to the search. */
    if (is_code || key < 32 || key == 127)
        return;
    char mb[8];
    wchar_t wc = (wchar_t)key;
    int n = wctomb(mb, wc);
    if (n <= 0 || strlen(a->search) + (size_t)n + 1 >= sizeof(a->search))
        return;
    mb[n] = '\0';
    strcat(a->search, mb);
    update(a);
}

void st_search_next(st_app *a, int dir)
{
    if (!a->last_search) {
        st_app_status(a, false, "%s", _("no search yet: press / to search"));
        return;
    }
    if (!find_and_reveal(a, a->last_search, a->sel_key, dir, false, NULL))
        st_app_status(a, true, _("no match for %s"), a->last_search);
}
