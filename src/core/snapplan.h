/*
 * Snapshot plans: pure functions that say, before anything runs, what a snapshot create, revert
 * or delete, a save, a restore or a managed-save removal will do, what state it loses, and why
 * libvirt (9.0 on Debian 12) would refuse it. The frontend shows a plan; the worker makes the
 * same plan again from what it reads on the host and refuses before calling libvirt when the plan
 * is refused. No I/O here: whether a file exists is asked through a callback.
 */
#ifndef ST_SNAPPLAN_H
#define ST_SNAPPLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "core/mergeplan.h"
#include "core/model.h"
#include "core/request.h"

/* Whether `path` exists on the host; ctx is the caller's. */
typedef bool (*st_exists_fn)(const char *path, void *ctx);

typedef struct st_snapplan {
    char *title;
    char **steps; /* what happens, in order, one line each */
    size_t n_steps;
    char **lost; /* what state is lost ("nothing" is said explicitly) */
    size_t n_lost;
    char **calls; /* the exact libvirt calls or commands */
    size_t n_calls;
    char **left_files; /* files libvirt leaves behind that may be removed afterwards */
    size_t n_left_files;
    st_snap_diskspec *merges; /* delete: each disk (target, overlay) merged by a block job, once */
    size_t n_merges;
    st_hazard *hazards;
    size_t n_hazards;
    bool refused;
    bool mixing;    /* create: mixes internal and external snapshots: ask a second time */
    bool branching; /* revert: done by branching a new overlay (no libvirt revert) */
    /* revert: libvirt reverts to the external snapshot itself (>= 9.9), so keeping or
     * discarding what it removes is an option of the plan */
    bool native_external;
    char **removed; /* revert through libvirt: the files libvirt removes */
    size_t n_removed;
    char **kept; /* of those, the ones this tool keeps (a second name while libvirt removes
                  * them, given back afterwards); the request carries them too */
    size_t n_kept;
    st_request req; /* what is submitted once the admin types yes */
} st_snapplan;

void st_snapplan_free(st_snapplan *p);

/* A snapshot name from the time: "20261125-192731". */
char *st_snap_default_name(time_t t);

/*
 * The article's overlay name: <folder of image>/<domain>_<snapshot><suffix>, suffix ".qcow2"
 * (or "_vdb.qcow2" when several disks take one). '/' and control characters in the names
 * become '_'.
 */
char *st_snap_default_file(const char *image, const char *domain, const char *snap,
                           const char *suffix);

/*
 * Default per-disk choices for a new snapshot of `kind` named `snap`: internal for qcow2 disks
 * (INTERNAL), external with the default overlay name (DISK_ONLY, MEMORY); "no" for cdroms,
 * read-only disks, disks without an image, and non-qcow2 disks of an internal snapshot.
 */
void st_snap_default_diskspecs(const st_domain *d, st_snap_kind kind, const char *snap,
                               st_snap_diskspec **out, size_t *n);
/* The default overlay of disk `target` in snapshot `snap` (as st_snap_default_diskspecs names
 * it), NULL when the domain has no such disk. */
char *st_snap_default_overlay(const st_domain *d, const char *target, const char *snap);
/* Default memory file of an external snapshot with memory: <image folder>/<dom>_<snap>.mem. */
char *st_snap_default_memfile(const st_domain *d, const char *snap);

/*
 * The flags a create request passes to virDomainSnapshotCreateXML, as bits of our own named like
 * libvirt's (this header needs no libvirt): the plan shows them, the worker maps them.
 */
enum {
    ST_SNAPF_VALIDATE = 1u << 0,
    ST_SNAPF_ATOMIC = 1u << 1,
    ST_SNAPF_DISK_ONLY = 1u << 2,
    ST_SNAPF_QUIESCE = 1u << 3,
    ST_SNAPF_LIVE = 1u << 4,
};
unsigned st_snap_create_flags(const st_request *r);
/* The flags as the plan shows them: "VALIDATE | ATOMIC | DISK_ONLY" (malloc'd). */
char *st_snap_create_flags_text(unsigned flags);

/*
 * Why the domain's state does not allow a snapshot of `kind` (translated), or NULL when it does:
 * a snapshot with memory needs a running (or paused) domain. The create form offers only the
 * kinds this allows, and says why the others are absent.
 */
const char *st_snap_kind_unavailable(const st_domain *d, st_snap_kind kind);

/* Why quiesce cannot work for `d` now (no agent channel, not running, no agent connected), or
 * NULL when it can. */
const char *st_snap_quiesce_unavailable(const st_domain *d);

/*
 * Checks a create request (kind, snapshot name, description, diskspecs, path = memory file,
 * flags QUIESCE / LIVE / MIX_OK) against the domain. `exists` may be NULL (files not checked).
 */
st_snapplan *st_snapplan_create(const st_host *h, const st_domain *d, const st_request *form,
                                st_exists_fn exists, void *ctx);

/*
 * Plans a revert to `snap` with flags RUNNING / PAUSED / FORCE / DISCARD. An external snapshot on
 * a host without external revert is done by branching when it can be (shut-off domain,
 * disk-only, local host, every snapshot overlay found in the disk's chain or a detached branch);
 * the new overlay names carry `now`. On a host whose libvirt reverts to external snapshots, libvirt
 * does it and removes the overlays of the current snapshot: by default they are kept (a local host
 * only), with DISCARD they go, and the plan says how much was written into them (`facts`, from an
 * ST_F_WRITTEN facts request for the files in `removed`; NULL: not measured yet).
 */
st_snapplan *st_snapplan_revert(const st_host *h, const st_domain *d, const char *snap,
                                unsigned flags, time_t now, const st_facts *facts);

/* The name a kept file has while libvirt removes its own (malloc'd): FILE.virt-snaptree-keep. */
char *st_snap_keep_name(const char *file);

/* What the create form says of a UEFI guest, one line each (NULL for other guests): the kinds of
 * snapshot the host's libvirt takes of it now, and what becomes of its NVRAM. */
const char *st_snap_firmware_kinds(const st_host *h, const st_domain *d);
const char *st_snap_firmware_nvram(const st_host *h, const st_domain *d);

/*
 * The copy of a UEFI guest's NVRAM that snapshot `snap` keeps (malloc'd), NULL when it keeps
 * none: no NVRAM file, or an internal snapshot of a qcow2 NVRAM, which holds it itself.
 */
char *st_snap_nvram_copy(const st_domain *d, const char *snap, bool internal);

/* Whether `path` is a layer of one of d's chains or branches, or a file of one of its snapshots:
 * a file that existed before an action on d, not one it made. */
bool st_snap_domain_names_file(const st_domain *d, const char *path);

/*
 * The kind of snapshot the create form starts with: the article's external disk-only, or internal
 * for a domain whose snapshots are all internal, when the host's libvirt takes one of it.
 */
st_snap_kind st_snap_default_kind(const st_host *h, const st_domain *d);

/* Plans a delete of `snap` with flags CHILDREN / CHILDREN_ONLY / METADATA_ONLY. */
st_snapplan *st_snapplan_delete(const st_host *h, const st_domain *d, const char *snap,
                                unsigned flags);

/* Plans a save of the domain to `path` (flags RUNNING / PAUSED: the state after restore). */
st_snapplan *st_snapplan_save(const st_host *h, const st_domain *d, const char *path,
                              unsigned flags, st_exists_fn exists, void *ctx);

/*
 * Plans a restore from `path`; `domain` is the domain the file was saved from when known (a
 * running domain of that name makes libvirt refuse), `restored` whether this tool restored that
 * file before (the disks may have moved on since: a stale memory image), `saved` the disks of
 * the definition in the file when known (NULL: not read), checked against the domain's disks now.
 */
st_snapplan *st_snapplan_restore(const st_host *h, const char *path, const char *domain,
                                 bool restored, const st_facts *saved, unsigned flags,
                                 st_exists_fn exists, void *ctx);

st_snapplan *st_snapplan_managedsave_remove(const st_host *h, const st_domain *d);

/*
 * Plans removing files libvirt left behind: refused for any file that a domain's chain, a
 * detached branch or a snapshot of any domain on the host still names.
 */
st_snapplan *st_snapplan_remove_files(const st_host *h, const char *domain, char *const *paths,
                                      size_t n);

/* Every hazard text at `level` joined with "; " (for a refusal message); NULL when none. */
char *st_snapplan_reasons(const st_snapplan *p, st_hazard_level level);

#endif
