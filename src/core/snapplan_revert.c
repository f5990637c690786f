/* Plans for reverting to a snapshot: through libvirt, or by branching a new overlay. */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/i18n.h"
#include "base/util.h"
#include "core/snapplan_internal.h"

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

/* FORCE, and a managed save image that a revert makes stale. */
static void revert_warnings(st_snapplan *p, const st_domain *d, const st_snapshot *s,
                            unsigned flags)
{
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

static void revert_libvirt(st_snapplan *p, const st_domain *d, const st_snapshot *s, unsigned flags)
{
    sp_step(p,
            s->memory ? _("the disks and the memory go back to snapshot %s")
                      : _("the disks go back to snapshot %s"),
            s->name);
    revert_result_step(p, s, flags);
    revert_flags_call(p, s, flags);
    revert_lost(p, d, s);
    revert_warnings(p, d, s, flags);
}

/* ---- revert through libvirt >= 9.9 to an external snapshot ---- */

char *st_snap_keep_name(const char *file)
{
    return xasprintf("%s.virt-snaptree-keep", file ? file : "?");
}

static const st_snapshot *current_snapshot(const st_domain *d)
{
    for (size_t i = 0; i < d->n_snaps; i++)
        if (d->snaps[i].current)
            return &d->snaps[i];
    return NULL;
}

/*
 * What libvirt removes when it reverts away from `cur`: the overlays an earlier revert to it made
 * (<revertDisks>) when it has some, else the overlays it made itself. Internal disks have none.
 */
static const st_snapdisk *removed_disks(const st_snapshot *cur, size_t *n)
{
    *n = cur->n_revert_disks ? cur->n_revert_disks : cur->n_disks;
    return cur->n_revert_disks ? cur->revert_disks : cur->disks;
}

static const st_written *written_of(const st_facts *f, const char *path)
{
    for (size_t i = 0; f && i < f->n_written; i++)
        if (streq0(f->written[i].path, path))
            return &f->written[i];
    return NULL;
}

/* "192 KiB (196608 bytes) written since s2", or why it is not known (malloc'd). */
static char *written_text(const st_facts *f, const char *path, const char *since)
{
    const st_written *w = written_of(f, path);
    if (!w)
        return xasprintf(_("what was written since %s (being measured)"), since);
    if (!w->known)
        return xasprintf(_("what was written since %s (not measured: %s)"), since,
                         w->why ? w->why : "?");
    char b[32];
    st_fmt_bytes(b, sizeof(b), w->bytes);
    return xasprintf(_("%s (%llu bytes) written since %s"), b, (unsigned long long)w->bytes, since);
}

typedef struct native_ctx {
    st_snapplan *p;
    const st_host *h;
    const st_domain *d;
    const st_snapshot *s, *cur;
    bool discard;
    const st_facts *facts;
} native_ctx;

/* One file libvirt removes: named with what it holds; kept, or refused when still needed. */
static void native_removed_file(native_ctx *c, const st_snapdisk *sd)
{
    st_snapplan *p = c->p;
    sp_add_str(&p->removed, &p->n_removed, xstrdup(sd->file));
    const st_disk *k = st_domain_find_disk(c->d, sd->target);
    bool active = k && k->n_chain && streq0(k->chain[0].path, sd->file);
    sp_use_skip skip = {c->d, sd->target, c->cur, NULL};
    char *user = sp_file_user(c->h, sd->file, &skip);
    char *what = written_text(c->facts, sd->file, c->cur->name);
    if (c->discard) {
        sp_step(p, _("%s: libvirt removes %s: %s"), sd->target, sd->file, what);
        if (user)
            sp_hazard(p, ST_HAZ_REFUSE,
                      _("libvirt would remove %s, which %s still needs: keep it (option 3)"),
                      sd->file, user);
        else if (!active)
            sp_hazard(p, ST_HAZ_REFUSE,
                      _("libvirt would remove %s, which is not what %s runs on now: keep it "
                        "(option 3)"),
                      sd->file, sd->target);
        free(user);
        sp_lost(p, _("%s: %s, in %s, which libvirt removes"), sd->target, what, sd->file);
    } else {
        char *keep = st_snap_keep_name(sd->file);
        sp_add_str(&p->kept, &p->n_kept, xstrdup(sd->file));
        sp_step(p,
                active ? _("%s: libvirt removes %s (%s); it is kept: %s names it while libvirt "
                           "removes it, then it gets its name back, with all its data, as a "
                           "detached branch")
                       : _("%s: libvirt removes %s (%s); it is kept the same way: %s names it "
                           "meanwhile"),
                sd->target, sd->file, what, keep);
        if (user)
            sp_step(p, _("%s is still needed by %s"), sd->file, user);
        sp_call(p, "link(%s, %s)", sd->file, keep);
        free(keep);
        free(user);
    }
    free(what);
}

/*
 * libvirt >= 9.9 puts a new overlay on a disk left out of the snapshot too, over the image it
 * used when the snapshot was taken: its data stays when that is still the disk's image.
 */
static void native_left_out(native_ctx *c)
{
    for (size_t i = 0; i < c->s->n_disks; i++) {
        const st_snapdisk *sd = &c->s->disks[i];
        const st_disk *k = st_domain_find_disk(c->d, sd->target);
        if (!streq0(sd->snapshot, "no") || !k || !sd->image)
            continue;
        if (streq0(k->source, sd->image))
            sp_step(c->p,
                    _("%s was not part of %s: libvirt puts a new overlay on %s too, and its data "
                      "stays"),
                    sd->target, c->s->name, sd->image);
        else
            sp_step(c->p,
                    _("%s was not part of %s: libvirt puts a new overlay on %s, the image it used "
                      "then; %s, where it writes now, is shown as a detached branch unless "
                      "libvirt removes it"),
                    sd->target, c->s->name, sd->image, k->source ? k->source : "?");
    }
}

/* The removed files, from the current snapshot libvirt reverts away from. */
static void native_files(native_ctx *c)
{
    size_t n;
    const st_snapdisk *v = removed_disks(c->cur, &n);
    for (size_t i = 0; i < n; i++)
        if (streq0(v[i].snapshot, "external") && v[i].file)
            native_removed_file(c, &v[i]);
    if (!c->p->n_removed)
        sp_step(c->p,
                _("the current snapshot %s made no overlay: libvirt removes no file, and what "
                  "the disks ran on stays, shown as detached branches"),
                c->cur->name);
}

static void native_calls(native_ctx *c, unsigned flags)
{
    st_snapplan *p = c->p;
    revert_flags_call(p, c->s, flags);
    for (size_t i = 0; i < p->n_kept; i++) {
        char *keep = st_snap_keep_name(p->kept[i]);
        sp_call(p, "link(%s, %s); unlink(%s)", keep, p->kept[i], keep);
        free(keep);
    }
    if (!c->discard || !p->n_removed)
        sp_call(p, "virDomainSetMetadata(%s, %s: the detached branches)", c->d->name, ST_BRANCH_NS);
}

static void revert_native(st_snapplan *p, const st_host *h, const st_domain *d,
                          const st_snapshot *s, unsigned flags, const st_facts *facts)
{
    native_ctx c = {p, h, d, s, current_snapshot(d), (flags & ST_F_DISCARD) != 0, facts};
    p->native_external = true;
    if (!c.cur) {
        sp_hazard(p, ST_HAZ_REFUSE,
                  _("%s has no current snapshot: libvirt %s removes the current snapshot's "
                    "overlays when it reverts to an external one, and without one libvirt 11.3 "
                    "was seen to crash half way (redefine a snapshot as current first)"),
                  d->name, sp_lv_name(h));
        return;
    }
    sp_step(p,
            _("libvirt %s reverts to the external snapshot itself: a new overlay on the "
              "snapshot's image of each disk (libvirt names it after the image and the time), "
              "and the disks run on it"),
            sp_lv_name(h));
    native_files(&c);
    native_left_out(&c);
    if (!c.discard && p->n_removed && !h->local)
        sp_hazard(p, ST_HAZ_REFUSE,
                  _("the images are on a remote host: this tool cannot keep what libvirt "
                    "removes there (it gives each file a second name on this machine); choose "
                    "to discard it (option 3), or revert on the host"));
    revert_result_step(p, s, flags);
    native_calls(&c, flags);
    if (c.discard && p->n_removed)
        sp_lost(p, "%s", _("nothing else: the snapshots stay"));
    else
        sp_lost(p,
                _("nothing is deleted: what was written since %s stays where it was, shown as "
                  "detached branches of the domain"),
                c.cur->name);
    if (sp_dom_live(d))
        sp_lost(p, _("the running guest's memory and device state: %s is stopped first"), d->name);
    revert_warnings(p, d, s, flags);
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

/*
 * The new overlay's name: stamped to the second, and numbered when that name is taken (a second
 * revert within the same second, after an undo of the first, found the first one's overlay).
 * Branching is done on this machine's files only, so they can be looked at here.
 */
static char *branch_file(const char *base, const char *dom, const char *snap, const char *target,
                         const char *stamp)
{
    char *file = NULL;
    for (unsigned n = 1; n < 1000; n++) {
        char num[16] = "";
        if (n > 1)
            snprintf(num, sizeof(num), "-%u", n);
        char *suffix = target ? xasprintf("_%s.branch-%s%s.qcow2", target, stamp, num)
                              : xasprintf(".branch-%s%s.qcow2", stamp, num);
        free(file);
        file = st_snap_default_file(base, dom, snap, suffix);
        free(suffix);
        struct stat st;
        if (lstat(file, &st) != 0)
            break;
    }
    return file;
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
    char *file = branch_file(base, d->name, s->name, several ? sd->target : NULL, stamp);
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
                  sp_lv_name(h), LV_EXTERNAL_REVERT_NAME, why);
        return;
    }
    p->branching = true;
    p->req.flags |= ST_F_BRANCH;
    p->req.diskspecs = xcalloc(s->n_disks ? s->n_disks : 1, sizeof(st_snap_diskspec));
    sp_step(p,
            _("libvirt %s has no external revert: a new overlay is created on the snapshot's "
              "image of each disk and the disk is pointed at it (a branch)"),
            sp_lv_name(h));
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

/*
 * An internal snapshot taken before an external one lives in an image the disk no longer writes
 * to: libvirt (9.0 and 11.3 alike) reverts the definition to that image and leaves the overlays
 * above it, with what was written since, as files nothing names. They are shown as detached
 * branches.
 */
static void internal_left(st_snapplan *p, const st_domain *d, const st_snapshot *s)
{
    for (size_t i = 0; i < s->n_disks; i++) {
        const st_snapdisk *sd = &s->disks[i];
        const st_disk *k = st_domain_find_disk(d, sd->target);
        if (streq0(sd->snapshot, "internal") && sd->image && k && k->source &&
            !streq0(k->source, sd->image))
            sp_step(p,
                    _("%s: goes back to %s, which holds the snapshot; %s, where it writes now, "
                      "stays with its data, shown as a detached branch"),
                    sd->target, sd->image, k->source);
    }
}

/*
 * The files libvirt removes travel with the request: the worker refuses when libvirt would now
 * remove one the admin did not see, and keeps them unless the admin chose to discard them.
 */
static void request_removed(st_snapplan *p)
{
    p->req.paths = p->n_removed ? xcalloc(p->n_removed, sizeof(char *)) : NULL;
    for (size_t i = 0; i < p->n_removed; i++)
        p->req.paths[p->req.n_paths++] = xstrdup(p->removed[i]);
}

st_snapplan *st_snapplan_revert(const st_host *h, const st_domain *d, const char *snap,
                                unsigned flags, time_t now, const st_facts *facts)
{
    st_snapplan *p = sp_plan_new(ST_REQ_REVERT, d);
    p->req.snapshot = xstrdup0(snap);
    p->req.flags = flags & (ST_F_RUNNING | ST_F_PAUSED | ST_F_FORCE | ST_F_DISCARD);
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
    if (!s->external) {
        revert_libvirt(p, d, s, flags);
        internal_left(p, d, s);
    } else if (sp_lv_reverts_external(h)) {
        revert_native(p, h, d, s, flags, facts);
    } else {
        p->req.flags &= ~ST_F_DISCARD;
        revert_branch(p, h, d, s, flags, now);
    }
    sp_nvram_revert(p, h, d, s);
    request_removed(p);
    return p;
}
