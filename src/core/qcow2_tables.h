/*
 * What a qcow2 image's tables say of its content, beyond its header: whether it holds any data
 * cluster (a fresh overlay holds none), and which of its internal snapshots it still is: the
 * image's active L1 table equals a snapshot's when nothing was written since the snapshot was
 * taken or reverted to (a write to a cluster the snapshot shares copies it, and with it the L2
 * table and the L1 entry). Bounded and defensive like the header reader (qcow2.h): a table too
 * large or out of the file makes the answer "not known", never a crash or a huge allocation.
 */
#ifndef ST_QCOW2_TABLES_H
#define ST_QCOW2_TABLES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/qcow2.h"

typedef struct st_qcow2_tables {
    bool known;      /* the tables were read: what follows holds */
    bool holds_data; /* some L1 entry points at an L2 table */
    char **at;       /* the internal snapshots (names) whose L1 table equals the active one */
    size_t n_at;
} st_qcow2_tables;

/* Reads the tables of a qcow2 image (its header already probed as qcow2). */
void st_qcow2_tables_read(st_read_fn rd, void *ctx, uint64_t file_size, st_qcow2_tables *out);
void st_qcow2_tables_fd(int fd, uint64_t file_size, st_qcow2_tables *out);
void st_qcow2_tables_clear(st_qcow2_tables *t);

/*
 * Where a qcow2 image's last used cluster ends (qemu-img check's "image end offset"), from its
 * refcount table: on a block device (an LV, as oVirt keeps images) that, not the device's size,
 * is what the image takes, and the device's size less it is the room left to grow. Returns 0,
 * or -1 when the tables cannot be read (out of the file, beyond qemu's limits).
 */
int st_qcow2_end_offset(st_read_fn rd, void *ctx, uint64_t file_size, uint64_t *end);
int st_qcow2_end_offset_fd(int fd, uint64_t file_size, uint64_t *end);

#endif
