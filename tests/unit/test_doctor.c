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
#include "core/qcow2_check.h"
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

/* libvirt before 12.0 fails past about 25 external snapshots: the warning comes at 25 layers
 * there, never on 12.0 or later, nor when the version is not known; the text names the version. */
START_TEST(libvirt_depth_by_version)
{
    ck_assert_uint_eq(st_doctor_libvirt_depth(9000000), 25);
    ck_assert_uint_eq(st_doctor_libvirt_depth(11003000), 25);
    ck_assert_uint_eq(st_doctor_libvirt_depth(11999999), 25);
    ck_assert_uint_eq(st_doctor_libvirt_depth(12000000), 0);
    ck_assert_uint_eq(st_doctor_libvirt_depth(12001000), 0);
    ck_assert_uint_eq(st_doctor_libvirt_depth(0), 0);
    st_findings f = {0};
    st_doctor_check_libvirt_depth(&f, &W, 24, 9000000, "9.0.0");
    st_doctor_check_libvirt_depth(&f, &W, 40, 12000000, "12.0.0");
    st_doctor_check_libvirt_depth(&f, &W, 40, 0, NULL);
    ck_assert_uint_eq(f.n, 0);
    st_doctor_check_libvirt_depth(&f, &W, 25, 11003000, "11.3.0");
    ck_assert_uint_eq(f.n, 1);
    ck_assert_int_eq(f.v[0].level, ST_DOC_WARN);
    ck_assert_str_eq(f.v[0].check, "libvirt-depth");
    ck_assert_str_eq(f.v[0].text, "its chain has 25 layers: libvirt 11.3.0 (before 12.0) is known "
                                  "to fail past about 25 external snapshots (merging some "
                                  "shortens it)");
    st_findings_clear(&f);
}
END_TEST

/* A running domain's image that its profile does not let QEMU read is a warning; one it lists
 * (quoted, or by a glob) is not, and a deny rule wins over an allow rule. */
START_TEST(apparmor_profile)
{
    st_aa_profile p;
    st_aa_parse("#include <abstractions/base>\n"
                "  \"/i/a.qcow2\" rwk,\n"
                "  \"/i/base/*.qcow2\" r,\n"
                "  deny \"/i/base/secret.qcow2\" r,\n",
                "/aa/libvirt-u.files", &p);
    ck_assert(st_aa_allows_read(&p, "/i/a.qcow2"));
    ck_assert(st_aa_allows_read(&p, "/i/base/b.qcow2"));
    ck_assert(!st_aa_allows_read(&p, "/i/base/secret.qcow2"));
    ck_assert(!st_aa_allows_read(&p, "/i/other.qcow2"));
    st_findings f = {0};
    st_doctor_check_aa_profile(&f, &W, &p);
    st_doctor_check_aa_profile(&f, &W, NULL);
    ck_assert_uint_eq(f.n, 0);
    st_doc_where w = W;
    w.path = "/i/other.qcow2";
    st_doctor_check_aa_profile(&f, &w, &p);
    ck_assert_uint_eq(f.n, 1);
    ck_assert_str_eq(f.v[0].check, "apparmor-profile");
    ck_assert_str_eq(f.v[0].text, "it is not in the domain's AppArmor profile /aa/libvirt-u.files: "
                                  "QEMU is denied it when it opens it again (a block job, a "
                                  "snapshot)");
    st_findings_clear(&f);
    st_aa_profile_clear(&p);
}
END_TEST

/* Denials as the audit log and the kernel log write them (a name the kernel hex-encoded too),
 * counted per file, profile and mask, with the last time; other lines are not denials. */
START_TEST(apparmor_denials)
{
    st_aa_denials d = {0};
    const char *lines[] = {
        "type=AVC msg=audit(1765155723.120:88): apparmor=\"DENIED\" operation=\"open\" "
        "profile=\"libvirt-u\" name=\"/i/a.qcow2\" pid=42 comm=\"qemu-system-x86\" "
        "requested_mask=\"r\" denied_mask=\"r\" fsuid=64055 ouid=64055",
        "Dec  8 01:02:03 h kernel: [ 12.5] audit: type=1400 audit(1765155783.500:91): "
        "apparmor=\"DENIED\" operation=\"open\" profile=\"libvirt-u\" name=\"/i/a.qcow2\" "
        "pid=42 comm=\"qemu-system-x86\" requested_mask=\"r\" denied_mask=\"r\"",
        "type=AVC msg=audit(1765155800.000:95): apparmor=\"DENIED\" operation=\"open\" "
        "profile=\"libvirt-u\" name=2F692F6120622E71636F7732 denied_mask=\"rw\"",
        "type=AVC msg=audit(1765155801.000:96): apparmor=\"ALLOWED\" operation=\"open\" "
        "profile=\"libvirt-u\" name=\"/i/c.qcow2\" denied_mask=\"r\"",
        "type=AVC msg=audit(1765155802.000:97): apparmor=\"DENIED\" operation=\"capable\" "
        "profile=\"libvirt-u\" capname=\"sys_admin\"",
    };
    for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
        st_aa_denials_add_line(&d, lines[i], "/log");
    ck_assert_uint_eq(d.n, 2);
    const st_aa_denial *a = st_aa_denials_find(&d, "/i/a.qcow2");
    ck_assert_ptr_nonnull(a);
    ck_assert_uint_eq(a->count, 2);
    ck_assert_int_eq(a->last, 1765155783);
    ck_assert_ptr_nonnull(st_aa_denials_find(&d, "/i/a b.qcow2"));
    ck_assert_ptr_null(st_aa_denials_find(&d, "/i/c.qcow2"));
    st_findings f = {0};
    st_doctor_check_aa_denied(&f, &W, NULL);
    st_doctor_check_aa_denied(&f, &W, a);
    ck_assert_uint_eq(f.n, 1);
    ck_assert_str_eq(f.v[0].check, "apparmor-denied");
    ck_assert_str_eq(f.v[0].text, "AppArmor denied r access to it 2 times, last at 2025-12-08 "
                                  "01:03:03 UTC (profile libvirt-u, /log)");
    st_findings_clear(&f);
    st_aa_denials_clear(&d);
}
END_TEST

/* An in-memory image for the qcow2 check. */
typedef struct mem {
    const unsigned char *p;
    size_t n;
} mem;

static ssize_t mem_read(void *ctx, void *buf, size_t len, uint64_t off)
{
    const mem *m = ctx;
    if (off >= m->n)
        return 0;
    size_t k = len < m->n - off ? len : (size_t)(m->n - off);
    memcpy(buf, m->p + off, k);
    return (ssize_t)k;
}

static void put32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char)(v >> (24 - 8 * i));
}

static void put64(unsigned char *p, uint64_t v)
{
    put32(p, (uint32_t)(v >> 32));
    put32(p + 4, (uint32_t)v);
}

/* A v3 image of 512-byte clusters: header 0, refcount table 1, refcount block 2, L1 table 3. */
static void tiny_image(unsigned char *img, size_t n)
{
    memset(img, 0, n);
    put32(img, 0x514649fb);
    put32(img + 4, 3);
    put32(img + 20, 9);
    put64(img + 24, 1 << 20);
    put32(img + 36, 1);       /* one L1 entry */
    put64(img + 40, 3 * 512); /* L1 */
    put64(img + 48, 512);     /* refcount table */
    put32(img + 56, 1);
    put32(img + 96, 4);
    put32(img + 100, 104);
    put64(img + 512, 2 * 512); /* the refcount block */
    for (int c = 0; c < 4; c++)
        img[2 * 512 + 2 * c + 1] = 1;
}

/* The counts of a hand-made image; what it does not judge (snapshots, an odd refcount width,
 * the corrupt bit, tables out of the file) is left to qemu-img, and garbage never crashes it. */
START_TEST(qcow2_counts)
{
    unsigned char img[4 * 512];
    mem m = {img, sizeof(img)};
    st_qcow2_counts c;
    tiny_image(img, sizeof(img));
    ck_assert_int_eq(st_qcow2_check(mem_read, &m, sizeof(img), &c), ST_QCHECK_DONE);
    ck_assert_uint_eq(c.corruptions, 0);
    ck_assert_uint_eq(c.leaks, 0);
    img[2 * 512 + 2 * 3 + 1] = 2; /* the L1 table counted twice */
    ck_assert_int_eq(st_qcow2_check(mem_read, &m, sizeof(img), &c), ST_QCHECK_DONE);
    ck_assert_uint_eq(c.leaks, 1);
    img[2 * 512 + 2 * 3 + 1] = 0; /* and not at all */
    ck_assert_int_eq(st_qcow2_check(mem_read, &m, sizeof(img), &c), ST_QCHECK_DONE);
    ck_assert_uint_eq(c.corruptions, 1);
    ck_assert_uint_eq(c.leaks, 0);
    tiny_image(img, sizeof(img));
    put32(img + 60, 1); /* an internal snapshot */
    ck_assert_int_eq(st_qcow2_check(mem_read, &m, sizeof(img), &c), ST_QCHECK_ASK_QEMU);
    tiny_image(img, sizeof(img));
    put32(img + 96, 5); /* 32-bit refcounts */
    ck_assert_int_eq(st_qcow2_check(mem_read, &m, sizeof(img), &c), ST_QCHECK_ASK_QEMU);
    tiny_image(img, sizeof(img));
    img[79] = 2; /* the corrupt bit */
    ck_assert_int_eq(st_qcow2_check(mem_read, &m, sizeof(img), &c), ST_QCHECK_ASK_QEMU);
    tiny_image(img, sizeof(img));
    put64(img + 3 * 512, 1ull << 40); /* an L2 table past the end */
    ck_assert_int_eq(st_qcow2_check(mem_read, &m, sizeof(img), &c), ST_QCHECK_ASK_QEMU);
    ck_assert_int_eq(st_qcow2_check(mem_read, &m, 100, &c), ST_QCHECK_ASK_QEMU);
    srand(7);
    for (int round = 0; round < 2000; round++) {
        tiny_image(img, sizeof(img));
        for (int k = 0; k < 8; k++)
            img[8 + rand() % (int)(sizeof(img) - 8)] = (unsigned char)rand();
        st_qcow2_check(mem_read, &m, sizeof(img), &c);
    }
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
    tcase_add_test(tc, libvirt_depth_by_version);
    tcase_add_test(tc, apparmor_profile);
    tcase_add_test(tc, apparmor_denials);
    tcase_add_test(tc, qcow2_counts);
    suite_add_tcase(s, tc);
    return st_run_suite(s);
}
