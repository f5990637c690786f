#include "config.h"

#include "backend/since.h"

#include <libvirt/libvirt.h>
#include <string.h>

#include "base/i18n.h"
#include "base/util.h"

static const st_snapshot *current_of(const st_domain *d)
{
    for (size_t i = 0; i < d->n_snaps; i++)
        if (d->snaps[i].current)
            return &d->snaps[i];
    return NULL;
}

static bool live(const st_domain *d)
{
    return d->state == ST_DOM_RUNNING || d->state == ST_DOM_BLOCKED || d->state == ST_DOM_PAUSED ||
           d->state == ST_DOM_PMSUSPENDED || d->state == ST_DOM_SHUTDOWN;
}

/* Whether the disk's image is still the state of internal snapshot `name`. */
static st_since internal_disk(const st_layer *top, const char *name)
{
    if (top->content == ST_CONTENT_UNKNOWN)
        return ST_SINCE_UNKNOWN;
    for (size_t i = 0; i < top->n_at_snapshots; i++)
        if (streq0(top->at_snapshots[i], name))
            return ST_SINCE_AT;
    return ST_SINCE_MOVED;
}

/* Whether the disk runs on an empty overlay right on what the external snapshot left below. */
static st_since external_disk(const st_disk *k, const st_snapdisk *sd)
{
    const st_layer *top = &k->chain[0];
    /* What the snapshot left below: the image it was on (its saved definition), else what its
     * own overlay stands on. */
    const char *below = sd->image;
    if (!below && streq0(top->path, sd->file) && k->n_chain > 1)
        below = k->chain[1].path;
    bool on_it = k->n_chain > 1 && below && streq0(k->chain[1].path, below);
    if (!on_it)
        return ST_SINCE_MOVED; /* another chain than the one the snapshot made */
    if (top->content == ST_CONTENT_UNKNOWN)
        return ST_SINCE_UNKNOWN;
    return top->content == ST_CONTENT_EMPTY ? ST_SINCE_AT : ST_SINCE_MOVED;
}

/* The disks of snapshot s against the domain's disks now: moved on if any disk was written. */
static st_since by_disks(const st_domain *d, const st_snapshot *s)
{
    st_since verdict = ST_SINCE_AT;
    size_t seen = 0;
    for (size_t i = 0; i < s->n_disks; i++) {
        const st_snapdisk *sd = &s->disks[i];
        const st_disk *k = st_domain_find_disk(d, sd->target);
        bool internal = streq0(sd->snapshot, "internal"),
             external = streq0(sd->snapshot, "external");
        if (!k || k->readonly || !k->n_chain || (!internal && !external))
            continue;
        st_since one = internal ? internal_disk(&k->chain[0], s->name) : external_disk(k, sd);
        seen++;
        if (one == ST_SINCE_MOVED)
            return ST_SINCE_MOVED;
        if (one == ST_SINCE_UNKNOWN)
            verdict = ST_SINCE_UNKNOWN;
    }
    return seen ? verdict : ST_SINCE_UNKNOWN;
}

st_since st_domain_since_current(const st_domain *d, const st_snapshot **current, const char **why)
{
    const st_snapshot *s = current_of(d);
    *current = s;
    *why = NULL;
    if (!s)
        return ST_SINCE_AT;
    if (d->state == ST_DOM_PAUSED && d->reason == VIR_DOMAIN_PAUSED_FROM_SNAPSHOT) {
        *why = _("paused since the revert to it");
        return ST_SINCE_AT;
    }
    if (live(d)) {
        *why = _("it runs: it has moved on since the snapshot");
        return ST_SINCE_MOVED;
    }
    if (d->state == ST_DOM_SHUTOFF && d->reason == VIR_DOMAIN_SHUTOFF_FROM_SNAPSHOT) {
        *why = _("shut off by the revert to it: not started since");
        return ST_SINCE_AT;
    }
    switch (by_disks(d, s)) {
    case ST_SINCE_MOVED:
        *why = _("its disks were written since the snapshot: it ran or was changed since");
        return ST_SINCE_MOVED;
    case ST_SINCE_AT:
        *why = _("its disks hold what the snapshot holds: nothing was written since");
        return ST_SINCE_AT;
    case ST_SINCE_UNKNOWN:
        break;
    }
    *why = _("whether it ran since the snapshot is not known (its images' tables are not read "
             "on this machine)");
    return ST_SINCE_UNKNOWN;
}
