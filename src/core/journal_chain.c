/* The chains a journal entry records, read from the image headers on this machine. */
#include "config.h"

#include <errno.h>
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
