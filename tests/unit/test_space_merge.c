/*
 * The arithmetic of what a merge adds to the image that receives it, on synthetic maps: ranges
 * of data and zeros per layer, as `qemu-img map` would list them.
 */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "core/space_merge.h"
#include "tap.h"

#define K 1024ull
#define C (64 * K) /* the usual cluster */

/* A map from "start:len" pairs in clusters; a negative start marks a zero range. */
static st_qcow2_map map(uint64_t cluster, const long *pairs, size_t n)
{
    st_qcow2_map m = {.cluster = cluster};
    for (size_t i = 0; i + 1 < n; i += 2) {
        bool zero = pairs[i] < 0;
        uint64_t start = (uint64_t)(zero ? -pairs[i] - 1 : pairs[i]) * cluster;
        st_extents_add(zero ? &m.zero : &m.data, start, (uint64_t)pairs[i + 1] * cluster);
    }
    return m;
}

#define MAP(cl, ...)                                                                               \
    map(cl, (const long[]){__VA_ARGS__}, sizeof((const long[]){__VA_ARGS__}) / sizeof(long))

START_TEST(extents_union_minus_align)
{
    st_extents a = {0}, b = {0}, u, d, al;
    st_extents_add(&a, 0, 10);
    st_extents_add(&a, 20, 10);
    st_extents_add(&a, 10, 5); /* out of order: merged with the first */
    ck_assert_uint_eq(a.n, 2);
    ck_assert_uint_eq(a.v[0].len, 15);
    st_extents_add(&b, 5, 20);
    st_extents_union(&a, &b, &u);
    ck_assert_uint_eq(u.n, 1);
    ck_assert_uint_eq(st_extents_bytes(&u), 30);
    st_extents_minus(&a, &b, &d);
    ck_assert_uint_eq(d.n, 2);
    ck_assert_uint_eq(d.v[0].start, 0);
    ck_assert_uint_eq(d.v[0].len, 5);
    ck_assert_uint_eq(d.v[1].start, 25);
    ck_assert_uint_eq(d.v[1].len, 5);
    st_extents_align(&d, 16, &al);
    ck_assert_uint_eq(al.n, 1);
    ck_assert_uint_eq(al.v[0].start, 0);
    ck_assert_uint_eq(al.v[0].len, 32);
    st_extents_clear(&a);
    st_extents_clear(&b);
    st_extents_clear(&u);
    st_extents_clear(&d);
    st_extents_clear(&al);
}
END_TEST

/* A commit grows the base by what the top holds and the base does not: rewritten clusters move
 * nothing. */
START_TEST(commit_counts_only_new_clusters)
{
    st_qcow2_map top = MAP(C, 0, 4, 10, 2);  /* clusters 0-3 and 10-11 */
    st_qcow2_map base = MAP(C, 2, 4, 11, 1); /* clusters 2-5 and 11 */
    /* New in the base: 0, 1 and 10. */
    ck_assert_uint_eq(st_merge_growth(&top, 1, &base, false), 3 * C);
    st_qcow2_map_clear(&top);
    st_qcow2_map_clear(&base);
}
END_TEST

/* A zero range in an upper layer hides the data below it: nothing of it is written. */
START_TEST(zeros_above_hide_data)
{
    st_qcow2_map up = MAP(C, 0, 1, -3, 2); /* data 0, zeros 2-3 */
    st_qcow2_map mid = MAP(C, 2, 4);       /* data 2-5, of which 2-3 hidden */
    st_qcow2_map copied[] = {up, mid};
    st_qcow2_map base = MAP(C, 5, 1);
    /* Lands: 0, 4, 5 (5 is in the base already). */
    ck_assert_uint_eq(st_merge_growth(copied, 2, &base, false), 2 * C);
    st_qcow2_map_clear(&up);
    st_qcow2_map_clear(&mid);
    st_qcow2_map_clear(&base);
}
END_TEST

/* A pull writes only where the active layer maps nothing, zeros included. */
START_TEST(pull_skips_what_the_top_maps)
{
    st_qcow2_map top = MAP(C, 0, 2, -5, 1); /* data 0-1, zeros 4 */
    st_qcow2_map mid = MAP(C, 1, 5);        /* data 1-5 */
    /* Pulled into the top: 2, 3, 5. */
    ck_assert_uint_eq(st_merge_growth(&mid, 1, &top, true), 3 * C);
    /* The same as a commit of mid into top would write 1-5, of which 1 is held: 2-5. */
    ck_assert_uint_eq(st_merge_growth(&mid, 1, &top, false), 4 * C);
    st_qcow2_map_clear(&top);
    st_qcow2_map_clear(&mid);
}
END_TEST

/* The receiver's clusters count: 4 KiB written into a 64 KiB-cluster base takes a whole cluster,
 * and a cluster of which the base holds any subcluster takes nothing more. */
START_TEST(receiver_clusters_count)
{
    st_qcow2_map top = MAP(4 * K, 0, 1, 20, 1, 40, 1); /* 4 KiB at 0, 80 KiB, 160 KiB */
    st_qcow2_map base = {.cluster = C};
    st_extents_add(&base.data, 64 * K + 2 * K, 2 * K); /* a subcluster of cluster 1 */
    /* Clusters 0 (from 0), 1 (80 KiB: held), 2 (160 KiB). */
    ck_assert_uint_eq(st_merge_growth(&top, 1, &base, false), 2 * C);
    st_qcow2_map_clear(&top);
    st_qcow2_map_clear(&base);
}
END_TEST

START_TEST(nothing_to_merge)
{
    uint64_t g = 1;
    char *why = NULL;
    ck_assert(!st_merge_growth_paths(NULL, NULL, 1, false, &g, &why));
    ck_assert_ptr_nonnull(why);
    free(why);
    char *paths[] = {"/nonexistent/top.qcow2", "/nonexistent/base.qcow2"};
    ck_assert(!st_merge_growth_paths(paths, NULL, 2, false, &g, &why));
    ck_assert_ptr_nonnull(strstr(why, "/nonexistent/top.qcow2"));
    free(why);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("space_merge");
    TCase *tc = tcase_create("space_merge");
    tcase_add_test(tc, extents_union_minus_align);
    tcase_add_test(tc, commit_counts_only_new_clusters);
    tcase_add_test(tc, zeros_above_hide_data);
    tcase_add_test(tc, pull_skips_what_the_top_maps);
    tcase_add_test(tc, receiver_clusters_count);
    tcase_add_test(tc, nothing_to_merge);
    suite_add_tcase(s, tc);
    return st_run_suite(s);
}
