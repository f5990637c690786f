/* Plans for deleting snapshots, and what libvirt 9.0 cannot delete. */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "i18n.h"
#include "snapplan_internal.h"
#include "util.h"

/* ---- delete ---- */

static bool in_set(const st_domain *d, const char *root, const st_snapshot *s, bool with_root)
{
    if (streq0(s->name, root))
        return with_root;
    for (const char *parent = s->parent; parent;) {
        if (streq0(parent, root))
            return true;
        const st_snapshot *ps = st_domain_find_snapshot(d, parent);
        parent = ps ? ps->parent : NULL;
    }
    return false;
}

static bool overlay_in_chain(const st_domain *d, const st_snapdisk *sd)
{
    const st_disk *k = st_domain_find_disk(d, sd->target);
    for (size_t i = 0; k && i < k->n_chain; i++)
        if (streq0(k->chain[i].path, sd->file))
            return true;
    return false;
}

/* A disk whose overlay libvirt merges with a block job: one progress bar per disk. */
static void add_merge(st_snapplan *p, const st_snapdisk *sd)
{
    for (size_t i = 0; i < p->n_merges; i++)
        if (streq0(p->merges[i].target, sd->target))
            return;
    p->merges = xrealloc(p->merges, (p->n_merges + 1) * sizeof(st_snap_diskspec));
    st_snap_diskspec *m = &p->merges[p->n_merges++];
    memset(m, 0, sizeof(*m));
    m->target = xstrdup0(sd->target);
    m->file = xstrdup0(sd->file);
}

static void delete_external(st_snapplan *p, const st_host *h, const st_domain *d,
                            const st_snapshot *s)
{
    if (h->libvirt_ver && h->libvirt_ver < LV_EXTERNAL_DELETE) {
        sp_hazard(p, ST_HAZ_REFUSE,
                  _("%s is external: libvirt %s cannot delete external snapshots "
                    "(9.0 can); delete its metadata only"),
                  s->name, h->libvirt_version ? h->libvirt_version : "?");
        return;
    }
    const st_snapshot *parent = s->parent ? st_domain_find_snapshot(d, s->parent) : NULL;
    if (parent && !parent->external)
        sp_hazard(p, ST_HAZ_REFUSE,
                  _("%s is external and its parent %s is internal: libvirt 9.0 "
                    "refuses to delete it (delete its metadata only)"),
                  s->name, parent->name);
    if (!sp_dom_live(d) && sp_snapshot_has_children(d, s->name))
        sp_hazard(p, ST_HAZ_REFUSE,
                  _("%s is an external snapshot with children and %s is shut "
                    "off: libvirt 9.0 cannot delete it (start the domain, "
                    "delete the children first, or delete metadata only)"),
                  s->name, d->name);
    for (size_t i = 0; i < s->n_disks; i++) {
        const st_snapdisk *sd = &s->disks[i];
        if (!streq0(sd->snapshot, "external"))
            continue;
        if (!overlay_in_chain(d, sd)) {
            sp_hazard(p, ST_HAZ_REFUSE,
                      _("%s: overlay %s of %s is not in the disk's chain (it is "
                        "in a detached branch, or gone): libvirt can only merge "
                        "overlays of the chain the disk uses; delete metadata "
                        "only"),
                      sd->target, sd->file ? sd->file : "?", s->name);
            continue;
        }
        sp_step(p,
                sp_dom_live(d) ? _("%s: %s is merged into the image below it by a block job "
                                   "(progress shown) and removed")
                               : _("%s: %s is merged into the image below it (libvirt runs QEMU "
                                   "paused for it) and removed"),
                sd->target, sd->file);
        add_merge(p, sd);
    }
    if (s->memory_file) {
        sp_add_str(&p->left_files, &p->n_left_files, xstrdup(s->memory_file));
        sp_step(p,
                _("libvirt 9.0 leaves the memory file %s behind: you are offered to remove it "
                  "afterwards"),
                s->memory_file);
    }
}

static void delete_one(st_snapplan *p, const st_host *h, const st_domain *d, const st_snapshot *s,
                       bool metadata_only)
{
    if (metadata_only) {
        for (size_t i = 0; i < s->n_disks; i++)
            if (s->disks[i].file)
                sp_step(p, _("%s: %s stays (libvirt forgets only the snapshot)"),
                        s->disks[i].target, s->disks[i].file);
        if (s->memory_file) {
            sp_add_str(&p->left_files, &p->n_left_files, xstrdup(s->memory_file));
            sp_step(p, _("the memory file %s stays: you are offered to remove it afterwards"),
                    s->memory_file);
        }
        if (!s->external)
            sp_hazard(p, ST_HAZ_WARN,
                      _("%s is internal: its data stays inside the qcow2 images, "
                        "where only qemu-img snapshot -d can remove it"),
                      s->name);
        return;
    }
    if (s->external) {
        delete_external(p, h, d, s);
    } else {
        sp_check_internal_home(p, d, s, _("delete"));
        sp_step(p, _("%s is removed from inside the qcow2 images"), s->name);
    }
}

/*
 * libvirt 9.0 deletes several snapshots at once only when all of them are internal: with
 * CHILDREN an external root fails ("deletion of external disk snapshots with children not
 * supported"), and an external descendant fails either flag ("deletion of external children disk
 * snapshots not supported"). An external root of CHILDREN_ONLY is not deleted, so it may be.
 */
static void check_set_internal(st_snapplan *p, const st_host *h, const st_domain *d,
                               const st_snapshot *s, unsigned flags)
{
    if (!(flags & (ST_F_CHILDREN | ST_F_CHILDREN_ONLY)) || (flags & ST_F_METADATA_ONLY))
        return;
    for (size_t i = 0; i < d->n_snaps; i++) {
        const st_snapshot *x = &d->snaps[i];
        if (x->external && in_set(d, s->name, x, !(flags & ST_F_CHILDREN_ONLY))) {
            sp_hazard(p, ST_HAZ_REFUSE,
                      _("%s is external: libvirt %s deletes external snapshots one at a time "
                        "only, never with their children (delete them one by one, leaves "
                        "first, or choose metadata only)"),
                      x->name, h->libvirt_version ? h->libvirt_version : "?");
            return;
        }
    }
}

static void delete_flags_call(st_snapplan *p, const char *snap, unsigned flags)
{
    strbuf b;
    sb_init(&b);
    if (flags & ST_F_CHILDREN)
        sb_add(&b, "CHILDREN");
    if (flags & ST_F_CHILDREN_ONLY)
        sb_add(&b, "CHILDREN_ONLY");
    if (flags & ST_F_METADATA_ONLY)
        sb_add(&b, b.len ? " | METADATA_ONLY" : "METADATA_ONLY");
    sp_call(p, "virDomainSnapshotDelete(%s, %s)", snap, b.len ? b.s : "0");
    sb_free(&b);
}

st_snapplan *st_snapplan_delete(const st_host *h, const st_domain *d, const char *snap,
                                unsigned flags)
{
    st_snapplan *p = sp_plan_new(ST_REQ_SNAPSHOT_DELETE, d);
    p->req.snapshot = xstrdup0(snap);
    p->req.flags = flags & (ST_F_CHILDREN | ST_F_CHILDREN_ONLY | ST_F_METADATA_ONLY);
    p->title = xasprintf(_("Delete snapshot %s of %s"), snap ? snap : "", d->name);
    const st_snapshot *s = st_domain_find_snapshot(d, snap);
    if (!s) {
        sp_hazard(p, ST_HAZ_REFUSE, _("%s has no snapshot named %s"), d->name, snap ? snap : "");
        return p;
    }
    if ((flags & ST_F_CHILDREN) && (flags & ST_F_CHILDREN_ONLY))
        sp_hazard(p, ST_HAZ_REFUSE, "%s", _("choose with children or children only, not both"));
    if (sp_domain_job_running(h, d))
        sp_hazard(p, ST_HAZ_REFUSE, _("a job runs on %s: wait until it ends"), d->name);
    bool kids = (flags & (ST_F_CHILDREN | ST_F_CHILDREN_ONLY)) != 0;
    if ((flags & ST_F_CHILDREN_ONLY) && !sp_snapshot_has_children(d, s->name))
        sp_hazard(p, ST_HAZ_REFUSE, _("%s has no children"), s->name);
    check_set_internal(p, h, d, s, flags);
    size_t count = 0;
    for (size_t i = 0; i < d->n_snaps; i++) {
        const st_snapshot *x = &d->snaps[i];
        if (kids ? in_set(d, s->name, x, !(flags & ST_F_CHILDREN_ONLY)) : x == s) {
            delete_one(p, h, d, x, flags & ST_F_METADATA_ONLY);
            count++;
        }
    }
    delete_flags_call(p, s->name, flags);
    sp_lost(p,
            ngettext("the state saved in %zu snapshot: it can no longer be reverted to; the "
                     "domain's current data does not change",
                     "the state saved in %zu snapshots: they can no longer be reverted to; the "
                     "domain's current data does not change",
                     count),
            count);
    return p;
}
