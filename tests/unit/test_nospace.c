/*
 * A want of space told in words: the filesystem that holds a folder (its mount point, free and
 * total), when it counts as full, and the reasons and notices with what to do.
 */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "core/nospace.h"
#include "tap.h"

#define MiB 1048576ull

START_TEST(filesystem_of_a_folder)
{
    st_fs_space fs;
    ck_assert(st_fs_space_of("/", &fs));
    ck_assert_str_eq(fs.mount, "/");
    ck_assert(fs.total_bytes > 0 && fs.free_bytes <= fs.total_bytes);
    st_fs_space_clear(&fs);
    /* /proc is a filesystem of its own: its mount point is where the way up leaves it. */
    ck_assert(st_fs_space_of("/proc/self", &fs));
    ck_assert_str_eq(fs.mount, "/proc");
    st_fs_space_clear(&fs);
    /* The way up from a path through ".." is the way up from where it leads. */
    ck_assert(st_fs_space_of("/proc/self/../self", &fs));
    ck_assert_str_eq(fs.mount, "/proc");
    st_fs_space_clear(&fs);
    ck_assert(st_fs_space_of("/proc/..", &fs));
    ck_assert_str_eq(fs.mount, "/");
    st_fs_space_clear(&fs);
    ck_assert(!st_fs_space_of("relative/dir", &fs));
    ck_assert(!st_fs_space_of(NULL, &fs));
    ck_assert(!st_fs_space_of("/no/such/folder/here", &fs));
}
END_TEST

START_TEST(full_below_a_mebibyte)
{
    st_fs_space fs = {.mount = NULL, .free_bytes = 0, .total_bytes = 16 * MiB};
    ck_assert(st_fs_full(&fs));
    fs.free_bytes = MiB - 1;
    ck_assert(st_fs_full(&fs));
    fs.free_bytes = MiB;
    ck_assert(!st_fs_full(&fs));
}
END_TEST

START_TEST(reasons_say_what_to_do)
{
    st_fs_space fs = {.mount = "/srv/images", .free_bytes = 0, .total_bytes = 16 * MiB};
    char *r = st_nospace_job_reason(&fs, "vm1", false);
    ck_assert_str_eq(r, "no space left on the filesystem at /srv/images (0 B free of 16.0 MiB): "
                        "free space there, then start the merge again");
    free(r);
    /* Paused on the error: the domain is to be resumed before the merge is tried again. */
    r = st_nospace_job_reason(&fs, "vm1", true);
    ck_assert_str_eq(r, "no space left on the filesystem at /srv/images (0 B free of 16.0 MiB): "
                        "free space there, resume vm1 (virsh resume vm1), then start the merge "
                        "again");
    free(r);
    /* No filesystem known (a remote host): QEMU's word alone. */
    r = st_nospace_job_reason(NULL, "vm1", false);
    ck_assert_str_eq(r, "QEMU ran out of space for the image (ENOSPC): free space there, then "
                        "start the merge again");
    free(r);
}
END_TEST

START_TEST(pause_notices)
{
    st_fs_space fs = {.mount = "/srv", .free_bytes = 4096, .total_bytes = 4 * MiB};
    char *n = st_nospace_pause_notice(&fs, "vm1", "vda", NULL);
    ck_assert_str_eq(n, "vm1 is paused: its disk vda could not be written, no space left on the "
                        "filesystem at /srv (4.00 KiB free of 4.00 MiB). Free space there, then "
                        "resume it (virsh resume vm1)");
    free(n);
    n = st_nospace_pause_notice(&fs, "vm1", "vda", "commit on vm1/vda");
    ck_assert_str_eq(n, "vm1 is paused: its disk vda could not be written, no space left on the "
                        "filesystem at /srv (4.00 KiB free of 4.00 MiB), and the commit on "
                        "vm1/vda failed of it. Free space there, resume it (virsh resume vm1), "
                        "then start the merge again");
    free(n);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("nospace");
    TCase *tc = tcase_create("nospace");
    tcase_add_test(tc, filesystem_of_a_folder);
    tcase_add_test(tc, full_below_a_mebibyte);
    tcase_add_test(tc, reasons_say_what_to_do);
    tcase_add_test(tc, pause_notices);
    suite_add_tcase(s, tc);
    return st_run_suite(s);
}
