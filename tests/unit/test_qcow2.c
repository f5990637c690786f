/*
 * The image header reader and the local chain walker, on images made by qemu-img in a scratch
 * folder, on hand-made headers fed from memory, on seeded mutations of valid headers and on the
 * libFuzzer target's corpus (tests/fuzz/corpus_qcow2), so that make check replays it.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <dirent.h>

#include "base/util.h"
#include "core/qcow2.h"
#include "core/space_merge.h"
#include "fixture.h"
#include "scratch.h"
#include "tap.h"

extern char **environ;

#define MiB (1024ull * 1024)

/* The scratch folder of the running test (each test runs in its own process). */
static char dir[PATH_MAX];

static void setup(void)
{
    scratch_make(dir, sizeof(dir), "qcow2");
}

static void teardown(void)
{
    scratch_remove(dir);
}

/* dir/name, to be freed. */
static char *in_dir(const char *name)
{
    return xasprintf("%s/%s", dir, name);
}

/* Runs argv (no shell, so names pass byte-exact) quietly; returns its exit status. */
static int run_argv(char *const argv[])
{
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    pid_t pid;
    int rc = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    ck_assert_int_eq(rc, 0);
    int status;
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* qemu-img with a NULL-terminated argument list; the test fails unless it succeeds. */
static void qemu_img(const char *arg, ...)
{
    char *argv[32] = {"qemu-img"};
    size_t n = 1;
    strbuf cmd;
    sb_init(&cmd);
    sb_add(&cmd, "qemu-img");
    va_list ap;
    va_start(ap, arg);
    for (const char *a = arg; a && n < 31; a = va_arg(ap, const char *)) {
        argv[n++] = (char *)a;
        sb_printf(&cmd, " %s", a);
    }
    va_end(ap);
    argv[n] = NULL;
    ck_assert_msg(run_argv(argv) == 0, "failed: %s", cmd.s);
    sb_free(&cmd);
}

/* Creates dir/name as a qcow2 (v3) of `size`, over `backing` of format `bfmt` when given. */
static char *mk_qcow2(const char *name, const char *size, const char *backing, const char *bfmt)
{
    char *path = in_dir(name);
    if (backing)
        qemu_img("create", "-q", "-f", "qcow2", "-b", backing, "-F", bfmt, path, size, NULL);
    else
        qemu_img("create", "-q", "-f", "qcow2", path, size, NULL);
    return path;
}

static void write_file(const char *path, const void *buf, size_t len)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, buf, len), (ssize_t)len);
    close(fd);
}

/* Reads the first `cap` bytes of a file. */
static size_t read_head(const char *path, uint8_t *buf, size_t cap)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    ck_assert_int_ge(fd, 0);
    ssize_t n = read(fd, buf, cap);
    ck_assert_int_gt(n, 0);
    close(fd);
    return (size_t)n;
}

static void free_chain(st_layer *l, size_t n)
{
    for (size_t i = 0; i < n; i++)
        st_layer_clear(&l[i]);
    free(l);
}

/* ---- Hand-made headers, fed through a memory reader ---- */

typedef struct mem {
    const uint8_t *p;
    size_t n;
    bool fail;
    size_t chunk; /* largest read returned at once; 0: no limit */
} mem;

static ssize_t mem_read(void *ctx, void *buf, size_t len, uint64_t off)
{
    const mem *m = ctx;
    if (m->fail)
        return -1;
    if (off >= m->n)
        return 0;
    size_t k = m->n - off < len ? m->n - off : len;
    if (m->chunk && k > m->chunk)
        k = m->chunk;
    memcpy(buf, m->p + off, k);
    return (ssize_t)k;
}

static int probe_mem(const uint8_t *p, size_t n, const char *hint, st_image_info *out)
{
    mem m = {p, n, false, 0};
    return st_image_probe(mem_read, &m, n, hint, out);
}

static void put_be32(uint8_t *p, uint32_t v)
{
    p[0] = v >> 24;
    p[1] = v >> 16;
    p[2] = v >> 8;
    p[3] = v;
}

static void put_be64(uint8_t *p, uint64_t v)
{
    put_be32(p, v >> 32);
    put_be32(p + 4, (uint32_t)v);
}

static void put_le32(uint8_t *p, uint32_t v)
{
    p[0] = v;
    p[1] = v >> 8;
    p[2] = v >> 16;
    p[3] = v >> 24;
}

static void put_le64(uint8_t *p, uint64_t v)
{
    put_le32(p, (uint32_t)v);
    put_le32(p + 4, v >> 32);
}

typedef struct craft {
    unsigned version; /* 2 or 3 */
    uint64_t vsize;
    const char *bname; /* NULL: no backing file */
    size_t blen;       /* 0: strlen(bname) */
    const char *bfmt;  /* NULL: no backing format extension */
    uint64_t incompat; /* v3 only */
} craft;

/*
 * Lays out a qcow2 header the way qemu does: fixed header (72 bytes for v2, 112 for v3), the
 * backing format extension, the end marker, then the backing name. Returns the bytes used.
 */
static size_t build_qcow2(uint8_t *buf, size_t cap, const craft *c)
{
    memset(buf, 0, cap);
    memcpy(buf, "QFI\xfb", 4);
    put_be32(buf + 4, c->version);
    put_be32(buf + 20, 16); /* 64 KiB clusters */
    put_be64(buf + 24, c->vsize);
    size_t off = 72;
    if (c->version == 3) {
        put_be64(buf + 72, c->incompat);
        put_be32(buf + 96, 4);
        put_be32(buf + 100, 112);
        off = 112;
    }
    if (c->bfmt) {
        size_t fl = strlen(c->bfmt);
        put_be32(buf + off, 0xe2792aca);
        put_be32(buf + off + 4, (uint32_t)fl);
        memcpy(buf + off + 8, c->bfmt, fl);
        off += 8 + ((fl + 7) & ~(size_t)7);
    }
    off += 8; /* end marker: type 0, length 0 */
    if (c->bname) {
        size_t bl = c->blen ? c->blen : strlen(c->bname);
        ck_assert_uint_le(off + bl, cap);
        put_be64(buf + 8, off);
        put_be32(buf + 16, (uint32_t)bl);
        memcpy(buf + off, c->bname, bl);
        off += bl;
    }
    return off;
}

/* ---- qcow2 headers written by qemu-img ---- */

START_TEST(test_qemu_v3_plain)
{
    char *p = mk_qcow2("a.qcow2", "1G", NULL, NULL);
    st_image_info info;
    ck_assert_int_eq(st_image_probe_path(p, NULL, &info), 0);
    ck_assert_str_eq(info.format, "qcow2");
    ck_assert_uint_eq(info.version, 3);
    ck_assert_uint_eq(info.virtual_size, 1ull << 30);
    ck_assert_ptr_null(info.backing_name);
    ck_assert_ptr_null(info.backing_fmt);
    ck_assert_ptr_null(info.warning);
    ck_assert_ptr_null(info.error);
    ck_assert(!info.refused);
    st_image_info_clear(&info);
    free(p);
}
END_TEST

START_TEST(test_qemu_v3_backing)
{
    free(mk_qcow2("base.qcow2", "64M", NULL, NULL));
    char *p = mk_qcow2("top.qcow2", "128M", "base.qcow2", "qcow2");
    st_image_info info;
    ck_assert_int_eq(st_image_probe_path(p, "qcow2", &info), 0);
    ck_assert_str_eq(info.format, "qcow2");
    ck_assert_uint_eq(info.version, 3);
    ck_assert_uint_eq(info.virtual_size, 128 * MiB);
    ck_assert_str_eq(info.backing_name, "base.qcow2");
    ck_assert_str_eq(info.backing_fmt, "qcow2");
    ck_assert_ptr_null(info.error);
    st_image_info_clear(&info);
    free(p);
}
END_TEST

START_TEST(test_qemu_v2_backing)
{
    char *base = in_dir("base.raw");
    qemu_img("create", "-q", "-f", "raw", base, "32M", NULL);
    char *p = in_dir("v2.qcow2");
    qemu_img("create", "-q", "-f", "qcow2", "-o", "compat=0.10", "-b", base, "-F", "raw", p, NULL);
    st_image_info info;
    ck_assert_int_eq(st_image_probe_path(p, NULL, &info), 0);
    ck_assert_str_eq(info.format, "qcow2");
    ck_assert_uint_eq(info.version, 2);
    ck_assert_uint_eq(info.virtual_size, 32 * MiB);
    ck_assert_str_eq(info.backing_name, base); /* absolute, as given */
    ck_assert_str_eq(info.backing_fmt, "raw");
    ck_assert_uint_eq(info.incompatible, 0);
    st_image_info_clear(&info);
    free(p);
    free(base);
}
END_TEST

/* ---- hand-made qcow2 headers ---- */

START_TEST(test_crafted_v2_no_fmt)
{
    uint8_t buf[512];
    craft c = {.version = 2, .vsize = 5 * MiB, .bname = "../images/base.img"};
    size_t n = build_qcow2(buf, sizeof(buf), &c);
    st_image_info info;
    ck_assert_int_eq(probe_mem(buf, n, NULL, &info), 0);
    ck_assert_str_eq(info.format, "qcow2");
    ck_assert_uint_eq(info.version, 2);
    ck_assert_uint_eq(info.virtual_size, 5 * MiB);
    ck_assert_str_eq(info.backing_name, "../images/base.img");
    ck_assert_ptr_null(info.backing_fmt);
    st_image_info_clear(&info);
}
END_TEST

START_TEST(test_crafted_v3_fmt)
{
    uint8_t buf[512];
    craft c = {.version = 3, .vsize = 7 * MiB, .bname = "/var/lib/b.qcow2", .bfmt = "qcow2"};
    size_t n = build_qcow2(buf, sizeof(buf), &c);
    st_image_info info;
    ck_assert_int_eq(probe_mem(buf, n, "qcow2", &info), 0);
    ck_assert_uint_eq(info.version, 3);
    ck_assert_uint_eq(info.virtual_size, 7 * MiB);
    ck_assert_str_eq(info.backing_name, "/var/lib/b.qcow2");
    ck_assert_str_eq(info.backing_fmt, "qcow2");
    st_image_info_clear(&info);

    /* A v3 header of the minimum 104 bytes: extensions start there. */
    c.bname = NULL;
    n = build_qcow2(buf, sizeof(buf), &c);
    put_be32(buf + 100, 104);
    memmove(buf + 104, buf + 112, n - 112);
    ck_assert_int_eq(probe_mem(buf, n - 8, NULL, &info), 0);
    ck_assert_str_eq(info.backing_fmt, "qcow2");
    ck_assert_ptr_null(info.backing_name);
    st_image_info_clear(&info);
}
END_TEST

START_TEST(test_feature_bits)
{
    uint8_t buf[512];
    craft c = {.version = 3, .vsize = MiB, .incompat = 1 | 4};
    size_t n = build_qcow2(buf, sizeof(buf), &c);
    st_image_info info;
    ck_assert_int_eq(probe_mem(buf, n, NULL, &info), 0);
    ck_assert_uint_eq(info.incompatible, 5);
    ck_assert_str_eq(info.warning, "marked dirty; external data file");
    ck_assert(!info.refused);
    st_image_info_clear(&info);

    put_be64(buf + 72, 2);
    ck_assert_int_eq(probe_mem(buf, n, NULL, &info), 0);
    ck_assert_str_eq(info.warning, "marked corrupt");
    ck_assert(info.refused);
    st_image_info_clear(&info);

    /* Unknown bits: qemu refuses the image, but the header is still reported. */
    put_be64(buf + 72, (1ull << 40) | 8);
    ck_assert_int_eq(probe_mem(buf, n, NULL, &info), 0);
    ck_assert_str_eq(info.warning, "unknown incompatible features 0x10000000000");
    ck_assert(info.refused);
    ck_assert_uint_eq(info.virtual_size, MiB);
    ck_assert_ptr_null(info.error);
    st_image_info_clear(&info);
}
END_TEST

START_TEST(test_truncated_every_length)
{
    free(mk_qcow2("base.qcow2", "16M", NULL, NULL));
    char *v3 = mk_qcow2("v3.qcow2", "16M", "base.qcow2", "qcow2");
    char *v2 = in_dir("v2.qcow2");
    qemu_img("create", "-q", "-f", "qcow2", "-o", "compat=0.10", "-b", "base.qcow2", "-F", "qcow2",
             v2, NULL);
    uint8_t h3[4096], h2[4096];
    ck_assert_uint_eq(read_head(v3, h3, sizeof(h3)), sizeof(h3));
    ck_assert_uint_eq(read_head(v2, h2, sizeof(h2)), sizeof(h2));
    /* v2: the header is complete once the backing name (which qemu puts last) is. */
    size_t v2_end =
        (size_t)(((uint64_t)h2[12] << 24 | h2[13] << 16 | h2[14] << 8 | h2[15]) + h2[19]);
    ck_assert_uint_eq(v2_end, 96 + strlen("base.qcow2"));

    for (size_t len = 0; len <= 120; len++) {
        st_image_info info;
        int r3 = probe_mem(h3, len, NULL, &info);
        if (len < 4) {
            ck_assert_int_eq(r3, 0);
            ck_assert_str_eq(info.format, "raw");
            ck_assert_uint_eq(info.virtual_size, len);
        } else {
            ck_assert_msg(r3 == -1 && info.error, "v3 cut at %zu bytes was accepted", len);
            ck_assert_str_eq(info.format, "qcow2");
        }
        st_image_info_clear(&info);

        int r2 = probe_mem(h2, len, NULL, &info);
        if (len >= 4 && len < v2_end)
            ck_assert_msg(r2 == -1 && info.error, "v2 cut at %zu bytes was accepted", len);
        else
            ck_assert_msg(r2 == 0 && !info.error, "v2 cut at %zu: %s", len, info.error);
        if (len >= v2_end)
            ck_assert_str_eq(info.backing_name, "base.qcow2");
        st_image_info_clear(&info);
    }
    st_image_info info;
    ck_assert_int_eq(probe_mem(h3, 40, NULL, &info), -1);
    ck_assert_str_eq(info.error, "truncated qcow2 header");
    st_image_info_clear(&info);
    free(v3);
    free(v2);
}
END_TEST

START_TEST(test_backing_name_huge)
{
    uint8_t buf[512];
    for (unsigned v = 2; v <= 3; v++) {
        craft c = {.version = v, .vsize = MiB, .bname = "base.qcow2", .bfmt = "qcow2"};
        size_t n = build_qcow2(buf, sizeof(buf), &c);
        put_be32(buf + 16, 0x7fffffff);
        st_image_info info;
        ck_assert_int_eq(probe_mem(buf, n, NULL, &info), -1);
        ck_assert_str_eq(info.error, "backing file name too long (2147483647 bytes)");
        ck_assert_ptr_null(info.backing_name);
        st_image_info_clear(&info);

        /* One byte over qemu's limit is refused too; the limit itself is fine. */
        uint8_t big[2048];
        char name[1025];
        memset(name, 'n', sizeof(name) - 1);
        name[1024] = '\0';
        c.bname = name;
        n = build_qcow2(big, sizeof(big), &c);
        ck_assert_int_eq(probe_mem(big, n, NULL, &info), -1);
        ck_assert_str_eq(info.error, "backing file name too long (1024 bytes)");
        st_image_info_clear(&info);
        name[1023] = '\0';
        n = build_qcow2(big, sizeof(big), &c);
        ck_assert_int_eq(probe_mem(big, n, NULL, &info), 0);
        ck_assert_uint_eq(strlen(info.backing_name), 1023);
        st_image_info_clear(&info);
    }
}
END_TEST

START_TEST(test_backing_offset_bad)
{
    uint8_t buf[512];
    craft c = {.version = 3, .vsize = MiB, .bname = "base.qcow2"};
    size_t n = build_qcow2(buf, sizeof(buf), &c);
    st_image_info info;

    put_be64(buf + 8, 60000); /* inside the first cluster, past the end of the file */
    ck_assert_int_eq(probe_mem(buf, n, NULL, &info), -1);
    ck_assert_str_eq(info.error, "backing file name beyond end of file");
    st_image_info_clear(&info);

    put_be64(buf + 8, 65536 - 4); /* name runs over the end of the first cluster */
    ck_assert_int_eq(probe_mem(buf, n, NULL, &info), -1);
    ck_assert_str_eq(info.error, "backing file name outside the header");
    st_image_info_clear(&info);

    put_be64(buf + 8, UINT64_MAX - 3);
    ck_assert_int_eq(probe_mem(buf, n, NULL, &info), -1);
    ck_assert_str_eq(info.error, "backing file offset beyond first cluster");
    st_image_info_clear(&info);
}
END_TEST

START_TEST(test_extension_overflow)
{
    uint8_t buf[512];
    craft c = {.version = 3, .vsize = MiB, .bname = "base.qcow2", .bfmt = "qcow2"};
    size_t n = build_qcow2(buf, sizeof(buf), &c);
    st_image_info info;

    put_be32(buf + 116, 0xffffffff);
    ck_assert_int_eq(probe_mem(buf, n, NULL, &info), -1);
    ck_assert_str_eq(info.error, "qcow2 header extension too large (4294967295 bytes)");
    st_image_info_clear(&info);

    /* Length 0xfffffff9: padding to 8 would wrap a 32-bit offset. */
    put_be32(buf + 116, 0xfffffff9);
    ck_assert_int_eq(probe_mem(buf, n, NULL, &info), -1);
    ck_assert_ptr_nonnull(strstr(info.error, "too large"));
    st_image_info_clear(&info);

    /* A backing format too long for qemu's buffer. */
    put_be32(buf + 116, 16);
    ck_assert_int_eq(probe_mem(buf, n, NULL, &info), -1);
    ck_assert_str_eq(info.error, "backing format too long (16 bytes)");
    st_image_info_clear(&info);

    /* Backing format bytes that are no driver name. */
    put_be32(buf + 116, 5);
    memcpy(buf + 120, "q\x1b[1m", 5);
    ck_assert_int_eq(probe_mem(buf, n, NULL, &info), -1);
    ck_assert_str_eq(info.error, "invalid backing format name");
    st_image_info_clear(&info);
}
END_TEST

START_TEST(test_extension_walk_bounded)
{
    /* A whole 64 KiB cluster of empty unknown extensions and no end marker. */
    size_t n = 65536;
    uint8_t *buf = xcalloc(1, n);
    craft c = {.version = 3, .vsize = MiB};
    build_qcow2(buf, n, &c);
    for (size_t off = 112; off + 8 <= n; off += 8)
        put_be32(buf + off, 0x12345678);
    st_image_info info;
    ck_assert_int_eq(probe_mem(buf, n, NULL, &info), -1);
    ck_assert_str_eq(info.error, "too many qcow2 header extensions");
    st_image_info_clear(&info);

    /* A few unknown ones are skipped; the walk stops at the end of the first cluster. */
    for (size_t off = 112 + 8 * 10; off + 8 <= n; off += 8)
        put_be32(buf + off, 0);
    put_be32(buf + 112 + 8 * 3 + 4, 8); /* one with 8 bytes of data */
    ck_assert_int_eq(probe_mem(buf, n, NULL, &info), 0);
    st_image_info_clear(&info);

    /* Cut the file inside the extensions: that is a truncated header. */
    ck_assert_int_eq(probe_mem(buf, 150, NULL, &info), -1);
    ck_assert_str_eq(info.error, "truncated qcow2 header extensions");
    st_image_info_clear(&info);
    free(buf);
}
END_TEST

START_TEST(test_header_fields_bad)
{
    uint8_t buf[512];
    craft c = {.version = 3, .vsize = MiB};
    size_t n = build_qcow2(buf, sizeof(buf), &c);
    st_image_info info;

    put_be32(buf + 20, 8);
    ck_assert_int_eq(probe_mem(buf, n, NULL, &info), -1);
    ck_assert_str_eq(info.error, "invalid qcow2 cluster size (2^8)");
    st_image_info_clear(&info);
    put_be32(buf + 20, 40);
    ck_assert_int_eq(probe_mem(buf, n, NULL, &info), -1);
    st_image_info_clear(&info);
    put_be32(buf + 20, 16);

    put_be32(buf + 100, 96);
    ck_assert_int_eq(probe_mem(buf, n, NULL, &info), -1);
    ck_assert_str_eq(info.error, "qcow2 header length too short (96)");
    st_image_info_clear(&info);
    put_be32(buf + 100, 0x20000);
    ck_assert_int_eq(probe_mem(buf, n, NULL, &info), -1);
    ck_assert_str_eq(info.error, "qcow2 header length beyond first cluster");
    st_image_info_clear(&info);
    put_be32(buf + 100, 112);

    put_be32(buf + 4, 4);
    ck_assert_int_eq(probe_mem(buf, n, NULL, &info), -1);
    ck_assert_str_eq(info.error, "unsupported qcow2 version 4");
    st_image_info_clear(&info);

    mem m = {buf, n, true, 0};
    ck_assert_int_eq(st_image_probe(mem_read, &m, n, NULL, &info), -1);
    ck_assert_str_eq(info.error, "read error");
    st_image_info_clear(&info);
}
END_TEST

/* The tables a header names must lie inside the file; the last byte exactly at its end is fine. */
START_TEST(test_tables_past_end)
{
    uint8_t buf[4096];
    craft c = {.version = 3, .vsize = MiB, .bname = "base.qcow2", .bfmt = "qcow2"};
    build_qcow2(buf, sizeof(buf), &c);
    st_image_info info;

    put_be32(buf + 36, 4); /* L1: 4 entries at 1024, so it ends at 1056 */
    put_be64(buf + 40, 1024);
    ck_assert_int_eq(probe_mem(buf, 1056, NULL, &info), 0);
    ck_assert_ptr_null(info.damaged);
    st_image_info_clear(&info);
    ck_assert_int_eq(probe_mem(buf, 1055, NULL, &info), 0);
    ck_assert_str_eq(info.damaged, "truncated: its L1 table ends at byte 1056, past the end of "
                                   "the file (1055 bytes)");
    /* The header itself is read as before: the chain goes on below it. */
    ck_assert_str_eq(info.backing_name, "base.qcow2");
    ck_assert_ptr_null(info.error);
    ck_assert(!info.refused);
    st_image_info_clear(&info);

    /* The refcount table counts clusters (64 KiB here). */
    put_be64(buf + 48, 65536);
    put_be32(buf + 56, 1);
    ck_assert_int_eq(probe_mem(buf, 2048, NULL, &info), 0);
    ck_assert_str_eq(info.damaged, "truncated: its refcount table ends at byte 131072, past the "
                                   "end of the file (2048 bytes)");
    st_image_info_clear(&info);
    put_be32(buf + 56, 0);

    /* Each snapshot table entry takes at least 40 bytes. */
    put_be32(buf + 60, 3);
    put_be64(buf + 64, 2000);
    ck_assert_int_eq(probe_mem(buf, 2119, NULL, &info), 0);
    ck_assert_str_eq(info.damaged, "truncated: its snapshot table ends at byte 2120, past the "
                                   "end of the file (2119 bytes)");
    st_image_info_clear(&info);
    ck_assert_int_eq(probe_mem(buf, 2120, NULL, &info), 0);
    ck_assert_ptr_null(info.damaged);
    st_image_info_clear(&info);

    /* Offsets near 2^64 do not wrap around to something small. */
    put_be64(buf + 64, UINT64_MAX - 8);
    ck_assert_int_eq(probe_mem(buf, 4096, NULL, &info), 0);
    ck_assert_ptr_nonnull(strstr(info.damaged, "snapshot table ends at byte 18446744073709551615"));
    st_image_info_clear(&info);
}
END_TEST

START_TEST(test_name_with_nul)
{
    uint8_t buf[512];
    craft c = {.version = 2, .vsize = MiB, .bname = "a\0b.qcow2", .blen = 9};
    size_t n = build_qcow2(buf, sizeof(buf), &c);
    st_image_info info;
    ck_assert_int_eq(probe_mem(buf, n, NULL, &info), -1);
    ck_assert_str_eq(info.error, "backing file name contains a NUL byte");
    ck_assert_ptr_null(info.backing_name);
    st_image_info_clear(&info);
}
END_TEST

/*
 * Names that are not clean text pass through byte-exact. One that is not UTF-8 is also marked
 * broken (libvirt cannot name it), and the walk still goes on below it.
 */
static void check_odd_name(const char *name, bool utf8)
{
    uint8_t buf[512];
    craft c = {.version = 3, .vsize = MiB, .bname = name, .bfmt = "qcow2"};
    size_t n = build_qcow2(buf, sizeof(buf), &c);
    st_image_info info;
    ck_assert_int_eq(probe_mem(buf, n, NULL, &info), 0);
    ck_assert_mem_eq(info.backing_name, name, strlen(name) + 1);
    st_image_info_clear(&info);

    free(mk_qcow2("base.qcow2", "4M", NULL, NULL));
    free(mk_qcow2(name, "4M", "base.qcow2", "qcow2"));
    char *top = mk_qcow2("top.qcow2", "4M", name, "qcow2");
    char *want = in_dir(name);
    st_layer *l;
    size_t nl = st_chain_read_local(top, "qcow2", &l);
    ck_assert_uint_eq(nl, 3);
    ck_assert_ptr_null(l[0].broken);
    ck_assert_mem_eq(l[0].backing_name, name, strlen(name) + 1);
    ck_assert_mem_eq(l[1].path, want, strlen(want) + 1);
    ck_assert_str_eq(l[1].format, "qcow2");
    ck_assert_uint_eq(l[1].virtual_size, 4 * MiB);
    if (utf8)
        ck_assert_ptr_null(l[1].broken);
    else
        ck_assert_str_eq(l[1].broken, "name is not valid UTF-8: libvirt cannot address this file "
                                      "(it cannot start the domain either)");
    ck_assert(l[1].name_only == !utf8); /* the image itself is whole */
    ck_assert(!l[0].name_only && !l[2].name_only);
    ck_assert_str_eq(st_basename(l[2].path), "base.qcow2");
    ck_assert_ptr_null(l[2].broken);
    free_chain(l, nl);
    free(want);
    free(top);
}

START_TEST(test_non_utf8_name)
{
    check_odd_name("\xff\xfe.qcow2", false);
    /* Strict UTF-8: an overlong '/' and a lone surrogate are no UTF-8 either. */
    check_odd_name("o\xc0\xafx.qcow2", false);
    check_odd_name("s\xed\xa0\x80.qcow2", false);
}
END_TEST

START_TEST(test_escape_name)
{
    /* Valid UTF-8 that no terminal may see raw: libvirt names it (QMP escapes it), not broken. */
    check_odd_name("\x1b[31mred.qcow2", true);
    check_odd_name("测试-base.qcow2", true);
}
END_TEST

/* ---- other formats ---- */

static void check_format(const char *name, const char *fmt, uint64_t vsize)
{
    char *p = in_dir(name);
    qemu_img("create", "-q", "-f", fmt, p, "10M", NULL);
    st_image_info info;
    ck_assert_int_eq(st_image_probe_path(p, NULL, &info), 0);
    ck_assert_str_eq(info.format, fmt);
    ck_assert_uint_eq(info.virtual_size, vsize);
    ck_assert_ptr_null(info.backing_name);
    st_image_info_clear(&info);
    /* The declared format agrees. */
    ck_assert_int_eq(st_image_probe_path(p, fmt, &info), 0);
    st_image_info_clear(&info);
    free(p);
}

START_TEST(test_other_formats)
{
    check_format("a.vmdk", "vmdk", 10 * MiB);
    check_format("a.vdi", "vdi", 10 * MiB);
    check_format("a.vpc", "vpc", 10514432); /* CHS-rounded, as qemu-img info says */
    check_format("a.vhdx", "vhdx", 0);
    check_format("a.qed", "qed", 10 * MiB);
}
END_TEST

/*
 * LUKS by hand: qemu-img spends seconds on key derivation and, on a fast CPU, sometimes fails
 * with "Unable to get accurate CPU usage".
 */
START_TEST(test_luks)
{
    size_t n = 4096;
    uint8_t *buf = xcalloc(1, n);
    memcpy(buf, "LUKS\xba\xbe\0\1", 8);
    put_be32(buf + 104, 4); /* payload after 4 sectors, as qemu lays out 4040 */
    st_image_info info;
    ck_assert_int_eq(probe_mem(buf, n, NULL, &info), 0);
    ck_assert_str_eq(info.format, "luks");
    ck_assert_uint_eq(info.virtual_size, n - 4 * 512);
    st_image_info_clear(&info);

    put_be32(buf + 104, 9); /* payload past the end of the file: size not known */
    ck_assert_int_eq(probe_mem(buf, n, "luks", &info), 0);
    ck_assert_uint_eq(info.virtual_size, 0);
    st_image_info_clear(&info);

    buf[7] = 2; /* LUKS2 keeps its sizes in JSON */
    ck_assert_int_eq(probe_mem(buf, n, NULL, &info), 0);
    ck_assert_str_eq(info.format, "luks");
    ck_assert_uint_eq(info.virtual_size, 0);
    st_image_info_clear(&info);
    free(buf);
}
END_TEST

START_TEST(test_qed_backing)
{
    char *base = in_dir("base.raw");
    qemu_img("create", "-q", "-f", "raw", base, "24M", NULL);
    char *p = in_dir("t.qed");
    qemu_img("create", "-q", "-f", "qed", "-b", "base.raw", "-F", "raw", p, NULL);
    st_image_info info;
    ck_assert_int_eq(st_image_probe_path(p, NULL, &info), 0);
    ck_assert_str_eq(info.format, "qed");
    ck_assert_uint_eq(info.virtual_size, 24 * MiB);
    ck_assert_str_eq(info.backing_name, "base.raw");
    ck_assert_str_eq(info.backing_fmt, "raw");
    st_image_info_clear(&info);

    st_layer *l;
    size_t n = st_chain_read_local(p, "qed", &l);
    ck_assert_uint_eq(n, 2);
    ck_assert_str_eq(l[1].path, base);
    ck_assert_str_eq(l[1].format, "raw");
    ck_assert_uint_eq(l[1].virtual_size, 24 * MiB);
    free_chain(l, n);

    /* Hostile qed headers: the name bounded like qcow2's. */
    uint8_t h[512];
    ck_assert_uint_eq(read_head(p, h, sizeof(h)), sizeof(h));
    put_le64(h + 48, 5 * MiB);
    ck_assert_int_eq(probe_mem(h, sizeof(h), NULL, &info), 0);
    ck_assert_uint_eq(info.virtual_size, 5 * MiB);
    ck_assert_str_eq(info.backing_name, "base.raw");
    st_image_info_clear(&info);
    put_le32(h + 60, 0x7fffffff);
    ck_assert_int_eq(probe_mem(h, sizeof(h), NULL, &info), -1);
    ck_assert_str_eq(info.error, "backing file name too long (2147483647 bytes)");
    st_image_info_clear(&info);
    put_le32(h + 60, 8);
    put_le32(h + 56, 0xfffffffc);
    ck_assert_int_eq(probe_mem(h, sizeof(h), NULL, &info), -1);
    ck_assert_str_eq(info.error, "backing file name outside the header");
    st_image_info_clear(&info);
    put_le32(h + 56, 4000);
    ck_assert_int_eq(probe_mem(h, sizeof(h), NULL, &info), -1);
    ck_assert_str_eq(info.error, "backing file name beyond end of file");
    st_image_info_clear(&info);
    put_le32(h + 4, 3000);
    ck_assert_int_eq(probe_mem(h, sizeof(h), NULL, &info), -1);
    ck_assert_str_eq(info.error, "invalid qed cluster size (3000)");
    st_image_info_clear(&info);
    ck_assert_int_eq(probe_mem(h, 63, NULL, &info), -1);
    ck_assert_str_eq(info.error, "truncated qed header");
    st_image_info_clear(&info);
    free(p);
    free(base);
}
END_TEST

START_TEST(test_format_hints)
{
    char *q = mk_qcow2("a.qcow2", "64M", NULL, NULL);
    char *r = in_dir("a.raw");
    qemu_img("create", "-q", "-f", "raw", r, "3M", NULL);
    struct stat st;
    ck_assert_int_eq(stat(q, &st), 0);
    st_image_info info;

    /* Declared raw: believed without looking, whatever the header says. */
    ck_assert_int_eq(st_image_probe_path(q, "raw", &info), 0);
    ck_assert_str_eq(info.format, "raw");
    ck_assert_uint_eq(info.virtual_size, (uint64_t)st.st_size);
    ck_assert_ptr_null(info.backing_name);
    st_image_info_clear(&info);

    ck_assert_int_eq(st_image_probe_path(r, "qcow2", &info), -1);
    ck_assert_str_eq(info.error, "header says raw, domain says qcow2");
    st_image_info_clear(&info);
    ck_assert_int_eq(st_image_probe_path(q, "vmdk", &info), -1);
    ck_assert_str_eq(info.error, "header says qcow2, domain says vmdk");
    ck_assert_str_eq(info.format, "qcow2");
    st_image_info_clear(&info);

    ck_assert_int_eq(st_image_probe_path(r, "", &info), 0);
    ck_assert_str_eq(info.format, "raw");
    ck_assert_uint_eq(info.virtual_size, 3 * MiB);
    st_image_info_clear(&info);
    ck_assert_int_eq(st_image_probe_path(r, "iso", &info), 0);
    ck_assert_str_eq(info.format, "iso");
    ck_assert_uint_eq(info.virtual_size, 3 * MiB);
    st_image_info_clear(&info);
    ck_assert_int_eq(st_image_probe_path(r, "dmg", &info), 0);
    ck_assert_str_eq(info.format, "dmg");
    ck_assert_uint_eq(info.virtual_size, 0);
    st_image_info_clear(&info);
    free(q);
    free(r);
}
END_TEST

START_TEST(test_probe_path_errors)
{
    st_image_info info;
    char *missing = in_dir("nothing.qcow2");
    ck_assert_int_eq(st_image_probe_path(missing, NULL, &info), -1);
    ck_assert_str_eq(info.error, "missing: No such file or directory");
    st_image_info_clear(&info);
    ck_assert_int_eq(st_image_probe_path(dir, NULL, &info), -1);
    ck_assert_str_eq(info.error, "not a regular file or block device");
    st_image_info_clear(&info);
    ck_assert_int_eq(st_image_probe_path("/dev/null", NULL, &info), -1);
    ck_assert_str_eq(info.error, "not a regular file or block device");
    st_image_info_clear(&info);
    free(missing);
}
END_TEST

/* ---- chains on the local filesystem ---- */

START_TEST(test_relative_backing_other_cwd)
{
    char *sub = in_dir("sub");
    ck_assert_int_eq(mkdir(sub, 0755), 0);
    free(mk_qcow2("sub/base.qcow2", "16M", NULL, NULL));
    char *top = mk_qcow2("sub/top.qcow2", "16M", "base.qcow2", "qcow2");
    char *base = in_dir("sub/base.qcow2");
    char cwd[PATH_MAX];
    ck_assert_ptr_nonnull(getcwd(cwd, sizeof(cwd)));

    ck_assert_int_eq(chdir("/"), 0);
    st_layer *l;
    size_t n = st_chain_read_local(top, "qcow2", &l);
    ck_assert_uint_eq(n, 2);
    ck_assert_str_eq(l[0].path, top);
    ck_assert_str_eq(l[0].backing_name, "base.qcow2");
    ck_assert_str_eq(l[1].path, base);
    ck_assert_ptr_null(l[1].broken);
    ck_assert_str_eq(l[1].format, "qcow2");
    ck_assert_int_eq(l[1].backing_index, -1);
    free_chain(l, n);

    /* A relative active path stays as given; the lower layer sits in its folder. */
    ck_assert_int_eq(chdir(dir), 0);
    n = st_chain_read_local("sub/top.qcow2", NULL, &l);
    ck_assert_uint_eq(n, 2);
    ck_assert_str_eq(l[0].path, "sub/top.qcow2");
    ck_assert_str_eq(l[1].path, "sub/base.qcow2");
    ck_assert_ptr_null(l[1].broken);
    free_chain(l, n);

    ck_assert_int_eq(chdir(cwd), 0);
    free(sub);
    free(top);
    free(base);
}
END_TEST

START_TEST(test_raw_ends_chain)
{
    char *base = in_dir("base.raw");
    qemu_img("create", "-q", "-f", "raw", base, "8M", NULL);
    char *top = mk_qcow2("top.qcow2", "8M", "base.raw", "raw");
    st_layer *l;
    size_t n = st_chain_read_local(top, "qcow2", &l);
    ck_assert_uint_eq(n, 2);
    ck_assert_str_eq(l[1].path, base);
    ck_assert_str_eq(l[1].format, "raw");
    ck_assert_ptr_null(l[1].backing_name);
    ck_assert_ptr_null(l[1].broken);
    ck_assert_uint_eq(l[1].virtual_size, 8 * MiB);
    ck_assert_uint_eq(l[1].physical, 8 * MiB);
    free_chain(l, n);

    /* No backing format in the header: probed, and raw is called raw. */
    uint8_t buf[512];
    craft c = {.version = 2, .vsize = 8 * MiB, .bname = "base.raw"};
    size_t len = build_qcow2(buf, sizeof(buf), &c);
    char *nofmt = in_dir("nofmt.qcow2");
    write_file(nofmt, buf, len);
    n = st_chain_read_local(nofmt, NULL, &l);
    ck_assert_uint_eq(n, 2);
    ck_assert_ptr_null(l[0].backing_fmt);
    ck_assert_str_eq(l[1].format, "raw");
    ck_assert_ptr_null(l[1].broken);
    free_chain(l, n);
    free(nofmt);
    free(top);
    free(base);
}
END_TEST

START_TEST(test_lower_format_mismatch)
{
    char *base = in_dir("base.raw");
    qemu_img("create", "-q", "-f", "raw", base, "8M", NULL);
    char *top = mk_qcow2("top.qcow2", "8M", NULL, NULL);
    qemu_img("rebase", "-u", "-b", "base.raw", "-F", "qcow2", top, NULL);
    st_layer *l;
    size_t n = st_chain_read_local(top, "qcow2", &l);
    ck_assert_uint_eq(n, 2);
    ck_assert_str_eq(l[0].backing_fmt, "qcow2");
    ck_assert_str_eq(l[1].broken, "header says raw, backing format says qcow2");
    free_chain(l, n);

    /* The active layer's declared format is the domain's. */
    n = st_chain_read_local(base, "qcow2", &l);
    ck_assert_uint_eq(n, 1);
    ck_assert_str_eq(l[0].broken, "header says raw, domain says qcow2");
    free_chain(l, n);
    free(top);
    free(base);
}
END_TEST

START_TEST(test_missing_backing)
{
    char *base = mk_qcow2("base.qcow2", "8M", NULL, NULL);
    char *top = mk_qcow2("top.qcow2", "8M", "base.qcow2", "qcow2");
    ck_assert_int_eq(unlink(base), 0);
    st_layer *l;
    size_t n = st_chain_read_local(top, "qcow2", &l);
    ck_assert_uint_eq(n, 2);
    ck_assert_ptr_null(l[0].broken);
    ck_assert_str_eq(l[1].path, base);
    ck_assert_str_eq(l[1].broken, "missing: No such file or directory");
    free_chain(l, n);

    /* The active layer itself missing: one broken layer. */
    n = st_chain_read_local(base, "qcow2", &l);
    ck_assert_uint_eq(n, 1);
    ck_assert_str_eq(l[0].path, base);
    ck_assert_str_eq(l[0].broken, "missing: No such file or directory");
    ck_assert_ptr_null(l[0].format);
    ck_assert_int_eq(l[0].backing_index, -1);
    free_chain(l, n);
    free(top);
    free(base);
}
END_TEST

START_TEST(test_loop_two)
{
    char *a = mk_qcow2("a.qcow2", "8M", NULL, NULL);
    char *b = mk_qcow2("b.qcow2", "8M", "a.qcow2", "qcow2");
    qemu_img("rebase", "-u", "-b", "b.qcow2", "-F", "qcow2", a, NULL);
    st_layer *l;
    size_t n = st_chain_read_local(a, "qcow2", &l);
    ck_assert_uint_eq(n, 3);
    ck_assert_str_eq(l[0].path, a);
    ck_assert_str_eq(l[1].path, b);
    ck_assert_ptr_null(l[1].broken);
    ck_assert_str_eq(l[2].path, a);
    ck_assert_str_eq(l[2].broken, "loop: this image is already in the chain");
    free_chain(l, n);
    free(a);
    free(b);
}
END_TEST

START_TEST(test_loop_self)
{
    char *a = mk_qcow2("a.qcow2", "8M", NULL, NULL);
    qemu_img("rebase", "-u", "-b", "a.qcow2", "-F", "qcow2", a, NULL);
    st_layer *l;
    size_t n = st_chain_read_local(a, NULL, &l);
    ck_assert_uint_eq(n, 2);
    ck_assert_str_eq(l[0].backing_name, "a.qcow2");
    ck_assert_ptr_null(l[0].broken);
    ck_assert_str_eq(l[1].path, a);
    ck_assert_str_eq(l[1].broken, "loop: this image is already in the chain");
    free_chain(l, n);

    /* The same file reached by another name is still the same file. */
    char *link = in_dir("link.qcow2");
    ck_assert_int_eq(symlink("a.qcow2", link), 0);
    qemu_img("rebase", "-u", "-b", "link.qcow2", "-F", "qcow2", a, NULL);
    n = st_chain_read_local(a, NULL, &l);
    ck_assert_uint_eq(n, 2);
    ck_assert_str_eq(l[1].path, link);
    ck_assert_str_eq(l[1].broken, "loop: this image is already in the chain");
    free_chain(l, n);
    free(link);
    free(a);
}
END_TEST

/* Writes dir/img<i> for i in [0, count): each a bare qcow2 header naming the next. */
static void write_deep_chain(int count)
{
    for (int i = 0; i < count; i++) {
        char name[32], next[32];
        snprintf(name, sizeof(name), "img%03d", i);
        snprintf(next, sizeof(next), "img%03d", i + 1);
        uint8_t buf[256];
        craft c = {.version = 2, .vsize = MiB, .bname = i + 1 < count ? next : NULL};
        size_t len = build_qcow2(buf, sizeof(buf), &c);
        char *p = in_dir(name);
        write_file(p, buf, len);
        free(p);
    }
}

START_TEST(test_chain_too_deep)
{
    write_deep_chain(300);
    char *top = in_dir("img000");
    st_layer *l;
    size_t n = st_chain_read_local(top, "qcow2", &l);
    ck_assert_uint_eq(n, ST_CHAIN_MAX_DEPTH + 1);
    for (size_t i = 0; i < ST_CHAIN_MAX_DEPTH; i++) {
        char want[32];
        snprintf(want, sizeof(want), "img%03zu", i);
        ck_assert_str_eq(st_basename(l[i].path), want);
        ck_assert_ptr_null(l[i].broken);
    }
    char *deep = in_dir("img256");
    ck_assert_str_eq(l[256].path, deep);
    ck_assert_str_eq(l[256].broken, "chain deeper than 256 images, not read");
    free_chain(l, n);
    free(deep);
    free(top);

    /* Exactly ST_CHAIN_MAX_DEPTH images are read whole. */
    top = in_dir("img044");
    n = st_chain_read_local(top, NULL, &l);
    ck_assert_uint_eq(n, ST_CHAIN_MAX_DEPTH);
    ck_assert_str_eq(st_basename(l[n - 1].path), "img299");
    ck_assert_str_eq(l[n - 1].format, "qcow2");
    ck_assert_ptr_null(l[n - 1].broken);
    ck_assert_ptr_null(l[n - 1].backing_name);
    free_chain(l, n);
    free(top);
}
END_TEST

START_TEST(test_sizes_allocation)
{
    char *base = in_dir("base.raw");
    qemu_img("create", "-q", "-f", "raw", base, "8M", NULL);
    /* Write 1 MiB of data into the sparse raw base. */
    int fd = open(base, O_WRONLY | O_CLOEXEC);
    ck_assert_int_ge(fd, 0);
    char *data = xmalloc(MiB);
    memset(data, 0x5a, MiB);
    ck_assert_int_eq(pwrite(fd, data, MiB, 2 * MiB), (ssize_t)MiB);
    ck_assert_int_eq(fsync(fd), 0);
    close(fd);
    free(data);
    char *top = mk_qcow2("top.qcow2", "12M", "base.raw", "raw");

    struct stat sb, st;
    ck_assert_int_eq(stat(base, &sb), 0);
    ck_assert_int_eq(stat(top, &st), 0);
    st_layer *l;
    size_t n = st_chain_read_local(top, "qcow2", &l);
    ck_assert_uint_eq(n, 2);
    ck_assert_uint_eq(l[0].virtual_size, 12 * MiB);
    ck_assert_uint_eq(l[0].physical, (uint64_t)st.st_size);
    ck_assert_uint_eq(l[0].allocation, (uint64_t)st.st_blocks * 512);
    ck_assert_uint_eq(l[1].virtual_size, 8 * MiB);
    ck_assert_uint_eq(l[1].physical, 8 * MiB);
    ck_assert_uint_eq(l[1].allocation, (uint64_t)sb.st_blocks * 512);
    ck_assert_uint_ge(l[1].allocation, MiB);
    ck_assert_uint_lt(l[1].allocation, 8 * MiB);
    free_chain(l, n);
    free(top);
    free(base);
}
END_TEST

START_TEST(test_article_chain)
{
    static const char *const names[] = {"centos.qcow2", "test2.qcow2",     "test2_test",
                                        "test2_nmap",   "test2_net-tools", "test2_lsof"};
    size_t count = sizeof(names) / sizeof(names[0]);
    free(mk_qcow2(names[0], "20G", NULL, NULL));
    for (size_t i = 1; i < count; i++)
        free(mk_qcow2(names[i], "20G", names[i - 1], "qcow2"));

    char *top = in_dir("test2_lsof");
    st_layer *l;
    size_t n = st_chain_read_local(top, "qcow2", &l);
    ck_assert_uint_eq(n, count);
    for (size_t i = 0; i < n; i++) {
        const char *want = names[count - 1 - i];
        char *path = in_dir(want);
        ck_assert_str_eq(l[i].path, path);
        ck_assert_str_eq(l[i].format, "qcow2");
        ck_assert_uint_eq(l[i].virtual_size, 20ull << 30);
        ck_assert_ptr_null(l[i].broken);
        ck_assert_int_eq(l[i].backing_index, -1);
        if (i + 1 < n) {
            ck_assert_str_eq(l[i].backing_name, names[count - 2 - i]);
            ck_assert_str_eq(l[i].backing_fmt, "qcow2");
        } else {
            ck_assert_ptr_null(l[i].backing_name);
        }
        free(path);
    }
    free_chain(l, n);
    free(top);
}
END_TEST

START_TEST(test_network_backing)
{
    static const struct {
        const char *name, *fmt, *why;
    } cases[] = {
        {"nbd://localhost:10809/disk", "raw", "network backing (nbd) not read"},
        {"rbd:pool/image", "raw", "network backing (rbd) not read"},
        {"json:{\"driver\":\"qcow2\"}", NULL, "network backing (json) not read"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        uint8_t buf[512];
        craft c = {.version = 3, .vsize = MiB, .bname = cases[i].name, .bfmt = cases[i].fmt};
        size_t len = build_qcow2(buf, sizeof(buf), &c);
        char *top = in_dir("top.qcow2");
        write_file(top, buf, len);
        st_layer *l;
        size_t n = st_chain_read_local(top, "qcow2", &l);
        ck_assert_uint_eq(n, 2);
        ck_assert_str_eq(l[1].path, cases[i].name);
        ck_assert_str_eq(l[1].broken, cases[i].why);
        if (cases[i].fmt)
            ck_assert_str_eq(l[1].format, cases[i].fmt);
        else
            ck_assert_ptr_null(l[1].format);
        free_chain(l, n);
        free(top);
    }
}
END_TEST

START_TEST(test_file_protocol_backing)
{
    char *base = mk_qcow2("base.qcow2", "8M", NULL, NULL);
    char *name = xasprintf("file:%s", base);
    uint8_t buf[512];
    craft c = {.version = 3, .vsize = 8 * MiB, .bname = name, .bfmt = "qcow2"};
    size_t len = build_qcow2(buf, sizeof(buf), &c);
    char *top = in_dir("top.qcow2");
    write_file(top, buf, len);
    st_layer *l;
    size_t n = st_chain_read_local(top, "qcow2", &l);
    ck_assert_uint_eq(n, 2);
    ck_assert_str_eq(l[1].path, base);
    ck_assert_ptr_null(l[1].broken);
    free_chain(l, n);
    free(top);
    free(name);
    free(base);
}
END_TEST

START_TEST(test_fifo_backing)
{
    char *fifo = in_dir("fifo");
    ck_assert_int_eq(mkfifo(fifo, 0600), 0);
    uint8_t buf[512];
    craft c = {.version = 3, .vsize = MiB, .bname = "fifo"};
    size_t len = build_qcow2(buf, sizeof(buf), &c);
    char *top = in_dir("top.qcow2");
    write_file(top, buf, len);
    st_layer *l;
    size_t n = st_chain_read_local(top, NULL, &l);
    ck_assert_uint_eq(n, 2);
    ck_assert_str_eq(l[1].path, fifo);
    ck_assert_str_eq(l[1].broken, "not a regular file or block device");
    free_chain(l, n);
    free(top);
    free(fifo);
}
END_TEST

/* top's chain is top (broken for `why`, its backing name read all the same) over a good base. */
static void check_broken_over_base(const char *top, const char *base, const char *why)
{
    st_layer *l;
    size_t n = st_chain_read_local(top, "qcow2", &l);
    ck_assert_uint_eq(n, 2);
    ck_assert_str_eq(l[0].broken, why);
    ck_assert_str_eq(l[0].backing_name, "base.qcow2");
    ck_assert_str_eq(l[1].path, base);
    ck_assert_ptr_null(l[1].broken);
    free_chain(l, n);
}

START_TEST(test_refused_layer)
{
    char *base = mk_qcow2("base.qcow2", "8M", NULL, NULL);
    uint8_t buf[512];
    craft c = {.version = 3,
               .vsize = 8 * MiB,
               .bname = "base.qcow2",
               .bfmt = "qcow2",
               .incompat = 1ull << 33};
    size_t len = build_qcow2(buf, sizeof(buf), &c);
    char *top = in_dir("top.qcow2");
    write_file(top, buf, len);
    check_broken_over_base(top, base, "unknown incompatible features 0x200000000");
    free(top);
    free(base);
}
END_TEST

START_TEST(test_broken_header_ends_chain)
{
    char *base = mk_qcow2("base.qcow2", "8M", NULL, NULL);
    char *top = mk_qcow2("top.qcow2", "8M", "base.qcow2", "qcow2");
    /* Cut the top image inside its header extensions. */
    ck_assert_int_eq(truncate(top, 116), 0);
    st_layer *l;
    size_t n = st_chain_read_local(top, "qcow2", &l);
    ck_assert_uint_eq(n, 1);
    ck_assert_str_eq(l[0].format, "qcow2");
    ck_assert_str_eq(l[0].broken, "truncated qcow2 header extensions");
    ck_assert_uint_eq(l[0].physical, 116);
    free_chain(l, n);
    free(top);
    free(base);
}
END_TEST

/*
 * A layer cut short past its header: qemu opens it and reads zeros where its tables were (its
 * data is lost without a word), qemu-img check finds "exceeding the end of the file". The walk
 * marks it broken with the reason and goes on below it.
 */
START_TEST(test_truncated_layer)
{
    char *base = mk_qcow2("base.qcow2", "8M", NULL, NULL);
    char *top = mk_qcow2("top.qcow2", "8M", "base.qcow2", "qcow2");
    st_layer *l;
    size_t n = st_chain_read_local(top, "qcow2", &l);
    ck_assert_uint_eq(n, 2);
    ck_assert_ptr_null(l[0].broken); /* as qemu-img made it: whole */
    free_chain(l, n);

    /* qemu-img puts the L1 table in the fourth cluster (64 KiB each): cut inside the third. */
    ck_assert_int_eq(truncate(top, 131072), 0);
    check_broken_over_base(top, base,
                           "truncated: its L1 table ends at byte 196616, past the end of the file "
                           "(131072 bytes)");
    free(top);
    free(base);
}
END_TEST

/* ---- fuzzed headers: a seeded, deterministic mutation loop, and the fuzzers' corpus ---- */

static bool same0(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

/*
 * What every probe must give, whatever the bytes: either a result (a format, a sane backing
 * name) or a reason why the header cannot be read, never both; and the same through a reader
 * that returns a few bytes at a time. `what` names the input in a failure.
 */
static void check_any_input(const uint8_t *p, size_t n, const char *what)
{
    st_image_info a, b;
    int ra = probe_mem(p, n, NULL, &a);
    mem bits = {p, n, false, 7}; /* short reads must not change any result */
    int rb = st_image_probe(mem_read, &bits, n, NULL, &b);
    ck_assert_msg(ra == 0 || ra == -1, "%s: probe returned %d", what, ra);
    ck_assert_msg((ra == 0) == (a.error == NULL), "%s: result %d with error \"%s\"", what, ra,
                  a.error ? a.error : "(none)");
    ck_assert_msg(memchr(a.format, '\0', sizeof(a.format)) != NULL, "%s: format unterminated",
                  what);
    if (ra == 0) {
        ck_assert_msg(a.format[0] != '\0', "%s: a result without a format", what);
        ck_assert_msg(
            !a.backing_name || (a.backing_name[0] && strlen(a.backing_name) <= ST_BACKING_NAME_MAX),
            "%s: backing name of %zu bytes", what, a.backing_name ? strlen(a.backing_name) : 0);
    } else {
        ck_assert_msg(a.error[0] != '\0', "%s: an empty reason", what);
        ck_assert_ptr_null(a.backing_name);
    }
    ck_assert_msg(ra == rb && strcmp(a.format, b.format) == 0 && a.virtual_size == b.virtual_size &&
                      same0(a.backing_name, b.backing_name) &&
                      same0(a.backing_fmt, b.backing_fmt) && same0(a.error, b.error) &&
                      same0(a.warning, b.warning) && same0(a.damaged, b.damaged),
                  "%s: short reads changed the result (%s vs %s)", what,
                  a.error ? a.error : a.format, b.error ? b.error : b.format);
    st_image_info_clear(&a);
    st_image_info_clear(&b);
}

static uint32_t xorshift32(uint32_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 17;
    *s ^= *s << 5;
    return *s;
}

/* A length or offset a hostile header might hold: an edge of some limit, or anything. */
static uint32_t nasty_u32(uint32_t *rng)
{
    static const uint32_t edges[] = {0,     1,          7,           8,           72,
                                     104,   112,        1023,        1024,        65535,
                                     65536, 0x7fffffff, 0xfffffff9u, 0xfffffff8u, 0xffffffffu};
    uint32_t r = xorshift32(rng);
    return r % 2 ? edges[r / 2 % (sizeof(edges) / sizeof(edges[0]))] : xorshift32(rng);
}

/* Offsets of the length and offset fields of a qcow2 header (and of its first extension). */
static const size_t length_fields[] = {4, 8, 12, 16, 20, 24, 28, 96, 100, 112, 116};

static size_t mutate(uint8_t *buf, size_t n, size_t cap, uint32_t *rng)
{
    switch (xorshift32(rng) % 4) {
    case 0: /* a few bit flips */
        for (uint32_t k = 1 + xorshift32(rng) % 8; k; k--) {
            size_t at = xorshift32(rng) % n;
            buf[at] ^= (uint8_t)(1u << (xorshift32(rng) % 8));
        }
        return n;
    case 1: /* cut short */
        return xorshift32(rng) % (n + 1);
    case 2: { /* a length or offset field set to something nasty */
        size_t at = length_fields[xorshift32(rng) % (sizeof(length_fields) / sizeof(size_t))];
        if (at + 4 <= n)
            put_be32(buf + at, nasty_u32(rng));
        return n;
    }
    default: /* random bytes appended or overwritten */
        for (uint32_t k = 1 + xorshift32(rng) % 16; k; k--)
            buf[xorshift32(rng) % cap] = (uint8_t)xorshift32(rng);
        return n + xorshift32(rng) % (cap - n + 1);
    }
}

START_TEST(test_fuzzed_headers)
{
    /* Valid headers to start from: v2 and v3, with and without a backing name and format. */
    static const craft seeds[] = {
        {.version = 2, .vsize = 5 * MiB, .bname = "../images/base.img"},
        {.version = 3, .vsize = 7 * MiB, .bname = "/var/lib/b.qcow2", .bfmt = "qcow2"},
        {.version = 3, .vsize = MiB, .bfmt = "raw"},
        {.version = 3,
         .vsize = 20ull << 30,
         .bname = "test2.qcow2",
         .bfmt = "qcow2",
         .incompat = 1},
    };
    enum { CAP = 1024, ROUNDS = 4000 };
    uint8_t good[CAP], buf[CAP];
    uint32_t rng = 0x5eed2026; /* fixed: a failure is reproduced by running the test again */
    size_t failed_reads = 0, results = 0;
    for (size_t s = 0; s < sizeof(seeds) / sizeof(seeds[0]); s++) {
        size_t n = build_qcow2(good, sizeof(good), &seeds[s]);
        st_image_info info;
        ck_assert_int_eq(probe_mem(good, n, NULL, &info), 0); /* the seed itself is fine */
        st_image_info_clear(&info);
        for (int round = 0; round < ROUNDS; round++) {
            memcpy(buf, good, sizeof(buf));
            size_t len = n;
            for (uint32_t m = 1 + xorshift32(&rng) % 3; m && len; m--)
                len = mutate(buf, len, sizeof(buf), &rng);
            char what[64];
            snprintf(what, sizeof(what), "seed %zu round %d (%zu bytes)", s, round, len);
            check_any_input(buf, len, what);
            st_image_info r;
            if (probe_mem(buf, len, NULL, &r) == 0)
                results++;
            else
                failed_reads++;
            st_image_info_clear(&r);
        }
    }
    /* Both outcomes must have come up often, or the loop tested little. */
    ck_assert_uint_gt(results, 1000);
    ck_assert_uint_gt(failed_reads, 1000);
}
END_TEST

START_TEST(test_fuzzed_chain_files)
{
    /* The same mutations as files in a chain: the walk turns each into layers, every one either
     * read or broken with a reason, never a crash. */
    free(mk_qcow2("base.qcow2", "8M", NULL, NULL));
    craft c = {.version = 3, .vsize = 8 * MiB, .bname = "base.qcow2", .bfmt = "qcow2"};
    uint8_t good[512], buf[512];
    size_t n = build_qcow2(good, sizeof(good), &c);
    char *top = in_dir("top.qcow2");
    uint32_t rng = 20261202;
    for (int round = 0; round < 300; round++) {
        memcpy(buf, good, sizeof(buf));
        size_t len = mutate(buf, n, sizeof(buf), &rng);
        write_file(top, buf, len);
        st_layer *l;
        size_t nl = st_chain_read_local(top, "qcow2", &l);
        ck_assert_uint_ge(nl, 1);
        ck_assert_uint_le(nl, ST_CHAIN_MAX_DEPTH + 1);
        for (size_t i = 0; i < nl; i++)
            ck_assert_msg(l[i].path && (l[i].broken || l[i].format),
                          "round %d: layer %zu neither read nor broken", round, i);
        free_chain(l, nl);
    }
    free(top);
}
END_TEST

/* What each seed of the fuzzers' corpus is; inputs the fuzzers add later get the checks only. */
static const struct {
    const char *name, *format;
    bool backing;
    bool damaged; /* the file ends before a table its header names: the first seeds are
                   * headers alone, cut from whole images */
} corpus_seeds[] = {
    {"luks1", "luks", false, false},
    {"qcow-v1-backing", "qcow", true, false},
    {"qcow2-backing-whole", "qcow2", true, false},
    {"qcow2-data-file", "qcow2", false, true},
    {"qcow2-l1-cut", "qcow2", true, true},
    {"qcow2-snapshot", "qcow2", false, false},
    {"qcow2-snapshot-cut", "qcow2", false, true},
    {"qcow2-v2-backing", "qcow2", true, true},
    {"qcow2-v3", "qcow2", false, true},
    {"qcow2-v3-backing", "qcow2", true, true},
    {"qed-backing", "qed", true, false},
    {"raw", "raw", false, false},
    {"vdi", "vdi", false, false},
    {"vhdx", "vhdx", false, false},
    {"vmdk", "vmdk", false, false},
    {"vpc", "vpc", false, false},
};

static void check_seed(const char *name, const uint8_t *p, size_t n, size_t *known)
{
    for (size_t i = 0; i < sizeof(corpus_seeds) / sizeof(corpus_seeds[0]); i++) {
        if (strcmp(corpus_seeds[i].name, name) != 0)
            continue;
        st_image_info info;
        ck_assert_msg(probe_mem(p, n, NULL, &info) == 0, "corpus %s: %s", name, info.error);
        ck_assert_str_eq(info.format, corpus_seeds[i].format);
        ck_assert_msg((info.backing_name != NULL) == corpus_seeds[i].backing,
                      "corpus %s: backing name %s", name, info.backing_name);
        ck_assert_msg((info.damaged != NULL) == corpus_seeds[i].damaged, "corpus %s: damage %s",
                      name, info.damaged ? info.damaged : "(none)");
        st_image_info_clear(&info);
        (*known)++;
    }
}

START_TEST(test_fuzz_corpus)
{
    char *dirpath = srcdir_path("tests/fuzz/corpus_qcow2");
    DIR *d = opendir(dirpath);
    ck_assert_msg(d != NULL, "cannot open %s", dirpath);
    size_t files = 0, known = 0;
    for (struct dirent *e; (e = readdir(d));) {
        if (e->d_name[0] == '.')
            continue;
        char *path = xasprintf("%s/%s", dirpath, e->d_name);
        size_t n;
        uint8_t *p = (uint8_t *)read_whole_file(path, &n);
        check_any_input(p, n, e->d_name);
        /* Every prefix too: the corpus is small, and cuts are where readers go wrong. */
        for (size_t cut = 0; cut < n && cut < 4096; cut++)
            check_any_input(p, cut, e->d_name);
        check_seed(e->d_name, p, n, &known);
        free(p);
        free(path);
        files++;
    }
    closedir(d);
    free(dirpath);
    ck_assert_uint_ge(files, sizeof(corpus_seeds) / sizeof(corpus_seeds[0]));
    ck_assert_uint_eq(known, sizeof(corpus_seeds) / sizeof(corpus_seeds[0]));
}
END_TEST

/* ---- the data an overlay holds by itself (st_qcow2_written) ---- */

/* qemu-io writes into an image: each argument one -c command. */
static void qemu_io(const char *path, ...)
{
    char *argv[32] = {"qemu-io", "-f", "qcow2"};
    size_t n = 3;
    va_list ap;
    va_start(ap, path);
    for (const char *c = va_arg(ap, const char *); c && n < 28; c = va_arg(ap, const char *)) {
        argv[n++] = "-c";
        argv[n++] = (char *)c;
    }
    va_end(ap);
    argv[n++] = (char *)path;
    argv[n] = NULL;
    ck_assert_int_eq(run_argv(argv), 0);
}

static uint64_t written(const char *path)
{
    uint64_t bytes = 1;
    char *why = NULL;
    ck_assert_msg(st_qcow2_written_path(path, &bytes, &why) == 0, "%s: %s", path, why);
    return bytes;
}

START_TEST(test_written_clusters)
{
    char *base = mk_qcow2("base.qcow2", "16M", NULL, NULL);
    qemu_io(base, "write -P 0x11 0 8M", NULL);
    char *top = mk_qcow2("top.qcow2", "16M", "base.qcow2", "qcow2");
    ck_assert_uint_eq(written(top), 0); /* the base's 8 MiB are not the overlay's */
    /* Data, data over the base's, and zeros written over the base: all three are writes. */
    qemu_io(top, "write -P 0x22 12M 64k", "write -P 0x33 1M 128k", "write -z 2M 64k", NULL);
    ck_assert_uint_eq(written(top), 256 * 1024);
    /* A partial cluster is a whole cluster in the file (copy-on-write of the rest). */
    qemu_io(top, "write -P 0x44 5M 512", NULL);
    ck_assert_uint_eq(written(top), 320 * 1024);
    ck_assert_uint_eq(written(base), 8 * MiB);
    free(top);
    free(base);
}
END_TEST

START_TEST(test_written_subclusters_and_v2)
{
    char *base = mk_qcow2("base.qcow2", "8M", NULL, NULL);
    char *ext = in_dir("ext.qcow2");
    qemu_img("create", "-q", "-f", "qcow2", "-o", "extended_l2=on,cluster_size=128k", "-b",
             "base.qcow2", "-F", "qcow2", ext, "8M", NULL);
    /* 4 KiB subclusters: only the ones written are allocated. */
    qemu_io(ext, "write -P 0x55 0 4k", "write -P 0x66 64k 8k", "write -z 1M 4k", NULL);
    ck_assert_uint_eq(written(ext), 16 * 1024);
    char *v2 = in_dir("v2.qcow2");
    qemu_img("create", "-q", "-f", "qcow2", "-o", "compat=0.10", "-b", "base.qcow2", "-F", "qcow2",
             v2, "8M", NULL);
    qemu_io(v2, "write -P 0x77 3M 64k", NULL);
    ck_assert_uint_eq(written(v2), 64 * 1024);
    char *c = mk_qcow2("c.qcow2", "8M", NULL, NULL);
    qemu_io(c, "write -c -P 0x12 0 64k", NULL); /* compressed: counted at its virtual size */
    ck_assert_uint_eq(written(c), 64 * 1024);
    free(c);
    free(v2);
    free(ext);
    free(base);
}
END_TEST

/* The map of the image at path, as the merge figures read it. */
static st_qcow2_map map_of(const char *path)
{
    st_layer_map m;
    st_layer_map_read(path, "qcow2", &m);
    ck_assert_msg(m.known, "%s: %s", path, m.why);
    st_qcow2_map map = m.map;
    free(m.why);
    return map;
}

static void assert_range(const st_extents *e, size_t i, uint64_t start, uint64_t len)
{
    ck_assert_uint_gt(e->n, i);
    ck_assert_uint_eq(e->v[i].start, start);
    ck_assert_uint_eq(e->v[i].len, len);
}

/* The guest ranges an image maps, data and zeros apart, as qemu-img map's depth-0 entries. */
START_TEST(test_map_ranges)
{
    char *base = mk_qcow2("base.qcow2", "8M", NULL, NULL);
    char *top = mk_qcow2("top.qcow2", "8M", "base.qcow2", "qcow2");
    qemu_io(top, "write -P 0x11 64k 128k", "write -z 1M 64k", "write -P 0x12 3M 64k",
            "write -c -P 0x13 5M 64k", NULL);
    st_qcow2_map m = map_of(top);
    ck_assert_uint_eq(m.cluster, 64 * 1024);
    ck_assert_uint_eq(m.data.n, 3);
    assert_range(&m.data, 0, 64 * 1024, 128 * 1024);
    assert_range(&m.data, 1, 3 * MiB, 64 * 1024);
    assert_range(&m.data, 2, 5 * MiB, 64 * 1024); /* compressed is data */
    ck_assert_uint_eq(m.zero.n, 1);
    assert_range(&m.zero, 0, 1 * MiB, 64 * 1024);
    st_qcow2_map_clear(&m);
    /* Extended L2 entries: 4 KiB subclusters, data and zeros each where written. */
    char *ext = in_dir("ext.qcow2");
    qemu_img("create", "-q", "-f", "qcow2", "-o", "extended_l2=on,cluster_size=128k", "-b",
             "base.qcow2", "-F", "qcow2", ext, "8M", NULL);
    qemu_io(ext, "write -P 0x55 0 4k", "write -P 0x66 64k 8k", "write -z 1M 4k", NULL);
    m = map_of(ext);
    ck_assert_uint_eq(m.data.n, 2);
    assert_range(&m.data, 0, 0, 4096);
    assert_range(&m.data, 1, 64 * 1024, 8192);
    assert_range(&m.zero, 0, 1 * MiB, 4096);
    st_qcow2_map_clear(&m);
    free(ext);
    free(top);
    free(base);
}
END_TEST

static size_t slurp(const char *path, uint8_t *buf, size_t cap)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    ck_assert_int_ge(fd, 0);
    size_t n = 0;
    ssize_t k;
    while (n < cap && (k = read(fd, buf + n, cap - n)) > 0)
        n += (size_t)k;
    close(fd);
    return n;
}

START_TEST(test_written_hostile)
{
    uint64_t bytes;
    char *why = NULL;
    uint8_t junk[200] = "not an image";
    mem m = {junk, sizeof(junk), false, 0};
    ck_assert_int_eq(st_qcow2_written(mem_read, &m, sizeof(junk), &bytes, &why), -1);
    ck_assert_ptr_nonnull(why);
    free(why);
    /* Mutations of a real overlay: an error or a count no larger than the disk, never a crash. */
    char *top = mk_qcow2("top.qcow2", "4M", NULL, NULL);
    qemu_io(top, "write -P 0x22 0 64k", "write -P 0x33 2M 64k", NULL);
    enum { CAP = 512 * 1024 };
    uint8_t *good = xmalloc(CAP), *buf = xmalloc(CAP);
    size_t n = slurp(top, good, CAP);
    ck_assert_uint_lt(n, CAP);
    uint32_t rng = 0xa110c8;
    size_t ok = 0, bad = 0;
    for (int round = 0; round < 3000; round++) {
        memcpy(buf, good, n);
        size_t len = n;
        /* Most rounds touch the header, the L1 table or the first L2 table. */
        for (uint32_t k = 1 + xorshift32(&rng) % 3; k; k--) {
            size_t at = xorshift32(&rng) % (round % 2 ? 512 : len);
            buf[at] = (uint8_t)xorshift32(&rng);
        }
        if (round % 7 == 0)
            len = xorshift32(&rng) % n;
        mem mm = {buf, len, false, round % 5 ? 0 : 3};
        st_qcow2_map map;
        char *map_why = NULL;
        /* The map of the same bytes: an error, or ranges inside the disk. */
        if (st_qcow2_map_read(mem_read, &mm, len, &map, &map_why) == 0) {
            for (size_t i = 0; i < map.data.n; i++)
                ck_assert_uint_le(map.data.v[i].start + map.data.v[i].len, 4 * MiB);
            st_qcow2_map_clear(&map);
        }
        free(map_why);
        if (st_qcow2_written(mem_read, &mm, len, &bytes, &why) == 0) {
            ck_assert_uint_le(bytes, 4 * MiB);
            ok++;
        } else {
            ck_assert_ptr_nonnull(why);
            bad++;
        }
        free(why);
        why = NULL;
    }
    ck_assert_uint_gt(ok, 100);
    ck_assert_uint_gt(bad, 100);
    free(good);
    free(buf);
    free(top);
}
END_TEST

static Suite *qcow2_suite(void)
{
    Suite *s = suite_create("qcow2");
    TCase *tc = tcase_create("qcow2");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120); /* valgrind and sanitizer runs are slow */
    tcase_add_test(tc, test_qemu_v3_plain);
    tcase_add_test(tc, test_map_ranges);
    tcase_add_test(tc, test_qemu_v3_backing);
    tcase_add_test(tc, test_qemu_v2_backing);
    tcase_add_test(tc, test_crafted_v2_no_fmt);
    tcase_add_test(tc, test_crafted_v3_fmt);
    tcase_add_test(tc, test_feature_bits);
    tcase_add_test(tc, test_truncated_every_length);
    tcase_add_test(tc, test_backing_name_huge);
    tcase_add_test(tc, test_backing_offset_bad);
    tcase_add_test(tc, test_extension_overflow);
    tcase_add_test(tc, test_extension_walk_bounded);
    tcase_add_test(tc, test_header_fields_bad);
    tcase_add_test(tc, test_tables_past_end);
    tcase_add_test(tc, test_name_with_nul);
    tcase_add_test(tc, test_non_utf8_name);
    tcase_add_test(tc, test_escape_name);
    tcase_add_test(tc, test_other_formats);
    tcase_add_test(tc, test_luks);
    tcase_add_test(tc, test_qed_backing);
    tcase_add_test(tc, test_format_hints);
    tcase_add_test(tc, test_probe_path_errors);
    tcase_add_test(tc, test_fuzzed_headers);
    tcase_add_test(tc, test_fuzz_corpus);
    suite_add_tcase(s, tc);

    TCase *tchain = tcase_create("chain");
    tcase_add_checked_fixture(tchain, setup, teardown);
    tcase_set_timeout(tchain, 120);
    tcase_add_test(tchain, test_relative_backing_other_cwd);
    tcase_add_test(tchain, test_raw_ends_chain);
    tcase_add_test(tchain, test_lower_format_mismatch);
    tcase_add_test(tchain, test_missing_backing);
    tcase_add_test(tchain, test_loop_two);
    tcase_add_test(tchain, test_loop_self);
    tcase_add_test(tchain, test_chain_too_deep);
    tcase_add_test(tchain, test_sizes_allocation);
    tcase_add_test(tchain, test_article_chain);
    tcase_add_test(tchain, test_network_backing);
    tcase_add_test(tchain, test_file_protocol_backing);
    tcase_add_test(tchain, test_fifo_backing);
    tcase_add_test(tchain, test_refused_layer);
    tcase_add_test(tchain, test_broken_header_ends_chain);
    tcase_add_test(tchain, test_truncated_layer);
    tcase_add_test(tchain, test_fuzzed_chain_files);
    suite_add_tcase(s, tchain);

    TCase *tw = tcase_create("written");
    tcase_add_checked_fixture(tw, setup, teardown);
    tcase_set_timeout(tw, 120);
    tcase_add_test(tw, test_written_clusters);
    tcase_add_test(tw, test_written_subclusters_and_v2);
    tcase_add_test(tw, test_written_hostile);
    suite_add_tcase(s, tw);
    return s;
}

int main(void)
{
    return st_run_suite(qcow2_suite());
}
