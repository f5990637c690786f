/* qemu-img check's counts of a plain qcow2 image (qcow2_check.h). */
#include "config.h"

#include "core/qcow2_check.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/util.h"

#define QCOW2_MAGIC       0x514649fbu
#define QCOW2_MIN_CLUSTER 9
#define QCOW2_MAX_CLUSTER 21
/* Incompatible bits this check knows: dirty (0). The corrupt bit (1) and the others (external
 * data file, compression type, extended L2) are qemu's to judge. */
#define INCOMPAT_KNOWN (1ull << 0)
#define OFFSET_MASK    0x00fffffffffffe00ull
#define OFLAG_COPIED   (1ull << 63)
#define L2_COMPRESSED  (1ull << 62)
/* A file of more clusters than this (16 GiB of metadata counts at 64 KiB clusters) is left to
 * qemu-img: the counts take 2 bytes a cluster here. */
#define MAX_CLUSTERS   (64ull << 20)
#define MAX_L1_ENTRIES (32u * 1024 * 1024 / 8)

typedef struct chk {
    st_read_fn rd;
    void *ctx;
    uint64_t size;
    unsigned bits;      /* cluster_bits */
    uint64_t cs;        /* cluster size */
    uint64_t nb;        /* clusters in the file */
    uint16_t *computed; /* references counted from the metadata, per cluster */
    uint8_t **stored;   /* the refcount blocks as read, per table entry; NULL: none */
    uint64_t n_blocks;
    uint8_t *table; /* one L2 table */
} chk;

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint64_t be64(const uint8_t *p)
{
    return (uint64_t)be32(p) << 32 | be32(p + 4);
}

static bool read_all(const chk *c, void *buf, uint64_t len, uint64_t off)
{
    if (off > c->size || len > c->size - off)
        return false;
    uint64_t done = 0;
    while (done < len) {
        ssize_t n = c->rd(c->ctx, (char *)buf + done, (size_t)(len - done), off + done);
        if (n <= 0 || (uint64_t)n > len - done)
            return false;
        done += (uint64_t)n;
    }
    return true;
}

/* Counts one reference to each cluster of [off, off + len); false: past the file's end. */
static bool inc(chk *c, uint64_t off, uint64_t len)
{
    if (!len)
        return true;
    if (off > c->size || len > c->size - off)
        return false;
    for (uint64_t i = off >> c->bits; i <= (off + len - 1) >> c->bits; i++) {
        if (i >= c->nb || c->computed[i] == UINT16_MAX)
            return false;
        c->computed[i]++;
    }
    return true;
}

/* The refcount the image stores for cluster i (16-bit entries). */
static unsigned stored_ref(const chk *c, uint64_t i)
{
    uint64_t per = c->cs / 2, b = i / per;
    if (b >= c->n_blocks || !c->stored[b])
        return 0;
    const uint8_t *e = c->stored[b] + (i % per) * 2;
    return (unsigned)e[0] << 8 | e[1];
}

static bool aligned(const chk *c, uint64_t off)
{
    return (off & (c->cs - 1)) == 0;
}

/* Reads the refcount table and its blocks, and counts the clusters they take. */
static bool read_refcounts(chk *c, uint64_t rt_off, uint32_t rt_clusters)
{
    uint64_t len = (uint64_t)rt_clusters << c->bits;
    if (!rt_clusters || !aligned(c, rt_off) || rt_clusters > c->nb || !inc(c, rt_off, len))
        return false;
    c->n_blocks = len / 8;
    uint8_t *raw = xmalloc(len);
    bool good = read_all(c, raw, len, rt_off);
    c->stored = xcalloc(c->n_blocks ? c->n_blocks : 1, sizeof(uint8_t *));
    for (uint64_t b = 0; good && b < c->n_blocks; b++) {
        uint64_t e = be64(raw + b * 8);
        if (!e)
            continue;
        c->stored[b] = xmalloc(c->cs);
        /* Reserved bits, or a block out of place: qemu's to judge. */
        good = !(e & ~OFFSET_MASK) && aligned(c, e) && inc(c, e, c->cs) &&
               read_all(c, c->stored[b], c->cs, e);
    }
    free(raw);
    return good;
}

/* Counts the L2 tables and the clusters they map (pass 0), or the entries whose copied flag
 * disagrees with a stored count of 1 (pass 1). -1: a layout left to qemu-img. */
static long long walk_l1(chk *c, const uint8_t *l1, uint32_t l1_n, int pass)
{
    long long bad = 0;
    for (uint32_t i = 0; i < l1_n; i++) {
        uint64_t e = be64(l1 + (size_t)i * 8), l2 = e & OFFSET_MASK;
        if (!l2)
            continue;
        if (pass == 0 && (!aligned(c, l2) || !inc(c, l2, c->cs)))
            return -1;
        if (pass == 1)
            bad += (stored_ref(c, l2 >> c->bits) == 1) != ((e & OFLAG_COPIED) != 0);
        if (!read_all(c, c->table, c->cs, l2))
            return -1;
        for (uint64_t k = 0; k < c->cs / 8; k++) {
            uint64_t d = be64(c->table + k * 8), off = d & OFFSET_MASK;
            if (d & L2_COMPRESSED)
                return -1;
            if (!off)
                continue;
            if (pass == 0 && (!aligned(c, off) || !inc(c, off, c->cs)))
                return -1;
            if (pass == 1)
                bad += (stored_ref(c, off >> c->bits) == 1) != ((d & OFLAG_COPIED) != 0);
        }
    }
    return bad;
}

/* The header's fields this check uses; false: a layout left to qemu-img. */
typedef struct hdr {
    uint64_t l1_off, rt_off;
    uint32_t l1_n, rt_clusters;
} hdr;

static bool read_header(chk *c, hdr *h)
{
    uint8_t b[104] = {0};
    if (!read_all(c, b, 72, 0) || be32(b) != QCOW2_MAGIC)
        return false;
    uint32_t version = be32(b + 4);
    if (version == 3 && !read_all(c, b + 72, 32, 72))
        return false;
    if (version != 2 && version != 3)
        return false;
    c->bits = be32(b + 20);
    if (c->bits < QCOW2_MIN_CLUSTER || c->bits > QCOW2_MAX_CLUSTER)
        return false;
    c->cs = 1ull << c->bits;
    uint32_t crypt = be32(b + 32), n_snaps = be32(b + 60);
    if (crypt || n_snaps)
        return false;
    if (version == 3 && ((be64(b + 72) & ~INCOMPAT_KNOWN) || be64(b + 88) || be32(b + 96) != 4))
        return false;
    h->l1_n = be32(b + 36);
    h->l1_off = be64(b + 40);
    h->rt_off = be64(b + 48);
    h->rt_clusters = be32(b + 56);
    c->nb = (c->size + c->cs - 1) >> c->bits;
    return h->l1_n <= MAX_L1_ENTRIES && c->nb <= MAX_CLUSTERS;
}

static st_qcheck_result check(chk *c, st_qcow2_counts *out)
{
    hdr h;
    if (!read_header(c, &h))
        return ST_QCHECK_ASK_QEMU;
    c->computed = xcalloc(c->nb ? c->nb : 1, sizeof(uint16_t));
    c->table = xmalloc(c->cs);
    uint64_t l1_len = (uint64_t)h.l1_n * 8;
    uint8_t *l1 = xmalloc(l1_len ? l1_len : 1);
    if (!inc(c, 0, c->cs) || (l1_len && (!aligned(c, h.l1_off) || !inc(c, h.l1_off, l1_len) ||
                                         !read_all(c, l1, l1_len, h.l1_off))))
        goto ask;
    if (walk_l1(c, l1, h.l1_n, 0) < 0 || !read_refcounts(c, h.rt_off, h.rt_clusters))
        goto ask;
    for (uint64_t i = 0; i < c->nb; i++) {
        unsigned s = stored_ref(c, i);
        out->leaks += s > c->computed[i];
        out->corruptions += s < c->computed[i];
    }
    long long flags = walk_l1(c, l1, h.l1_n, 1);
    if (flags < 0)
        goto ask;
    out->corruptions += (unsigned long long)flags;
    free(l1);
    return ST_QCHECK_DONE;
ask:
    free(l1);
    return ST_QCHECK_ASK_QEMU;
}

st_qcheck_result st_qcow2_check(st_read_fn rd, void *ctx, uint64_t file_size, st_qcow2_counts *out)
{
    memset(out, 0, sizeof(*out));
    chk c = {.rd = rd, .ctx = ctx, .size = file_size};
    st_qcheck_result r = check(&c, out);
    free(c.computed);
    for (uint64_t b = 0; c.stored && b < c.n_blocks; b++)
        free(c.stored[b]);
    free(c.stored);
    free(c.table);
    if (r != ST_QCHECK_DONE)
        memset(out, 0, sizeof(*out));
    return r;
}

st_qcheck_result st_qcow2_check_path(const char *path, st_qcow2_counts *out)
{
    struct stat st;
    uint64_t size;
    char *why = NULL;
    memset(out, 0, sizeof(*out));
    int fd = st_image_open(path, &st, &size, &why);
    free(why);
    if (fd < 0 || !S_ISREG(st.st_mode)) {
        if (fd >= 0)
            close(fd);
        return ST_QCHECK_ASK_QEMU;
    }
    st_qcheck_result r = st_qcow2_check(st_image_fd_read, &fd, size, out);
    close(fd);
    return r;
}
