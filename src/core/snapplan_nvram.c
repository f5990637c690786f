/*
 * A UEFI guest's NVRAM (its firmware variables: boot order, secure-boot keys) with its snapshots.
 * An external snapshot does not hold it, nor does an internal one of a raw NVRAM, and libvirt
 * 9.0 takes no internal snapshot of such a guest at all: a revert would leave the variables as
 * they are now. So each snapshot of a guest with an NVRAM file keeps a copy of it, readable by
 * its owner alone, beside the NVRAM under a name made of the snapshot's (NVRAM.snapshot-NAME:
 * any client finds it from the snapshot alone), and a revert puts it back. Only where the files
 * are on this machine; an internal snapshot of a qcow2 NVRAM holds the variables itself.
 */
#include "config.h"

#include <stdlib.h>

#include "base/i18n.h"
#include "base/util.h"
#include "core/snapplan_internal.h"

char *st_snap_nvram_copy(const st_domain *d, const char *snap, bool internal)
{
    if (!d->pflash || !d->nvram || !d->nvram[0] || !snap)
        return NULL;
    if (internal && streq0(d->nvram_format, "qcow2"))
        return NULL;
    return xasprintf("%s.snapshot-%s", d->nvram, snap);
}

const char *st_snap_firmware_kinds(const st_host *h, const st_domain *d)
{
    if (!d->pflash)
        return NULL;
    if (!sp_lv_internal_pflash(h))
        return _("UEFI: libvirt before 10.9 takes only external snapshots of it");
    if (streq0(d->nvram_format, "qcow2"))
        return _("UEFI: internal snapshots hold the NVRAM (qcow2), external ones do not");
    if (sp_dom_live(d))
        return _("UEFI: internal snapshots only while shut off (raw NVRAM); external now");
    return _("UEFI: internal and external snapshots; neither holds the NVRAM (raw)");
}

const char *st_snap_firmware_nvram(const st_host *h, const st_domain *d)
{
    if (!d->pflash)
        return NULL;
    if (!d->nvram || !d->nvram[0])
        return _("NVRAM: none named, nothing to keep");
    if (!h->local)
        return _("NVRAM: on a remote host, not copied: a revert leaves it as it is");
    if (sp_lv_internal_pflash(h) && streq0(d->nvram_format, "qcow2"))
        return _("NVRAM: external snapshots keep a copy, which a revert puts back");
    return _("NVRAM: each snapshot keeps a copy, which a revert puts back");
}

void sp_nvram_create(st_snapplan *p, const st_host *h, const st_domain *d, const st_request *f,
                     st_exists_fn exists, void *ctx)
{
    char *copy = st_snap_nvram_copy(d, f->snapshot, f->snap_kind == ST_SNAP_KIND_INTERNAL);
    if (!copy)
        return;
    if (!h->local)
        sp_hazard(p, ST_HAZ_WARN,
                  _("the NVRAM (UEFI variables) %s is on a remote host and is not copied: a "
                    "revert to this snapshot leaves the variables as they are then"),
                  d->nvram);
    else if (exists && exists(copy, ctx))
        sp_hazard(p, ST_HAZ_REFUSE,
                  _("the copy of the NVRAM this snapshot keeps, %s, already exists; a snapshot "
                    "never writes over an existing file"),
                  copy);
    else
        sp_step(p,
                _("the NVRAM (UEFI variables) %s is copied to %s, readable by its owner alone: "
                  "a revert to this snapshot puts it back"),
                d->nvram, copy);
    free(copy);
}

void sp_nvram_revert(st_snapplan *p, const st_host *h, const st_domain *d, const st_snapshot *s)
{
    char *copy = st_snap_nvram_copy(d, s->name, !s->external);
    if (!copy)
        return;
    if (!h->local)
        sp_hazard(p, ST_HAZ_WARN,
                  _("the NVRAM (UEFI variables) %s is on a remote host: it stays as it is now"),
                  d->nvram);
    else
        sp_step(p,
                _("the NVRAM (UEFI variables) %s is put back from %s, as it was when %s was "
                  "taken (without that copy it stays as it is now)"),
                d->nvram, copy, s->name);
    free(copy);
}

void sp_nvram_delete(st_snapplan *p, const st_host *h, const st_domain *d, const st_snapshot *s)
{
    char *copy = st_snap_nvram_copy(d, s->name, !s->external);
    if (copy && h->local) {
        sp_step(p, _("the copy of the NVRAM %s stays: you are offered to remove it afterwards"),
                copy);
        sp_add_str(&p->left_files, &p->n_left_files, copy);
        copy = NULL;
    }
    free(copy);
}
