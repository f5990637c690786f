/*
 * What discovery keeps between refreshes so that a periodic refresh costs one bulk stats call, not
 * a call per domain: parsed domain XML, snapshot lists, and locally read chains. Entries are
 * dropped when an event names their domain or when the bulk stats show they went stale.
 */
#ifndef ST_CACHE_H
#define ST_CACHE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "base/hash.h"
#include "core/model.h"

typedef struct st_cached_domain {
    st_domain dom; /* parsed XML: name, uuid, disks (chains as the XML gives them) */
    bool active;   /* parsed from live XML */
} st_cached_domain;

typedef struct st_cached_snaps {
    st_snapshot *snaps;
    size_t n;
    char *error;
    unsigned refresh; /* the refresh count when listed */
} st_cached_snaps;

typedef struct st_file_sig {
    dev_t dev;
    ino_t ino;
    off_t size;
    int64_t mtime_ns;
    bool exists;
} st_file_sig;

typedef struct st_cached_chain {
    st_layer *layers;
    size_t n;
    st_file_sig *sigs; /* one per layer */
} st_cached_chain;

/* A shut-off domain's chain on a remote host, as the storage pools told it. Nothing on this
 * machine says when such a chain changes, so it is walked again now and then (and at once when
 * an event names the domain), not on every refresh: each layer costs a round trip. */
typedef struct st_cached_remote {
    st_layer *layers;
    size_t n;
    char *unknown;    /* chain_unknown of the disk */
    unsigned refresh; /* the refresh count when walked */
} st_cached_remote;

typedef struct st_cache {
    st_hash domains; /* uuid → st_cached_domain */
    st_hash snaps;   /* uuid → st_cached_snaps */
    st_hash chains;  /* "fmt\npath" → st_cached_chain */
    st_hash remote;  /* "uuid\ntarget\nfmt\npath" → st_cached_remote */
} st_cache;

void st_cache_init(st_cache *c);
void st_cache_clear(st_cache *c);
/* Forgets everything about one domain (an event named it). */
void st_cache_forget_domain(st_cache *c, const char *uuid);

void st_file_sig_read(const char *path, st_file_sig *sig);
bool st_file_sig_equal(const st_file_sig *a, const st_file_sig *b);

/* Reads a local chain, reusing the cached one while no layer's file changed. Copies into *out. */
size_t st_cache_local_chain(st_cache *c, const char *path, const char *fmt, st_layer **out);

/*
 * The same in three steps, so that the reading can run on several threads while the cache itself
 * is touched by one: the key of a chain; whether a cached chain still matches its files (stat of
 * every layer); a fresh read (headers and signatures) to put into c->chains under the key.
 */
char *st_cache_chain_key(const char *path, const char *fmt);
bool st_cache_chain_valid(const st_cached_chain *cc);
st_cached_chain *st_cache_chain_read(const char *path, const char *fmt);
/* Copies a cached chain's layers into *out; returns how many. */
size_t st_cache_chain_copy(const st_cached_chain *cc, st_layer **out);

void st_cached_remote_free(void *p);

#endif
