/* A deep copy of a model, published while discovery goes on. */
#include "config.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "backend/discover_internal.h"
#include "backend/xmlutil.h"
#include "base/i18n.h"
#include "base/parallel.h"
#include "base/trace.h"
#include "base/util.h"

static void copy_layers(st_layer *dst, const st_layer *src, size_t n)
{
    st_layers_copy(dst, src, n);
    for (size_t i = 0; i < n; i++) {
        dst[i].n_shared = src[i].n_shared;
        dst[i].shared_with = src[i].n_shared ? xcalloc(src[i].n_shared, sizeof(char *)) : NULL;
        for (size_t s = 0; s < src[i].n_shared; s++)
            dst[i].shared_with[s] = xstrdup(src[i].shared_with[s]);
    }
}

st_host *st_host_dup(const st_host *h)
{
    st_host *c = st_host_new(h->uri);
    c->name = xstrdup0(h->name);
    c->libvirt_version = xstrdup0(h->libvirt_version);
    c->hv_version = xstrdup0(h->hv_version);
    c->hv_type = xstrdup0(h->hv_type);
    c->libvirt_ver = h->libvirt_ver;
    c->reachable = h->reachable;
    c->local = h->local;
    c->readonly = h->readonly;
    c->external_revert = h->external_revert;
    c->error = xstrdup0(h->error);
    c->generation = h->generation;
    c->refreshed_at = h->refreshed_at;
    c->n_doms = h->n_doms;
    c->doms = h->n_doms ? xcalloc(h->n_doms, sizeof(st_domain)) : NULL;
    for (size_t i = 0; i < h->n_doms; i++) {
        const st_domain *s = &h->doms[i];
        st_domain *d = &c->doms[i];
        *d = *s;
        d->name = xstrdup0(s->name);
        d->snaps_error = xstrdup0(s->snaps_error);
        d->error = xstrdup0(s->error);
        d->nvram_format = xstrdup0(s->nvram_format);
        d->snaps = s->n_snaps ? xcalloc(s->n_snaps, sizeof(st_snapshot)) : NULL;
        st_snapshots_copy(d->snaps, s->snaps, s->n_snaps);
        d->branches = s->n_branches ? xcalloc(s->n_branches, sizeof(st_branch)) : NULL;
        st_branches_copy(d->branches, s->branches, s->n_branches);
        d->disks = s->n_disks ? xcalloc(s->n_disks, sizeof(st_disk)) : NULL;
        for (size_t k = 0; k < s->n_disks; k++) {
            const st_disk *sk = &s->disks[k];
            st_disk *dk = &d->disks[k];
            ds_copy_disk_head(dk, sk);
            dk->chain_unknown = xstrdup0(sk->chain_unknown);
            dk->chain_complete = sk->chain_complete;
            dk->n_chain = sk->n_chain;
            dk->chain = sk->n_chain ? xcalloc(sk->n_chain, sizeof(st_layer)) : NULL;
            copy_layers(dk->chain, sk->chain, sk->n_chain);
        }
    }
    c->n_followups = h->n_followups;
    c->followups = h->n_followups ? xcalloc(h->n_followups, sizeof(st_followup)) : NULL;
    st_followups_copy(c->followups, h->followups, h->n_followups);
    c->n_jobs = h->n_jobs;
    c->jobs = h->n_jobs ? xcalloc(h->n_jobs, sizeof(st_job)) : NULL;
    for (size_t i = 0; i < h->n_jobs; i++)
        st_job_copy(&c->jobs[i], &h->jobs[i]);
    return c;
}
