#include "config.h"

#include "core/extents.h"

#include <stdlib.h>
#include <string.h>

#include "base/util.h"

static void push(st_extents *e, uint64_t start, uint64_t len)
{
    if (e->n == e->cap) {
        e->cap = e->cap ? e->cap * 2 : 16;
        e->v = xrealloc(e->v, e->cap * sizeof(st_extent));
    }
    e->v[e->n].start = start;
    e->v[e->n].len = len;
    e->n++;
}

/* Appends a range that starts at or after the last one's start, merging when they touch. */
static void append(st_extents *e, uint64_t start, uint64_t len)
{
    if (!len)
        return;
    st_extent *last = e->n ? &e->v[e->n - 1] : NULL;
    if (last && start <= last->start + last->len) {
        uint64_t end = start + len;
        if (end > last->start + last->len)
            last->len = end - last->start;
        return;
    }
    push(e, start, len);
}

void st_extents_add(st_extents *e, uint64_t start, uint64_t len)
{
    if (!len)
        return;
    if (!e->n || start >= e->v[e->n - 1].start) {
        append(e, start, len);
        return;
    }
    st_extents one = {0}, out = {0};
    push(&one, start, len);
    st_extents_union(e, &one, &out);
    st_extents_clear(&one);
    st_extents_clear(e);
    *e = out;
}

void st_extents_clear(st_extents *e)
{
    free(e->v);
    memset(e, 0, sizeof(*e));
}

uint64_t st_extents_bytes(const st_extents *e)
{
    uint64_t n = 0;
    for (size_t i = 0; i < e->n; i++)
        n += e->v[i].len;
    return n;
}

void st_extents_union(const st_extents *a, const st_extents *b, st_extents *out)
{
    memset(out, 0, sizeof(*out));
    size_t i = 0, j = 0;
    while (i < a->n || j < b->n) {
        bool take_a = j == b->n || (i < a->n && a->v[i].start <= b->v[j].start);
        const st_extent *x = take_a ? &a->v[i++] : &b->v[j++];
        append(out, x->start, x->len);
    }
}

void st_extents_minus(const st_extents *a, const st_extents *b, st_extents *out)
{
    memset(out, 0, sizeof(*out));
    size_t j = 0;
    for (size_t i = 0; i < a->n; i++) {
        uint64_t pos = a->v[i].start, end = a->v[i].start + a->v[i].len;
        /* Ranges of b wholly before this one cannot cut any later range of a either. */
        while (j < b->n && b->v[j].start + b->v[j].len <= pos)
            j++;
        for (size_t k = j; k < b->n && b->v[k].start < end && pos < end; k++) {
            if (b->v[k].start > pos)
                append(out, pos, b->v[k].start - pos);
            uint64_t bend = b->v[k].start + b->v[k].len;
            if (bend > pos)
                pos = bend;
        }
        if (pos < end)
            append(out, pos, end - pos);
    }
}

void st_extents_align(const st_extents *a, uint64_t unit, st_extents *out)
{
    memset(out, 0, sizeof(*out));
    for (size_t i = 0; i < a->n; i++) {
        uint64_t s = a->v[i].start & ~(unit - 1);
        uint64_t end = a->v[i].start + a->v[i].len;
        end = (end + unit - 1) & ~(unit - 1);
        append(out, s, end - s);
    }
}
