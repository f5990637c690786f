/*
 * Offline merges without a terminal: qemu-img's progress parsed as it arrives (figures cut
 * between reads) and the figures a job line shows (percent of qemu-img's work, rate and ETA
 * over time, bounded by a rate limit).
 */
#include "config.h"

#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "offline.h"
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

int main(void)
{
    Suite *s = suite_create("offline");
    TCase *tc = tcase_create("offline");
    tcase_add_test(tc, progress_figures_in_pieces);
    tcase_add_test(tc, figures_from_percent_over_time);
    tcase_add_test(tc, rate_limit_bounds_early_figures);
    suite_add_tcase(s, tc);
    return st_run_suite(s);
}
