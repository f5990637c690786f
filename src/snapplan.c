/*
 * Snapshot plans (see snapplan.h). Every refusal names its reason and, where a newer libvirt
 * would do it, the version; every plan says what state is lost, even when nothing is.
 */
#include "config.h"

#include "snapplan.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "i18n.h"
#include "util.h"

/* libvirt 9.0 deletes external snapshots; 9.9 reverts them. */
#define LV_EXTERNAL_DELETE      9000000UL
#define LV_EXTERNAL_REVERT_NAME "9.9.0"

/* ---- building a plan ---- */

static void add_str(char ***v, size_t *n, char *s)
{
    *v = xrealloc(*v, (*n + 1) * sizeof(char *));
    (*v)[(*n)++] = s;
}

static void step(st_snapplan *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void step(st_snapplan *p, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    add_str(&p->steps, &p->n_steps, xvasprintf(fmt, ap));
    va_end(ap);
}

static void lost(st_snapplan *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void lost(st_snapplan *p, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    add_str(&p->lost, &p->n_lost, xvasprintf(fmt, ap));
    va_end(ap);
}

static void call(st_snapplan *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void call(st_snapplan *p, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    add_str(&p->calls, &p->n_calls, xvasprintf(fmt, ap));
    va_end(ap);
}

static void hazard(st_snapplan *p, st_hazard_level l, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void hazard(st_snapplan *p, st_hazard_level l, const char *fmt, ...)
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

static st_snapplan *plan_new(st_req_kind kind, const st_domain *d)
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

static bool domain_job_running(const st_host *h, const st_domain *d)
{
    for (size_t i = 0; h && i < h->n_jobs; i++)
        if (streq0(h->jobs[i].domain, d->name) && !st_job_phase_final(h->jobs[i].phase))
            return true;
    return false;
}

static bool dom_live(const st_domain *d)
{
    return d->state == ST_DOM_RUNNING || d->state == ST_DOM_PAUSED || d->state == ST_DOM_BLOCKED ||
           d->state == ST_DOM_PMSUSPENDED;
}

static bool snapshot_has_children(const st_domain *d, const char *name)
{
    for (size_t i = 0; i < d->n_snaps; i++)
        if (streq0(d->snaps[i].parent, name))
            return true;
    return false;
}

/* A disk that can never take part in a snapshot, and why (NULL: it can). */
static const char *disk_unfit(const st_disk *k)
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
static bool domain_names_file(const st_domain *d, const char *path)
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
        if (!disk_unfit(&d->disks[k]))
            return d->disks[k].source;
    return NULL;
}

char *st_snap_default_memfile(const st_domain *d, const char *snap)
{
    return st_snap_default_file(first_image(d), d->name, snap, ".mem");
}

void st_snap_default_diskspecs(const st_domain *d, st_snap_kind kind, const char *snap,
                               st_snap_diskspec **out, size_t *n)
{
    size_t fit = 0;
    for (size_t k = 0; k < d->n_disks; k++)
        fit += disk_unfit(&d->disks[k]) == NULL;
    *n = d->n_disks;
    *out = d->n_disks ? xcalloc(d->n_disks, sizeof(st_snap_diskspec)) : NULL;
    for (size_t k = 0; k < d->n_disks; k++) {
        const st_disk *disk = &d->disks[k];
        st_snap_diskspec *ds = &(*out)[k];
        ds->target = xstrdup0(disk->target);
        const char *kind_s = "no";
        if (!disk_unfit(disk) && kind == ST_SNAP_KIND_INTERNAL && streq0(disk->format, "qcow2"))
            kind_s = "internal";
        else if (!disk_unfit(disk) && kind != ST_SNAP_KIND_INTERNAL)
            kind_s = "external";
        ds->snapshot = xstrdup(kind_s);
        if (strcmp(kind_s, "external") == 0) {
            char *suffix = fit > 1 ? xasprintf("_%s.qcow2", disk->target) : xstrdup(".qcow2");
            ds->file = st_snap_default_file(disk->source, d->name, snap, suffix);
            free(suffix);
        }
    }
}

/* ---- create ---- */

static bool name_ok(st_snapplan *p, const st_domain *d, const char *name)
{
    if (!name || !*name) {
        hazard(p, ST_HAZ_REFUSE, "%s", _("the snapshot needs a name"));
        return false;
    }
    if (strchr(name, '/')) {
        hazard(p, ST_HAZ_REFUSE, "%s", _("libvirt does not accept '/' in a snapshot name"));
        return false;
    }
    if (st_domain_find_snapshot(d, name)) {
        hazard(p, ST_HAZ_REFUSE, _("%s already has a snapshot named %s"), d->name, name);
        return false;
    }
    return true;
}

/* Checks an overlay or memory file name: absolute, new, named by nothing. */
static void check_new_file(st_snapplan *p, const st_domain *d, const char *what, const char *file,
                           st_exists_fn exists, void *ctx)
{
    if (!file || file[0] != '/') {
        hazard(p, ST_HAZ_REFUSE, _("%s: the file name must be an absolute path"), what);
        return;
    }
    if (domain_names_file(d, file)) {
        hazard(p, ST_HAZ_REFUSE, _("%s: %s is already used by the domain or one of its snapshots"),
               what, file);
        return;
    }
    if (exists && exists(file, ctx))
        hazard(p, ST_HAZ_REFUSE,
               _("%s: %s already exists; a snapshot never writes over an existing file"), what,
               file);
}

typedef struct disk_counts {
    size_t internal, external, none;
} disk_counts;

static void check_create_disk(st_snapplan *p, const st_domain *d, const st_request *f,
                              const st_snap_diskspec *ds, disk_counts *c, st_exists_fn exists,
                              void *ctx)
{
    const st_disk *k = st_domain_find_disk(d, ds->target);
    if (!k) {
        hazard(p, ST_HAZ_REFUSE, _("%s has no disk %s"), d->name, ds->target);
        return;
    }
    if (streq0(ds->snapshot, "no")) {
        c->none++;
        /* QEMU's savevm (libvirt 9.0's internal snapshot of a live guest) takes every writable
         * disk: libvirt refuses "disk must use snapshot mode 'internal'". */
        if (!disk_unfit(k) && f->snap_kind == ST_SNAP_KIND_INTERNAL && dom_live(d))
            hazard(p, ST_HAZ_REFUSE,
                   _("%s cannot be left out: an internal snapshot of a running domain covers "
                     "every writable disk%s (shut the domain off, or take an external "
                     "snapshot)"),
                   ds->target, streq0(k->format, "qcow2") ? "" : _(", and this one is not qcow2"));
        else if (!disk_unfit(k))
            hazard(p, ST_HAZ_INFO,
                   _("%s is not part of this snapshot: reverting to it leaves "
                     "that disk as it is then"),
                   ds->target);
        return;
    }
    const char *why = disk_unfit(k);
    if (why) {
        hazard(p, ST_HAZ_REFUSE, _("%s is %s: it cannot take a snapshot (choose 'no' for it)"),
               ds->target, why);
        return;
    }
    if (streq0(ds->snapshot, "internal")) {
        c->internal++;
        if (!streq0(k->format, "qcow2"))
            hazard(p, ST_HAZ_REFUSE,
                   _("%s is a %s image: internal snapshots live inside qcow2 images only "
                     "(choose external or 'no')"),
                   ds->target, k->format ? k->format : _("unknown format"));
        if (f->snap_kind == ST_SNAP_KIND_DISK_ONLY && dom_live(d))
            hazard(p, ST_HAZ_REFUSE,
                   _("%s: a running domain cannot take an internal disk-only snapshot (take an "
                     "internal snapshot with memory, or an external one)"),
                   ds->target);
        return;
    }
    c->external++;
    char *what = xasprintf(_("overlay of %s"), ds->target);
    check_new_file(p, d, what, ds->file, exists, ctx);
    free(what);
    step(p, _("%s: new overlay %s on top of %s; the disk then writes there"), ds->target,
         ds->file ? ds->file : "?", k->source);
}

static void check_duplicate_files(st_snapplan *p, const st_request *f)
{
    for (size_t i = 0; i < f->n_diskspecs; i++)
        for (size_t j = i + 1; j < f->n_diskspecs; j++)
            if (f->diskspecs[i].file && streq0(f->diskspecs[i].file, f->diskspecs[j].file) &&
                streq0(f->diskspecs[i].snapshot, "external") &&
                streq0(f->diskspecs[j].snapshot, "external"))
                hazard(p, ST_HAZ_REFUSE, _("%s and %s would both write to %s"),
                       f->diskspecs[i].target, f->diskspecs[j].target, f->diskspecs[i].file);
    if (f->snap_kind == ST_SNAP_KIND_MEMORY)
        for (size_t i = 0; i < f->n_diskspecs; i++)
            if (streq0(f->diskspecs[i].file, f->path))
                hazard(p, ST_HAZ_REFUSE, _("the memory file and the overlay of %s are the same"),
                       f->diskspecs[i].target);
}

/* The kind of snapshot the domain already has, against the new one: warn before mixing. */
static void check_mixing(st_snapplan *p, const st_domain *d, bool new_external)
{
    size_t internal = 0, external = 0;
    for (size_t i = 0; i < d->n_snaps; i++) {
        if (d->snaps[i].external)
            external++;
        else
            internal++;
    }
    if (new_external ? !internal : !external)
        return;
    p->mixing = true;
    hazard(p, ST_HAZ_WARN,
           new_external
               ? _("%s already has %zu internal snapshot(s) and this one is external. Mixing the "
                   "two kinds has lost data in other tools: libvirt 9.0 cannot delete an "
                   "external snapshot whose parent is internal, and reverting to an internal "
                   "snapshot does not see data in later overlays. You will be asked a second time.")
               : _("%s already has %zu external snapshot(s) and this one is internal. Mixing the "
                   "two kinds has lost data in other tools: an internal snapshot is stored in the "
                   "image the disk writes to now (an overlay), and libvirt 9.0 cannot delete "
                   "external snapshots whose parent is internal. You will be asked a second time."),
           d->name, new_external ? internal : external);
}

static void check_kind(st_snapplan *p, const st_domain *d, const st_request *f,
                       const disk_counts *c)
{
    if (c->internal && c->external)
        hazard(p, ST_HAZ_REFUSE, "%s",
               _("libvirt 9.0 cannot mix internal and external disks in one snapshot: choose one "
                 "kind for every disk"));
    if (f->snap_kind != ST_SNAP_KIND_MEMORY && !c->internal && !c->external)
        hazard(p, ST_HAZ_REFUSE, "%s", _("no disk takes part in this snapshot"));
    if (f->snap_kind == ST_SNAP_KIND_INTERNAL && c->external)
        hazard(p, ST_HAZ_REFUSE, "%s",
               _("an internal snapshot keeps every disk inside its qcow2 image: choose "
                 "'external disk-only' for overlays"));
    if (f->snap_kind == ST_SNAP_KIND_MEMORY) {
        if (!dom_live(d))
            hazard(p, ST_HAZ_REFUSE,
                   _("%s is not running: it has no memory to save (take a "
                     "disk-only snapshot)"),
                   d->name);
        if (c->internal)
            hazard(p, ST_HAZ_REFUSE, "%s",
                   _("a snapshot with an external memory file takes external disks (or none)"));
        char *what = xstrdup(_("memory file"));
        check_new_file(p, d, what, f->path, NULL, NULL);
        free(what);
    }
    if ((f->flags & ST_F_LIVE) &&
        (f->snap_kind != ST_SNAP_KIND_MEMORY || d->state != ST_DOM_RUNNING))
        hazard(p, ST_HAZ_REFUSE, "%s",
               _("live applies only to an external snapshot with memory of a running domain"));
    if (f->flags & ST_F_QUIESCE) {
        if (!d->has_agent)
            hazard(p, ST_HAZ_REFUSE,
                   _("%s has no guest agent channel: its filesystems cannot "
                     "be quiesced"),
                   d->name);
        else if (!dom_live(d) || f->snap_kind == ST_SNAP_KIND_INTERNAL)
            hazard(p, ST_HAZ_REFUSE, "%s",
                   _("quiesce needs a running guest and an external snapshot"));
    } else if (d->has_agent && dom_live(d) && f->snap_kind == ST_SNAP_KIND_DISK_ONLY) {
        hazard(p, ST_HAZ_INFO, "%s",
               _("a guest agent is present: quiesce would make the disks consistent for the "
                 "guest's filesystems"));
    }
}

static unsigned create_flags_text(const st_request *f, strbuf *b)
{
    sb_add(b, "VALIDATE | ATOMIC");
    if (f->snap_kind == ST_SNAP_KIND_DISK_ONLY)
        sb_add(b, " | DISK_ONLY");
    if (f->flags & ST_F_QUIESCE)
        sb_add(b, " | QUIESCE");
    if (f->flags & ST_F_LIVE)
        sb_add(b, " | LIVE");
    return 0;
}

static void create_steps(st_snapplan *p, const st_domain *d, const st_request *f)
{
    switch (f->snap_kind) {
    case ST_SNAP_KIND_INTERNAL:
        step(p, dom_live(d) ? _("the guest is paused while its memory and disks are saved "
                                "inside the qcow2 images, then resumes")
                            : _("the disks' state is saved inside their qcow2 images"));
        break;
    case ST_SNAP_KIND_DISK_ONLY:
        step(p, "%s",
             _("the images the disks use now become read-only backing files of the new "
               "overlays (all disks at once: ATOMIC)"));
        break;
    case ST_SNAP_KIND_MEMORY:
        step(p,
             (f->flags & ST_F_LIVE)
                 ? _("memory goes to %s while the guest keeps running")
                 : _("the guest is paused while its memory goes to %s, then resumes"),
             f->path ? f->path : "?");
        break;
    }
    strbuf b;
    sb_init(&b);
    create_flags_text(f, &b);
    call(p, "virDomainSnapshotCreateXML(%s, <domainsnapshot>, %s)", d->name, b.s);
    sb_free(&b);
    lost(p, "%s", _("nothing: taking a snapshot changes no data"));
}

st_snapplan *st_snapplan_create(const st_host *h, const st_domain *d, const st_request *form,
                                st_exists_fn exists, void *ctx)
{
    st_snapplan *p = plan_new(ST_REQ_SNAPSHOT_CREATE, d);
    st_request_clear(&p->req);
    st_request_copy(&p->req, form);
    p->req.kind = ST_REQ_SNAPSHOT_CREATE;
    free(p->req.domain);
    p->req.domain = xstrdup(d->name);
    p->title = xasprintf(_("Snapshot %s of %s"), form->snapshot ? form->snapshot : "", d->name);
    if (domain_job_running(h, d))
        hazard(p, ST_HAZ_REFUSE, _("a job runs on %s: wait until it ends"), d->name);
    name_ok(p, d, form->snapshot);
    disk_counts c = {0};
    for (size_t i = 0; i < form->n_diskspecs; i++)
        check_create_disk(p, d, form, &form->diskspecs[i], &c, exists, ctx);
    check_duplicate_files(p, form);
    check_kind(p, d, form, &c);
    if (form->snap_kind == ST_SNAP_KIND_MEMORY && form->path && exists && exists(form->path, ctx))
        hazard(p, ST_HAZ_REFUSE, _("memory file: %s already exists"), form->path);
    check_mixing(p, d, c.external > 0 || form->snap_kind == ST_SNAP_KIND_MEMORY);
    create_steps(p, d, form);
    return p;
}

/*
 * An internal snapshot lives inside the image that was the disk's active layer when it was taken.
 * Once an external snapshot moved the disk onto an overlay, libvirt 9.0 refuses to delete it
 * ("disk image … is not the same as disk image currently used by VM") and cannot revert to it.
 */
static void check_internal_home(st_snapplan *p, const st_domain *d, const st_snapshot *s,
                                const char *what)
{
    for (size_t i = 0; i < s->n_disks; i++) {
        const st_snapdisk *sd = &s->disks[i];
        if (streq0(sd->snapshot, "no") || streq0(sd->snapshot, "external") || !sd->image)
            continue;
        const st_disk *k = st_domain_find_disk(d, sd->target);
        if (k && k->source && !streq0(k->source, sd->image))
            hazard(p, ST_HAZ_REFUSE,
                   _("%s: the internal snapshot %s lives in %s, but the disk now uses %s (an "
                     "external snapshot moved it onto an overlay): libvirt 9.0 cannot %s it "
                     "(delete its metadata only, or merge the overlays back first)"),
                   sd->target, s->name, sd->image, k->source, what);
    }
}

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
        lost(p,
             _("everything written to the disks since snapshot %s (the current one) was "
               "taken, unless a branch keeps it"),
             cur->name);
    else
        lost(p,
             _("everything written to the disks since %s was taken, unless a branch keeps "
               "it"),
             s->name);
    if (dom_live(d))
        lost(p, _("the running guest's memory and device state: %s is stopped first"), d->name);
}

static void revert_result_step(st_snapplan *p, const st_snapshot *s, unsigned flags)
{
    if (flags & ST_F_RUNNING)
        step(p, "%s", _("afterwards the domain runs"));
    else if (flags & ST_F_PAUSED)
        step(p, "%s", _("afterwards the domain is paused"));
    else if (streq0(s->state, "running") || streq0(s->state, "paused"))
        step(p, _("afterwards the domain is %s, as when the snapshot was taken"), s->state);
    else
        step(p, "%s", _("afterwards the domain is shut off, as when the snapshot was taken"));
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
    call(p, "virDomainRevertToSnapshot(%s, %s)", s->name, b.len ? b.s : "0");
    sb_free(&b);
}

static void revert_libvirt(st_snapplan *p, const st_domain *d, const st_snapshot *s, unsigned flags)
{
    step(p,
         s->memory ? _("the disks and the memory go back to snapshot %s")
                   : _("the disks go back to snapshot %s"),
         s->name);
    revert_result_step(p, s, flags);
    revert_flags_call(p, s, flags);
    revert_lost(p, d, s);
    if (flags & ST_F_FORCE)
        hazard(p, ST_HAZ_WARN, "%s",
               _("FORCE: libvirt refused without it (the revert is risky: for example the "
                 "snapshot's configuration differs or a running guest must be replaced)"));
}

/* Why an external snapshot cannot be branched here, or NULL. */
static const char *branch_blocker(const st_host *h, const st_domain *d, const st_snapshot *s)
{
    if (s->memory)
        return _("it holds memory state, which only a libvirt revert can load");
    if (dom_live(d))
        return _("the domain is running: shut it off first, then revert (by branching)");
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
        hazard(p, ST_HAZ_REFUSE,
               _("%s: the snapshot's overlay %s is in no chain this tool can see (not in the "
                 "disk's chain or a detached branch): the image as it was at %s is not known"),
               sd->target, sd->file ? sd->file : "?", s->name);
        return false;
    }
    char stamp[32];
    struct tm tm;
    strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", localtime_r(&now, &tm) ? &tm : NULL);
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
    step(p, _("%s: new overlay %s on %s (the image as it was at %s)"), sd->target, file, base,
         s->name);
    step(p, _("%s: leaves %s, which stays with all its data as a detached branch"), sd->target,
         k->chain[0].path);
    call(p, "qemu-img create -f qcow2 -b %s -F %s %s", base, ds->base_format, file);
    return true;
}

static void revert_branch(st_snapplan *p, const st_host *h, const st_domain *d,
                          const st_snapshot *s, unsigned flags, time_t now)
{
    const char *why = branch_blocker(h, d, s);
    if (why) {
        hazard(p, ST_HAZ_REFUSE,
               _("libvirt %s cannot revert to an external snapshot (libvirt %s can), and this "
                 "tool cannot branch here: %s"),
               h->libvirt_version ? h->libvirt_version : "?", LV_EXTERNAL_REVERT_NAME, why);
        return;
    }
    p->branching = true;
    p->req.flags |= ST_F_BRANCH;
    p->req.diskspecs = xcalloc(s->n_disks ? s->n_disks : 1, sizeof(st_snap_diskspec));
    step(p,
         _("libvirt %s has no external revert: a new overlay is created on the snapshot's "
           "image of each disk and the disk is pointed at it (a branch)"),
         h->libvirt_version ? h->libvirt_version : "?");
    size_t ext = 0;
    for (size_t i = 0; i < s->n_disks; i++)
        ext += streq0(s->disks[i].snapshot, "external");
    for (size_t i = 0; i < s->n_disks; i++) {
        const st_snapdisk *sd = &s->disks[i];
        if (streq0(sd->snapshot, "no")) {
            hazard(p, ST_HAZ_INFO, _("%s was not part of %s: it keeps its current data"),
                   sd->target, s->name);
            continue;
        }
        if (!streq0(sd->snapshot, "external") && !(sd->file && !sd->snapshot)) {
            hazard(p, ST_HAZ_REFUSE,
                   _("%s: the snapshot holds this disk internally, which "
                     "branching cannot revert"),
                   sd->target);
            continue;
        }
        branch_disk(p, d, s, sd, now, ext > 1, &p->req.n_diskspecs);
    }
    call(p,
         "virDomainDefineXML(%s: disks on the new overlays, the branches recorded in "
         "<metadata>)",
         d->name);
    call(p, "virDomainSnapshotCreateXML(%s, REDEFINE | CURRENT)", s->name);
    if (flags & (ST_F_RUNNING | ST_F_PAUSED))
        call(p, "virDomainCreateWithFlags(%s, %s)", d->name,
             (flags & ST_F_PAUSED) ? "START_PAUSED" : "0");
    step(p, (flags & (ST_F_RUNNING | ST_F_PAUSED)) ? _("afterwards the domain is started")
                                                   : _("afterwards the domain stays shut off"));
    lost(p, "%s",
         _("nothing is deleted: the data written since the snapshot stays in the old "
           "overlays, shown as detached branches of the domain"));
}

st_snapplan *st_snapplan_revert(const st_host *h, const st_domain *d, const char *snap,
                                unsigned flags, time_t now)
{
    st_snapplan *p = plan_new(ST_REQ_REVERT, d);
    p->req.snapshot = xstrdup0(snap);
    p->req.flags = flags & (ST_F_RUNNING | ST_F_PAUSED | ST_F_FORCE);
    p->title = xasprintf(_("Revert %s to snapshot %s"), d->name, snap ? snap : "");
    const st_snapshot *s = st_domain_find_snapshot(d, snap);
    if (!s) {
        hazard(p, ST_HAZ_REFUSE, _("%s has no snapshot named %s"), d->name, snap ? snap : "");
        return p;
    }
    if (domain_job_running(h, d))
        hazard(p, ST_HAZ_REFUSE, _("a job runs on %s: wait until it ends"), d->name);
    if ((flags & ST_F_RUNNING) && (flags & ST_F_PAUSED))
        hazard(p, ST_HAZ_REFUSE, "%s", _("choose running or paused, not both"));
    if (!s->external)
        check_internal_home(p, d, s, _("revert to"));
    if (!s->external || h->external_revert)
        revert_libvirt(p, d, s, flags);
    else
        revert_branch(p, h, d, s, flags, now);
    return p;
}

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

static void delete_external(st_snapplan *p, const st_host *h, const st_domain *d,
                            const st_snapshot *s)
{
    if (h->libvirt_ver && h->libvirt_ver < LV_EXTERNAL_DELETE) {
        hazard(p, ST_HAZ_REFUSE,
               _("%s is external: libvirt %s cannot delete external snapshots "
                 "(9.0 can); delete its metadata only"),
               s->name, h->libvirt_version ? h->libvirt_version : "?");
        return;
    }
    const st_snapshot *parent = s->parent ? st_domain_find_snapshot(d, s->parent) : NULL;
    if (parent && !parent->external)
        hazard(p, ST_HAZ_REFUSE,
               _("%s is external and its parent %s is internal: libvirt 9.0 "
                 "refuses to delete it (delete its metadata only)"),
               s->name, parent->name);
    if (!dom_live(d) && snapshot_has_children(d, s->name))
        hazard(p, ST_HAZ_REFUSE,
               _("%s is an external snapshot with children and %s is shut "
                 "off: libvirt 9.0 cannot delete it (start the domain, "
                 "delete the children first, or delete metadata only)"),
               s->name, d->name);
    for (size_t i = 0; i < s->n_disks; i++) {
        const st_snapdisk *sd = &s->disks[i];
        if (!streq0(sd->snapshot, "external"))
            continue;
        if (!overlay_in_chain(d, sd)) {
            hazard(p, ST_HAZ_REFUSE,
                   _("%s: overlay %s of %s is not in the disk's chain (it is "
                     "in a detached branch, or gone): libvirt can only merge "
                     "overlays of the chain the disk uses; delete metadata "
                     "only"),
                   sd->target, sd->file ? sd->file : "?", s->name);
            continue;
        }
        step(p,
             dom_live(d) ? _("%s: %s is merged into the image below it by a block job "
                             "(progress shown) and removed")
                         : _("%s: %s is merged into the image below it (libvirt runs QEMU "
                             "paused for it) and removed"),
             sd->target, sd->file);
    }
    if (s->memory_file) {
        add_str(&p->left_files, &p->n_left_files, xstrdup(s->memory_file));
        step(p,
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
                step(p, _("%s: %s stays (libvirt forgets only the snapshot)"), s->disks[i].target,
                     s->disks[i].file);
        if (s->memory_file) {
            add_str(&p->left_files, &p->n_left_files, xstrdup(s->memory_file));
            step(p, _("the memory file %s stays: you are offered to remove it afterwards"),
                 s->memory_file);
        }
        if (!s->external)
            hazard(p, ST_HAZ_WARN,
                   _("%s is internal: its data stays inside the qcow2 images, "
                     "where only qemu-img snapshot -d can remove it"),
                   s->name);
        return;
    }
    if (s->external) {
        delete_external(p, h, d, s);
    } else {
        check_internal_home(p, d, s, _("delete"));
        step(p, _("%s is removed from inside the qcow2 images"), s->name);
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
    call(p, "virDomainSnapshotDelete(%s, %s)", snap, b.len ? b.s : "0");
    sb_free(&b);
}

st_snapplan *st_snapplan_delete(const st_host *h, const st_domain *d, const char *snap,
                                unsigned flags)
{
    st_snapplan *p = plan_new(ST_REQ_SNAPSHOT_DELETE, d);
    p->req.snapshot = xstrdup0(snap);
    p->req.flags = flags & (ST_F_CHILDREN | ST_F_CHILDREN_ONLY | ST_F_METADATA_ONLY);
    p->title = xasprintf(_("Delete snapshot %s of %s"), snap ? snap : "", d->name);
    const st_snapshot *s = st_domain_find_snapshot(d, snap);
    if (!s) {
        hazard(p, ST_HAZ_REFUSE, _("%s has no snapshot named %s"), d->name, snap ? snap : "");
        return p;
    }
    if ((flags & ST_F_CHILDREN) && (flags & ST_F_CHILDREN_ONLY))
        hazard(p, ST_HAZ_REFUSE, "%s", _("choose with children or children only, not both"));
    if (domain_job_running(h, d))
        hazard(p, ST_HAZ_REFUSE, _("a job runs on %s: wait until it ends"), d->name);
    bool kids = (flags & (ST_F_CHILDREN | ST_F_CHILDREN_ONLY)) != 0;
    if ((flags & ST_F_CHILDREN_ONLY) && !snapshot_has_children(d, s->name))
        hazard(p, ST_HAZ_REFUSE, _("%s has no children"), s->name);
    size_t count = 0;
    for (size_t i = 0; i < d->n_snaps; i++) {
        const st_snapshot *x = &d->snaps[i];
        if (kids ? in_set(d, s->name, x, !(flags & ST_F_CHILDREN_ONLY)) : x == s) {
            delete_one(p, h, d, x, flags & ST_F_METADATA_ONLY);
            count++;
        }
    }
    delete_flags_call(p, s->name, flags);
    lost(p,
         ngettext("the state saved in %zu snapshot: it can no longer be reverted to; the "
                  "domain's current data does not change",
                  "the state saved in %zu snapshots: they can no longer be reverted to; the "
                  "domain's current data does not change",
                  count),
         count);
    return p;
}

/* ---- save, restore, managed save ---- */

st_snapplan *st_snapplan_save(const st_host *h, const st_domain *d, const char *path,
                              unsigned flags, st_exists_fn exists, void *ctx)
{
    st_snapplan *p = plan_new(ST_REQ_SAVE, d);
    p->req.path = xstrdup0(path);
    p->req.flags = flags & (ST_F_RUNNING | ST_F_PAUSED);
    p->title = xasprintf(_("Save %s to a file"), d->name);
    if (!dom_live(d))
        hazard(p, ST_HAZ_REFUSE, _("%s is not running: there is no memory to save"), d->name);
    if (domain_job_running(h, d))
        hazard(p, ST_HAZ_REFUSE, _("a job runs on %s: wait until it ends"), d->name);
    if (!path || path[0] != '/')
        hazard(p, ST_HAZ_REFUSE, "%s", _("the save file must be an absolute path"));
    else if (exists && exists(path, ctx))
        hazard(p, ST_HAZ_REFUSE, _("%s already exists; a save never writes over a file"), path);
    step(p,
         _("the memory and device state of %s go to %s (progress shown), then the domain "
           "stops"),
         d->name, path ? path : "?");
    step(p, (flags & ST_F_PAUSED)    ? _("a restore will leave it paused")
            : (flags & ST_F_RUNNING) ? _("a restore will leave it running")
                                     : _("a restore will leave it as it was (running or paused)"));
    call(p, "virDomainSaveFlags(%s, %s, NULL, %s)", d->name, path ? path : "?",
         (flags & ST_F_PAUSED)    ? "PAUSED"
         : (flags & ST_F_RUNNING) ? "RUNNING"
                                  : "0");
    hazard(p, ST_HAZ_WARN, "%s",
           _("do not start the domain from its disks before restoring: the saved memory "
             "expects the disks as they are now, and a restore after they changed corrupts the "
             "guest's filesystems"));
    lost(p, "%s",
         _("nothing while you restore from the file; the file is the only copy of the "
           "guest's memory"));
    return p;
}

st_snapplan *st_snapplan_restore(const st_host *h, const char *path, const char *domain,
                                 bool restored, unsigned flags, st_exists_fn exists, void *ctx)
{
    st_snapplan *p = plan_new(ST_REQ_RESTORE, NULL);
    p->req.path = xstrdup0(path);
    p->req.domain = xstrdup0(domain);
    p->req.flags = flags & (ST_F_RUNNING | ST_F_PAUSED);
    p->title = xasprintf(_("Restore from %s"), path ? st_basename(path) : "?");
    if (!path || path[0] != '/')
        hazard(p, ST_HAZ_REFUSE, "%s", _("the save file must be an absolute path"));
    else if (exists && !exists(path, ctx))
        hazard(p, ST_HAZ_REFUSE, _("%s does not exist"), path);
    const st_domain *d = domain ? st_host_find_domain(h, domain) : NULL;
    if (d && dom_live(d))
        hazard(p, ST_HAZ_REFUSE,
               _("%s is running: libvirt restores only a domain that is not "
                 "(shut it off first, which loses its current state)"),
               domain);
    if (d && d->managed_save)
        hazard(p, ST_HAZ_WARN,
               _("%s also has a managed save image, which this restore "
                 "ignores"),
               domain);
    if (restored)
        hazard(p, ST_HAZ_WARN, "%s",
               _("this file was restored before: if the domain ran since, its disks changed and "
                 "restoring the old memory again may corrupt the guest's filesystems"));
    step(p, _("the domain %s is brought back from %s (progress shown)"), domain ? domain : "?",
         path ? path : "?");
    call(p, "virDomainRestoreFlags(%s, NULL, %s)", path ? path : "?",
         (flags & ST_F_PAUSED)    ? "PAUSED"
         : (flags & ST_F_RUNNING) ? "RUNNING"
                                  : "0");
    lost(p, "%s", _("nothing: the file stays"));
    return p;
}

st_snapplan *st_snapplan_managedsave_remove(const st_host *h, const st_domain *d)
{
    (void)h;
    st_snapplan *p = plan_new(ST_REQ_MANAGEDSAVE_REMOVE, d);
    p->title = xasprintf(_("Remove the managed save image of %s"), d->name);
    if (!d->managed_save)
        hazard(p, ST_HAZ_REFUSE, _("%s has no managed save image"), d->name);
    step(p, _("libvirt removes the saved memory of %s; its next start boots from the disks"),
         d->name);
    call(p, "virDomainManagedSaveRemove(%s)", d->name);
    lost(p, "%s",
         _("the guest's saved memory: like pulling the power cord of a suspended "
           "machine (unsaved work in the guest is gone)"));
    return p;
}

st_snapplan *st_snapplan_remove_files(const st_host *h, const char *domain, char *const *paths,
                                      size_t n)
{
    st_snapplan *p = plan_new(ST_REQ_REMOVE_FILES, NULL);
    p->req.domain = xstrdup0(domain);
    p->title = xstrdup(_("Remove files libvirt left behind"));
    p->req.paths = n ? xcalloc(n, sizeof(char *)) : NULL;
    for (size_t i = 0; i < n; i++) {
        p->req.paths[p->req.n_paths++] = xstrdup(paths[i]);
        for (size_t k = 0; h && k < h->n_doms; k++)
            if (domain_names_file(&h->doms[k], paths[i]))
                hazard(p, ST_HAZ_REFUSE, _("%s is still named by %s: it is not removed"), paths[i],
                       h->doms[k].name);
        if (!paths[i] || paths[i][0] != '/')
            hazard(p, ST_HAZ_REFUSE, "%s", _("only absolute paths are removed"));
        step(p, _("remove %s"), paths[i] ? paths[i] : "?");
        call(p, "unlink(%s)", paths[i] ? paths[i] : "?");
    }
    lost(p, "%s", _("the files' contents (no snapshot names them any more)"));
    return p;
}
