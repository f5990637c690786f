#include "config.h"

#include "core/compact.h"

#include <string.h>

#include "base/util.h"

bool st_compact_range(size_t n, size_t limit, size_t *top, size_t *base)
{
    /* Merging layers [1, base) into base leaves n - (base - 1) layers. */
    if (limit < 2 || n <= limit)
        return false;
    *top = 1;
    *base = n - limit + 1;
    return true;
}

/* The latest finding `check` about exactly this disk (the doctor has just made it). */
static st_finding *disk_finding(st_findings *f, const st_doc_where *w, const char *check)
{
    for (size_t i = f->n; i-- > 0;) {
        st_finding *x = &f->v[i];
        if (strcmp(x->check, check) == 0 && st_finding_about(x, w->domain, w->disk, NULL))
            return x;
    }
    return NULL;
}

void st_compact_offer(st_findings *f, const st_doc_where *w, const st_disk *k, size_t limit)
{
    st_finding *x = disk_finding(f, w, "depth");
    /* A chain as deep as the host's libvirt is known to fail at is brought below that depth too,
     * whatever the admin's limit allows; with no depth finding, that finding carries the fix. */
    st_finding *libvirt = disk_finding(f, w, "libvirt-depth");
    if (libvirt && (!limit || limit >= ST_LIBVIRT_OLD_DEPTH))
        limit = ST_LIBVIRT_OLD_DEPTH - 1;
    if (!x)
        x = libvirt;
    size_t top, base;
    if (!x || x->fix != ST_FIX_NONE || !st_compact_range(k->n_chain, limit, &top, &base) ||
        !k->chain[top].path || !k->chain[base].path)
        return;
    x->fix = ST_FIX_COMPACT;
    x->fix_top = xstrdup(k->chain[top].path);
    x->fix_base = xstrdup(k->chain[base].path);
}

const st_finding *st_compact_find(const st_findings *f, const char *domain, const char *disk)
{
    for (size_t i = 0; f && i < f->n; i++)
        if (f->v[i].fix == ST_FIX_COMPACT && st_finding_about(&f->v[i], domain, disk, NULL))
            return &f->v[i];
    return NULL;
}
