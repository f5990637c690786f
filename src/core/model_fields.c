/*
 * Each model type's fields in one place: how a value is cleared (its memory freed), copied deep,
 * and fed to the host's fingerprint, one type after another. A field added to a type in model.h
 * is added here, next to its siblings, and nowhere else (tests/unit/test_model checks that every
 * field is copied and seen by the fingerprint).
 *
 * Copies start from a plain assignment, so that a scalar field is never forgotten, and then
 * replace every owned pointer with a copy of what it points to.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "core/model.h"

static void free_strv(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

/* Room for n elements, NULL for none (a copy of an empty list is empty, not a 0-byte block). */
static void *alloc_n(size_t n, size_t size)
{
    return n ? xcalloc(n, size) : NULL;
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

static void fp_strv(fp *f, char *const *v, size_t n)
{
    fp_u64(f, n);
    for (size_t i = 0; i < n; i++)
        fp_str(f, v[i]);
}

/* ---- st_layer ---- */

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

void st_layers_copy(st_layer *dst, const st_layer *src, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        dst[i] = src[i];
        dst[i].path = xstrdup0(src[i].path);
        dst[i].format = xstrdup0(src[i].format);
        dst[i].backing_name = xstrdup0(src[i].backing_name);
        dst[i].backing_fmt = xstrdup0(src[i].backing_fmt);
        dst[i].broken = xstrdup0(src[i].broken);
        dst[i].shared_with = st_strv_copy(src[i].shared_with, src[i].n_shared);
        dst[i].at_snapshots = st_strv_copy(src[i].at_snapshots, src[i].n_at_snapshots);
    }
}

static void fp_layer(fp *f, const st_layer *y)
{
    fp_str(f, y->path);
    fp_str(f, y->format);
    fp_str(f, y->backing_name);
    fp_str(f, y->backing_fmt);
    fp_str(f, y->broken);
    fp_u64(f, y->virtual_size);
    fp_u64(f, y->allocation);
    fp_u64(f, y->physical);
    fp_u64(f, (uint64_t)(uint32_t)y->backing_index);
    fp_u64(f, y->dev);
    fp_u64(f, y->ino);
    fp_u64(f, (uint64_t)y->content | (uint64_t)y->name_only << 32);
    fp_strv(f, y->at_snapshots, y->n_at_snapshots);
    fp_strv(f, y->shared_with, y->n_shared);
    fp_u64(f, y->merge_grows);
    fp_u64(f, y->merge_known);
}

/* ---- st_disk ---- */

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
    free(d->inactive_source);
    for (size_t i = 0; i < d->n_chain; i++)
        st_layer_clear(&d->chain[i]);
    free(d->chain);
    free(d->chain_unknown);
    memset(d, 0, sizeof(*d));
}

void st_disk_copy_head(st_disk *dst, const st_disk *src)
{
    *dst = *src;
    dst->target = xstrdup0(src->target);
    dst->bus = xstrdup0(src->bus);
    dst->device = xstrdup0(src->device);
    dst->type = xstrdup0(src->type);
    dst->format = xstrdup0(src->format);
    dst->source = xstrdup0(src->source);
    dst->pool = xstrdup0(src->pool);
    dst->volume = xstrdup0(src->volume);
    dst->mirror = xstrdup0(src->mirror);
    dst->inactive_source = xstrdup0(src->inactive_source);
    dst->chain = NULL;
    dst->n_chain = 0;
    dst->chain_unknown = NULL;
    dst->chain_complete = false;
}

static void disk_copy(st_disk *dst, const st_disk *src)
{
    st_disk_copy_head(dst, src);
    dst->n_chain = src->n_chain;
    dst->chain = alloc_n(src->n_chain, sizeof(st_layer));
    st_layers_copy(dst->chain, src->chain, src->n_chain);
    dst->chain_unknown = xstrdup0(src->chain_unknown);
    dst->chain_complete = src->chain_complete;
}

static void fp_disk(fp *f, const st_disk *k)
{
    fp_str(f, k->target);
    fp_str(f, k->bus);
    fp_str(f, k->device);
    fp_str(f, k->type);
    fp_str(f, k->format);
    fp_str(f, k->source);
    fp_str(f, k->pool);
    fp_str(f, k->volume);
    fp_str(f, k->mirror);
    fp_str(f, k->inactive_source);
    fp_str(f, k->chain_unknown);
    fp_u64(f, (uint64_t)k->readonly | (uint64_t)k->chain_complete << 1);
    fp_u64(f, k->n_chain);
    for (size_t l = 0; l < k->n_chain; l++)
        fp_layer(f, &k->chain[l]);
}

/* ---- st_snapdisk ---- */

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
    st_snapdisk *c = alloc_n(n, sizeof(st_snapdisk));
    for (size_t i = 0; i < n; i++) {
        c[i] = v[i];
        c[i].target = xstrdup0(v[i].target);
        c[i].snapshot = xstrdup0(v[i].snapshot);
        c[i].file = xstrdup0(v[i].file);
        c[i].image = xstrdup0(v[i].image);
    }
    return c;
}

static void fp_snapdisks(fp *f, const st_snapdisk *v, size_t n)
{
    fp_u64(f, n);
    for (size_t j = 0; j < n; j++) {
        fp_str(f, v[j].target);
        fp_str(f, v[j].snapshot);
        fp_str(f, v[j].file);
        fp_str(f, v[j].image);
    }
}

/* ---- st_snapshot ---- */

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

void st_snapshots_copy(st_snapshot *dst, const st_snapshot *src, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        dst[i] = src[i];
        dst[i].name = xstrdup0(src[i].name);
        dst[i].parent = xstrdup0(src[i].parent);
        dst[i].description = xstrdup0(src[i].description);
        dst[i].state = xstrdup0(src[i].state);
        dst[i].memory_file = xstrdup0(src[i].memory_file);
        dst[i].disks = st_snapdisks_copy(src[i].disks, src[i].n_disks);
        dst[i].revert_disks = st_snapdisks_copy(src[i].revert_disks, src[i].n_revert_disks);
    }
}

static void fp_snapshot(fp *f, const st_snapshot *s)
{
    fp_str(f, s->name);
    fp_str(f, s->parent);
    fp_str(f, s->description);
    fp_str(f, s->state);
    fp_str(f, s->memory_file);
    fp_u64(f, (uint64_t)s->creation_time);
    fp_u64(f, (uint64_t)s->current | (uint64_t)s->external << 1 | (uint64_t)s->memory << 2);
    fp_snapdisks(f, s->disks, s->n_disks);
    fp_snapdisks(f, s->revert_disks, s->n_revert_disks);
}

/* ---- st_branch ---- */

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
        dst[i].chain = st_strv_copy(src[i].chain, src[i].n_chain);
    }
}

static void fp_branch(fp *f, const st_branch *b)
{
    fp_str(f, b->disk);
    fp_str(f, b->file);
    fp_str(f, b->snapshot);
    fp_str(f, b->base);
    fp_u64(f, (uint64_t)b->left);
    fp_strv(f, b->chain, b->n_chain);
}

/* ---- st_job (not in the fingerprint: jobs travel in messages of their own) ---- */

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

/* ---- st_followup ---- */

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
        dst[i].files = st_strv_copy(src[i].files, src[i].n_files);
    }
}

static void fp_followup(fp *f, const st_followup *u)
{
    fp_str(f, u->record);
    fp_u64(f, (uint64_t)u->kind);
    fp_str(f, u->domain);
    fp_str(f, u->disk);
    fp_strv(f, u->files, u->n_files);
}

/* ---- st_finding (the chain doctor's, carried in st_host.doctor) ---- */

void st_finding_clear(st_finding *x)
{
    free(x->host);
    free(x->domain);
    free(x->disk);
    free(x->path);
    free(x->snapshot);
    free(x->text);
    free(x->fix_name);
    free(x->fix_format);
    free(x->fix_top);
    free(x->fix_base);
    memset(x, 0, sizeof(*x));
}

void st_findings_clear(st_findings *f)
{
    for (size_t i = 0; i < f->n; i++)
        st_finding_clear(&f->v[i]);
    free(f->v);
    memset(f, 0, sizeof(*f));
}

/* `check` is one of the doctor's static names: shared, not copied. */
void st_findings_copy(st_findings *dst, const st_findings *src)
{
    if (!src->n)
        return;
    xgrow((void **)&dst->v, &dst->cap, dst->n + src->n, sizeof(st_finding));
    for (size_t i = 0; i < src->n; i++) {
        const st_finding *s = &src->v[i];
        st_finding *x = &dst->v[dst->n++];
        *x = *s;
        x->host = xstrdup0(s->host);
        x->domain = xstrdup0(s->domain);
        x->disk = xstrdup0(s->disk);
        x->path = xstrdup0(s->path);
        x->snapshot = xstrdup0(s->snapshot);
        x->text = xstrdup0(s->text);
        x->fix_name = xstrdup0(s->fix_name);
        x->fix_format = xstrdup0(s->fix_format);
        x->fix_top = xstrdup0(s->fix_top);
        x->fix_base = xstrdup0(s->fix_base);
    }
}

/* The check's name is left out: the text says the same, in words. */
static void fp_findings(fp *f, const st_findings *d)
{
    fp_u64(f, d->n);
    for (size_t i = 0; i < d->n; i++) {
        const st_finding *x = &d->v[i];
        fp_u64(f, (uint64_t)(uint32_t)x->level << 32 | (uint64_t)x->fix);
        fp_str(f, x->host);
        fp_str(f, x->domain);
        fp_str(f, x->disk);
        fp_str(f, x->path);
        fp_str(f, x->snapshot);
        fp_str(f, x->text);
        fp_str(f, x->fix_name);
        fp_str(f, x->fix_format);
        fp_str(f, x->fix_top);
        fp_str(f, x->fix_base);
    }
}

/* ---- st_domain ---- */

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
    free(d->nvram);
    free(d->error);
    memset(d, 0, sizeof(*d));
    d->id = -1;
}

static void domain_copy(st_domain *d, const st_domain *s)
{
    *d = *s;
    d->name = xstrdup0(s->name);
    d->nvram_format = xstrdup0(s->nvram_format);
    d->nvram = xstrdup0(s->nvram);
    d->disks = alloc_n(s->n_disks, sizeof(st_disk));
    for (size_t k = 0; k < s->n_disks; k++)
        disk_copy(&d->disks[k], &s->disks[k]);
    d->snaps = alloc_n(s->n_snaps, sizeof(st_snapshot));
    st_snapshots_copy(d->snaps, s->snaps, s->n_snaps);
    d->snaps_error = xstrdup0(s->snaps_error);
    d->branches = alloc_n(s->n_branches, sizeof(st_branch));
    st_branches_copy(d->branches, s->branches, s->n_branches);
    d->error = xstrdup0(s->error);
}

static void fp_domain(fp *f, const st_domain *d)
{
    fp_str(f, d->name);
    fp_str(f, d->uuid);
    fp_str(f, d->snaps_error);
    fp_str(f, d->error);
    fp_u64(f, (uint64_t)(uint32_t)d->id << 32 | (uint64_t)d->state << 16 | (uint16_t)d->reason);
    fp_u64(f, (uint64_t)d->persistent | (uint64_t)d->managed_save << 1 |
                  (uint64_t)d->has_agent << 2 | (uint64_t)d->agent_connected << 3 |
                  (uint64_t)d->pflash << 4);
    fp_str(f, d->nvram_format);
    fp_str(f, d->nvram);
    fp_u64(f, d->n_disks);
    for (size_t k = 0; k < d->n_disks; k++)
        fp_disk(f, &d->disks[k]);
    fp_u64(f, d->n_snaps);
    for (size_t k = 0; k < d->n_snaps; k++)
        fp_snapshot(f, &d->snaps[k]);
    /* Detached branches (a revert by branching) change nothing else a digest would see. */
    fp_u64(f, d->n_branches);
    for (size_t k = 0; k < d->n_branches; k++)
        fp_branch(f, &d->branches[k]);
}

/* ---- st_host ---- */

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
    free_strv(h->pool_dirs, h->n_pool_dirs);
    for (size_t i = 0; i < h->n_pool_vols; i++)
        st_layer_clear(&h->pool_vols[i]);
    free(h->pool_vols);
    free_strv(h->pool_unscanned, h->n_pool_unscanned);
    st_findings_clear(&h->doctor);
    free(h);
}

st_host *st_host_dup(const st_host *h)
{
    st_host *c = xcalloc(1, sizeof(*c));
    *c = *h;
    c->uri = xstrdup0(h->uri);
    c->name = xstrdup0(h->name);
    c->libvirt_version = xstrdup0(h->libvirt_version);
    c->hv_version = xstrdup0(h->hv_version);
    c->hv_type = xstrdup0(h->hv_type);
    c->error = xstrdup0(h->error);
    c->doms = alloc_n(h->n_doms, sizeof(st_domain));
    for (size_t i = 0; i < h->n_doms; i++)
        domain_copy(&c->doms[i], &h->doms[i]);
    c->jobs = alloc_n(h->n_jobs, sizeof(st_job));
    for (size_t i = 0; i < h->n_jobs; i++)
        st_job_copy(&c->jobs[i], &h->jobs[i]);
    c->followups = alloc_n(h->n_followups, sizeof(st_followup));
    st_followups_copy(c->followups, h->followups, h->n_followups);
    c->pool_dirs = st_strv_copy(h->pool_dirs, h->n_pool_dirs);
    c->pool_vols = alloc_n(h->n_pool_vols, sizeof(st_layer));
    st_layers_copy(c->pool_vols, h->pool_vols, h->n_pool_vols);
    c->pool_unscanned = st_strv_copy(h->pool_unscanned, h->n_pool_unscanned);
    c->doctor = (st_findings){0};
    st_findings_copy(&c->doctor, &h->doctor);
    return c;
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
                   (uint64_t)h->external_revert << 3 | (uint64_t)h->pools_read << 4);
    fp_u64(&f, h->n_followups);
    for (size_t i = 0; i < h->n_followups; i++)
        fp_followup(&f, &h->followups[i]);
    fp_strv(&f, h->pool_dirs, h->n_pool_dirs);
    fp_u64(&f, h->n_pool_vols);
    for (size_t i = 0; i < h->n_pool_vols; i++)
        fp_layer(&f, &h->pool_vols[i]);
    fp_strv(&f, h->pool_unscanned, h->n_pool_unscanned);
    fp_findings(&f, &h->doctor);
    fp_u64(&f, h->n_doms);
    for (size_t i = 0; i < h->n_doms; i++)
        fp_domain(&f, &h->doms[i]);
    return f.h;
}
