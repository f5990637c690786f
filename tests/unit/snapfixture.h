/*
 * Small models built in code for the unit tests of the snapshot planner: a host of a given
 * libvirt version, domains, disks with their chains, snapshots, and lookups in a plan's text.
 */
#ifndef ST_TESTS_SNAPFIXTURE_H
#define ST_TESTS_SNAPFIXTURE_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "core/model.h"
#include "core/snapplan.h"

#define IMG "/var/lib/libvirt/images/"

/* ---- a small model built in code ---- */

/* A host as it reported itself: libvirt's number (major*1e6 + minor*1e3 + micro). */
static inline st_host *host_new(bool local, unsigned long ver)
{
    st_host *h = st_host_new("qemu:///system");
    h->local = local;
    h->libvirt_ver = ver;
    h->libvirt_version = xasprintf("%lu.%lu.%lu", ver / 1000000, ver / 1000 % 1000, ver % 1000);
    /* libvirt 9.9 and later list <externalSnapshot/> in their capabilities. */
    h->external_revert = ver >= 9009000;
    return h;
}

static inline st_domain *add_dom(st_host *h, const char *name, st_dom_state state)
{
    h->doms = xrealloc(h->doms, (h->n_doms + 1) * sizeof(st_domain));
    st_domain *d = &h->doms[h->n_doms++];
    memset(d, 0, sizeof(*d));
    d->name = xstrdup(name);
    d->state = state;
    d->id = state == ST_DOM_RUNNING ? 1 : -1;
    return d;
}

/* A disk whose chain is given active layer first, NULL-terminated. */
static inline st_disk *add_disk(st_domain *d, const char *target, const char *format, ...)
{
    d->disks = xrealloc(d->disks, (d->n_disks + 1) * sizeof(st_disk));
    st_disk *k = &d->disks[d->n_disks++];
    memset(k, 0, sizeof(*k));
    k->target = xstrdup(target);
    k->format = xstrdup(format);
    k->device = xstrdup("disk");
    k->type = xstrdup("file");
    va_list ap;
    va_start(ap, format);
    for (const char *p; (p = va_arg(ap, const char *));) {
        k->chain = xrealloc(k->chain, (k->n_chain + 1) * sizeof(st_layer));
        memset(&k->chain[k->n_chain], 0, sizeof(st_layer));
        k->chain[k->n_chain].path = xstrdup(p);
        k->chain[k->n_chain].format = xstrdup(k->n_chain ? "qcow2" : format);
        k->n_chain++;
    }
    va_end(ap);
    k->source = k->n_chain ? xstrdup(k->chain[0].path) : NULL;
    return k;
}

static inline st_snapshot *add_snap(st_domain *d, const char *name, const char *parent,
                                    bool external)
{
    d->snaps = xrealloc(d->snaps, (d->n_snaps + 1) * sizeof(st_snapshot));
    st_snapshot *s = &d->snaps[d->n_snaps++];
    memset(s, 0, sizeof(*s));
    s->name = xstrdup(name);
    s->parent = xstrdup0(parent);
    s->external = external;
    s->state = xstrdup(external ? "disk-snapshot" : "shutoff");
    return s;
}

static inline void snap_disk(st_snapshot *s, const char *target, const char *kind, const char *file,
                             const char *image)
{
    s->disks = xrealloc(s->disks, (s->n_disks + 1) * sizeof(st_snapdisk));
    st_snapdisk *sd = &s->disks[s->n_disks++];
    sd->target = xstrdup(target);
    sd->snapshot = xstrdup(kind);
    sd->file = xstrdup0(file);
    sd->image = xstrdup0(image);
}

static inline bool has_hazard(const st_snapplan *p, st_hazard_level l, const char *needle)
{
    for (size_t i = 0; i < p->n_hazards; i++)
        if (p->hazards[i].level == l && strstr(p->hazards[i].text, needle))
            return true;
    return false;
}

static inline bool has_line(char **v, size_t n, const char *needle)
{
    for (size_t i = 0; i < n; i++)
        if (strstr(v[i], needle))
            return true;
    return false;
}

/* Replaces the disk's chain by the paths given, active layer first, NULL-terminated. */
static inline void set_chain(st_disk *k, ...)
{
    for (size_t i = 0; i < k->n_chain; i++)
        st_layer_clear(&k->chain[i]);
    k->n_chain = 0;
    va_list ap;
    va_start(ap, k);
    for (const char *p; (p = va_arg(ap, const char *));) {
        k->chain = xrealloc(k->chain, (k->n_chain + 1) * sizeof(st_layer));
        memset(&k->chain[k->n_chain], 0, sizeof(st_layer));
        k->chain[k->n_chain].path = xstrdup(p);
        k->chain[k->n_chain++].format = xstrdup("qcow2");
    }
    va_end(ap);
    free(k->source);
    k->source = k->n_chain ? xstrdup(k->chain[0].path) : NULL;
}

/* A detached branch of `disk` whose chain is given, its file first, NULL-terminated. */
static inline st_branch *add_branch(st_domain *d, const char *disk, ...)
{
    d->branches = xrealloc(d->branches, (d->n_branches + 1) * sizeof(st_branch));
    st_branch *b = &d->branches[d->n_branches++];
    memset(b, 0, sizeof(*b));
    b->disk = xstrdup(disk);
    va_list ap;
    va_start(ap, disk);
    for (const char *p; (p = va_arg(ap, const char *));) {
        b->chain = xrealloc(b->chain, (b->n_chain + 1) * sizeof(char *));
        b->chain[b->n_chain++] = xstrdup(p);
    }
    va_end(ap);
    b->file = b->n_chain ? xstrdup(b->chain[0]) : NULL;
    return b;
}

/* What libvirt >= 9.9 records in <revertDisks> after a revert to a snapshot with children. */
static inline void add_revert_disk(st_snapshot *s, const char *target, const char *file)
{
    s->revert_disks = xrealloc(s->revert_disks, (s->n_revert_disks + 1) * sizeof(st_snapdisk));
    st_snapdisk *sd = &s->revert_disks[s->n_revert_disks++];
    memset(sd, 0, sizeof(*sd));
    sd->target = xstrdup(target);
    sd->snapshot = xstrdup("external");
    sd->file = xstrdup(file);
}

/* base <- s1.qcow2 <- s2.qcow2 (active); snapshots s1 (made s1.qcow2) and s2. */
static inline st_domain *chain_domain(st_host *h, st_dom_state state)
{
    st_domain *d = add_dom(h, "vm", state);
    add_disk(d, "vda", "qcow2", IMG "s2.qcow2", IMG "s1.qcow2", IMG "base.qcow2", NULL);
    st_snapshot *s = add_snap(d, "s1", NULL, true);
    snap_disk(s, "vda", "external", IMG "s1.qcow2", IMG "base.qcow2");
    s = add_snap(d, "s2", "s1", true);
    snap_disk(s, "vda", "external", IMG "s2.qcow2", IMG "s1.qcow2");
    s->current = true;
    return d;
}

#endif
