/*
 * Shared by the files of discovery (discover.c: the phases; discover_snaps.c: snapshot trees;
 * discover_pools.c: remote shut-off chains through storage pools; discover_copy.c: copies of a
 * model). Not part of the library's interface.
 */
#ifndef ST_DISCOVER_INTERNAL_H
#define ST_DISCOVER_INTERNAL_H

#include <pthread.h>

#include "backend/worker.h"
#include "backend/xmlutil.h"
#include "core/cache.h"

enum { ST_SNAP_RELIST_EVERY = 5, ST_REMOTE_REWALK_EVERY = 5 };

/* One block.N entry of the bulk stats. */
typedef struct stat_block {
    const char *name, *path;
    int backing_index;
    unsigned long long allocation, capacity, physical;
} stat_block;

typedef struct stat_dom {
    int state, reason;
    bool have_blocks; /* block statistics were asked for this domain */
    stat_block *blocks;
    size_t n_blocks;
} stat_dom;

typedef struct snap_phase snap_phase;

/* Whether block statistics can crash a QEMU of this version running a block job
 * (discover_blockstats.c says why). */
bool st_block_stats_risky(unsigned long hv_ver, const char *hv_type);
/* The bulk block statistics (virConnectGetAllDomainStats with `flags`), leaving out the domains
 * whose QEMU they could crash; *out is NULL when no domain is asked about. */
int st_block_stats(st_worker *w, unsigned flags, virDomainStatsRecordPtr **out);

/* A domain of this refresh: its stats record and what the phases found for it. */
typedef struct dom_work {
    virDomainPtr dom; /* from the stats record, referenced until st_discover_finish */
    stat_dom sd;
    char uuid[VIR_UUID_STRING_BUFLEN];
    bool active;
    unsigned int id;      /* asked once: each libvirt call on a domain formats its UUID for a log */
    st_cached_domain *cd; /* the cache's entry (owned by the cache) */
    st_cached_domain *fetched;
    char *err;
    size_t model_index; /* where it ended in h->doms */
} dom_work;

/* A local chain to validate or read: one per distinct (format, top path). */
typedef struct chain_job {
    char *key;
    const char *path, *fmt;
    st_cached_chain *cached; /* NULL or the cache's entry, valid until the cache is touched */
    st_cached_chain *fresh;  /* read by the job when cached is stale or missing */
} chain_job;

/* A remote shut-off disk whose chain is walked through storage pool volumes. */
typedef struct pool_job {
    const st_disk *disk; /* from the domain's XML */
    char *key;
    st_cached_remote *fresh;
} pool_job;

struct st_refresh {
    virDomainStatsRecordPtr *recs, *block_recs;
    dom_work *dw;
    size_t n;
    st_hash snapset;  /* uuids with snapshots */
    snap_phase *snap; /* the snapshot listings under way */
};

typedef struct snap_job {
    dom_work *dw;
    st_snapshot *old; /* a copy of the cached list, reused by name when relisting */
    size_t n_old;
    st_cached_snaps *fresh;
    virDomainSnapshotPtr *snaps;
    int n;
    char *current;
} snap_job;

/* One snapshot whose XML is to be read: job j's k-th. */
typedef struct snap_xml {
    snap_job *job;
    int k;
} snap_xml;

/* The snapshot phase, which runs on a thread of its own next to the chains (it touches no
 * cache: what it reuses was copied out before it started). */
struct snap_phase {
    st_worker *w;
    snap_job *jobs;
    size_t n;
    snap_xml *xmls;
    size_t n_xml;
    pthread_t thread;
    bool started;
};

/* Where a disk's chain comes from in this refresh. */
typedef enum { SRC_NONE, SRC_LOCAL, SRC_LOCAL_RUNNING, SRC_STATS, SRC_XML, SRC_POOL } chain_src;
chain_src ds_chain_source(const st_worker *w, const st_disk *xd, bool active);
/* The host is libvirt's test driver (test:///…), whose images do not exist. */
bool ds_test_driver(const st_worker *w);

/*
 * Adds what one stats record's parameters say to sd (a domain may have a state record and a
 * block one): state.state, state.reason, block.count (capped at 4096 entries) and each block.N
 * entry's name, path, backingIndex and sizes. Entries past block.count, indexes of a wrong type
 * and sizes that are not unsigned long long are ignored.
 */
void ds_parse_stats(const virTypedParameter *params, int nparams, stat_dom *sd);
/*
 * A running domain's chain as the bulk stats list it: every block.N entry of the disk's target
 * with a path, in the stats' order (top first), formats from the XML layer of the same path (else
 * of the same backingIndex), allocation what each file occupies (libvirt's physical; for a block
 * device libvirt's allocation), physical 0 (not known). Without such an entry, the XML's chain.
 */
void ds_chain_from_stats(st_disk *d, const st_disk *xd, const stat_dom *sd);
/* One disk of the model from its XML, the refresh's stats and the worker's caches. */
void ds_build_disk(st_worker *w, dom_work *dw, st_disk *d, const st_disk *xd);

const stat_block *ds_top_stat(const stat_dom *sd, const char *target);

/* Phase 4's listings, on a thread of their own; join returns how many trees were listed. */
snap_phase *ds_snap_start(st_worker *w, st_refresh *r);
size_t ds_snap_join(st_worker *w, snap_phase *sp);

/*
 * A remote shut-off disk's chain, walked from its top: each image a storage pool holds gives its
 * sizes and its backing file from the volume XML (look returns NULL for a path no pool holds).
 * Where no pool holds an image, the domain XML's layers from that image down are kept, and the
 * walk goes on with the pools below them; where neither knows more, the last layer is kept with
 * the format its overlay declared and cr->unknown says why the chain below is not known (unless
 * the XML ends the chain there with an empty <backingStore/>). Fills cr->layers, cr->n and
 * cr->unknown.
 */
typedef const st_volinfo *(*ds_vol_lookup)(void *ctx, const char *path);
void ds_walk_remote(const st_disk *xd, ds_vol_lookup look, void *ctx, st_cached_remote *cr);
/* The key of a remote shut-off disk's walked chain in the cache (st_cache.remote). */
char *ds_remote_key(const dom_work *dw, const st_disk *xd);
/*
 * Over ssh, reads the chains of jobs[0..n) with the remote host's own virt-snaptree, all in one
 * round trip (bounded in time and size). Fills every job's fresh and returns NULL; or returns why
 * it could not (not installed, no answer, an answer refused), and fills none. NULL with nothing
 * filled for a URI that is not an ssh one.
 */
char *ds_remote_tool_chains(st_worker *w, pool_job *jobs, size_t n);
/* Walks the remote shut-off chains the cache does not hold (or holds for too long). */
void ds_pool_chains(st_worker *w, st_refresh *r);
/* The path of a pool's volume (an st_vol_resolver's function; ctx is the worker), or NULL. */
char *ds_volume_path(void *ctx, const char *pool, const char *vol);
/*
 * Layers of a shut-off disk without sizes get those the statistics give for the same path: for a
 * shut-off domain libvirt lists the layers its XML knows, with allocation what the file occupies
 * and physical its size (a running domain's statistics mean other things by those names).
 */
void ds_sizes_from_stats(st_disk *d, const stat_dom *sd);
/* The target folders of the host's active storage pools, into h->pool_dirs. */
void ds_pool_dirs(st_worker *w, st_host *h);
/* Answers a ST_REQ_POOLS request: a model holding only the pools' fields, as ds_pool_dirs
 * fills them, posted with the result. */
void st_pools_answer(st_worker *w, int id);
/* A remote shut-off disk's chain from the cache; layers no pool holds get the statistics' sizes. */
void ds_remote_chain_copy(st_worker *w, dom_work *dw, st_disk *d, const st_disk *xd);

#endif
