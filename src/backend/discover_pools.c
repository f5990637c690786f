/*
 * Discovery of remote shut-off chains: read by the host's own virt-snaptree over ssh where it can
 * (discover_remote.c), else through storage pool volumes, walked for all disks at once.
 */
#include "config.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend/discover_internal.h"
#include "backend/mailbox.h"
#include "backend/xmlutil.h"
#include "base/i18n.h"
#include "base/parallel.h"
#include "base/trace.h"
#include "base/util.h"
#include "core/qcow2.h"

typedef struct pool_ctx {
    st_worker *w;
    pool_job *jobs;
    st_hash vols;         /* lexical path → virStorageVolPtr, from listing every active pool */
    pthread_mutex_t lock; /* guards memo */
    st_hash memo;         /* lexical path → st_volinfo* read during this refresh */
    const char *why;      /* why the host's own virt-snaptree did not read the chains, or NULL */
} pool_ctx;

static void free_volinfo(void *p)
{
    st_volinfo_clear(p);
    free(p);
}

static void free_vol(void *p)
{
    virStorageVolFree(p);
}

/* Lists the volumes of every active pool: one call, then one per pool, all in flight at once. */
typedef struct vol_list {
    st_worker *w;
    virStoragePoolPtr *pools;
    virStorageVolPtr **vols;
    int *n;
} vol_list;

static void vol_list_task(void *ctx, size_t i)
{
    vol_list *v = ctx;
    st_worker_busy(v->w);
    /* A pool answers from what it read at its last refresh: a merge since (ours, or another
     * tool's) would still show the old backing files. Chains are walked rarely: refresh first. */
    if (virStoragePoolRefresh(v->pools[i], 0) < 0)
        virResetLastError();
    v->n[i] = virStoragePoolListAllVolumes(v->pools[i], &v->vols[i], 0);
    st_worker_idle(v->w);
    if (v->n[i] < 0)
        virResetLastError();
}

static void index_pool_volumes(st_worker *w, pool_ctx *pc)
{
    virStoragePoolPtr *pools = NULL;
    st_worker_busy(w);
    int np = virConnectListAllStoragePools(w->conn, &pools, VIR_CONNECT_LIST_STORAGE_POOLS_ACTIVE);
    st_worker_idle(w);
    if (np <= 0) {
        virResetLastError();
        free(pools);
        return;
    }
    vol_list v = {w, pools, xcalloc(np, sizeof(virStorageVolPtr *)), xcalloc(np, sizeof(int))};
    st_parallel((size_t)np, w->par, vol_list_task, &v);
    for (int i = 0; i < np; i++) {
        for (int k = 0; k < v.n[i]; k++) {
            /* A volume's key is its path in file-based pools; other pools use other keys, which
             * then simply match no disk (virStorageVolGetPath would cost a call each). */
            const char *key = virStorageVolGetKey(v.vols[i][k]);
            char *lex = key && key[0] == '/' ? st_path_lexical(key) : NULL;
            if (lex && !st_hash_get(&pc->vols, lex))
                st_hash_put(&pc->vols, lex, v.vols[i][k]);
            else
                virStorageVolFree(v.vols[i][k]);
            free(lex);
        }
        free(v.vols[i]);
        virStoragePoolFree(pools[i]);
    }
    free(v.vols);
    free(v.n);
    free(pools);
}

/* The volume XML of `path`, read once per refresh; NULL when no pool holds it. */
static const st_volinfo *pool_volume(pool_ctx *pc, const char *path)
{
    char *lex = st_path_lexical(path);
    pthread_mutex_lock(&pc->lock);
    st_volinfo *vi = st_hash_get(&pc->memo, lex);
    pthread_mutex_unlock(&pc->lock);
    if (vi) {
        free(lex);
        return vi->path ? vi : NULL;
    }
    virStorageVolPtr vol = st_hash_get(&pc->vols, lex);
    st_worker_busy(pc->w);
    char *xml = NULL;
    if (vol) {
        xml = virStorageVolGetXMLDesc(vol, 0);
    } else {
        /* Not in the listing (a pool that keys volumes otherwise): ask by path. */
        virStorageVolPtr v = virStorageVolLookupByPath(pc->w->conn, path);
        xml = v ? virStorageVolGetXMLDesc(v, 0) : NULL;
        if (v)
            virStorageVolFree(v);
    }
    st_worker_idle(pc->w);
    vi = xcalloc(1, sizeof(*vi));
    char *err = NULL;
    if (!xml || st_xml_parse_volume(xml, vi, &err) != 0) {
        virResetLastError();
        st_volinfo_clear(vi); /* path NULL: remembered as "not in a pool" */
    }
    free(err);
    free(xml);
    pthread_mutex_lock(&pc->lock);
    if (!st_hash_get(&pc->memo, lex)) {
        st_hash_put(&pc->memo, lex, vi);
    } else {
        free_volinfo(vi); /* another thread read it meanwhile */
        vi = st_hash_get(&pc->memo, lex);
    }
    pthread_mutex_unlock(&pc->lock);
    free(lex);
    return vi->path ? vi : NULL;
}

static st_layer *walk_add(st_cached_remote *cr, size_t *cap, const char *path, const char *fmt)
{
    xgrow((void **)&cr->layers, cap, cr->n + 1, sizeof(st_layer));
    st_layer *l = &cr->layers[cr->n++];
    memset(l, 0, sizeof(*l));
    l->path = xstrdup(path);
    l->format = xstrdup0(fmt);
    l->backing_index = -1;
    return l;
}

/* The index of `path` among n layers, compared lexically; -1 when none names it. */
static ssize_t layer_index(const st_layer *layers, size_t n, const char *path)
{
    char *want = st_path_lexical(path);
    ssize_t found = -1;
    for (size_t i = 0; found < 0 && i < n; i++) {
        char *have = layers[i].path ? st_path_lexical(layers[i].path) : NULL;
        if (have && strcmp(have, want) == 0)
            found = (ssize_t)i;
        free(have);
    }
    free(want);
    return found;
}

/* Ends the walk with a layer that says why it stops there (a loop, or too deep): as the local
 * reader does, a broken layer rather than a silently shorter chain. */
static bool walk_stops(st_cached_remote *cr, size_t *cap, const char *path, const char *fmt)
{
    const char *why = NULL;
    char deep[160];
    if (layer_index(cr->layers, cr->n, path) >= 0) {
        why = _("loop: this image is already in the chain");
    } else if (cr->n == ST_CHAIN_MAX_DEPTH) {
        snprintf(deep, sizeof(deep), _("chain deeper than %d images, not read"),
                 ST_CHAIN_MAX_DEPTH);
        why = deep;
    }
    if (!why)
        return false;
    walk_add(cr, cap, path, fmt)->broken = xstrdup(why);
    return true;
}

void ds_walk_remote(const st_disk *xd, ds_vol_lookup look, void *ctx, st_cached_remote *cr)
{
    size_t cap = 0;
    const char *path = xd->source, *fmt = xd->format;
    while (path && !walk_stops(cr, &cap, path, fmt)) {
        const st_volinfo *vi = look(ctx, path);
        if (vi) {
            st_layer *l = walk_add(cr, &cap, path, vi->format ? vi->format : fmt);
            l->virtual_size = vi->capacity;
            l->allocation = vi->allocation;
            l->physical = vi->physical;
            l->backing_name = xstrdup0(vi->backing_path);
            path = vi->backing_path;
            fmt = vi->backing_format;
            continue;
        }
        /* No pool holds it: what the XML says about it and below is all there is (sizes come
         * from the statistics when the model is built). */
        ssize_t k = layer_index(xd->chain, xd->n_chain, path);
        const st_layer *xl = k >= 0 ? &xd->chain[k] : NULL;
        walk_add(cr, &cap, path, xl && xl->format ? xl->format : fmt);
        if (!xl || (size_t)k + 1 == xd->n_chain) {
            if (!xl || !xd->chain_complete)
                cr->unknown =
                    xstrdup(_("remote host and the image is not in a storage pool: the "
                              "chain below it is not known while the domain is shut off"));
            return;
        }
        path = xd->chain[k + 1].path;
        fmt = xd->chain[k + 1].format;
    }
}

static const st_volinfo *pool_lookup(void *ctx, const char *path)
{
    return pool_volume(ctx, path);
}

/* Walks one remote shut-off disk's chain (a task). */
static void pool_task(void *ctx, size_t i)
{
    pool_ctx *pc = ctx;
    pool_job *j = &pc->jobs[i];
    st_cached_remote *cr = xcalloc(1, sizeof(*cr));
    cr->refresh = pc->w->refreshes;
    ds_walk_remote(j->disk, pool_lookup, pc, cr);
    if (cr->unknown && pc->why) {
        free(cr->unknown);
        cr->unknown = xasprintf(_("%s, and no storage pool holds the image: the chain below it "
                                  "is not known while the domain is shut off"),
                                pc->why);
    }
    j->fresh = cr;
}

char *ds_remote_key(const dom_work *dw, const st_disk *xd)
{
    return xasprintf("%s\n%s\n%s\n%s", dw->uuid, xd->target ? xd->target : "",
                     xd->format ? xd->format : "", xd->source);
}

void ds_sizes_from_stats(st_disk *d, const stat_dom *sd)
{
    for (size_t i = 0; i < d->n_chain; i++) {
        st_layer *l = &d->chain[i];
        for (size_t k = 0; !l->virtual_size && !l->allocation && k < sd->n_blocks; k++) {
            const stat_block *sb = &sd->blocks[k];
            if (!streq0(sb->name, d->target) || !streq0(sb->path, l->path))
                continue;
            l->virtual_size = sb->capacity;
            l->allocation = sb->allocation;
            l->physical = sb->physical;
        }
    }
}

void ds_remote_chain_copy(st_worker *w, dom_work *dw, st_disk *d, const st_disk *xd)
{
    char *key = ds_remote_key(dw, xd);
    const st_cached_remote *cr = st_hash_get(&w->cache.remote, key);
    free(key);
    if (!cr)
        return;
    d->n_chain = cr->n;
    d->chain = cr->n ? xcalloc(cr->n, sizeof(st_layer)) : NULL;
    st_layers_copy(d->chain, cr->layers, cr->n);
    d->chain_unknown = xstrdup0(cr->unknown);
    ds_sizes_from_stats(d, &dw->sd);
}

/* Walks the remote shut-off chains that the cache does not hold (or holds for too long). */
void ds_pool_chains(st_worker *w, st_refresh *r)
{
    pool_ctx pc = {.w = w};
    pool_job *jobs = NULL;
    size_t n = 0, cap = 0;
    pthread_mutex_lock(&w->lock);
    bool stale = w->pools_stale;
    w->pools_stale = false;
    pthread_mutex_unlock(&w->lock);
    for (size_t i = 0; i < r->n; i++) {
        dom_work *dw = &r->dw[i];
        const st_cached_domain *cd = dw->cd;
        for (size_t k = 0; cd && k < cd->dom.n_disks; k++) {
            const st_disk *xd = &cd->dom.disks[k];
            if (ds_chain_source(w, xd, dw->active) != SRC_POOL)
                continue;
            char *key = ds_remote_key(dw, xd);
            st_cached_remote *cr = st_hash_get(&w->cache.remote, key);
            if (cr && !stale && w->refreshes - cr->refresh < ST_REMOTE_REWALK_EVERY) {
                free(key);
                continue;
            }
            xgrow((void **)&jobs, &cap, n + 1, sizeof(*jobs));
            jobs[n++] = (pool_job){xd, key, NULL};
        }
    }
    char *why = n ? ds_remote_tool_chains(w, jobs, n) : NULL;
    pc.why = why;
    if (n && !jobs[0].fresh) {
        st_hash_init(&pc.vols, free_vol);
        st_hash_init(&pc.memo, free_volinfo);
        pthread_mutex_init(&pc.lock, NULL);
        pc.jobs = jobs;
        index_pool_volumes(w, &pc);
        st_parallel(n, w->par, pool_task, &pc);
        st_hash_clear(&pc.vols);
        st_hash_clear(&pc.memo);
        pthread_mutex_destroy(&pc.lock);
    }
    for (size_t i = 0; i < n; i++) {
        st_hash_put(&w->cache.remote, jobs[i].key, jobs[i].fresh);
        free(jobs[i].key);
    }
    free(why);
    free(jobs);
    st_trace("discover-pools host=%zu walked=%zu", w->index, n);
}

char *ds_volume_path(void *ctx, const char *pool, const char *vol)
{
    st_worker *w = ctx;
    st_worker_busy(w);
    virStoragePoolPtr p = virStoragePoolLookupByName(w->conn, pool);
    virStorageVolPtr v = p ? virStorageVolLookupByName(p, vol) : NULL;
    char *path = v ? virStorageVolGetPath(v) : NULL;
    st_worker_idle(w);
    if (!path)
        virResetLastError();
    if (v)
        virStorageVolFree(v);
    if (p)
        virStoragePoolFree(p);
    return path;
}

/* A line of what could not be scanned, about one pool. */
__attribute__((format(printf, 3, 4))) static void pool_unscanned(st_host *h, const char *pool,
                                                                 const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *why = xvasprintf(fmt, ap);
    va_end(ap);
    h->pool_unscanned = xrealloc(h->pool_unscanned, (h->n_pool_unscanned + 1) * sizeof(char *));
    h->pool_unscanned[h->n_pool_unscanned++] =
        xasprintf(_("storage pool %s: %s"), pool ? pool : "?", why);
    free(why);
}

/* One volume's path alone, for a host whose files are read here: the key in file-based pools
 * (no call), else asked. */
static char *pool_vol_path(st_worker *w, virStorageVolPtr v)
{
    const char *key = virStorageVolGetKey(v);
    if (key && key[0] == '/')
        return xstrdup(key);
    st_worker_busy(w);
    char *path = virStorageVolGetPath(v);
    st_worker_idle(w);
    if (!path)
        virResetLastError();
    return path;
}

/* One volume as its pool lists it: path, format, backing name, allocation (its XML; on a local
 * host only its path, the scan reads the file itself). */
static void pool_vol_add(st_worker *w, st_host *h, size_t *cap, virStorageVolPtr v)
{
    char *xml = NULL;
    st_volinfo vi = {0};
    if (h->local) {
        vi.path = pool_vol_path(w, v);
    } else {
        st_worker_busy(w);
        xml = virStorageVolGetXMLDesc(v, 0);
        st_worker_idle(w);
    }
    char *err = NULL;
    bool read = h->local || (xml && st_xml_parse_volume(xml, &vi, &err) == 0);
    if (!read || !vi.path || vi.path[0] != '/') {
        virResetLastError();
    } else {
        xgrow((void **)&h->pool_vols, cap, h->n_pool_vols + 1, sizeof(st_layer));
        st_layer *l = &h->pool_vols[h->n_pool_vols++];
        memset(l, 0, sizeof(*l));
        l->path = xstrdup(vi.path);
        l->format = xstrdup0(vi.format);
        l->backing_name = xstrdup0(vi.backing_path);
        l->allocation = vi.allocation;
        l->virtual_size = vi.capacity;
        l->backing_index = -1;
    }
    st_volinfo_clear(&vi);
    free(err);
    free(xml);
}

/* An active pool's folder and volumes, as the pool last listed them: a refresh would make the
 * daemon read every file of the pool, for a view that only lists. */
static void pool_scan(st_worker *w, st_host *h, virStoragePoolPtr pool, size_t *cap)
{
    const char *name = virStoragePoolGetName(pool);
    st_worker_busy(w);
    char *xml = virStoragePoolGetXMLDesc(pool, 0);
    st_worker_idle(w);
    char *path = NULL, *err = NULL;
    if (xml && st_xml_parse_pool_path(xml, &path, &err) == 0 && path && path[0] == '/')
        h->pool_dirs[h->n_pool_dirs++] = path;
    else
        free(path);
    free(err);
    free(xml);
    virStorageVolPtr *vols = NULL;
    st_worker_busy(w);
    int nv = virStoragePoolListAllVolumes(pool, &vols, 0);
    st_worker_idle(w);
    if (nv < 0) {
        pool_unscanned(h, name, _("its volumes could not be listed: %s"), virGetLastErrorMessage());
        virResetLastError();
    }
    for (int k = 0; k < nv; k++) {
        pool_vol_add(w, h, cap, vols[k]);
        virStorageVolFree(vols[k]);
    }
    free(vols);
}

void ds_pool_dirs(st_worker *w, st_host *h)
{
    virStoragePoolPtr *pools = NULL;
    st_worker_busy(w);
    int np = virConnectListAllStoragePools(w->conn, &pools, 0);
    st_worker_idle(w);
    h->pools_read = true;
    if (np < 0) {
        pool_unscanned(h, NULL, _("the pools could not be listed: %s"), virGetLastErrorMessage());
        virResetLastError();
        return;
    }
    h->pool_dirs = np ? xcalloc((size_t)np, sizeof(char *)) : NULL;
    size_t cap = 0;
    for (int i = 0; i < np; i++) {
        if (virStoragePoolIsActive(pools[i]) == 1)
            pool_scan(w, h, pools[i], &cap);
        else
            pool_unscanned(h, virStoragePoolGetName(pools[i]),
                           _("not active: its volumes are not listed"));
        virResetLastError();
        virStoragePoolFree(pools[i]);
    }
    free(pools);
}

void st_pools_answer(st_worker *w, int id)
{
    st_host *h = st_host_new(NULL);
    h->local = w->local;
    h->reachable = true;
    ds_pool_dirs(w, h);
    st_msg *m = st_msg_result(w->index, id, true, ST_RESULT_PLAIN, NULL);
    m->host = h;
    st_worker_post(w, m);
    st_trace("pools host=%zu vols=%zu unscanned=%zu", w->index, h->n_pool_vols,
             h->n_pool_unscanned);
}
