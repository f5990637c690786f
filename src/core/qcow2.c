#include "config.h"

#include "core/qcow2.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "base/i18n.h"
#include "base/util.h"

/* Every magic and fixed header field we look at lies in the first 512 bytes. */
#define HEAD_LEN 512

/* qcow2 (docs/interop/qcow2.txt); all fields big-endian. */
#define QCOW2_V2_HEADER_LEN  72
#define QCOW2_V3_HEADER_MIN  104
#define QCOW2_MIN_CLUSTER    9
#define QCOW2_MAX_CLUSTER    21
#define QCOW2_EXT_END        0x00000000u
#define QCOW2_EXT_BACKING    0xe2792acau
#define QCOW2_INCOMPAT_DIRTY (1ull << 0)
#define QCOW2_INCOMPAT_CORR  (1ull << 1)
#define QCOW2_INCOMPAT_DATA  (1ull << 2)
#define QCOW2_INCOMPAT_KNOWN 0x1full /* dirty, corrupt, data file, compression, extended L2 */
/* qemu has no limit here; real images carry fewer than ten extensions. */
#define QCOW2_MAX_EXTENSIONS 256
/* qemu keeps the backing format in a 16-byte buffer. */
#define BACKING_FMT_MAX 15

/* qed (docs/interop/qed_spec.txt); all fields little-endian. */
#define QED_HEADER_LEN    64
#define QED_F_BACKING     (1ull << 0)
#define QED_F_NEED_CHECK  (1ull << 1)
#define QED_F_BACKING_RAW (1ull << 2)
#define QED_F_KNOWN       0x7ull
#define QED_MIN_CLUSTER   (4u * 1024)
#define QED_MAX_CLUSTER   (64u * 1024 * 1024)

#define VDI_SIGNATURE 0xbeda107fu

/* The state of one probe: the reader, the file's size and its first bytes. */
typedef struct probe {
    st_read_fn rd;
    void *ctx;
    uint64_t size;
    uint8_t head[HEAD_LEN];
    size_t nhead;
    st_image_info *out;
    strbuf warn;
} probe;

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint64_t be64(const uint8_t *p)
{
    return (uint64_t)be32(p) << 32 | be32(p + 4);
}

static uint16_t be16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
}

static uint64_t le64(const uint8_t *p)
{
    return (uint64_t)le32(p + 4) << 32 | le32(p);
}

static int fail(probe *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int fail(probe *p, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    free(p->out->error);
    p->out->error = xvasprintf(fmt, ap);
    va_end(ap);
    return -1;
}

static void warn(probe *p, const char *what)
{
    if (p->warn.len)
        sb_add(&p->warn, "; ");
    sb_add(&p->warn, what);
}

static void set_format(st_image_info *out, const char *fmt)
{
    snprintf(out->format, sizeof(out->format), "%s", fmt);
}

/* True when [off, off+len) lies inside [0, limit), without overflow. */
static bool within(uint64_t off, uint64_t len, uint64_t limit)
{
    return off <= limit && len <= limit - off;
}

/*
 * Reads up to len bytes at off, never past the file's size, retrying short reads. Returns the
 * count read (less than len only at end of file) or -1 on a read error.
 */
static ssize_t read_upto(const probe *p, void *buf, size_t len, uint64_t off)
{
    if (off >= p->size)
        return 0;
    if (len > p->size - off)
        len = (size_t)(p->size - off);
    size_t done = 0;
    while (done < len) {
        ssize_t n = p->rd(p->ctx, (char *)buf + done, len - done, off + done);
        if (n < 0)
            return -1;
        if (n == 0 || (size_t)n > len - done)
            break;
        done += (size_t)n;
    }
    return (ssize_t)done;
}

/* Reads exactly len bytes; anything less becomes `what` (or a read error) in out->error. */
static int read_exact(probe *p, void *buf, size_t len, uint64_t off, const char *what)
{
    ssize_t n = read_upto(p, buf, len, off);
    if (n < 0)
        return fail(p, _("read error"));
    if ((size_t)n < len)
        return fail(p, "%s", what);
    return 0;
}

/* A backing file name: at most ST_BACKING_NAME_MAX bytes inside `limit`, no NUL byte. */
static int read_backing_name(probe *p, uint64_t off, uint64_t len, uint64_t limit)
{
    if (len == 0)
        return 0;
    if (len > ST_BACKING_NAME_MAX)
        return fail(p, _("backing file name too long (%llu bytes)"), (unsigned long long)len);
    if (!within(off, len, limit))
        return fail(p, _("backing file name outside the header"));
    if (!within(off, len, p->size))
        return fail(p, _("backing file name beyond end of file"));
    char *name = xmalloc(len + 1);
    if (read_exact(p, name, len, off, _("truncated backing file name")) < 0) {
        free(name);
        return -1;
    }
    if (memchr(name, '\0', len)) {
        free(name);
        return fail(p, _("backing file name contains a NUL byte"));
    }
    name[len] = '\0';
    p->out->backing_name = name;
    return 0;
}

/* Format names reach qemu-img's command line later: accept only what a driver name can be. */
static bool fmt_name_ok(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-' || c == '.' || c == '+'))
            return false;
    }
    return true;
}

static int read_backing_fmt(probe *p, uint64_t off, uint32_t len)
{
    char buf[BACKING_FMT_MAX + 1];
    if (len > BACKING_FMT_MAX)
        return fail(p, _("backing format too long (%u bytes)"), len);
    if (read_exact(p, buf, len, off, _("truncated qcow2 header extensions")) < 0)
        return -1;
    if (!fmt_name_ok(buf, len))
        return fail(p, _("invalid backing format name"));
    buf[len] = '\0';
    free(p->out->backing_fmt);
    p->out->backing_fmt = len ? xstrdup(buf) : NULL;
    return 0;
}

/*
 * Walks the header extensions from `off` up to `end` (the backing name or the end of the first
 * cluster), as qemu does. Every step moves forward by at least 8 bytes and the count is capped, so
 * a hostile header can neither loop nor make us read much.
 */
static int walk_extensions(probe *p, uint64_t off, uint64_t end)
{
    for (int count = 0; off < end; count++) {
        uint8_t eh[8];
        if (count == QCOW2_MAX_EXTENSIONS)
            return fail(p, _("too many qcow2 header extensions"));
        if (end - off < sizeof(eh))
            return fail(p, _("qcow2 header extension too large"));
        if (read_exact(p, eh, sizeof(eh), off, _("truncated qcow2 header extensions")) < 0)
            return -1;
        uint32_t type = be32(eh), len = be32(eh + 4);
        off += sizeof(eh);
        if (len > end - off)
            return fail(p, _("qcow2 header extension too large (%u bytes)"), len);
        if (type == QCOW2_EXT_END)
            return 0;
        if (type == QCOW2_EXT_BACKING && read_backing_fmt(p, off, len) < 0)
            return -1;
        off += ((uint64_t)len + 7) & ~(uint64_t)7;
    }
    return 0;
}

static void qcow2_features(probe *p, uint64_t bits)
{
    p->out->incompatible = bits;
    if (bits & QCOW2_INCOMPAT_DIRTY)
        warn(p, _("marked dirty"));
    if (bits & QCOW2_INCOMPAT_CORR) {
        warn(p, _("marked corrupt"));
        p->out->refused = true;
    }
    if (bits & QCOW2_INCOMPAT_DATA)
        warn(p, _("external data file"));
    if (bits & ~QCOW2_INCOMPAT_KNOWN) {
        char s[64];
        snprintf(s, sizeof(s), _("unknown incompatible features 0x%llx"),
                 (unsigned long long)(bits & ~QCOW2_INCOMPAT_KNOWN));
        warn(p, s);
        p->out->refused = true;
    }
}

/* qcow (version 1): 48-byte header, backing name bounded only by the file and qemu's limit. */
static int parse_qcow1(probe *p)
{
    const uint8_t *h = p->head;
    set_format(p->out, "qcow");
    p->out->version = 1;
    if (p->nhead < 48)
        return fail(p, _("truncated qcow header"));
    p->out->virtual_size = be64(h + 24);
    return read_backing_name(p, be64(h + 8), be32(h + 16), UINT64_MAX);
}

/* Where a table named by the header ends, or 0 when it is empty. */
static uint64_t table_end(uint64_t off, uint64_t count, uint64_t entry)
{
    if (!count)
        return 0;
    uint64_t len = count * entry; /* a 32-bit count times at most 2^21: no overflow */
    return off > UINT64_MAX - len ? UINT64_MAX : off + len;
}

/*
 * A file cut short (a copy interrupted, a full disk) keeps a good header but loses the tables it
 * names, and qemu then reads zeros for them without a word: every guest write in that layer is
 * gone, and a merge through it spreads the loss. Only the header's own fields are compared with
 * the file's size here (no extra read), so this costs nothing per layer; it cannot see data
 * clusters cut off behind intact tables (qemu-img check can).
 */
static void qcow2_tables(probe *p, uint64_t csize)
{
    const uint8_t *h = p->head;
    /* The snapshot table's entries are variable; each takes at least 40 bytes. */
    const struct {
        const char *what;
        uint64_t end;
    } t[] = {
        {N_("L1 table"), table_end(be64(h + 40), be32(h + 36), 8)},
        {N_("refcount table"), table_end(be64(h + 48), be32(h + 56), csize)},
        {N_("snapshot table"), table_end(be64(h + 64), be32(h + 60), 40)},
    };
    for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
        if (t[i].end > p->size) {
            p->out->damaged =
                xasprintf(_("truncated: its %s ends at byte %llu, past the end of the file "
                            "(%llu bytes)"),
                          _(t[i].what), (unsigned long long)t[i].end, (unsigned long long)p->size);
            return;
        }
}

static int parse_qcow2(probe *p)
{
    const uint8_t *h = p->head;
    set_format(p->out, "qcow2");
    if (p->nhead < 8)
        return fail(p, _("truncated qcow2 header"));
    uint32_t version = be32(h + 4);
    if (version == 1)
        return parse_qcow1(p);
    if (version != 2 && version != 3)
        return fail(p, _("unsupported qcow2 version %u"), version);
    p->out->version = version;
    if (p->nhead < (version == 2 ? QCOW2_V2_HEADER_LEN : QCOW2_V3_HEADER_MIN))
        return fail(p, _("truncated qcow2 header"));

    uint64_t boff = be64(h + 8);
    uint32_t blen = be32(h + 16), cbits = be32(h + 20);
    p->out->virtual_size = be64(h + 24);
    if (cbits < QCOW2_MIN_CLUSTER || cbits > QCOW2_MAX_CLUSTER)
        return fail(p, _("invalid qcow2 cluster size (2^%u)"), cbits);
    uint64_t csize = 1ull << cbits, hlen = QCOW2_V2_HEADER_LEN;
    if (version == 3) {
        hlen = be32(h + 100);
        if (hlen < QCOW2_V3_HEADER_MIN)
            return fail(p, _("qcow2 header length too short (%llu)"), (unsigned long long)hlen);
        if (hlen > csize)
            return fail(p, _("qcow2 header length beyond first cluster"));
        if (hlen > p->size)
            return fail(p, _("truncated qcow2 header"));
        qcow2_features(p, be64(h + 72));
    }
    if (boff && boff > csize)
        return fail(p, _("backing file offset beyond first cluster"));
    if (boff && blen > ST_BACKING_NAME_MAX)
        return fail(p, _("backing file name too long (%u bytes)"), blen);
    if (walk_extensions(p, hlen, boff ? boff : csize) < 0)
        return -1;
    if (boff && read_backing_name(p, boff, blen, csize) < 0)
        return -1;
    qcow2_tables(p, csize);
    return 0;
}

static int parse_qed(probe *p)
{
    const uint8_t *h = p->head;
    set_format(p->out, "qed");
    if (p->nhead < QED_HEADER_LEN)
        return fail(p, _("truncated qed header"));
    uint32_t csize = le32(h + 4), hclusters = le32(h + 12);
    uint64_t features = le64(h + 16);
    p->out->virtual_size = le64(h + 48);
    if (csize < QED_MIN_CLUSTER || csize > QED_MAX_CLUSTER || (csize & (csize - 1)))
        return fail(p, _("invalid qed cluster size (%u)"), csize);
    if (features & QED_F_NEED_CHECK)
        warn(p, _("needs a consistency check"));
    if (features & ~QED_F_KNOWN) {
        warn(p, _("unknown qed features"));
        p->out->refused = true;
    }
    if (!(features & QED_F_BACKING))
        return 0;
    if (features & QED_F_BACKING_RAW)
        p->out->backing_fmt = xstrdup("raw");
    uint64_t area = (uint64_t)csize * hclusters; /* both 32-bit: cannot overflow */
    return read_backing_name(p, le32(h + 56), le32(h + 60), area);
}

static void parse_vmdk(probe *p)
{
    set_format(p->out, "vmdk");
    if (p->nhead < 20 || memcmp(p->head, "KDMV", 4) != 0)
        return;
    p->out->version = le32(p->head + 4);
    uint64_t sectors = le64(p->head + 12);
    if (sectors <= UINT64_MAX / 512)
        p->out->virtual_size = sectors * 512;
}

static void parse_vdi(probe *p)
{
    set_format(p->out, "vdi");
    /* disk_size follows a 64-byte banner, signature, version and the v1.1 fixed fields. */
    if (p->nhead >= 376 && le32(p->head + 68) >> 16 == 1)
        p->out->virtual_size = le64(p->head + 368);
}

static void parse_vpc(probe *p)
{
    set_format(p->out, "vpc");
    if (p->nhead >= 56)
        p->out->virtual_size = be64(p->head + 48); /* current_size, what qemu-img reports */
}

static void parse_luks(probe *p)
{
    set_format(p->out, "luks");
    /* LUKS1 names its payload offset in sectors; LUKS2 keeps it in JSON: left unknown. */
    if (p->nhead < 108 || be16(p->head + 6) != 1)
        return;
    uint64_t payload = (uint64_t)be32(p->head + 104) * 512;
    if (payload <= p->size)
        p->out->virtual_size = p->size - payload;
}

static bool magic(const probe *p, uint64_t off, const char *m, size_t len)
{
    return p->nhead >= off + len && memcmp(p->head + off, m, len) == 0;
}

/* Recognises the format by its magic and parses what that format's header offers. */
static int probe_header(probe *p)
{
    ssize_t n = read_upto(p, p->head, sizeof(p->head), 0);
    if (n < 0)
        return fail(p, _("read error"));
    p->nhead = (size_t)n;
    if (magic(p, 0, "QFI\xfb", 4))
        return parse_qcow2(p);
    if (magic(p, 0, "QED\0", 4))
        return parse_qed(p);
    if (magic(p, 0, "KDMV", 4) || magic(p, 0, "COWD", 4) ||
        magic(p, 0, "# Disk DescriptorFile", 21))
        parse_vmdk(p);
    else if (p->nhead >= 72 && le32(p->head + 64) == VDI_SIGNATURE)
        parse_vdi(p);
    else if (magic(p, 0, "conectix", 8))
        parse_vpc(p);
    else if (magic(p, 0, "vhdxfile", 8))
        set_format(p->out, "vhdx");
    else if (magic(p, 0, "LUKS\xba\xbe", 6))
        parse_luks(p);
    else {
        set_format(p->out, "raw");
        p->out->virtual_size = p->size;
    }
    return 0;
}

/* Formats whose magic we know: when one of these is declared, the header must agree. */
static bool format_probed(const char *fmt)
{
    static const char *const known[] = {"raw", "qcow", "qcow2", "qed",  "vmdk",
                                        "vdi", "vpc",  "vhdx",  "luks", NULL};
    for (size_t i = 0; known[i]; i++)
        if (strcmp(fmt, known[i]) == 0)
            return true;
    return false;
}

/*
 * A declared format we cannot recognise ("iso", "dmg", "parallels", …) over what looks raw is
 * believed: those headers are simply not ours to read.
 */
static int check_hint(probe *p, const char *hint)
{
    st_image_info *out = p->out;
    if (!hint || !*hint || strcmp(hint, out->format) == 0)
        return 0;
    if (strcmp(out->format, "raw") == 0 && !format_probed(hint)) {
        set_format(out, hint);
        if (strcmp(hint, "iso") != 0)
            out->virtual_size = 0;
        return 0;
    }
    return fail(p, _("header says %s, domain says %s"), out->format, hint);
}

int st_image_probe(st_read_fn rd, void *ctx, uint64_t file_size, const char *fmt_hint,
                   st_image_info *out)
{
    memset(out, 0, sizeof(*out));
    if (fmt_hint && strcmp(fmt_hint, "raw") == 0) {
        /* Probing a raw image lets a guest choose how the host reads its disk: never do it. */
        set_format(out, "raw");
        out->virtual_size = file_size;
        return 0;
    }
    probe p = {.rd = rd, .ctx = ctx, .size = file_size, .out = out};
    sb_init(&p.warn);
    int r = probe_header(&p);
    if (r == 0)
        r = check_hint(&p, fmt_hint);
    if (p.warn.len)
        out->warning = sb_steal(&p.warn);
    sb_free(&p.warn);
    return r;
}

ssize_t st_image_fd_read(void *ctx, void *buf, size_t len, uint64_t off)
{
    int fd = *(int *)ctx;
    if (off > (uint64_t)INT64_MAX)
        return 0;
    for (;;) {
        ssize_t n = pread(fd, buf, len, (off_t)off);
        if (n >= 0 || errno != EINTR)
            return n;
    }
}

int st_image_probe_fd(int fd, uint64_t file_size, const char *fmt_hint, st_image_info *out)
{
    return st_image_probe(st_image_fd_read, &fd, file_size, fmt_hint, out);
}

int st_image_probe_path(const char *path, const char *fmt_hint, st_image_info *out)
{
    struct stat st;
    uint64_t size;
    char *why = NULL;
    int fd = st_image_open(path, &st, &size, &why);
    if (fd < 0) {
        memset(out, 0, sizeof(*out));
        out->error = why;
        return -1;
    }
    int r = st_image_probe_fd(fd, size, fmt_hint, out);
    close(fd);
    return r;
}

void st_image_info_clear(st_image_info *info)
{
    free(info->backing_name);
    free(info->backing_fmt);
    free(info->warning);
    free(info->damaged);
    free(info->error);
    memset(info, 0, sizeof(*info));
}

static bool image_type_ok(const struct stat *st)
{
    return S_ISREG(st->st_mode) || S_ISBLK(st->st_mode);
}

static int open_failed(char **why, const char *what, int err)
{
    *why = xasprintf("%s: %s", what, strerror(err));
    return -1;
}

int st_image_open(const char *path, struct stat *st, uint64_t *size, char **why)
{
    *why = NULL;
    if (stat(path, st) < 0)
        return open_failed(
            why, errno == ENOENT || errno == ENOTDIR ? _("missing") : _("cannot open"), errno);
    if (!image_type_ok(st)) {
        *why = xstrdup(_("not a regular file or block device"));
        return -1;
    }
    /* O_NONBLOCK: should the path be swapped for a FIFO after stat(), open() must not hang. */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0)
        return open_failed(why, errno == ENOENT ? _("missing") : _("cannot open"), errno);
    if (fstat(fd, st) < 0 || !image_type_ok(st)) {
        close(fd);
        *why = xstrdup(_("not a regular file or block device"));
        return -1;
    }
    *size = (uint64_t)st->st_size;
    if (S_ISBLK(st->st_mode) && ioctl(fd, BLKGETSIZE64, size) < 0) {
        int err = errno;
        close(fd);
        return open_failed(why, _("cannot get size"), err);
    }
    return fd;
}
