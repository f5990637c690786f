/* Plans for taking a snapshot: internal, external disk-only, external with memory. */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/i18n.h"
#include "base/util.h"
#include "core/snapplan_internal.h"

/* ---- create ---- */

const char *st_snap_quiesce_unavailable(const st_domain *d)
{
    if (!d->has_agent)
        return _("it has no guest agent channel");
    if (!sp_dom_live(d))
        return _("it is not running");
    /* libvirt would fail: "QEMU guest agent is not connected". */
    if (!d->agent_connected)
        return _("no guest agent is connected (none runs in the guest, or it has not started)");
    return NULL;
}

const char *st_snap_kind_unavailable(const st_domain *d, st_snap_kind kind)
{
    if (kind == ST_SNAP_KIND_MEMORY && !sp_dom_live(d))
        return _("the domain is not running: no memory to save");
    return NULL;
}

static bool name_ok(st_snapplan *p, const st_domain *d, const char *name)
{
    if (!name || !*name) {
        sp_hazard(p, ST_HAZ_REFUSE, "%s", _("the snapshot needs a name"));
        return false;
    }
    if (strchr(name, '/')) {
        sp_hazard(p, ST_HAZ_REFUSE, "%s", _("libvirt does not accept '/' in a snapshot name"));
        return false;
    }
    if (st_domain_find_snapshot(d, name)) {
        sp_hazard(p, ST_HAZ_REFUSE, _("%s already has a snapshot named %s"), d->name, name);
        return false;
    }
    return true;
}

/* Checks an overlay or memory file name: absolute, new, named by nothing. */
static void check_new_file(st_snapplan *p, const st_domain *d, const char *what, const char *file,
                           st_exists_fn exists, void *ctx)
{
    if (!file || file[0] != '/') {
        sp_hazard(p, ST_HAZ_REFUSE, _("%s: the file name must be an absolute path"), what);
        return;
    }
    if (sp_domain_names_file(d, file)) {
        sp_hazard(p, ST_HAZ_REFUSE,
                  _("%s: %s is already used by the domain or one of its snapshots"), what, file);
        return;
    }
    if (exists && exists(file, ctx))
        sp_hazard(p, ST_HAZ_REFUSE,
                  _("%s: %s already exists; a snapshot never writes over an existing file"), what,
                  file);
}

typedef struct disk_counts {
    size_t internal, external, none;
} disk_counts;

/*
 * libvirt (9.0 and 11.3 alike) puts an overlay on a shut-off domain's disk only when the disk
 * is a file or a block device (a pool volume counts as what its pool makes it): a network disk
 * (NBD, RBD, iSCSI…) takes an external snapshot only while its domain runs.
 */
static void check_inactive_external(st_snapplan *p, const st_domain *d, const st_disk *k)
{
    if (sp_dom_live(d) || !k->type || streq0(k->type, "file") || streq0(k->type, "block") ||
        streq0(k->type, "volume"))
        return;
    sp_hazard(p, ST_HAZ_REFUSE,
              _("%s is a %s disk (%s): libvirt takes an external snapshot of it only while %s "
                "runs (start it, then take the snapshot)"),
              k->target, k->type, k->source ? k->source : "?", d->name);
}

static void check_create_disk(st_snapplan *p, const st_domain *d, const st_request *f,
                              const st_snap_diskspec *ds, disk_counts *c, st_exists_fn exists,
                              void *ctx)
{
    const st_disk *k = st_domain_find_disk(d, ds->target);
    if (!k) {
        sp_hazard(p, ST_HAZ_REFUSE, _("%s has no disk %s"), d->name, ds->target);
        return;
    }
    if (streq0(ds->snapshot, "no")) {
        c->none++;
        /* QEMU's savevm (libvirt 9.0's internal snapshot of a live guest) takes every writable
         * disk: libvirt refuses "disk must use snapshot mode 'internal'". */
        if (!sp_disk_unfit(k) && f->snap_kind == ST_SNAP_KIND_INTERNAL && sp_dom_live(d))
            sp_hazard(p, ST_HAZ_REFUSE,
                      _("%s cannot be left out: an internal snapshot of a running domain covers "
                        "every writable disk%s (shut the domain off, or take an external "
                        "snapshot)"),
                      ds->target,
                      streq0(k->format, "qcow2") ? "" : _(", and this one is not qcow2"));
        else if (!sp_disk_unfit(k))
            sp_hazard(p, ST_HAZ_INFO,
                      _("%s is not part of this snapshot: reverting to it leaves "
                        "that disk as it is then"),
                      ds->target);
        return;
    }
    const char *why = sp_disk_unfit(k);
    if (why) {
        sp_hazard(p, ST_HAZ_REFUSE, _("%s is %s: it cannot take a snapshot (choose 'no' for it)"),
                  ds->target, why);
        return;
    }
    if (streq0(ds->snapshot, "internal")) {
        c->internal++;
        if (!streq0(k->format, "qcow2"))
            sp_hazard(p, ST_HAZ_REFUSE,
                      _("%s is a %s image: internal snapshots live inside qcow2 images only "
                        "(choose external or 'no')"),
                      ds->target, k->format ? k->format : _("unknown format"));
        if (f->snap_kind == ST_SNAP_KIND_DISK_ONLY && sp_dom_live(d))
            sp_hazard(p, ST_HAZ_REFUSE,
                      _("%s: a running domain cannot take an internal disk-only snapshot (take an "
                        "internal snapshot with memory, or an external one)"),
                      ds->target);
        return;
    }
    c->external++;
    check_inactive_external(p, d, k);
    char *what = xasprintf(_("overlay of %s"), ds->target);
    check_new_file(p, d, what, ds->file, exists, ctx);
    free(what);
    sp_step(p, _("%s: new overlay %s on top of %s; the disk then writes there"), ds->target,
            ds->file ? ds->file : "?", k->source);
}

static void check_duplicate_files(st_snapplan *p, const st_request *f)
{
    for (size_t i = 0; i < f->n_diskspecs; i++)
        for (size_t j = i + 1; j < f->n_diskspecs; j++)
            if (f->diskspecs[i].file && streq0(f->diskspecs[i].file, f->diskspecs[j].file) &&
                streq0(f->diskspecs[i].snapshot, "external") &&
                streq0(f->diskspecs[j].snapshot, "external"))
                sp_hazard(p, ST_HAZ_REFUSE, _("%s and %s would both write to %s"),
                          f->diskspecs[i].target, f->diskspecs[j].target, f->diskspecs[i].file);
    if (f->snap_kind == ST_SNAP_KIND_MEMORY)
        for (size_t i = 0; i < f->n_diskspecs; i++)
            if (streq0(f->diskspecs[i].file, f->path))
                sp_hazard(p, ST_HAZ_REFUSE, _("the memory file and the overlay of %s are the same"),
                          f->diskspecs[i].target);
}

/*
 * The kind of snapshot the domain already has, against the new one: warn before the domain
 * mixes kinds for the first time, and ask a second time then. A domain that mixes them already
 * is told once more that it does, but not asked again for every snapshot.
 */
static void check_mixing(st_snapplan *p, const st_host *h, const st_domain *d, bool new_external)
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
    if (internal && external) {
        sp_hazard(p, ST_HAZ_INFO,
                  _("%s mixes internal and external snapshots already (%zu internal, %zu "
                    "external): this one adds to the mix, with the same hazards."),
                  d->name, internal, external);
        return;
    }
    p->mixing = true;
    sp_hazard(
        p, ST_HAZ_WARN,
        new_external
            ? _("%s already has %zu internal snapshot(s) and this one is external. Mixing the "
                "two kinds has lost data in other tools: libvirt %s cannot delete an "
                "external snapshot whose parent is internal, and reverting to an internal "
                "snapshot does not see data in later overlays. You will be asked a second time.")
            : _("%s already has %zu external snapshot(s) and this one is internal. Mixing the "
                "two kinds has lost data in other tools: an internal snapshot is stored in the "
                "image the disk writes to now (an overlay), and libvirt %s cannot delete "
                "external snapshots whose parent is internal. You will be asked a second time."),
        d->name, new_external ? internal : external, sp_lv_name(h));
}

/* Why the host's libvirt takes no internal snapshot of this UEFI guest now, or NULL. */
static const char *pflash_blocker(const st_host *h, const st_domain *d)
{
    if (!d->pflash)
        return NULL;
    if (!sp_lv_internal_pflash(h))
        return _("libvirt before 10.9 takes no internal snapshot of a guest whose UEFI firmware "
                 "is in pflash");
    if (sp_dom_live(d) && !streq0(d->nvram_format, "qcow2"))
        return _("libvirt takes an internal snapshot of a running UEFI guest only when its NVRAM "
                 "(UEFI variables) is a qcow2 image, and this one is raw");
    return NULL;
}

st_snap_kind st_snap_default_kind(const st_host *h, const st_domain *d)
{
    bool internal_only = d->n_snaps > 0;
    for (size_t i = 0; i < d->n_snaps; i++)
        internal_only &= !d->snaps[i].external;
    return internal_only && !pflash_blocker(h, d) ? ST_SNAP_KIND_INTERNAL : ST_SNAP_KIND_DISK_ONLY;
}

static void check_pflash(st_snapplan *p, const st_host *h, const st_domain *d)
{
    const char *why = pflash_blocker(h, d);
    if (why)
        sp_hazard(p, ST_HAZ_REFUSE, _("%s (this host runs libvirt %s): take an external snapshot"),
                  why, sp_lv_name(h));
    else if (d->pflash && !streq0(d->nvram_format, "qcow2"))
        sp_hazard(p, ST_HAZ_INFO, "%s",
                  _("the NVRAM (UEFI variables) is raw: it is not part of the snapshot"));
    else if (d->pflash)
        sp_hazard(p, ST_HAZ_INFO, "%s",
                  _("the NVRAM (UEFI variables) is qcow2: the snapshot holds it too"));
}

static void check_kind(st_snapplan *p, const st_host *h, const st_domain *d, const st_request *f,
                       const disk_counts *c)
{
    if (c->internal && c->external)
        sp_hazard(p, ST_HAZ_REFUSE,
                  _("libvirt %s cannot mix internal and external disks in one snapshot: choose "
                    "one kind for every disk"),
                  sp_lv_name(h));
    if (c->internal)
        check_pflash(p, h, d);
    if (f->snap_kind != ST_SNAP_KIND_MEMORY && !c->internal && !c->external)
        sp_hazard(p, ST_HAZ_REFUSE, "%s", _("no disk takes part in this snapshot"));
    if (f->snap_kind == ST_SNAP_KIND_INTERNAL && c->external)
        sp_hazard(p, ST_HAZ_REFUSE, "%s",
                  _("an internal snapshot keeps every disk inside its qcow2 image: choose "
                    "'external disk-only' for overlays"));
    if (f->snap_kind == ST_SNAP_KIND_MEMORY) {
        if (!sp_dom_live(d))
            sp_hazard(p, ST_HAZ_REFUSE,
                      _("%s is not running: it has no memory to save (take a "
                        "disk-only snapshot)"),
                      d->name);
        if (c->internal)
            sp_hazard(p, ST_HAZ_REFUSE, "%s",
                      _("a snapshot with an external memory file takes external disks (or none)"));
        char *what = xstrdup(_("memory file"));
        check_new_file(p, d, what, f->path, NULL, NULL);
        free(what);
    }
    if ((f->flags & ST_F_LIVE) &&
        (f->snap_kind != ST_SNAP_KIND_MEMORY || d->state != ST_DOM_RUNNING))
        sp_hazard(p, ST_HAZ_REFUSE, "%s",
                  _("live applies only to an external snapshot with memory of a running domain"));
    if (f->flags & ST_F_QUIESCE) {
        const char *why = st_snap_quiesce_unavailable(d);
        if (why)
            sp_hazard(p, ST_HAZ_REFUSE, _("%s cannot be quiesced: %s"), d->name, why);
        else if (f->snap_kind == ST_SNAP_KIND_INTERNAL)
            sp_hazard(p, ST_HAZ_REFUSE, "%s", _("quiesce needs an external snapshot"));
    } else if (!st_snap_quiesce_unavailable(d) && f->snap_kind == ST_SNAP_KIND_DISK_ONLY) {
        sp_hazard(p, ST_HAZ_INFO, "%s",
                  _("a guest agent is present: quiesce would make the disks consistent for the "
                    "guest's filesystems"));
    }
}

unsigned st_snap_create_flags(const st_request *r)
{
    unsigned f = ST_SNAPF_VALIDATE;
    /* ATOMIC is for external snapshots, where several disks move onto overlays at once. */
    if (r->snap_kind != ST_SNAP_KIND_INTERNAL)
        f |= ST_SNAPF_ATOMIC;
    if (r->snap_kind == ST_SNAP_KIND_DISK_ONLY)
        f |= ST_SNAPF_DISK_ONLY;
    if (r->flags & ST_F_QUIESCE)
        f |= ST_SNAPF_QUIESCE;
    if (r->flags & ST_F_LIVE)
        f |= ST_SNAPF_LIVE;
    return f;
}

char *st_snap_create_flags_text(unsigned flags)
{
    static const struct {
        unsigned bit;
        const char *name;
    } names[] = {{ST_SNAPF_VALIDATE, "VALIDATE"},
                 {ST_SNAPF_ATOMIC, "ATOMIC"},
                 {ST_SNAPF_DISK_ONLY, "DISK_ONLY"},
                 {ST_SNAPF_QUIESCE, "QUIESCE"},
                 {ST_SNAPF_LIVE, "LIVE"}};
    strbuf b;
    sb_init(&b);
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (flags & names[i].bit) {
            if (b.len)
                sb_add(&b, " | ");
            sb_add(&b, names[i].name);
        }
    if (!b.len)
        sb_add(&b, "0");
    return sb_steal(&b);
}

static void create_steps(st_snapplan *p, const st_domain *d, const st_request *f)
{
    switch (f->snap_kind) {
    case ST_SNAP_KIND_INTERNAL:
        sp_step(p, sp_dom_live(d) ? _("the guest is paused while its memory and disks are saved "
                                      "inside the qcow2 images, then resumes")
                                  : _("the disks' state is saved inside their qcow2 images"));
        break;
    case ST_SNAP_KIND_DISK_ONLY:
        sp_step(p, "%s",
                _("the images the disks use now become read-only backing files of the new "
                  "overlays (all disks at once: ATOMIC)"));
        break;
    case ST_SNAP_KIND_MEMORY:
        sp_step(p,
                (f->flags & ST_F_LIVE)
                    ? _("memory goes to %s while the guest keeps running")
                    : _("the guest is paused while its memory goes to %s, then resumes"),
                f->path ? f->path : "?");
        break;
    }
    char *flags = st_snap_create_flags_text(st_snap_create_flags(f));
    sp_call(p, "virDomainSnapshotCreateXML(%s, <domainsnapshot>, %s)", d->name, flags);
    free(flags);
    sp_lost(p, "%s", _("nothing: taking a snapshot changes no data"));
}

st_snapplan *st_snapplan_create(const st_host *h, const st_domain *d, const st_request *form,
                                st_exists_fn exists, void *ctx)
{
    st_snapplan *p = sp_plan_new(ST_REQ_SNAPSHOT_CREATE, d);
    st_request_clear(&p->req);
    st_request_copy(&p->req, form);
    p->req.kind = ST_REQ_SNAPSHOT_CREATE;
    free(p->req.domain);
    p->req.domain = xstrdup(d->name);
    p->title = xasprintf(_("Snapshot %s of %s"), form->snapshot ? form->snapshot : "", d->name);
    if (sp_domain_job_running(h, d))
        sp_hazard(p, ST_HAZ_REFUSE, _("a job runs on %s: wait until it ends"), d->name);
    name_ok(p, d, form->snapshot);
    disk_counts c = {0};
    for (size_t i = 0; i < form->n_diskspecs; i++)
        check_create_disk(p, d, form, &form->diskspecs[i], &c, exists, ctx);
    check_duplicate_files(p, form);
    check_kind(p, h, d, form, &c);
    if (form->snap_kind == ST_SNAP_KIND_MEMORY && form->path && exists && exists(form->path, ctx))
        sp_hazard(p, ST_HAZ_REFUSE, _("memory file: %s already exists"), form->path);
    check_mixing(p, h, d, c.external > 0 || form->snap_kind == ST_SNAP_KIND_MEMORY);
    create_steps(p, d, form);
    sp_nvram_create(p, h, d, form, exists, ctx);
    return p;
}
