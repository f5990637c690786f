/*
 * libFuzzer target for the image header reader. Each input is probed twice: once whole, once
 * through a reader that returns at most 7 bytes a call (short reads must not change the result).
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/qcow2.h"

typedef struct mem {
    const uint8_t *p;
    size_t n;
    size_t chunk; /* largest read returned at once; 0: no limit */
} mem;

static ssize_t mem_read(void *ctx, void *buf, size_t len, uint64_t off)
{
    const mem *m = ctx;
    if (off >= m->n)
        return 0;
    size_t k = m->n - off < len ? (size_t)(m->n - off) : len;
    if (m->chunk && k > m->chunk)
        k = m->chunk;
    memcpy(buf, m->p + off, k);
    return (ssize_t)k;
}

/* What every result must satisfy, whatever the input. */
static void check(const st_image_info *info, int r)
{
    if (memchr(info->format, '\0', sizeof(info->format)) == NULL)
        abort();
    if ((r == 0) != (info->error == NULL))
        abort();
    if (info->backing_name && strlen(info->backing_name) > ST_BACKING_NAME_MAX)
        abort();
    if (info->backing_name && info->backing_name[0] == '\0')
        abort();
}

static bool same(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    mem whole = {data, size, 0}, bits = {data, size, 7};
    st_image_info a, b;
    int ra = st_image_probe(mem_read, &whole, size, NULL, &a);
    int rb = st_image_probe(mem_read, &bits, size, NULL, &b);
    check(&a, ra);
    check(&b, rb);
    if (ra != rb || strcmp(a.format, b.format) != 0 || a.virtual_size != b.virtual_size ||
        !same(a.backing_name, b.backing_name) || !same(a.backing_fmt, b.backing_fmt) ||
        !same(a.error, b.error) || !same(a.warning, b.warning) || !same(a.damaged, b.damaged))
        abort();
    st_image_info_clear(&a);
    st_image_info_clear(&b);

    /* A declared format takes the other paths (believed raw, mismatch). */
    ra = st_image_probe(mem_read, &whole, size, size % 2 ? "qcow2" : "raw", &a);
    check(&a, ra);
    st_image_info_clear(&a);
    return 0;
}
