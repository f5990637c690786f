/*
 * What the frontend asks a host to do, and the facts it asks for before planning. Plain data, so
 * that a request can be copied into a worker's queue and shown in a plan before it is sent.
 */
#ifndef ST_REQUEST_H
#define ST_REQUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/apparmor.h"

typedef enum {
    ST_REQ_NONE = 0,
    ST_REQ_FACTS,     /* gather facts for planning (free space, running jobs): ST_MSG_PLAN */
    ST_REQ_COMMIT,    /* block commit top → base (or qemu-img commit offline) */
    ST_REQ_PULL,      /* block pull into the active layer down to base (NULL: standalone) */
    ST_REQ_PIVOT,     /* finish a READY active commit onto its base */
    ST_REQ_ABORT,     /* cancel a block job (an active commit: keep the overlay) */
    ST_REQ_SET_SPEED, /* change a block job's bandwidth */
    ST_REQ_SNAPSHOT_CREATE,
    ST_REQ_REVERT,
    ST_REQ_SNAPSHOT_DELETE,
    ST_REQ_SAVE,
    ST_REQ_RESTORE,
    ST_REQ_MANAGEDSAVE_REMOVE,
    ST_REQ_REMOVE_FILES,    /* remove files libvirt left behind, after the admin confirmed */
    ST_REQ_FINISH_PAUSED,   /* path: a follow-up record; pivot if ready, shut the domain off */
    ST_REQ_FOLLOWUP_FORGET, /* path: a follow-up record the admin does not want offered again */
    ST_REQ_UNDO,            /* path: a journal entry whose action is given back */
    /* list the host's storage pools and their volumes once: a ST_MSG_RESULT whose `host` holds
     * only the pool fields (the orphan finder's view; periodic refreshes do not list them) */
    ST_REQ_POOLS,
} st_req_kind;

enum {
    ST_F_RELATIVE = 1u << 0,      /* keep backing names relative */
    ST_F_DELETE = 1u << 1,        /* delete merged files afterwards */
    ST_F_ACTIVE = 1u << 2,        /* the top is the active layer */
    ST_F_START_PAUSED = 1u << 3,  /* remote offline merge: start the domain paused for the job */
    ST_F_PAUSED = 1u << 4,        /* revert/save/restore: leave paused */
    ST_F_RUNNING = 1u << 5,       /* revert/save/restore: leave running */
    ST_F_FORCE = 1u << 6,         /* revert: libvirt refused without it and the admin confirmed */
    ST_F_CHILDREN = 1u << 7,      /* delete with children */
    ST_F_CHILDREN_ONLY = 1u << 8, /* delete children only */
    ST_F_METADATA_ONLY = 1u << 9, /* delete metadata only */
    ST_F_QUIESCE = 1u << 10,
    ST_F_LIVE = 1u << 11,
    ST_F_BRANCH = 1u << 12, /* external revert done by branching a new overlay */
    ST_F_MIX_OK = 1u << 13, /* create: the admin confirmed mixing internal and external */
    /* facts: the data each path holds by itself, not free space */
    ST_F_WRITTEN = 1u << 14,
    /* revert: what libvirt removes is not kept */
    ST_F_DISCARD = 1u << 15,
    /* the admin chose to go on although the journal cannot be written */
    ST_F_NO_JOURNAL = 1u << 16,
    /* facts for a merge: it is a pull (the receiver keeps what it maps itself) */
    ST_F_PULL_FACTS = 1u << 17,
};

typedef enum {
    ST_SNAP_KIND_INTERNAL = 0,
    ST_SNAP_KIND_DISK_ONLY,
    ST_SNAP_KIND_MEMORY, /* external with memory: a system checkpoint */
} st_snap_kind;

typedef struct st_snap_diskspec {
    char *target;
    char *snapshot; /* "external", "internal", "no" */
    char *file;     /* overlay for external (revert by branching: the new overlay) */
    char *base;     /* revert by branching: the image the new overlay is created on */
    char *base_format;
} st_snap_diskspec;

typedef struct st_request {
    st_req_kind kind;
    char *domain;
    char *disk;
    char *top, *base; /* chain layer paths; base NULL: commit to the bottom / pull whole */
    unsigned flags;
    unsigned long bandwidth; /* MiB/s, 0 = unlimited */
    uint64_t data;           /* commit, pull: the plan's figure of the data copied; 0: unknown */
    char *snapshot;          /* snapshot name */
    char *description;
    char *path;   /* save/restore file, memory file */
    char *format; /* format of base/top where an offline merge needs it */
    st_snap_kind snap_kind;
    st_snap_diskspec *diskspecs;
    size_t n_diskspecs;
    char **paths; /* ST_REQ_FACTS: where data lands (ST_F_WRITTEN: images to measure);
                   * ST_REQ_REMOVE_FILES: files; ST_REQ_REVERT: the files libvirt removes */
    size_t n_paths;
    /* ST_REQ_FACTS for a merge: the layers whose data is copied (upper first), then the layer
     * that receives it, and their formats (entries may be NULL): what the receiver grows by is
     * measured from their maps. */
    char **layers, **layer_fmts;
    size_t n_layers;
    /* Commit, pull: the most the merge writes where its data lands (the folder of the base of a
     * commit, of the active layer of a pull), as planned: the free space there is checked again
     * just before the merge starts. 0: not checked. */
    uint64_t space_needed;
    char *plan; /* the plan as the admin saw it, for the journal; NULL: none shown */
} st_request;

/*
 * The room where a merge's data lands: for an image file, its filesystem's free space; for a
 * qcow2 on a block device (device set), the device's size less the end of the image's last
 * used cluster, since the image cannot grow past the device.
 */
typedef struct st_space {
    char *path; /* the receiving image (or its folder) */
    bool known;
    bool device;
    uint64_t free_bytes, total_bytes;
    char *why; /* when not known */
} st_space;

/* The guest data one image holds by itself (without its backing files). */
typedef struct st_written {
    char *path;
    bool known;
    uint64_t bytes;
    char *why; /* when not known */
} st_written;

/* A disk of the definition held in a save file. */
typedef struct st_saved_disk {
    char *target, *source;
} st_saved_disk;

/* What a worker found for a plan; the plan itself is made by pure functions in mergeplan.h. */
typedef struct st_facts {
    st_space *space;
    size_t n_space;
    bool job_running; /* a block job runs on the disk right now */
    char *job_desc;
    char *error;
    /* ST_REQ_FACTS with a path: the save file's definition (saved_domain NULL: unreadable). */
    char *saved_domain;
    st_saved_disk *saved_disks;
    size_t n_saved_disks;
    /* ST_REQ_FACTS with ST_F_WRITTEN: one entry per path. */
    st_written *written;
    size_t n_written;
    /* ST_REQ_FACTS for a merge: how the host confines QEMU (virNodeGetSecurityModel: "apparmor",
     * "selinux", "none"; NULL: it did not say), and on this machine the domain's AppArmor
     * profile: read (apparmor_read), absent (neither), or unreadable (apparmor_why). */
    char *security_model;
    char *image_label; /* SELinux: the running domain's image label (<imagelabel>); NULL */
    bool apparmor_read;
    st_aa_profile apparmor;
    char *apparmor_why;
    /* ST_REQ_FACTS with layers: what the receiving layer grows by, from the images' maps on this
     * machine (growth_known), else why not (growth_why; NULL when not asked). */
    bool growth_known;
    uint64_t growth;
    char *growth_why;
} st_facts;

void st_request_copy(st_request *dst, const st_request *src);
void st_request_clear(st_request *r);
st_facts *st_facts_copy(const st_facts *f);
void st_facts_free(st_facts *f);

#endif
