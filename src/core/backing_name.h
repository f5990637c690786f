/*
 * The names written into an image's header as its backing file after a merge. qemu resolves a
 * relative name from the folder of the image that holds it, so a name may depend on folders
 * that have nothing to do with the chain: "deeper/../../base.qcow2" written into sub/top.qcow2
 * reaches base.qcow2 only while sub/deeper exists. The names made here never do that.
 */
#ifndef ST_BACKING_NAME_H
#define ST_BACKING_NAME_H

#include <stdbool.h>

/*
 * The shortest name by which `image` reaches `backing`, worked out on the paths as written
 * ("." and ".." folded, symlinks not followed): relative to image's own folder ("../base.qcow2",
 * ".." only as far as needed) when `relative`, else the folded absolute path. Either path not
 * absolute: `backing` as given.
 */
char *st_backing_name_for(const char *image, const char *backing, bool relative);

/*
 * The folder that `name`, written into `image`, enters only to leave it again (through a
 * ".."), which the chain then needs although it holds no layer of it ("/img/sub/deeper" for
 * "deeper/../../base.qcow2" in /img/sub/top.qcow2, or for "/img/sub/deeper/../../base.qcow2");
 * NULL when it takes no such way.
 */
char *st_backing_name_detour(const char *image, const char *name);

/*
 * The name to write, checked on this machine: st_backing_name_for's when it reaches the very
 * file `backing` names (folding ".." lexically is wrong behind a symlinked folder); else the same
 * worked out from the folders' real paths; else `backing` as given, which the chain was read
 * through.
 */
char *st_backing_name_checked(const char *image, const char *backing, bool relative);

#endif
