/*
 * Offline merges without a terminal: qemu-img's progress parsed as it arrives (figures cut
 * between reads), the figures a job line shows (percent of qemu-img's work, rate and ETA over
 * time, bounded by a rate limit), the job record the helper and the interface share, the
 * backing names a merge writes, and the locks that keep two merges of one image from both
 * running.
 */
#include "config.h"

#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "backend/offline.h"
#include "backend/offline_internal.h"
#include "backend/offline_state.h"
#include "backend/offline_verify.h"
#include "base/util.h"
#include "core/backing_name.h"
#include "core/cache.h"
#include "core/qcow2.h"
#include "tap.h"

#define MiB 1048576ull

static bool feed(st_qemu_img_parser *p, const char *s, double *pct)
{
    return st_qemu_img_feed(p, s, strlen(s), pct);
}

START_TEST(progress_figures_in_pieces)
{
    st_qemu_img_parser p = {.n = 0};
    double pct = -1;
    ck_assert(feed(&p, "    (0.00/100%)\r    (12.5", &pct));
    ck_assert(pct == 0.0);
    /* The rest of the cut figure comes with the next read. */
    ck_assert(feed(&p, "0/100%)\r", &pct));
    ck_assert(fabs(pct - 12.5) < 1e-9);
    ck_assert(!feed(&p, "Image committed.\n", &pct));
    ck_assert(fabs(pct - 12.5) < 1e-9);
    ck_assert(feed(&p, "(99.99/100%)(100.00/100%)", &pct));
    ck_assert(pct == 100.0);
    /* Not figures: other parentheses, out of range. */
    ck_assert(!feed(&p, "(see above) (120.00/100%)", &pct));
}
END_TEST

START_TEST(figures_from_percent)
{
    /* 40% of 100 MiB of work. */
    ck_assert_uint_eq(st_offline_progress(40, 100 * MiB, 0, 4.0, false), 40 * MiB);
    /* Done: everything. */
    ck_assert_uint_eq(st_offline_progress(97, 100 * MiB, 0, 9.0, true), 100 * MiB);
}
END_TEST

START_TEST(rate_limit_bounds_early_figures)
{
    /* qemu-img says 100% after 3 s of a commit limited to 1 MiB/s: at most 3 MiB went. */
    ck_assert_uint_eq(st_offline_progress(100, 8 * MiB + MiB / 2, 1, 3.0, false), 3 * MiB);
    /* Below the limit the percent is what counts. */
    ck_assert_uint_eq(st_offline_progress(10, 8 * MiB, 100, 3.0, false), 8 * MiB / 10);
}
END_TEST

START_TEST(record_round_trip)
{
    char dir[] = "/tmp/st-offline-XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    char *path = xasprintf("%s/r.job", dir);
    st_offline_state s;
    memset(&s, 0, sizeof(s));
    s.uri = xstrdup("qemu+unix:///system?socket=/x/y");
    s.domain = xstrdup("my vm");
    s.uuid = xstrdup("5b0a8f4c-3c8e-4b36-9d0a-0c6a6f4f2d11");
    s.disk = xstrdup("vda");
    s.n_chain = 3;
    s.chain = xcalloc(3, sizeof(st_layer));
    const char *paths[] = {"/i/top\nnew=line.qcow2", "/i/mid\\.qcow2", "/i/base=b.qcow2"};
    for (int i = 0; i < 3; i++) {
        s.chain[i].path = xstrdup(paths[i]);
        s.chain[i].format = xstrdup("qcow2");
        s.chain[i].allocation = (uint64_t)(i + 1) * MiB;
    }
    s.top = 1;
    s.base = 2;
    s.flags = 3;
    s.bandwidth = 7;
    s.unit = 2 * MiB;
    s.n_remove = 1;
    s.remove = xcalloc(1, sizeof(char *));
    s.remove[0] = xstrdup("/i/mid\\.qcow2");
    s.phase = ST_PHASE_FAILED;
    s.pct = 42.5;
    s.started = 1000.25;
    s.error = xstrdup("qemu-img: it\nbroke");
    s.step = xstrdup(ST_STEP_REBASING);
    char *err = NULL;
    ck_assert_int_eq(st_offline_state_write(path, &s, &err), 0);
    st_offline_state r;
    ck_assert_int_eq(st_offline_state_read(path, &r, &err), 0);
    ck_assert_str_eq(r.uri, s.uri);
    ck_assert_str_eq(r.domain, "my vm");
    ck_assert_uint_eq(r.n_chain, 3);
    for (int i = 0; i < 3; i++) {
        ck_assert_str_eq(r.chain[i].path, paths[i]);
        ck_assert_uint_eq(r.chain[i].allocation, s.chain[i].allocation);
    }
    ck_assert(!r.pull && r.top == 1 && r.base == 2 && r.flags == 3 && r.bandwidth == 7);
    ck_assert_uint_eq(r.unit, 2 * MiB);
    ck_assert_uint_eq(r.n_remove, 1);
    ck_assert_str_eq(r.remove[0], "/i/mid\\.qcow2");
    ck_assert_int_eq(r.phase, ST_PHASE_FAILED);
    ck_assert(fabs(r.pct - 42.5) < 1e-9 && fabs(r.started - 1000.25) < 1e-3);
    ck_assert_str_eq(r.error, "qemu-img: it\nbroke");
    ck_assert_str_eq(r.step, ST_STEP_REBASING);
    /* Indices that do not fit the chain make the record unusable, not dangerous. */
    r.base = 5;
    ck_assert_int_eq(st_offline_state_write(path, &r, &err), 0);
    st_offline_state bad;
    ck_assert_int_eq(st_offline_state_read(path, &bad, &err), -1);
    ck_assert_ptr_nonnull(err);
    free(err);
    st_offline_state_clear(&r);
    st_offline_state_clear(&s);
    unlink(path);
    rmdir(dir);
    free(path);
}
END_TEST

START_TEST(helper_liveness)
{
    st_offline_state s;
    memset(&s, 0, sizeof(s));
    s.pid = getpid();
    s.pid_start = st_proc_start(s.pid);
    ck_assert(s.pid_start > 0);
    ck_assert(st_offline_helper_alive(&s));
    s.pid_start++; /* another process that got the same pid later */
    ck_assert(!st_offline_helper_alive(&s));
    s.pid = 0;
    ck_assert(!st_offline_helper_alive(&s));
}
END_TEST

static void name_is(const char *image, const char *backing, bool relative, const char *want)
{
    char *got = st_backing_name_for(image, backing, relative);
    ck_assert_msg(strcmp(got, want) == 0, "%s for %s from %s: %s", want, backing, image, got);
    free(got);
}

/* The shortest way from the image's own folder, ".." only where needed, never a detour. */
START_TEST(backing_name_shortest)
{
    name_is("/img/sub/top.qcow2", "/img/sub/deeper/../../base.qcow2", true, "../base.qcow2");
    name_is("/img/sub/top.qcow2", "/img/sub/deeper/../../base.qcow2", false, "/img/base.qcow2");
    name_is("/img/b/top.qcow2", "/img/b/../a/../base.qcow2", true, "../base.qcow2");
    name_is("/img/sub/top.qcow2", "/img/sub/deeper/../../d/e/base.qcow2", true,
            "../d/e/base.qcow2");
    name_is("/img/sub/top.qcow2", "/img/sub/./deeper/base.qcow2", true, "deeper/base.qcow2");
    name_is("/img/top.qcow2", "/img/base.qcow2", true, "base.qcow2");
    name_is("/img/su/top.qcow2", "/img/sub/base.qcow2", true, "../sub/base.qcow2");
    name_is("/top.qcow2", "/a/b.qcow2", true, "a/b.qcow2");
    name_is("/a/b/c/top.qcow2", "/base.qcow2", true, "../../../base.qcow2");
    /* Names that are not local paths are not ours to rewrite. */
    name_is("/img/top.qcow2", "nbd://host/export", true, "nbd://host/export");
    name_is("img/top.qcow2", "/img/base.qcow2", true, "/img/base.qcow2");
}
END_TEST

static void detour_is(const char *image, const char *name, const char *want)
{
    char *got = st_backing_name_detour(image, name);
    ck_assert_msg(want ? got && strcmp(got, want) == 0 : !got, "%s in %s: %s, not %s", name, image,
                  got ? got : "(none)", want ? want : "(none)");
    free(got);
}

START_TEST(backing_name_detours)
{
    detour_is("/img/sub/top.qcow2", "deeper/../../base.qcow2", "/img/sub/deeper");
    detour_is("/img/sub/top.qcow2", "/img/sub/deeper/../../base.qcow2", "/img/sub/deeper");
    detour_is("/img/b/top.qcow2", "../a/../base.qcow2", "/img/a");
    detour_is("/img/sub/top.qcow2", "../base.qcow2", NULL);
    detour_is("/img/sub/top.qcow2", "../../x/y/base.qcow2", NULL);
    detour_is("/img/sub/top.qcow2", "./deeper/base.qcow2", NULL);
    detour_is("/img/sub/top.qcow2", "/img/base.qcow2", NULL);
    detour_is("/top.qcow2", "a/../b.qcow2", "/a");
}
END_TEST

static void mkdirs(const char *root, const char *sub)
{
    char *p = xasprintf("%s/%s", root, sub);
    for (char *s = p + strlen(root) + 1;; s++) {
        if (*s != '/' && *s)
            continue;
        char c = *s;
        *s = '\0';
        ck_assert(mkdir(p, 0755) == 0 || access(p, F_OK) == 0);
        if (!c)
            break;
        *s = c;
    }
    free(p);
}

static void touch(const char *root, const char *name)
{
    char *p = xasprintf("%s/%s", root, name);
    FILE *f = fopen(p, "w");
    ck_assert_ptr_nonnull(f);
    fclose(f);
    free(p);
}

/*
 * Folding ".." on the paths as written is wrong behind a symlinked folder: sub/deeper here is
 * a link to far/a/b, so sub/deeper/../../base.qcow2 is far/base.qcow2 for the kernel (and
 * qemu), not base.qcow2. The checked name reaches the file the chain was read through.
 */
START_TEST(backing_name_checked_against_the_file)
{
    char dir[] = "/tmp/st-names-XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    mkdirs(dir, "sub");
    mkdirs(dir, "far/a/b");
    touch(dir, "base.qcow2");
    touch(dir, "far/base.qcow2");
    touch(dir, "sub/top.qcow2");
    char *link = xasprintf("%s/sub/deeper", dir), *to = xasprintf("%s/far/a/b", dir);
    ck_assert_int_eq(symlink(to, link), 0);
    char *top = xasprintf("%s/sub/top.qcow2", dir);
    char *plain = xasprintf("%s/sub/../base.qcow2", dir);
    char *got = st_backing_name_checked(top, plain, true);
    ck_assert_str_eq(got, "../base.qcow2");
    free(got);
    got = st_backing_name_checked(top, plain, false);
    char *want = xasprintf("%s/base.qcow2", dir);
    ck_assert_str_eq(got, want);
    free(got);
    free(want);

    char *through = xasprintf("%s/sub/deeper/../../base.qcow2", dir);
    got = st_backing_name_checked(top, through, true);
    ck_assert_str_eq(got, "../far/base.qcow2");
    free(got);
    got = st_backing_name_checked(top, through, false);
    want = xasprintf("%s/far/base.qcow2", dir);
    ck_assert_str_eq(got, want);
    free(got);
    free(want);

    /* A file that is not there: nothing to check against, written as given. */
    char *gone = xasprintf("%s/gone.qcow2", dir);
    got = st_backing_name_checked(top, gone, true);
    ck_assert_str_eq(got, gone);
    free(got);
    char *cmd = xasprintf("rm -rf '%s'", dir);
    ck_assert_int_eq(system(cmd), 0);
    free(cmd);
    free(gone);
    free(through);
    free(plain);
    free(top);
    free(link);
    free(to);
}
END_TEST

static void outcome_is(int code, const char *said, const char *want)
{
    char *err = NULL;
    int rc = st_qemu_img_outcome(W_EXITCODE(code, 0), said, &err);
    ck_assert_int_eq(rc, want ? -1 : 0);
    if (want)
        ck_assert_str_eq(err, want);
    else
        ck_assert_ptr_null(err);
    free(err);
}

/* A run that exits 0 but said something on its error output did not cleanly do its work. */
START_TEST(qemu_img_outcomes)
{
    outcome_is(0, "", NULL);
    outcome_is(0, "qemu-img: warning: something went around\n",
               "qemu-img ended without an error but said: qemu-img: warning: something went "
               "around");
    outcome_is(1, "first\nqemu-img: Could not open 'x': No such file\n",
               "qemu-img: Could not open 'x': No such file");
    outcome_is(1, "", "qemu-img failed (status 1)");
}
END_TEST

/* Runs a shell command line built from fmt; the test fails unless it succeeds. */
static void sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void sh(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *cmd = xvasprintf(fmt, ap);
    va_end(ap);
    ck_assert_msg(system(cmd) == 0, "failed: %s", cmd);
    free(cmd);
}

/* A record for a merge of the chain at dir/top.qcow2, read from the headers as the helper does. */
static st_layer *record_of(st_offline_state *s, const char *dir, bool pull, size_t top, size_t base)
{
    memset(s, 0, sizeof(*s));
    char *path = xasprintf("%s/top.qcow2", dir);
    s->n_chain = st_chain_read_local(path, "qcow2", &s->chain);
    free(path);
    s->pull = pull;
    s->top = top;
    s->base = base;
    st_layer *before = xcalloc(s->n_chain, sizeof(st_layer));
    st_layers_copy(before, s->chain, s->n_chain);
    return before;
}

static void free_layers(st_layer *l, size_t n)
{
    for (size_t i = 0; i < n; i++)
        st_layer_clear(&l[i]);
    free(l);
}

/* base ← mid ← top in a new folder, each with a MiB of data of its own. */
static char *three_layers(void)
{
    char tmpl[] = "/tmp/st-verify-XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(tmpl));
    char *dir = xstrdup(tmpl);
    sh("cd %s && qemu-img create -q -f qcow2 base.qcow2 8M && "
       "qemu-img create -q -f qcow2 -b base.qcow2 -F qcow2 mid.qcow2 && "
       "qemu-img create -q -f qcow2 -b mid.qcow2 -F qcow2 top.qcow2 && "
       "qemu-io -c 'write -P 0x11 0 1M' base.qcow2 >/dev/null && "
       "qemu-io -c 'write -P 0x22 1M 1M' mid.qcow2 >/dev/null && "
       "qemu-io -c 'write -P 0x33 2M 1M' top.qcow2 >/dev/null",
       dir);
    return dir;
}

/*
 * qemu-img check before the merge: a layer cut short behind whole tables (its data clusters
 * gone) reads as zeros without a word, and the header checks cannot see it; check does.
 */
START_TEST(images_checked_before)
{
    char *dir = three_layers();
    st_offline_state s;
    st_layer *before = record_of(&s, dir, false, 1, 2);
    char *err = NULL;
    ck_assert_int_eq(st_offline_check_images(&s, &err), 0);
    ck_assert_ptr_null(err);
    size_t from, to;
    st_offline_involved(&s, &from, &to);
    ck_assert_uint_eq(from, 1);
    ck_assert_uint_eq(to, 3);

    /* mid's tables end at 256 KiB (header, refcounts, L1, L2); its data follows: cut there. */
    sh("truncate -s 300000 %s/mid.qcow2", dir);
    ck_assert_int_eq(st_offline_check_images(&s, &err), -1);
    char *want = xasprintf("qemu-img check found errors in %s/mid.qcow2 (ERROR: counting "
                           "reference for region exceeding the end of the file",
                           dir);
    ck_assert_msg(strncmp(err, want, strlen(want)) == 0, "%s", err);
    ck_assert_ptr_nonnull(strstr(err, "): nothing was merged"));
    free(want);
    free(err);

    /* A pull above mid reads only top: mid is not involved. */
    s.pull = true;
    s.base = 1;
    err = NULL;
    ck_assert_int_eq(st_offline_check_images(&s, &err), 0);
    free_layers(before, s.n_chain);
    st_offline_state_clear(&s);
    sh("rm -rf %s", dir);
    free(dir);
}
END_TEST

/* The chain after the merge, file by file, against the plan. */
START_TEST(chain_verified_after)
{
    char *dir = three_layers();
    st_offline_state s;
    st_layer *before = record_of(&s, dir, false, 1, 2);
    size_t keep[3];
    ck_assert_uint_eq(st_offline_kept(&s, keep), 2);
    ck_assert_uint_eq(keep[0], 0);
    ck_assert_uint_eq(keep[1], 2);
    char *err = NULL;

    /* qemu-img commit done, the rebase of top not: the chain is still top ← mid ← base. */
    ck_assert_int_eq(st_offline_verify_chain(&s, before, &err), -1);
    char *want = xasprintf("the chain after the merge is not the one planned: layer 1 is "
                           "%s/mid.qcow2, not %s/base.qcow2. Check it (qemu-img info "
                           "--backing-chain %s/top.qcow2) before using the domain",
                           dir, dir, dir);
    ck_assert_str_eq(err, want);
    free(want);
    free(err);
    err = NULL;

    /* Rebased by a name that spells the base's path differently: the same file, fine. */
    sh("cd %s && mkdir x && qemu-img rebase -u -F qcow2 -b x/../base.qcow2 top.qcow2", dir);
    ck_assert_int_eq(st_offline_verify_chain(&s, before, &err), 0);
    ck_assert_ptr_null(err);

    /* A pull down to the base keeps the active layer and the base. */
    s.pull = true;
    ck_assert_uint_eq(st_offline_kept(&s, keep), 2);
    ck_assert_uint_eq(keep[0], 0);
    ck_assert_uint_eq(keep[1], 2);
    /* A pull of the whole chain keeps the active layer alone, which still has a backing file. */
    s.base = s.n_chain;
    ck_assert_uint_eq(st_offline_kept(&s, keep), 1);
    ck_assert_int_eq(st_offline_verify_chain(&s, before, &err), -1);
    ck_assert_msg(strstr(err, "it goes on below"), "%s", err);
    free(err);
    err = NULL;

    /* A base cut short is no completed merge. */
    s.pull = false;
    s.base = 2;
    sh("truncate -s 70000 %s/base.qcow2", dir);
    ck_assert_int_eq(st_offline_verify_chain(&s, before, &err), -1);
    ck_assert_ptr_nonnull(strstr(err, "/base.qcow2 is broken (truncated: its"));
    free(err);
    free_layers(before, s.n_chain);
    st_offline_state_clear(&s);
    sh("rm -rf %s", dir);
    free(dir);
}
END_TEST

/* A chain of the files `names` in `dir` (created empty: locks only look at the inodes). */
static void chain_of(st_offline_state *s, const char *dir, const char *const *names, size_t n)
{
    memset(s, 0, sizeof(*s));
    s->n_chain = n;
    s->chain = xcalloc(n, sizeof(st_layer));
    for (size_t i = 0; i < n; i++) {
        s->chain[i].path = xasprintf("%s/%s", dir, names[i]);
        FILE *f = fopen(s->chain[i].path, "a");
        ck_assert_ptr_nonnull(f);
        fclose(f);
    }
}

/* The refusal for `image` held by `pid` since `started`, as the helper says it. */
static char *refusal(const char *image, long pid, time_t started)
{
    struct tm tm;
    char hm[16];
    localtime_r(&started, &tm);
    strftime(hm, sizeof(hm), "%H:%M", &tm);
    return xasprintf("%s is being merged by another virt-snaptree (pid %ld, started %s)", image,
                     pid, hm);
}

START_TEST(merge_locks)
{
    char dir[] = "/tmp/st-locks-XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    setenv("XDG_RUNTIME_DIR", dir, 1);
    const char *two[] = {"top.qcow2", "base.qcow2"};
    st_offline_state a, again;
    chain_of(&a, dir, two, 2);
    a.top = 0, a.base = 1; /* an active commit: both written */
    chain_of(&again, dir, two, 2);
    again.top = 0, again.base = 1;
    st_offline_locks la, lb;
    char *err = NULL;
    ck_assert_int_eq(st_offline_lock(&a, &la, &err), 0);
    time_t t0 = time(NULL);
    st_offline_lock_mark(&la, 4242, (double)t0);
    /* The same merge again: refused, naming the image written into and its helper. */
    ck_assert_int_eq(st_offline_lock(&again, &lb, &err), -1);
    char *want = refusal(a.chain[1].path, 4242, t0);
    ck_assert_str_eq(err, want);
    free(want);
    free(err);
    err = NULL;
    /* Another name of the same file is the same lock. */
    char *alias = xasprintf("%s/alias.qcow2", dir);
    ck_assert_int_eq(link(a.chain[1].path, alias), 0);
    free(again.chain[1].path);
    again.chain[1].path = alias;
    ck_assert_int_eq(st_offline_lock(&again, &lb, &err), -1);
    ck_assert_ptr_nonnull(strstr(err, alias));
    free(err);
    err = NULL;
    /* A lock goes with its holder. */
    st_offline_unlock(&la);
    ck_assert_int_eq(st_offline_lock(&again, &lb, &err), 0);
    st_offline_unlock(&lb);

    /* Two pulls that read one base both run; a commit into that base waits for them. */
    const char *p1n[] = {"p1.qcow2", "base.qcow2"}, *p2n[] = {"p2.qcow2", "base.qcow2"};
    st_offline_state p1, p2;
    chain_of(&p1, dir, p1n, 2);
    chain_of(&p2, dir, p2n, 2);
    p1.pull = p2.pull = true;
    p1.base = p2.base = 1;
    st_offline_locks l1, l2;
    ck_assert_int_eq(st_offline_lock(&p1, &l1, &err), 0);
    ck_assert_int_eq(st_offline_lock(&p2, &l2, &err), 0);
    st_offline_lock_mark(&l2, 77, (double)t0);
    ck_assert_int_eq(st_offline_lock(&a, &la, &err), -1);
    want = refusal(a.chain[1].path, 77, t0);
    ck_assert_str_eq(err, want);
    free(want);
    free(err);
    st_offline_unlock(&l1);
    st_offline_unlock(&l2);
    ck_assert_int_eq(st_offline_lock(&a, &la, &err), 0);
    st_offline_unlock(&la);

    st_offline_state *all[] = {&a, &again, &p1, &p2};
    for (size_t i = 0; i < 4; i++) {
        for (size_t k = 0; k < all[i]->n_chain; k++)
            unlink(all[i]->chain[k].path);
        st_offline_state_clear(all[i]);
    }
    char *cmd = xasprintf("rm -rf '%s'", dir);
    ck_assert_int_eq(system(cmd), 0);
    free(cmd);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("offline");
    TCase *tc = tcase_create("offline");
    tcase_add_test(tc, progress_figures_in_pieces);
    tcase_add_test(tc, figures_from_percent);
    tcase_add_test(tc, rate_limit_bounds_early_figures);
    tcase_add_test(tc, record_round_trip);
    tcase_add_test(tc, helper_liveness);
    tcase_add_test(tc, backing_name_shortest);
    tcase_add_test(tc, backing_name_detours);
    tcase_add_test(tc, backing_name_checked_against_the_file);
    tcase_add_test(tc, qemu_img_outcomes);
    tcase_add_test(tc, images_checked_before);
    tcase_add_test(tc, chain_verified_after);
    tcase_add_test(tc, merge_locks);
    suite_add_tcase(s, tc);
    return st_run_suite(s);
}
