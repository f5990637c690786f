/*
 * Offline merges without a terminal: qemu-img's progress parsed as it arrives (figures cut
 * between reads), how far a job line says it is (percent of qemu-img's work, bounded by a rate
 * limit), and the job record the helper and the interface share.
 */
#include "config.h"

#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

int main(void)
{
    Suite *s = suite_create("offline");
    TCase *tc = tcase_create("offline");
    tcase_add_test(tc, progress_figures_in_pieces);
    tcase_add_test(tc, figures_from_percent);
    tcase_add_test(tc, rate_limit_bounds_early_figures);
    tcase_add_test(tc, record_round_trip);
    tcase_add_test(tc, helper_liveness);
    suite_add_tcase(s, tc);
    return st_run_suite(s);
}
