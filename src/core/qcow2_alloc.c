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

/* Called for each guest range an L2 entry maps, in ascending order: data (a cluster or
 * subcluster with content in this file, compressed or not) or zeros (reads as zeros here). */
typedef void (*entry_fn)(void *ctx, uint64_t guest, uint64_t len, bool data);

typedef struct walk {
    st_read_fn rd;
    void *ctx;
    uint64_t size;         /* of the file */
    unsigned cluster_bits; /* one L2 table is one cluster */
    bool extended;         /* extended L2 entries: 128 bits, with subcluster bitmaps */
    uint64_t virtual_size;
    uint8_t *table; /* one L2 table */
    entry_fn fn;
    void *fctx;
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

/* What one L2 entry maps at guest offset `guest`: a whole cluster, or its subclusters. */
static void visit_entry(const walk *w, const uint8_t *e, uint64_t guest)
{
    uint64_t std = be64(e), cluster = 1ull << w->cluster_bits;
    if (std & L2_COMPRESSED) {
        w->fn(w->fctx, guest, cluster, true);
        return;
    }
    if (!w->extended) {
        /* The zero flag wins over an offset: such a cluster reads as zeros. */
        if (std & L2_ZERO)
            w->fn(w->fctx, guest, cluster, false);
        else if (std & L2_OFFSET_MASK)
            w->fn(w->fctx, guest, cluster, true);
        return;
    }
    /* Bits 0-31 say which subclusters are allocated, bits 32-63 which read as zeros. */
    uint64_t bitmap = be64(e + 8), sub = cluster / SUBCLUSTERS;
    for (unsigned i = 0; i < SUBCLUSTERS; i++) {
        if (bitmap >> (32 + i) & 1)
            w->fn(w->fctx, guest + i * sub, sub, false);
        else if (bitmap >> i & 1)
            w->fn(w->fctx, guest + i * sub, sub, true);
    }
}

/* Visits the entries of the L2 table at `offset`, which maps the guest from `guest` on. */
static int visit_table(walk *w, uint64_t offset, uint64_t guest, char **why)
{
    size_t len = (size_t)1 << w->cluster_bits;
    /* Only an image that maps something needs room for a table (a fresh overlay does not). */
    if (!w->table)
        w->table = xmalloc(len);
    if ((offset & (len - 1)) || !read_all(w, w->table, len, offset))
        return failed(why, _("an L2 table lies outside the file"));
    size_t esize = w->extended ? 16 : 8;
    for (size_t i = 0; i + esize <= len; i += esize)
        visit_entry(w, w->table + i, guest + (uint64_t)(i / esize) * len);
    return 0;
}

static int visit_l1(walk *w, uint64_t l1_off, uint32_t l1_n, char **why)
{
    /* One L2 table maps as many clusters as it has entries. */
    uint64_t l2_span = ((uint64_t)1 << w->cluster_bits) / (w->extended ? 16 : 8) << w->cluster_bits;
    uint8_t chunk[4096];
    for (uint32_t i = 0; i < l1_n;) {
        uint32_t k = l1_n - i < sizeof(chunk) / 8 ? l1_n - i : (uint32_t)(sizeof(chunk) / 8);
        if (!read_all(w, chunk, (size_t)k * 8, l1_off + (uint64_t)i * 8))
            return failed(why, _("the L1 table lies outside the file"));
        for (uint32_t j = 0; j < k; j++) {
            uint64_t l2 = be64(chunk + (size_t)j * 8) & L1_OFFSET_MASK;
            if (l2 && visit_table(w, l2, (uint64_t)(i + j) * l2_span, why) != 0)
                return -1;
        }
        i += k;
    }
    return 0;
}

/* Reads the header into w and walks the tables, calling w->fn for every range mapped. */
static int walk_image(walk *w, char **why)
{
    *why = NULL;
    uint8_t h[104];
    memset(h, 0, sizeof(h));
    if (!read_all(w, h, 72, 0) || be32(h) != QCOW2_MAGIC)
        return failed(why, _("not a qcow2 image"));
    uint32_t version = be32(h + 4);
    if (version == 3 && !read_all(w, h + 72, 32, 72))
        return failed(why, _("truncated qcow2 header"));
    if (version != 2 && version != 3)
        return failed(why, _("unknown qcow2 version"));
    w->cluster_bits = be32(h + 20);
    if (w->cluster_bits < QCOW2_MIN_CLUSTER || w->cluster_bits > QCOW2_MAX_CLUSTER)
        return failed(why, _("invalid cluster size"));
    w->virtual_size = be64(h + 24);
    w->extended = version == 3 && (be64(h + 72) & QCOW2_INCOMPAT_EXTL2);
    uint32_t l1_n = be32(h + 36);
    if (l1_n > QCOW2_MAX_L1_ENTRIES)
        return failed(why, _("the L1 table is larger than qemu allows"));
    int r = visit_l1(w, be64(h + 40), l1_n, why);
    free(w->table);
    return r;
}

static void add_bytes(void *ctx, uint64_t guest, uint64_t len, bool data)
{
    (void)guest;
    (void)data;
    *(uint64_t *)ctx += len;
}

int st_qcow2_written(st_read_fn rd, void *ctx, uint64_t file_size, uint64_t *bytes, char **why)
{
    *bytes = 0;
    walk w = {.rd = rd, .ctx = ctx, .size = file_size, .fn = add_bytes, .fctx = bytes};
    int r = walk_image(&w, why);
    /* Entries past the end of the disk map nothing a guest wrote. */
    if (r == 0 && *bytes > w.virtual_size)
        *bytes = w.virtual_size;
    return r;
}

typedef struct map_ctx {
    st_qcow2_map *m;
    const walk *w;
} map_ctx;

/* Entries past the end of the disk map nothing a guest reads: they are left out. */
static void add_range(void *ctx, uint64_t guest, uint64_t len, bool data)
{
    map_ctx *mc = ctx;
    uint64_t vs = mc->w->virtual_size;
    if (guest >= vs)
        return;
    if (len > vs - guest)
        len = vs - guest;
    st_extents_add(data ? &mc->m->data : &mc->m->zero, guest, len);
}

int st_qcow2_map_read(st_read_fn rd, void *ctx, uint64_t file_size, st_qcow2_map *m, char **why)
{
    memset(m, 0, sizeof(*m));
    walk w = {.rd = rd, .ctx = ctx, .size = file_size, .fn = add_range};
    map_ctx mc = {.m = m, .w = &w};
    w.fctx = &mc;
    int r = walk_image(&w, why);
    /* A failed walk may have stopped at a cluster size out of range. */
    if (r == 0)
        m->cluster = 1ull << w.cluster_bits;
    else
        st_qcow2_map_clear(m);
    return r;
}

void st_qcow2_map_clear(st_qcow2_map *m)
{
    st_extents_clear(&m->data);
    st_extents_clear(&m->zero);
    m->cluster = 0;
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
