/*
 * Progress of a read that reports none: libvirt 9.0 shows no job while it restores a save file,
 * but the process reading it (QEMU, libvirt_iohelper or a decompressor) has the file open, and
 * its file position tells how far it got. Linux only, and only for processes whose descriptors
 * this process may look at (the same user, or root).
 */
#ifndef ST_PROCFILE_H
#define ST_PROCFILE_H

#include <stdbool.h>
#include <stdint.h>

/*
 * The furthest file position any process of this machine holds on `path`, and the file's size;
 * false when no process that can be looked at has the file open.
 */
bool st_file_read_pos(const char *path, uint64_t *pos, uint64_t *size);

#endif
