/* The hazards a plan checks before anything runs; refusals say why. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/i18n.h"
#include "base/util.h"
#include "core/backing_name.h"
#include "core/mergeplan_internal.h"

static void check_host(plan_ctx *c)
{
    if (c->h->readonly)
        pl_hazf(c, ST_HAZ_REFUSE,
                _("The connection to %s is read-only: nothing can be changed through it."),
                c->h->name  ? c->h->name
                : c->h->uri ? c->h->uri
                            : "?");
    else if (!c->h->reachable)
        pl_hazf(c, ST_HAZ_REFUSE, _("%s is not connected right now: nothing can be run there."),
                c->h->name  ? c->h->name
                : c->h->uri ? c->h->uri
                            : "?");
}

/* Decides how the job runs, from the domain state and where the images are. */
static void check_state(plan_ctx *c)
{
    switch (c->d->state) {
    case ST_DOM_RUNNING:
    case ST_DOM_BLOCKED:
    case ST_DOM_PAUSED:
        c->online = true;
        return;
    case ST_DOM_SHUTOFF:
        if (c->h->local) {
            c->p->offline = true;
            return;
        }
        if (c->o.start_paused) {
            c->online = c->start_paused = true;
            pl_hazf(c, ST_HAZ_INFO,
                    _("%s is shut off on a remote host: the domain will be started paused for the "
                      "job and shut off again afterwards. The guest does not run in between."),
                    c->dom);
            return;
        }
        size_t from = c->p->n_hazards;
        pl_hazf(c, ST_HAZ_REFUSE,
                _("%s is shut off and its images are on a remote host: block jobs need a running "
                  "QEMU and qemu-img can only be run on this machine. Allow starting it paused for "
                  "the job, or run the merge on that host."),
                c->dom);
        pl_lifted_by(c, from, ST_OPT_START_PAUSED);
        return;
    default:
        pl_hazf(c, ST_HAZ_REFUSE, _("%s is %s: a merge needs it running, paused or shut off."),
                c->dom, st_dom_state_label(c->d->state));
        return;
    }
}

static void check_disk(plan_ctx *c)
{
    if (c->k->readonly)
        pl_hazf(c, ST_HAZ_REFUSE, _("%s is a read-only disk: nothing is written through it."),
                c->target);
    if (c->pull && c->newbacking == NONE && c->k->chain_unknown)
        pl_hazf(c, ST_HAZ_WARN,
                _("The chain below the last known layer is not known (%s): the size estimate "
                  "covers only the known layers."),
                c->k->chain_unknown);
}

/*
 * Every layer read or written must exist and be readable as far as discovery could tell; and the
 * chain must be whole. A broken layer elsewhere (a loop, a missing or truncated file) still
 * refuses: qemu-img opens the whole chain below the top, and what a broken chain is really made
 * of is not known, so nothing is merged in it until it is repaired. A layer whose only fault is
 * a name libvirt cannot carry is whole: merges that do not name it go on.
 */
static void check_layers(plan_ctx *c)
{
    bool chain_said = false;
    for (size_t i = 0; i < c->k->n_chain; i++) {
        bool involved =
            pl_in_range(c, i) || i == c->receiver || i == c->rewritten || i == c->newbacking;
        const st_layer *l = pl_L(c, i);
        if (involved && !l->path) {
            pl_hazf(c, ST_HAZ_REFUSE, _("Layer %zu of %s has no known path: it cannot be merged."),
                    i, c->target);
        } else if (involved && l->broken) {
            pl_hazf(c, ST_HAZ_REFUSE, _("%s is unusable (%s): nothing is merged through it."),
                    l->path, l->broken);
        } else if (l->broken && !l->name_only && !chain_said) {
            pl_hazf(c, ST_HAZ_REFUSE,
                    _("The chain of %s is broken at layer %zu, %s (%s): nothing is merged in a "
                      "broken chain. Repair it first."),
                    c->target, i, pl_lpath(l), l->broken);
            chain_said = true;
        }
    }
    /* qemu-img reads every layer below the top: one it cannot see could be anything. */
    if (c->p->offline && c->k->chain_unknown)
        pl_hazf(c, ST_HAZ_REFUSE,
                _("The chain of %s below its last known layer is not known (%s): qemu-img would "
                  "read images this plan cannot show."),
                c->target, c->k->chain_unknown);
}

/* The receiver is written into; the rewritten layer gets a new backing pointer. */
static void refuse_shared(plan_ctx *c, size_t i, bool receiver)
{
    const st_layer *l = pl_L(c, i);
    if (!l->n_shared)
        return;
    char *who = pl_join_shared(l);
    if (receiver)
        pl_hazf(c, ST_HAZ_REFUSE, _("%s is also read by %s: writing into it would corrupt them."),
                pl_lname(l), who);
    else
        pl_hazf(c, ST_HAZ_REFUSE,
                _("%s is also used by %s: its backing file would be changed under them."),
                pl_lname(l), who);
    free(who);
}

/* A path of this chain that another disk of the same domain also holds (two disks, one image). */
static const char *same_domain_user(const plan_ctx *c, const char *path)
{
    for (size_t k = 0; path && k < c->d->n_disks; k++) {
        const st_disk *o = &c->d->disks[k];
        if (o == c->k)
            continue;
        for (size_t i = 0; i < o->n_chain; i++)
            if (streq0(o->chain[i].path, path))
                return o->target ? o->target : "?";
    }
    return NULL;
}

/* Writing into an image another chain reads corrupts that chain: no exceptions. */
static void check_shared(plan_ctx *c)
{
    refuse_shared(c, c->receiver, true);
    if (c->rewritten != NONE && c->rewritten != c->receiver)
        refuse_shared(c, c->rewritten, false);
    const char *other = same_domain_user(c, pl_L(c, c->receiver)->path);
    if (other)
        pl_hazf(c, ST_HAZ_REFUSE,
                _("%s is also read by disk %s of this domain: writing into it would corrupt that "
                  "disk."),
                pl_lname(pl_L(c, c->receiver)), other);
}

static void check_jobs(plan_ctx *c)
{
    for (size_t i = 0; i < c->h->n_jobs; i++) {
        const st_job *j = &c->h->jobs[i];
        if (!streq0(j->domain, c->dom) || st_job_phase_final(j->phase))
            continue;
        if (j->disk && !streq0(j->disk, c->target))
            continue;
        if (j->disk)
            pl_hazf(c, ST_HAZ_REFUSE,
                    _("A job is already running on %s/%s (%s, %s): wait for it to end or abort it "
                      "first."),
                    c->dom, c->target, st_job_kind_label(j->kind), st_job_phase_label(j->phase));
        else
            pl_hazf(c, ST_HAZ_REFUSE,
                    _("A job is already running on %s (%s, %s): wait for it to end first."), c->dom,
                    st_job_kind_label(j->kind), st_job_phase_label(j->phase));
        return;
    }
    if (c->facts && c->facts->job_running)
        pl_hazf(c, ST_HAZ_REFUSE,
                _("Another block job is running on %s/%s: %s. Wait for it to end or abort it "
                  "first."),
                c->dom, c->target,
                c->facts->job_desc ? c->facts->job_desc : _("libvirt reports one"));
}

/* How a snapshot of this domain fares. Snapshot X names the overlay X created; the image X was
 * taken from (its point in time) is that overlay's backing file, one index further down. */
typedef struct snap_fx {
    pl_strv lost; /* its point in time is written into or made invalid */
    pl_strv
        dangling;   /* its point in time survives, but its metadata names files leaving the chain */
    pl_strv branch; /* its overlay is outside this chain: another branch that may read our images */
    pl_strv internal; /* internal snapshots stored in an image that leaves the chain */
} snap_fx;

static size_t chain_index(const plan_ctx *c, const char *path)
{
    for (size_t i = 0; path && i < c->k->n_chain; i++)
        if (streq0(pl_L(c, i)->path, path))
            return i;
    return NONE;
}

/*
 * A commit writes into the base and leaves the layers strictly between top and base invalid
 * (they now read the newer data in the base); the top itself stays a valid image, and so does
 * everything a pull leaves behind (a pull writes only into the active layer). After an active
 * commit's pivot the guest writes into the base, so nothing above it stays valid.
 */
static bool point_lost(const plan_ctx *c, size_t s)
{
    if (c->pull || s == NONE)
        return false;
    return s == c->receiver || (s > c->top && s < c->base);
}

static bool internal_on_disk(const st_snapshot *s, const char *target)
{
    for (size_t j = 0; j < s->n_disks; j++)
        if (streq0(s->disks[j].target, target))
            return streq0(s->disks[j].snapshot, "internal");
    return !s->external; /* no per-disk detail: the snapshot's kind says it */
}

static void classify_snapshot(const plan_ctx *c, const st_snapshot *s, snap_fx *fx)
{
    bool lost = false, dangling = false, branch = false;
    for (size_t j = 0; j < s->n_disks; j++) {
        const st_snapdisk *sd = &s->disks[j];
        if (!sd->file)
            continue;
        size_t i = chain_index(c, sd->file);
        if (i == NONE) {
            branch = branch || streq0(sd->target, c->target);
            continue;
        }
        size_t taken_from = i + 1 < c->k->n_chain ? i + 1 : NONE;
        if (!pl_in_range(c, i) && i != c->rewritten)
            continue;
        if (point_lost(c, taken_from))
            lost = true;
        else
            dangling = true;
    }
    if (s->memory_file && chain_index(c, s->memory_file) != NONE)
        dangling = true;
    if (lost)
        pl_sv_push(&fx->lost, xstrdup(s->name));
    else if (dangling)
        pl_sv_push(&fx->dangling, xstrdup(s->name));
    else if (branch)
        pl_sv_push(&fx->branch, xstrdup(s->name));
    /* Internal snapshots live in the image that was active when they were taken; only an
     * active commit moves the disk off that image. */
    if (!c->pull && c->top == 0 && internal_on_disk(s, c->target))
        pl_sv_push(&fx->internal, xstrdup(s->name));
}

static void warn_snapshots(plan_ctx *c, const snap_fx *fx)
{
    char *n;
    if (fx->lost.n) {
        n = pl_sv_join(&fx->lost, ", ");
        pl_hazf(
            c, ST_HAZ_WARN,
            ngettext("Snapshot %s was taken on an image this merge writes into or removes from "
                     "the chain: its point in time is lost, and its metadata will point at files "
                     "no longer in the chain: reverting to it will fail; delete it with "
                     "'metadata only' afterwards.",
                     "Snapshots %s were taken on images this merge writes into or removes from "
                     "the chain: their point in time is lost, and their metadata will point at "
                     "files no longer in the chain: reverting to them will fail; delete them "
                     "with 'metadata only' afterwards.",
                     fx->lost.n),
            n);
        free(n);
    }
    /* Their image is still valid (a pull writes nothing below the active layer; a commit leaves
     * its top readable), so only the metadata suffers. */
    if (fx->dangling.n) {
        n = pl_sv_join(&fx->dangling, ", ");
        pl_hazf(
            c, ST_HAZ_WARN,
            ngettext("Snapshot %s names files that leave the chain or whose backing file "
                     "changes: its metadata will point at files no longer in the chain, and "
                     "libvirt will refuse to delete it normally: delete it with 'metadata only' "
                     "afterwards. The image it was taken from is kept, unchanged, unless you "
                     "delete it.",
                     "Snapshots %s name files that leave the chain or whose backing file "
                     "changes: their metadata will point at files no longer in the chain, and "
                     "libvirt will refuse to delete them normally: delete them with 'metadata "
                     "only' afterwards. The images they were taken from are kept, unchanged, "
                     "unless you delete them.",
                     fx->dangling.n),
            n);
        free(n);
    }
    /* A pull writes only into the active layer: other branches are safe unless files go. */
    if (fx->branch.n && !c->pull) {
        n = pl_sv_join(&fx->branch, ", ");
        pl_hazf(
            c, ST_HAZ_WARN,
            ngettext("Snapshot %s has its overlay outside this chain (another branch). If it is "
                     "backed by %s or by a layer being merged, this commit corrupts it: check "
                     "with 'qemu-img info --backing-chain' first.",
                     "Snapshots %s have overlays outside this chain (another branch). If those "
                     "are backed by %s or by a layer being merged, this commit corrupts them: "
                     "check with 'qemu-img info --backing-chain' first.",
                     fx->branch.n),
            n, pl_lname(pl_L(c, c->receiver)));
        free(n);
    }
    if (fx->internal.n) {
        n = pl_sv_join(&fx->internal, ", ");
        pl_hazf(
            c, ST_HAZ_WARN,
            ngettext("Internal snapshot %s is stored inside the image that was active when it "
                     "was taken: if that is %s, libvirt can no longer revert to it or delete it "
                     "once the disk runs on %s.",
                     "Internal snapshots %s are stored inside the image that was active when "
                     "they were taken: if that is %s, libvirt can no longer revert to them or "
                     "delete them once the disk runs on %s.",
                     fx->internal.n),
            n, pl_lname(pl_L(c, 0)), pl_lname(pl_L(c, c->receiver)));
        free(n);
    }
}

/* Files are deleted only if nothing may still need them. */
static void check_delete(plan_ctx *c, const snap_fx *fx)
{
    if (!c->o.delete_files)
        return;
    if (!c->p->delete_possible) {
        if (c->files_local && !c->h->local)
            pl_haz(c, ST_HAZ_REFUSE,
                   xstrdup(_("The merged files cannot be deleted from here: libvirt deletes files "
                             "only at the end of a live commit, not after a pull, and they are on "
                             "a remote host. Remove them there once nothing names them.")));
        else
            pl_haz(c, ST_HAZ_REFUSE,
                   xstrdup(_("The merged files cannot be deleted: they are not all local files.")));
        return;
    }
    for (size_t i = c->first; i < c->end; i++)
        if (pl_L(c, i)->n_shared) {
            char *who = pl_join_shared(pl_L(c, i));
            pl_hazf(c, ST_HAZ_REFUSE, _("%s cannot be deleted: %s still use it."),
                    pl_lname(pl_L(c, i)), who);
            free(who);
        }
    pl_strv names = {0};
    for (size_t i = 0; i < fx->lost.n; i++)
        pl_sv_push(&names, xstrdup(fx->lost.v[i]));
    for (size_t i = 0; i < fx->dangling.n; i++)
        pl_sv_push(&names, xstrdup(fx->dangling.v[i]));
    if (names.n) {
        char *n = pl_sv_join(&names, ", ");
        pl_hazf(c, ST_HAZ_REFUSE,
                _("The merged files cannot be deleted: snapshots %s still name them. Delete those "
                  "snapshots with 'metadata only' first, or merge without deleting."),
                n);
        free(n);
    }
    pl_sv_free(&names);
    if (fx->branch.n) {
        char *n = pl_sv_join(&fx->branch, ", ");
        pl_hazf(c, ST_HAZ_REFUSE,
                _("The merged files cannot be deleted: the overlays of snapshots %s (another "
                  "branch) may be backed by them."),
                n);
        free(n);
    }
    if (c->p->refused)
        return;
    char *files = pl_sv_join(&(pl_strv){c->p->leaving, c->p->n_leaving, 0}, ", ");
    if (c->libvirt_deletes)
        pl_hazf(c, ST_HAZ_WARN,
                _("After the job completes, and only then, libvirt deletes %s%s. If it cannot "
                  "remove a file it only logs a warning: check afterwards."),
                files,
                c->top == 0 ? _(" (only on pivot: keeping the overlay or leaving the job ready "
                                "deletes nothing)")
                            : "");
    else
        pl_hazf(c, ST_HAZ_WARN,
                _("After the job completes, and only then, these files are deleted: %s. They "
                  "cannot be recovered."),
                files);
    free(files);
}

static void check_snapshots(plan_ctx *c)
{
    snap_fx fx = {0};
    for (size_t i = 0; i < c->d->n_snaps; i++)
        classify_snapshot(c, &c->d->snaps[i], &fx);
    warn_snapshots(c, &fx);
    /* Whatever refuses the deletion goes away with it. */
    size_t from = c->p->n_hazards;
    check_delete(c, &fx);
    pl_lifted_by(c, from, ST_OPT_DELETE);
    pl_sv_free(&fx.lost);
    pl_sv_free(&fx.dangling);
    pl_sv_free(&fx.branch);
    pl_sv_free(&fx.internal);
}

/* The facts' room for the receiving image: asked by its path, or (older facts) its folder. */
static const st_space *space_for(const plan_ctx *c, const char *path, const char *dir)
{
    for (size_t i = 0; c->facts && i < c->facts->n_space; i++) {
        const st_space *sp = &c->facts->space[i];
        if (streq0(sp->path, path) || streq0(sp->path, dir))
            return sp;
    }
    return NULL;
}

/*
 * The most a qcow2 of virtual size v can take: every cluster allocated, plus its tables (an L2
 * entry and a 16-bit refcount per 64 KiB cluster are well under 1/64 of it) and its header.
 */
static uint64_t qcow2_full_size(uint64_t v)
{
    return v + v / 64 + 4ull * 1024 * 1024;
}

/*
 * A block device's room: the image cannot grow past the device's end. A device that holds the
 * whole image at full size never runs out, whatever is merged; a smaller one (thin LVs are)
 * must have room for what the merge writes.
 */
static void check_device_room(plan_ctx *c, const char *path, const st_space *sp, const char *need)
{
    char have[32], total[32];
    st_fmt_bytes(have, sizeof(have), sp->free_bytes);
    st_fmt_bytes(total, sizeof(total), sp->total_bytes);
    uint64_t v = pl_L(c, c->receiver)->virtual_size;
    if (v && sp->total_bytes >= qcow2_full_size(v))
        pl_hazf(c, ST_HAZ_INFO,
                _("%s is a block device of %s: it holds the whole image even when every cluster "
                  "is written."),
                path, total);
    else if (sp->free_bytes < c->p->peak)
        pl_hazf(c, ST_HAZ_REFUSE,
                _("Not enough room on the block device %s: the merge needs up to %s, and the "
                  "image can grow by only %s more (the device holds %s). Grow the device "
                  "(lvextend) first."),
                path, need, have, total);
    else
        pl_hazf(c, ST_HAZ_INFO,
                _("%s is a block device of %s; the image can grow by %s more, and the merge "
                  "needs up to %s."),
                path, total, have, need);
}

static void check_space(plan_ctx *c)
{
    const char *path = pl_L(c, c->receiver)->path;
    if (!path)
        return;
    if (path[0] != '/') {
        char need[32];
        st_fmt_bytes(need, sizeof(need), c->p->peak);
        pl_hazf(c, ST_HAZ_WARN,
                _("The data lands in the network image %s: its room cannot be checked from here, "
                  "and the merge needs up to %s there."),
                path, need);
        return;
    }
    char *dir = st_dirname(path);
    const st_space *sp = space_for(c, path, dir);
    char need[32], have[32];
    st_fmt_bytes(need, sizeof(need), c->p->peak);
    if (!sp)
        pl_hazf(c, ST_HAZ_WARN, _("Free space in %s was not checked: the merge needs up to %s."),
                dir, need);
    else if (!sp->known)
        pl_hazf(c, ST_HAZ_WARN, _("Free space in %s is not known (%s): the merge needs up to %s."),
                dir, sp->why ? sp->why : "?", need);
    else if (sp->device)
        check_device_room(c, path, sp, need);
    else if (sp->free_bytes < c->p->peak && c->p->grows_known) {
        st_fmt_bytes(have, sizeof(have), sp->free_bytes);
        pl_hazf(c, ST_HAZ_REFUSE,
                _("Not enough free space: %s grows by %s in %s before any merged file is "
                  "removed, and %s is free there."),
                pl_lname(pl_L(c, c->receiver)), need, dir, have);
    } else if (sp->free_bytes < c->p->peak) {
        st_fmt_bytes(have, sizeof(have), sp->free_bytes);
        pl_hazf(c, ST_HAZ_REFUSE, _("Not enough free space: needs up to %s in %s, %s free."), need,
                dir, have);
    }
    if (c->size_unknown && !c->p->grows_known)
        pl_hazf(c, ST_HAZ_WARN,
                _("The size of some layers being copied is not known: up to %s is only what is "
                  "known."),
                need);
    if (c->facts && c->facts->error)
        pl_hazf(c, ST_HAZ_WARN, _("Some facts could not be gathered: %s"), c->facts->error);
    free(dir);
}

/* qemu-img must never open an image that a running QEMU holds. */
static void check_offline_users(plan_ctx *c)
{
    for (size_t i = 0; i < c->k->n_chain; i++) {
        if (!(pl_in_range(c, i) || i == c->receiver || i == c->rewritten))
            continue;
        const st_layer *l = pl_L(c, i);
        for (size_t s = 0; s < l->n_shared; s++) {
            const st_host *where = NULL;
            const st_domain *o = pl_find_sharer(c, l->shared_with[s], &where);
            if (!o || o->state == ST_DOM_SHUTOFF)
                continue;
            pl_hazf(c, ST_HAZ_REFUSE,
                    _("%s is in use by %s, which is %s: qemu-img must never touch an image a "
                      "running VM holds."),
                    pl_lname(l), l->shared_with[s], st_dom_state_label(o->state));
        }
    }
}

/* A managed save holds the guest's memory as of the disk's current content. */
static void check_managed_save(plan_ctx *c)
{
    if (c->d->state == ST_DOM_SHUTOFF && c->d->managed_save)
        pl_hazf(
            c, ST_HAZ_REFUSE,
            _("%s has a managed save image: the saved memory expects the disk exactly as it is, "
              "and changing it would corrupt the guest when it resumes. Start the domain, or "
              "remove the managed save, first."),
            c->dom);
}

/* A backing file written without its format makes every later open guess it. */
static void check_offline_format(plan_ctx *c)
{
    if (c->newbacking == NONE || c->rewritten == NONE || pl_L(c, c->newbacking)->format)
        return;
    pl_hazf(c, ST_HAZ_REFUSE,
            _("The format of %s is not known: a backing file is never written without its format "
              "(qemu-img would have to guess it)."),
            pl_lname(pl_L(c, c->newbacking)));
}

static void info_offline(plan_ctx *c)
{
    pl_hazf(c, ST_HAZ_INFO,
            _("The domain is shut off: the merge runs on this machine with %s (%s), shown "
              "above."),
            "qemu-img",
            c->pull      ? "check, rebase -p"
            : c->top > 0 ? "check, commit -p, rebase -u"
                         : "check, commit -p");
    if (!c->pull && c->top == 0)
        pl_hazf(c, ST_HAZ_INFO, _("The domain definition is updated: %s → %s."), c->target,
                pl_lpath(pl_L(c, c->base)));
    pl_haz(c, ST_HAZ_INFO,
           xstrdup(_("Every step runs in a helper process of its own: quitting this interface or "
                     "losing its terminal does not stop it, and a new interface shows how far it "
                     "got and how it ended.")));
}

static void info_active(plan_ctx *c)
{
    if (c->pull || c->top != 0 || !c->online)
        return;
    pl_strv gone = {0};
    for (size_t i = c->first; i < c->end; i++)
        pl_sv_push(&gone, xstrdup(pl_lname(pl_L(c, i))));
    char *g = pl_sv_join(&gone, ", ");
    pl_sv_free(&gone);
    const char *base = pl_lname(pl_L(c, c->base)), *top = pl_lname(pl_L(c, 0));
    pl_hazf(c, ST_HAZ_INFO,
            ngettext("Active commit: the job copies until it is READY and then mirrors every new "
                     "write into both images until you choose. pivot: the disk then runs on %s; "
                     "%s leaves the chain. keep: abort without pivot, the disk stays on %s, the "
                     "base already holds the merged data. Or leave it ready for later (the "
                     "mirroring goes on).",
                     "Active commit: the job copies until it is READY and then mirrors every new "
                     "write into both images until you choose. pivot: the disk then runs on %s; "
                     "%s leave the chain. keep: abort without pivot, the disk stays on %s, the "
                     "base already holds the merged data. Or leave it ready for later (the "
                     "mirroring goes on).",
                     c->end - c->first),
            base, g, top);
    free(g);
}

/* What this interface does itself when the job ends (no libvirt flag does it): say so first. */
static void info_followups(plan_ctx *c)
{
    if (c->pull && c->online && c->o.delete_files && c->p->delete_possible)
        pl_haz(c, ST_HAZ_INFO,
               xstrdup(_("This interface removes the merged files once the pull has completed "
                         "(libvirt has no flag that does it for a pull): keep it open until then. "
                         "If it ends first, the next start offers their removal.")));
    if (c->start_paused)
        pl_haz(c, ST_HAZ_INFO,
               xstrdup(_("This interface finishes the job (for an active commit: the pivot, as "
                         "soon as it is ready) and shuts the domain off again: keep it open until "
                         "then. If it ends first, the next start offers to do it.")));
}

static void info_misc(plan_ctx *c)
{
    if (c->o.bandwidth && c->p->offline && c->pull)
        pl_hazf(c, ST_HAZ_INFO,
                _("qemu-img rebase has no speed limit: the limit of %lu MiB/s does not apply."),
                c->o.bandwidth);
    else if (c->o.bandwidth)
        pl_hazf(c, ST_HAZ_INFO, _("The copy is limited to %lu MiB/s."), c->o.bandwidth);
    if (c->rewritten == NONE || c->newbacking == NONE)
        return;
    if (c->names_unknown)
        pl_haz(c, ST_HAZ_INFO,
               xstrdup(_("The backing file names of this chain are not known here (remote host): "
                         "the new backing name will be written as an absolute path by libvirt.")));
    else if (c->o.relative && !c->p->relative_possible)
        pl_hazf(c, ST_HAZ_INFO,
                _("The backing names involved are absolute: %s will point at %s by its absolute "
                  "path."),
                pl_lname(pl_L(c, c->rewritten)), pl_lpath(pl_L(c, c->newbacking)));
}

/*
 * libvirt 9.0 has no way to be given the new backing name: with RELATIVE it joins the old names
 * (virStorageSourceGetRelativeBackingPath), without it QEMU writes the base's path as libvirt
 * opened it, itself joined from the old names. Committing sub/deeper/mid.qcow2 thus writes
 * "deeper/../../base.qcow2" into sub/top.qcow2, which works only while sub/deeper exists.
 * Say so, and how to write the direct name once the image is free.
 */
static void warn_detour(plan_ctx *c)
{
    if (c->p->offline || !c->new_name)
        return;
    const char *image = pl_lpath(pl_L(c, c->rewritten));
    char *via = st_backing_name_detour(image, c->new_name);
    if (!via)
        return;
    const st_layer *base = pl_L(c, c->newbacking);
    char *direct = st_backing_name_for(image, pl_lpath(base), c->relative);
    strbuf cmd;
    sb_init(&cmd);
    sb_add(&cmd, "qemu-img rebase -u -F ");
    pl_sb_shq(&cmd, base->format ? base->format : "?");
    sb_add(&cmd, " -b ");
    pl_sb_shq(&cmd, direct);
    sb_addc(&cmd, ' ');
    pl_sb_shq(&cmd, image);
    pl_hazf(c, ST_HAZ_WARN,
            _("libvirt will write %s into %s as its backing file (it makes the name from the old "
              "ones and cannot be given another): the name goes through the folder %s, so the "
              "chain breaks, and the domain no longer starts, if that folder is ever removed. "
              "Once the domain is shut off, this writes the direct name: %s"),
            c->new_name, pl_lname(pl_L(c, c->rewritten)), via, cmd.s);
    sb_free(&cmd);
    free(direct);
    free(via);
}

void pl_check_early(plan_ctx *c)
{
    check_host(c);
    check_state(c);
}

void pl_check_rest(plan_ctx *c)
{
    check_disk(c);
    check_layers(c);
    check_shared(c);
    check_jobs(c);
    check_snapshots(c);
    check_space(c);
    check_managed_save(c);
    pl_check_security(c);
    if (c->p->offline) {
        check_offline_users(c);
        check_offline_format(c);
        info_offline(c);
    }
    warn_detour(c);
    info_active(c);
    info_followups(c);
    info_misc(c);
}
