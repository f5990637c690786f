/*
 * What a person gives the program as text: the configuration file (only a regular file is read,
 * never waited on; lines of any length) and numbers (one parser, which takes no "nan").
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/number.h"
#include "base/readfile.h"
#include "base/util.h"
#include "core/config_file.h"
#include "tap.h"

static char *tmp_dir(void)
{
    char *d = xstrdup("/tmp/vst-config.XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(d));
    return d;
}

static void write_file(const char *path, const char *text, size_t len)
{
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(text, 1, len, f), len);
    ck_assert_int_eq(fclose(f), 0);
}

/* Loads `path` and expects a refusal whose message holds `why`, within a second. */
static void refused(const char *path, bool named, const char *why)
{
    st_config c;
    char *err = NULL;
    double t0 = st_now();
    ck_assert_int_eq(st_config_load(&c, path, named, &err), -1);
    ck_assert_msg(st_now() - t0 < 1, "%s took %.1f s", path, st_now() - t0);
    ck_assert_ptr_nonnull(err);
    ck_assert_msg(strstr(err, why) && strstr(err, path), "%s: %s", path, err);
    ck_assert_uint_eq(c.n_uris, 0);
    free(err);
}

START_TEST(fifo_is_refused_without_waiting)
{
    char *d = tmp_dir();
    char *p = xasprintf("%s/config", d);
    ck_assert_int_eq(mkfifo(p, 0600), 0);
    /* No writer: a blocking open would wait forever, and Check's timeout would fail the test. */
    refused(p, false, "named pipe (FIFO), not a regular file");
    unlink(p);
    rmdir(d);
    free(p);
    free(d);
}
END_TEST

START_TEST(devices_folders_and_loops_are_refused)
{
    refused("/dev/zero", true, "a device, not a regular file");
    refused("/dev/urandom", true, "a device, not a regular file");
    char *d = tmp_dir();
    refused(d, false, "a folder, not a regular file");
    char *a = xasprintf("%s/a", d), *b = xasprintf("%s/b", d);
    ck_assert_int_eq(symlink(b, a), 0);
    ck_assert_int_eq(symlink(a, b), 0);
    refused(a, false, strerror(ELOOP));
    unlink(a);
    unlink(b);
    rmdir(d);
    free(a);
    free(b);
    free(d);
}
END_TEST

START_TEST(missing_file_is_silent_only_as_the_default)
{
    char *d = tmp_dir();
    char *p = xasprintf("%s/config", d), *dangling = xasprintf("%s/link", d);
    st_config c;
    char *err = NULL;
    ck_assert_int_eq(st_config_load(&c, p, false, &err), 0);
    ck_assert_ptr_null(err);
    ck_assert_uint_eq(c.n_uris, 0);
    ck_assert_ptr_null(c.warning);
    refused(p, true, strerror(ENOENT));
    /* A link to nothing is a mistake to point out, not "no file". */
    ck_assert_int_eq(symlink(p, dangling), 0);
    refused(dangling, false, strerror(ENOENT));
    unlink(dangling);
    rmdir(d);
    free(p);
    free(dangling);
    free(d);
}
END_TEST

START_TEST(larger_than_the_cap_is_refused)
{
    char *d = tmp_dir();
    char *p = xasprintf("%s/config", d);
    size_t n = ST_CONFIG_MAX + 1;
    char *big = xmalloc(n);
    memset(big, '#', n);
    write_file(p, big, n);
    refused(p, false, "larger than 1.00 MiB");
    /* Exactly the cap is still read. */
    write_file(p, big, n - 1);
    st_config c;
    char *err = NULL;
    ck_assert_int_eq(st_config_load(&c, p, false, &err), 0);
    ck_assert_ptr_null(c.warning);
    st_config_clear(&c);
    unlink(p);
    rmdir(d);
    free(big);
    free(p);
    free(d);
}
END_TEST

/* A comment of `n` bytes whose tail reads like a host line. */
static char *long_comment(size_t n, const char *tail)
{
    strbuf b;
    sb_init(&b);
    sb_addc(&b, '#');
    while (b.len + strlen(tail) < n)
        sb_addc(&b, 'x');
    sb_add(&b, tail);
    sb_addc(&b, '\n');
    return sb_steal(&b);
}

START_TEST(long_lines_are_one_line)
{
    /* Beyond the old 4,095-byte buffer, the tail of a comment was read as a line of its own. */
    char *comment = long_comment(4096 + 100, "connect = test:///evil");
    char *text = xasprintf("%sconnect = test:///default\n", comment);
    st_config c = {0};
    st_config_parse(&c, "cfg", text, strlen(text));
    ck_assert_uint_eq(c.n_uris, 1);
    ck_assert_str_eq(c.uris[0], "test:///default");
    ck_assert_ptr_null(c.warning);
    st_config_clear(&c);
    free(text);
    free(comment);
    /* A host line of any length is read whole. */
    strbuf b;
    sb_init(&b);
    sb_add(&b, "connect = test:///");
    while (b.len < 100000)
        sb_addc(&b, 'p');
    char *uri = xstrdup(b.s + strlen("connect = "));
    sb_add(&b, "\r\n");
    memset(&c, 0, sizeof(c));
    st_config_parse(&c, "cfg", b.s, b.len);
    ck_assert_uint_eq(c.n_uris, 1);
    ck_assert_str_eq(c.uris[0], uri);
    st_config_clear(&c);
    sb_free(&b);
    free(uri);
}
END_TEST

/* The chain doctor's limit: a whole number from 1 to 1000, else a line not understood. */
START_TEST(max_chain_depth)
{
    const char *text = "max-chain-depth = 24\nconnect = test:///a\n";
    st_config c = {0};
    st_config_parse(&c, "cfg", text, strlen(text));
    ck_assert_uint_eq(c.max_depth, 24);
    ck_assert_uint_eq(c.n_uris, 1);
    ck_assert_ptr_null(c.warning);
    st_config_clear(&c);
    const char *bad[] = {"max-chain-depth = 0\n", "max-chain-depth = 1001\n",
                         "max-chain-depth = -3\n", "max-chain-depth = 2x\n", "max-chain-depth =\n"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        st_config_parse(&c, "cfg", bad[i], strlen(bad[i]));
        ck_assert_uint_eq(c.max_depth, 0);
        ck_assert_ptr_nonnull(c.warning);
        st_config_clear(&c);
    }
}
END_TEST

START_TEST(warning_names_the_first_line_not_understood)
{
    char *comment = long_comment(5000, "x");
    char *text = xasprintf("# hosts\n%s\nconnect = test:///a\nconect = test:///b\nfoo\n"
                           "connect = test:///c",
                           comment);
    st_config c = {0};
    st_config_parse(&c, "cfg", text, strlen(text));
    ck_assert_uint_eq(c.n_uris, 2);
    ck_assert_str_eq(c.uris[1], "test:///c");
    ck_assert_str_eq(c.warning, "cfg, line 5: not understood (only \"connect = URI [label=NAME] "
                                "[group=NAME]\" lines are read): conect = test:///b");
    st_config_clear(&c);
    free(text);
    /* A long line not understood is quoted in part, with its own line number. */
    text = xasprintf("\n%s", comment + 1);
    memset(&c, 0, sizeof(c));
    st_config_parse(&c, "cfg", text, strlen(text));
    ck_assert_ptr_nonnull(strstr(c.warning, "line 2: "));
    ck_assert_ptr_nonnull(strstr(c.warning, "xxx..."));
    ck_assert_uint_lt(strlen(c.warning), 200);
    st_config_clear(&c);
    free(text);
    free(comment);
}
END_TEST

START_TEST(hosts_have_labels_and_groups)
{
    static const char text[] = "connect = test:///a label=kvm1 group=prod\n"
                               "connect =\ttest:///a\tgroup=lab   label=kvm2\n"
                               "connect = test:///b\n"
                               "connect = test:///c label=x label=y\n"
                               "connect = test:///d colour=red\n"
                               "connect = test:///e label=\n";
    st_config c = {0};
    st_config_parse(&c, "cfg", text, sizeof(text) - 1);
    ck_assert_uint_eq(c.n_uris, 3);
    /* The same URI twice: two hosts, told apart by their labels. */
    ck_assert_str_eq(c.uris[0], "test:///a");
    ck_assert_str_eq(c.labels[0], "kvm1");
    ck_assert_str_eq(c.groups[0], "prod");
    ck_assert_str_eq(c.uris[1], "test:///a");
    ck_assert_str_eq(c.labels[1], "kvm2");
    ck_assert_str_eq(c.groups[1], "lab");
    ck_assert_str_eq(c.uris[2], "test:///b");
    ck_assert_ptr_null(c.labels[2]);
    ck_assert_ptr_null(c.groups[2]);
    /* A word given twice, a word not known and an empty value: the line is not read. */
    ck_assert_ptr_nonnull(strstr(c.warning, "line 4: "));
    st_config_clear(&c);
    static const char unknown[] = "connect = test:///d colour=red\nconnect = test:///e label=\n";
    memset(&c, 0, sizeof(c));
    st_config_parse(&c, "cfg", unknown, sizeof(unknown) - 1);
    ck_assert_uint_eq(c.n_uris, 0);
    ck_assert_ptr_nonnull(strstr(c.warning, "line 1: "));
    st_config_clear(&c);
}
END_TEST

START_TEST(nul_bytes_make_a_line_not_understood)
{
    static const char text[] = "connect = test:///a\0connect = test:///evil\nconnect = test:///b\n";
    st_config c = {0};
    st_config_parse(&c, "cfg", text, sizeof(text) - 1);
    ck_assert_uint_eq(c.n_uris, 1);
    ck_assert_str_eq(c.uris[0], "test:///b");
    ck_assert_ptr_nonnull(strstr(c.warning, "line 1"));
    st_config_clear(&c);
}
END_TEST

START_TEST(file_is_read_whole)
{
    char *d = tmp_dir();
    char *p = xasprintf("%s/config", d);
    char *comment = long_comment(70000, "connect = test:///evil");
    char *text = xasprintf("%sconnect = test:///default\n", comment);
    write_file(p, text, strlen(text));
    st_config c;
    char *err = NULL;
    ck_assert_int_eq(st_config_load(&c, p, true, &err), 0);
    ck_assert_uint_eq(c.n_uris, 1);
    ck_assert_str_eq(c.uris[0], "test:///default");
    st_config_clear(&c);
    size_t len;
    char *got = st_read_regular_file(p, 1 << 20, &len, &err);
    ck_assert_uint_eq(len, strlen(text));
    ck_assert_int_eq(memcmp(got, text, len), 0);
    free(got);
    unlink(p);
    rmdir(d);
    free(text);
    free(comment);
    free(p);
    free(d);
}
END_TEST

static st_num_result num(const char *s, bool fraction, double min, double max, double *v)
{
    *v = -12345;
    return st_parse_number(s, fraction, min, max, v);
}

START_TEST(numbers)
{
    double v;
    ck_assert_int_eq(num("2", true, 0.1, 3600, &v), ST_NUM_OK);
    ck_assert(v == 2);
    ck_assert_int_eq(num("0.5", true, 0.1, 3600, &v), ST_NUM_OK);
    ck_assert(v == 0.5);
    ck_assert_int_eq(num(".5", true, 0.1, 3600, &v), ST_NUM_OK);
    ck_assert_int_eq(num("5.", true, 0.1, 3600, &v), ST_NUM_OK);
    ck_assert(v == 5);
    ck_assert_int_eq(num("3600", true, 0.1, 3600, &v), ST_NUM_OK);
    ck_assert_int_eq(num("0.1", true, 0.1, 3600, &v), ST_NUM_OK);
    ck_assert_int_eq(num("007", false, 0, 10, &v), ST_NUM_OK);
    ck_assert(v == 7);
    ck_assert_int_eq(num("0", false, 0, 1048576, &v), ST_NUM_OK);
    ck_assert(v == 0);
    /* What strtod took and what made "-2147483 seconds" of a timeout. */
    static const char *const bad[] = {
        "nan", "NAN", "inf", "-inf",  "infinity", "-1",  "+1", "1e3",  "0x10",        " 2",
        "2 ",  "",    ".",   "1.2.3", "2s",       "1,5", "--", "0.5.", "\xef\xbc\x92"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ck_assert_msg(num(bad[i], true, 0.1, 3600, &v) == ST_NUM_BAD, "\"%s\" taken", bad[i]);
        ck_assert(v == -12345);
    }
    ck_assert_int_eq(num("1.5", false, 0, 10, &v), ST_NUM_BAD);
    ck_assert_int_eq(num(NULL, false, 0, 10, &v), ST_NUM_BAD);
    static const char *const out[] = {"0", "0.05", "3600.01", "4000",
                                      "99999999999999999999999999999999999999"};
    for (size_t i = 0; i < sizeof(out) / sizeof(out[0]); i++) {
        ck_assert_msg(num(out[i], true, 0.1, 3600, &v) == ST_NUM_RANGE, "\"%s\" taken", out[i]);
        ck_assert(v == -12345);
    }
    ck_assert_int_eq(num("1048577", false, 0, 1048576, &v), ST_NUM_RANGE);
    ck_assert_int_eq(num("18446744073709551617", false, 0, 1048576, &v), ST_NUM_RANGE);
    /* Many digits of a fraction are only precision. */
    ck_assert_int_eq(num("2.00000000000000000000001", true, 0.1, 3600, &v), ST_NUM_OK);
    ck_assert(v == 2);
    ck_assert_int_eq(num("000000000000000000000000002", false, 0, 10, &v), ST_NUM_OK);
    ck_assert(v == 2);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("config");
    TCase *tc = tcase_create("config");
    tcase_set_timeout(tc, 10);
    tcase_add_test(tc, fifo_is_refused_without_waiting);
    tcase_add_test(tc, hosts_have_labels_and_groups);
    tcase_add_test(tc, devices_folders_and_loops_are_refused);
    tcase_add_test(tc, missing_file_is_silent_only_as_the_default);
    tcase_add_test(tc, larger_than_the_cap_is_refused);
    tcase_add_test(tc, long_lines_are_one_line);
    tcase_add_test(tc, warning_names_the_first_line_not_understood);
    tcase_add_test(tc, nul_bytes_make_a_line_not_understood);
    tcase_add_test(tc, file_is_read_whole);
    tcase_add_test(tc, numbers);
    tcase_add_test(tc, max_chain_depth);
    suite_add_tcase(s, tc);
    return st_run_suite(s);
}
