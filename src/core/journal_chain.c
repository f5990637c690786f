/* The chains a journal entry records, read from the image headers on this machine. */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/i18n.h"
#include "base/util.h"
#include "core/journal.h"
#include "core/qcow2.h"

/* qcow2 clusters are 512 B to 2 MiB; cluster_bits is the big-endian word at byte 20. */
#define QCOW2_MAGIC    "QFI\xfb"
#define QCOW2_MIN_BITS 9
#define QCOW2_MAX_BITS 21

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

char *st_journal_header_sum_path(const char *path, char **why)
{
    struct stat st;
    uint64_t size = 0;
    *why = NULL;
    int fd = st_image_open(path, &st, &size, why);
    if (fd < 0)
        return NULL;
    unsigned char head[24];
    char *sum = NULL;
    if (pread(fd, head, sizeof(head), 0) != (ssize_t)sizeof(head) ||
        memcmp(head, QCOW2_MAGIC, 4) != 0) {
        *why = xstrdup(_("no qcow2 header"));
    } else {
        uint32_t bits = be32(head + 20);
        size_t len = bits >= QCOW2_MIN_BITS && bits <= QCOW2_MAX_BITS ? (size_t)1 << bits : 512;
        if (len > size)
            len = (size_t)size;
        unsigned char *buf = xmalloc(len);
        ssize_t got = pread(fd, buf, len, 0);
        if (got == (ssize_t)len)
            sum = st_journal_header_sum(buf, len);
        else
            *why = xasprintf(_("cannot read the header: %s"),
                             got < 0 ? strerror(errno) : _("the file is too short"));
        free(buf);
    }
    close(fd);
    return sum;
}

static uint64_t be64(const unsigned char *p)
{
    return (uint64_t)be32(p) << 32 | be32(p + 4);
}

/* A qcow2 table the identity covers is at most this large; a larger one is not read whole. */
#define IDENT_TABLE_CAP (64u * 1024 * 1024)

/* Feeds `len` bytes of fd at `off` into the FNV-1a state h; false when they cannot be read. */
static bool sum_range(int fd, uint64_t off, uint64_t len, uint64_t *h)
{
    unsigned char buf[65536];
    while (len) {
        size_t want = len < sizeof(buf) ? (size_t)len : sizeof(buf);
        ssize_t got = pread(fd, buf, want, (off_t)off);
        if (got <= 0)
            return false;
        for (ssize_t i = 0; i < got; i++) {
            *h ^= buf[i];
            *h *= 1099511628211ull;
        }
        off += (uint64_t)got;
        len -= (uint64_t)got;
    }
    return true;
}

/* The checksum of a qcow2 image's L1 table and refcount table (NULL with *why when unreadable):
 * a write that allocates a cluster changes one of them. */
static char *meta_sum(int fd, uint64_t size, char **why)
{
    unsigned char h[64];
    if (pread(fd, h, sizeof(h), 0) != (ssize_t)sizeof(h) || memcmp(h, QCOW2_MAGIC, 4) != 0) {
        *why = xstrdup(_("no qcow2 header"));
        return NULL;
    }
    uint32_t bits = be32(h + 20);
    uint64_t l1_len = (uint64_t)be32(h + 36) * 8, l1_off = be64(h + 40);
    uint64_t rt_off = be64(h + 48);
    uint64_t rt_len = bits >= QCOW2_MIN_BITS && bits <= QCOW2_MAX_BITS
                          ? (uint64_t)be32(h + 56) << bits
                          : UINT64_MAX;
    uint64_t sum = 14695981039346656037ull;
    if (l1_len > IDENT_TABLE_CAP || rt_len > IDENT_TABLE_CAP || l1_off > size ||
        l1_len > size - l1_off || rt_off > size || rt_len > size - rt_off ||
        !sum_range(fd, l1_off, l1_len, &sum) || !sum_range(fd, rt_off, rt_len, &sum)) {
        *why = xstrdup(_("its L1 or refcount table cannot be read"));
        return NULL;
    }
    return xasprintf("fnv1a64:%016" PRIx64, sum);
}

st_json *st_journal_identity_path(const char *path, char **why)
{
    struct stat st;
    uint64_t size = 0;
    *why = NULL;
    int fd = st_image_open(path, &st, &size, why);
    if (fd < 0)
        return NULL;
    char *meta = meta_sum(fd, size, why);
    close(fd);
    if (!meta)
        return NULL;
    st_json *id = st_json_object();
    st_json_set(id, "size", st_json_u64(size));
    /* A string: JSON readers that read numbers as doubles (jq, JavaScript) would round it. */
    char *mtime = xasprintf("%lld%09ld", (long long)st.st_mtim.tv_sec, (long)st.st_mtim.tv_nsec);
    st_json_set_str(id, "mtime_ns", mtime);
    free(mtime);
    st_json_set_str(id, "meta_sum", meta);
    free(meta);
    return id;
}

st_json *st_journal_identity_now(const char *path, bool local)
{
    if (!local || !path || path[0] != '/')
        return NULL;
    char *why = NULL;
    st_json *id = st_journal_identity_path(path, &why);
    free(why);
    return id;
}

char *st_journal_header_sum_now(const char *path, bool local, bool *missing)
{
    struct stat st;
    *missing = local && path && path[0] == '/' && stat(path, &st) != 0 && errno == ENOENT;
    if (*missing || !local)
        return NULL;
    char *why = NULL;
    char *sum = st_journal_header_sum_path(path, &why);
    free(why);
    return sum;
}

st_json *st_journal_chain_local(const char *disk, const char *path, const char *fmt)
{
    st_layer *layers = NULL;
    size_t n = st_chain_read_local(path, fmt, &layers);
    char **sums = xcalloc(n ? n : 1, sizeof(char *));
    char **unread = xcalloc(n ? n : 1, sizeof(char *));
    for (size_t i = 0; i < n; i++)
        if (!layers[i].broken && streq0(layers[i].format, "qcow2"))
            sums[i] = st_journal_header_sum_path(layers[i].path, &unread[i]);
    st_json *c = st_journal_chain(disk, layers, n, sums, unread);
    const st_json *a = st_json_get(c, "layers");
    for (size_t i = 0; i < n; i++) {
        char *why = NULL;
        st_json *id = sums[i] ? st_journal_identity_path(layers[i].path, &why) : NULL;
        st_json_set(a->items[i], "identity", id);
        free(why);
    }
    for (size_t i = 0; i < n; i++) {
        free(sums[i]);
        free(unread[i]);
        st_layer_clear(&layers[i]);
    }
    free(sums);
    free(unread);
    free(layers);
    return c;
}
