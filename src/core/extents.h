/*
 * Sets of guest byte ranges, as `qemu-img map` lists them: which parts of a disk one image (or a
 * stack of images) holds. Kept sorted and merged, so that union, difference and size are one
 * pass each; what a merge adds to the image that receives it is such a difference.
 */
#ifndef ST_EXTENTS_H
#define ST_EXTENTS_H

#include <stddef.h>
#include <stdint.h>

typedef struct st_extent {
    uint64_t start, len;
} st_extent;

typedef struct st_extents {
    st_extent *v; /* sorted by start, none touching or overlapping another */
    size_t n, cap;
} st_extents;

/* Adds [start, start+len). Appending in ascending order (as a table walk does) is cheap; an
 * out-of-order range is merged in too. */
void st_extents_add(st_extents *e, uint64_t start, uint64_t len);
void st_extents_clear(st_extents *e);
uint64_t st_extents_bytes(const st_extents *e);
/* out = a ∪ b, out = a \ b (out is cleared first and may be neither a nor b). */
void st_extents_union(const st_extents *a, const st_extents *b, st_extents *out);
void st_extents_minus(const st_extents *a, const st_extents *b, st_extents *out);
/* Every range widened to whole units of `unit` bytes (a power of two): the clusters an image of
 * that cluster size allocates to hold them. */
void st_extents_align(const st_extents *a, uint64_t unit, st_extents *out);

#endif
