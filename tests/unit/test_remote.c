/*
 * What a remote host's chains travel through: the bounded run of another program (run.h) and the
 * --read-chains answer (chain_wire.h), written by the remote end and read, as untrusted, here.
 */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "base/run.h"
#include "base/util.h"
#include "core/chain_wire.h"
#include "scratch.h"
#include "tap.h"

static char dir[64];

static void setup(void)
{
    scratch_make(dir, sizeof(dir), "remote");
}

static void teardown(void)
{
    scratch_remove(dir);
}

/* Runs `sh -c script` with input and the given bounds. */
static void sh(const char *script, const char *input, double timeout, size_t max, st_run_result *r)
{
    char *argv[] = {"sh", "-c", (char *)script, NULL};
    ck_assert_int_eq(st_run_bounded(argv, input, input ? strlen(input) : 0, timeout, max, r), 0);
}

START_TEST(run_collects)
{
    st_run_result r;
    sh("cat; echo oops >&2; exit 3", "in\n", 10, 100, &r);
    ck_assert_int_eq(r.status, 3);
    ck_assert_str_eq(r.out, "in\n");
    ck_assert_str_eq(r.err, "oops\n");
    st_run_result_clear(&r);
    /* A large input is fed while the output is read: no deadlock on full pipes. */
    size_t n = 1 << 20;
    char *big = xmalloc(n + 1);
    memset(big, 'x', n);
    big[n] = '\0';
    sh("cat", big, 10, 2 * n, &r);
    ck_assert_int_eq(r.status, 0);
    ck_assert_uint_eq(r.out_len, n);
    st_run_result_clear(&r);
    free(big);
    /* A program that cannot be run: posix_spawn says so, or (where it cannot report the exec's
     * failure, as under valgrind) the child exits with 127, as a shell's would. */
    char *none[] = {"/nonexistent/program", NULL};
    if (st_run_bounded(none, NULL, 0, 1, 10, &r) == -1)
        ck_assert_ptr_nonnull(strstr(r.err, "/nonexistent/program"));
    else
        ck_assert_int_eq(r.status, 127);
    st_run_result_clear(&r);
}
END_TEST

START_TEST(run_bounded)
{
    st_run_result r;
    /* Out of time: killed with what it started (the sleep in its group). */
    double t0 = st_now();
    sh("sleep 30 & sleep 30", NULL, 0.3, 100, &r);
    ck_assert(st_now() - t0 < 5);
    ck_assert(r.timed_out);
    ck_assert_int_eq(r.status, -1);
    st_run_result_clear(&r);
    /* Too much: stopped at the bound. */
    sh("yes", NULL, 10, 4096, &r);
    ck_assert(r.too_much);
    ck_assert_uint_eq(r.out_len, 4096);
    st_run_result_clear(&r);
    /* No terminal to ask a password on, whatever the caller has. */
    sh("exec 3</dev/tty && echo tty", NULL, 10, 100, &r);
    ck_assert_int_ne(r.status, 0);
    ck_assert_str_eq(r.out, "");
    st_run_result_clear(&r);
}
END_TEST

/* A qcow2 chain with awkward names: base, then top over it. */
static void make_chain(char **top, char **base)
{
    *base = xasprintf("%s/base 100%%\tx.qcow2", dir);
    *top = xasprintf("%s/top\nnew.qcow2", dir);
    char *c1[] = {"qemu-img", "create", "-q", "-f", "qcow2", *base, "64M", NULL};
    char *c2[] = {"qemu-img", "create", "-q",    "-f", "qcow2", "-b",
                  *base,      "-F",     "qcow2", *top, "128M",  NULL};
    st_run_result r;
    ck_assert_int_eq(st_run_bounded(c1, NULL, 0, 30, 4096, &r), 0);
    ck_assert_int_eq(r.status, 0);
    st_run_result_clear(&r);
    ck_assert_int_eq(st_run_bounded(c2, NULL, 0, 30, 4096, &r), 0);
    ck_assert_int_eq(r.status, 0);
    st_run_result_clear(&r);
}

/* What the remote end answers to the requests in req. */
static char *serve(const char *req, size_t *len)
{
    FILE *in = fmemopen((void *)req, strlen(req), "r");
    char *out = NULL;
    FILE *o = open_memstream(&out, len);
    ck_assert_int_eq(st_wire_serve(in, o), 0);
    fclose(in);
    fclose(o);
    return out;
}

START_TEST(wire_round_trip)
{
    char *top, *base, *missing = xasprintf("%s/gone.qcow2", dir);
    make_chain(&top, &base);
    strbuf req;
    sb_init(&req);
    st_wire_request(&req, top, "qcow2");
    st_wire_request(&req, missing, NULL);
    size_t len;
    char *ans = serve(req.s, &len);
    const char *paths[] = {top, missing};
    st_wire_chain c[2] = {{0}};
    char *err = NULL;
    ck_assert_msg(st_wire_parse(ans, len, paths, 2, c, &err) == 0, "%s", err);
    ck_assert_uint_eq(c[0].n, 2);
    ck_assert_str_eq(c[0].layers[0].path, top);
    ck_assert_str_eq(c[0].layers[0].format, "qcow2");
    ck_assert_uint_eq(c[0].layers[0].virtual_size, 128 << 20);
    ck_assert_int_eq(c[0].layers[0].content, ST_CONTENT_EMPTY);
    ck_assert_str_eq(c[0].layers[0].backing_name, base);
    ck_assert_str_eq(c[0].layers[1].path, base);
    ck_assert_uint_eq(c[0].layers[1].virtual_size, 64 << 20);
    ck_assert(c[0].layers[1].physical > 0);
    ck_assert_ptr_null(c[0].layers[1].broken);
    ck_assert_uint_eq(c[1].n, 1);
    ck_assert_ptr_nonnull(c[1].layers[0].broken);
    st_wire_chains_free(c, 2);
    free(ans);
    sb_free(&req);
    free(top);
    free(base);
    free(missing);
}
END_TEST

/* st_wire_parse refuses `ans` as an answer for the one chain /a, saying `why`. */
static void refused(const char *ans, size_t len, const char *why)
{
    const char *paths[] = {"/a"};
    st_wire_chain c[1] = {{0}};
    char *err = NULL;
    ck_assert_msg(st_wire_parse(ans, len, paths, 1, c, &err) == -1, "taken: %.60s", ans);
    ck_assert_ptr_null(c[0].layers);
    ck_assert_msg(strstr(err, why), "%s: not %s", err, why);
    free(err);
}

#define HEAD    ST_WIRE_MAGIC "\n"
#define LAYER_A "L\t0\t/a\tqcow2\t\t\t1\t2\t3\t-\t\n"

START_TEST(wire_refuses)
{
    const char ok[] = HEAD LAYER_A "E\t1\n";
    const char *paths[] = {"/a"};
    st_wire_chain c[1] = {{0}};
    char *err = NULL;
    ck_assert_int_eq(st_wire_parse(ok, strlen(ok), paths, 1, c, &err), 0);
    st_wire_chains_free(c, 1);
#define R(s, why) refused(s, strlen(s), why)
    R("", "not an answer");
    R("bash: virt-snaptree: command not found\n", "not an answer");
    R(HEAD LAYER_A, "stops short");
    R(HEAD LAYER_A "E\t1", "without its end");
    R(HEAD LAYER_A "E\t2\n", "missing");
    R(HEAD "E\t1\n", "missing");
    R(HEAD LAYER_A "E\t1\nL\t0\t/a\n", "after its end");
    R(HEAD "L\t1\t/a\tqcow2\t\t\t1\t2\t3\t-\t\n", "out of order");
    R(HEAD "L\t0\t/b\tqcow2\t\t\t1\t2\t3\t-\t\nE\t1\n", "not the one asked");
    R(HEAD "L\t0\t/a\tqcow2\t\t\t-1\t2\t3\t-\t\nE\t1\n", "does not parse");
    R(HEAD "L\t0\t/a\tqcow2\t\t\t99999999999999999999\t2\t3\t-\t\nE\t1\n", "does not parse");
    R(HEAD "L\t0\t/a\tqcow2\t\t\t1\t2\t3\t-\t%0\n", "does not parse");
    R(HEAD "L\t0\t/a%00\tqcow2\t\t\t1\t2\t3\t-\t\n", "does not parse");
    R(HEAD "L\t0\t/a\tqcow2 -o x\t\t\t1\t2\t3\t-\t\n", "does not parse");
    R(HEAD "L\t0\t/a\tqcow2\t\t\t1\t2\t3\tz\t\n", "does not parse");
    R(HEAD "L\t0\t/a\tqcow2\t\t\t1\t2\t3\t-\t\t\n", "no layer");
    R(HEAD "X\n", "no layer");
    refused(HEAD "L\t0\t/a\0\n", sizeof(HEAD "L\t0\t/a\0\n") - 1, "NUL");
    /* A huge line, and a chain deeper than any reader goes. */
    strbuf b;
    sb_init(&b);
    sb_add(&b, HEAD "L\t0\t/a\tqcow2\t\t\t1\t2\t3\t-\t");
    for (int i = 0; i < ST_WIRE_LINE_MAX; i++)
        sb_addc(&b, 'x');
    sb_add(&b, "\nE\t1\n");
    refused(b.s, b.len, "too long");
    sb_free(&b);
    sb_init(&b);
    sb_add(&b, HEAD);
    for (int i = 0; i < 300; i++)
        sb_printf(&b, "L\t0\t/a\tqcow2\t\t\t1\t2\t3\t-\t\n");
    sb_add(&b, "E\t1\n");
    refused(b.s, b.len, "too deep");
    sb_free(&b);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("remote");
    TCase *tc = tcase_create("remote");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, run_collects);
    tcase_add_test(tc, run_bounded);
    tcase_add_test(tc, wire_round_trip);
    tcase_add_test(tc, wire_refuses);
    suite_add_tcase(s, tc);
    return st_run_suite(s);
}
