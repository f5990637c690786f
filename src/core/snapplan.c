/*
 * Snapshot plans (see snapplan.h). Every refusal names its reason and, where a newer libvirt
 * would do it, the version; every plan says what state is lost, even when nothing is.
 */
#include "config.h"

#include "core/snapplan.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "base/i18n.h"
#include "base/util.h"
#include "core/snapplan_internal.h"

/* ---- building a plan ---- */

void sp_add_str(char ***v, size_t *n, char *s)
{
    *v = xrealloc(*v, (*n + 1) * sizeof(char *));
    (*v)[(*n)++] = s;
}

void sp_step(st_snapplan *p, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    sp_add_str(&p->steps, &p->n_steps, xvasprintf(fmt, ap));
    va_end(ap);
}

void sp_lost(st_snapplan *p, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    sp_add_str(&p->lost, &p->n_lost, xvasprintf(fmt, ap));
    va_end(ap);
}

void sp_call(st_snapplan *p, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    sp_add_str(&p->calls, &p->n_calls, xvasprintf(fmt, ap));
    va_end(ap);
}

void sp_hazard(st_snapplan *p, st_hazard_level l, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    p->hazards = xrealloc(p->hazards, (p->n_hazards + 1) * sizeof(st_hazard));
    p->hazards[p->n_hazards].level = l;
    p->hazards[p->n_hazards++].text = xvasprintf(fmt, ap);
    va_end(ap);
    if (l == ST_HAZ_REFUSE)
        p->refused = true;
}

st_snapplan *sp_plan_new(st_req_kind kind, const st_domain *d)
{
    st_snapplan *p = xcalloc(1, sizeof(*p));
    p->req.kind = kind;
    p->req.domain = d ? xstrdup0(d->name) : NULL;
    return p;
}

static void free_strv(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

void st_snapplan_free(st_snapplan *p)
{
    if (!p)
        return;
    free(p->title);
    free_strv(p->steps, p->n_steps);
    free_strv(p->lost, p->n_lost);
    free_strv(p->calls, p->n_calls);
    free_strv(p->left_files, p->n_left_files);
    free_strv(p->removed, p->n_removed);
    free_strv(p->kept, p->n_kept);
    for (size_t i = 0; i < p->n_merges; i++) {
        free(p->merges[i].target);
        free(p->merges[i].file);
    }
    free(p->merges);
    for (size_t i = 0; i < p->n_hazards; i++)
        free(p->hazards[i].text);
    free(p->hazards);
    st_request_clear(&p->req);
    free(p);
}

char *st_snapplan_reasons(const st_snapplan *p, st_hazard_level level)
{
    strbuf b;
    sb_init(&b);
    for (size_t i = 0; i < p->n_hazards; i++)
        if (p->hazards[i].level == level) {
            if (b.len)
                sb_add(&b, "; ");
            sb_add(&b, p->hazards[i].text);
        }
    if (!b.len) {
        sb_free(&b);
        return NULL;
    }
    return sb_steal(&b);
}

/* ---- model helpers ---- */

bool sp_domain_job_running(const st_host *h, const st_domain *d)
{
    for (size_t i = 0; h && i < h->n_jobs; i++)
        if (streq0(h->jobs[i].domain, d->name) && !st_job_phase_final(h->jobs[i].phase))
            return true;
    return false;
}

bool sp_dom_live(const st_domain *d)
{
    return d->state == ST_DOM_RUNNING || d->state == ST_DOM_PAUSED || d->state == ST_DOM_BLOCKED ||
           d->state == ST_DOM_PMSUSPENDED;
}

bool sp_snapshot_has_children(const st_domain *d, const char *name)
{
    for (size_t i = 0; i < d->n_snaps; i++)
        if (streq0(d->snaps[i].parent, name))
            return true;
    return false;
}

/* A disk that can never take part in a snapshot, and why (NULL: it can). */
const char *sp_disk_unfit(const st_disk *k)
{
    if (streq0(k->device, "cdrom") || streq0(k->device, "floppy"))
        return _("a removable-media drive");
    if (k->readonly)
        return _("a read-only disk");
    if (!k->source)
        return _("a disk without an image");
    return NULL;
}

/* Whether `path` is any layer of any chain of the domain, or a file of one of its snapshots. */
bool sp_domain_names_file(const st_domain *d, const char *path)
{
    for (size_t k = 0; k < d->n_disks; k++)
        for (size_t i = 0; i < d->disks[k].n_chain; i++)
            if (streq0(d->disks[k].chain[i].path, path))
                return true;
    for (size_t b = 0; b < d->n_branches; b++) {
        if (streq0(d->branches[b].file, path))
            return true;
        for (size_t i = 0; i < d->branches[b].n_chain; i++)
            if (streq0(d->branches[b].chain[i], path))
                return true;
    }
    for (size_t s = 0; s < d->n_snaps; s++) {
        if (streq0(d->snaps[s].memory_file, path))
            return true;
        for (size_t i = 0; i < d->snaps[s].n_disks; i++)
            if (streq0(d->snaps[s].disks[i].file, path))
                return true;
    }
    return false;
}

bool st_snap_domain_names_file(const st_domain *d, const char *path)
{
    return sp_domain_names_file(d, path);
}

static char *chain_user(const st_domain *d, const char *path, const sp_use_skip *skip)
{
    for (size_t k = 0; k < d->n_disks; k++)
        for (size_t i = 0; i < d->disks[k].n_chain; i++)
            if (streq0(d->disks[k].chain[i].path, path) &&
                !(d == skip->dom && i == 0 && streq0(d->disks[k].target, skip->active_disk)))
                return xasprintf(i ? _("the chain of %s of %s (below its active layer)")
                                   : _("the disk %s of %s"),
                                 d->disks[k].target, d->name);
    for (size_t b = 0; b < d->n_branches; b++) {
        const st_branch *br = &d->branches[b];
        bool in = streq0(br->file, path);
        for (size_t i = 0; i < br->n_chain && !in; i++)
            in = streq0(br->chain[i], path);
        if (in)
            return xasprintf(_("the detached branch %s of %s"), st_basename(br->file), d->name);
    }
    return NULL;
}

static bool names_file(const st_snapdisk *v, size_t n, const char *path)
{
    for (size_t i = 0; i < n; i++)
        if (streq0(v[i].file, path))
            return true;
    return false;
}

static bool names_image(const st_snapdisk *v, size_t n, const char *path)
{
    for (size_t i = 0; i < n; i++)
        if (streq0(v[i].image, path))
            return true;
    return false;
}

/* A snapshot's overlays, its memory file and the images it was taken of (what reverting to it
 * comes back to) are all its own. */
static char *snapshot_user(const st_domain *d, const char *path, const sp_use_skip *skip)
{
    for (size_t i = 0; i < d->n_snaps; i++) {
        const st_snapshot *s = &d->snaps[i];
        if (s == skip->snap)
            continue;
        bool named = streq0(s->memory_file, path) ||
                     names_file(s->revert_disks, s->n_revert_disks, path) ||
                     names_image(s->disks, s->n_disks, path) ||
                     (s != skip->swapped && names_file(s->disks, s->n_disks, path));
        if (named)
            return xasprintf(_("snapshot %s of %s"), s->name, d->name);
    }
    return NULL;
}

char *sp_file_user(const st_host *h, const char *path, const sp_use_skip *skip)
{
    for (size_t k = 0; h && path && k < h->n_doms; k++) {
        char *who = chain_user(&h->doms[k], path, skip);
        if (!who)
            who = snapshot_user(&h->doms[k], path, skip);
        if (who)
            return who;
    }
    return NULL;
}

/* ---- names ---- */

char *st_snap_default_name(time_t t)
{
    struct tm tm;
    char buf[32] = "snapshot";
    if (localtime_r(&t, &tm))
        strftime(buf, sizeof(buf), "%Y%m%d-%H%M%S", &tm);
    return xstrdup(buf);
}

/* A name as one file-name component: '/' and control characters become '_'. */
static void add_component(strbuf *b, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++)
        sb_addc(b, (*p == '/' || *p < 0x20 || *p == 0x7f) ? '_' : (char)*p);
}

char *st_snap_default_file(const char *image, const char *domain, const char *snap,
                           const char *suffix)
{
    char *dir = image && image[0] == '/' ? st_dirname(image) : xstrdup("/var/lib/libvirt/images");
    strbuf b;
    sb_init(&b);
    sb_add(&b, dir);
    sb_addc(&b, '/');
    add_component(&b, domain);
    sb_addc(&b, '_');
    add_component(&b, snap);
    sb_add(&b, suffix ? suffix : ".qcow2");
    free(dir);
    return sb_steal(&b);
}

static const char *first_image(const st_domain *d)
{
    for (size_t k = 0; k < d->n_disks; k++)
        if (!sp_disk_unfit(&d->disks[k]))
            return d->disks[k].source;
    return NULL;
}

char *st_snap_default_memfile(const st_domain *d, const char *snap)
{
    return st_snap_default_file(first_image(d), d->name, snap, ".mem");
}

char *st_snap_default_overlay(const st_domain *d, const char *target, const char *snap)
{
    const st_disk *disk = st_domain_find_disk(d, target);
    if (!disk)
        return NULL;
    /* Several disks in one snapshot: each overlay carries its disk's name. */
    size_t fit = 0;
    for (size_t k = 0; k < d->n_disks; k++)
        fit += sp_disk_unfit(&d->disks[k]) == NULL;
    char *suffix = fit > 1 ? xasprintf("_%s.qcow2", disk->target) : xstrdup(".qcow2");
    char *file = st_snap_default_file(disk->source, d->name, snap, suffix);
    free(suffix);
    return file;
}

void st_snap_default_diskspecs(const st_domain *d, st_snap_kind kind, const char *snap,
                               st_snap_diskspec **out, size_t *n)
{
    *n = d->n_disks;
    *out = d->n_disks ? xcalloc(d->n_disks, sizeof(st_snap_diskspec)) : NULL;
    for (size_t k = 0; k < d->n_disks; k++) {
        const st_disk *disk = &d->disks[k];
        st_snap_diskspec *ds = &(*out)[k];
        ds->target = xstrdup0(disk->target);
        const char *kind_s = "no";
        if (!sp_disk_unfit(disk) && kind == ST_SNAP_KIND_INTERNAL && streq0(disk->format, "qcow2"))
            kind_s = "internal";
        else if (!sp_disk_unfit(disk) && kind != ST_SNAP_KIND_INTERNAL)
            kind_s = "external";
        ds->snapshot = xstrdup(kind_s);
        if (strcmp(kind_s, "external") == 0)
            ds->file = st_snap_default_overlay(d, disk->target, snap);
    }
}

/*
 * An internal snapshot lives inside the image that was the disk's active layer when it was taken.
 * Once an external snapshot moved the disk onto an overlay, libvirt (9.0 and 11.3 alike) refuses
 * to delete it while the domain runs ("disk image … is not the same as disk image currently used
 * by VM"); a shut-off domain's is deleted from inside that image.
 */
void sp_check_internal_delete(st_snapplan *p, const st_domain *d, const st_snapshot *s)
{
    for (size_t i = 0; sp_dom_live(d) && i < s->n_disks; i++) {
        const st_snapdisk *sd = &s->disks[i];
        if (streq0(sd->snapshot, "no") || streq0(sd->snapshot, "external") || !sd->image)
            continue;
        const st_disk *k = st_domain_find_disk(d, sd->target);
        if (k && k->source && !streq0(k->source, sd->image))
            sp_hazard(p, ST_HAZ_REFUSE,
                      _("%s: the internal snapshot %s lives in %s, but the running domain "
                        "writes to %s (an external snapshot moved it onto an overlay): libvirt "
                        "deletes it only while the domain is shut off (or delete its metadata "
                        "only)"),
                      sd->target, s->name, sd->image, k->source);
    }
}

/* ---- save, restore, managed save ---- */

st_snapplan *st_snapplan_save(const st_host *h, const st_domain *d, const char *path,
                              unsigned flags, st_exists_fn exists, void *ctx)
{
    st_snapplan *p = sp_plan_new(ST_REQ_SAVE, d);
    p->req.path = xstrdup0(path);
    p->req.flags = flags & (ST_F_RUNNING | ST_F_PAUSED);
    p->title = xasprintf(_("Save %s to a file"), d->name);
    if (!sp_dom_live(d))
        sp_hazard(p, ST_HAZ_REFUSE, _("%s is not running: there is no memory to save"), d->name);
    if (sp_domain_job_running(h, d))
        sp_hazard(p, ST_HAZ_REFUSE, _("a job runs on %s: wait until it ends"), d->name);
    if (!path || path[0] != '/')
        sp_hazard(p, ST_HAZ_REFUSE, "%s", _("the save file must be an absolute path"));
    else if (exists && exists(path, ctx))
        sp_hazard(p, ST_HAZ_REFUSE, _("%s already exists; a save never writes over a file"), path);
    sp_step(p,
            _("the memory and device state of %s go to %s (progress shown), then the domain "
              "stops"),
            d->name, path ? path : "?");
    sp_step(p, (flags & ST_F_PAUSED) ? _("a restore will leave it paused")
               : (flags & ST_F_RUNNING)
                   ? _("a restore will leave it running")
                   : _("a restore will leave it as it was (running or paused)"));
    sp_call(p, "virDomainSaveFlags(%s, %s, NULL, %s)", d->name, path ? path : "?",
            (flags & ST_F_PAUSED)    ? "PAUSED"
            : (flags & ST_F_RUNNING) ? "RUNNING"
                                     : "0");
    sp_hazard(p, ST_HAZ_WARN, "%s",
              _("do not start the domain from its disks before restoring: the saved memory "
                "expects the disks as they are now, and a restore after they changed corrupts the "
                "guest's filesystems"));
    sp_lost(p, "%s",
            _("nothing while you restore from the file; the file is the only copy of the "
              "guest's memory"));
    return p;
}

/*
 * libvirt restores the definition in the file: a disk moved since the save (a snapshot, a revert
 * by branching) is ignored, and the guest writes into the image it was saved with, which may now
 * be the backing file of the image the domain names.
 */
static void check_saved_disks(st_snapplan *p, const st_domain *d, const st_facts *saved)
{
    for (size_t i = 0; d && saved && i < saved->n_saved_disks; i++) {
        const st_saved_disk *sd = &saved->saved_disks[i];
        const st_disk *k = st_domain_find_disk(d, sd->target);
        if (sd->source && k && k->source && !streq0(k->source, sd->source))
            sp_hazard(p, ST_HAZ_WARN,
                      _("%s was saved on %s, but the domain now names %s (a snapshot or a revert "
                        "by branching moved the disk since): the restored guest runs and writes "
                        "on the image it was saved with, even where that is now a backing file, "
                        "and the image named now is used only from the next cold start"),
                      sd->target, sd->source, k->source);
    }
}

st_snapplan *st_snapplan_restore(const st_host *h, const char *path, const char *domain,
                                 bool restored, const st_facts *saved, unsigned flags,
                                 st_exists_fn exists, void *ctx)
{
    st_snapplan *p = sp_plan_new(ST_REQ_RESTORE, NULL);
    p->req.path = xstrdup0(path);
    p->req.domain = xstrdup0(domain);
    p->req.flags = flags & (ST_F_RUNNING | ST_F_PAUSED);
    p->title = xasprintf(_("Restore from %s"), path ? st_basename(path) : "?");
    if (!path || path[0] != '/')
        sp_hazard(p, ST_HAZ_REFUSE, "%s", _("the save file must be an absolute path"));
    else if (exists && !exists(path, ctx))
        sp_hazard(p, ST_HAZ_REFUSE, _("%s does not exist"), path);
    const st_domain *d = domain ? st_host_find_domain(h, domain) : NULL;
    if (d && sp_dom_live(d))
        sp_hazard(p, ST_HAZ_REFUSE,
                  _("%s is running: libvirt restores only a domain that is not "
                    "(shut it off first, which loses its current state)"),
                  domain);
    if (d && d->managed_save)
        sp_hazard(p, ST_HAZ_WARN,
                  _("%s also has a managed save image, which this restore "
                    "ignores"),
                  domain);
    check_saved_disks(p, d, saved);
    if (restored)
        sp_hazard(p, ST_HAZ_WARN, "%s",
                  _("this file was restored before: if the domain ran since, its disks changed and "
                    "restoring the old memory again may corrupt the guest's filesystems"));
    /* libvirt 9.0 reports no job while restoring: only this machine can watch the file read. */
    sp_step(p,
            h && h->local ? _("the domain %s is brought back from %s (progress: how much of the "
                              "file has been read)")
                          : _("the domain %s is brought back from %s (libvirt reports no "
                              "progress for a restore: the job shows as running until it ends)"),
            domain ? domain : "?", path ? path : "?");
    sp_call(p, "virDomainRestoreFlags(%s, NULL, %s)", path ? path : "?",
            (flags & ST_F_PAUSED)    ? "PAUSED"
            : (flags & ST_F_RUNNING) ? "RUNNING"
                                     : "0");
    sp_lost(p, "%s", _("nothing: the file stays"));
    return p;
}

st_snapplan *st_snapplan_managedsave_remove(const st_host *h, const st_domain *d)
{
    (void)h;
    st_snapplan *p = sp_plan_new(ST_REQ_MANAGEDSAVE_REMOVE, d);
    p->title = xasprintf(_("Remove the managed save image of %s"), d->name);
    if (!d->managed_save)
        sp_hazard(p, ST_HAZ_REFUSE, _("%s has no managed save image"), d->name);
    sp_step(p, _("libvirt removes the saved memory of %s; its next start boots from the disks"),
            d->name);
    sp_call(p, "virDomainManagedSaveRemove(%s)", d->name);
    sp_lost(p, "%s",
            _("the guest's saved memory: like pulling the power cord of a suspended "
              "machine (unsaved work in the guest is gone)"));
    return p;
}

st_snapplan *st_snapplan_remove_files(const st_host *h, const char *domain, char *const *paths,
                                      size_t n)
{
    st_snapplan *p = sp_plan_new(ST_REQ_REMOVE_FILES, NULL);
    p->req.domain = xstrdup0(domain);
    p->title = xstrdup(_("Remove files left behind"));
    p->req.paths = n ? xcalloc(n, sizeof(char *)) : NULL;
    for (size_t i = 0; i < n; i++) {
        p->req.paths[p->req.n_paths++] = xstrdup(paths[i]);
        for (size_t k = 0; h && k < h->n_doms; k++)
            if (sp_domain_names_file(&h->doms[k], paths[i]))
                sp_hazard(p, ST_HAZ_REFUSE, _("%s is still named by %s: it is not removed"),
                          paths[i], h->doms[k].name);
        if (!paths[i] || paths[i][0] != '/')
            sp_hazard(p, ST_HAZ_REFUSE, "%s", _("only absolute paths are removed"));
        sp_step(p, _("remove %s"), paths[i] ? paths[i] : "?");
        sp_call(p, "unlink(%s)", paths[i] ? paths[i] : "?");
    }
    sp_lost(p, "%s", _("the files' contents (no snapshot names them any more)"));
    return p;
}
