/*
 * A job's pace from synthetic sequences of polled progress (rate.h): a rate-limited commit, a
 * leap over unallocated space at the start and in the middle, a commit that only leaps, chunks
 * coarser than the polls, a stall, a job that reached its end but has not ended, a restart after
 * a reconnect; then what a job's line says of it (job_figures.h) in each case, and for jobs that
 * report no progress or ended.
 */
#include "config.h"

#include <check.h>
#include <math.h>
#include <string.h>

#include "core/job_figures.h"
#include "core/rate.h"
#include "tap.h"

#define MiB  (1024.0 * 1024.0)
#define GiB  (1024.0 * MiB)
#define POLL 0.4

/* Feeds polls every POLL seconds from t0 to t1 (inclusive) of a job moving `bps` from cur0. */
static double feed(st_rate *r, double t0, double t1, double cur0, double bps, double end,
                   double limit)
{
    double t = t0;
    for (; t <= t1 + 1e-9; t += POLL)
        st_rate_add(r, t, (uint64_t)(cur0 + bps * (t - t0)), (uint64_t)end, limit);
    return cur0 + bps * (t - POLL - t0);
}

static bool near(double got, double want, double tolerance)
{
    return fabs(got - want) <= tolerance * want;
}

START_TEST(limited_rate_needs_samples_over_time)
{
    st_rate r;
    st_rate_init(&r);
    /* A commit limited to 1 MiB/s: nothing is said after two polls, nor before 2 s. */
    st_rate_add(&r, 0, 0, 128 * MiB, MiB);
    st_rate_add(&r, POLL, 0.4 * MiB, 128 * MiB, MiB);
    ck_assert_int_eq(st_rate_pace(&r, POLL).state, ST_PACE_UNKNOWN);
    feed(&r, 2 * POLL, 1.6, 0.8 * MiB, MiB, 128 * MiB, MiB);
    ck_assert_int_eq(st_rate_pace(&r, 1.6).state, ST_PACE_UNKNOWN);
    double cur = feed(&r, 2.0, 6.0, 2.0 * MiB, MiB, 128 * MiB, MiB);
    st_pace p = st_rate_pace(&r, 6.0);
    ck_assert_int_eq(p.state, ST_PACE_MOVING);
    ck_assert(near(p.rate, MiB, 0.02));
    ck_assert(near(p.eta, (128 * MiB - cur) / MiB, 0.02));
    ck_assert(!p.eta_at_most);
}
END_TEST

START_TEST(leap_at_start_of_limited_commit)
{
    /* The case of 1.74 GiB/s and ETA 0:00 at 1%: 2 GiB/s of unallocated space passed in the
     * first poll, then 1 MiB/s of data. The rate is never above the limit; the ETA is an upper
     * bound while the leap is in the window, and exact once it has left it. */
    st_rate r;
    st_rate_init(&r);
    st_rate_add(&r, 0, 0, 128 * MiB, MiB);
    st_rate_add(&r, 0.01, 20 * MiB, 128 * MiB, MiB);
    double cur = feed(&r, POLL, 3.0, 20 * MiB, MiB, 128 * MiB, MiB);
    st_pace p = st_rate_pace(&r, 3.0);
    ck_assert_int_eq(p.state, ST_PACE_MOVING);
    ck_assert(p.rate <= MiB);
    ck_assert(p.eta_at_most);
    ck_assert(p.eta >= (128 * MiB - cur) / MiB * 0.99);
    feed(&r, 3.4, 20.0, cur + 0.4 * MiB, MiB, 128 * MiB, MiB);
    p = st_rate_pace(&r, 20.0);
    ck_assert(near(p.rate, MiB, 0.02) && !p.eta_at_most);
    /* Its plan counted 6 MiB of data: the ETA is at most that at its rate. */
    r.data = (uint64_t)(6 * MiB);
    p = st_rate_pace(&r, 20.0);
    ck_assert(near(p.eta, 6.0, 0.02) && p.eta_at_most);
}
END_TEST

START_TEST(sparse_leap_left_out_without_limit)
{
    /* 20 MiB/s of data, and one poll that passed 1 GiB of unallocated space: the rate is the
     * data's, and the ETA an upper bound. */
    st_rate r;
    st_rate_init(&r);
    double cur = feed(&r, 0, 3.0, 0, 20 * MiB, 8 * GiB, 0);
    st_rate_add(&r, 3.4, (uint64_t)(cur + GiB), 8 * GiB, 0);
    cur = feed(&r, 3.8, 6.0, cur + GiB + 8 * MiB, 20 * MiB, 8 * GiB, 0);
    st_pace p = st_rate_pace(&r, 6.0);
    ck_assert_int_eq(p.state, ST_PACE_MOVING);
    ck_assert(near(p.rate, 20 * MiB, 0.05));
    ck_assert(p.eta_at_most);
    ck_assert(near(p.eta, (8 * GiB - cur) / (20 * MiB), 0.05));
}
END_TEST

START_TEST(only_leaps_have_no_rate)
{
    /* The case of 53.1 GiB/s: a sparse image passed at 20 GiB/s. No data rate to give. */
    st_rate r;
    st_rate_init(&r);
    feed(&r, 0, 3.0, 0, 20 * GiB, 200 * GiB, 0);
    st_pace p = st_rate_pace(&r, 3.0);
    ck_assert_int_eq(p.state, ST_PACE_SKIPPING);
    ck_assert(p.rate == 0);
}
END_TEST

START_TEST(chunks_coarser_than_polls)
{
    /* A limited job moves 4 MiB every 2 s (2 MiB/s) while polls come every 0.4 s: most polls see
     * no change. Its rate is the limit's, and no chunk counts as a leap. */
    st_rate r;
    st_rate_init(&r);
    for (double t = 0; t <= 9.0; t += POLL)
        st_rate_add(&r, t, (uint64_t)(4 * MiB * floor((t + 1e-9) / 2.0)), 64 * MiB, 2 * MiB);
    st_pace p = st_rate_pace(&r, 9.0);
    ck_assert_int_eq(p.state, ST_PACE_MOVING);
    ck_assert(p.rate > 1.5 * MiB && p.rate <= 2 * MiB);
    ck_assert(!p.eta_at_most);
    /* The same unlimited: 512 KiB chunks every 0.5 s, polled every 0.4 s. */
    st_rate_init(&r);
    for (double t = 0; t <= 6.0; t += POLL)
        st_rate_add(&r, t, (uint64_t)(0.5 * MiB * floor((t + 1e-9) / 0.5)), 64 * MiB, 0);
    p = st_rate_pace(&r, 6.0);
    ck_assert_int_eq(p.state, ST_PACE_MOVING);
    ck_assert(near(p.rate, MiB, 0.15) && !p.eta_at_most);
}
END_TEST

START_TEST(stall_has_no_rate)
{
    st_rate r;
    st_rate_init(&r);
    double cur = feed(&r, 0, 4.0, 0, 10 * MiB, 100 * MiB, 0);
    ck_assert_int_eq(st_rate_pace(&r, 4.0).state, ST_PACE_MOVING);
    /* cur stays: still moving by its window until ST_RATE_STALL has passed, then stalled. */
    feed(&r, 4.4, 8.0, cur, 0, 100 * MiB, 0);
    st_pace p = st_rate_pace(&r, 8.0);
    ck_assert_int_eq(p.state, ST_PACE_STALLED);
    ck_assert(p.rate == 0 && p.still >= ST_RATE_STALL);
    /* It moves again: at once a moving job (the window still holds its pace). */
    st_rate_add(&r, 8.4, (uint64_t)(cur + 4 * MiB), 100 * MiB, 0);
    ck_assert_int_eq(st_rate_pace(&r, 8.4).state, ST_PACE_MOVING);
    /* A job found stalled (a new interface) says so once ST_RATE_STALL has passed. */
    st_rate_init(&r);
    feed(&r, 0, 3.2, 5 * MiB, 0, 100 * MiB, 0);
    ck_assert_int_eq(st_rate_pace(&r, 3.2).state, ST_PACE_STALLED);
}
END_TEST

START_TEST(reached_end_is_finishing)
{
    /* A save whose memory is all sent, still writing: no ETA of --:--, it is finishing. */
    st_rate r;
    st_rate_init(&r);
    feed(&r, 0, 2.8, 0, 100 * MiB, 300 * MiB, 0);
    st_rate_add(&r, 3.4, (uint64_t)(300 * MiB), 300 * MiB, 0);
    st_pace p = st_rate_pace(&r, 12.0);
    ck_assert_int_eq(p.state, ST_PACE_FINISHING);
    ck_assert(near(p.still, 8.6, 0.01));
}
END_TEST

START_TEST(restart_after_reconnect)
{
    st_rate r;
    st_rate_init(&r);
    double cur = feed(&r, 0, 4.0, 0, MiB, 64 * MiB, MiB);
    ck_assert_int_eq(st_rate_pace(&r, 4.0).state, ST_PACE_MOVING);
    /* The daemon restarted: polls resume 30 s later. The window starts again: no rate from
     * samples that old, nor from the one interval over the gap. */
    st_rate_add(&r, 34.0, (uint64_t)(cur + 30 * MiB), 64 * MiB, MiB);
    ck_assert_int_eq(st_rate_pace(&r, 34.0).state, ST_PACE_UNKNOWN);
    feed(&r, 34.4, 36.4, cur + 30.4 * MiB, MiB, 64 * MiB, MiB);
    st_pace p = st_rate_pace(&r, 36.4);
    ck_assert_int_eq(p.state, ST_PACE_MOVING);
    ck_assert(near(p.rate, MiB, 0.02));
    /* The job was started again (cur went back): a new run, measured afresh. */
    st_rate_add(&r, 36.8, (uint64_t)(2 * MiB), 64 * MiB, MiB);
    ck_assert_int_eq(st_rate_pace(&r, 36.8).state, ST_PACE_UNKNOWN);
    ck_assert_uint_eq(r.n, 1);
}
END_TEST

START_TEST(no_figures_no_pace)
{
    st_rate r;
    st_rate_init(&r);
    ck_assert_int_eq(st_rate_pace(&r, 1.0).state, ST_PACE_UNKNOWN);
    feed(&r, 0, 4.0, 0, 0, 0, 0); /* end 0: the job reports nothing */
    ck_assert_int_eq(st_rate_pace(&r, 4.0).state, ST_PACE_UNKNOWN);
}
END_TEST

/* ---- what a job's line says ---- */

static st_job job(st_job_kind kind, st_job_phase phase, double cur, double end)
{
    st_job j;
    memset(&j, 0, sizeof(j));
    j.kind = kind;
    j.phase = phase;
    j.cur = (uint64_t)cur;
    j.end = (uint64_t)end;
    j.started = 100;
    return j;
}

static const char *figures(const st_job *j)
{
    static char buf[256];
    st_job_figures(j, 110, buf, sizeof(buf));
    return buf;
}

START_TEST(figures_of_a_running_merge)
{
    st_job j = job(ST_JOB_COMMIT, ST_PHASE_RUNNING, 15 * MiB, 128 * MiB);
    /* Pace not known yet: no rate, no ETA, and the total is said to be the virtual span. */
    ck_assert_str_eq(figures(&j), " 12%  15.0 MiB/128 MiB virtual");
    j.data = (uint64_t)(41.3 * MiB);
    ck_assert_str_eq(figures(&j), " 12%  15.0 MiB/128 MiB virtual, ~41.3 MiB data");
    j.pace = (st_pace){ST_PACE_MOVING, MiB, 113, false, 0};
    ck_assert_str_eq(figures(&j),
                     " 12%  1.00 MiB/s  ETA 1:53  15.0 MiB/128 MiB virtual, ~41.3 MiB data");
    j.pace.eta_at_most = true;
    ck_assert_ptr_nonnull(strstr(figures(&j), "ETA at most 1:53"));
    j.pace = (st_pace){ST_PACE_SKIPPING, 0, 0, false, 0};
    ck_assert_ptr_nonnull(strstr(figures(&j), "skipping unallocated space"));
    j.pace = (st_pace){ST_PACE_STALLED, 0, 0, false, 12};
    ck_assert_ptr_nonnull(strstr(figures(&j), "no progress for 0:12"));
    ck_assert_ptr_null(strstr(figures(&j), "/s"));
}
END_TEST

START_TEST(figures_of_domain_jobs)
{
    /* A save that has not reported yet, then one at its end but not ended. */
    st_job j = job(ST_JOB_SAVE, ST_PHASE_RUNNING, 0, 0);
    ck_assert_str_eq(figures(&j), "0:10 so far, no progress reported");
    j = job(ST_JOB_SAVE, ST_PHASE_RUNNING, GiB, GiB);
    j.pace.state = ST_PACE_FINISHING;
    ck_assert_str_eq(figures(&j), " 99%  finishing  1.00 GiB/1.00 GiB");
    /* Snapshots, reverts, deletes and small saves that reported nothing: done, no 100%. */
    char pct[16];
    j = job(ST_JOB_SNAPSHOT, ST_PHASE_COMPLETED, 0, 0);
    ck_assert_str_eq(figures(&j), "done");
    st_job_percent(&j, pct, sizeof(pct));
    ck_assert_str_eq(pct, "done");
    j = job(ST_JOB_REVERT, ST_PHASE_FAILED, 0, 0);
    ck_assert_str_eq(figures(&j), "");
    st_job_percent(&j, pct, sizeof(pct));
    ck_assert_str_eq(pct, "");
}
END_TEST

START_TEST(figures_of_ended_jobs)
{
    /* Failed or killed: how far it got, never a rate. */
    st_job j = job(ST_JOB_COMMIT, ST_PHASE_FAILED, 32 * MiB, 128 * MiB);
    j.pace = (st_pace){ST_PACE_MOVING, MiB, 96, false, 0};
    ck_assert_str_eq(figures(&j), "stopped at 25%: 32.0 MiB/128 MiB virtual");
    ck_assert(fabs(st_job_fraction(&j) - 0.25) < 1e-9);
    j.phase = ST_PHASE_CANCELLED;
    ck_assert_str_eq(figures(&j), "stopped at 25%: 32.0 MiB/128 MiB virtual");
    j = job(ST_JOB_PULL, ST_PHASE_COMPLETED, 128 * MiB, 128 * MiB);
    j.data = 6 * MiB;
    ck_assert_str_eq(figures(&j), "done: 128 MiB virtual, ~6.00 MiB data");
    /* Never 100% before the end. */
    j = job(ST_JOB_COMMIT, ST_PHASE_RUNNING, 127.9 * MiB, 128 * MiB);
    ck_assert(st_job_fraction(&j) <= 0.99);
}
END_TEST

START_TEST(two_pulls_told_apart)
{
    /* Two finished pulls on one disk: where each merged, and when it ended. */
    st_job a = job(ST_JOB_PULL, ST_PHASE_COMPLETED, 128 * MiB, 128 * MiB);
    st_job b = a;
    a.base = "/i/mid.qcow2";
    b.ours = true;
    char sa[128], sb[128];
    st_job_about(&a, "14:05:09", sa, sizeof(sa));
    st_job_about(&b, "14:07:30", sb, sizeof(sb));
    ck_assert_str_eq(sa, "above mid.qcow2, ended 14:05:09");
    ck_assert_str_eq(sb, "the whole chain, ended 14:07:30");
    /* A running commit: where it merges, no time. */
    st_job c = job(ST_JOB_COMMIT, ST_PHASE_RUNNING, 0, 0);
    c.base = "/i/base.qcow2";
    st_job_about(&c, "14:07:30", sa, sizeof(sa));
    ck_assert_str_eq(sa, "into base.qcow2");
    /* A snapshot: nothing but when it ended. */
    c = job(ST_JOB_SNAPSHOT, ST_PHASE_COMPLETED, 0, 0);
    st_job_about(&c, NULL, sa, sizeof(sa));
    ck_assert_str_eq(sa, "");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("rate");
    TCase *tc = tcase_create("pace");
    tcase_add_test(tc, limited_rate_needs_samples_over_time);
    tcase_add_test(tc, leap_at_start_of_limited_commit);
    tcase_add_test(tc, sparse_leap_left_out_without_limit);
    tcase_add_test(tc, only_leaps_have_no_rate);
    tcase_add_test(tc, chunks_coarser_than_polls);
    tcase_add_test(tc, stall_has_no_rate);
    tcase_add_test(tc, reached_end_is_finishing);
    tcase_add_test(tc, restart_after_reconnect);
    tcase_add_test(tc, no_figures_no_pace);
    suite_add_tcase(s, tc);
    TCase *tf = tcase_create("figures");
    tcase_add_test(tf, figures_of_a_running_merge);
    tcase_add_test(tf, figures_of_domain_jobs);
    tcase_add_test(tf, figures_of_ended_jobs);
    tcase_add_test(tf, two_pulls_told_apart);
    suite_add_tcase(s, tf);
    return st_run_suite(s);
}
