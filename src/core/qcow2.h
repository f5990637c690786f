/*
 * A bounded, defensive reader of disk image headers. It never trusts a length or offset from the
 * file: every field is checked against the bytes actually read and against fixed limits, so that a
 * truncated, hostile or fuzzed header becomes an error string, never a crash or a huge allocation.
 */
#ifndef ST_QCOW2_H
#define ST_QCOW2_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "core/extents.h"
#include "core/model.h"

/* qemu limits backing names to 1023 bytes; anything longer is refused as hostile. */
#define ST_BACKING_NAME_MAX 1023
/* Chains deeper than this are reported as broken (qemu's own limit is similar). */
#define ST_CHAIN_MAX_DEPTH 256

typedef struct st_image_info {
    char format[16];       /* "qcow2", "raw", "qed", "vmdk", "vdi", "vpc", "vhdx", "luks", … */
    uint64_t virtual_size; /* 0 when not known */
    char *backing_name;    /* exactly as stored (may be non-UTF-8), NUL-terminated; NULL: none */
    char *backing_fmt;     /* from the qcow2 backing-format header extension (qed: "raw" when
                              its header says never probe); NULL: none */
    unsigned version;      /* qcow/qcow2/qed/vmdk header version; 0 when not known */
    uint64_t incompatible; /* qcow2 v3 incompatible feature bits as stored */
    bool refused;          /* qemu would refuse it (unknown incompatible features) or open it
                              read-only at best (marked corrupt); the header was still read */
    char *warning;         /* what else the header says ("marked dirty; external data file");
                              NULL: nothing */
    char *damaged;         /* the header reads, but the file is too short for the tables it
                              names (truncated): qemu would read zeros where they should be.
                              NULL: nothing found by these cheap checks */
    char *error;           /* why the header could not be read; NULL on success */
} st_image_info;

/*
 * Reads up to `len` bytes at `off`; returns the count read (short at end of file) or -1.
 * Lets the same parser run on files and on fuzzer buffers.
 */
typedef ssize_t (*st_read_fn)(void *ctx, void *buf, size_t len, uint64_t off);

/*
 * Parses the image header. `fmt_hint` is the format the domain XML declares: "raw" is believed
 * without probing (probing a raw guest-written image is a known security hole); NULL or "" probes.
 * `file_size` bounds offsets and gives a raw image its virtual size. Returns 0, or -1 with
 * out->error set. out is always initialised.
 */
int st_image_probe(st_read_fn rd, void *ctx, uint64_t file_size, const char *fmt_hint,
                   st_image_info *out);
/* Probes an image opened with st_image_open (pread on fd). */
int st_image_probe_fd(int fd, uint64_t file_size, const char *fmt_hint, st_image_info *out);
int st_image_probe_path(const char *path, const char *fmt_hint, st_image_info *out);
void st_image_info_clear(st_image_info *info);

/*
 * Opens an image for header reading without side effects: anything but a regular file or a block
 * device is refused before open() (a FIFO would block, some character devices act when opened).
 * Fills *st and *size (st_size, or BLKGETSIZE64 for a block device). Returns the descriptor
 * (O_RDONLY|O_CLOEXEC), or -1 with *why set to a short translated reason ("missing: No such file or
 * directory", "cannot open: Permission denied", "not a regular file or block device").
 */
int st_image_open(const char *path, struct stat *st, uint64_t *size, char **why);

/*
 * Walks a chain on this machine from `path` (the active layer, declared format `fmt`, may be NULL)
 * down to the base, reading headers. Relative backing names are resolved against the folder of the
 * image that names them. Every failure becomes data: a missing file, a loop, an unreadable header
 * or a chain deeper than ST_CHAIN_MAX_DEPTH ends the chain with a layer whose `broken` says why.
 * Fills path, format, backing_name, backing_fmt, virtual_size, allocation (st_blocks*512; for a
 * qcow2 on a block device, the end of its last used cluster; 0 for other block devices), physical
 * (st_size, or the device's size); backing_index is -1. Returns the number of layers (at least 1)
 * in *out.
 *
 * A layer that qemu would refuse (st_image_info.refused) or that is damaged (st_image_info.damaged)
 * is marked broken too, but the walk goes on below it since its backing name was read. A backing
 * name with a protocol ("nbd://…", "rbd:…", "json:{…}") ends the chain with a layer whose path is
 * that name, not read. At most ST_CHAIN_MAX_DEPTH images are read; a deeper chain gets one more
 * layer that says so.
 */
size_t st_chain_read_local(const char *path, const char *fmt, st_layer **out);
/* The same, and each layer's merge figures (merge_known, merge_grows: what committing it into
 * the layer below adds there, space_merge.h), from the maps of the images read on the way. */
size_t st_chain_read_local_figures(const char *path, const char *fmt, st_layer **out);

/* The st_read_fn of an open descriptor (pread; ctx points to the int). */
ssize_t st_image_fd_read(void *ctx, void *buf, size_t len, uint64_t off);

/*
 * The guest data a qcow2 image maps by itself, in bytes: every cluster (or, with extended L2
 * entries, subcluster) its own L2 tables hold data for or mark as zeros, compressed clusters at
 * their full size; nothing of its backing files. For a snapshot's overlay that is what was written
 * since the snapshot. On a running guest's image it is what reached the file: QEMU may still hold
 * the newest table updates in memory. Returns 0, or -1 with *why (malloc'd) set.
 */
int st_qcow2_written(st_read_fn rd, void *ctx, uint64_t file_size, uint64_t *bytes, char **why);
int st_qcow2_written_path(const char *path, uint64_t *bytes, char **why);

/*
 * Which guest ranges a qcow2 image maps by itself, as `qemu-img map` shows its depth-0 entries:
 * `data` where the image holds content (compressed clusters included), `zero` where its tables say
 * the guest reads zeros; ranges of neither come from the backing file. Extended L2 entries give
 * subcluster ranges. Returns 0, or -1 with *why (malloc'd) set and m empty.
 */
typedef struct st_qcow2_map {
    st_extents data, zero;
    uint64_t cluster; /* the image's cluster size */
} st_qcow2_map;

int st_qcow2_map_read(st_read_fn rd, void *ctx, uint64_t file_size, st_qcow2_map *m, char **why);
void st_qcow2_map_clear(st_qcow2_map *m);

#endif
