/*
 * Reading a small text file that a person (a configuration) or this program (a record) wrote,
 * without ever blocking or spinning on what is not a file: a FIFO, /dev/zero, a folder. Such a
 * path is refused before a byte is read, and a regular file is read only up to a cap.
 */
#ifndef ST_READFILE_H
#define ST_READFILE_H

#include <stddef.h>

/*
 * Returns the whole content of the regular file at `path` (symlinks followed), NUL-terminated,
 * malloc'd, its length in *len: it may hold NUL bytes of its own. The file is opened with
 * O_NONBLOCK, so that opening a FIFO with no writer returns at once, and checked with fstat:
 * anything but a regular file is refused. A file larger than `cap` bytes is refused too.
 * On failure returns NULL with errno set (ENOENT for a missing file, EINVAL for what is not a
 * regular file, EFBIG for one larger than the cap) and *err why, translated, without the path
 * ("it is a named pipe (FIFO), not a regular file", "Permission denied"): the caller says what
 * the file was for.
 */
char *st_read_regular_file(const char *path, size_t cap, size_t *len, char **err);

#endif
