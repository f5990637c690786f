/*
 * Compaction, the chain doctor's fix for a too deep chain: which commit brings a chain to the
 * limit, and that the depth finding carries it (and only it).
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/compact.h"
#include "tap.h"

static const st_doc_where W = {.host = "h", .domain = "vm", .disk = "vda"};

START_TEST(range)
{
    size_t top = 99, base = 99;
    ck_assert(!st_compact_range(4, 4, &top, &base));
    ck_assert(!st_compact_range(8, 1, &top, &base)); /* only the active layer: no commit */
    ck_assert(!st_compact_range(8, 0, &top, &base));
    ck_assert_uint_eq(top, 99);
    ck_assert(st_compact_range(8, 4, &top, &base));
    /* Layers 1-4 go into layer 5: 0, 5, 6, 7 are left. */
    ck_assert_uint_eq(top, 1);
    ck_assert_uint_eq(base, 5);
    ck_assert(st_compact_range(5, 4, &top, &base));
    ck_assert_uint_eq(base, 2); /* one layer less: the one below the active goes */
    ck_assert(st_compact_range(30, 2, &top, &base));
    ck_assert_uint_eq(base, 29); /* everything below the active one into the bottom */
}
END_TEST

/* A disk of n layers named /i/L0.qcow2 (the active one) to /i/L<n-1>.qcow2. */
static st_disk disk_of(size_t n)
{
    st_disk k = {.target = "vda", .n_chain = n};
    k.chain = calloc(n, sizeof(st_layer));
    for (size_t i = 0; i < n; i++) {
        char name[32];
        snprintf(name, sizeof(name), "/i/L%zu.qcow2", i);
        k.chain[i].path = strdup(name);
    }
    return k;
}

static void disk_free(st_disk *k)
{
    for (size_t i = 0; i < k->n_chain; i++)
        free(k->chain[i].path);
    free(k->chain);
}

START_TEST(offered_on_the_depth_finding)
{
    st_findings f = {0};
    st_disk k = disk_of(8);
    st_doctor_check_mode(&f, &(st_doc_where){.domain = "vm", .path = "/i/L3.qcow2"}, 0644);
    st_doctor_check_depth(&f, &W, k.n_chain, 4);
    st_compact_offer(&f, &W, &k, 4);
    ck_assert_uint_eq(f.n, 2);
    ck_assert_int_eq(f.v[0].fix, ST_FIX_CHMOD); /* the image's finding keeps its own fix */
    ck_assert_int_eq(f.v[1].fix, ST_FIX_COMPACT);
    ck_assert_str_eq(f.v[1].fix_top, "/i/L1.qcow2");
    ck_assert_str_eq(f.v[1].fix_base, "/i/L5.qcow2");
    ck_assert_ptr_eq(st_compact_find(&f, "vm", "vda"), &f.v[1]);
    ck_assert_ptr_null(st_compact_find(&f, "vm", "vdb"));
    char *line = st_fix_describe(&f.v[1]);
    ck_assert_str_eq(line, "compact the chain of vm/vda: commit L1.qcow2 down into L5.qcow2 (a "
                           "commit plan)");
    free(line);
    st_findings copy = {0};
    st_findings_copy(&copy, &f);
    ck_assert_str_eq(copy.v[1].fix_base, "/i/L5.qcow2");
    st_findings_clear(&copy);
    st_findings_clear(&f);
    disk_free(&k);
}
END_TEST

START_TEST(not_offered)
{
    st_findings f = {0};
    st_disk k = disk_of(8);
    /* Within the limit: no finding, nothing to attach to. */
    st_doctor_check_depth(&f, &W, k.n_chain, 8);
    st_compact_offer(&f, &W, &k, 8);
    ck_assert_uint_eq(f.n, 0);
    /* A limit of 1 cannot be met while the active layer stays: the finding has no fix. */
    st_doctor_check_depth(&f, &W, k.n_chain, 1);
    st_compact_offer(&f, &W, &k, 1);
    ck_assert_uint_eq(f.n, 1);
    ck_assert_int_eq(f.v[0].fix, ST_FIX_NONE);
    st_findings_clear(&f);
    /* A layer whose path is not known cannot be named in a plan. */
    free(k.chain[5].path);
    k.chain[5].path = NULL;
    st_doctor_check_depth(&f, &W, k.n_chain, 4);
    st_compact_offer(&f, &W, &k, 4);
    ck_assert_int_eq(f.v[0].fix, ST_FIX_NONE);
    st_findings_clear(&f);
    disk_free(&k);
}
END_TEST

START_TEST(below_where_libvirt_fails)
{
    st_findings f = {0};
    st_disk k = disk_of(25);
    /* The admin allows 30; libvirt 9.0 is known to fail at 25: the fix goes to 24 layers. */
    st_doctor_check_depth(&f, &W, k.n_chain, 30);
    st_doctor_check_libvirt_depth(&f, &W, k.n_chain, 9000000, "9.0.0");
    st_compact_offer(&f, &W, &k, 30);
    ck_assert_uint_eq(f.n, 1);
    ck_assert_str_eq(f.v[0].check, "libvirt-depth");
    ck_assert_int_eq(f.v[0].fix, ST_FIX_COMPACT);
    ck_assert_str_eq(f.v[0].fix_top, "/i/L1.qcow2");
    ck_assert_str_eq(f.v[0].fix_base, "/i/L2.qcow2");
    st_findings_clear(&f);
    /* Below the admin's 16 as well: the depth finding carries it, to 16 layers. */
    st_doctor_check_depth(&f, &W, k.n_chain, 16);
    st_doctor_check_libvirt_depth(&f, &W, k.n_chain, 9000000, "9.0.0");
    st_compact_offer(&f, &W, &k, 16);
    ck_assert_int_eq(f.v[0].fix, ST_FIX_COMPACT);
    ck_assert_str_eq(f.v[0].fix_base, "/i/L10.qcow2");
    ck_assert_int_eq(f.v[1].fix, ST_FIX_NONE);
    st_findings_clear(&f);
    disk_free(&k);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("compact");
    TCase *tc = tcase_create("compact");
    tcase_add_test(tc, range);
    tcase_add_test(tc, offered_on_the_depth_finding);
    tcase_add_test(tc, not_offered);
    tcase_add_test(tc, below_where_libvirt_fails);
    suite_add_tcase(s, tc);
    return st_run_suite(s);
}
