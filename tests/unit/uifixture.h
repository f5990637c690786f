/*
 * The interface's state without a terminal, for unit tests of its logic: a made-up host model,
 * an st_app as the program sets it up, and a curses screen that writes to /dev/null (curses
 * still keeps every cell, so that a test can read what a dialog drew). Keys go through the same
 * path as the program's (st_tui_key): key table, dialogs, search.
 */
#ifndef ST_TESTS_UIFIXTURE_H
#define ST_TESTS_UIFIXTURE_H

#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "tui.h"
#include "view/app.h"

/* ncurses keeps its screen's buffers until exit: not this test's leaks. */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
    return "leak:libncursesw\nleak:libtinfo\nleak:newterm\nleak:_nc_\n";
}

/* A chain of `depth` layers on disk vda of a domain. */
static inline void ui_disk(st_domain *d, size_t depth)
{
    d->n_disks = 1;
    d->disks = xcalloc(1, sizeof(st_disk));
    st_disk *k = &d->disks[0];
    k->target = xstrdup("vda");
    k->device = xstrdup("disk");
    k->type = xstrdup("file");
    k->format = xstrdup("qcow2");
    k->n_chain = depth;
    k->chain = xcalloc(depth, sizeof(st_layer));
    for (size_t l = 0; l < depth; l++) {
        k->chain[l].path = xasprintf("/images/%s-%zu.qcow2", d->name, depth - 1 - l);
        k->chain[l].format = xstrdup("qcow2");
        k->chain[l].backing_index = -1;
    }
    k->source = xstrdup(k->chain[0].path);
}

/* A line of n snapshots, the last one current. */
static inline void ui_snaps(st_domain *d, size_t n)
{
    d->n_snaps = n;
    d->snaps = xcalloc(n ? n : 1, sizeof(st_snapshot));
    for (size_t s = 0; s < n; s++) {
        d->snaps[s].name = xasprintf("snap-%zu", s + 1);
        d->snaps[s].parent = s ? xasprintf("snap-%zu", s) : NULL;
        d->snaps[s].state = xstrdup("shutoff");
        d->snaps[s].current = s + 1 == n;
    }
}

/* Domains named by `names` (NULL-terminated), each with a chain of 3 and, every other one,
 * 2 snapshots. */
static inline st_host *ui_host(const char *const *names)
{
    st_host *h = st_host_new("test:///default");
    h->name = xstrdup("test:///default");
    h->local = true;
    h->reachable = true;
    while (names[h->n_doms])
        h->n_doms++;
    h->doms = xcalloc(h->n_doms, sizeof(st_domain));
    for (size_t i = 0; i < h->n_doms; i++) {
        st_domain *d = &h->doms[i];
        d->name = xstrdup(names[i]);
        snprintf(d->uuid, sizeof(d->uuid), "00000000-0000-4000-8000-%012x", (unsigned)i);
        d->state = ST_DOM_SHUTOFF;
        d->id = -1;
        d->persistent = true;
        ui_disk(d, 3);
        ui_snaps(d, i % 2 ? 0 : 2);
    }
    return h;
}

/* The curses screen, once per test program: 80x24 on /dev/null. */
static inline void ui_screen(void)
{
    static bool started;
    if (started)
        return;
    setenv("LINES", "24", 1);
    setenv("COLUMNS", "80", 1);
    FILE *out = fopen("/dev/null", "w"), *in = fopen("/dev/null", "r");
    if (!out || !in || !newterm("xterm", out, in)) {
        fprintf(stderr, "cannot start curses on /dev/null\n");
        exit(1);
    }
    started = true;
}

static inline void ui_app(st_app *a, st_host *h)
{
    static st_options opt;
    ui_screen();
    memset(a, 0, sizeof(*a));
    a->opt = &opt;
    a->g = &st_glyphs_ascii;
    a->lines = 24;
    a->cols = 80;
    a->n_hosts = 1;
    a->hosts = xcalloc(1, sizeof(st_host *));
    a->labels = xcalloc(1, sizeof(char *));
    a->hstate = xcalloc(1, sizeof(st_host_state));
    a->hsince = xcalloc(1, sizeof(double));
    a->labels[0] = xstrdup("test:///default");
    a->hstate[0] = ST_HOST_CONNECTED;
    st_tree_init(&a->tree);
    st_tree_init(&a->search_all);
    a->search_stale = true;
    a->hosts[0] = h;
    st_app_rebuild(a);
    st_layout(a);
}

static inline void ui_app_free(st_app *a)
{
    while (a->dialog)
        st_app_pop_dialog(a);
    st_host_free(a->hosts[0]);
    free(a->hosts);
    free(a->labels[0]);
    free(a->labels);
    free(a->hstate);
    free(a->hsince);
    st_tree_free(&a->tree);
    st_tree_free(&a->search_all);
    free(a->sel_key);
    free(a->detail_for);
    free(a->status);
    free(a->last_error);
    free(a->search_origin);
    free(a->last_search);
    free(a->search_names);
    free(a->search_folded);
    free(a->search_hits);
    free(a->search_hits_for);
}

/* A character, or a curses key code (KEY_*), as the terminal sends it. */
static inline void ui_char(st_app *a, int ch)
{
    st_tui_key(a, ch, false);
}

static inline void ui_code(st_app *a, int code)
{
    st_tui_key(a, code, true);
}

static inline void ui_type(st_app *a, const char *s)
{
    for (; *s; s++)
        ui_char(a, (unsigned char)*s);
}

/* The selected row's name ("" when none). */
static inline const char *ui_selected(const st_app *a)
{
    const st_row *r = st_app_selected(a);
    const char *n = r ? st_row_name(r, a->hosts, (const char *const *)a->labels) : NULL;
    return n ? n : "";
}

/* The first row of a->tree named `name`, or SIZE_MAX. */
static inline size_t ui_find(const st_app *a, const char *name)
{
    for (size_t i = 0; i < a->tree.n; i++) {
        const char *n = st_row_name(&a->tree.rows[i], a->hosts, (const char *const *)a->labels);
        if (n && strcmp(n, name) == 0)
            return i;
    }
    return SIZE_MAX;
}

/* Whether the screen, as the top dialog drew it, shows `text` on some line. */
static inline bool ui_shows(st_app *a, const char *text)
{
    erase();
    if (a->dialog)
        a->dialog->ops->draw(a, a->dialog);
    for (int y = 0; y < a->lines; y++) {
        char line[512];
        if (mvinnstr(y, 0, line, a->cols) != ERR && strstr(line, text))
            return true;
    }
    return false;
}

#endif
