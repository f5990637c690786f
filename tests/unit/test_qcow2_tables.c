/*
 * The qcow2 tables that say what an image holds (qcow2_tables.h), on images qemu-img and qemu-io
 * make in a scratch folder: a fresh overlay holds no data, a written one does; an image is at an
 * internal snapshot right after it is taken and after a revert to it, not after a write; a table
 * out of the file is "not known". And the chain walker gives them for the active layer only.
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/util.h"
#include "core/qcow2.h"
#include "core/qcow2_tables.h"
#include "scratch.h"
#include "tap.h"

static char dir[64];

static void setup(void)
{
    scratch_make(dir, sizeof(dir), "tables");
}

static void teardown(void)
{
    scratch_remove(dir);
}

/* Runs a command in the scratch folder (plain names only); the test fails unless it succeeds. */
static void sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void sh(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *cmd = xvasprintf(fmt, ap);
    va_end(ap);
    char *full = xasprintf("cd %s && %s >/dev/null 2>&1", dir, cmd);
    ck_assert_msg(system(full) == 0, "failed: %s", cmd);
    free(full);
    free(cmd);
}

static st_qcow2_tables tables(const char *name)
{
    char *path = xasprintf("%s/%s", dir, name);
    struct stat st;
    uint64_t size;
    char *why = NULL;
    int fd = st_image_open(path, &st, &size, &why);
    ck_assert_int_ge(fd, 0);
    st_qcow2_tables t;
    st_qcow2_tables_fd(fd, size, &t);
    close(fd);
    free(path);
    return t;
}

/* The names the image is at, joined by spaces. */
static char *at(const st_qcow2_tables *t)
{
    strbuf b;
    sb_init(&b);
    for (size_t i = 0; i < t->n_at; i++)
        sb_printf(&b, "%s%s", i ? " " : "", t->at[i]);
    return sb_steal(&b);
}

START_TEST(fresh_and_written)
{
    sh("qemu-img create -q -f qcow2 base.qcow2 64M");
    sh("qemu-img create -q -f qcow2 -b base.qcow2 -F qcow2 top.qcow2");
    st_qcow2_tables t = tables("top.qcow2");
    ck_assert(t.known && !t.holds_data && t.n_at == 0);
    st_qcow2_tables_clear(&t);
    sh("qemu-io -f qcow2 -c 'write -P 0x5a 1M 64K' top.qcow2");
    t = tables("top.qcow2");
    ck_assert(t.known && t.holds_data);
    st_qcow2_tables_clear(&t);
}
END_TEST

START_TEST(internal_snapshots)
{
    sh("qemu-img create -q -f qcow2 vm.qcow2 64M");
    sh("qemu-io -f qcow2 -c 'write -P 0x11 0 1M' vm.qcow2");
    sh("qemu-img snapshot -c s1 vm.qcow2");
    st_qcow2_tables t = tables("vm.qcow2");
    char *names = at(&t);
    ck_assert(t.known && t.holds_data);
    ck_assert_str_eq(names, "s1");
    free(names);
    st_qcow2_tables_clear(&t);
    /* A write copies what the snapshot shares: the image is no longer at it. */
    sh("qemu-io -f qcow2 -c 'write -P 0x22 0 4K' vm.qcow2");
    t = tables("vm.qcow2");
    ck_assert(t.known && t.n_at == 0);
    st_qcow2_tables_clear(&t);
    /* Reverted to it: at it again; a snapshot taken right then is the same state. */
    sh("qemu-img snapshot -a s1 vm.qcow2");
    sh("qemu-img snapshot -c s2 vm.qcow2");
    t = tables("vm.qcow2");
    names = at(&t);
    ck_assert_str_eq(names, "s1 s2");
    free(names);
    st_qcow2_tables_clear(&t);
}
END_TEST

START_TEST(tables_out_of_the_file)
{
    sh("qemu-img create -q -f qcow2 vm.qcow2 64M");
    sh("qemu-img snapshot -c s1 vm.qcow2");
    /* The snapshot table is written after the header: cut the file in the middle of it. */
    sh("truncate -s 200K vm.qcow2");
    st_qcow2_tables t = tables("vm.qcow2");
    ck_assert(!t.known && t.n_at == 0 && !t.holds_data);
    st_qcow2_tables_clear(&t);
    /* Not a qcow2 image at all. */
    sh("head -c 65536 /dev/zero > raw.img");
    t = tables("raw.img");
    ck_assert(!t.known);
    st_qcow2_tables_clear(&t);
}
END_TEST

START_TEST(chain_reads_the_active_layer)
{
    sh("qemu-img create -q -f qcow2 base.qcow2 64M");
    sh("qemu-img snapshot -c inbase base.qcow2");
    sh("qemu-img create -q -f qcow2 -b base.qcow2 -F qcow2 top.qcow2");
    char *path = xasprintf("%s/top.qcow2", dir);
    st_layer *l = NULL;
    size_t n = st_chain_read_local(path, "qcow2", &l);
    ck_assert_uint_eq(n, 2);
    ck_assert_int_eq(l[0].content, ST_CONTENT_EMPTY);
    /* The layers below are never the domain's state: their tables are not read. */
    ck_assert_int_eq(l[1].content, ST_CONTENT_UNKNOWN);
    ck_assert_uint_eq(l[1].n_at_snapshots, 0);
    for (size_t i = 0; i < n; i++)
        st_layer_clear(&l[i]);
    free(l);
    free(path);
}
END_TEST

/* qemu-img check's "image-end-offset" of an image in the scratch folder. */
static uint64_t qemu_end_offset(const char *name)
{
    char *cmd = xasprintf("cd %s && qemu-img check --output=json %s 2>/dev/null", dir, name);
    FILE *f = popen(cmd, "r");
    ck_assert_ptr_nonnull(f);
    char line[512];
    unsigned long long end = 0;
    bool found = false;
    while (fgets(line, sizeof(line), f)) {
        const char *k = strstr(line, "\"image-end-offset\":");
        if (k && sscanf(k + strlen("\"image-end-offset\":"), " %llu", &end) == 1)
            found = true;
    }
    pclose(f);
    free(cmd);
    ck_assert_msg(found, "qemu-img check gave no image end offset for %s", name);
    return end;
}

static uint64_t our_end_offset(const char *name)
{
    char *path = xasprintf("%s/%s", dir, name);
    struct stat st;
    uint64_t size, end = 0;
    char *why = NULL;
    int fd = st_image_open(path, &st, &size, &why);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(st_qcow2_end_offset_fd(fd, size, &end), 0);
    close(fd);
    free(path);
    return end;
}

/*
 * The end of the last used cluster is qemu's for every refcount width (the narrow ones pack
 * several refcounts per byte), fresh and written, with clusters freed at the end.
 */
START_TEST(end_offset_as_qemu_says)
{
    static const char *const widths[] = {"1", "2", "4", "8", "16", "32", "64"};
    for (size_t i = 0; i < sizeof(widths) / sizeof(*widths); i++) {
        char name[32];
        snprintf(name, sizeof(name), "r%s.qcow2", widths[i]);
        sh("qemu-img create -q -f qcow2 -o refcount_bits=%s %s 64M", widths[i], name);
        ck_assert_uint_eq(our_end_offset(name), qemu_end_offset(name));
        sh("qemu-io -c 'write -P 0x11 0 64k' -c 'write -P 0x22 40M 200k' %s", name);
        ck_assert_uint_eq(our_end_offset(name), qemu_end_offset(name));
    }
    /* Version 2 images (fixed 16-bit refcounts), a small cluster size, an internal snapshot. */
    sh("qemu-img create -q -f qcow2 -o compat=0.10,cluster_size=4k v2.qcow2 64M");
    sh("qemu-io -c 'write -P 0x33 1M 300k' v2.qcow2");
    sh("qemu-img snapshot -c s1 v2.qcow2");
    sh("qemu-io -c 'write -P 0x44 1M 300k' v2.qcow2");
    ck_assert_uint_eq(our_end_offset("v2.qcow2"), qemu_end_offset("v2.qcow2"));
    /* Not qcow2 at all: no answer, no crash. */
    sh("qemu-img create -q -f raw plain.raw 1M");
    char *path = xasprintf("%s/plain.raw", dir);
    struct stat st;
    uint64_t size, end;
    char *why = NULL;
    int fd = st_image_open(path, &st, &size, &why);
    ck_assert_int_eq(st_qcow2_end_offset_fd(fd, size, &end), -1);
    close(fd);
    free(path);
}
END_TEST

int main(void)
{
    if (system("qemu-img --version >/dev/null 2>&1 && qemu-io --version >/dev/null 2>&1") != 0) {
        puts("1..0 # SKIP qemu-img and qemu-io are needed");
        return 0;
    }
    Suite *s = suite_create("qcow2_tables");
    TCase *tc = tcase_create("tables");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, fresh_and_written);
    tcase_add_test(tc, internal_snapshots);
    tcase_add_test(tc, tables_out_of_the_file);
    tcase_add_test(tc, chain_reads_the_active_layer);
    tcase_add_test(tc, end_offset_as_qemu_says);
    suite_add_tcase(s, tc);
    return st_run_suite(s);
}
