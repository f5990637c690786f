/*
 * Every field of every model type is copied deep, freed, and seen by the host's fingerprint
 * (model_fields.c). The fields are listed below once per type; the list builds both a table that
 * drives the checks and an initializer naming every field in order, which fails to compile
 * (-Wmissing-field-initializers, an error with --enable-werror) when a type gains a field the
 * list lacks. A field added to model.h is thus added here, and then the checks show whether
 * model_fields.c handles it.
 */
#include "config.h"

#include <check.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "core/model.h"
#include "tap.h"

typedef enum {
    K_STR,    /* char *, owned */
    K_STRV,   /* char **, owned; its count is the next field */
    K_LIST,   /* an owned array of another type; its count is the next field */
    K_COUNT,  /* size_t: the length of the field before it */
    K_SCALAR, /* a number or an enum */
    K_BOOL,
    K_TEXT, /* a char array holding a string */
    K_BLOB, /* a plain struct without pointers */
    K_VEC,  /* an owned growable array of another type, {v, n, cap} (st_findings) */
} kind;

/* What a K_VEC field is, whatever its element type. */
typedef struct vec {
    void *v;
    size_t n, cap;
} vec;
_Static_assert(sizeof(vec) == sizeof(st_findings) && offsetof(vec, n) == offsetof(st_findings, n) &&
                   offsetof(vec, cap) == offsetof(st_findings, cap),
               "st_findings is a vec");

typedef struct type_desc type_desc;

typedef struct field {
    const char *name;
    size_t off, size;
    kind k;
    const type_desc *elem; /* K_LIST */
    bool fp;               /* the fingerprint sees it */
} field;

struct type_desc {
    const char *name;
    size_t size;
    const field *f;
    size_t n;
};

#define FP   true
#define NOFP false

/* The fields of each type, in the order model.h declares them. */
#define LAYER_FIELDS(X)                                                                            \
    X(st_layer, path, STR, NULL, FP)                                                               \
    X(st_layer, format, STR, NULL, FP)                                                             \
    X(st_layer, backing_name, STR, NULL, FP)                                                       \
    X(st_layer, backing_fmt, STR, NULL, FP)                                                        \
    X(st_layer, virtual_size, SCALAR, NULL, FP)                                                    \
    X(st_layer, allocation, SCALAR, NULL, FP)                                                      \
    X(st_layer, physical, SCALAR, NULL, FP)                                                        \
    X(st_layer, backing_index, SCALAR, NULL, FP)                                                   \
    X(st_layer, broken, STR, NULL, FP)                                                             \
    X(st_layer, name_only, BOOL, NULL, FP)                                                         \
    X(st_layer, shared_with, STRV, NULL, FP)                                                       \
    X(st_layer, n_shared, COUNT, NULL, FP)                                                         \
    X(st_layer, dev, SCALAR, NULL, FP)                                                             \
    X(st_layer, ino, SCALAR, NULL, FP)                                                             \
    X(st_layer, content, SCALAR, NULL, FP)                                                         \
    X(st_layer, at_snapshots, STRV, NULL, FP)                                                      \
    X(st_layer, n_at_snapshots, COUNT, NULL, FP)                                                  \
    X(st_layer, merge_known, BOOL, NULL, FP)                                                       \
    X(st_layer, merge_grows, SCALAR, NULL, FP)

#define DISK_FIELDS(X)                                                                             \
    X(st_disk, target, STR, NULL, FP)                                                              \
    X(st_disk, bus, STR, NULL, FP)                                                                 \
    X(st_disk, device, STR, NULL, FP)                                                              \
    X(st_disk, type, STR, NULL, FP)                                                                \
    X(st_disk, format, STR, NULL, FP)                                                              \
    X(st_disk, source, STR, NULL, FP)                                                              \
    X(st_disk, pool, STR, NULL, FP)                                                                \
    X(st_disk, volume, STR, NULL, FP)                                                              \
    X(st_disk, mirror, STR, NULL, FP)                                                              \
    X(st_disk, inactive_source, STR, NULL, FP)                                                     \
    X(st_disk, readonly, BOOL, NULL, FP)                                                           \
    X(st_disk, chain, LIST, &layer_t, FP)                                                          \
    X(st_disk, n_chain, COUNT, NULL, FP)                                                           \
    X(st_disk, chain_unknown, STR, NULL, FP)                                                       \
    X(st_disk, chain_complete, BOOL, NULL, FP)

#define SNAPDISK_FIELDS(X)                                                                         \
    X(st_snapdisk, target, STR, NULL, FP)                                                          \
    X(st_snapdisk, snapshot, STR, NULL, FP)                                                        \
    X(st_snapdisk, file, STR, NULL, FP)                                                            \
    X(st_snapdisk, image, STR, NULL, FP)

#define SNAPSHOT_FIELDS(X)                                                                         \
    X(st_snapshot, name, STR, NULL, FP)                                                            \
    X(st_snapshot, parent, STR, NULL, FP)                                                          \
    X(st_snapshot, description, STR, NULL, FP)                                                     \
    X(st_snapshot, state, STR, NULL, FP)                                                           \
    X(st_snapshot, creation_time, SCALAR, NULL, FP)                                                \
    X(st_snapshot, current, BOOL, NULL, FP)                                                        \
    X(st_snapshot, external, BOOL, NULL, FP)                                                       \
    X(st_snapshot, memory, BOOL, NULL, FP)                                                         \
    X(st_snapshot, memory_file, STR, NULL, FP)                                                     \
    X(st_snapshot, disks, LIST, &snapdisk_t, FP)                                                   \
    X(st_snapshot, n_disks, COUNT, NULL, FP)                                                       \
    X(st_snapshot, revert_disks, LIST, &snapdisk_t, FP)                                            \
    X(st_snapshot, n_revert_disks, COUNT, NULL, FP)

#define BRANCH_FIELDS(X)                                                                           \
    X(st_branch, disk, STR, NULL, FP)                                                              \
    X(st_branch, file, STR, NULL, FP)                                                              \
    X(st_branch, snapshot, STR, NULL, FP)                                                          \
    X(st_branch, base, STR, NULL, FP)                                                              \
    X(st_branch, left, SCALAR, NULL, FP)                                                           \
    X(st_branch, chain, STRV, NULL, FP)                                                            \
    X(st_branch, n_chain, COUNT, NULL, FP)

/* Jobs are not in the fingerprint (they travel in messages of their own). */
#define JOB_FIELDS(X)                                                                              \
    X(st_job, id, SCALAR, NULL, NOFP)                                                              \
    X(st_job, domain, STR, NULL, NOFP)                                                             \
    X(st_job, uuid, STR, NULL, NOFP)                                                               \
    X(st_job, disk, STR, NULL, NOFP)                                                               \
    X(st_job, kind, SCALAR, NULL, NOFP)                                                            \
    X(st_job, phase, SCALAR, NULL, NOFP)                                                           \
    X(st_job, cur, SCALAR, NULL, NOFP)                                                             \
    X(st_job, end, SCALAR, NULL, NOFP)                                                             \
    X(st_job, bandwidth, SCALAR, NULL, NOFP)                                                       \
    X(st_job, pace, BLOB, NULL, NOFP)                                                              \
    X(st_job, data, SCALAR, NULL, NOFP)                                                            \
    X(st_job, started, SCALAR, NULL, NOFP)                                                         \
    X(st_job, finished, SCALAR, NULL, NOFP)                                                        \
    X(st_job, ours, BOOL, NULL, NOFP)                                                              \
    X(st_job, top, STR, NULL, NOFP)                                                                \
    X(st_job, base, STR, NULL, NOFP)                                                               \
    X(st_job, error, STR, NULL, NOFP)                                                              \
    X(st_job, followup, BOOL, NULL, NOFP)

#define FOLLOWUP_FIELDS(X)                                                                         \
    X(st_followup, record, STR, NULL, FP)                                                          \
    X(st_followup, kind, SCALAR, NULL, FP)                                                         \
    X(st_followup, domain, STR, NULL, FP)                                                          \
    X(st_followup, disk, STR, NULL, FP)                                                            \
    X(st_followup, files, STRV, NULL, FP)                                                          \
    X(st_followup, n_files, COUNT, NULL, FP)

/* A finding's check is one of the doctor's static names, shared and not owned: a plain value
 * here, which the fingerprint leaves out (the text says the same in words). */
#define FINDING_FIELDS(X)                                                                          \
    X(st_finding, level, SCALAR, NULL, FP)                                                         \
    X(st_finding, check, SCALAR, NULL, NOFP)                                                       \
    X(st_finding, host, STR, NULL, FP)                                                             \
    X(st_finding, domain, STR, NULL, FP)                                                           \
    X(st_finding, disk, STR, NULL, FP)                                                             \
    X(st_finding, path, STR, NULL, FP)                                                             \
    X(st_finding, snapshot, STR, NULL, FP)                                                         \
    X(st_finding, text, STR, NULL, FP)                                                             \
    X(st_finding, fix, SCALAR, NULL, FP)                                                           \
    X(st_finding, fix_name, STR, NULL, FP)                                                         \
    X(st_finding, fix_format, STR, NULL, FP)                                                       \
    X(st_finding, fix_top, STR, NULL, FP)                                                          \
    X(st_finding, fix_base, STR, NULL, FP)

#define DOMAIN_FIELDS(X)                                                                           \
    X(st_domain, name, STR, NULL, FP)                                                              \
    X(st_domain, uuid, TEXT, NULL, FP)                                                             \
    X(st_domain, id, SCALAR, NULL, FP)                                                             \
    X(st_domain, state, SCALAR, NULL, FP)                                                          \
    X(st_domain, reason, SCALAR, NULL, FP)                                                         \
    X(st_domain, persistent, BOOL, NULL, FP)                                                       \
    X(st_domain, managed_save, BOOL, NULL, FP)                                                     \
    X(st_domain, has_agent, BOOL, NULL, FP)                                                        \
    X(st_domain, agent_connected, BOOL, NULL, FP)                                                  \
    X(st_domain, pflash, BOOL, NULL, FP)                                                           \
    X(st_domain, nvram_format, STR, NULL, FP)                                                      \
    X(st_domain, nvram, STR, NULL, FP)                                                             \
    X(st_domain, disks, LIST, &disk_t, FP)                                                         \
    X(st_domain, n_disks, COUNT, NULL, FP)                                                         \
    X(st_domain, snaps, LIST, &snapshot_t, FP)                                                     \
    X(st_domain, n_snaps, COUNT, NULL, FP)                                                         \
    X(st_domain, snaps_error, STR, NULL, FP)                                                       \
    X(st_domain, branches, LIST, &branch_t, FP)                                                    \
    X(st_domain, n_branches, COUNT, NULL, FP)                                                      \
    X(st_domain, error, STR, NULL, FP)

/* The digest leaves out jobs, the generation and the time of the refresh. */
#define HOST_FIELDS(X)                                                                             \
    X(st_host, uri, STR, NULL, FP)                                                                 \
    X(st_host, name, STR, NULL, FP)                                                                \
    X(st_host, libvirt_version, STR, NULL, FP)                                                     \
    X(st_host, hv_version, STR, NULL, FP)                                                          \
    X(st_host, hv_type, STR, NULL, FP)                                                             \
    X(st_host, libvirt_ver, SCALAR, NULL, FP)                                                      \
    X(st_host, reachable, BOOL, NULL, FP)                                                          \
    X(st_host, local, BOOL, NULL, FP)                                                              \
    X(st_host, readonly, BOOL, NULL, FP)                                                           \
    X(st_host, external_revert, BOOL, NULL, FP)                                                    \
    X(st_host, error, STR, NULL, FP)                                                               \
    X(st_host, doms, LIST, &domain_t, FP)                                                          \
    X(st_host, n_doms, COUNT, NULL, FP)                                                            \
    X(st_host, jobs, LIST, &job_t, NOFP)                                                           \
    X(st_host, n_jobs, COUNT, NULL, NOFP)                                                          \
    X(st_host, followups, LIST, &followup_t, FP)                                                   \
    X(st_host, n_followups, COUNT, NULL, FP)                                                       \
    X(st_host, pool_dirs, STRV, NULL, FP)                                                          \
    X(st_host, n_pool_dirs, COUNT, NULL, FP)                                                       \
    X(st_host, pool_vols, LIST, &layer_t, FP)                                                      \
    X(st_host, n_pool_vols, COUNT, NULL, FP)                                                       \
    X(st_host, pool_unscanned, STRV, NULL, FP)                                                     \
    X(st_host, n_pool_unscanned, COUNT, NULL, FP)                                                  \
    X(st_host, pools_read, BOOL, NULL, FP)                                                         \
    X(st_host, doctor, VEC, &finding_t, FP)                                                        \
    X(st_host, generation, SCALAR, NULL, NOFP)                                                     \
    X(st_host, refreshed_at, SCALAR, NULL, NOFP)

#define ENTRY(T, f, k, e, p) {#f, offsetof(T, f), sizeof(((T *)0)->f), K_##k, e, p},
#define DESC(var, T, LIST_)                                                                        \
    static const field var##_fields[] = {LIST_(ENTRY)};                                            \
    static const type_desc var = {#T, sizeof(T), var##_fields,                                     \
                                  sizeof(var##_fields) / sizeof(var##_fields[0])};

DESC(layer_t, st_layer, LAYER_FIELDS)
DESC(disk_t, st_disk, DISK_FIELDS)
DESC(snapdisk_t, st_snapdisk, SNAPDISK_FIELDS)
DESC(snapshot_t, st_snapshot, SNAPSHOT_FIELDS)
DESC(branch_t, st_branch, BRANCH_FIELDS)
DESC(job_t, st_job, JOB_FIELDS)
DESC(followup_t, st_followup, FOLLOWUP_FIELDS)
DESC(finding_t, st_finding, FINDING_FIELDS)
DESC(domain_t, st_domain, DOMAIN_FIELDS)
DESC(host_t, st_host, HOST_FIELDS)

/*
 * Each list again as a positional initializer: one value per field, so that the compiler
 * counts the fields. An aggregate takes {0}, anything else 0.
 */
#define Z_STR               0,
#define Z_STRV              0,
#define Z_LIST              0,
#define Z_COUNT             0,
#define Z_SCALAR            0,
#define Z_BOOL              0,
#define Z_TEXT              {0},
#define Z_BLOB              {0},
#define Z_VEC               {0},
#define ZERO(T, f, k, e, p) Z_##k

START_TEST(lists_name_every_field)
{
    const st_layer layer = {LAYER_FIELDS(ZERO)};
    const st_disk disk = {DISK_FIELDS(ZERO)};
    const st_snapdisk snapdisk = {SNAPDISK_FIELDS(ZERO)};
    const st_snapshot snapshot = {SNAPSHOT_FIELDS(ZERO)};
    const st_branch branch = {BRANCH_FIELDS(ZERO)};
    const st_job job = {JOB_FIELDS(ZERO)};
    const st_followup followup = {FOLLOWUP_FIELDS(ZERO)};
    const st_finding finding = {FINDING_FIELDS(ZERO)};
    const st_domain domain = {DOMAIN_FIELDS(ZERO)};
    const st_host host = {HOST_FIELDS(ZERO)};
    (void)layer, (void)disk, (void)snapdisk, (void)snapshot, (void)branch, (void)job;
    (void)followup, (void)finding, (void)domain, (void)host;
    /* And the tables in declaration order, each list followed by its count. */
    const type_desc *all[] = {&layer_t, &disk_t,     &snapdisk_t, &snapshot_t, &branch_t,
                              &job_t,   &followup_t, &finding_t,  &domain_t,   &host_t};
    for (size_t t = 0; t < sizeof(all) / sizeof(all[0]); t++) {
        const type_desc *d = all[t];
        for (size_t i = 0; i < d->n; i++) {
            const field *f = &d->f[i];
            ck_assert_msg(f->off + f->size <= d->size, "%s.%s", d->name, f->name);
            if (i + 1 < d->n)
                ck_assert_msg(f->off + f->size <= d->f[i + 1].off, "%s.%s", d->name, f->name);
            if (f->k == K_STRV || f->k == K_LIST)
                ck_assert_msg(i + 1 < d->n && d->f[i + 1].k == K_COUNT, "%s.%s", d->name, f->name);
        }
    }
}
END_TEST

/* ---- filling every field with a value of its own ---- */

static unsigned serial;

#define AT(obj, f) ((char *)(obj) + (f)->off)

static char *fresh_str(const type_desc *t, const field *f)
{
    return xasprintf("%s.%s#%u", t->name, f->name, ++serial);
}

static void fill(const type_desc *t, void *obj);

static void fill_field(const type_desc *t, void *obj, const field *f)
{
    char *p = AT(obj, f);
    size_t *count = f->k == K_STRV || f->k == K_LIST ? (size_t *)AT(obj, f + 1) : NULL;
    switch (f->k) {
    case K_STR:
        *(char **)p = fresh_str(t, f);
        break;
    case K_STRV: {
        char **v = xcalloc(2, sizeof(char *));
        v[0] = fresh_str(t, f);
        v[1] = fresh_str(t, f);
        *(char ***)p = v;
        *count = 2;
        break;
    }
    case K_LIST: {
        char *v = xcalloc(2, f->elem->size);
        fill(f->elem, v);
        fill(f->elem, v + f->elem->size);
        *(void **)p = v;
        *count = 2;
        break;
    }
    case K_VEC: {
        vec *v = (vec *)p;
        v->v = xcalloc(2, f->elem->size);
        fill(f->elem, v->v);
        fill(f->elem, (char *)v->v + f->elem->size);
        v->n = v->cap = 2;
        break;
    }
    case K_COUNT:
        break;
    case K_SCALAR:
    case K_BLOB:
        /* Small, so that fields the fingerprint packs into one word keep apart. */
        memset(p, 0, f->size);
        *p = (char)(1 + ++serial % 100);
        break;
    case K_BOOL:
        *(bool *)p = true;
        break;
    case K_TEXT:
        memset(p, 'a' + (int)(++serial % 26), f->size - 1);
        p[f->size - 1] = '\0';
        break;
    }
}

static void fill(const type_desc *t, void *obj)
{
    for (size_t i = 0; i < t->n; i++)
        fill_field(t, obj, &t->f[i]);
}

static st_host *full_host(void)
{
    st_host *h = xcalloc(1, sizeof(*h));
    fill(&host_t, h);
    return h;
}

/* ---- deep equality: the first field that differs, or is shared, into `why` ---- */

static bool same(const type_desc *t, const void *a, const void *b, char *why, size_t len);

static bool same_str(const char *a, const char *b, const char *path, char *why, size_t len)
{
    if (!a || !b || a == b || strcmp(a, b) != 0) {
        snprintf(why, len, "%s: %s", path, a == b && a ? "shared, not copied" : "differs");
        return false;
    }
    return true;
}

static bool same_field(const type_desc *t, const field *f, const void *a, const void *b, char *why,
                       size_t len)
{
    char path[128];
    snprintf(path, sizeof(path), "%s.%s", t->name, f->name);
    const char *pa = AT(a, f), *pb = AT(b, f);
    size_t n = f->k == K_STRV || f->k == K_LIST ? *(const size_t *)AT(a, f + 1)
               : f->k == K_VEC                  ? ((const vec *)pa)->n
                                                : 0;
    switch (f->k) {
    case K_STR:
        return same_str(*(char *const *)pa, *(char *const *)pb, path, why, len);
    case K_STRV:
        for (size_t i = 0; i < n; i++)
            if (!same_str((*(char **const *)pa)[i], (*(char **const *)pb)[i], path, why, len))
                return false;
        return true;
    case K_VEC:
        if (((const vec *)pb)->n != n) {
            snprintf(why, len, "%s: differs", path);
            return false;
        }
        /* fall through - the elements, as a list's */
    case K_LIST: {
        const char *va = *(char *const *)pa, *vb = *(char *const *)pb;
        if (va == vb) {
            snprintf(why, len, "%s: shared, not copied", path);
            return false;
        }
        for (size_t i = 0; i < n; i++)
            if (!same(f->elem, va + i * f->elem->size, vb + i * f->elem->size, why, len))
                return false;
        return true;
    }
    default:
        if (memcmp(pa, pb, f->size) != 0) {
            snprintf(why, len, "%s: differs", path);
            return false;
        }
        return true;
    }
}

static bool same(const type_desc *t, const void *a, const void *b, char *why, size_t len)
{
    for (size_t i = 0; i < t->n; i++)
        if (!same_field(t, &t->f[i], a, b, why, len))
            return false;
    return true;
}

/* ---- copies ---- */

START_TEST(host_dup_copies_every_field)
{
    st_host *h = full_host();
    st_host *c = st_host_dup(h);
    char why[256] = "";
    ck_assert_msg(same(&host_t, h, c, why, sizeof(why)), "%s", why);
    st_host_free(c);
    st_host_free(h);
}
END_TEST

/* Each type's own copy, for callers that copy one part of a model. */
static void copy_layer(void *d, const void *s)
{
    st_layers_copy(d, s, 1);
}
static void copy_snapshot(void *d, const void *s)
{
    st_snapshots_copy(d, s, 1);
}
static void copy_branch(void *d, const void *s)
{
    st_branches_copy(d, s, 1);
}
static void copy_job(void *d, const void *s)
{
    st_job_copy(d, s);
}
static void copy_followup(void *d, const void *s)
{
    st_followups_copy(d, s, 1);
}
static void copy_snapdisk(void *d, const void *s)
{
    st_snapdisk *c = st_snapdisks_copy(s, 1);
    memcpy(d, c, sizeof(*c));
    free(c);
}

static void clear_layer(void *p)
{
    st_layer_clear(p);
}
static void clear_snapshot(void *p)
{
    st_snapshot_clear(p);
}
static void clear_branch(void *p)
{
    st_branch_clear(p);
}
static void clear_job(void *p)
{
    st_job_clear(p);
}
static void clear_followup(void *p)
{
    st_followup_clear(p);
}
static void clear_snapdisk(void *p)
{
    st_snapdisk *c = xcalloc(1, sizeof(*c));
    memcpy(c, p, sizeof(*c));
    st_snapdisks_free(c, 1);
}

static const struct {
    const type_desc *t;
    void (*copy)(void *dst, const void *src);
    void (*clear)(void *p);
} part_copies[] = {
    {&layer_t, copy_layer, clear_layer},          {&snapshot_t, copy_snapshot, clear_snapshot},
    {&branch_t, copy_branch, clear_branch},       {&job_t, copy_job, clear_job},
    {&followup_t, copy_followup, clear_followup}, {&snapdisk_t, copy_snapdisk, clear_snapdisk},
};

START_TEST(each_copy_copies_every_field)
{
    const type_desc *t = part_copies[_i].t;
    void *a = xcalloc(1, t->size), *b = xcalloc(1, t->size);
    fill(t, a);
    part_copies[_i].copy(b, a);
    char why[256] = "";
    ck_assert_msg(same(t, a, b, why, sizeof(why)), "%s", why);
    part_copies[_i].clear(a);
    part_copies[_i].clear(b);
    free(a);
    free(b);
}
END_TEST

/* Discovery copies what the XML says of a disk and finds its chain elsewhere. */
START_TEST(disk_head_copies_all_but_the_chain)
{
    st_disk d, c;
    memset(&d, 0, sizeof(d));
    fill(&disk_t, &d);
    st_disk_copy_head(&c, &d);
    for (size_t i = 0; i < disk_t.n; i++) {
        const field *f = &disk_t.f[i];
        bool chain = strcmp(f->name, "chain") == 0 || strcmp(f->name, "n_chain") == 0 ||
                     strcmp(f->name, "chain_unknown") == 0 ||
                     strcmp(f->name, "chain_complete") == 0;
        char why[256] = "";
        if (chain) {
            static const char zero[16];
            ck_assert_msg(f->size <= sizeof(zero) && memcmp(AT(&c, f), zero, f->size) == 0,
                          "st_disk.%s copied", f->name);
        } else {
            ck_assert_msg(same_field(&disk_t, f, &d, &c, why, sizeof(why)), "%s", why);
        }
    }
    st_disk_clear(&c);
    st_disk_clear(&d);
}
END_TEST

/* ---- clearing ---- */

/* Under the sanitizer build, its leak check shows a field the clearing left. */
START_TEST(free_frees_every_field)
{
    st_host_free(full_host());
}
END_TEST

/* ---- the fingerprint ---- */

typedef struct fp_check {
    st_host *h;
    uint64_t base;
    char *failed; /* the first field the fingerprint got wrong */
} fp_check;

/* A change of one field, made and (back) unmade. */
typedef void change_fn(const field *f, char *p, bool back);

static void flip_str(const field *f, char *p, bool back)
{
    (void)f, (void)back;
    (*(char **)p)[0] ^= 1;
}

static void flip(const field *f, char *p, bool back)
{
    (void)back;
    if (f->k == K_STR)
        flip_str(f, p, back);
    else if (f->k == K_BOOL)
        *(bool *)p = !*(bool *)p;
    else /* numbers, text, blobs: their first byte's low bit */
        p[0] ^= 1;
}

/* One element fewer (of a list or a string vector), and the element back. */
static void shrink(const field *f, char *p, bool back)
{
    (void)f;
    *(size_t *)p += back ? 1 : (size_t)-1;
}

/* Changes one thing and expects the fingerprint to change with it or, where it must not look, to
 * stay; then changes it back. */
static void expect(fp_check *c, const char *path, bool seen, change_fn *change, const field *f,
                   char *p)
{
    change(f, p, false);
    bool changed = st_host_fingerprint(c->h) != c->base;
    change(f, p, true);
    if (changed != seen && !c->failed)
        c->failed = xasprintf("%s: %s", path,
                              seen ? "not seen by the fingerprint" : "seen by the fingerprint");
}

static void walk(fp_check *c, const type_desc *t, void *obj, bool seen, const char *at)
{
    for (size_t i = 0; i < t->n; i++) {
        const field *f = &t->f[i];
        char *path = xasprintf("%s.%s", at, f->name);
        char *p = AT(obj, f);
        bool s = seen && f->fp;
        if (f->k == K_LIST || f->k == K_VEC) {
            size_t n = f->k == K_VEC ? ((vec *)p)->n : *(size_t *)AT(obj, f + 1);
            for (size_t e = 0; e < n; e++) {
                char *sub = xasprintf("%s[%zu]", path, e);
                walk(c, f->elem, *(char **)p + e * f->elem->size, s, sub);
                free(sub);
            }
            if (f->k == K_VEC) /* its count, inside it */
                expect(c, path, s, shrink, f, (char *)&((vec *)p)->n);
        } else if (f->k == K_STRV) {
            size_t n = *(size_t *)AT(obj, f + 1);
            for (size_t e = 0; e < n; e++)
                expect(c, path, s, flip_str, f, (char *)&(*(char ***)p)[e]);
        } else if (f->k == K_COUNT) {
            expect(c, path, s, shrink, f, p);
        } else {
            expect(c, path, s, flip, f, p);
        }
        free(path);
    }
}

START_TEST(fingerprint_sees_every_field_but_jobs_and_time)
{
    fp_check c = {.h = full_host()};
    c.base = st_host_fingerprint(c.h);
    walk(&c, &host_t, c.h, true, "host");
    ck_assert_msg(!c.failed, "%s", c.failed);
    ck_assert_uint_eq(st_host_fingerprint(c.h), c.base);
    st_host_free(c.h);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("model");
    TCase *tc = tcase_create("fields");
    tcase_add_test(tc, lists_name_every_field);
    tcase_add_test(tc, host_dup_copies_every_field);
    tcase_add_loop_test(tc, each_copy_copies_every_field, 0,
                        sizeof(part_copies) / sizeof(part_copies[0]));
    tcase_add_test(tc, disk_head_copies_all_but_the_chain);
    tcase_add_test(tc, free_frees_every_field);
    tcase_add_test(tc, fingerprint_sees_every_field_but_jobs_and_time);
    suite_add_tcase(s, tc);
    return st_run_suite(s);
}
