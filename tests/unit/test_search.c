/*
 * The incremental search (/, n, N) through the program's key path: what each letter selects,
 * failing and recovering, Esc and Enter, wrapping, and matches inside collapsed branches.
 */
#include "config.h"

#include "tap.h"
#include "uifixture.h"
#include "view/keys.h"

/* Layers are named "<domain>-<n>.qcow2", n = 2 for the active one down to 0. */
static const char *const domains[] = {"web", "db", "mail", "web-2", "cache", NULL};

static void select_name(st_app *a, const char *name)
{
    size_t i = ui_find(a, name);
    ck_assert_uint_ne(i, SIZE_MAX);
    st_app_select_key(a, a->tree.rows[i].key);
}

START_TEST(letters_select_as_typed)
{
    st_app a;
    ui_app(&a, ui_host(domains));
    select_name(&a, "test:///default");
    ui_char(&a, '/');
    ck_assert(a.searching);
    ui_char(&a, 'w');
    ck_assert_str_eq(ui_selected(&a), "web");
    ui_type(&a, "eb-");
    ck_assert_str_eq(ui_selected(&a), "web-2.qcow2");
    /* Upper case finds lower case (ASCII). */
    ui_char(&a, 27);
    ui_char(&a, '/');
    ui_type(&a, "MAIL");
    ck_assert_str_eq(ui_selected(&a), "mail");
    ck_assert(!a.search_failed);
    ui_app_free(&a);
}
END_TEST

START_TEST(no_match_then_backspace)
{
    st_app a;
    ui_app(&a, ui_host(domains));
    select_name(&a, "test:///default");
    ui_type(&a, "/ca");
    ck_assert_str_eq(ui_selected(&a), "cache");
    /* A letter that matches nothing says so and leaves the selection where it was. */
    ui_char(&a, 'z');
    ck_assert(a.search_failed);
    ck_assert_str_eq(ui_selected(&a), "cache");
    ui_code(&a, KEY_BACKSPACE);
    ck_assert(!a.search_failed);
    ck_assert_str_eq(a.search, "ca");
    ui_char(&a, 127);
    ui_char(&a, 8);
    ck_assert_str_eq(a.search, "");
    /* Nothing typed: back at the start. */
    ck_assert_str_eq(ui_selected(&a), "test:///default");
    ui_app_free(&a);
}
END_TEST

START_TEST(esc_goes_back_enter_stays)
{
    st_app a;
    ui_app(&a, ui_host(domains));
    select_name(&a, "web");
    ui_type(&a, "/cache");
    ck_assert_str_eq(ui_selected(&a), "cache");
    ui_char(&a, 27);
    ck_assert(!a.searching);
    ck_assert_str_eq(ui_selected(&a), "web");
    ck_assert_ptr_null(a.last_search);
    /* n before any search kept says how to search. */
    ui_char(&a, 'n');
    ck_assert_str_eq(a.status, "no search yet: press / to search");
    ui_type(&a, "/db-\n");
    ck_assert(!a.searching);
    ck_assert_str_eq(ui_selected(&a), "db-2.qcow2");
    ck_assert_str_eq(a.last_search, "db-");
    ui_app_free(&a);
}
END_TEST

START_TEST(next_and_previous_wrap)
{
    st_app a;
    ui_app(&a, ui_host(domains));
    select_name(&a, "test:///default");
    ui_type(&a, "/db-\n");
    const char *want[] = {"db-1.qcow2", "db-0.qcow2", "db-2.qcow2", "db-1.qcow2"};
    for (size_t i = 0; i < 4; i++) {
        ui_char(&a, 'n');
        ck_assert_str_eq(ui_selected(&a), want[i]);
    }
    ui_char(&a, 'N');
    ck_assert_str_eq(ui_selected(&a), "db-2.qcow2");
    ui_char(&a, 'N');
    ck_assert_str_eq(ui_selected(&a), "db-0.qcow2");
    ui_app_free(&a);
}
END_TEST

START_TEST(finds_inside_collapsed_branches)
{
    st_app a;
    ui_app(&a, ui_host(domains));
    select_name(&a, "db");
    ui_char(&a, ' ');
    ck_assert_uint_eq(ui_find(&a, "db-1.qcow2"), SIZE_MAX);
    select_name(&a, "test:///default");
    ui_type(&a, "/db-1\n");
    /* The match is shown: its branch opened, and it is selected. */
    ck_assert_str_eq(ui_selected(&a), "db-1.qcow2");
    ck_assert(a.tree.rows[ui_find(&a, "db")].expanded);
    ui_app_free(&a);
}
END_TEST

START_TEST(search_keys_are_the_tables)
{
    st_app a;
    ui_app(&a, ui_host(domains));
    /* ? and the tree's letters are text while searching; F1 shows the search's keys. */
    ui_type(&a, "/?q");
    ck_assert(a.searching);
    ck_assert_ptr_null(a.dialog);
    ck_assert_str_eq(a.search, "?q");
    ui_code(&a, KEY_F(1));
    ck_assert_ptr_nonnull(a.dialog);
    ck_assert_int_eq(a.dialog->ops->keys, ST_CTX_HELP);
    ck_assert(ui_shows(&a, "go back to where the search started"));
    ui_char(&a, 27);
    ck_assert_ptr_null(a.dialog);
    ck_assert(a.searching);
    ui_app_free(&a);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("search");
    TCase *tc = tcase_create("search");
    tcase_add_test(tc, letters_select_as_typed);
    tcase_add_test(tc, no_match_then_backspace);
    tcase_add_test(tc, esc_goes_back_enter_stays);
    tcase_add_test(tc, next_and_previous_wrap);
    tcase_add_test(tc, finds_inside_collapsed_branches);
    tcase_add_test(tc, search_keys_are_the_tables);
    suite_add_tcase(s, tc);
    return st_run_suite(s);
}
