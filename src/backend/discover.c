/*
 * Builds the model of one host. A refresh is a few phases, each of which keeps up to w->par
 * libvirt calls in flight on the one connection (libvirt's remote driver allows calls from
 * several threads), so that a slow link costs a few round trips per phase, not one per call:
 *
 *   1. the bulk calls, together: the states of every domain (virConnectGetAllDomainStats), the
 *      block statistics where they are needed (below), and three bulk domain lists (persistent,
 *      managed save, has snapshots);
 *   2. the XML of each domain the cache does not hold (or that events or the statistics showed
 *      changed);
 *   3. the chains. On this machine every chain, a running domain's too, comes from the live XML
 *      (libvirt's own record of the chain) and the images' headers, read here and cached by file
 *      signature: the first model never waits for libvirt to ask every QEMU for block
 *      statistics (about 10 ms of QEMU and libvirtd time per running domain). Later refreshes of
 *      the interface still make that bulk call, for running domains only, to see chains changed
 *      by other tools (an external snapshot raises no event). On a remote host running chains
 *      and sizes come from the block statistics; shut-off chains from storage pool volumes,
 *      walked for all disks at once and cached for a few refreshes;
 *   4. snapshot trees: cached; listed again now and then, fetching only snapshots not seen
 *      before. For a report (--list, --json) the listing runs on a thread of its own from the end
 *      of phase 1, next to phases 2 and 3; st_discover_finish joins it. The interface publishes
 *      the model first and lists the trees afterwards, so that every domain and chain is
 *      painted as soon as it is known and the trees fill in.
 */
#include "config.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "backend/discover_internal.h"
#include "backend/worker.h"
#include "backend/xmlutil.h"
#include "base/i18n.h"
#include "base/trace.h"
#include "base/util.h"
#include "core/qcow2.h"

static bool param_index(const char *field, const char *prefix, size_t *idx, const char **rest)
{
    size_t pl = strlen(prefix);
    if (strncmp(field, prefix, pl) != 0)
        return false;
    char *end;
    unsigned long v = strtoul(field + pl, &end, 10);
    if (end == field + pl || *end != '.' || v > 4096)
        return false;
    *idx = v;
    *rest = end + 1;
    return true;
}

/* A block.N size: an unsigned long long, or (another type, which a newer libvirt might send)
 * nothing, rather than half of a union. */
static void stat_size(const virTypedParameter *p, unsigned long long *out)
{
    if (p->type == VIR_TYPED_PARAM_ULLONG)
        *out = p->value.ul;
}

void ds_parse_stats(const virTypedParameter *params, int nparams, stat_dom *sd)
{
    for (int i = 0; i < nparams; i++) {
        const virTypedParameter *p = &params[i];
        if (strcmp(p->field, "block.count") == 0 && p->type == VIR_TYPED_PARAM_UINT) {
            free(sd->blocks);
            sd->have_blocks = true;
            sd->n_blocks = p->value.ui > 4096 ? 4096 : p->value.ui;
            sd->blocks = xcalloc(sd->n_blocks, sizeof(stat_block));
            for (size_t k = 0; k < sd->n_blocks; k++)
                sd->blocks[k].backing_index = -1;
        }
    }
    for (int i = 0; i < nparams; i++) {
        const virTypedParameter *p = &params[i];
        size_t k;
        const char *f;
        if (strcmp(p->field, "state.state") == 0)
            sd->state = p->value.i;
        else if (strcmp(p->field, "state.reason") == 0)
            sd->reason = p->value.i;
        else if (param_index(p->field, "block.", &k, &f) && k < sd->n_blocks) {
            stat_block *b = &sd->blocks[k];
            if (strcmp(f, "name") == 0 && p->type == VIR_TYPED_PARAM_STRING)
                b->name = p->value.s;
            else if (strcmp(f, "path") == 0 && p->type == VIR_TYPED_PARAM_STRING)
                b->path = p->value.s;
            else if (strcmp(f, "backingIndex") == 0 && p->type == VIR_TYPED_PARAM_UINT &&
                     p->value.ui <= INT_MAX)
                b->backing_index = (int)p->value.ui;
            else if (strcmp(f, "allocation") == 0)
                stat_size(p, &b->allocation);
            else if (strcmp(f, "capacity") == 0)
                stat_size(p, &b->capacity);
            else if (strcmp(f, "physical") == 0)
                stat_size(p, &b->physical);
        }
    }
}

/* Whether the cached XML still describes what the stats show (paths of every disk's layers). */
static bool xml_matches_stats(const st_cached_domain *cd, const stat_dom *sd, bool active)
{
    if (cd->active != active)
        return false;
    for (size_t k = 0; k < sd->n_blocks; k++) {
        const stat_block *sb = &sd->blocks[k];
        if (!sb->name)
            continue;
        const st_disk *d = st_domain_find_disk(&cd->dom, sb->name);
        if (!d)
            return false;
        if (!sb->path)
            continue;
        bool found = false;
        for (size_t i = 0; i < d->n_chain && !found; i++)
            found = streq0(d->chain[i].path, sb->path);
        if (!found)
            return false;
    }
    return true;
}

static const st_layer *xml_layer_for(const st_disk *xd, const char *path, int backing_index)
{
    for (size_t i = 0; xd && i < xd->n_chain; i++)
        if (streq0(xd->chain[i].path, path))
            return &xd->chain[i];
    for (size_t i = 0; xd && i < xd->n_chain; i++)
        if (backing_index >= 0 && xd->chain[i].backing_index == backing_index)
            return &xd->chain[i];
    return NULL;
}

/*
 * What a layer of a running domain occupies on the host, from the statistics: for a file, QEMU's
 * actual-size (its allocated blocks, as du and qemu-img info report, and as headers read here
 * and pool volumes give for any domain), which libvirt calls physical; libvirt's allocation is
 * QEMU's highest written offset, the only figure for a block device.
 */
static uint64_t running_allocation(const stat_block *sb)
{
    bool blockdev = sb->path && strncmp(sb->path, "/dev/", 5) == 0;
    return blockdev ? sb->allocation : sb->physical;
}

void ds_chain_from_stats(st_disk *d, const st_disk *xd, const stat_dom *sd)
{
    size_t n = 0;
    for (size_t k = 0; k < sd->n_blocks; k++)
        if (streq0(sd->blocks[k].name, d->target) && sd->blocks[k].path)
            n++;
    if (!n) {
        d->n_chain = xd->n_chain;
        d->chain = xd->n_chain ? xcalloc(xd->n_chain, sizeof(st_layer)) : NULL;
        st_layers_copy(d->chain, xd->chain, xd->n_chain);
        return;
    }
    d->chain = xcalloc(n, sizeof(st_layer));
    for (size_t k = 0; k < sd->n_blocks; k++) {
        const stat_block *sb = &sd->blocks[k];
        if (!streq0(sb->name, d->target) || !sb->path)
            continue;
        st_layer *l = &d->chain[d->n_chain++];
        const st_layer *xl = xml_layer_for(xd, sb->path, sb->backing_index);
        l->path = xstrdup(sb->path);
        l->format = xstrdup0(xl ? xl->format : NULL);
        l->backing_index = sb->backing_index;
        l->virtual_size = sb->capacity;
        l->allocation = running_allocation(sb);
        /* The file's size is not among a running domain's statistics. */
    }
}

/*
 * Running domain on this machine: the chain as the live XML records it (paths, formats, libvirt's
 * indexes), with sizes, raw backing names (for RELATIVE) and file identities from the headers,
 * matched by path. Sizes thus mean the same as for a shut-off domain and on a remote host:
 * allocation is what the file occupies (du, qemu-img's actual-size). Where no header was read (a
 * block device, a file not read yet), the statistics' figure is used when this refresh asked for
 * them (running_allocation).
 */
static void chain_from_xml_and_headers(st_disk *d, const st_disk *xd, const st_layer *local,
                                       size_t n_local, const stat_dom *sd)
{
    d->n_chain = xd->n_chain;
    d->chain = xd->n_chain ? xcalloc(xd->n_chain, sizeof(st_layer)) : NULL;
    st_layers_copy(d->chain, xd->chain, xd->n_chain);
    for (size_t i = 0; i < d->n_chain; i++) {
        st_layer *l = &d->chain[i];
        for (size_t j = 0; j < n_local; j++) {
            const st_layer *h = &local[j];
            if (!streq0(l->path, h->path))
                continue;
            l->virtual_size = h->virtual_size;
            l->allocation = h->allocation;
            l->physical = h->physical;
            l->backing_name = xstrdup0(h->backing_name);
            l->backing_fmt = xstrdup0(h->backing_fmt);
            l->dev = h->dev;
            l->ino = h->ino;
            if (!l->format)
                l->format = xstrdup0(h->format);
            /* What committing it adds to the layer below, as the headers' chain has it: the
             * same figure here when the layer below is the same file. */
            if (j + 1 < n_local && i + 1 < xd->n_chain &&
                streq0(local[j + 1].path, xd->chain[i + 1].path)) {
                l->merge_known = h->merge_known;
                l->merge_grows = h->merge_grows;
            }
            break;
        }
        for (size_t k = 0; !l->allocation && k < sd->n_blocks; k++)
            if (streq0(sd->blocks[k].path, l->path))
                l->allocation = running_allocation(&sd->blocks[k]);
    }
}

const stat_block *ds_top_stat(const stat_dom *sd, const char *target)
{
    for (size_t k = 0; k < sd->n_blocks; k++)
        if (streq0(sd->blocks[k].name, target))
            return &sd->blocks[k];
    return NULL;
}

/* ---- one refresh ---- */

static void fill_snapshots(st_worker *w, st_refresh *r, st_host *h, bool fresh_only);

typedef struct phase1 {
    st_worker *w;
    unsigned state_flags, block_flags;
    bool want_block, want_snapset;
    unsigned only;
    virDomainStatsRecordPtr *recs, *block_recs;
    int n, n_block;
    char *error;
    st_hash persistent, managed, snapset;
} phase1;

/* The UUIDs of the domains a bulk list with `flags` returns, in a set. */
static void list_uuid_set(st_worker *w, unsigned flags, st_hash *set)
{
    virDomainPtr *doms = NULL;
    st_worker_busy(w);
    int n = virConnectListAllDomains(w->conn, &doms, flags);
    st_worker_idle(w);
    if (n < 0) {
        virResetLastError();
        return;
    }
    for (int i = 0; i < n; i++) {
        char uuid[VIR_UUID_STRING_BUFLEN];
        if (st_dom_uuid(doms[i], uuid) == 0)
            st_hash_put(set, uuid, (void *)1);
        virDomainFree(doms[i]);
    }
    free(doms);
}

/*
 * The block statistics: the one call that makes libvirt ask every running QEMU (about 10 ms each
 * here), so it runs on a thread of its own while the XML and the headers are read, and is joined
 * before anything needs it.
 */
static void *block_stats_main(void *arg)
{
    phase1 *p = arg;
    st_parallel_enter();
    st_worker_busy(p->w);
    p->n_block = st_block_stats(p->w, p->block_flags, &p->block_recs);
    st_worker_idle(p->w);
    if (p->n_block < 0)
        virResetLastError(); /* the chains still come from the XML */
    st_parallel_leave();
    return NULL;
}

static void phase1_task(void *ctx, size_t i)
{
    phase1 *p = ctx;
    st_worker *w = p->w;
    switch (i) {
    case 0:
        st_worker_busy(w);
        p->n =
            virConnectGetAllDomainStats(w->conn, VIR_DOMAIN_STATS_STATE, &p->recs, p->state_flags);
        st_worker_idle(w);
        if (p->n < 0)
            p->error = st_lv_error(_("cannot read domain statistics"));
        break;
    case 1:
        break;
    case 2:
        list_uuid_set(w, p->only | VIR_CONNECT_LIST_DOMAINS_PERSISTENT, &p->persistent);
        break;
    case 3:
        list_uuid_set(w, p->only | VIR_CONNECT_LIST_DOMAINS_MANAGEDSAVE, &p->managed);
        break;
    case 4:
        if (p->want_snapset)
            list_uuid_set(w, p->only | VIR_CONNECT_LIST_DOMAINS_HAS_SNAPSHOT, &p->snapset);
        break;
    }
}

typedef struct xml_ctx {
    st_worker *w;
    dom_work **todo;
} xml_ctx;

/* A running domain's disks get the sources its inactive definition names (a transient
 * domain's "inactive" XML is its live one: the same sources). Failing that, they get none. */
static void inactive_sources(st_worker *w, dom_work *dw, st_domain *live)
{
    st_worker_busy(w);
    char *xml = virDomainGetXMLDesc(dw->dom, VIR_DOMAIN_XML_INACTIVE);
    st_worker_idle(w);
    st_domain def = {0};
    char *err = NULL;
    if (!xml || st_xml_parse_domain(xml, &def, &err) != 0) {
        virResetLastError();
        free(err);
        free(xml);
        return;
    }
    for (size_t i = 0; i < live->n_disks; i++) {
        const st_disk *d = st_domain_find_disk(&def, live->disks[i].target);
        if (d && d->source)
            live->disks[i].inactive_source = xstrdup(d->source);
    }
    st_domain_clear(&def);
    free(xml);
}

/* Fetches and parses one domain's XML (a task of phase 2). */
static void xml_task(void *ctx, size_t i)
{
    xml_ctx *x = ctx;
    dom_work *dw = x->todo[i];
    st_worker_busy(x->w);
    char *xml = virDomainGetXMLDesc(dw->dom, 0);
    st_worker_idle(x->w);
    if (!xml) {
        dw->err = st_lv_error(_("cannot read the domain XML"));
        return;
    }
    st_cached_domain *cd = xcalloc(1, sizeof(*cd));
    st_vol_resolver vr = {ds_volume_path, x->w};
    if (st_xml_parse_domain_vols(xml, &cd->dom, &vr, &dw->err) != 0) {
        free(cd);
    } else {
        /* Live or inactive XML: the active flag comes from the stats record (no call). */
        cd->active = dw->active;
        dw->fetched = cd;
        if (dw->active && x->w->inactive_xml)
            inactive_sources(x->w, dw, &cd->dom);
    }
    free(xml);
}

static void chain_task(void *ctx, size_t i)
{
    chain_job *j = &((chain_job *)ctx)[i];
    if (j->cached && st_cache_chain_valid(j->cached))
        return;
    j->fresh = st_cache_chain_read(j->path, j->fmt);
}

/* ---- building ---- */

chain_src ds_chain_source(const st_worker *w, const st_disk *xd, bool active)
{
    if (!xd->source)
        return SRC_NONE; /* an empty cdrom: no chain */
    /* A pool volume with a path is a file or a block device like any other (dir, fs, logical
     * pools); other pools' volumes (rbd, iscsi) have no absolute path. */
    bool file = xd->source[0] == '/' && (streq0(xd->type, "file") || streq0(xd->type, "block") ||
                                         streq0(xd->type, "volume"));
    if (active)
        return w->local && file ? SRC_LOCAL_RUNNING : SRC_STATS;
    if (w->local && file)
        return SRC_LOCAL;
    /* A shut-off domain's XML ends its chain with an empty <backingStore/> where libvirt knows it
     * is complete. After external snapshots of a running domain, libvirt 9.0 leaves the layers
     * they added without it, and without the image the domain was defined on: that is a start
     * for the pools, not the chain. The test driver's chains are fiction, and all it has. */
    if (xd->chain_complete || ds_test_driver(w))
        return SRC_XML;
    if (!w->local && xd->source[0] == '/')
        return SRC_POOL;
    return SRC_XML;
}

bool ds_test_driver(const st_worker *w)
{
    return w->hv_type && strcasecmp(w->hv_type, "Test") == 0;
}

static st_cached_chain *chain_for(st_worker *w, const st_disk *xd)
{
    char *key = st_cache_chain_key(xd->source, xd->format);
    st_cached_chain *cc = st_hash_get(&w->cache.chains, key);
    free(key);
    return cc;
}

void ds_build_disk(st_worker *w, dom_work *dw, st_disk *d, const st_disk *xd)
{
    st_disk_copy_head(d, xd);
    switch (ds_chain_source(w, xd, dw->active)) {
    case SRC_NONE:
        if (xd->pool && xd->volume)
            d->chain_unknown = xasprintf(_("volume %s of pool %s: the host gives no path for it "
                                           "(is the pool active?)"),
                                         xd->volume, xd->pool);
        return;
    case SRC_LOCAL: {
        st_cached_chain *cc = chain_for(w, xd);
        if (cc)
            d->n_chain = st_cache_chain_copy(cc, &d->chain);
        return;
    }
    case SRC_LOCAL_RUNNING: {
        st_cached_chain *cc = chain_for(w, xd);
        chain_from_xml_and_headers(d, xd, cc ? cc->layers : NULL, cc ? cc->n : 0, &dw->sd);
        return;
    }
    case SRC_STATS:
        ds_chain_from_stats(d, xd, &dw->sd);
        return;
    case SRC_POOL:
        ds_remote_chain_copy(w, dw, d, xd);
        return;
    case SRC_XML:
        d->n_chain = xd->n_chain;
        d->chain = xd->n_chain ? xcalloc(xd->n_chain, sizeof(st_layer)) : NULL;
        st_layers_copy(d->chain, xd->chain, xd->n_chain);
        /* A raw layer has no backing file: below a raw network disk there is nothing to read. */
        if (xd->source[0] != '/' && !xd->chain_complete && !ds_test_driver(w) &&
            !(d->n_chain && streq0(d->chain[d->n_chain - 1].format, "raw")))
            d->chain_unknown = xstrdup(_("network disk: the chain below it is not read"));
        if (!dw->active)
            ds_sizes_from_stats(d, &dw->sd);
        return;
    }
}

/* Detached branches from the domain's metadata; on this machine their chains are read too. */
static void load_branches(st_worker *w, st_domain *d, const st_domain *xd)
{
    d->n_branches = xd->n_branches;
    d->branches = xd->n_branches ? xcalloc(xd->n_branches, sizeof(st_branch)) : NULL;
    st_branches_copy(d->branches, xd->branches, xd->n_branches);
    for (size_t i = 0; w->local && i < d->n_branches; i++) {
        st_branch *b = &d->branches[i];
        if (!b->file || b->file[0] != '/')
            continue;
        st_layer *layers = NULL;
        size_t n = st_cache_local_chain(&w->cache, b->file, NULL, &layers);
        b->chain = n ? xcalloc(n, sizeof(char *)) : NULL;
        for (size_t k = 0; k < n; k++) {
            if (layers[k].path)
                b->chain[b->n_chain++] = xstrdup(layers[k].path);
            st_layer_clear(&layers[k]);
        }
        free(layers);
    }
}

static int cmp_domain(const void *a, const void *b)
{
    return strcmp(((const st_domain *)a)->name, ((const st_domain *)b)->name);
}

/* Drops cache entries of domains that no longer exist. */
static int prune_missing(const char *key, void *value, void *ctx)
{
    (void)value;
    return st_hash_get(ctx, key) == NULL;
}

static int prune_remote(const char *key, void *value, void *ctx)
{
    (void)value;
    const char *nl = strchr(key, '\n');
    if (!nl || nl - key >= VIR_UUID_STRING_BUFLEN)
        return 1;
    char uuid[VIR_UUID_STRING_BUFLEN];
    memcpy(uuid, key, (size_t)(nl - key));
    uuid[nl - key] = '\0';
    return st_hash_get(ctx, uuid) == NULL;
}

void st_refresh_free(st_refresh *r)
{
    if (!r)
        return;
    if (r->snap)
        ds_snap_join(r->snap->w, r->snap); /* it uses the records' domains */
    for (size_t i = 0; i < r->n; i++) {
        free(r->dw[i].sd.blocks);
        free(r->dw[i].err);
    }
    free(r->dw);
    if (r->recs)
        virDomainStatsRecordListFree(r->recs);
    if (r->block_recs)
        virDomainStatsRecordListFree(r->block_recs);
    st_hash_clear(&r->snapset);
    free(r);
}

static void local_chains(st_worker *w, st_refresh *r)
{
    st_hash seen;
    st_hash_init(&seen, NULL);
    chain_job *jobs = NULL;
    size_t n = 0, cap = 0;
    for (size_t i = 0; i < r->n; i++) {
        const st_cached_domain *cd = r->dw[i].cd;
        for (size_t k = 0; cd && k < cd->dom.n_disks; k++) {
            const st_disk *xd = &cd->dom.disks[k];
            chain_src src = ds_chain_source(w, xd, r->dw[i].active);
            if (src != SRC_LOCAL && src != SRC_LOCAL_RUNNING)
                continue;
            char *key = st_cache_chain_key(xd->source, xd->format);
            if (st_hash_get(&seen, key)) {
                free(key);
                continue;
            }
            st_hash_put(&seen, key, (void *)1);
            xgrow((void **)&jobs, &cap, n + 1, sizeof(*jobs));
            jobs[n++] =
                (chain_job){key, xd->source, xd->format, st_hash_get(&w->cache.chains, key), NULL};
        }
    }
    st_hash_clear(&seen);
    /* Header reads are system calls, not round trips: as many threads as the CPUs can use. */
    st_parallel(n, w->par, chain_task, jobs);
    size_t read = 0;
    for (size_t i = 0; i < n; i++) {
        if (jobs[i].fresh) {
            st_hash_put(&w->cache.chains, jobs[i].key, jobs[i].fresh);
            read++;
        }
        free(jobs[i].key);
    }
    free(jobs);
    st_trace("discover-chains host=%zu chains=%zu read=%zu", w->index, n, read);
}

st_host *st_discover(st_worker *w, st_refresh **rest)
{
    *rest = NULL;
    st_host *h = st_host_new(w->uri ? w->uri : w->conn_uri);
    h->name = xstrdup0(w->name);
    h->libvirt_version = xstrdup0(w->lib_version);
    h->hv_version = xstrdup0(w->hv_version);
    h->hv_type = xstrdup0(w->hv_type);
    h->libvirt_ver = w->lib_ver;
    h->local = w->local;
    h->readonly = w->readonly;
    h->external_revert = w->external_revert;
    h->reachable = true;
    w->refreshes++;

    /* Phase 1: the bulk calls, all in flight together. */
    phase1 p = {.w = w};
    unsigned nowait = w->lib_ver >= 4005000 ? VIR_CONNECT_GET_ALL_DOMAINS_STATS_NOWAIT : 0;
    p.only = w->running_only ? VIR_CONNECT_LIST_DOMAINS_ACTIVE : 0;
    p.state_flags = nowait | (w->running_only ? VIR_CONNECT_GET_ALL_DOMAINS_STATS_ACTIVE : 0);
    /* Block statistics: always on a remote host (sizes, running chains, shut-off tops); here
     * only to notice running chains that other tools changed, so not for the first model. */
    p.want_block = !w->local || (w->events && w->refreshes > 1);
    p.block_flags = nowait | VIR_CONNECT_GET_ALL_DOMAINS_STATS_BACKING |
                    (w->local || w->running_only ? VIR_CONNECT_GET_ALL_DOMAINS_STATS_ACTIVE : 0);
    p.want_snapset = w->snapshots;
    st_hash_init(&p.persistent, NULL);
    st_hash_init(&p.managed, NULL);
    st_hash_init(&p.snapset, NULL);
    pthread_t block_thread;
    bool block_started =
        p.want_block && pthread_create(&block_thread, NULL, block_stats_main, &p) == 0;
    if (p.want_block && !block_started)
        block_stats_main(&p);
    st_parallel(5, w->par, phase1_task, &p);
    st_trace("discover-bulk host=%zu domains=%d", w->index, p.n);
    if (p.n < 0) {
        h->error = p.error;
        if (block_started)
            pthread_join(block_thread, NULL);
        if (p.block_recs)
            virDomainStatsRecordListFree(p.block_recs);
        st_hash_clear(&p.persistent);
        st_hash_clear(&p.managed);
        st_hash_clear(&p.snapset);
        return h;
    }

    st_refresh *r = xcalloc(1, sizeof(*r));
    r->recs = p.recs;
    r->n = (size_t)p.n;
    r->dw = r->n ? xcalloc(r->n, sizeof(dom_work)) : NULL;
    r->snapset = p.snapset;
    st_hash byuuid;
    st_hash_init(&byuuid, NULL);
    for (size_t i = 0; i < r->n; i++) {
        dom_work *dw = &r->dw[i];
        dw->dom = p.recs[i]->dom;
        st_dom_uuid(dw->dom, dw->uuid);
        dw->id = virDomainGetID(dw->dom);
        dw->active = dw->id != (unsigned int)-1;
        ds_parse_stats(p.recs[i]->params, p.recs[i]->nparams, &dw->sd);
        st_hash_put(&byuuid, dw->uuid, dw);
    }
    /* The snapshot trees need nothing but the domains: a report lists them meanwhile. The
     * interface leaves the connection and the CPU to the chains, which it paints first. */
    if (!w->events)
        r->snap = ds_snap_start(w, r);

    /* Phase 2: XML where the cache has none; then, with the block statistics in, again where
     * they show that a cached chain went stale (another tool's snapshot or commit). */
    dom_work **todo = r->n ? xcalloc(r->n, sizeof(dom_work *)) : NULL;
    size_t n_todo = 0, fetched = 0;
    bool refetched = false;
    for (int pass = 0; pass < 2; pass++) {
        n_todo = 0;
        for (size_t i = 0; i < r->n; i++) {
            dom_work *dw = &r->dw[i];
            st_cached_domain *cd = pass ? dw->cd : st_hash_get(&w->cache.domains, dw->uuid);
            if (cd && !xml_matches_stats(cd, &dw->sd, dw->active)) {
                st_cache_forget_domain(&w->cache, dw->uuid);
                cd = NULL;
            }
            dw->cd = cd;
            if (!cd && !(pass && dw->err))
                todo[n_todo++] = dw;
        }
        xml_ctx xc = {w, todo};
        st_parallel(n_todo, w->par, xml_task, &xc);
        for (size_t i = 0; i < n_todo; i++)
            if (todo[i]->fetched) {
                st_hash_put(&w->cache.domains, todo[i]->uuid, todo[i]->fetched);
                todo[i]->cd = todo[i]->fetched;
                todo[i]->fetched = NULL;
            }
        fetched += n_todo;
        refetched = pass == 1 && n_todo > 0;
        /* Shut-off chains through the pools need no statistics: walk them while the block
         * statistics are still on their way. */
        if (pass == 0 && !w->local)
            ds_pool_chains(w, r);
        if (pass == 0 && block_started)
            pthread_join(block_thread, NULL);
        if (pass == 0) {
            r->block_recs = p.block_recs;
            for (int i = 0; i < p.n_block; i++) {
                char uuid[VIR_UUID_STRING_BUFLEN];
                dom_work *dw = st_dom_uuid(p.block_recs[i]->dom, uuid) == 0
                                   ? st_hash_get(&byuuid, uuid)
                                   : NULL;
                if (dw)
                    ds_parse_stats(p.block_recs[i]->params, p.block_recs[i]->nparams, &dw->sd);
            }
            if (p.n_block <= 0)
                break;
        }
    }
    free(todo);
    /* A domain whose XML was fetched again may name other images: walk what is missing. */
    if (!w->local && refetched)
        ds_pool_chains(w, r);
    st_trace("discover-xml host=%zu fetched=%zu block=%d", w->index, fetched, p.n_block);

    /* Phase 3: chains. */
    local_chains(w, r);
    h->doms = r->n ? xcalloc(r->n, sizeof(st_domain)) : NULL;
    for (size_t i = 0; i < r->n; i++) {
        dom_work *dw = &r->dw[i];
        st_domain *d = &h->doms[h->n_doms++];
        d->name = xstrdup(virDomainGetName(dw->dom));
        memcpy(d->uuid, dw->uuid, sizeof(d->uuid));
        d->uuid[sizeof(d->uuid) - 1] = '\0';
        d->id = dw->active ? (int)dw->id : -1;
        d->state = dw->sd.state;
        d->reason = dw->sd.reason;
        d->persistent = st_hash_get(&p.persistent, dw->uuid) != NULL;
        d->managed_save = st_hash_get(&p.managed, dw->uuid) != NULL;
        if (dw->cd) {
            d->has_agent = dw->cd->dom.has_agent;
            d->agent_connected = dw->cd->dom.agent_connected;
            d->pflash = dw->cd->dom.pflash;
            d->nvram_format = xstrdup0(dw->cd->dom.nvram_format);
            d->nvram = xstrdup0(dw->cd->dom.nvram);
            d->n_disks = dw->cd->dom.n_disks;
            d->disks = d->n_disks ? xcalloc(d->n_disks, sizeof(st_disk)) : NULL;
            for (size_t k = 0; k < d->n_disks; k++)
                ds_build_disk(w, dw, &d->disks[k], &dw->cd->dom.disks[k]);
            load_branches(w, d, &dw->cd->dom);
        } else {
            d->error = dw->err; /* shown on the domain; its disks are unknown */
            dw->err = NULL;
        }
    }
    if (h->n_doms) /* qsort must not be handed NULL, even for no elements */
        qsort(h->doms, h->n_doms, sizeof(st_domain), cmp_domain);
    for (size_t i = 0; i < h->n_doms; i++)
        ((dom_work *)st_hash_get(&byuuid, h->doms[i].uuid))->model_index = i;

    /* Cache entries of domains that are gone. */
    st_hash_filter(&w->cache.domains, prune_missing, &byuuid);
    st_hash_filter(&w->cache.snaps, prune_missing, &byuuid);
    st_hash_filter(&w->cache.remote, prune_remote, &byuuid);
    st_hash_clear(&byuuid);
    st_hash_clear(&p.persistent);
    st_hash_clear(&p.managed);
    st_host *hs[1] = {h};
    st_model_mark_shared(hs, 1);
    if (w->pool_dirs)
        ds_pool_dirs(w, h);
    fill_snapshots(w, r, h, false);
    *rest = r;
    return h;
}

/* ---- phase 4: snapshot trees, and the job scan ---- */

typedef struct probe_ctx {
    st_worker *w;
    st_host *h;
    dom_work **doms;
} probe_ctx;

static void probe_task(void *ctx, size_t i)
{
    probe_ctx *pc = ctx;
    dom_work *dw = pc->doms[i];
    st_jobtab_probe_domain(pc->w, dw->dom, &pc->h->doms[dw->model_index]);
}

/*
 * Copies the cached snapshot trees into the model: all of them (st_discover, so that a model
 * published before the listings shows what was known), or those listed in this refresh.
 */
static void fill_snapshots(st_worker *w, st_refresh *r, st_host *h, bool fresh_only)
{
    for (size_t i = 0; w->snapshots && i < r->n; i++) {
        dom_work *dw = &r->dw[i];
        st_cached_snaps *cs =
            st_hash_get(&r->snapset, dw->uuid) ? st_hash_get(&w->cache.snaps, dw->uuid) : NULL;
        if (!cs || (fresh_only && cs->refresh != w->refreshes))
            continue;
        st_domain *d = &h->doms[dw->model_index];
        for (size_t k = 0; k < d->n_snaps; k++)
            st_snapshot_clear(&d->snaps[k]);
        free(d->snaps);
        free(d->snaps_error);
        d->n_snaps = cs->n;
        d->snaps = cs->n ? xcalloc(cs->n, sizeof(st_snapshot)) : NULL;
        st_snapshots_copy(d->snaps, cs->snaps, cs->n);
        d->snaps_error = xstrdup0(cs->error);
    }
}

bool st_discover_pending(const st_worker *w, const st_refresh *r)
{
    if (!r)
        return false;
    /* Worth a model of its own only when trees are missing, not when known ones are listed
     * again or running domains are scanned for jobs (a few calls in flight together). */
    for (size_t i = 0; w->snapshots && i < r->n; i++)
        if (st_hash_get(&r->snapset, r->dw[i].uuid) && !st_hash_get(&w->cache.snaps, r->dw[i].uuid))
            return true;
    return false;
}

void st_discover_finish(st_worker *w, st_host *h, st_refresh *r)
{
    /* Snapshot trees: from the cache, listed again now and then (no event announces a new
     * snapshot), loaded where missing; the listing ran next to the chains. */
    size_t n = ds_snap_join(w, r->snap ? r->snap : ds_snap_start(w, r));
    r->snap = NULL;
    fill_snapshots(w, r, h, true);
    st_trace("discover-snapshots host=%zu fetched=%zu", w->index, n);

    /* Block jobs that other clients started (or that ran before we connected): every running
     * domain now and then; events report the rest. */
    if (w->events && st_jobtab_scan_due(w->jobs, w->refreshes)) {
        dom_work **act = r->n ? xcalloc(r->n, sizeof(dom_work *)) : NULL;
        size_t na = 0;
        for (size_t i = 0; i < r->n; i++)
            if (r->dw[i].active)
                act[na++] = &r->dw[i];
        probe_ctx pc = {w, h, act};
        st_parallel(na, w->par, probe_task, &pc);
        free(act);
        st_trace("discover-jobs host=%zu probed=%zu", w->index, na);
    }
    st_refresh_free(r);
}
