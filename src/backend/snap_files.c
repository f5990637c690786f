/*
 * The files snapshot actions leave on the host, shared by create, save and both kinds of revert:
 * what they make is closed to everyone but its owner, and a UEFI guest's NVRAM gets a copy per
 * snapshot (snapplan_nvram.c names it) that a revert puts back.
 */
#include "config.h"

#include <stdlib.h>
#include <sys/stat.h>

#include "backend/longcall.h"
#include "backend/snapactions_internal.h"
#include "base/filecopy.h"
#include "base/i18n.h"
#include "base/private_file.h"
#include "base/util.h"

void sa_make_private(longcall *c, const char *path, const char *from, strbuf *note)
{
    char *err = NULL;
    if (!path || path[0] != '/') /* a network source: no file of this machine or the host's */
        return;
    if (!c->w->local) {
        if (!c->modes_unchecked)
            sb_add(note, _("; the new files are on a remote host, whose file modes cannot be "
                           "checked from here: make sure only their owner may read them"));
        c->modes_unchecked = true;
        return;
    }
    if (st_make_private(path, from, &err) != 0)
        sb_printf(note, "; %s", err);
    free(err);
}

void sa_nvram_track(longcall *c, const st_domain *d, const char *snap, bool internal)
{
    if (!c->w->local || !d)
        return;
    c->nvram_copy = st_snap_nvram_copy(d, snap, internal);
    c->nvram = c->nvram_copy ? xstrdup(d->nvram) : NULL;
}

void sa_nvram_put_back(longcall *c, strbuf *note)
{
    struct stat st;
    char *err = NULL;
    if (!c->nvram_copy)
        return;
    if (stat(c->nvram_copy, &st) != 0)
        sb_printf(note, _("; %s kept no copy of the NVRAM (%s): it stays as it is"),
                  c->req.snapshot, c->nvram_copy);
    else if (st_copy_over(c->nvram_copy, c->nvram, &err) != 0)
        sb_printf(note, _("; the NVRAM stays as it is: %s"), err);
    else
        sb_printf(note, _("; the NVRAM is back as it was at %s"), c->req.snapshot);
    free(err);
}
