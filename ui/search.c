#include "config.h"

#include "search.h"

#include <curses.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "i18n.h"
#include "util.h"
#include "widgets.h"

/* Case-insensitive for ASCII; other characters (CJK) compare as they are. */
static bool name_matches(const char *name, const char *pat)
{
    return *pat && name && strcasestr(name, pat) != NULL;
}

/*
 * Finds the next row (after `from_key`, in direction dir, wrapping) whose name matches, in the
 * tree with every branch open; reveals it by expanding its ancestors and selects it.
 */
static bool find_and_reveal(st_app *a, const char *pat, const char *from_key, int dir,
                            bool include_from)
{
    st_tree *all = &a->search_all;
    if (a->search_stale) {
        st_tree_build(all, a->hosts, (const char *const *)a->labels, a->n_hosts, true);
        a->search_stale = false;
    }
    bool found = false;
    if (all->n) {
        size_t start = from_key ? st_tree_find(all, from_key) : 0;
        if (start == SIZE_MAX)
            start = 0;
        for (size_t step = include_from ? 0 : 1; step <= all->n && !found; step++) {
            size_t i = (start + all->n + (dir >= 0 ? step : all->n - step % all->n)) % all->n;
            const st_row *r = &all->rows[i];
            if (!name_matches(st_row_name(r, a->hosts, (const char *const *)a->labels), pat))
                continue;
            for (size_t p = r->parent; p != SIZE_MAX; p = all->rows[p].parent)
                st_tree_set_expanded(&a->tree, all->rows[p].key, true);
            free(a->sel_key);
            a->sel_key = xstrdup(r->key);
            found = true;
        }
    }
    if (found)
        st_app_rebuild(a);
    return found;
}

void st_search_start(st_app *a)
{
    a->searching = true;
    a->search_failed = false;
    a->search[0] = '\0';
    free(a->search_origin);
    a->search_origin = a->sel_key ? xstrdup(a->sel_key) : NULL;
    curs_set(1);
    a->dirty = true;
}

static void search_end(st_app *a, bool keep)
{
    a->searching = false;
    curs_set(0);
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
    a->search_failed = !find_and_reveal(a, a->search, a->search_origin, 1, true);
}

void st_search_key(st_app *a, int key, bool is_code)
{
    a->dirty = true;
    if (!is_code && key == 27) {
        search_end(a, false);
        return;
    }
    if ((!is_code && (key == '\n' || key == '\r')) || (is_code && key == KEY_ENTER)) {
        search_end(a, true);
        return;
    }
    if ((is_code && key == KEY_BACKSPACE) || (!is_code && (key == 127 || key == 8))) {
        st_utf8_backspace(a->search);
        update(a);
        return;
    }
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
    if (!find_and_reveal(a, a->last_search, a->sel_key, dir, false))
        st_app_status(a, true, _("no match for %s"), a->last_search);
}
