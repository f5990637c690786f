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
#include <sys/types.h>

#include "model.h"

/* qemu limits backing names to 1023 bytes; anything longer is refused as hostile. */
#define ST_BACKING_NAME_MAX 1023
/* Chains deeper than this are reported as broken (qemu's own limit is similar). */
#define ST_CHAIN_MAX_DEPTH 256

typedef struct st_image_info {
    char format[16];       /* "qcow2", "raw", "qed", "vmdk", "vdi", "vpc", "vhdx", "luks", … */
    uint64_t virtual_size; /* 0 when not known */
    char *backing_name;    /* exactly as stored (may be non-UTF-8), NUL-terminated; NULL: none */
    char *backing_fmt;     /* from the qcow2 backing-format header extension; NULL: none */
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
int st_image_probe_path(const char *path, const char *fmt_hint, st_image_info *out);
void st_image_info_clear(st_image_info *info);

/*
 * Walks a chain on this machine from `path` (the active layer, declared format `fmt`, may be NULL)
 * down to the base, reading headers. Relative backing names are resolved against the folder of the
 * image that names them. Every failure becomes data: a missing file, a loop, an unreadable header or
 * a chain deeper than ST_CHAIN_MAX_DEPTH ends the chain with a layer whose `broken` says why.
 * Fills path, format, backing_name, backing_fmt, virtual_size, allocation (st_blocks*512), physical
 * (st_size); backing_index is -1. Returns the number of layers (at least 1) in *out.
 */
size_t st_chain_read_local(const char *path, const char *fmt, st_layer **out);

#endif
