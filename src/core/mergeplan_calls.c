/* The exact libvirt calls, virsh lines and qemu-img commands a plan shows. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/i18n.h"
#include "base/util.h"
#include "core/mergeplan_internal.h"

/* Starts a shown libvirt call: fn(dom="…"[, disk="…"] */
static void call_head(strbuf *b, const plan_ctx *c, const char *fn, bool disk)
{
    sb_printf(b, "%s(dom=", fn);
    pl_sb_cq(b, c->dom);
    if (disk) {
        sb_add(b, ", disk=");
        pl_sb_cq(b, c->target);
    }
}

static void call_commit(plan_ctx *c, strbuf *b, const char *flags)
{
    call_head(b, c, "virDomainBlockCommit", true);
    char *base = pl_libvirt_layer(c, c->base), *top = pl_libvirt_layer(c, c->top);
    sb_add(b, ", base=");
    pl_sb_cq(b, base);
    sb_add(b, ", top=");
    pl_sb_cq(b, top);
    free(base);
    free(top);
    sb_printf(b, ", bandwidth=%lu MiB/s, flags=%s)", c->o.bandwidth, flags ? flags : "0");
    pl_sv_push(&c->calls, sb_steal(b));
    if (c->top != 0)
        return;
    sb_add(b, _("when READY, to pivot: "));
    call_head(b, c, "virDomainBlockJobAbort", true);
    sb_add(b, ", flags=PIVOT)");
    pl_sv_push(&c->calls, sb_steal(b));
    sb_add(b, _("or, to keep the overlay: "));
    call_head(b, c, "virDomainBlockJobAbort", true);
    sb_add(b, ", flags=0)");
    pl_sv_push(&c->calls, sb_steal(b));
}

static void call_pull(plan_ctx *c, strbuf *b, const char *flags)
{
    if (c->newbacking == NONE) {
        call_head(b, c, "virDomainBlockPull", true);
    } else {
        /* virDomainBlockPull has no base: a pull that stops above a base is a rebase. */
        call_head(b, c, "virDomainBlockRebase", true);
        char *base = pl_libvirt_layer(c, c->newbacking);
        sb_add(b, ", base=");
        pl_sb_cq(b, base);
        free(base);
    }
    sb_printf(b, ", bandwidth=%lu MiB/s, flags=%s)", c->o.bandwidth, flags ? flags : "0");
    pl_sv_push(&c->calls, sb_steal(b));
}

static void virsh_line(plan_ctx *c, strbuf *b)
{
    sb_add(b, _("virsh equivalent: "));
    if (c->start_paused) {
        sb_add(b, "virsh start ");
        pl_sb_shq(b, c->dom);
        sb_add(b, " --paused; ");
    }
    sb_add(b, c->pull ? "virsh blockpull " : "virsh blockcommit ");
    pl_sb_shq(b, c->dom);
    sb_addc(b, ' ');
    pl_sb_shq(b, c->target);
    if (!c->pull && c->top == 0)
        sb_add(b, " --active");
    if (c->newbacking != NONE) {
        sb_add(b, " --base ");
        pl_sb_shq(b, pl_lpath(pl_L(c, c->newbacking)));
    }
    if (!c->pull && c->top != 0) {
        sb_add(b, " --top ");
        pl_sb_shq(b, pl_lpath(pl_L(c, c->top)));
    }
    if (c->relative)
        sb_add(b, " --keep-relative");
    if (c->o.bandwidth)
        sb_printf(b, " --bandwidth %lu", c->o.bandwidth);
    if (c->libvirt_deletes && c->o.delete_files && c->p->delete_possible)
        sb_add(b, " --delete");
    sb_add(b, " --wait --verbose");
    if (!c->pull && c->top == 0)
        sb_add(b, _(" --pivot (or --keep-overlay to keep the overlay; neither: leave the job "
                    "ready)"));
    if (c->start_paused) {
        sb_add(b, "; virsh destroy ");
        pl_sb_shq(b, c->dom);
    }
    pl_sv_push(&c->calls, sb_steal(b));
}

/* Files this program removes itself after the job (no libvirt flag does it for a pull). */
static void call_remove(plan_ctx *c, strbuf *b)
{
    if (!c->o.delete_files || !c->p->delete_possible || c->libvirt_deletes || !c->p->n_leaving)
        return;
    sb_add(b, "rm --");
    for (size_t i = 0; i < c->p->n_leaving; i++) {
        sb_addc(b, ' ');
        pl_sb_shq(b, c->p->leaving[i]);
    }
    pl_sv_push(&c->calls, sb_steal(b));
}

void pl_calls_online(plan_ctx *c)
{
    strbuf b;
    sb_init(&b);
    char *flags = pl_libvirt_flags(c);
    c->p->flags = xstrdup(flags ? flags : "none");
    if (c->start_paused) {
        call_head(&b, c, "virDomainCreateWithFlags", false);
        sb_add(&b, ", flags=START_PAUSED)");
        pl_sv_push(&c->calls, sb_steal(&b));
    }
    if (c->pull)
        call_pull(c, &b, flags);
    else
        call_commit(c, &b, flags);
    if (c->start_paused) {
        call_head(&b, c, "virDomainDestroy", false);
        sb_addc(&b, ')');
        pl_sv_push(&c->calls, sb_steal(&b));
    }
    call_remove(c, &b);
    virsh_line(c, &b);
    free(flags);
}

/* The helper checks every image qemu-img reads or writes first: one with errors stops it. */
static void calls_check(plan_ctx *c, strbuf *b)
{
    /* A pull writes the active layer and reads [first, end); a commit also writes the base. */
    size_t from = c->pull ? 0 : c->first, to = c->pull ? c->end : c->receiver + 1;
    for (size_t i = from; i < to; i++) {
        const st_layer *l = pl_L(c, i);
        sb_add(b, "qemu-img check -q");
        if (l->format) {
            sb_add(b, " -f ");
            pl_sb_shq(b, l->format);
        }
        sb_addc(b, ' ');
        pl_sb_shq(b, pl_lpath(l));
        pl_sv_push(&c->calls, sb_steal(b));
    }
}

/*
 * Shut-off domain on this machine. qemu-img commit -b BASE copies the data of TOP and of every
 * layer between it and BASE into BASE (-b implies -d: TOP is not emptied). The layer above TOP
 * then still points at TOP, so an unsafe rebase (-u: no data moves, the data is already in BASE)
 * points it at BASE.
 */
void pl_calls_offline(plan_ctx *c)
{
    strbuf b;
    sb_init(&b);
    c->p->flags = xstrdup("none");
    calls_check(c, &b);
    const char *bfmt = c->newbacking != NONE ? pl_L(c, c->newbacking)->format : NULL;
    if (!c->pull) {
        sb_add(&b, "qemu-img commit -p -d -t none");
        if (c->o.bandwidth)
            sb_printf(&b, " -r %luM", c->o.bandwidth);
        sb_add(&b, " -b ");
        pl_sb_shq(&b, pl_lpath(pl_L(c, c->base)));
        sb_addc(&b, ' ');
        pl_sb_shq(&b, pl_lpath(pl_L(c, c->top)));
        pl_sv_push(&c->calls, sb_steal(&b));
        if (c->top > 0) {
            sb_add(&b, "qemu-img rebase -u -F ");
            pl_sb_shq(&b, bfmt ? bfmt : "?");
            sb_add(&b, " -b ");
            pl_sb_shq(&b, pl_new_backing_name(c));
            sb_addc(&b, ' ');
            pl_sb_shq(&b, pl_lpath(pl_L(c, c->top - 1)));
        } else {
            sb_printf(&b, _("the domain definition is updated: %s → %s"), c->target,
                      pl_lpath(pl_L(c, c->base)));
        }
        pl_sv_push(&c->calls, sb_steal(&b));
    } else {
        /* A safe rebase copies into the active layer what the new backing lacks; with an empty
         * backing name that is everything, and the image becomes standalone. */
        sb_add(&b, "qemu-img rebase -p -t none");
        if (c->newbacking != NONE) {
            sb_add(&b, " -F ");
            pl_sb_shq(&b, bfmt ? bfmt : "?");
        }
        sb_add(&b, " -b ");
        pl_sb_shq(&b, pl_new_backing_name(c));
        sb_addc(&b, ' ');
        pl_sb_shq(&b, pl_lpath(pl_L(c, 0)));
        pl_sv_push(&c->calls, sb_steal(&b));
    }
    call_remove(c, &b);
}

/* ---- hazard checks ---------------------------------------------------------------------- */
