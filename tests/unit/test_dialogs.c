/*
 * The dialogs' keys, without a terminal: the picker's moving keys and bounds, the letter choice,
 * the plan screen's typed confirmation and scrolling, the snapshot form's focus, and `?` over a
 * dialog, all through the program's key path and its key table.
 */
#include "config.h"

#include <stdint.h>

#include "flows/snap_ui.h"
#include "tap.h"
#include "uifixture.h"
#include "view/keys.h"
#include "view/widgets.h"

#define CTRL(c) ((c)&0x1f)

static const char *const domains[] = {"web", "db", NULL};

/* ---- the picker ---- */

static size_t picked;
static int picks;

static void on_pick(st_app *a, size_t choice, void *ctx)
{
    (void)a;
    (void)ctx;
    picked = choice;
    picks++;
}

/* A picker of n items "item 0".. opened on item def and drawn once (a page is then known). */
static void open_picker(st_app *a, size_t n, size_t def)
{
    char **items = xcalloc(n, sizeof(char *));
    for (size_t i = 0; i < n; i++)
        items[i] = xasprintf("item %zu", i);
    st_app_push_dialog(
        a, st_picker_new("Pick", NULL, (const char *const *)items, n, def, on_pick, NULL, NULL));
    for (size_t i = 0; i < n; i++)
        free(items[i]);
    free(items);
    a->dialog->ops->draw(a, a->dialog);
    picks = 0;
    picked = 12345;
}

/* The item Enter takes now (the picker closes). */
static size_t take(st_app *a)
{
    ui_char(a, '\n');
    ck_assert_int_eq(picks, 1);
    ck_assert_ptr_null(a->dialog);
    return picked;
}

START_TEST(picker_moves_like_the_tree)
{
    st_app a;
    ui_app(&a, ui_host(domains));
    struct {
        int key;
        bool code;
        size_t from, want;
    } cases[] = {
        {'j', false, 0, 1},        {KEY_DOWN, true, 0, 1},    {'k', false, 5, 4},
        {KEY_UP, true, 5, 4},      {'G', false, 3, 29},       {KEY_END, true, 3, 29},
        {'g', false, 20, 0},       {KEY_HOME, true, 20, 0},   {CTRL('f'), false, 0, 18},
        {KEY_NPAGE, true, 0, 18},  {CTRL('b'), false, 25, 7}, {KEY_PPAGE, true, 25, 7},
        {'k', false, 0, 0},        {'j', false, 29, 29},      {CTRL('f'), false, 20, 29},
        {CTRL('b'), false, 10, 0}, {KEY_PPAGE, true, 3, 0},   {KEY_NPAGE, true, 28, 29},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        open_picker(&a, 30, cases[i].from);
        st_tui_key(&a, cases[i].key, cases[i].code);
        ck_assert_msg(take(&a) == cases[i].want, "case %zu: key %d from %zu gives %zu, not %zu", i,
                      cases[i].key, cases[i].from, picked, cases[i].want);
    }
    ui_app_free(&a);
}
END_TEST

START_TEST(picker_cancels_and_ignores)
{
    st_app a;
    ui_app(&a, ui_host(domains));
    open_picker(&a, 5, 2);
    ui_char(&a, 27);
    ck_assert_int_eq(picks, 1);
    ck_assert_uint_eq(picked, SIZE_MAX);
    ck_assert_ptr_null(a.dialog);
    open_picker(&a, 5, 2);
    ui_char(&a, 'q');
    ck_assert_uint_eq(picked, SIZE_MAX);
    /* Keys of no meaning here (a tree action, a letter) leave it open where it was. */
    open_picker(&a, 5, 2);
    ui_type(&a, "cxz");
    ck_assert_int_eq(picks, 0);
    ck_assert_ptr_nonnull(a.dialog);
    ck_assert_uint_eq(take(&a), 2);
    /* A list of one: no move goes beyond it. */
    open_picker(&a, 1, 0);
    ui_char(&a, 'G');
    ui_char(&a, 'j');
    ck_assert_uint_eq(take(&a), 0);
    ui_app_free(&a);
}
END_TEST

START_TEST(choice_takes_letters_not_moves)
{
    st_app a;
    ui_app(&a, ui_host(domains));
    const st_choice items[] = {{'p', "Pivot"}, {'k', "Keep"}, {'l', "Leave"}};
    struct {
        int key;
        size_t want;
    } cases[] = {{'k', 1}, {'p', 0}, {'\n', 2}, {27, 2}, {'l', 2}};
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        st_app_push_dialog(&a, st_choice_new("Ready", NULL, items, 3, 2, on_pick, NULL, NULL));
        picks = 0;
        /* Moving keys and others do nothing: only a letter (or Enter, Esc) answers. */
        ui_type(&a, "jgG");
        ui_code(&a, KEY_UP);
        ck_assert_int_eq(picks, 0);
        ui_char(&a, cases[i].key);
        ck_assert_int_eq(picks, 1);
        ck_assert_uint_eq(picked, cases[i].want);
        ck_assert_ptr_null(a.dialog);
    }
    ui_app_free(&a);
}
END_TEST

/* ---- `?` over a dialog ---- */

START_TEST(help_shows_the_dialogs_keys)
{
    st_app a;
    ui_app(&a, ui_host(domains));
    open_picker(&a, 3, 0);
    ui_char(&a, '?');
    ck_assert_int_eq(a.dialog->ops->keys, ST_CTX_HELP);
    ck_assert(ui_shows(&a, "take the item"));
    ck_assert(ui_shows(&a, "PgDn ^F"));
    ck_assert(ui_shows(&a, "refresh now"));
    /* Not the tree's keys: this is a list's help. */
    ck_assert(!ui_shows(&a, "expand or collapse"));
    ui_char(&a, 'q');
    ck_assert_int_eq(a.dialog->ops->keys, ST_CTX_LIST);
    ck_assert_int_eq(picks, 0);
    st_app_pop_dialog(&a);
    /* On the tree, its own keys. */
    ui_char(&a, '?');
    ck_assert(ui_shows(&a, "expand or collapse"));
    ck_assert(!ui_shows(&a, "take the item"));
    st_app_pop_dialog(&a);
    /* In a line being typed, ? is text; F1 shows the keys. */
    st_app_push_dialog(&a, st_input_new("Name", "Name:", "", NULL, NULL, NULL));
    ui_char(&a, '?');
    ck_assert_int_eq(a.dialog->ops->keys, ST_CTX_INPUT);
    ck_assert(ui_shows(&a, "?"));
    ui_code(&a, KEY_F(1));
    ck_assert_int_eq(a.dialog->ops->keys, ST_CTX_HELP);
    ck_assert(ui_shows(&a, "clear the line"));
    ck_assert(ui_shows(&a, "F1"));
    ui_app_free(&a);
}
END_TEST

/* ---- the typed confirmation ---- */

/* Each character of s as the plan screen gets it: its request, or the letter itself. */
static st_confirm_result confirm_type(st_app *a, st_confirm *c, bool refused, const char *s)
{
    st_confirm_result r = ST_CONFIRM_OTHER;
    for (; *s; s++) {
        int k = (unsigned char)*s;
        r = st_confirm_key(a, c, refused, st_key_lookup(ST_CTX_PLAN, k, false), k);
    }
    return r;
}

START_TEST(only_yes_confirms)
{
    st_app a;
    ui_app(&a, ui_host(domains));
    struct {
        const char *typed;
        bool yes;
    } cases[] = {
        {"yes\n", true},    {"ye\n", false},      {"yess\n", false},   {"YES\n", false},
        {"y\n", false},     {"\n", false},        {"yesyes\n", false}, {"no\n", false},
        {"yex\bs\n", true}, {"yex\x7fs\n", true}, {"yes1\n", true},    {"jyes\n", false},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        st_confirm c = {0};
        st_confirm_result r = confirm_type(&a, &c, false, cases[i].typed);
        ck_assert_msg((r == ST_CONFIRM_YES) == cases[i].yes, "case %zu", i);
        if (!cases[i].yes) {
            /* Enter without the whole word says so and starts the word over. */
            ck_assert_int_eq(r, ST_CONFIRM_HANDLED);
            ck_assert_str_eq(c.typed, "");
            ck_assert_str_eq(a.last_error, "type yes (the whole word) to start");
        }
    }
    ui_app_free(&a);
}
END_TEST

START_TEST(confirm_other_input)
{
    st_app a;
    ui_app(&a, ui_host(domains));
    st_confirm c = {0};
    /* Letters go to the word, even those that move elsewhere; at most five are kept. */
    ck_assert_int_eq(confirm_type(&a, &c, false, "jkgqx"), ST_CONFIRM_HANDLED);
    ck_assert_str_eq(c.typed, "jkgqx");
    confirm_type(&a, &c, false, "y");
    ck_assert_str_eq(c.typed, "jkgqx");
    /* Digits and Esc are the caller's (an option; closing). */
    ck_assert_int_eq(st_key_lookup(ST_CTX_PLAN, '2', false), ST_KEY_OPTION);
    ck_assert_int_eq(confirm_type(&a, &c, false, "2"), ST_CONFIRM_OTHER);
    ck_assert_int_eq(confirm_type(&a, &c, false, "\x1b"), ST_CONFIRM_OTHER);
    ck_assert_str_eq(c.typed, "jkgqx");
    /* A refused plan takes no typing: Enter is the caller's (it closes), nothing is typed. */
    st_confirm r = {0};
    ck_assert_int_eq(confirm_type(&a, &r, true, "yes"), ST_CONFIRM_OTHER);
    ck_assert_str_eq(r.typed, "");
    ck_assert_int_eq(confirm_type(&a, &r, true, "\n"), ST_CONFIRM_OTHER);
    /* A plan made again with other text clears what was typed for the old one. */
    st_confirm p = {0};
    st_textbuf tb = {0};
    st_tb_add(&tb, 0, 0, "one plan");
    st_confirm_plan(&p, &tb);
    confirm_type(&a, &p, false, "yes");
    st_confirm_plan(&p, &tb);
    ck_assert_str_eq(p.typed, "yes");
    st_tb_add(&tb, 0, 0, "and a line more");
    st_confirm_plan(&p, &tb);
    ck_assert_str_eq(p.typed, "");
    st_tb_clear(&tb);
    ui_app_free(&a);
}
END_TEST

START_TEST(confirm_scrolls_with_the_moving_keys)
{
    st_app a;
    ui_app(&a, ui_host(domains));
    st_confirm c = {.lines = 50, .view = 10};
    struct {
        int key;
        bool code;
        int want;
    } steps[] = {
        {KEY_DOWN, true, 1}, {KEY_NPAGE, true, 10},  {CTRL('f'), false, 19},
        {KEY_END, true, 40}, {KEY_DOWN, true, 40},   {KEY_NPAGE, true, 40},
        {KEY_UP, true, 39},  {CTRL('b'), false, 30}, {KEY_PPAGE, true, 21},
        {KEY_HOME, true, 0}, {KEY_UP, true, 0},
    };
    for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
        st_keyreq req = st_key_lookup(ST_CTX_PLAN, steps[i].key, steps[i].code);
        ck_assert_int_eq(st_confirm_key(&a, &c, i % 2, req, steps[i].key), ST_CONFIRM_HANDLED);
        ck_assert_msg(c.scroll == steps[i].want, "step %zu: %d, not %d", i, c.scroll,
                      steps[i].want);
    }
    /* j, k, g and G are letters of the word there, not scrolling. */
    confirm_type(&a, &c, false, "G");
    ck_assert_int_eq(c.scroll, 0);
    ui_app_free(&a);
}
END_TEST

/* ---- the snapshot form ---- */

START_TEST(form_moves_over_its_fields)
{
    st_app a;
    ui_app(&a, ui_host(domains));
    /* db has no snapshot: its default is an external disk-only one. */
    size_t dom = ui_find(&a, "db");
    ck_assert_uint_ne(dom, SIZE_MAX);
    st_snap_create_open(&a, &a.tree.rows[dom]);
    ck_assert_int_eq(a.dialog->ops->keys, ST_CTX_FORM);
    /* Shut off: no memory snapshot, and a line below the kind that says so (not focusable). */
    ck_assert(ui_shows(&a, "not offered"));
    /* g, Tab, k: back on the name, where Enter edits it in a line to type, prefilled. */
    ui_type(&a, "G");
    ui_char(&a, 'g');
    ui_char(&a, '\t');
    ui_char(&a, 'k');
    ui_char(&a, '\n');
    ck_assert_int_eq(a.dialog->ops->keys, ST_CTX_INPUT);
    ui_char(&a, CTRL('u'));
    ui_type(&a, "before-upgrade\n");
    ck_assert_int_eq(a.dialog->ops->keys, ST_CTX_FORM);
    ck_assert(ui_shows(&a, "before-upgrade"));
    /* Down from the kind steps over that line onto the disk, whose Enter edits its overlay. */
    ui_type(&a, "jjj\n");
    ck_assert_int_eq(a.dialog->ops->keys, ST_CTX_INPUT);
    ck_assert(ui_shows(&a, "Overlay file"));
    ui_char(&a, 27);
    /* And up from the disk, onto the kind again: Space changes it. */
    ck_assert(!ui_shows(&a, "internal (disks and memory"));
    ui_char(&a, 'k');
    ui_char(&a, ' ');
    ck_assert(ui_shows(&a, "internal (disks and memory"));
    /* End, then Enter: the plan screen, which the form gives way to. */
    ui_code(&a, KEY_END);
    ui_char(&a, '\n');
    ck_assert_int_eq(a.dialog->ops->keys, ST_CTX_PLAN);
    ck_assert_ptr_null(a.dialog->below);
    ui_char(&a, 27);
    ck_assert_ptr_null(a.dialog);
    ui_app_free(&a);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("dialogs");
    TCase *tc = tcase_create("keys");
    tcase_add_test(tc, picker_moves_like_the_tree);
    tcase_add_test(tc, picker_cancels_and_ignores);
    tcase_add_test(tc, choice_takes_letters_not_moves);
    tcase_add_test(tc, help_shows_the_dialogs_keys);
    tcase_add_test(tc, only_yes_confirms);
    tcase_add_test(tc, confirm_other_input);
    tcase_add_test(tc, confirm_scrolls_with_the_moving_keys);
    tcase_add_test(tc, form_moves_over_its_fields);
    suite_add_tcase(s, tc);
    return st_run_suite(s);
}
