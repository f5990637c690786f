/*
 * What a disk's and a domain's images occupy on the host: every layer counted, a file held twice
 * (two disks, two spellings of one file) counted once, what other domains share said apart.
 */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "core/space.h"
#include "tap.h"

static st_layer layer(const char *path, uint64_t alloc, uint64_t ino, bool shared)
{
    static char *with[] = {"vm2"};
    st_layer l = {0};
    l.path = (char *)path;
    l.allocation = alloc;
    l.virtual_size = 64 << 20;
    l.dev = ino ? 1 : 0;
    l.ino = ino;
    l.shared_with = shared ? with : NULL;
    l.n_shared = shared;
    return l;
}

START_TEST(shared_layers_count_once)
{
    st_layer a[] = {layer("/i/vda.qcow2", 196 << 10, 10, false),
                    layer("/i/golden.qcow2", 4 << 20, 11, true)};
    /* The second disk names the same base through another path (same inode). */
    st_layer b[] = {layer("/i/vdb.qcow2", 200 << 10, 12, false),
                    layer("/i/../i/golden.qcow2", 4 << 20, 11, true)};
    st_disk disks[] = {{.target = "vda", .chain = a, .n_chain = 2},
                       {.target = "vdb", .chain = b, .n_chain = 2}};
    st_domain d = {.name = "vm1", .disks = disks, .n_disks = 2};
    st_space_total t;
    st_disk_space(&disks[0], &t);
    ck_assert_uint_eq(t.bytes, (196 << 10) + (4 << 20));
    ck_assert_uint_eq(t.files, 2);
    ck_assert_uint_eq(t.shared, 4 << 20);
    char *s = st_space_text(&t);
    ck_assert_str_eq(s, "4.19 MiB in 2 files (4.00 MiB in 1 shared with other domains, counted "
                        "once); virtual 64.0 MiB");
    free(s);
    st_domain_space(&d, &t);
    ck_assert_uint_eq(t.bytes, (196 << 10) + (200 << 10) + (4 << 20));
    ck_assert_uint_eq(t.files, 3);
    ck_assert_uint_eq(t.shared_files, 1);
    ck_assert_uint_eq(t.virtual_size, 128 << 20);
    ck_assert(!t.partial);
}
END_TEST

START_TEST(unknown_occupation_is_a_floor)
{
    st_layer a[] = {layer("/r/top.qcow2", 0, 0, false), layer("/r/base.qcow2", 1 << 20, 0, false)};
    st_disk k = {.target = "vda", .chain = a, .n_chain = 2};
    st_space_total t;
    st_disk_space(&k, &t);
    ck_assert(t.partial);
    char *s = st_space_text(&t);
    ck_assert_str_eq(s, "at least 1.00 MiB in 2 files; virtual 64.0 MiB");
    free(s);
}
END_TEST

/* What merging a layer into the one below frees and adds, from the figures discovery read. */
START_TEST(merge_text)
{
    st_layer a[] = {layer("/i/top.qcow2", 3 << 20, 0, false),
                    layer("/i/mid.qcow2", 1 << 20, 0, true),
                    layer("/i/base.qcow2", 4 << 20, 0, false)};
    a[0].merge_known = true;
    a[0].merge_grows = 1 << 20;
    a[1].merge_known = true;
    a[1].merge_grows = 512 << 10;
    st_disk k = {.target = "vda", .chain = a, .n_chain = 3};
    char *s = st_layer_merge_text(&k, 0, true);
    ck_assert_str_eq(s, "into mid.qcow2: frees 3.00 MiB, mid.qcow2 grows by 1.00 MiB, net "
                        "2.00 MiB freed");
    free(s);
    /* A layer other domains read stays: merging it frees nothing. */
    s = st_layer_merge_text(&k, 1, true);
    ck_assert_str_eq(s, "into base.qcow2: frees 0 B, base.qcow2 grows by 512 KiB, net 512 KiB "
                        "more used");
    free(s);
    ck_assert_ptr_null(st_layer_merge_text(&k, 2, true));
    a[0].merge_known = false;
    s = st_layer_merge_text(&k, 0, false);
    ck_assert_str_eq(s, "into mid.qcow2: unknown (the images are on a remote host: not read from "
                        "here)");
    free(s);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("space");
    TCase *tc = tcase_create("space");
    tcase_add_test(tc, shared_layers_count_once);
    tcase_add_test(tc, unknown_occupation_is_a_floor);
    tcase_add_test(tc, merge_text);
    suite_add_tcase(s, tc);
    return st_run_suite(s);
}
