/*
 * How a block job that vanished without an event ended, judged from the chain afterwards: only
 * a chain changed the way the job changes it is completion (a domain restarted under a commit
 * shows the old chain and must not count as completed).
 */
#include "config.h"

#include <check.h>
#include <string.h>

#include "core/job_end.h"
#include "tap.h"

#define TOP  "/i/top.qcow2"
#define MID  "/i/mid.qcow2"
#define BASE "/i/base.qcow2"

static char *full[] = {TOP, MID, BASE};
static char *no_mid[] = {TOP, BASE};
static char *on_mid[] = {MID, BASE};
static char *on_base[] = {BASE};
static char *alone[] = {TOP};
static char *other[] = {"/i/other.qcow2", BASE};

static st_job job(st_job_kind kind, const char *top, const char *base, bool ours)
{
    st_job j;
    memset(&j, 0, sizeof(j));
    j.kind = kind;
    j.top = (char *)top;
    j.base = (char *)base;
    j.ours = ours;
    j.phase = ST_PHASE_RUNNING;
    return j;
}

static st_job_phase judge(const st_job *j, char **before, size_t nb, char **now, size_t nn)
{
    const char *why = NULL;
    st_job_phase p = st_job_judge_end(j, before, nb, now, nn, &why);
    /* Every outcome but completion says why. */
    ck_assert(p == ST_PHASE_COMPLETED ? why == NULL : why != NULL && *why);
    return p;
}

START_TEST(commit_of_ours)
{
    st_job j = job(ST_JOB_COMMIT, MID, BASE, true);
    ck_assert_int_eq(judge(&j, NULL, 0, no_mid, 2), ST_PHASE_COMPLETED);
    ck_assert_int_eq(judge(&j, NULL, 0, full, 3), ST_PHASE_ENDED);
    ck_assert_int_eq(judge(&j, NULL, 0, alone, 1), ST_PHASE_ENDED); /* the base left too */
}
END_TEST

START_TEST(active_commit_of_ours)
{
    st_job j = job(ST_JOB_ACTIVE_COMMIT, TOP, MID, true);
    ck_assert_int_eq(judge(&j, NULL, 0, on_mid, 2), ST_PHASE_COMPLETED);
    ck_assert_int_eq(judge(&j, NULL, 0, full, 3), ST_PHASE_CANCELLED);
    ck_assert_int_eq(judge(&j, NULL, 0, on_base, 1), ST_PHASE_ENDED);
}
END_TEST

START_TEST(pull_of_ours)
{
    st_job j = job(ST_JOB_PULL, TOP, BASE, true);
    ck_assert_int_eq(judge(&j, NULL, 0, no_mid, 2), ST_PHASE_COMPLETED);
    ck_assert_int_eq(judge(&j, NULL, 0, full, 3), ST_PHASE_ENDED);
    st_job whole = job(ST_JOB_PULL, TOP, NULL, true);
    ck_assert_int_eq(judge(&whole, NULL, 0, alone, 1), ST_PHASE_COMPLETED);
    ck_assert_int_eq(judge(&whole, NULL, 0, no_mid, 2), ST_PHASE_ENDED);
}
END_TEST

START_TEST(found_commit_judged_by_the_chain_it_started_from)
{
    st_job j = job(ST_JOB_COMMIT, NULL, NULL, false);
    ck_assert_int_eq(judge(&j, full, 3, no_mid, 2), ST_PHASE_COMPLETED);
    /* The domain was restarted: the job is gone, the chain is the one it started from. */
    ck_assert_int_eq(judge(&j, full, 3, full, 3), ST_PHASE_ENDED);
    ck_assert_int_eq(judge(&j, full, 3, other, 2), ST_PHASE_ENDED);
    ck_assert_int_eq(judge(&j, full, 3, NULL, 0), ST_PHASE_ENDED);
    ck_assert_int_eq(judge(&j, NULL, 0, no_mid, 2), ST_PHASE_ENDED); /* nothing to compare */
}
END_TEST

START_TEST(found_pull_and_active_commit)
{
    st_job p = job(ST_JOB_PULL, TOP, NULL, false);
    ck_assert_int_eq(judge(&p, full, 3, no_mid, 2), ST_PHASE_COMPLETED);
    ck_assert_int_eq(judge(&p, full, 3, full, 3), ST_PHASE_ENDED);
    st_job a = job(ST_JOB_ACTIVE_COMMIT, TOP, BASE, false);
    ck_assert_int_eq(judge(&a, full, 3, on_base, 1), ST_PHASE_COMPLETED);
    ck_assert_int_eq(judge(&a, full, 3, full, 3), ST_PHASE_CANCELLED);
    st_job unknown = job(ST_JOB_ACTIVE_COMMIT, NULL, NULL, false);
    ck_assert_int_eq(judge(&unknown, full, 3, on_mid, 2), ST_PHASE_ENDED);
}
END_TEST

START_TEST(other_kinds_never_complete_unseen)
{
    st_job j = job(ST_JOB_OTHER, NULL, NULL, false);
    ck_assert_int_eq(judge(&j, full, 3, no_mid, 2), ST_PHASE_ENDED);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("job_end");
    TCase *tc = tcase_create("judge");
    tcase_add_test(tc, commit_of_ours);
    tcase_add_test(tc, active_commit_of_ours);
    tcase_add_test(tc, pull_of_ours);
    tcase_add_test(tc, found_commit_judged_by_the_chain_it_started_from);
    tcase_add_test(tc, found_pull_and_active_commit);
    tcase_add_test(tc, other_kinds_never_complete_unseen);
    suite_add_tcase(s, tc);
    return st_run_suite(s);
}
