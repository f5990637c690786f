/*
 * Figure 5 of tests/bench: the cost of one redraw and of one keypress with a tree of N rows,
 * measured on the real drawing and key code (ui/view/draw.c, ui/view/tree.c, ui/tui.c's key path) linked
 * with a made-up model, on a real curses screen whose output goes to /dev/null: curses still
 * computes every cell and the escape sequences of what changed; only the terminal's own work
 * (outside this process anyway) is left out.
 *
 *   bench_ui [--nodes N] [--cols C] [--rows R] [--iter K] [--op NAME]
 *
 * Without --op, every operation runs K times and the median, 90th percentile and maximum are
 * printed in microseconds (key=value lines). With --op, only that operation runs, K times, each
 * inside bench_measured(): run under
 *   valgrind --tool=callgrind --toggle-collect=bench_measured bench_ui --op down --iter 20
 * and divide the instructions by K for a figure that a noisy machine does not disturb.
 *
 * Operations: redraw (st_draw with nothing changed), down (the Down key and the redraw that
 * follows), toggle (Space on a domain: collapse or expand, which splices that domain's rows
 * in or out, and the redraw), end (End key), search (one more letter typed into the incremental
 * search), refresh (a new model of the host arrives, as every 2 s: shared-layer marks, rows
 * rebuilt, redraw).
 */
#include "config.h"

#include <curses.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/util.h"
#include "tui.h"
#include "view/app.h"

static const st_glyphs glyphs = {
    .vert = "│  ",
    .tee = "├─ ",
    .corner = "└─ ",
    .blank = "   ",
    .expanded = "▾ ",
    .collapsed = "▸ ",
    .leaf = "  ",
    .here = "◀",
    .current = "◀",
    .bar_full = "█",
    .bar_empty = "░",
    .ellipsis = "…",
    .dot = "•",
    .hline = "─",
    .vline = "│",
    .top_left = "┌",
    .top_right = "┐",
    .bottom_left = "└",
    .bottom_right = "┘",
    .bar_color = " ",
};

enum { DISKS = 2, DEPTH = 10, SNAP_DOMS = 20, SNAPS = 20, GOLDEN = 4 };

/* Rows one domain adds to the tree when everything is expanded. */
static size_t domain_rows(size_t i)
{
    size_t n = 1 + DISKS * (1 + DEPTH);
    return i < SNAP_DOMS ? n + 1 + SNAPS : n;
}

static st_host *make_host(size_t nodes)
{
    st_host *h = st_host_new("qemu:///system");
    h->name = xstrdup("qemu:///system");
    h->libvirt_version = xstrdup("9.0.0");
    h->hv_type = xstrdup("QEMU");
    h->local = true;
    h->reachable = true;
    size_t ndom = 0, rows = 1;
    while (rows < nodes)
        rows += domain_rows(ndom++);
    h->n_doms = ndom;
    h->doms = xcalloc(ndom, sizeof(st_domain));
    for (size_t i = 0; i < ndom; i++) {
        st_domain *d = &h->doms[i];
        d->name = xasprintf("dom-%05zu", i);
        snprintf(d->uuid, sizeof(d->uuid), "00000000-0000-4000-8000-%012x", (unsigned)i);
        d->state = i % 8 == 0 ? ST_DOM_RUNNING : ST_DOM_SHUTOFF;
        d->id = d->state == ST_DOM_RUNNING ? (int)i + 1 : -1;
        d->persistent = true;
        d->n_disks = DISKS;
        d->disks = xcalloc(DISKS, sizeof(st_disk));
        for (size_t k = 0; k < DISKS; k++) {
            st_disk *disk = &d->disks[k];
            disk->target = xasprintf("vd%c", (char)('a' + k));
            disk->bus = xstrdup("virtio");
            disk->device = xstrdup("disk");
            disk->type = xstrdup("file");
            disk->format = xstrdup("qcow2");
            disk->n_chain = DEPTH;
            disk->chain = xcalloc(DEPTH, sizeof(st_layer));
            for (size_t l = 0; l < DEPTH; l++) {
                st_layer *ly = &disk->chain[l];
                /* Disk vda's base is one of a few golden images, shared by many domains. */
                if (k == 0 && l == DEPTH - 1)
                    ly->path = xasprintf("/var/lib/libvirt/images/golden/g%zu.qcow2", i % GOLDEN);
                else
                    ly->path = xasprintf("/var/lib/libvirt/images/%s-%s-%zu.qcow2", d->name,
                                         disk->target, DEPTH - 1 - l);
                ly->format = xstrdup("qcow2");
                ly->virtual_size = (uint64_t)20 << 30;
                ly->allocation = (uint64_t)(l + 1) << 24;
                ly->backing_index = d->state == ST_DOM_RUNNING ? (int)l : -1;
            }
            disk->source = xstrdup(disk->chain[0].path);
        }
        if (i < SNAP_DOMS) {
            d->n_snaps = SNAPS;
            d->snaps = xcalloc(SNAPS, sizeof(st_snapshot));
            for (size_t s = 0; s < SNAPS; s++) {
                st_snapshot *sn = &d->snaps[s];
                sn->name = xasprintf("snap-%02zu", s + 1);
                /* A line of half, then a branch off the middle one (as the lab makes them). */
                size_t parent = s == SNAPS / 2 ? SNAPS / 4 : s;
                sn->parent = s ? xasprintf("snap-%02zu", parent) : NULL;
                sn->description = xasprintf("snapshot %zu of %s", s + 1, d->name);
                sn->state = xstrdup("shutoff");
                sn->creation_time = 1700000000 + (long long)s * 3600;
                sn->current = s + 1 == SNAPS;
            }
        }
    }
    return h;
}

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

typedef struct bench {
    st_app a;
    size_t nodes;
    st_host **spare; /* fresh models for the refresh operation */
    size_t n_spare, next_spare;
    const char *search_word;
    size_t search_pos;
    bool toggle_down;
} bench;

static void app_setup(bench *b)
{
    st_app *a = &b->a;
    static st_options opt;
    memset(a, 0, sizeof(*a));
    a->opt = &opt;
    a->utf8 = true;
    a->g = &glyphs;
    a->color = true;
    a->show_jobs = true;
    a->n_hosts = 1;
    a->hosts = xcalloc(1, sizeof(st_host *));
    a->labels = xcalloc(1, sizeof(char *));
    a->hstate = xcalloc(1, sizeof(st_host_state));
    a->hsince = xcalloc(1, sizeof(double));
    a->labels[0] = xstrdup("qemu:///system");
    a->hstate[0] = ST_HOST_CONNECTED;
    st_tree_init(&a->tree);
    st_tree_init(&a->search_all);
    a->search_stale = true;
    a->hosts[0] = make_host(b->nodes);
    st_model_mark_shared(a->hosts, 1);
    st_app_rebuild(a);
    /* The same colours as the program (tui.c's init_colors). */
    start_color();
    use_default_colors();
    for (short p = PAIR_TITLE; p <= PAIR_DIM; p++)
        init_pair(p, (short)(p % 7 + 1), -1);
}

/* Moves the selection to the middle of the tree, onto a domain row (where Space toggles). */
static void select_middle_domain(bench *b)
{
    st_app *a = &b->a;
    for (size_t i = a->tree.n / 2; i < a->tree.n; i++)
        if (a->tree.rows[i].kind == ROW_DOMAIN) {
            st_app_select_key(a, a->tree.rows[i].key);
            return;
        }
}

/* One operation; never inlined, so that callgrind can count exactly this. */
__attribute__((noinline)) void bench_measured(bench *b, const char *op);
__attribute__((noinline)) void bench_measured(bench *b, const char *op)
{
    st_app *a = &b->a;
    if (!strcmp(op, "redraw")) {
        st_draw(a);
    } else if (!strcmp(op, "down")) {
        st_tui_key(a, KEY_DOWN, true);
        st_draw(a);
    } else if (!strcmp(op, "toggle")) {
        st_tui_key(a, ' ', false);
        st_draw(a);
    } else if (!strcmp(op, "end")) {
        st_tui_key(a, KEY_END, true);
        st_draw(a);
    } else if (!strcmp(op, "search")) {
        st_tui_key(a, (unsigned char)b->search_word[b->search_pos++], false);
        st_draw(a);
    } else if (!strcmp(op, "refresh")) {
        /* What the loop does with a ST_MSG_HOST: take the model, rebuild the rows, redraw. The
         * model comes marked for sharing, as the worker sends it. */
        st_tui_host_model(a, 0, b->spare[b->next_spare]);
        b->spare[b->next_spare++] = NULL;
        st_app_rebuild(a);
        st_draw(a);
    }
}

/* Puts the app in the state an operation expects before each run (not measured). */
static void prepare(bench *b, const char *op, size_t i)
{
    st_app *a = &b->a;
    if (!strcmp(op, "down") && (i == 0 || a->sel + 1 >= a->tree.n))
        select_middle_domain(b);
    else if (!strcmp(op, "toggle") && i == 0)
        select_middle_domain(b);
    else if (!strcmp(op, "end"))
        st_app_select_key(a, a->tree.rows[a->tree.n / 3].key);
    else if (!strcmp(op, "search")) {
        /* Each run types one letter of a name near the end of the tree; start over when done. */
        if (i == 0 || !b->search_word[b->search_pos]) {
            if (a->searching)
                st_tui_key(a, 27, false);
            st_app_select_key(a, a->tree.rows[0].key);
            st_tui_key(a, '/', false);
            b->search_pos = 0;
        }
    } else if (!strcmp(op, "refresh") && b->next_spare == b->n_spare) {
        for (size_t k = 0; k < b->n_spare; k++)
            if (!b->spare[k]) {
                b->spare[k] = make_host(b->nodes);
                st_model_mark_shared(&b->spare[k], 1);
            }
        b->next_spare = 0;
    }
}

static int cmp_i64(const void *x, const void *y)
{
    int64_t a = *(const int64_t *)x, c = *(const int64_t *)y;
    return a < c ? -1 : a > c;
}

static void run(bench *b, const char *op, size_t iter, bool report)
{
    int64_t *t = xcalloc(iter, sizeof(int64_t));
    for (size_t i = 0; i < iter; i++) {
        prepare(b, op, i);
        int64_t t0 = now_ns();
        bench_measured(b, op);
        t[i] = now_ns() - t0;
    }
    qsort(t, iter, sizeof(int64_t), cmp_i64);
    if (report)
        printf("%s_us_median=%.1f\n%s_us_p90=%.1f\n%s_us_max=%.1f\n", op, t[iter / 2] / 1e3, op,
               t[iter * 9 / 10] / 1e3, op, t[iter - 1] / 1e3);
    free(t);
}

int main(int argc, char **argv)
{
    setlocale(LC_ALL, "C.UTF-8");
    bench b;
    memset(&b, 0, sizeof(b));
    b.nodes = 10000;
    int cols = 160, rows = 50;
    size_t iter = 300;
    const char *only = NULL;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--nodes"))
            b.nodes = strtoul(argv[i + 1], NULL, 10);
        else if (!strcmp(argv[i], "--cols"))
            cols = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--rows"))
            rows = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--iter"))
            iter = strtoul(argv[i + 1], NULL, 10);
        else if (!strcmp(argv[i], "--op"))
            only = argv[i + 1];
    }
    char lines[16], columns[16];
    snprintf(lines, sizeof(lines), "%d", rows);
    snprintf(columns, sizeof(columns), "%d", cols);
    setenv("LINES", lines, 1);
    setenv("COLUMNS", columns, 1);
    FILE *out = fopen("/dev/null", "w"), *in = fopen("/dev/null", "r");
    if (!out || !in || !newterm("xterm-256color", out, in)) {
        fprintf(stderr, "bench_ui: cannot start curses\n");
        return 1;
    }
    b.search_word = "dom-00";
    app_setup(&b);
    b.n_spare = 8;
    b.spare = xcalloc(b.n_spare, sizeof(st_host *));
    b.next_spare = b.n_spare;
    st_draw(&b.a);
    const char *ops[] = {"redraw", "down", "toggle", "end", "search", "refresh"};
    size_t rows_built = b.a.tree.n;
    for (size_t k = 0; k < sizeof(ops) / sizeof(ops[0]); k++) {
        if (only && strcmp(only, ops[k]) != 0)
            continue;
        size_t n = !strcmp(ops[k], "refresh") ? (iter < 40 ? iter : 40) : iter;
        if (!only)
            run(&b, ops[k], n / 10 + 1, false); /* warm caches */
        run(&b, ops[k], n, !only);
    }
    endwin();
    if (!only)
        printf("rows=%zu\ncols=%d\nlines=%d\n", rows_built, cols, rows);
    return 0;
}
