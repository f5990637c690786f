/*
 * Where a domain is now against its current snapshot: still as the snapshot left it, or moved on
 * (as Proxmox shows "NOW" under the current snapshot). libvirt keeps the current snapshot as the
 * parent of the next one, whatever the domain did since; this says whether "you are here" still
 * holds. Pure: judged from the model alone.
 *
 * The rules, in order:
 * - A domain that runs (or is paused, suspended, shutting down) has moved on: a guest changes
 *   its memory and, as a rule, its disks. Paused right after a revert ("from snapshot") it has
 *   not.
 * - Shut off after a revert that stopped it ("from snapshot"), it has not been started since.
 * - Otherwise its disks say it, where their images were read on this machine (qcow2_tables.h):
 *   a disk in an internal snapshot is still at it when its image's active L1 table equals the
 *   snapshot's (any write since copies a cluster, and with it that table); a disk in an external
 *   snapshot is when it runs on an overlay that holds no data yet, directly on the image the
 *   snapshot left below (the snapshot's own overlay, or one a revert by branching made). One
 *   disk written since is enough to have moved on; when nothing tells (a remote host, an image
 *   that is not qcow2), it is not known.
 * Memory is not compared: a shut-off domain has none, and one that runs has moved on anyway.
 */
#ifndef ST_SINCE_H
#define ST_SINCE_H

#include "core/model.h"

typedef enum {
    ST_SINCE_AT,      /* as the current snapshot left it (or there is no current snapshot) */
    ST_SINCE_MOVED,   /* it runs, ran or had its disks written since */
    ST_SINCE_UNKNOWN, /* nothing known here tells */
} st_since;

/*
 * Judges domain d against its current snapshot; *current is set to it (NULL: none, and AT is
 * returned), *why to a translated reason (for the details; not to be freed; NULL with none).
 */
st_since st_domain_since_current(const st_domain *d, const st_snapshot **current, const char **why);

#endif
