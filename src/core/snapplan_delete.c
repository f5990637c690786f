/* Plans for deleting snapshots, and what the host's libvirt cannot delete. */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/i18n.h"
#include "base/util.h"
#include "core/snapplan_internal.h"
#include "core/space.h"

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

/* The overlays of a snapshot libvirt merges into the images below them, one block job a disk. */
static void delete_merged(st_snapplan *p, const st_host *h, const st_domain *d,
                          const st_snapshot *s, bool kids)
{
    if (s->current && kids)
        sp_hazard(p, ST_HAZ_REFUSE,
                  _("%s is the current snapshot and has children (a revert to it made it "
                    "current): libvirt refuses to delete it (delete its children first, or its "
                    "metadata only)"),
                  s->name);
    else if (!sp_dom_live(d) && kids && !sp_lv_deletes_offline_nonleaf(h))
        sp_hazard(p, ST_HAZ_REFUSE,
                  _("%s is an external snapshot with children and %s is shut off: libvirt %s "
                    "cannot delete it (9.1 can; start the domain, delete the children first, or "
                    "delete metadata only)"),
                  s->name, d->name, sp_lv_name(h));
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
        char *space = st_snapdisk_merge_text(d, sd, h->local);
        if (space)
            sp_step(p, _("%s: space: merging %s"), sd->target, space);
        free(space);
        add_merge(p, sd);
    }
}

/* The snapshot whose <disks> libvirt replaces by its <revertDisks> once `s` is deleted. */
static const st_snapshot *swapped_parent(const st_domain *d, const st_snapshot *s)
{
    const st_snapshot *parent = s->parent ? st_domain_find_snapshot(d, s->parent) : NULL;
    return parent && parent->n_revert_disks ? parent : NULL;
}

/*
 * A leaf that is not the current snapshot has no overlay above it in any chain libvirt knows of
 * (a revert moved the disks away from it): libvirt merges nothing and removes the image the
 * snapshot was taken of, the data written between its parent and it. Only a file nothing else
 * needs may go.
 */
static void delete_unmerged(st_snapplan *p, const st_host *h, const st_domain *d,
                            const st_snapshot *s)
{
    sp_use_skip skip = {d, NULL, s, swapped_parent(d, s)};
    for (size_t i = 0; i < s->n_disks; i++) {
        const st_snapdisk *sd = &s->disks[i];
        if (!streq0(sd->snapshot, "external"))
            continue;
        char *user = sd->image ? sp_file_user(h, sd->image, &skip) : NULL;
        if (!sd->image)
            sp_hazard(p, ST_HAZ_REFUSE,
                      _("%s: libvirt would remove the image %s was taken of, which this tool "
                        "cannot name: delete metadata only"),
                      sd->target, s->name);
        else if (user)
            sp_hazard(p, ST_HAZ_REFUSE,
                      _("%s: libvirt would remove %s (the image %s was taken of, since %s is "
                        "not the current snapshot and has no children), which %s still needs: "
                        "delete metadata only"),
                      sd->target, sd->image, s->name, s->name, user);
        else {
            sp_add_str(&p->removed, &p->n_removed, xstrdup(sd->image));
            sp_step(p,
                    _("%s: libvirt removes %s, the image %s was taken of (%s is not the current "
                      "snapshot and has no children: nothing is merged)"),
                    sd->target, sd->image, s->name, s->name);
        }
        free(user);
    }
}

static void delete_memory_file(st_snapplan *p, const st_host *h, const st_snapshot *s)
{
    if (!s->memory_file)
        return;
    if (sp_lv_removes_memory_file(h)) {
        sp_add_str(&p->removed, &p->n_removed, xstrdup(s->memory_file));
        sp_step(p, _("libvirt %s removes the memory file %s"), sp_lv_name(h), s->memory_file);
        return;
    }
    sp_add_str(&p->left_files, &p->n_left_files, xstrdup(s->memory_file));
    sp_step(p,
            _("libvirt %s leaves the memory file %s behind: you are offered to remove it "
              "afterwards"),
            sp_lv_name(h), s->memory_file);
}

static void delete_external(st_snapplan *p, const st_host *h, const st_domain *d,
                            const st_snapshot *s)
{
    if (!sp_lv_deletes_external(h)) {
        sp_hazard(p, ST_HAZ_REFUSE,
                  _("%s is external: libvirt %s cannot delete external snapshots "
                    "(9.0 can); delete its metadata only"),
                  s->name, sp_lv_name(h));
        return;
    }
    const st_snapshot *parent = s->parent ? st_domain_find_snapshot(d, s->parent) : NULL;
    if (parent && !parent->external)
        sp_hazard(p, ST_HAZ_REFUSE,
                  _("%s is external and its parent %s is internal: libvirt %s "
                    "refuses to delete it (delete its metadata only)"),
                  s->name, parent->name, sp_lv_name(h));
    bool kids = sp_snapshot_has_children(d, s->name);
    if (!s->current && !kids)
        delete_unmerged(p, h, d, s);
    else
        delete_merged(p, h, d, s, kids);
    delete_memory_file(p, h, s);
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
        sp_check_internal_delete(p, d, s);
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
                      x->name, sp_lv_name(h));
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
            sp_nvram_delete(p, h, d, x);
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
