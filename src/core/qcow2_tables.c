#include "config.h"

#include "core/qcow2_tables.h"

#include <endian.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/util.h"

/* An L1 entry's offset of its L2 table, without the flags (bit 63: copied, 0-8 reserved). */
#define L1_OFFSET_MASK 0x00fffffffffffe00ull
/* At most this many L1 entries are compared: 1 Mi entries cover petabytes of disk. */
#define L1_MAX_ENTRIES (1u << 20)
/* qemu's own limits on the snapshot table. */
#define SNAPSHOTS_MAX        65536u
#define SNAPSHOT_TABLE_MAX   (64u * 1024 * 1024)
#define SNAPSHOT_ENTRY_FIXED 40u

typedef struct reader {
    st_read_fn rd;
    void *ctx;
    uint64_t size;
} reader;

/* Big-endian fields, as qcow2 stores them. */
static uint32_t get32(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, sizeof(v));
    return be32toh(v);
}

static uint64_t get64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, sizeof(v));
    return be64toh(v);
}

/* Reads exactly len bytes at off inside the file; false otherwise. */
static bool read_all(const reader *r, void *buf, size_t len, uint64_t off)
{
    if (off > r->size || len > r->size - off)
        return false;
    size_t done = 0;
    while (done < len) {
        ssize_t n = r->rd(r->ctx, (char *)buf + done, len - done, off + done);
        if (n <= 0 || (size_t)n > len - done)
            return false;
        done += (size_t)n;
    }
    return true;
}

/* An L1 table of n entries at off, as offsets without flags; NULL when it cannot be read. */
static uint64_t *read_l1(const reader *r, uint64_t off, uint32_t n)
{
    if (n > L1_MAX_ENTRIES)
        return NULL;
    uint8_t *raw = xmalloc(n ? (size_t)n * 8 : 1);
    uint64_t *l1 = NULL;
    if (read_all(r, raw, (size_t)n * 8, off)) {
        l1 = xmalloc(n ? (size_t)n * sizeof(uint64_t) : 1);
        for (uint32_t i = 0; i < n; i++)
            l1[i] = get64(raw + 8 * (size_t)i) & L1_OFFSET_MASK;
    }
    free(raw);
    return l1;
}

/* Whether two L1 tables point at the same L2 tables (entries past the shorter one are 0). */
static bool same_l1(const uint64_t *a, uint32_t na, const uint64_t *b, uint32_t nb)
{
    uint32_t n = na > nb ? na : nb;
    for (uint32_t i = 0; i < n; i++)
        if ((i < na ? a[i] : 0) != (i < nb ? b[i] : 0))
            return false;
    return true;
}

/*
 * Walks the snapshot table (nb entries at off) and names the snapshots whose L1 table equals
 * the active one. False when the table cannot be read whole.
 */
static bool match_snapshots(const reader *r, uint64_t off, uint32_t nb, const uint64_t *l1,
                            uint32_t l1_size, st_qcow2_tables *out)
{
    uint64_t pos = off;
    for (uint32_t i = 0; i < nb; i++) {
        uint8_t e[SNAPSHOT_ENTRY_FIXED];
        if (pos - off > SNAPSHOT_TABLE_MAX || !read_all(r, e, sizeof(e), pos))
            return false;
        uint64_t soff = get64(e);
        uint32_t ssize = get32(e + 8);
        uint16_t id_len = (uint16_t)(e[12] << 8 | e[13]), name_len = (uint16_t)(e[14] << 8 | e[15]);
        uint32_t extra = get32(e + 36);
        if (extra > SNAPSHOT_TABLE_MAX)
            return false;
        uint64_t name_off = pos + sizeof(e) + extra + id_len;
        char *name = xmalloc((size_t)name_len + 1);
        bool ok = read_all(r, name, name_len, name_off);
        name[name_len] = '\0';
        uint64_t *sl1 = ok ? read_l1(r, soff, ssize) : NULL;
        if (sl1 && !memchr(name, '\0', name_len) && same_l1(l1, l1_size, sl1, ssize)) {
            out->at = xrealloc(out->at, (out->n_at + 1) * sizeof(char *));
            out->at[out->n_at++] = name;
            name = NULL;
        }
        free(sl1);
        free(name);
        if (!ok)
            return false;
        /* Each entry is padded to a multiple of 8 bytes. */
        uint64_t len = sizeof(e) + (uint64_t)extra + id_len + name_len;
        pos += (len + 7) & ~7ull;
    }
    return true;
}

void st_qcow2_tables_read(st_read_fn rd, void *ctx, uint64_t file_size, st_qcow2_tables *out)
{
    memset(out, 0, sizeof(*out));
    reader r = {rd, ctx, file_size};
    uint8_t h[72];
    if (!read_all(&r, h, sizeof(h), 0) || memcmp(h, "QFI\xfb", 4) != 0)
        return;
    uint32_t version = get32(h + 4);
    if (version != 2 && version != 3)
        return;
    uint32_t l1_size = get32(h + 36), nb_snapshots = get32(h + 60);
    uint64_t *l1 = read_l1(&r, get64(h + 40), l1_size);
    if (!l1 || nb_snapshots > SNAPSHOTS_MAX) {
        free(l1);
        return;
    }
    for (uint32_t i = 0; i < l1_size && !out->holds_data; i++)
        out->holds_data = l1[i] != 0;
    out->known = match_snapshots(&r, get64(h + 64), nb_snapshots, l1, l1_size, out);
    if (!out->known)
        st_qcow2_tables_clear(out);
    free(l1);
}

static ssize_t fd_read(void *ctx, void *buf, size_t len, uint64_t off)
{
    return pread(*(int *)ctx, buf, len, (off_t)off);
}

/* qemu's own bound on the refcount table. */
#define REFTABLE_MAX (8u * 1024 * 1024)
/* A reftable entry's refcount block offset, without the reserved low bits. */
#define REFTABLE_OFFSET_MASK 0xfffffffffffffe00ull

/*
 * The index of the last non-zero refcount among the refcounts of `width` bits packed in `blk`
 * (qemu packs narrower ones from the low bits of each byte up, wider ones big-endian); -1 when
 * all are zero.
 */
static int64_t last_used(const uint8_t *blk, size_t len, unsigned width)
{
    size_t b = len;
    while (b > 0 && blk[b - 1] == 0)
        b--;
    if (b == 0)
        return -1;
    b--;
    if (width >= 8)
        return (int64_t)(b / (width / 8));
    unsigned msb = 7;
    while (!(blk[b] >> msb & 1))
        msb--;
    return (int64_t)(b * (8 / width) + msb / width);
}

int st_qcow2_end_offset(st_read_fn rd, void *ctx, uint64_t file_size, uint64_t *end)
{
    reader r = {rd, ctx, file_size};
    uint8_t h[104];
    if (!read_all(&r, h, 72, 0) || memcmp(h, "QFI\xfb", 4) != 0)
        return -1;
    uint32_t version = get32(h + 4), cluster_bits = get32(h + 20), order = 4;
    if ((version != 2 && version != 3) || cluster_bits < 9 || cluster_bits > 21)
        return -1;
    if (version == 3) {
        if (!read_all(&r, h + 72, 32, 72) || (order = get32(h + 96)) > 6)
            return -1;
    }
    uint64_t cluster = 1ull << cluster_bits, rt_off = get64(h + 48);
    uint64_t rt_len = (uint64_t)get32(h + 56) * cluster;
    if (rt_len == 0 || rt_len > REFTABLE_MAX)
        return -1;
    uint8_t *rt = xmalloc(rt_len), *blk = xmalloc(cluster);
    int rc = read_all(&r, rt, rt_len, rt_off) ? 0 : -1;
    uint64_t per_block = cluster * 8 / (1u << order);
    *end = 0;
    /* From the last refcount block down: the first non-zero refcount found is the end. */
    for (uint64_t i = rt_len / 8; rc == 0 && i-- > 0;) {
        uint64_t off = get64(rt + 8 * i) & REFTABLE_OFFSET_MASK;
        if (!off)
            continue;
        if (!read_all(&r, blk, cluster, off)) {
            rc = -1;
            break;
        }
        int64_t j = last_used(blk, cluster, 1u << order);
        if (j >= 0) {
            *end = (i * per_block + (uint64_t)j + 1) * cluster;
            break;
        }
    }
    free(rt);
    free(blk);
    return rc;
}

int st_qcow2_end_offset_fd(int fd, uint64_t file_size, uint64_t *end)
{
    return st_qcow2_end_offset(fd_read, &fd, file_size, end);
}

void st_qcow2_tables_fd(int fd, uint64_t file_size, st_qcow2_tables *out)
{
    st_qcow2_tables_read(fd_read, &fd, file_size, out);
}

void st_qcow2_tables_clear(st_qcow2_tables *t)
{
    for (size_t i = 0; i < t->n_at; i++)
        free(t->at[i]);
    free(t->at);
    memset(t, 0, sizeof(*t));
}
