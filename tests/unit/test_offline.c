/*
 * Offline merges without a terminal: qemu-img's progress parsed as it arrives (figures cut
 * between reads), the figures a job line shows (percent of qemu-img's work, rate and ETA over
 * time, bounded by a rate limit), the job record the helper and the interface share, and the
 * backing names a merge writes.
 */
#include "config.h"

#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backing_name.h"
#include "offline.h"
#include "offline_state.h"
#include "tap.h"
#include "util.h"

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

START_TEST(figures_from_percent_over_time)
{
    uint64_t cur;
    double rate, eta;
    /* 40% of 100 MiB of work after 4 s: 10 MiB/s, 6 s to go. */
    st_offline_figures(40, 100 * MiB, 0, 4.0, false, &cur, &rate, &eta);
    ck_assert_uint_eq(cur, 40 * MiB);
    ck_assert(fabs(rate - 10.0 * MiB) < 1);
    ck_assert(fabs(eta - 6.0) < 1e-6);
    /* Too early for a rate. */
    st_offline_figures(10, 100 * MiB, 0, 0.2, false, &cur, &rate, &eta);
    ck_assert(rate == 0 && eta < 0);
    /* Done: everything, nothing left. */
    st_offline_figures(97, 100 * MiB, 0, 9.0, true, &cur, &rate, &eta);
    ck_assert_uint_eq(cur, 100 * MiB);
    ck_assert(eta == 0);
}
END_TEST

START_TEST(rate_limit_bounds_early_figures)
{
    uint64_t cur;
    double rate, eta;
    /* qemu-img says 100% after 3 s of a commit limited to 1 MiB/s: at most 3 MiB went. */
    st_offline_figures(100, 8 * MiB + MiB / 2, 1, 3.0, false, &cur, &rate, &eta);
    ck_assert_uint_eq(cur, 3 * MiB);
    ck_assert(fabs(rate - 1.0 * MiB) < 1);
    ck_assert(fabs(eta - 5.5) < 1e-6);
    /* Below the limit the percent is what counts. */
    st_offline_figures(10, 8 * MiB, 100, 3.0, false, &cur, &rate, &eta);
    ck_assert_uint_eq(cur, 8 * MiB / 10);
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

int main(void)
{
    Suite *s = suite_create("offline");
    TCase *tc = tcase_create("offline");
    tcase_add_test(tc, progress_figures_in_pieces);
    tcase_add_test(tc, figures_from_percent_over_time);
    tcase_add_test(tc, rate_limit_bounds_early_figures);
    tcase_add_test(tc, record_round_trip);
    tcase_add_test(tc, helper_liveness);
    tcase_add_test(tc, backing_name_shortest);
    tcase_add_test(tc, backing_name_detours);
    tcase_add_test(tc, backing_name_checked_against_the_file);
    suite_add_tcase(s, tc);
    return st_run_suite(s);
}
