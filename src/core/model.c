#include "config.h"

#include "core/model.h"

#include <stdlib.h>
#include <string.h>

#include "base/i18n.h"
#include "base/util.h"

const char *st_dom_state_name(st_dom_state s)
{
    switch (s) {
    case ST_DOM_RUNNING:
        return "running";
    case ST_DOM_BLOCKED:
        return "blocked";
    case ST_DOM_PAUSED:
        return "paused";
    case ST_DOM_SHUTDOWN:
        return "shutdown";
    case ST_DOM_SHUTOFF:
        return "shutoff";
    case ST_DOM_CRASHED:
        return "crashed";
    case ST_DOM_PMSUSPENDED:
        return "pmsuspended";
    case ST_DOM_NOSTATE:
        break;
    }
    return "nostate";
}

/* Each state's words for display, full and short, indexed by st_dom_state. */
static const struct {
    const char *label, *brief;
} dom_state_words[] = {
    [ST_DOM_NOSTATE] = {N_("no state"), "?"},
    [ST_DOM_RUNNING] = {N_("running"), N_("run")},
    [ST_DOM_BLOCKED] = {N_("blocked"), N_("blocked")},
    [ST_DOM_PAUSED] = {N_("paused"), N_("paused")},
    [ST_DOM_SHUTDOWN] = {N_("shutting down"), N_("stopping")},
    [ST_DOM_SHUTOFF] = {N_("shut off"), N_("off")},
    [ST_DOM_CRASHED] = {N_("crashed"), N_("crashed")},
    [ST_DOM_PMSUSPENDED] = {N_("suspended"), N_("suspended")},
};

static bool dom_state_known(st_dom_state s)
{
    return (unsigned)s < sizeof(dom_state_words) / sizeof(dom_state_words[0]);
}

const char *st_dom_state_label(st_dom_state s)
{
    return _(dom_state_words[dom_state_known(s) ? s : ST_DOM_NOSTATE].label);
}

const char *st_snap_state_label(const char *state)
{
    if (!state)
        return _("unknown");
    if (strcmp(state, "disk-snapshot") == 0)
        return _("not recorded: disks only");
    for (st_dom_state s = ST_DOM_NOSTATE; dom_state_known(s); s++)
        if (strcmp(state, st_dom_state_name(s)) == 0)
            return st_dom_state_label(s);
    return state;
}

const char *st_dom_state_short(st_dom_state s)
{
    return _(dom_state_words[dom_state_known(s) ? s : ST_DOM_NOSTATE].brief);
}

const char *st_job_kind_label(st_job_kind k)
{
    switch (k) {
    case ST_JOB_COMMIT:
        return _("commit");
    case ST_JOB_ACTIVE_COMMIT:
        return _("active commit");
    case ST_JOB_PULL:
        return _("pull");
    case ST_JOB_COPY:
        return _("copy");
    case ST_JOB_OFFLINE_COMMIT:
        return _("offline commit");
    case ST_JOB_OFFLINE_PULL:
        return _("offline pull");
    case ST_JOB_SNAPSHOT:
        return _("snapshot");
    case ST_JOB_SNAPSHOT_DELETE:
        return _("snapshot delete");
    case ST_JOB_REVERT:
        return _("revert");
    case ST_JOB_SAVE:
        return _("save");
    case ST_JOB_RESTORE:
        return _("restore");
    case ST_JOB_OTHER:
        return _("job");
    case ST_JOB_NONE:
        break;
    }
    return _("none");
}

const char *st_job_phase_label(st_job_phase p)
{
    switch (p) {
    case ST_PHASE_STARTING:
        return _("starting");
    case ST_PHASE_RUNNING:
        return _("running");
    case ST_PHASE_READY:
        return _("ready");
    case ST_PHASE_PIVOTING:
        return _("pivoting");
    case ST_PHASE_COMPLETED:
        return _("completed");
    case ST_PHASE_FAILED:
        return _("failed");
    case ST_PHASE_CANCELLED:
        return _("cancelled");
    case ST_PHASE_ENDED:
        return _("ended");
    }
    return "?";
}

bool st_job_phase_final(st_job_phase p)
{
    return p == ST_PHASE_COMPLETED || p == ST_PHASE_FAILED || p == ST_PHASE_CANCELLED ||
           p == ST_PHASE_ENDED;
}

bool st_job_kind_is_block(st_job_kind k)
{
    return k == ST_JOB_COMMIT || k == ST_JOB_ACTIVE_COMMIT || k == ST_JOB_PULL ||
           k == ST_JOB_COPY || k == ST_JOB_OTHER;
}

const st_domain *st_host_find_domain(const st_host *h, const char *name)
{
    for (size_t i = 0; h && i < h->n_doms; i++)
        if (streq0(h->doms[i].name, name))
            return &h->doms[i];
    return NULL;
}

const st_disk *st_domain_find_disk(const st_domain *d, const char *target)
{
    for (size_t i = 0; d && i < d->n_disks; i++)
        if (streq0(d->disks[i].target, target))
            return &d->disks[i];
    return NULL;
}

const st_snapshot *st_domain_find_snapshot(const st_domain *d, const char *name)
{
    for (size_t i = 0; d && i < d->n_snaps; i++)
        if (streq0(d->snaps[i].name, name))
            return &d->snaps[i];
    return NULL;
}

bool st_host_chains_hold(const st_host *h, const char *path)
{
    for (size_t i = 0; h && i < h->n_doms; i++)
        for (size_t k = 0; k < h->doms[i].n_disks; k++) {
            const st_disk *d = &h->doms[i].disks[k];
            for (size_t l = 0; l < d->n_chain; l++)
                if (streq0(d->chain[l].path, path))
                    return true;
        }
    return false;
}

const st_job *st_host_disk_job(const st_host *h, const char *domain, const char *disk,
                               bool running_only)
{
    const st_job *ended = NULL;
    for (size_t i = 0; h && i < h->n_jobs; i++) {
        const st_job *j = &h->jobs[i];
        if (!streq0(j->domain, domain) || (disk && !streq0(j->disk, disk)))
            continue;
        if (!st_job_phase_final(j->phase))
            return j;
        if (!ended || j->id > ended->id)
            ended = j;
    }
    return running_only ? NULL : ended;
}

/* One chain layer seen from the sharing check: where it sits and what file it is. */
typedef struct layer_ref {
    const char *machine; /* hosts whose paths can be compared share this key */
    bool by_id;          /* the file was read here: compared by (dev, ino) */
    uint64_t dev, ino;
    char *lex; /* otherwise its path, folded (st_path_lexical) */
    size_t host, dom;
    st_layer *layer;
} layer_ref;

/* The same file: what the sort groups. */
static int cmp_file(const layer_ref *x, const layer_ref *y)
{
    int c = strcmp(x->machine, y->machine);
    if (c)
        return c;
    if (x->by_id != y->by_id)
        return x->by_id ? -1 : 1;
    if (x->by_id) {
        if (x->dev != y->dev)
            return x->dev < y->dev ? -1 : 1;
        return x->ino < y->ino ? -1 : x->ino > y->ino;
    }
    return strcmp(x->lex, y->lex);
}

static int cmp_ref(const void *a, const void *b)
{
    const layer_ref *x = a, *y = b;
    int c = cmp_file(x, y);
    if (c)
        return c;
    if (x->host != y->host)
        return x->host < y->host ? -1 : 1;
    return x->dom < y->dom ? -1 : x->dom > y->dom;
}

static const char *machine_key(const st_host *h)
{
    /* Every local URI (qemu:///system, embed, unix socket) sees the same files. */
    return h->local ? "" : (h->name ? h->name : h->uri ? h->uri : "?");
}

static char *sharer_label(st_host **hosts, size_t n_hosts, const layer_ref *self,
                          const layer_ref *other)
{
    const st_host *oh = hosts[other->host];
    const char *dname = oh->doms[other->dom].name;
    return (n_hosts > 1 && other->host != self->host)
               ? xasprintf("%s@%s", dname, oh->name ? oh->name : oh->uri)
               : xstrdup(dname);
}

static bool same_domain(const layer_ref *x, const layer_ref *y)
{
    return x->host == y->host && x->dom == y->dom;
}

/*
 * A detached branch reads the images below the point it branched from, just like another
 * domain would: committing into one of them would corrupt the branch. Naming the branch as a
 * sharer makes every sharing check (the planner's refusal included) see it.
 */
static void mark_branch_sharers(st_domain *dom)
{
    for (size_t b = 0; b < dom->n_branches; b++) {
        const st_branch *br = &dom->branches[b];
        for (size_t k = 0; k < dom->n_disks; k++)
            for (size_t i = 0; i < dom->disks[k].n_chain; i++) {
                st_layer *l = &dom->disks[k].chain[i];
                for (size_t c = 0; l->path && c < br->n_chain; c++)
                    if (streq0(br->chain[c], l->path)) {
                        l->shared_with =
                            xrealloc(l->shared_with, (l->n_shared + 1) * sizeof(char *));
                        l->shared_with[l->n_shared++] =
                            xasprintf(_("%s (detached branch %s)"), dom->name,
                                      st_basename(br->file ? br->file : "?"));
                        break;
                    }
            }
    }
}

void st_model_mark_shared(st_host **hosts, size_t n_hosts)
{
    size_t n = 0, cap = 0;
    layer_ref *refs = NULL;
    for (size_t h = 0; h < n_hosts; h++) {
        if (!hosts[h])
            continue;
        for (size_t d = 0; d < hosts[h]->n_doms; d++) {
            st_domain *dom = &hosts[h]->doms[d];
            for (size_t k = 0; k < dom->n_disks; k++)
                for (size_t i = 0; i < dom->disks[k].n_chain; i++) {
                    st_layer *l = &dom->disks[k].chain[i];
                    for (size_t s = 0; s < l->n_shared; s++)
                        free(l->shared_with[s]);
                    free(l->shared_with);
                    l->shared_with = NULL;
                    l->n_shared = 0;
                    if (!l->path || !*l->path)
                        continue;
                    xgrow((void **)&refs, &cap, n + 1, sizeof(*refs));
                    /* A path is one spelling of a file: on this machine the file itself is
                     * compared (a base named "../golden/g.qcow2" by one overlay and by its
                     * full path by another is one file); elsewhere the spelling, folded. */
                    layer_ref *r = &refs[n++];
                    *r = (layer_ref){
                        .machine = machine_key(hosts[h]), .host = h, .dom = d, .layer = l};
                    r->by_id = hosts[h]->local && l->ino;
                    if (r->by_id) {
                        r->dev = l->dev;
                        r->ino = l->ino;
                    } else {
                        r->lex = st_path_lexical(l->path);
                    }
                }
        }
    }
    if (n > 1)
        qsort(refs, n, sizeof(*refs), cmp_ref);
    for (size_t a = 0; a < n;) {
        size_t b = a + 1;
        while (b < n && cmp_file(&refs[a], &refs[b]) == 0)
            b++;
        if (b - a > 1) {
            /* The group is sorted by (host, domain): a domain that holds the file twice (two
             * disks on one golden image) is adjacent to itself and named once. The names are
             * counted first, so that each layer's list is allocated once. */
            size_t domains = 0;
            for (size_t j = a; j < b; j++)
                domains += j == a || !same_domain(&refs[j - 1], &refs[j]);
            for (size_t i = a; i < b; i++) {
                st_layer *l = refs[i].layer;
                l->shared_with = xcalloc(domains, sizeof(char *));
                for (size_t j = a; j < b; j++) {
                    if (same_domain(&refs[i], &refs[j]) ||
                        (j > a && same_domain(&refs[j - 1], &refs[j])))
                        continue;
                    l->shared_with[l->n_shared++] =
                        sharer_label(hosts, n_hosts, &refs[i], &refs[j]);
                }
                if (!l->n_shared) {
                    free(l->shared_with);
                    l->shared_with = NULL;
                }
            }
        }
        a = b;
    }
    for (size_t i = 0; i < n; i++)
        free(refs[i].lex);
    free(refs);
    for (size_t h = 0; h < n_hosts; h++)
        for (size_t d = 0; hosts[h] && d < hosts[h]->n_doms; d++)
            mark_branch_sharers(&hosts[h]->doms[d]);
}
