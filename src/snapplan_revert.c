/* Plans for reverting to a snapshot: through libvirt, or by branching a new overlay. */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "i18n.h"
#include "snapplan_internal.h"
#include "util.h"

/* ---- revert ---- */

/* The image below `overlay` in the disk's chain or in one of its detached branches. */
static const char *image_below(const st_domain *d, const st_disk *k, const char *overlay,
                               const char **format)
{
    for (size_t i = 0; i + 1 < k->n_chain; i++)
        if (streq0(k->chain[i].path, overlay)) {
            *format = k->chain[i + 1].format;
            return k->chain[i + 1].path;
        }
    for (size_t b = 0; b < d->n_branches; b++) {
        const st_branch *br = &d->branches[b];
        for (size_t i = 0; streq0(br->disk, k->target) && i + 1 < br->n_chain; i++)
            if (streq0(br->chain[i], overlay)) {
                *format = NULL;
                return br->chain[i + 1];
            }
    }
    return NULL;
}

static void revert_lost(st_snapplan *p, const st_domain *d, const st_snapshot *s)
{
    const st_snapshot *cur = NULL;
    for (size_t i = 0; i < d->n_snaps; i++)
        if (d->snaps[i].current)
            cur = &d->snaps[i];
    if (cur && !streq0(cur->name, s->name))
        sp_lost(p,
                _("everything written to the disks since snapshot %s (the current one) was "
                  "taken, unless a branch keeps it"),
                cur->name);
    else
        sp_lost(p,
                _("everything written to the disks since %s was taken, unless a branch keeps "
                  "it"),
                s->name);
    if (sp_dom_live(d))
        sp_lost(p, _("the running guest's memory and device state: %s is stopped first"), d->name);
}

static void revert_result_step(st_snapplan *p, const st_snapshot *s, unsigned flags)
{
    if (flags & ST_F_RUNNING)
        sp_step(p, "%s", _("afterwards the domain runs"));
    else if (flags & ST_F_PAUSED)
        sp_step(p, "%s", _("afterwards the domain is paused"));
    else if (streq0(s->state, "running") || streq0(s->state, "paused"))
        sp_step(p, _("afterwards the domain is %s, as when the snapshot was taken"),
                st_snap_state_label(s->state));
    else
        sp_step(p, "%s", _("afterwards the domain is shut off, as when the snapshot was taken"));
}

static void revert_flags_call(st_snapplan *p, const st_snapshot *s, unsigned flags)
{
    strbuf b;
    sb_init(&b);
    if (flags & ST_F_RUNNING)
        sb_add(&b, "RUNNING");
    else if (flags & ST_F_PAUSED)
        sb_add(&b, "PAUSED");
    if (flags & ST_F_FORCE)
        sb_add(&b, b.len ? " | FORCE" : "FORCE");
    sp_call(p, "virDomainRevertToSnapshot(%s, %s)", s->name, b.len ? b.s : "0");
    sb_free(&b);
}

static void revert_libvirt(st_snapplan *p, const st_domain *d, const st_snapshot *s, unsigned flags)
{
    sp_step(p,
            s->memory ? _("the disks and the memory go back to snapshot %s")
                      : _("the disks go back to snapshot %s"),
            s->name);
    revert_result_step(p, s, flags);
    revert_flags_call(p, s, flags);
    revert_lost(p, d, s);
    if (flags & ST_F_FORCE)
        sp_hazard(p, ST_HAZ_WARN, "%s",
                  _("FORCE: libvirt refused without it (the revert is risky: for example the "
                    "snapshot's configuration differs or a running guest must be replaced)"));
    /* libvirt 9.0 refuses this without FORCE, and with FORCE keeps the managed save image. */
    bool memory = streq0(s->state, "running") || streq0(s->state, "paused");
    if (d->managed_save && !memory)
        sp_hazard(p, ST_HAZ_WARN,
                  _("%s has a managed save image: libvirt refuses this revert without FORCE, and "
                    "with FORCE it keeps the image, whose memory then no longer matches the "
                    "reverted disks (its next start would corrupt the guest's filesystems): "
                    "remove the managed save image first"),
                  d->name);
}

/* Why an external snapshot cannot be branched here, or NULL. */
static const char *branch_blocker(const st_host *h, const st_domain *d, const st_snapshot *s)
{
    if (s->memory)
        return _("it holds memory state, which only a libvirt revert can load");
    if (sp_dom_live(d))
        return _("the domain is running: shut it off first, then revert (by branching)");
    /* The next start would restore the saved memory with the old definition, running the old
     * overlay: the branch would be silently ignored. */
    if (d->managed_save)
        return _("it has a managed save image, whose next start would run the old overlays "
                 "and ignore the branch: remove the managed save first");
    if (!h->local)
        return _("the images are on a remote host: qemu-img can only run on this machine");
    return NULL;
}

/* One disk of a revert by branching; false when it cannot be done. */
static bool branch_disk(st_snapplan *p, const st_domain *d, const st_snapshot *s,
                        const st_snapdisk *sd, time_t now, bool several, size_t *n)
{
    const st_disk *k = st_domain_find_disk(d, sd->target);
    const char *fmt = NULL;
    const char *base = k && sd->file ? image_below(d, k, sd->file, &fmt) : NULL;
    if (!k || !k->n_chain || !base) {
        sp_hazard(p, ST_HAZ_REFUSE,
                  _("%s: the snapshot's overlay %s is in no chain this tool can see (not in the "
                    "disk's chain or a detached branch): the image as it was at %s is not known"),
                  sd->target, sd->file ? sd->file : "?", s->name);
        return false;
    }
    /* strftime must not get a NULL time (GCC 14 rejects the call that could pass one). */
    char stamp[32] = "00000000-000000";
    struct tm tm;
    if (localtime_r(&now, &tm))
        strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", &tm);
    char *suffix = several ? xasprintf("_%s.branch-%s.qcow2", sd->target, stamp)
                           : xasprintf(".branch-%s.qcow2", stamp);
    char *file = st_snap_default_file(base, d->name, s->name, suffix);
    free(suffix);
    st_snap_diskspec *ds = &p->req.diskspecs[(*n)++];
    ds->target = xstrdup(sd->target);
    ds->snapshot = xstrdup("external");
    ds->file = file;
    ds->base = xstrdup(base);
    ds->base_format = xstrdup(fmt ? fmt : "qcow2");
    sp_step(p, _("%s: new overlay %s on %s (the image as it was at %s)"), sd->target, file, base,
            s->name);
    sp_step(p, _("%s: leaves %s, which stays with all its data as a detached branch"), sd->target,
            k->chain[0].path);
    sp_call(p, "qemu-img create -f qcow2 -b %s -F %s %s", base, ds->base_format, file);
    return true;
}

static void revert_branch(st_snapplan *p, const st_host *h, const st_domain *d,
                          const st_snapshot *s, unsigned flags, time_t now)
{
    const char *why = branch_blocker(h, d, s);
    if (why) {
        sp_hazard(p, ST_HAZ_REFUSE,
                  _("libvirt %s cannot revert to an external snapshot (libvirt %s can), and this "
                    "tool cannot branch here: %s"),
                  h->libvirt_version ? h->libvirt_version : "?", LV_EXTERNAL_REVERT_NAME, why);
        return;
    }
    p->branching = true;
    p->req.flags |= ST_F_BRANCH;
    p->req.diskspecs = xcalloc(s->n_disks ? s->n_disks : 1, sizeof(st_snap_diskspec));
    sp_step(p,
            _("libvirt %s has no external revert: a new overlay is created on the snapshot's "
              "image of each disk and the disk is pointed at it (a branch)"),
            h->libvirt_version ? h->libvirt_version : "?");
    size_t ext = 0;
    for (size_t i = 0; i < s->n_disks; i++)
        ext += streq0(s->disks[i].snapshot, "external");
    for (size_t i = 0; i < s->n_disks; i++) {
        const st_snapdisk *sd = &s->disks[i];
        if (streq0(sd->snapshot, "no")) {
            sp_hazard(p, ST_HAZ_INFO, _("%s was not part of %s: it keeps its current data"),
                      sd->target, s->name);
            continue;
        }
        if (!streq0(sd->snapshot, "external") && !(sd->file && !sd->snapshot)) {
            sp_hazard(p, ST_HAZ_REFUSE,
                      _("%s: the snapshot holds this disk internally, which "
                        "branching cannot revert"),
                      sd->target);
            continue;
        }
        branch_disk(p, d, s, sd, now, ext > 1, &p->req.n_diskspecs);
    }
    sp_call(p,
            "virDomainDefineXML(%s: disks on the new overlays, the branches recorded in "
            "<metadata>)",
            d->name);
    sp_call(p, "virDomainSnapshotCreateXML(%s, REDEFINE | CURRENT)", s->name);
    if (flags & (ST_F_RUNNING | ST_F_PAUSED))
        sp_call(p, "virDomainCreateWithFlags(%s, %s)", d->name,
                (flags & ST_F_PAUSED) ? "START_PAUSED" : "0");
    sp_step(p, (flags & (ST_F_RUNNING | ST_F_PAUSED)) ? _("afterwards the domain is started")
                                                      : _("afterwards the domain stays shut off"));
    sp_lost(p, "%s",
            _("nothing is deleted: the data written since the snapshot stays in the old "
              "overlays, shown as detached branches of the domain"));
}

st_snapplan *st_snapplan_revert(const st_host *h, const st_domain *d, const char *snap,
                                unsigned flags, time_t now)
{
    st_snapplan *p = sp_plan_new(ST_REQ_REVERT, d);
    p->req.snapshot = xstrdup0(snap);
    p->req.flags = flags & (ST_F_RUNNING | ST_F_PAUSED | ST_F_FORCE);
    p->title = xasprintf(_("Revert %s to snapshot %s"), d->name, snap ? snap : "");
    const st_snapshot *s = st_domain_find_snapshot(d, snap);
    if (!s) {
        sp_hazard(p, ST_HAZ_REFUSE, _("%s has no snapshot named %s"), d->name, snap ? snap : "");
        return p;
    }
    if (sp_domain_job_running(h, d))
        sp_hazard(p, ST_HAZ_REFUSE, _("a job runs on %s: wait until it ends"), d->name);
    if ((flags & ST_F_RUNNING) && (flags & ST_F_PAUSED))
        sp_hazard(p, ST_HAZ_REFUSE, "%s", _("choose running or paused, not both"));
    if (!s->external)
        sp_check_internal_home(p, d, s, _("revert to"));
    if (!s->external || h->external_revert)
        revert_libvirt(p, d, s, flags);
    else
        revert_branch(p, h, d, s, flags, now);
    return p;
}
