/*
 * The data model shared by the backend and the frontend: hosts → domains → disks → backing chain
 * layers, plus each domain's snapshot forest and the block/domain jobs that run on it.
 *
 * A model is plain data with no libvirt types. The backend builds a fresh st_host on every refresh
 * and hands it over whole; nobody mutates a published host, so the UI can keep drawing the old one
 * while a new one is built.
 */
#ifndef ST_MODEL_H
#define ST_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/doctor.h"
#include "core/rate.h"

/* Values mirror virDomainState so that the backend can copy them through. */
typedef enum {
    ST_DOM_NOSTATE = 0,
    ST_DOM_RUNNING = 1,
    ST_DOM_BLOCKED = 2,
    ST_DOM_PAUSED = 3,
    ST_DOM_SHUTDOWN = 4,
    ST_DOM_SHUTOFF = 5,
    ST_DOM_CRASHED = 6,
    ST_DOM_PMSUSPENDED = 7,
} st_dom_state;

typedef enum {
    ST_CONTENT_UNKNOWN = 0,
    ST_CONTENT_EMPTY, /* no data cluster: a fresh overlay */
    ST_CONTENT_DATA,
} st_content;

typedef struct st_layer {
    char *path;         /* absolute path (or the source name of a network disk) */
    char *format;       /* "qcow2", "raw", …; NULL when not known */
    char *backing_name; /* backing file name exactly as this image's header stores it */
    char *backing_fmt;  /* backing format from the header extension, if any */
    uint64_t virtual_size;
    uint64_t allocation; /* bytes allocated on the host (0 when not known) */
    uint64_t physical;
    int backing_index;  /* libvirt's index of this layer (an id, not a depth); -1: none */
    char *broken;       /* why this layer is unusable; NULL when it is fine */
    bool name_only;     /* broken only for a name libvirt cannot carry (not UTF-8): the image
                         * and the chain through it are whole, qemu-img can use them */
    char **shared_with; /* other domains whose chains also hold this file ("dom" or "dom@host") */
    size_t n_shared;
    /* The file's identity on this machine when its header was read here (local hosts); both 0
     * when not known. Two spellings of one file ("vms/../golden/g.qcow2" and
     * "golden/g.qcow2", or a path through a symlink) are the same file for the sharing check. */
    uint64_t dev, ino;
    /* What its qcow2 tables say (qcow2_tables.h), read on this machine for the active layer of
     * a shut-off domain (a running domain's change all the time): whether it holds data, and
     * which of its internal snapshots it still is. Not known otherwise. */
    st_content content;
    char **at_snapshots;
    size_t n_at_snapshots;
    /* What committing it into the layer below would add there: the guest ranges it maps that
     * the layer below does not hold, in that layer's clusters (space_merge.h), read on this
     * machine from both images' maps. merge_known false when not read (a remote host, an
     * image whose map cannot be read, the base). */
    bool merge_known;
    uint64_t merge_grows;
} st_layer;

typedef struct st_disk {
    char *target;        /* vda */
    char *bus;           /* virtio, sata, … */
    char *device;        /* disk, cdrom, lun, floppy */
    char *type;          /* file, block, network, volume */
    char *format;        /* driver type of the active layer */
    char *source;        /* active layer path (as in the domain XML) */
    char *pool, *volume; /* for type='volume' */
    /* Where a block copy or an active commit running on the disk writes (the live XML's
     * <mirror>): the base of a ready active commit found at start. NULL when none. */
    char *mirror;
    /* A running domain's disk: the source its inactive definition names, when that was read
     * (the chain doctor's; NULL otherwise). After a pivot libvirt may leave the old one there. */
    char *inactive_source;
    bool readonly;
    st_layer *chain; /* active layer first, base last */
    size_t n_chain;
    char *chain_unknown; /* why the chain below the active layer could not be read */
    bool chain_complete; /* the XML's chain ends in an empty <backingStore/> */
} st_disk;

typedef struct st_snapdisk {
    char *target;
    char *snapshot; /* "internal", "external", "no", "manual" */
    char *file;     /* the overlay created by an external snapshot */
    char *image;    /* the disk's image when the snapshot was taken (from the saved <domain>):
                     * where an internal snapshot lives */
} st_snapdisk;

typedef struct st_snapshot {
    char *name;
    char *parent; /* NULL for a root */
    char *description;
    char *state; /* "running", "shutoff", "disk-snapshot", … */
    long long creation_time;
    bool current;
    bool external; /* any disk or the memory external */
    bool memory;   /* holds memory state (internal with state running/paused, or memory file) */
    char *memory_file;
    st_snapdisk *disks;
    size_t n_disks;
    /* libvirt >= 9.9, after reverting to this external snapshot while it had children: the
     * overlays that revert made, which the disks run on (<revertDisks>). libvirt removes these,
     * not `disks`, when it reverts away from this snapshot. */
    st_snapdisk *revert_disks;
    size_t n_revert_disks;
} st_snapshot;

/*
 * A detached branch: the overlay a disk ran on before an external revert by branching pointed the
 * disk at a fresh overlay. It is never deleted by this tool; it is recorded in the domain's
 * <metadata> (virt-snaptree's namespace) so that every client sees it.
 */
typedef struct st_branch {
    char *disk;     /* target */
    char *file;     /* the old active overlay, kept */
    char *snapshot; /* the snapshot the disk was reverted to when this branch was left */
    char *base;     /* what the new overlay was created on (the snapshot's image) */
    long long left; /* when (seconds since the epoch) */
    char **chain;   /* file's chain, itself first (local hosts; empty when not read) */
    size_t n_chain;
} st_branch;

/* The namespace of virt-snaptree's element in a domain's <metadata> (detached branches). */
#define ST_BRANCH_NS "urn:x-virt-snaptree:branches:1"

typedef enum {
    ST_JOB_NONE = 0,
    ST_JOB_COMMIT,
    ST_JOB_ACTIVE_COMMIT,
    ST_JOB_PULL,
    ST_JOB_COPY,
    ST_JOB_OFFLINE_COMMIT,
    ST_JOB_OFFLINE_PULL,
    ST_JOB_SNAPSHOT,
    ST_JOB_SNAPSHOT_DELETE,
    ST_JOB_REVERT,
    ST_JOB_SAVE,
    ST_JOB_RESTORE,
    ST_JOB_OTHER,
} st_job_kind;

typedef enum {
    ST_PHASE_STARTING = 0,
    ST_PHASE_RUNNING,
    ST_PHASE_READY,
    ST_PHASE_PIVOTING,
    ST_PHASE_COMPLETED,
    ST_PHASE_FAILED,
    ST_PHASE_CANCELLED,
    /* Gone with no word of how it ended (its events were lost, with a connection that dropped),
     * and its chain does not show its work done: neither completed nor known to have failed. */
    ST_PHASE_ENDED,
} st_job_phase;

typedef struct st_job {
    int id;       /* unique in the process */
    char *domain; /* domain name */
    char *uuid;
    char *disk; /* disk target, NULL for domain jobs */
    st_job_kind kind;
    st_job_phase phase;
    /* Progress in bytes: a block job counts its disk's virtual span (unallocated parts too),
     * a domain job its memory or data, an offline merge the data it copies; end 0: none. */
    uint64_t cur, end;
    unsigned long bandwidth; /* MiB/s, 0 = unlimited */
    st_pace pace;            /* rate and ETA, once they mean something (rate.h) */
    uint64_t data;           /* a merge of ours: the plan's figure of the data it copies; 0: not
                              * known (cur and end of a block job count more: see above) */
    double started;          /* st_now() when first seen */
    double finished;         /* st_now() when it ended; 0 while it runs */
    bool ours;               /* started by this process */
    char *top, *base;        /* for block jobs, when known */
    char *error;             /* libvirt's message when failed */
    bool followup; /* this process still has to act when it ends (remove files, shut off) */
} st_job;

/*
 * What an earlier interface had still to do after a job when it ended: its record (followup.h)
 * outlived it, and this interface offers to finish it.
 */
typedef enum {
    ST_FU_REMOVE = 1, /* remove the files a pull merged (libvirt has no flag for that) */
    ST_FU_PAUSED,     /* a domain started paused for a job: pivot if ready, then shut it off */
} st_fu_kind;

typedef struct st_followup {
    char *record; /* its path: the key, and what a request to forget it names */
    st_fu_kind kind;
    char *domain, *disk;
    char **files; /* ST_FU_REMOVE */
    size_t n_files;
} st_followup;

typedef struct st_domain {
    char *name;
    char uuid[37];
    int id; /* -1 when not running */
    st_dom_state state;
    int reason;
    bool persistent;
    bool managed_save;
    bool has_agent;       /* a guest agent channel is defined */
    bool agent_connected; /* an agent answers on it (live XML state='connected'): quiesce works */
    bool pflash;          /* UEFI firmware in pflash (<loader type='pflash'>) */
    char *nvram_format;   /* its variable store's format ("qcow2", "raw"); NULL: not given (raw) */
    char *nvram;          /* the variable store's file; NULL: none named */
    st_disk *disks;
    size_t n_disks;
    st_snapshot *snaps; /* topological: parents before children */
    size_t n_snaps;
    char *snaps_error;
    st_branch *branches; /* detached branches left by external reverts */
    size_t n_branches;
    char *error; /* the domain could not be read fully (its XML, say) */
} st_domain;

typedef enum {
    ST_HOST_CONNECTING = 0,
    ST_HOST_CONNECTED,
    ST_HOST_NOT_RESPONDING,
    ST_HOST_RECONNECTING,
    ST_HOST_FAILED,
} st_host_state;

typedef struct st_host {
    char *uri;  /* as the admin gave it */
    char *name; /* short name for display: hostname or the URI */
    char *libvirt_version;
    char *hv_version;
    char *hv_type;             /* "QEMU", "Test", … */
    unsigned long libvirt_ver; /* libvirt's numeric version: major*1e6 + minor*1e3 + micro */
    bool reachable;
    bool local; /* images are on this machine: qcow2 headers and qemu-img may be used */
    bool readonly;
    bool external_revert; /* capabilities show <externalSnapshot/> */
    char *error;          /* one line, NULL when fine */
    st_domain *doms;
    size_t n_doms;
    st_job *jobs;
    size_t n_jobs;
    st_followup *followups; /* left by earlier interfaces, still to be done */
    size_t n_followups;
    /* The folders of the host's active storage pools, when asked for (--orphans scans them:
     * st_backend_opts.pool_dirs); none otherwise. */
    char **pool_dirs;
    size_t n_pool_dirs;
    /* With them, the volumes of those pools as the pools last listed them (no refresh): path,
     * format, backing name and allocation. A host whose images are not on this machine is
     * scanned through these. */
    st_layer *pool_vols;
    size_t n_pool_vols;
    /* The pools that could not be listed, and why (one line each). */
    char **pool_unscanned;
    size_t n_pool_unscanned;
    bool pools_read; /* the pools were listed (st_backend_opts.pool_dirs): the fields above hold */
    /* The chain doctor's quick pass (no qemu-img check, no header read of its own), made by
     * the interface's workers; empty otherwise. */
    st_findings doctor;
    uint64_t generation; /* grows by one with every published refresh */
    double refreshed_at; /* st_now() */
} st_host;

const char *st_dom_state_name(st_dom_state s);  /* "running", "shutoff", … (JSON, untranslated) */
const char *st_dom_state_label(st_dom_state s); /* translated for display */
/* A few columns for narrow terminals ("run", "off"), translated. */
const char *st_dom_state_short(st_dom_state s);
/*
 * A snapshot's state as libvirt names it ("shutoff", "disk-snapshot", …) in words, translated;
 * a name this program does not know is returned as it is.
 */
const char *st_snap_state_label(const char *state);
const char *st_job_kind_label(st_job_kind k);
const char *st_job_phase_label(st_job_phase p);
bool st_job_phase_final(st_job_phase p);
/* Jobs QEMU runs on a disk as block jobs (commit, pull, copy, or one not known by kind). */
bool st_job_kind_is_block(st_job_kind k);

/*
 * Each type's clearing (frees what it owns) and deep copies (model_fields.c). A copy into an
 * array fills n elements the caller allocated.
 */
void st_layer_clear(st_layer *l);
void st_layers_copy(st_layer *dst, const st_layer *src, size_t n);
void st_disk_clear(st_disk *d);
/* What the domain's XML says of a disk, without its chain (discovery finds that elsewhere). */
void st_disk_copy_head(st_disk *dst, const st_disk *src);
void st_snapshot_clear(st_snapshot *s);
void st_snapshots_copy(st_snapshot *dst, const st_snapshot *src, size_t n);
void st_snapdisks_free(st_snapdisk *v, size_t n);
st_snapdisk *st_snapdisks_copy(const st_snapdisk *v, size_t n);
void st_branch_clear(st_branch *b);
void st_branches_copy(st_branch *dst, const st_branch *src, size_t n);
void st_job_clear(st_job *j);
void st_job_copy(st_job *dst, const st_job *src);
void st_followup_clear(st_followup *f);
void st_followups_copy(st_followup *dst, const st_followup *src, size_t n);
void st_domain_clear(st_domain *d);
void st_host_free(st_host *h);
st_host *st_host_new(const char *uri);
/* A deep copy of a model, to publish a first version while discovery goes on. */
st_host *st_host_dup(const st_host *h);

/*
 * Fills each layer's shared_with with the other domains (on any of the given hosts) whose chains
 * hold the same file. Domains on another host are named "dom@host". Paths are compared as given, so
 * hosts are compared only when both are local or have the same name.
 */
void st_model_mark_shared(st_host **hosts, size_t n_hosts);

/*
 * A 64-bit digest of everything a model shows except its jobs, generation and time: two refreshes
 * with the same digest found the same host, and the second need not be sent (the interface would
 * rebuild the same rows).
 */
uint64_t st_host_fingerprint(const st_host *h);

const st_domain *st_host_find_domain(const st_host *h, const char *name);
const st_disk *st_domain_find_disk(const st_domain *d, const char *target);
const st_snapshot *st_domain_find_snapshot(const st_domain *d, const char *name);
/* Whether any disk's chain on the host holds the path. */
bool st_host_chains_hold(const st_host *h, const char *path);

/*
 * The job to show for a disk (disk NULL: any disk of the domain): the one still running, else,
 * unless running_only, the one that ended last.
 */
const st_job *st_host_disk_job(const st_host *h, const char *domain, const char *disk,
                               bool running_only);

#endif
