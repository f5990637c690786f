/*
 * The tree's rows when a node is expanded or collapsed: the splice (st_tree_toggle) leaves them
 * exactly as a full build would, and the keys that expand and collapse keep the selection on its
 * node.
 */
#include "config.h"

#include "tap.h"
#include "uifixture.h"

static const char *const domains[] = {"web", "db", "mail", "web-2", "cache", NULL};

/* Whether two trees have the same rows, field by field; says the first difference. */
static bool same_rows(const st_tree *x, const st_tree *y)
{
    if (x->n != y->n) {
        fprintf(stderr, "# %zu rows, a full build has %zu\n", x->n, y->n);
        return false;
    }
    for (size_t i = 0; i < x->n; i++) {
        const st_row *a = &x->rows[i], *b = &y->rows[i];
        bool same = a->kind == b->kind && a->depth == b->depth && !strcmp(a->key, b->key) &&
                    a->has_children == b->has_children && a->expanded == b->expanded &&
                    a->last == b->last && a->open_mask == b->open_mask && a->parent == b->parent &&
                    a->host == b->host && a->dom == b->dom && a->disk == b->disk &&
                    a->layer == b->layer && a->snap == b->snap;
        if (!same) {
            fprintf(stderr, "# row %zu (%s) differs from a full build's (%s)\n", i, a->key, b->key);
            return false;
        }
    }
    return true;
}

/* A full build with the expansion the admin chose in t. */
static bool like_full_build(st_app *a, const char *const *collapsed, size_t n)
{
    st_tree full;
    st_tree_init(&full);
    for (size_t i = 0; i < n; i++)
        st_tree_set_expanded(&full, collapsed[i], false);
    st_tree_build(&full, a->hosts, (const char *const *)a->labels, a->n_hosts, false);
    bool same = same_rows(&a->tree, &full);
    st_tree_free(&full);
    return same;
}

START_TEST(splice_is_a_full_build)
{
    st_app a;
    ui_app(&a, ui_host(domains));
    /* Every node with children, from the bottom up (rows above stay where they are): collapse,
     * compare, and expand again. An expand the splice cannot do (a snapshot's children, too
     * many dropped keys kept) says so, and the program builds all rows again. */
    size_t spliced = 0;
    for (size_t i = a.tree.n; i-- > 0;) {
        if (!a.tree.rows[i].has_children)
            continue;
        char *key = xstrdup(a.tree.rows[i].key);
        size_t below = st_tree_subtree_end(&a.tree, i) - i - 1, before = a.tree.n;
        st_tree_set_expanded(&a.tree, key, false);
        ck_assert_uint_eq(st_tree_toggle(&a.tree, a.hosts, i, false), below);
        ck_assert_uint_eq(a.tree.n, before - below);
        ck_assert_msg(like_full_build(&a, (const char *const *)&key, 1), "collapse %s", key);
        st_tree_set_expanded(&a.tree, key, true);
        size_t k = st_tree_toggle(&a.tree, a.hosts, i, true);
        if (k == SIZE_MAX) {
            st_app_rebuild(&a);
        } else {
            ck_assert_uint_eq(k, below);
            spliced++;
        }
        ck_assert_msg(like_full_build(&a, NULL, 0), "expand %s", key);
        free(key);
    }
    ck_assert_uint_ge(spliced, 5);
    ui_app_free(&a);
}
END_TEST

/* Collapsing several nodes one after another, then expanding them in another order. */
START_TEST(splices_add_up)
{
    st_app a;
    ui_app(&a, ui_host(domains));
    const char *names[] = {"db", "cache", "web-2"};
    char *keys[3];
    for (size_t j = 0; j < 3; j++) {
        size_t i = ui_find(&a, names[j]);
        keys[j] = xstrdup(a.tree.rows[i].key);
        st_tree_set_expanded(&a.tree, keys[j], false);
        ck_assert_uint_ne(st_tree_toggle(&a.tree, a.hosts, i, false), SIZE_MAX);
        ck_assert(like_full_build(&a, (const char *const *)keys, j + 1));
    }
    for (size_t j = 3; j-- > 0;) {
        size_t i = ui_find(&a, names[(j + 1) % 3]);
        st_tree_set_expanded(&a.tree, a.tree.rows[i].key, true);
        ck_assert_uint_ne(st_tree_toggle(&a.tree, a.hosts, i, true), SIZE_MAX);
    }
    ck_assert(like_full_build(&a, NULL, 0));
    for (size_t j = 0; j < 3; j++)
        free(keys[j]);
    ui_app_free(&a);
}
END_TEST

START_TEST(keys_keep_the_selection)
{
    st_app a;
    ui_app(&a, ui_host(domains));
    size_t n = a.tree.n;
    st_app_select_key(&a, a.tree.rows[ui_find(&a, "db")].key);
    /* Space collapses db where it is: the selection stays on it, the rows below move up. */
    ui_char(&a, ' ');
    ck_assert_str_eq(ui_selected(&a), "db");
    ck_assert(!a.tree.rows[a.sel].expanded);
    ck_assert_uint_lt(a.tree.n, n);
    ui_char(&a, 'j');
    ck_assert_str_eq(ui_selected(&a), "mail");
    ui_char(&a, 'k');
    /* Right expands it again; Right once more goes to its first child. Left collapses that, then
     * goes to its parent, then collapses the parent. */
    ui_code(&a, KEY_RIGHT);
    ck_assert_uint_eq(a.tree.n, n);
    ck_assert_str_eq(ui_selected(&a), "db");
    ui_char(&a, 'l');
    ck_assert_str_eq(ui_selected(&a), "vda");
    char *collapsed[2] = {xstrdup(a.tree.rows[a.sel].key), NULL};
    ui_char(&a, 'h');
    ck_assert_str_eq(ui_selected(&a), "vda");
    ck_assert(!a.tree.rows[a.sel].expanded);
    ui_code(&a, KEY_LEFT);
    ck_assert_str_eq(ui_selected(&a), "db");
    ui_char(&a, 'h');
    ck_assert(!a.tree.rows[a.sel].expanded);
    collapsed[1] = xstrdup(a.tree.rows[a.sel].key);
    /* Many toggles leave dropped keys behind until a rebuild: the rows stay right throughout. */
    for (int i = 0; i < 40; i++) {
        ui_char(&a, ' ');
        ck_assert_str_eq(ui_selected(&a), "db");
    }
    ck_assert(like_full_build(&a, (const char *const *)collapsed, 2));
    free(collapsed[0]);
    free(collapsed[1]);
    /* g and G: the first and last rows. */
    ui_char(&a, 'G');
    ck_assert_uint_eq(a.sel, a.tree.n - 1);
    ui_char(&a, 'g');
    ck_assert_uint_eq(a.sel, 0);
    ui_app_free(&a);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("tree");
    TCase *tc = tcase_create("toggle");
    tcase_add_test(tc, splice_is_a_full_build);
    tcase_add_test(tc, splices_add_up);
    tcase_add_test(tc, keys_keep_the_selection);
    suite_add_tcase(s, tc);
    return st_run_suite(s);
}
