/*
 * Files that hold guest data are for their owner alone. An image, an overlay, a memory or save
 * file, an NVRAM copy: whatever this program creates, or asks libvirt to create, ends up mode
 * 0600, or stricter when the file it derives from is (an overlay of a base only its owner may
 * read is no more readable than the base). libvirt before 11.10 makes some of its overlays
 * with the daemon's umask (0644): they are closed right after the call that made them, before
 * a guest wrote anything into them that others could read.
 */
#ifndef ST_PRIVATE_FILE_H
#define ST_PRIVATE_FILE_H

#include <stdbool.h>
#include <sys/types.h>

/* The mode for a new file made from one of mode `from` (from_known false: made from nothing):
 * the owner's read and write bits, read only if `from` has it. */
mode_t st_private_mode(mode_t from, bool from_known);

/*
 * Takes every permission beyond st_private_mode (of the mode of `from`; NULL: 0600) away from
 * the regular file `path`, and checks the result with a fresh stat. Other kinds of files
 * (block devices) are left alone. Returns 0, or -1 with a message in *err (malloc'd).
 */
int st_make_private(const char *path, const char *from, char **err);

#endif
