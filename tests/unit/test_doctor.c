/*
 * The chain doctor's checks, each a pure function of facts, and its two reports: which facts
 * make a finding, of what level, with which fix, and the exact text and JSON scripts read.
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/doctor.h"
#include "tap.h"

static const st_doc_where W = {.host = "h", .domain = "vm", .disk = "vda", .path = "/i/a.qcow2"};

/* The report of the findings, as text, into a malloc'd string. */
static char *text_of(const st_findings *f, size_t chains)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    st_doctor_report_text(out, f, chains, true);
    fclose(out);
    return buf;
}

static char *json_of(const st_findings *f, size_t chains)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    st_doctor_report_json(out, f, chains);
    fclose(out);
    return buf;
}

START_TEST(header_bits)
{
    st_findings f = {0};
    st_doctor_check_bits(&f, &W, 0, false);
    ck_assert_uint_eq(f.n, 0);
    /* Dirty while a running QEMU holds it: lazy refcounts at work, not a finding. */
    st_doctor_check_bits(&f, &W, 1, true);
    ck_assert_uint_eq(f.n, 0);
    st_doctor_check_bits(&f, &W, 1, false);
    ck_assert_uint_eq(f.n, 1);
    ck_assert_str_eq(f.v[0].check, "dirty");
    ck_assert_int_eq(f.v[0].level, ST_DOC_WARN);
    st_doctor_check_bits(&f, &W, 2, true);
    ck_assert_uint_eq(f.n, 2);
    ck_assert_str_eq(f.v[1].check, "corrupt");
    ck_assert_int_eq(f.v[1].level, ST_DOC_ERROR);
    ck_assert_int_eq(st_findings_status(&f), 2);
    st_findings_clear(&f);
}
END_TEST

START_TEST(qemu_img_check_results)
{
    st_findings f = {0};
    st_doctor_check_qemu_img(&f, &W, 0, "{\"check-errors\": 0}", false);
    st_doctor_check_qemu_img(&f, &W, 63, "", false);
    ck_assert_uint_eq(f.n, 0);
    st_doctor_check_qemu_img(&f, &W, 3, "{\n    \"leaks\": 4,\n    \"check-errors\": 0\n}", false);
    ck_assert_uint_eq(f.n, 1);
    ck_assert_int_eq(f.v[0].level, ST_DOC_WARN);
    ck_assert_str_eq(f.v[0].text, "qemu-img check: 4 leaked clusters (space lost, data safe)");
    st_doctor_check_qemu_img(&f, &W, 2, "{\"corruptions\": 1, \"leaks\": 1}", true);
    ck_assert_uint_eq(f.n, 3);
    ck_assert_int_eq(f.v[1].level, ST_DOC_ERROR);
    ck_assert_str_eq(f.v[1].text, "qemu-img check: 1 corruption (read while a running domain "
                                  "uses it: may be in motion)");
    ck_assert_str_eq(f.v[2].text, "qemu-img check: 1 leaked cluster (space lost, data safe) "
                                  "(read while a running domain uses it: may be in motion)");
    /* Not run at all: a note, which changes no status. */
    st_findings g = {0};
    st_doctor_check_qemu_img(&g, &W, -1, "cannot run /usr/bin/qemu-img: No such file", false);
    ck_assert_uint_eq(g.n, 1);
    ck_assert_int_eq(g.v[0].level, ST_DOC_NOTE);
    ck_assert_int_eq(st_findings_status(&g), 0);
    st_findings_clear(&f);
    st_findings_clear(&g);
}
END_TEST

START_TEST(backing_format_and_its_fix)
{
    st_findings f = {0};
    st_doctor_check_backing_format(&f, &W, "b.qcow2", "qcow2", "qcow2", false);
    st_doctor_check_backing_format(&f, &W, NULL, NULL, NULL, false);
    ck_assert_uint_eq(f.n, 0);
    st_doctor_check_backing_format(&f, &W, "b.qcow2", NULL, "qcow2", false);
    ck_assert_uint_eq(f.n, 1);
    ck_assert_int_eq(f.v[0].fix, ST_FIX_REBASE_FORMAT);
    char *d = st_fix_describe(&f.v[0]);
    ck_assert_str_eq(d, "qemu-img rebase -u -b b.qcow2 -F qcow2 /i/a.qcow2");
    free(d);
    /* In use by a running QEMU, or with no format known below: reported, no fix offered. */
    st_doctor_check_backing_format(&f, &W, "b.qcow2", "", "qcow2", true);
    st_doctor_check_backing_format(&f, &W, "b.qcow2", NULL, NULL, false);
    ck_assert_uint_eq(f.n, 3);
    ck_assert_int_eq(f.v[1].fix, ST_FIX_NONE);
    ck_assert_int_eq(f.v[2].fix, ST_FIX_NONE);
    st_findings_clear(&f);
}
END_TEST

START_TEST(relative_names)
{
    st_findings f = {0};
    st_relative_facts r = {.backing_name = "b.qcow2",
                           .from_image = "/i/b.qcow2",
                           .from_cwd = "/root/b.qcow2",
                           .image_exists = true};
    /* Nothing by that name from here: no tool run here can be misled. */
    st_doctor_check_relative(&f, &W, &r);
    /* The same folder, or one file both ways: nothing either. */
    r.cwd_exists = true;
    r.same_file = true;
    st_doctor_check_relative(&f, &W, &r);
    st_relative_facts same = {.backing_name = "b.qcow2",
                              .from_image = "/i/b.qcow2",
                              .from_cwd = "/i/b.qcow2",
                              .image_exists = true,
                              .cwd_exists = true};
    st_doctor_check_relative(&f, &W, &same);
    ck_assert_uint_eq(f.n, 0);
    r.same_file = false;
    st_doctor_check_relative(&f, &W, &r);
    ck_assert_uint_eq(f.n, 1);
    ck_assert_str_eq(f.v[0].text, "its relative backing name b.qcow2 means /i/b.qcow2 to QEMU "
                                  "but /root/b.qcow2 from the current folder");
    st_relative_facts abs = {.backing_name = "/i/b.qcow2", .from_cwd = "x", .cwd_exists = true};
    st_doctor_check_relative(&f, &W, &abs);
    ck_assert_uint_eq(f.n, 1);
    st_findings_clear(&f);
}
END_TEST

START_TEST(depth_mode_and_definitions)
{
    st_findings f = {0};
    st_doctor_check_depth(&f, &W, 16, 16);
    st_doctor_check_mode(&f, &W, S_IFREG | 0600);
    st_doctor_check_mode(&f, &W, S_IFREG | 0640);
    st_doctor_check_inactive(&f, &W, "/i/a.qcow2", "/i/a.qcow2", true);
    st_doctor_check_inactive(&f, &W, "/i/a.qcow2", NULL, false);
    ck_assert_uint_eq(f.n, 0);
    st_doctor_check_depth(&f, &W, 17, 16);
    ck_assert_str_eq(f.v[0].text, "its chain has 17 layers, more than 16 (merging some shortens "
                                  "it)");
    st_doctor_check_mode(&f, &W, S_IFREG | 0644);
    ck_assert_str_eq(f.v[1].text, "others may read it (mode 0644): it holds guest data");
    ck_assert_int_eq(f.v[1].fix, ST_FIX_CHMOD);
    st_doctor_check_mode(&f, &W, S_IFREG | 0602);
    ck_assert_str_eq(f.v[2].text, "others may write it (mode 0602): it holds guest data");
    st_doctor_check_inactive(&f, &W, "/i/a.qcow2", "/i/old.qcow2", true);
    ck_assert_int_eq(f.v[3].level, ST_DOC_WARN);
    st_doctor_check_inactive(&f, &W, "/i/a.qcow2", "/i/old.qcow2", false);
    ck_assert_int_eq(f.v[4].level, ST_DOC_ERROR);
    ck_assert_str_eq(f.v[4].text, "runs on /i/a.qcow2, but its definition names /i/old.qcow2, "
                                  "which is gone: the next start fails");
    st_findings_clear(&f);
}
END_TEST

START_TEST(snapshot_files)
{
    st_findings f = {0};
    st_doc_where w = {.host = "h", .domain = "vm", .snapshot = "s1"};
    const char *files[] = {"/i/s1.qcow2", "/i/s1.mem"};
    bool gone[] = {true, false};
    st_doctor_check_snapshot_files(&f, &w, files, gone, 0);
    ck_assert_uint_eq(f.n, 0);
    /* One still there: it may be wanted; no deletion offered. */
    st_doctor_check_snapshot_files(&f, &w, files, gone, 2);
    ck_assert_int_eq(f.v[0].level, ST_DOC_WARN);
    ck_assert_int_eq(f.v[0].fix, ST_FIX_NONE);
    /* Every file gone: the metadata alone is left, and its deletion is offered. */
    gone[1] = true;
    st_doctor_check_snapshot_files(&f, &w, files, gone, 2);
    ck_assert_int_eq(f.v[1].level, ST_DOC_ERROR);
    ck_assert_int_eq(f.v[1].fix, ST_FIX_SNAP_METADATA);
    ck_assert_str_eq(f.v[1].text, "snapshot s1 names files that are gone: /i/s1.qcow2, "
                                  "/i/s1.mem");
    /* A remote host: whether they exist is not known. */
    st_doctor_check_snapshot_files(&f, &w, files, NULL, 2);
    ck_assert_int_eq(f.v[2].fix, ST_FIX_NONE);
    st_findings_clear(&f);
}
END_TEST

START_TEST(reports)
{
    st_findings f = {0};
    char *t = text_of(&f, 3);
    ck_assert_str_eq(t, "3 chains checked: healthy\n");
    free(t);
    st_doctor_check_mode(&f, &W, S_IFREG | 0644);
    st_doc_where note = {.host = "far"};
    st_findings_add(&f, ST_DOC_NOTE, "not-local", &note, "not here");
    /* Hostile text from a name or a header never reaches the terminal raw. */
    st_doc_where evil = {.host = "h", .domain = "v\x1b[2Jm", .disk = "vdb"};
    st_doctor_check_depth(&f, &evil, 20, 16);
    t = text_of(&f, 1);
    ck_assert_str_eq(t, "warning: h vm vda /i/a.qcow2: others may read it (mode 0644): it "
                        "holds guest data [fix: chmod 0600 /i/a.qcow2]\n"
                        "note: far: not here\n"
                        "warning: h v\xef\xbf\xbd[2Jm vdb: its chain has 20 layers, more than 16 "
                        "(merging some shortens it)\n"
                        "1 chain checked: 0 errors, 2 warnings\n");
    free(t);
    char *j = json_of(&f, 1);
    ck_assert_str_eq(j, "{\"chains\":1,\"status\":1,\"findings\":[\n"
                        "{\"level\":\"warning\",\"check\":\"mode\",\"host\":\"h\",\"domain\":"
                        "\"vm\",\"disk\":\"vda\",\"path\":\"/i/a.qcow2\",\"snapshot\":null,"
                        "\"text\":\"others may read it (mode 0644): it holds guest data\","
                        "\"fix\":\"chmod\",\"fix_command\":\"chmod 0600 /i/a.qcow2\"},\n"
                        "{\"level\":\"note\",\"check\":\"not-local\",\"host\":\"far\","
                        "\"domain\":null,\"disk\":null,\"path\":null,\"snapshot\":null,"
                        "\"text\":\"not here\",\"fix\":null,\"fix_command\":null},\n"
                        "{\"level\":\"warning\",\"check\":\"depth\",\"host\":\"h\",\"domain\":"
                        "\"v\\u001b[2Jm\",\"disk\":\"vdb\",\"path\":null,\"snapshot\":null,"
                        "\"text\":\"its chain has 20 layers, more than 16 (merging some "
                        "shortens it)\",\"fix\":null,\"fix_command\":null}]}\n");
    free(j);
    /* An image's findings, whichever domain shows it; a disk's and a domain's own. A mode is
     * no row's mark. */
    ck_assert(st_finding_about(&f.v[0], "other", "vdz", "/i/a.qcow2"));
    ck_assert(!st_finding_about(&f.v[0], "vm", "vda", NULL));
    ck_assert_ptr_null(st_findings_row_mark(&f, "other", "vdz", "/i/a.qcow2"));
    ck_assert_ptr_null(st_findings_row_mark(&f, "vm", NULL, NULL));
    ck_assert_ptr_eq(st_findings_row_mark(&f, "v\x1b[2Jm", "vdb", NULL), &f.v[2]);
    st_doctor_check_bits(&f, &W, 2, false);
    ck_assert_ptr_eq(st_findings_row_mark(&f, "x", "y", "/i/a.qcow2"), &f.v[3]);
    st_findings g = {0};
    st_findings_copy(&g, &f);
    ck_assert_uint_eq(g.n, 4);
    ck_assert_str_eq(g.v[0].text, f.v[0].text);
    ck_assert_int_eq(g.v[0].fix, ST_FIX_CHMOD);
    st_findings_clear(&g);
    st_findings_clear(&f);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("doctor");
    TCase *tc = tcase_create("doctor");
    tcase_add_test(tc, header_bits);
    tcase_add_test(tc, qemu_img_check_results);
    tcase_add_test(tc, backing_format_and_its_fix);
    tcase_add_test(tc, relative_names);
    tcase_add_test(tc, depth_mode_and_definitions);
    tcase_add_test(tc, snapshot_files);
    tcase_add_test(tc, reports);
    suite_add_tcase(s, tc);
    return st_run_suite(s);
}
