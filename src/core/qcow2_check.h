/*
 * qemu-img check's two counts for a qcow2 image, computed here without starting a process: every
 * cluster the image's metadata uses (the header, the L1 table, the L2 tables and the clusters they
 * map, the refcount table and its blocks) is counted, then compared with the refcount the image
 * stores for it. A stored count above the real one is a leaked cluster (space lost, data safe),
 * below it a corruption; so is an L1 or L2 entry whose "copied" flag disagrees with a stored
 * count of 1. This is qemu's own rule (qcow2_check_refcounts).
 *
 * Only the plain layout is judged here: images with internal snapshots, compressed clusters,
 * extended L2 entries, encryption, an external data file, persistent bitmaps, refcounts of other
 * than 16 bits, the corrupt bit, or any offset that is unaligned or past the end of the file are
 * left to qemu-img check (ST_QCHECK_ASK_QEMU), whose word on them stays the reference.
 */
#ifndef ST_QCOW2_CHECK_H
#define ST_QCOW2_CHECK_H

#include <stdint.h>

#include "core/qcow2.h"

typedef enum {
    ST_QCHECK_DONE = 0,     /* the counts hold */
    ST_QCHECK_ASK_QEMU = 1, /* a layout this check does not judge: run qemu-img check */
} st_qcheck_result;

typedef struct st_qcow2_counts {
    unsigned long long corruptions, leaks;
} st_qcow2_counts;

st_qcheck_result st_qcow2_check(st_read_fn rd, void *ctx, uint64_t file_size, st_qcow2_counts *out);
st_qcheck_result st_qcow2_check_path(const char *path, st_qcow2_counts *out);

#endif
