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

static void free_strv(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

void st_layer_clear(st_layer *l)
{
    free(l->path);
    free(l->format);
    free(l->backing_name);
    free(l->backing_fmt);
    free(l->broken);
    free_strv(l->shared_with, l->n_shared);
    free_strv(l->at_snapshots, l->n_at_snapshots);
    memset(l, 0, sizeof(*l));
    l->backing_index = -1;
}

void st_disk_clear(st_disk *d)
{
    free(d->target);
    free(d->bus);
    free(d->device);
    free(d->type);
    free(d->format);
    free(d->source);
    free(d->pool);
    free(d->volume);
    free(d->mirror);
    for (size_t i = 0; i < d->n_chain; i++)
        st_layer_clear(&d->chain[i]);
    free(d->chain);
    free(d->chain_unknown);
    memset(d, 0, sizeof(*d));
}

void st_snapdisks_free(st_snapdisk *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(v[i].target);
        free(v[i].snapshot);
        free(v[i].file);
        free(v[i].image);
    }
    free(v);
}

st_snapdisk *st_snapdisks_copy(const st_snapdisk *v, size_t n)
{
    st_snapdisk *c = n ? xcalloc(n, sizeof(st_snapdisk)) : NULL;
    for (size_t i = 0; i < n; i++) {
        c[i].target = xstrdup0(v[i].target);
        c[i].snapshot = xstrdup0(v[i].snapshot);
        c[i].file = xstrdup0(v[i].file);
        c[i].image = xstrdup0(v[i].image);
    }
    return c;
}

void st_snapshot_clear(st_snapshot *s)
{
    free(s->name);
    free(s->parent);
    free(s->description);
    free(s->state);
    free(s->memory_file);
    st_snapdisks_free(s->disks, s->n_disks);
    st_snapdisks_free(s->revert_disks, s->n_revert_disks);
    memset(s, 0, sizeof(*s));
}

void st_branch_clear(st_branch *b)
{
    free(b->disk);
    free(b->file);
    free(b->snapshot);
    free(b->base);
    free_strv(b->chain, b->n_chain);
    memset(b, 0, sizeof(*b));
}

void st_branches_copy(st_branch *dst, const st_branch *src, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        dst[i] = src[i];
        dst[i].disk = xstrdup0(src[i].disk);
        dst[i].file = xstrdup0(src[i].file);
        dst[i].snapshot = xstrdup0(src[i].snapshot);
        dst[i].base = xstrdup0(src[i].base);
        dst[i].chain = src[i].n_chain ? xcalloc(src[i].n_chain, sizeof(char *)) : NULL;
        for (size_t k = 0; k < src[i].n_chain; k++)
            dst[i].chain[k] = xstrdup0(src[i].chain[k]);
    }
}

void st_job_clear(st_job *j)
{
    free(j->domain);
    free(j->uuid);
    free(j->disk);
    free(j->top);
    free(j->base);
    free(j->error);
    memset(j, 0, sizeof(*j));
}

void st_job_copy(st_job *dst, const st_job *src)
{
    *dst = *src;
    dst->domain = xstrdup0(src->domain);
    dst->uuid = xstrdup0(src->uuid);
    dst->disk = xstrdup0(src->disk);
    dst->top = xstrdup0(src->top);
    dst->base = xstrdup0(src->base);
    dst->error = xstrdup0(src->error);
}

void st_followup_clear(st_followup *f)
{
    free(f->record);
    free(f->domain);
    free(f->disk);
    free_strv(f->files, f->n_files);
    memset(f, 0, sizeof(*f));
}

void st_followups_copy(st_followup *dst, const st_followup *src, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        dst[i] = src[i];
        dst[i].record = xstrdup0(src[i].record);
        dst[i].domain = xstrdup0(src[i].domain);
        dst[i].disk = xstrdup0(src[i].disk);
        dst[i].files = src[i].n_files ? xcalloc(src[i].n_files, sizeof(char *)) : NULL;
        for (size_t k = 0; k < src[i].n_files; k++)
            dst[i].files[k] = xstrdup0(src[i].files[k]);
    }
}

void st_domain_clear(st_domain *d)
{
    free(d->name);
    for (size_t i = 0; i < d->n_disks; i++)
        st_disk_clear(&d->disks[i]);
    free(d->disks);
    for (size_t i = 0; i < d->n_snaps; i++)
        st_snapshot_clear(&d->snaps[i]);
    free(d->snaps);
    free(d->snaps_error);
    for (size_t i = 0; i < d->n_branches; i++)
        st_branch_clear(&d->branches[i]);
    free(d->branches);
    free(d->nvram_format);
    free(d->error);
    memset(d, 0, sizeof(*d));
    d->id = -1;
}

st_host *st_host_new(const char *uri)
{
    st_host *h = xcalloc(1, sizeof(*h));
    h->uri = xstrdup0(uri);
    return h;
}

void st_host_free(st_host *h)
{
    if (!h)
        return;
    free(h->uri);
    free(h->name);
    free(h->libvirt_version);
    free(h->hv_version);
    free(h->hv_type);
    free(h->error);
    for (size_t i = 0; i < h->n_doms; i++)
        st_domain_clear(&h->doms[i]);
    free(h->doms);
    for (size_t i = 0; i < h->n_jobs; i++)
        st_job_clear(&h->jobs[i]);
    free(h->jobs);
    for (size_t i = 0; i < h->n_followups; i++)
        st_followup_clear(&h->followups[i]);
    free(h->followups);
    free(h);
}

/* FNV-1a over the fields, each ended by a byte no string holds, so that "ab","c" ≠ "a","bc". */
typedef struct fp {
    uint64_t h;
} fp;

static void fp_bytes(fp *f, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++)
        f->h = (f->h ^ b[i]) * 1099511628211ull;
}

static void fp_str(fp *f, const char *s)
{
    if (s)
        fp_bytes(f, s, strlen(s));
    fp_bytes(f, s ? "\x01" : "\x02", 1);
}

static void fp_u64(fp *f, uint64_t v)
{
    fp_bytes(f, &v, sizeof(v));
}

uint64_t st_host_fingerprint(const st_host *h)
{
    fp f = {1469598103934665603ull};
    fp_str(&f, h->uri);
    fp_str(&f, h->name);
    fp_str(&f, h->libvirt_version);
    fp_str(&f, h->hv_version);
    fp_str(&f, h->hv_type);
    fp_str(&f, h->error);
    fp_u64(&f, h->libvirt_ver);
    fp_u64(&f, (uint64_t)h->reachable | (uint64_t)h->local << 1 | (uint64_t)h->readonly << 2 |
                   (uint64_t)h->external_revert << 3);
    fp_u64(&f, h->n_followups);
    for (size_t i = 0; i < h->n_followups; i++) {
        fp_str(&f, h->followups[i].record);
        fp_u64(&f, h->followups[i].n_files);
    }
    fp_u64(&f, h->n_doms);
    for (size_t i = 0; i < h->n_doms; i++) {
        const st_domain *d = &h->doms[i];
        fp_str(&f, d->name);
        fp_str(&f, d->uuid);
        fp_str(&f, d->snaps_error);
        fp_str(&f, d->error);
        fp_u64(&f,
               (uint64_t)(uint32_t)d->id << 32 | (uint64_t)d->state << 16 | (uint16_t)d->reason);
        fp_u64(&f, (uint64_t)d->persistent | (uint64_t)d->managed_save << 1 |
                       (uint64_t)d->has_agent << 2 | (uint64_t)d->agent_connected << 3 |
                       (uint64_t)d->pflash << 4);
        fp_str(&f, d->nvram_format);
        fp_u64(&f, d->n_disks);
        for (size_t k = 0; k < d->n_disks; k++) {
            const st_disk *k_ = &d->disks[k];
            fp_str(&f, k_->target);
            fp_str(&f, k_->bus);
            fp_str(&f, k_->device);
            fp_str(&f, k_->type);
            fp_str(&f, k_->format);
            fp_str(&f, k_->source);
            fp_str(&f, k_->pool);
            fp_str(&f, k_->volume);
            fp_str(&f, k_->mirror);
            fp_str(&f, k_->chain_unknown);
            fp_u64(&f, (uint64_t)k_->readonly | (uint64_t)k_->chain_complete << 1);
            fp_u64(&f, k_->n_chain);
            for (size_t l = 0; l < k_->n_chain; l++) {
                const st_layer *y = &k_->chain[l];
                fp_str(&f, y->path);
                fp_str(&f, y->format);
                fp_str(&f, y->backing_name);
                fp_str(&f, y->backing_fmt);
                fp_str(&f, y->broken);
                fp_u64(&f, y->virtual_size);
                fp_u64(&f, y->allocation);
                fp_u64(&f, y->physical);
                fp_u64(&f, (uint64_t)(uint32_t)y->backing_index);
                fp_u64(&f, y->dev);
                fp_u64(&f, y->ino);
                fp_u64(&f, (uint64_t)y->content);
                fp_u64(&f, y->n_at_snapshots);
                for (size_t s = 0; s < y->n_at_snapshots; s++)
                    fp_str(&f, y->at_snapshots[s]);
                fp_u64(&f, y->n_shared);
                for (size_t s = 0; s < y->n_shared; s++)
                    fp_str(&f, y->shared_with[s]);
            }
        }
        fp_u64(&f, d->n_snaps);
        for (size_t k = 0; k < d->n_snaps; k++) {
            const st_snapshot *s = &d->snaps[k];
            fp_str(&f, s->name);
            fp_str(&f, s->parent);
            fp_str(&f, s->description);
            fp_str(&f, s->state);
            fp_str(&f, s->memory_file);
            fp_u64(&f, (uint64_t)s->creation_time);
            fp_u64(&f,
                   (uint64_t)s->current | (uint64_t)s->external << 1 | (uint64_t)s->memory << 2);
            fp_u64(&f, s->n_disks);
            for (size_t j = 0; j < s->n_disks; j++) {
                fp_str(&f, s->disks[j].target);
                fp_str(&f, s->disks[j].snapshot);
                fp_str(&f, s->disks[j].file);
                fp_str(&f, s->disks[j].image);
            }
            fp_u64(&f, s->n_revert_disks);
            for (size_t j = 0; j < s->n_revert_disks; j++)
                fp_str(&f, s->revert_disks[j].file);
        }
        /* Detached branches (a revert by branching) change nothing else a digest would see. */
        fp_u64(&f, d->n_branches);
        for (size_t k = 0; k < d->n_branches; k++) {
            const st_branch *b = &d->branches[k];
            fp_str(&f, b->disk);
            fp_str(&f, b->file);
            fp_str(&f, b->snapshot);
            fp_str(&f, b->base);
            fp_u64(&f, (uint64_t)b->left);
            fp_u64(&f, b->n_chain);
            for (size_t c = 0; c < b->n_chain; c++)
                fp_str(&f, b->chain[c]);
        }
    }
    return f.h;
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
