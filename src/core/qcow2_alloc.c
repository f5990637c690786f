/*
 * How much guest data one qcow2 image holds by itself: the clusters its own L2 tables map, not
 * what its backing files hold. For the overlay of a snapshot this is everything written since the
 * snapshot was taken, which a plan names before libvirt removes the overlay. As defensive as the
 * header reader: every offset and size comes from the file and is checked before use, and the
 * bytes read are bounded by the image's own cluster tables.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/i18n.h"
#include "base/util.h"
#include "core/qcow2.h"

#define QCOW2_MAGIC          0x514649fbu
#define QCOW2_MIN_CLUSTER    9
#define QCOW2_MAX_CLUSTER    21
#define QCOW2_INCOMPAT_EXTL2 (1ull << 4)
/* qemu's limit on the L1 table: 32 MiB of entries. */
#define QCOW2_MAX_L1_ENTRIES (32u * 1024 * 1024 / 8)
#define L1_OFFSET_MASK       0x00fffffffffffe00ull
#define L2_OFFSET_MASK       0x00fffffffffffe00ull
#define L2_COMPRESSED        (1ull << 62)
#define L2_ZERO              (1ull << 0)
#define SUBCLUSTERS          32

typedef struct walk {
    st_read_fn rd;
    void *ctx;
    uint64_t size;         /* of the file */
    unsigned cluster_bits; /* one L2 table is one cluster */
    bool extended;         /* extended L2 entries: 128 bits, with subcluster bitmaps */
    uint64_t virtual_size;
    uint8_t *table; /* one L2 table */
} walk;

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint64_t be64(const uint8_t *p)
{
    return (uint64_t)be32(p) << 32 | be32(p + 4);
}

/* Reads exactly len bytes at off, inside the file; false otherwise. */
static bool read_all(const walk *w, void *buf, size_t len, uint64_t off)
{
    if (off > w->size || len > w->size - off)
        return false;
    size_t done = 0;
    while (done < len) {
        ssize_t n = w->rd(w->ctx, (char *)buf + done, len - done, off + done);
        if (n <= 0 || (size_t)n > len - done)
            return false;
        done += (size_t)n;
    }
    return true;
}

static int failed(char **why, const char *text)
{
    *why = xstrdup(text);
    return -1;
}

/* The bytes one L2 entry maps (a whole cluster, or its written subclusters). */
static uint64_t entry_bytes(const walk *w, const uint8_t *e)
{
    uint64_t std = be64(e), cluster = 1ull << w->cluster_bits;
    if (std & L2_COMPRESSED)
        return cluster;
    if (!w->extended)
        return (std & (L2_OFFSET_MASK | L2_ZERO)) ? cluster : 0;
    /* Bits 0-31 say which subclusters are allocated, bits 32-63 which read as zeros. */
    uint64_t bitmap = be64(e + 8);
    uint32_t written = (uint32_t)bitmap | (uint32_t)(bitmap >> 32);
    return (uint64_t)__builtin_popcount(written) * (cluster / SUBCLUSTERS);
}

static int count_table(walk *w, uint64_t offset, uint64_t *bytes, char **why)
{
    size_t len = (size_t)1 << w->cluster_bits;
    if ((offset & (len - 1)) || !read_all(w, w->table, len, offset))
        return failed(why, _("an L2 table lies outside the file"));
    size_t esize = w->extended ? 16 : 8;
    for (size_t i = 0; i + esize <= len; i += esize)
        *bytes += entry_bytes(w, w->table + i);
    return 0;
}

static int count_l1(walk *w, uint64_t l1_off, uint32_t l1_n, uint64_t *bytes, char **why)
{
    uint8_t chunk[4096];
    for (uint32_t i = 0; i < l1_n;) {
        uint32_t k = l1_n - i < sizeof(chunk) / 8 ? l1_n - i : (uint32_t)(sizeof(chunk) / 8);
        if (!read_all(w, chunk, (size_t)k * 8, l1_off + (uint64_t)i * 8))
            return failed(why, _("the L1 table lies outside the file"));
        for (uint32_t j = 0; j < k; j++) {
            uint64_t l2 = be64(chunk + (size_t)j * 8) & L1_OFFSET_MASK;
            if (l2 && count_table(w, l2, bytes, why) != 0)
                return -1;
        }
        i += k;
    }
    return 0;
}

int st_qcow2_written(st_read_fn rd, void *ctx, uint64_t file_size, uint64_t *bytes, char **why)
{
    *bytes = 0;
    *why = NULL;
    walk w = {.rd = rd, .ctx = ctx, .size = file_size};
    uint8_t h[104];
    memset(h, 0, sizeof(h));
    if (!read_all(&w, h, 72, 0) || be32(h) != QCOW2_MAGIC)
        return failed(why, _("not a qcow2 image"));
    uint32_t version = be32(h + 4);
    if (version == 3 && !read_all(&w, h + 72, 32, 72))
        return failed(why, _("truncated qcow2 header"));
    if (version != 2 && version != 3)
        return failed(why, _("unknown qcow2 version"));
    w.cluster_bits = be32(h + 20);
    if (w.cluster_bits < QCOW2_MIN_CLUSTER || w.cluster_bits > QCOW2_MAX_CLUSTER)
        return failed(why, _("invalid cluster size"));
    w.virtual_size = be64(h + 24);
    w.extended = version == 3 && (be64(h + 72) & QCOW2_INCOMPAT_EXTL2);
    uint32_t l1_n = be32(h + 36);
    if (l1_n > QCOW2_MAX_L1_ENTRIES)
        return failed(why, _("the L1 table is larger than qemu allows"));
    w.table = xmalloc((size_t)1 << w.cluster_bits);
    int r = count_l1(&w, be64(h + 40), l1_n, bytes, why);
    free(w.table);
    /* Entries past the end of the disk map nothing a guest wrote. */
    if (r == 0 && *bytes > w.virtual_size)
        *bytes = w.virtual_size;
    return r;
}

int st_qcow2_written_path(const char *path, uint64_t *bytes, char **why)
{
    struct stat st;
    uint64_t size;
    *bytes = 0;
    int fd = st_image_open(path, &st, &size, why);
    if (fd < 0)
        return -1;
    int r = st_qcow2_written(st_image_fd_read, &fd, size, bytes, why);
    close(fd);
    return r;
}
