/* Discovery, phase 4: the snapshot trees, listed again now and then, new snapshots fetched. */
#include "config.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "backend/discover_internal.h"
#include "backend/xmlutil.h"
#include "base/i18n.h"
#include "base/parallel.h"
#include "base/util.h"

static const st_snapshot *old_snapshot(const snap_job *j, const char *name)
{
    for (size_t i = 0; i < j->n_old; i++)
        if (streq0(j->old[i].name, name))
            return &j->old[i];
    return NULL;
}

/* Lists one domain's snapshots (topological) and names the current one. */
static void snap_list_task(void *ctx, size_t i)
{
    snap_phase *sp = ctx;
    st_worker *w = sp->w;
    snap_job *j = &sp->jobs[i];
    j->fresh = xcalloc(1, sizeof(st_cached_snaps));
    j->fresh->refresh = w->refreshes;
    st_worker_busy(w);
    j->n = virDomainListAllSnapshots(j->dw->dom, &j->snaps, VIR_DOMAIN_SNAPSHOT_LIST_TOPOLOGICAL);
    st_worker_idle(w);
    if (j->n < 0) {
        j->fresh->error = st_lv_error(_("cannot list snapshots"));
        j->n = 0;
        return;
    }
    j->fresh->snaps = j->n ? xcalloc((size_t)j->n, sizeof(st_snapshot)) : NULL;
    if (!j->n)
        return;
    st_worker_busy(w);
    virDomainSnapshotPtr cur = virDomainSnapshotCurrent(j->dw->dom, 0);
    st_worker_idle(w);
    if (cur) {
        j->current = xstrdup(virDomainSnapshotGetName(cur));
        virDomainSnapshotFree(cur);
    } else {
        virResetLastError();
    }
}

/* Reads one snapshot's XML into its place in the job's list. */
static void snap_xml_task(void *ctx, size_t i)
{
    snap_phase *sp = ctx;
    snap_job *j = sp->xmls[i].job;
    int k = sp->xmls[i].k;
    st_snapshot *s = &j->fresh->snaps[k];
    st_worker_busy(sp->w);
    char *xml = virDomainSnapshotGetXMLDesc(j->snaps[k], 0);
    st_worker_idle(sp->w);
    char *err = NULL;
    if (!xml || st_xml_parse_snapshot(xml, s, &err) != 0) {
        free(err);
        virResetLastError();
        st_snapshot_clear(s);
        s->name = xstrdup(virDomainSnapshotGetName(j->snaps[k]));
    }
    free(xml);
}

/*
 * Snapshot trees, in two rounds of calls in flight together: every domain's listing and current
 * snapshot, then the XML of every snapshot not seen before. A snapshot's XML does not change once
 * taken, except by a redefinition, which libvirt announces to nobody: such an edit shows after
 * the next reconnect or an event on the domain.
 */
static void *snap_main(void *arg)
{
    snap_phase *sp = arg;
    st_parallel_enter();
    st_parallel(sp->n, sp->w->par, snap_list_task, sp);
    size_t cap = 0;
    for (size_t i = 0; i < sp->n; i++) {
        snap_job *j = &sp->jobs[i];
        for (int k = 0; k < j->n; k++) {
            const st_snapshot *seen = old_snapshot(j, virDomainSnapshotGetName(j->snaps[k]));
            if (seen) {
                st_snapshots_copy(&j->fresh->snaps[k], seen, 1);
                continue;
            }
            xgrow((void **)&sp->xmls, &cap, sp->n_xml + 1, sizeof(snap_xml));
            sp->xmls[sp->n_xml++] = (snap_xml){j, k};
        }
    }
    st_parallel(sp->n_xml, sp->w->par, snap_xml_task, sp);
    st_parallel_leave();
    return NULL;
}

/* Starts the snapshot phase for the domains whose trees are missing or due a listing. */
snap_phase *ds_snap_start(st_worker *w, st_refresh *r)
{
    snap_phase *sp = xcalloc(1, sizeof(*sp));
    sp->w = w;
    sp->jobs = r->n ? xcalloc(r->n, sizeof(snap_job)) : NULL;
    for (size_t i = 0; w->snapshots && i < r->n; i++) {
        dom_work *dw = &r->dw[i];
        if (!st_hash_get(&r->snapset, dw->uuid))
            continue;
        st_cached_snaps *cs = st_hash_get(&w->cache.snaps, dw->uuid);
        if (cs && w->refreshes - cs->refresh < ST_SNAP_RELIST_EVERY)
            continue;
        snap_job *j = &sp->jobs[sp->n++];
        j->dw = dw;
        if (cs && cs->n) {
            j->n_old = cs->n;
            j->old = xcalloc(cs->n, sizeof(st_snapshot));
            st_snapshots_copy(j->old, cs->snaps, cs->n);
        }
    }
    if (sp->n)
        sp->started = pthread_create(&sp->thread, NULL, snap_main, sp) == 0;
    if (sp->n && !sp->started)
        snap_main(sp);
    return sp;
}

/* Waits for the snapshot phase and files its lists in the cache; returns the XML reads made. */
size_t ds_snap_join(st_worker *w, snap_phase *sp)
{
    if (sp->started)
        pthread_join(sp->thread, NULL);
    for (size_t i = 0; i < sp->n; i++) {
        snap_job *j = &sp->jobs[i];
        for (int k = 0; k < j->n; k++) {
            st_snapshot *s = &j->fresh->snaps[k];
            s->current = streq0(s->name, j->current);
            virDomainSnapshotFree(j->snaps[k]);
        }
        j->fresh->n = (size_t)j->n;
        free(j->snaps);
        free(j->current);
        for (size_t k = 0; k < j->n_old; k++)
            st_snapshot_clear(&j->old[k]);
        free(j->old);
        st_hash_put(&w->cache.snaps, j->dw->uuid, j->fresh); /* frees the old list */
    }
    size_t nx = sp->n_xml;
    free(sp->xmls);
    free(sp->jobs);
    free(sp);
    return nx;
}
