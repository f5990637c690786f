/*
 * What a merge does to the space its images take, as the plan says it before anything runs: the
 * files that leave the chain free what they occupy once deleted, the layer that receives the data
 * grows by the guest ranges it did not hold (measured by the host from the images' maps, FACTS),
 * and during the job only the growth happens: the merged files stay until the job has ended (an
 * active commit's until the pivot). That growth is the peak the room where the data lands must
 * take.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "base/i18n.h"
#include "core/mergeplan_internal.h"
#include "core/space.h"

/* The files that leave the chain, but those other domains read (they stay). */
static void leaving_bytes(plan_ctx *c)
{
    c->p->frees_known = true;
    for (size_t i = c->first; i < c->end; i++) {
        const st_layer *l = pl_L(c, i);
        if (l->n_shared)
            continue;
        c->p->frees += l->allocation;
        c->p->frees_known = c->p->frees_known && l->allocation;
    }
}

static void known_lines(plan_ctx *c, pl_strv *v)
{
    const st_plan *p = c->p;
    const char *rcv = pl_lname(pl_L(c, c->receiver));
    char frees[32], grows[32];
    st_fmt_bytes(grows, sizeof(grows), p->grows);
    if (p->frees_known) {
        st_fmt_bytes(frees, sizeof(frees), p->frees);
        char *net = st_space_net_text(p->frees, p->grows);
        pl_sv_push(v,
                   xasprintf(_("Space: frees %s, %s grows by %s, net %s"), frees, rcv, grows, net));
        free(net);
    } else {
        pl_sv_push(v, xasprintf(_("Space: frees an unknown amount (the size of some file that "
                                  "leaves the chain is not known), %s grows by %s"),
                                rcv, grows));
    }
    if (!(c->o.delete_files && p->delete_possible))
        pl_sv_push(v, xstrdup(_("The files that leave the chain stay until they are deleted: "
                                "only then is their space freed.")));
}

static void peak_line(plan_ctx *c, pl_strv *v)
{
    char peak[32];
    st_fmt_bytes(peak, sizeof(peak), c->p->peak);
    const char *rcv = pl_lname(pl_L(c, c->receiver));
    if (!c->p->grows_known)
        pl_sv_push(v, xasprintf(_("Peak: up to %s more where the data lands (%s grows by at most "
                                  "the data copied)"),
                                peak, rcv));
    else if (!c->pull && c->top == 0 && !c->p->offline)
        pl_sv_push(v, xasprintf(_("Peak: %s more where the data lands (%s grows while the "
                                  "active layer stays, until the pivot)"),
                                peak, rcv));
    else
        pl_sv_push(v, xasprintf(_("Peak: %s more where the data lands (%s grows before any file "
                                  "leaves)"),
                                peak, rcv));
}

void pl_space_figures(plan_ctx *c)
{
    st_plan *p = c->p;
    const st_facts *f = c->facts;
    leaving_bytes(c);
    p->grows_known = f && f->growth_known;
    p->grows = p->grows_known ? f->growth : 0;
    p->peak = p->grows_known ? p->grows : p->bytes;
    pl_strv v = {0};
    if (p->grows_known)
        known_lines(c, &v);
    else
        pl_sv_push(&v, xasprintf(_("Space: what the merge frees and adds is unknown (%s)"),
                                 f && f->growth_why ? f->growth_why : _("not measured")));
    peak_line(c, &v);
    p->space = pl_sv_steal(&v, &p->n_space);
}
