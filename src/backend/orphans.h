/*
 * The orphan finder's gathering: the reference graph of a host (every chain layer of every disk,
 * the image a running domain's definition names, every snapshot's overlays and memory files,
 * detached branches and their chains, the save files this tool wrote), then a scan of the folders
 * those files live in and of the storage pools' folders for image-like files, and which of them a
 * running QEMU holds open. Only hosts whose images are on this machine can be scanned; the others
 * are said.
 */
#ifndef ST_BACKEND_ORPHANS_H
#define ST_BACKEND_ORPHANS_H

#include <stddef.h>

#include "core/model.h"
#include "core/orphans.h"

/* Gathers and classifies (st_orphans_classify) into *out. */
void st_orphans_find(st_host *const *hosts, size_t n, st_orphans *out);

/*
 * Removes one file the finder offered, after checking again that it is what was found (same
 * size and time) and that no running QEMU has it open. Returns 0, or -1 with *err (malloc'd).
 */
int st_orphans_remove(const st_found *f, char **err);

#endif
