/*
 * Builds the model of one host. A refresh costs one bulk stats call (every running domain's whole
 * chain) plus three bulk domain lists; domain and snapshot XML are fetched only for domains the
 * cache does not know or that events marked changed.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "i18n.h"
#include "qcow2.h"
#include "util.h"
#include "worker.h"
#include "xmlutil.h"

enum { ST_SNAP_RELIST_EVERY = 5 };

/* One block.N entry of the bulk stats. */
typedef struct stat_block {
    const char *name, *path;
    int backing_index;
    unsigned long long allocation, capacity, physical;
} stat_block;

typedef struct stat_dom {
    int state, reason;
    stat_block *blocks;
    size_t n_blocks;
} stat_dom;

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

static void parse_stats(const virDomainStatsRecord *rec, stat_dom *sd)
{
    memset(sd, 0, sizeof(*sd));
    for (int i = 0; i < rec->nparams; i++) {
        const virTypedParameter *p = &rec->params[i];
        if (strcmp(p->field, "block.count") == 0 && p->type == VIR_TYPED_PARAM_UINT) {
            sd->n_blocks = p->value.ui > 4096 ? 4096 : p->value.ui;
            sd->blocks = xcalloc(sd->n_blocks, sizeof(stat_block));
            for (size_t k = 0; k < sd->n_blocks; k++)
                sd->blocks[k].backing_index = -1;
        }
    }
    for (int i = 0; i < rec->nparams; i++) {
        const virTypedParameter *p = &rec->params[i];
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
            else if (strcmp(f, "backingIndex") == 0)
                b->backing_index = (int)p->value.ui;
            else if (strcmp(f, "allocation") == 0)
                b->allocation = p->value.ul;
            else if (strcmp(f, "capacity") == 0)
                b->capacity = p->value.ul;
            else if (strcmp(f, "physical") == 0)
                b->physical = p->value.ul;
        }
    }
}

/* Fetches and parses a domain's XML; NULL with *err on failure. */
static st_cached_domain *fetch_domain_xml(st_worker *w, virDomainPtr dom, char **err)
{
    st_worker_busy(w);
    char *xml = virDomainGetXMLDesc(dom, 0);
    st_worker_idle(w);
    if (!xml) {
        *err = st_lv_error(_("cannot read the domain XML"));
        return NULL;
    }
    st_cached_domain *cd = xcalloc(1, sizeof(*cd));
    if (st_xml_parse_domain(xml, &cd->dom, err) != 0) {
        free(xml);
        free(cd);
        return NULL;
    }
    free(xml);
    cd->active = virDomainIsActive(dom) == 1;
    return cd;
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

/* Running domain: the chain as the bulk stats list it, formats from the XML. */
static void chain_from_stats(st_disk *d, const st_disk *xd, const stat_dom *sd)
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
        l->allocation = sb->allocation;
        l->physical = sb->physical;
    }
}

/* Local running domain: the raw backing names come from the headers (for RELATIVE). */
static void fill_backing_names(st_worker *w, st_disk *d)
{
    if (!d->n_chain || !d->chain[0].path || d->chain[0].path[0] != '/')
        return;
    st_layer *local = NULL;
    size_t n = st_cache_local_chain(&w->cache, d->chain[0].path, d->chain[0].format, &local);
    for (size_t i = 0; i < d->n_chain; i++)
        for (size_t j = 0; j < n; j++)
            if (streq0(d->chain[i].path, local[j].path)) {
                d->chain[i].backing_name = xstrdup0(local[j].backing_name);
                d->chain[i].backing_fmt = xstrdup0(local[j].backing_fmt);
                break;
            }
    for (size_t j = 0; j < n; j++)
        st_layer_clear(&local[j]);
    free(local);
}

/* A remote shut-off domain: follow the chain through storage pool volumes. */
static void chain_from_pools(st_worker *w, st_disk *d, const stat_block *top)
{
    char *path = xstrdup0(d->source);
    char *fmt = xstrdup0(d->format);
    size_t cap = 0;
    while (path && d->n_chain < ST_CHAIN_MAX_DEPTH) {
        st_worker_busy(w);
        virStorageVolPtr vol = virStorageVolLookupByPath(w->conn, path);
        char *xml = vol ? virStorageVolGetXMLDesc(vol, 0) : NULL;
        st_worker_idle(w);
        if (vol)
            virStorageVolFree(vol);
        st_volinfo vi = {0};
        char *err = NULL;
        if (!xml || st_xml_parse_volume(xml, &vi, &err) != 0) {
            free(err);
            free(xml);
            if (d->n_chain == 0) {
                xgrow((void **)&d->chain, &cap, 1, sizeof(st_layer));
                st_layer *l = &d->chain[d->n_chain++];
                l->path = path;
                l->format = fmt;
                l->backing_index = -1;
                if (top) {
                    l->virtual_size = top->capacity;
                    l->allocation = top->allocation;
                    l->physical = top->physical;
                }
                path = fmt = NULL;
            }
            if (!d->chain_unknown)
                d->chain_unknown =
                    xstrdup(_("remote host and the image is not in a storage pool: the chain "
                              "below it is not known while the domain is shut off"));
            break;
        }
        free(xml);
        xgrow((void **)&d->chain, &cap, d->n_chain + 1, sizeof(st_layer));
        st_layer *l = &d->chain[d->n_chain++];
        l->path = path;
        l->format = vi.format ? xstrdup(vi.format) : fmt;
        if (vi.format)
            free(fmt);
        l->backing_index = -1;
        l->virtual_size = vi.capacity;
        l->allocation = vi.allocation;
        l->backing_name = xstrdup0(vi.backing_path);
        path = xstrdup0(vi.backing_path);
        fmt = xstrdup0(vi.backing_format);
        st_volinfo_clear(&vi);
    }
    free(path);
    free(fmt);
}

static void copy_disk_head(st_disk *d, const st_disk *xd)
{
    d->target = xstrdup0(xd->target);
    d->bus = xstrdup0(xd->bus);
    d->device = xstrdup0(xd->device);
    d->type = xstrdup0(xd->type);
    d->format = xstrdup0(xd->format);
    d->source = xstrdup0(xd->source);
    d->pool = xstrdup0(xd->pool);
    d->volume = xstrdup0(xd->volume);
    d->readonly = xd->readonly;
}

static const stat_block *top_stat(const stat_dom *sd, const char *target)
{
    for (size_t k = 0; k < sd->n_blocks; k++)
        if (streq0(sd->blocks[k].name, target))
            return &sd->blocks[k];
    return NULL;
}

static void build_disk(st_worker *w, st_disk *d, const st_disk *xd, const stat_dom *sd, bool active)
{
    copy_disk_head(d, xd);
    if (active) {
        chain_from_stats(d, xd, sd);
        if (w->local)
            fill_backing_names(w, d);
        return;
    }
    if (!xd->source) {
        return; /* an empty cdrom: no chain */
    }
    if (!w->local && (xd->n_chain > 1 || xd->chain_complete)) {
        /* The XML of a shut-off domain may carry the chain (the test driver keeps it; libvirt
         * writes an empty <backingStore/> where it knows there is none). On this machine the
         * headers are the truth and are read instead. */
        d->n_chain = xd->n_chain;
        d->chain = xcalloc(xd->n_chain, sizeof(st_layer));
        st_layers_copy(d->chain, xd->chain, xd->n_chain);
        return;
    }
    if (w->local && xd->source[0] == '/' && streq0(xd->type, "file")) {
        d->n_chain = st_cache_local_chain(&w->cache, xd->source, xd->format, &d->chain);
        return;
    }
    if (w->local && xd->source[0] == '/' && streq0(xd->type, "block")) {
        d->n_chain = st_cache_local_chain(&w->cache, xd->source, xd->format, &d->chain);
        return;
    }
    if (!w->local && xd->source[0] == '/') {
        chain_from_pools(w, d, top_stat(sd, xd->target));
        return;
    }
    d->n_chain = 1;
    d->chain = xcalloc(1, sizeof(st_layer));
    d->chain[0].path = xstrdup(xd->source);
    d->chain[0].format = xstrdup0(xd->format);
    d->chain[0].backing_index = -1;
    d->chain_unknown = xstrdup(_("network disk: the chain below it is not read"));
}

/* The snapshot forest, from the cache unless events marked the domain changed. */
static void load_snapshots(st_worker *w, virDomainPtr dom, st_domain *d, bool has_snaps)
{
    if (!has_snaps)
        return;
    st_cached_snaps *cs = st_hash_get(&w->cache.snaps, d->uuid);
    /* No event announces a new snapshot: relist now and then even without one. */
    if (cs && w->refreshes - cs->refresh >= ST_SNAP_RELIST_EVERY) {
        st_hash_del(&w->cache.snaps, d->uuid);
        cs = NULL;
    }
    if (!cs) {
        cs = xcalloc(1, sizeof(*cs));
        cs->refresh = w->refreshes;
        virDomainSnapshotPtr *snaps = NULL;
        st_worker_busy(w);
        int n = virDomainListAllSnapshots(dom, &snaps, VIR_DOMAIN_SNAPSHOT_LIST_TOPOLOGICAL);
        st_worker_idle(w);
        if (n < 0) {
            cs->error = st_lv_error(_("cannot list snapshots"));
        } else {
            cs->snaps = xcalloc(n, sizeof(st_snapshot));
            st_worker_busy(w);
            virDomainSnapshotPtr cur = virDomainSnapshotCurrent(dom, 0);
            st_worker_idle(w);
            if (!cur)
                virResetLastError();
            const char *curname = cur ? virDomainSnapshotGetName(cur) : NULL;
            for (int i = 0; i < n; i++) {
                st_worker_busy(w);
                char *xml = virDomainSnapshotGetXMLDesc(snaps[i], 0);
                st_worker_idle(w);
                st_snapshot *s = &cs->snaps[cs->n];
                char *err = NULL;
                if (!xml || st_xml_parse_snapshot(xml, s, &err) != 0) {
                    free(err);
                    st_snapshot_clear(s);
                    s->name = xstrdup(virDomainSnapshotGetName(snaps[i]));
                }
                s->current = streq0(s->name, curname);
                cs->n++;
                free(xml);
                virDomainSnapshotFree(snaps[i]);
            }
            if (cur)
                virDomainSnapshotFree(cur);
            free(snaps);
        }
        st_hash_put(&w->cache.snaps, d->uuid, cs);
    }
    d->n_snaps = cs->n;
    d->snaps = cs->n ? xcalloc(cs->n, sizeof(st_snapshot)) : NULL;
    st_snapshots_copy(d->snaps, cs->snaps, cs->n);
    d->snaps_error = xstrdup0(cs->error);
}

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
        if (virDomainGetUUIDString(doms[i], uuid) == 0)
            st_hash_put(set, uuid, (void *)1);
        virDomainFree(doms[i]);
    }
    free(doms);
}

static void build_domain(st_worker *w, virDomainStatsRecordPtr rec, st_domain *d,
                         const st_hash *persistent, const st_hash *managed, const st_hash *snapset)
{
    stat_dom sd;
    parse_stats(rec, &sd);
    char uuid[VIR_UUID_STRING_BUFLEN] = "";
    virDomainGetUUIDString(rec->dom, uuid);
    bool active = virDomainGetID(rec->dom) != (unsigned int)-1;

    st_cached_domain *cd = st_hash_get(&w->cache.domains, uuid);
    if (cd && !xml_matches_stats(cd, &sd, active)) {
        st_cache_forget_domain(&w->cache, uuid);
        cd = NULL;
    }
    char *err = NULL;
    if (!cd) {
        cd = fetch_domain_xml(w, rec->dom, &err);
        if (cd)
            st_hash_put(&w->cache.domains, uuid, cd);
    }
    d->name = xstrdup(virDomainGetName(rec->dom));
    memcpy(d->uuid, uuid, sizeof(d->uuid));
    d->uuid[sizeof(d->uuid) - 1] = '\0';
    d->id = active ? (int)virDomainGetID(rec->dom) : -1;
    d->state = sd.state;
    d->reason = sd.reason;
    d->persistent = st_hash_get(persistent, uuid) != NULL;
    d->managed_save = st_hash_get(managed, uuid) != NULL;
    if (cd) {
        d->has_agent = cd->dom.has_agent;
        d->n_disks = cd->dom.n_disks;
        d->disks = d->n_disks ? xcalloc(d->n_disks, sizeof(st_disk)) : NULL;
        for (size_t k = 0; k < d->n_disks; k++)
            build_disk(w, &d->disks[k], &cd->dom.disks[k], &sd, active);
    } else {
        d->error = err; /* shown on the domain; its disks are unknown */
        err = NULL;
    }
    free(err);
    if (w->snapshots)
        load_snapshots(w, rec->dom, d, st_hash_get(snapset, uuid) != NULL);
    if (active && w->events && st_jobtab_scan_due(w->jobs, w->refreshes))
        st_jobtab_probe_domain(w, rec->dom, d);
    free(sd.blocks);
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

st_host *st_discover(st_worker *w)
{
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

    virDomainStatsRecordPtr *recs = NULL;
    unsigned flags = VIR_CONNECT_GET_ALL_DOMAINS_STATS_BACKING;
    if (w->lib_ver >= 4005000)
        flags |= VIR_CONNECT_GET_ALL_DOMAINS_STATS_NOWAIT;
    /* Active only: the lists below then carry only what the stats return, too. */
    unsigned only = w->running_only ? VIR_CONNECT_LIST_DOMAINS_ACTIVE : 0;
    if (w->running_only)
        flags |= VIR_CONNECT_GET_ALL_DOMAINS_STATS_ACTIVE;
    st_worker_busy(w);
    int n = virConnectGetAllDomainStats(w->conn, VIR_DOMAIN_STATS_STATE | VIR_DOMAIN_STATS_BLOCK,
                                        &recs, flags);
    st_worker_idle(w);
    if (n < 0) {
        h->error = st_lv_error(_("cannot read domain statistics"));
        return h;
    }
    st_hash persistent, managed, snapset, seen;
    st_hash_init(&persistent, NULL);
    st_hash_init(&managed, NULL);
    st_hash_init(&snapset, NULL);
    st_hash_init(&seen, NULL);
    list_uuid_set(w, only | VIR_CONNECT_LIST_DOMAINS_PERSISTENT, &persistent);
    list_uuid_set(w, only | VIR_CONNECT_LIST_DOMAINS_MANAGEDSAVE, &managed);
    if (w->snapshots)
        list_uuid_set(w, only | VIR_CONNECT_LIST_DOMAINS_HAS_SNAPSHOT, &snapset);

    h->doms = n ? xcalloc(n, sizeof(st_domain)) : NULL;
    for (int i = 0; i < n; i++) {
        build_domain(w, recs[i], &h->doms[h->n_doms], &persistent, &managed, &snapset);
        st_hash_put(&seen, h->doms[h->n_doms].uuid, (void *)1);
        h->n_doms++;
    }
    virDomainStatsRecordListFree(recs);
    qsort(h->doms, h->n_doms, sizeof(st_domain), cmp_domain);
    st_hash_filter(&w->cache.domains, prune_missing, &seen);
    st_hash_filter(&w->cache.snaps, prune_missing, &seen);
    st_hash_clear(&persistent);
    st_hash_clear(&managed);
    st_hash_clear(&snapset);
    st_hash_clear(&seen);
    st_host *hs[1] = {h};
    st_model_mark_shared(hs, 1);
    return h;
}
