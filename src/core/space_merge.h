/*
 * What a merge does to the space its images take: the image that receives the data grows by the
 * guest ranges the merged layers map and it does not (in its own clusters), and the merged files
 * free what they occupy once they are removed. Figured from the images' own maps (as `qemu-img
 * map` shows them), not from file sizes: a layer that rewrites what its backing file holds frees
 * its bytes in a commit, a layer of new data moves them.
 */
#ifndef ST_SPACE_MERGE_H
#define ST_SPACE_MERGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sys/stat.h>

#include "core/qcow2.h"

/* One image's map on this machine: a qcow2 by its tables, a raw file by its holes. */
typedef struct st_layer_map {
    bool known;
    st_qcow2_map map;
    char *why; /* when not known: why (translated) */
} st_layer_map;

/* Reads the map of the image at `path` whose format is `fmt` ("qcow2", "raw"; NULL: probed). */
void st_layer_map_read(const char *path, const char *fmt, st_layer_map *m);
/* The same from an image already open (st_image_open) whose header says `format`. */
void st_layer_map_fd(int fd, const struct stat *st, uint64_t size, const char *format,
                     st_layer_map *m);
void st_layer_map_clear(st_layer_map *m);

/*
 * The bytes `receiver` grows by when the data of `copied` (n maps, the upper layer first) lands in
 * it. A commit writes every range the copied layers show the guest (a zero range over data in a
 * lower copied layer hides it, and writes no data); a pull (`pull`) writes only where the
 * receiver maps nothing of its own. Whole clusters of the receiver count: that is what its file
 * takes. Its own table growth (an L2 table for a region it had none in) is not counted: at most a
 * cluster per region an L2 table covers (512 MiB with 64 KiB clusters).
 */
uint64_t st_merge_growth(const st_qcow2_map *copied, size_t n, const st_qcow2_map *receiver,
                         bool pull);

/*
 * The same from the images on this machine: paths[0..n-2] are the copied layers (upper first),
 * paths[n-1] the receiver; fmts likewise (entries may be NULL). Returns false with *why
 * (malloc'd, translated) when some image's map cannot be read.
 */
bool st_merge_growth_paths(char *const *paths, char *const *fmts, size_t n, bool pull,
                           uint64_t *grows, char **why);

#endif
