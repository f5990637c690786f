/*
 * Building the model from what libvirt sent: the typed parameters of the bulk statistics and the
 * domain XML. The article fixtures (tests/unit/data/stats/article_*.stats and
 * data/xml/article_*.xml) were recorded from the lab's libvirtd (libvirt 9.0, QEMU 7.2) with
 * `virsh domstats --state --block --backing test2` and `virsh dumpxml test2`, for the article's
 * chain on a running test2 and again after `virsh destroy`; only the lab's scratch folder was
 * rewritten to /var/lib/libvirt/images. Edge cases that libvirt does not produce on demand are
 * written by hand below.
 */
#include "config.h"

#include <check.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend/discover_internal.h"
#include "backend/xmlutil.h"
#include "base/util.h"
#include "core/model.h"
#include "core/qcow2.h"
#include "fixture.h"
#include "tap.h"

#define IMG "/var/lib/libvirt/images/"

/* ---- typed parameters ---- */

typedef struct params {
    virTypedParameter p[512];
    int n;
    char *text; /* a recorded file's contents: string values point into it */
} params;

static virTypedParameter *param(params *ps, const char *field, int type)
{
    ck_assert_int_lt(ps->n, (int)(sizeof(ps->p) / sizeof(ps->p[0])));
    virTypedParameter *p = &ps->p[ps->n++];
    memset(p, 0, sizeof(*p));
    snprintf(p->field, sizeof(p->field), "%s", field);
    p->type = type;
    return p;
}

static void put_int(params *ps, const char *field, int v)
{
    param(ps, field, VIR_TYPED_PARAM_INT)->value.i = v;
}

static void put_uint(params *ps, const char *field, unsigned v)
{
    param(ps, field, VIR_TYPED_PARAM_UINT)->value.ui = v;
}

static void put_ull(params *ps, const char *field, unsigned long long v)
{
    param(ps, field, VIR_TYPED_PARAM_ULLONG)->value.ul = v;
}

static void put_str(params *ps, const char *field, const char *v)
{
    param(ps, field, VIR_TYPED_PARAM_STRING)->value.s = (char *)v;
}

/* The type libvirt's qemu driver gives each statistic. */
static int field_type(const char *field)
{
    const char *last = strrchr(field, '.');
    last = last ? last + 1 : field;
    if (strncmp(field, "state.", 6) == 0)
        return VIR_TYPED_PARAM_INT;
    if (strcmp(field, "block.count") == 0 || strcmp(last, "backingIndex") == 0)
        return VIR_TYPED_PARAM_UINT;
    if (strcmp(last, "name") == 0 || strcmp(last, "path") == 0)
        return VIR_TYPED_PARAM_STRING;
    return VIR_TYPED_PARAM_ULLONG;
}

/* A recorded `virsh domstats` output ("  field=value" lines) as the parameters it printed. */
static void load_stats(params *ps, const char *name)
{
    char *rel = xasprintf("stats/%s", name);
    ps->n = 0;
    ps->text = read_fixture_at(rel);
    free(rel);
    for (char *line = strtok(ps->text, "\n"); line; line = strtok(NULL, "\n")) {
        while (*line == ' ')
            line++;
        char *eq = strchr(line, '=');
        if (!eq)
            continue; /* "Domain: 'test2'" */
        *eq = '\0';
        const char *v = eq + 1;
        switch (field_type(line)) {
        case VIR_TYPED_PARAM_INT:
            put_int(ps, line, atoi(v));
            break;
        case VIR_TYPED_PARAM_UINT:
            put_uint(ps, line, (unsigned)strtoul(v, NULL, 10));
            break;
        case VIR_TYPED_PARAM_STRING:
            put_str(ps, line, v);
            break;
        default:
            put_ull(ps, line, strtoull(v, NULL, 10));
        }
    }
}

static void parse_into(const params *ps, stat_dom *sd)
{
    ds_parse_stats(ps->p, ps->n, sd);
}

/* ---- models ---- */

typedef struct model {
    st_worker w;
    dom_work dw;
    st_domain xd; /* the parsed XML */
    st_disk *disks;
} model;

static void model_init(model *m, bool local, const char *xml_fixture)
{
    memset(m, 0, sizeof(*m));
    m->w.local = local;
    m->w.hv_type = xstrdup("QEMU");
    st_cache_init(&m->w.cache);
    char *rel = xasprintf("xml/%s", xml_fixture);
    char *xml = read_fixture_at(rel), *err = NULL;
    ck_assert_int_eq(st_xml_parse_domain(xml, &m->xd, &err), 0);
    ck_assert_ptr_null(err);
    free(xml);
    free(rel);
    m->dw.active = m->xd.id >= 0;
    m->dw.sd.state = m->dw.active ? ST_DOM_RUNNING : ST_DOM_SHUTOFF;
}

/* Every disk of the domain, as one refresh builds it. */
static void model_build(model *m)
{
    m->disks = xcalloc(m->xd.n_disks, sizeof(st_disk));
    for (size_t k = 0; k < m->xd.n_disks; k++)
        ds_build_disk(&m->w, &m->dw, &m->disks[k], &m->xd.disks[k]);
}

static void model_free(model *m)
{
    for (size_t k = 0; m->disks && k < m->xd.n_disks; k++)
        st_disk_clear(&m->disks[k]);
    free(m->disks);
    st_domain_clear(&m->xd);
    free(m->dw.sd.blocks);
    st_cache_clear(&m->w.cache);
    free(m->w.hv_type);
}

static const char *const article[] = {
    IMG "test2_lsof.qcow2", IMG "test2_net-tools.qcow2", IMG "test2_nmap.qcow2",
    IMG "test2_test.qcow2", IMG "test2.qcow2",           IMG "centos.qcow2",
};

/* ---- the recorded article ---- */

START_TEST(stats_article_running)
{
    params ps;
    load_stats(&ps, "article_running.stats");
    stat_dom sd = {0};
    parse_into(&ps, &sd);
    ck_assert_int_eq(sd.state, 1);
    ck_assert_int_eq(sd.reason, 1);
    ck_assert(sd.have_blocks);
    ck_assert_uint_eq(sd.n_blocks, 6);
    /* backingIndex is an id that libvirt hands out as layers appear, not a depth. */
    static const int ids[] = {6, 5, 4, 3, 1, 2};
    for (size_t k = 0; k < 6; k++) {
        ck_assert_str_eq(sd.blocks[k].name, "vda");
        ck_assert_str_eq(sd.blocks[k].path, article[k]);
        ck_assert_int_eq(sd.blocks[k].backing_index, ids[k]);
        ck_assert_uint_eq(sd.blocks[k].capacity, 64ull << 20);
    }
    ck_assert_uint_eq(sd.blocks[0].allocation, 524288);
    ck_assert_uint_eq(sd.blocks[0].physical, 462848);
    ck_assert_uint_eq(sd.blocks[5].allocation, 0);
    ck_assert_uint_eq(sd.blocks[5].physical, 397312);
    free(sd.blocks);
    free(ps.text);
}
END_TEST

START_TEST(model_remote_running_article)
{
    model m;
    model_init(&m, false, "article_live.xml");
    ck_assert(m.dw.active);
    params ps;
    load_stats(&ps, "article_running.stats");
    parse_into(&ps, &m.dw.sd);
    ck_assert_int_eq(ds_chain_source(&m.w, &m.xd.disks[0], true), SRC_STATS);
    model_build(&m);
    const st_disk *d = &m.disks[0];
    ck_assert_str_eq(d->target, "vda");
    ck_assert_uint_eq(d->n_chain, 6);
    ck_assert_ptr_null(d->chain_unknown);
    for (size_t i = 0; i < 6; i++) {
        const st_layer *l = &d->chain[i];
        ck_assert_str_eq(l->path, article[i]);
        ck_assert_str_eq(l->format, "qcow2"); /* the stats have none: from the XML */
        /* The stats' id and the live XML's index name the same layer. */
        ck_assert_int_eq(l->backing_index, m.xd.disks[0].chain[i].backing_index);
        ck_assert_uint_eq(l->virtual_size, 64ull << 20);
        /* What the file occupies, as qemu-img and the local path say: libvirt's "physical" of a
         * running domain (QEMU's actual-size), not its "allocation" (the highest offset written,
         * 524288 here). The file's own size is not known. */
        ck_assert_uint_eq(l->allocation, i == 5 ? 397312 : 462848);
        ck_assert_uint_eq(l->physical, 0);
        ck_assert_ptr_null(l->broken);
    }
    model_free(&m);
    free(ps.text);
}
END_TEST

START_TEST(stats_block_device_allocation)
{
    /* A block device has no allocated-blocks figure: the highest offset QEMU wrote is the one. */
    params ps = {.n = 0};
    put_uint(&ps, "block.count", 1);
    put_str(&ps, "block.0.name", "vda");
    put_str(&ps, "block.0.path", "/dev/vg0/guest");
    put_ull(&ps, "block.0.allocation", 7 << 20);
    put_ull(&ps, "block.0.physical", 0);
    stat_dom sd = {0};
    parse_into(&ps, &sd);
    st_disk xd = {.target = "vda"}, d = {.target = "vda"};
    ds_chain_from_stats(&d, &xd, &sd);
    ck_assert_uint_eq(d.n_chain, 1);
    ck_assert_uint_eq(d.chain[0].allocation, 7 << 20);
    st_layer_clear(&d.chain[0]);
    free(d.chain);
    free(sd.blocks);
}
END_TEST

/* ---- hand-made parameter arrays ---- */

START_TEST(stats_interleaved_disks)
{
    /* Entries of two disks mixed, and block.count after the entries it counts. */
    params ps = {.n = 0};
    put_str(&ps, "block.0.name", "vda");
    put_str(&ps, "block.0.path", IMG "a-top");
    put_uint(&ps, "block.0.backingIndex", 9);
    put_str(&ps, "block.1.name", "vdb");
    put_str(&ps, "block.1.path", IMG "b-top");
    put_str(&ps, "block.2.name", "vda");
    put_str(&ps, "block.2.path", IMG "a-base");
    put_uint(&ps, "block.2.backingIndex", 2);
    put_str(&ps, "block.3.name", "vdb");
    put_str(&ps, "block.3.path", IMG "b-base");
    put_uint(&ps, "block.count", 4);
    stat_dom sd = {0};
    parse_into(&ps, &sd);
    ck_assert_uint_eq(sd.n_blocks, 4);
    ck_assert_str_eq(ds_top_stat(&sd, "vdb")->path, IMG "b-top");

    st_disk xd = {.target = "vda"}, d = {.target = "vda"};
    ds_chain_from_stats(&d, &xd, &sd);
    ck_assert_uint_eq(d.n_chain, 2);
    ck_assert_str_eq(d.chain[0].path, IMG "a-top");
    ck_assert_int_eq(d.chain[0].backing_index, 9);
    ck_assert_str_eq(d.chain[1].path, IMG "a-base");
    ck_assert_int_eq(d.chain[1].backing_index, 2);
    ck_assert_ptr_null(d.chain[1].format); /* no XML layer to take it from */
    for (size_t i = 0; i < d.n_chain; i++)
        st_layer_clear(&d.chain[i]);
    free(d.chain);
    free(sd.blocks);
}
END_TEST

START_TEST(stats_missing_path)
{
    /* An empty cdrom has a name and no path; a layer QEMU did not open has no path either. */
    params ps = {.n = 0};
    put_uint(&ps, "block.count", 3);
    put_str(&ps, "block.0.name", "sda");
    put_str(&ps, "block.1.name", "vda");
    put_str(&ps, "block.1.path", IMG "top.qcow2");
    put_str(&ps, "block.2.name", "vda");
    stat_dom sd = {0};
    parse_into(&ps, &sd);
    ck_assert_uint_eq(sd.n_blocks, 3);
    ck_assert_ptr_null(sd.blocks[0].path);
    ck_assert_int_eq(sd.blocks[0].backing_index, -1);

    st_disk xd = {.target = "vda"}, d = {.target = "vda"};
    ds_chain_from_stats(&d, &xd, &sd);
    ck_assert_uint_eq(d.n_chain, 1);
    ck_assert_str_eq(d.chain[0].path, IMG "top.qcow2");
    st_layer_clear(&d.chain[0]);
    free(d.chain);

    /* No entry with a path at all: the chain is the XML's. */
    model m;
    model_init(&m, false, "article_live.xml");
    st_disk cd = {.target = "sda"};
    ds_chain_from_stats(&cd, &m.xd.disks[0], &sd);
    ck_assert_uint_eq(cd.n_chain, m.xd.disks[0].n_chain);
    ck_assert_str_eq(cd.chain[5].path, article[5]);
    for (size_t i = 0; i < cd.n_chain; i++)
        st_layer_clear(&cd.chain[i]);
    free(cd.chain);
    model_free(&m);
    free(sd.blocks);
}
END_TEST

START_TEST(stats_absurd_values)
{
    params ps = {.n = 0};
    put_uint(&ps, "block.count", UINT_MAX);
    put_str(&ps, "block.4095.name", "vda");
    put_str(&ps, "block.4096.name", "vdb");  /* past the cap */
    put_str(&ps, "block.99999.name", "vdc"); /* not an index at all */
    put_str(&ps, "block.x.name", "vdd");
    put_str(&ps, "block.0", "vde"); /* no field after the index */
    put_uint(&ps, "block.4095.backingIndex", 1u + INT_MAX);
    put_int(&ps, "block.4095.capacity", 7);    /* sizes are unsigned long long */
    put_int(&ps, "block.4095.allocation", -1); /* and nothing else */
    put_ull(&ps, "block.4095.physical", 12345);
    stat_dom sd = {0};
    parse_into(&ps, &sd);
    ck_assert_uint_eq(sd.n_blocks, 4096);
    const stat_block *b = &sd.blocks[4095];
    ck_assert_str_eq(b->name, "vda");
    ck_assert_int_eq(b->backing_index, -1);
    ck_assert_uint_eq(b->capacity, 0);
    ck_assert_uint_eq(b->allocation, 0);
    ck_assert_uint_eq(b->physical, 12345);
    static const char *const ignored[] = {"vdb", "vdc", "vdd", "vde"};
    for (size_t i = 0; i < sizeof(ignored) / sizeof(ignored[0]); i++)
        ck_assert_ptr_null(ds_top_stat(&sd, ignored[i]));
    free(sd.blocks);

    /* A block.count of the wrong type is no count: no entry is kept. */
    params bad = {.n = 0};
    put_int(&bad, "block.count", 3);
    put_str(&bad, "block.0.name", "vda");
    stat_dom sd2 = {0};
    parse_into(&bad, &sd2);
    ck_assert(!sd2.have_blocks);
    ck_assert_uint_eq(sd2.n_blocks, 0);
}
END_TEST

START_TEST(model_local_running_without_headers)
{
    /* On this machine a running chain is the live XML's; with no header read yet (the first
     * model of the interface), the sizes come from the statistics where there are some. */
    model m;
    model_init(&m, true, "article_live.xml");
    params ps;
    load_stats(&ps, "article_running.stats");
    parse_into(&ps, &m.dw.sd);
    ck_assert_int_eq(ds_chain_source(&m.w, &m.xd.disks[0], true), SRC_LOCAL_RUNNING);
    model_build(&m);
    const st_disk *d = &m.disks[0];
    ck_assert_uint_eq(d->n_chain, 6);
    static const int ids[] = {6, 5, 4, 3, 1, 2};
    for (size_t i = 0; i < 6; i++) {
        ck_assert_str_eq(d->chain[i].path, article[i]);
        ck_assert_int_eq(d->chain[i].backing_index, ids[i]);
        ck_assert_str_eq(d->chain[i].format, "qcow2");
        ck_assert_uint_eq(d->chain[i].allocation, i == 5 ? 397312 : 462848);
    }
    model_free(&m);
    free(ps.text);
}
END_TEST

/* ---- remote shut-off chains ---- */

/* A storage pool as the walk sees it: the volumes it holds, looked up by path. */
typedef struct fake_pool {
    const st_volinfo *vols;
    size_t n;
    size_t lookups;
} fake_pool;

static const st_volinfo *fake_lookup(void *ctx, const char *path)
{
    fake_pool *fp = ctx;
    fp->lookups++;
    for (size_t i = 0; i < fp->n; i++)
        if (strcmp(fp->vols[i].path, path) == 0)
            return &fp->vols[i];
    return NULL;
}

/* The article's six images as a dir pool describes them (sizes as the lab's libvirtd gave). */
static st_volinfo article_vol(size_t i)
{
    return (st_volinfo){.path = (char *)article[i],
                        .format = "qcow2",
                        .backing_path = i + 1 < 6 ? (char *)article[i + 1] : NULL,
                        .backing_format = i + 1 < 6 ? "qcow2" : NULL,
                        .capacity = 64ull << 20,
                        .allocation = i == 5 ? 397312 : 462848,
                        .physical = i == 5 ? 458752 : 524288};
}

/* The walk of the fixture's first disk (free with st_cached_remote_free). */
static st_cached_remote *walk(const char *xml_fixture, fake_pool *fp)
{
    model m;
    model_init(&m, false, xml_fixture);
    st_cached_remote *cr = xcalloc(1, sizeof(*cr));
    ds_walk_remote(&m.xd.disks[0], fake_lookup, fp, cr);
    model_free(&m);
    return cr;
}

static void check_paths(const st_cached_remote *cr, size_t n)
{
    ck_assert_uint_eq(cr->n, n);
    for (size_t i = 0; i < n; i++) {
        ck_assert_str_eq(cr->layers[i].path, article[i]);
        ck_assert_str_eq(cr->layers[i].format, "qcow2");
        ck_assert_int_eq(cr->layers[i].backing_index, -1);
    }
}

START_TEST(inactive_xml_is_partial)
{
    /* What libvirt 9.0 leaves after external snapshots of a running domain: the layers they
     * added, no empty <backingStore/>, and no centos.qcow2. */
    model m;
    model_init(&m, false, "article_inactive.xml");
    const st_disk *xd = &m.xd.disks[0];
    ck_assert_uint_eq(xd->n_chain, 5);
    ck_assert(!xd->chain_complete);
    ck_assert_int_eq(ds_chain_source(&m.w, xd, false), SRC_POOL);
    /* The test driver's chains are all it has: taken as they are. */
    free(m.w.hv_type);
    m.w.hv_type = xstrdup("TEST");
    ck_assert_int_eq(ds_chain_source(&m.w, xd, false), SRC_XML);
    model_free(&m);
}
END_TEST

START_TEST(walk_all_in_pool)
{
    st_volinfo vols[6];
    for (size_t i = 0; i < 6; i++)
        vols[i] = article_vol(i);
    fake_pool fp = {vols, 6, 0};
    st_cached_remote *cr = walk("article_inactive.xml", &fp);
    check_paths(cr, 6);
    ck_assert_ptr_null(cr->unknown);
    ck_assert_uint_eq(cr->layers[5].allocation, 397312);
    ck_assert_uint_eq(cr->layers[5].physical, 458752);
    ck_assert_uint_eq(cr->layers[0].virtual_size, 64ull << 20);
    ck_assert_str_eq(cr->layers[4].backing_name, article[5]);
    ck_assert_ptr_null(cr->layers[5].backing_name);
    st_cached_remote_free(cr);
}
END_TEST

START_TEST(walk_no_pool_keeps_xml)
{
    fake_pool fp = {NULL, 0, 0};
    st_cached_remote *cr = walk("article_inactive.xml", &fp);
    /* Never a silently shorter chain: what the XML knows, and the rest said to be unknown. */
    check_paths(cr, 5);
    ck_assert_ptr_nonnull(cr->unknown);
    ck_assert_ptr_nonnull(strstr(cr->unknown, "not in a storage pool"));
    ck_assert_uint_eq(fp.lookups, 5);
    ck_assert_uint_eq(cr->layers[0].virtual_size, 0); /* sizes: from the statistics, later */
    st_cached_remote_free(cr);
}
END_TEST

START_TEST(walk_pool_gap_goes_on)
{
    /* test2_nmap.qcow2 lives outside the pools: the XML names it and what is below; the pools
     * hold those again, down to the base the XML does not know. */
    st_volinfo vols[5];
    size_t n = 0;
    for (size_t i = 0; i < 6; i++)
        if (i != 2)
            vols[n++] = article_vol(i);
    fake_pool fp = {vols, n, 0};
    st_cached_remote *cr = walk("article_inactive.xml", &fp);
    check_paths(cr, 6);
    ck_assert_ptr_null(cr->unknown);
    ck_assert_uint_eq(cr->layers[2].virtual_size, 0);
    ck_assert_uint_eq(cr->layers[3].virtual_size, 64ull << 20);
    st_cached_remote_free(cr);
}
END_TEST

START_TEST(walk_pool_loop_is_broken)
{
    /* A hostile or damaged pool: test2_net-tools.qcow2 names test2_lsof.qcow2 (the top, by
     * another spelling of its path) as its backing file. */
    st_volinfo vols[2] = {article_vol(0), article_vol(1)};
    char *again = xasprintf("%s/./%s", IMG, "test2_lsof.qcow2");
    vols[1].backing_path = again;
    fake_pool fp = {vols, 2, 0};
    st_cached_remote *cr = walk("article_inactive.xml", &fp);
    ck_assert_uint_eq(cr->n, 3);
    ck_assert_ptr_null(cr->layers[0].broken);
    ck_assert_ptr_null(cr->layers[1].broken);
    ck_assert_str_eq(cr->layers[2].path, again);
    ck_assert_ptr_nonnull(cr->layers[2].broken);
    ck_assert_ptr_nonnull(strstr(cr->layers[2].broken, "loop"));
    ck_assert_uint_eq(fp.lookups, 2); /* the loop is seen before the volume is looked up again */
    st_cached_remote_free(cr);
    free(again);
}
END_TEST

START_TEST(walk_pool_too_deep_is_broken)
{
    /* A pool chain deeper than the reader follows: it stops with a layer that says so. */
    enum { N = ST_CHAIN_MAX_DEPTH + 10 };
    st_volinfo *vols = xcalloc(N, sizeof(*vols));
    char **names = xcalloc(N + 1, sizeof(*names));
    names[0] = xstrdup(article[0]);
    for (size_t i = 1; i <= N; i++)
        names[i] = xasprintf("%sdeep-%zu.qcow2", IMG, i);
    for (size_t i = 0; i < N; i++)
        vols[i] = (st_volinfo){.path = names[i],
                               .format = "qcow2",
                               .backing_path = names[i + 1],
                               .backing_format = "qcow2",
                               .capacity = 1 << 20};
    fake_pool fp = {vols, N, 0};
    st_cached_remote *cr = walk("article_inactive.xml", &fp);
    ck_assert_uint_eq(cr->n, ST_CHAIN_MAX_DEPTH + 1);
    for (size_t i = 0; i < ST_CHAIN_MAX_DEPTH; i++)
        ck_assert_ptr_null(cr->layers[i].broken);
    ck_assert_str_eq(cr->layers[ST_CHAIN_MAX_DEPTH].path, names[ST_CHAIN_MAX_DEPTH]);
    ck_assert_ptr_nonnull(strstr(cr->layers[ST_CHAIN_MAX_DEPTH].broken, "deeper than"));
    ck_assert_uint_eq(fp.lookups, ST_CHAIN_MAX_DEPTH);
    st_cached_remote_free(cr);
    for (size_t i = 0; i <= N; i++)
        free(names[i]);
    free(names);
    free(vols);
}
END_TEST

START_TEST(walk_backing_nobody_knows)
{
    /* The pool holds the top only, and its backing file is neither in a pool nor in the XML. */
    st_volinfo top = article_vol(0);
    top.backing_path = "/srv/elsewhere/base.raw";
    top.backing_format = "raw";
    fake_pool fp = {&top, 1, 0};
    st_cached_remote *cr = walk("article_inactive.xml", &fp);
    ck_assert_uint_eq(cr->n, 2);
    ck_assert_str_eq(cr->layers[1].path, "/srv/elsewhere/base.raw");
    ck_assert_str_eq(cr->layers[1].format, "raw"); /* as the overlay declares it */
    ck_assert_ptr_nonnull(cr->unknown);
    st_cached_remote_free(cr);
}
END_TEST

START_TEST(model_remote_shutoff_article)
{
    /* The whole path of a refresh: the walk cached, then the disk built with the shut-off
     * statistics' sizes for the layers no pool holds. */
    model m;
    model_init(&m, false, "article_inactive.xml");
    ck_assert(!m.dw.active);
    params ps;
    load_stats(&ps, "article_shutoff.stats");
    parse_into(&ps, &m.dw.sd);
    ck_assert_int_eq(m.dw.sd.state, ST_DOM_SHUTOFF);
    snprintf(m.dw.uuid, sizeof(m.dw.uuid), "%s", m.xd.uuid);
    fake_pool fp = {NULL, 0, 0};
    st_cached_remote *cr = xcalloc(1, sizeof(*cr));
    ds_walk_remote(&m.xd.disks[0], fake_lookup, &fp, cr);
    char *key = ds_remote_key(&m.dw, &m.xd.disks[0]);
    st_hash_put(&m.w.cache.remote, key, cr);
    free(key);
    model_build(&m);
    const st_disk *d = &m.disks[0];
    ck_assert_uint_eq(d->n_chain, 5);
    ck_assert_ptr_nonnull(d->chain_unknown);
    for (size_t i = 0; i < 5; i++) {
        ck_assert_str_eq(d->chain[i].path, article[i]);
        ck_assert_uint_eq(d->chain[i].virtual_size, 64ull << 20);
        ck_assert_uint_eq(d->chain[i].allocation, 462848); /* st_blocks * 512 of the file */
        ck_assert_uint_eq(d->chain[i].physical, 524288);
    }
    model_free(&m);
    free(ps.text);
}
END_TEST

static Suite *discover_suite(void)
{
    Suite *s = suite_create("discover");
    TCase *tc = tcase_create("stats");
    tcase_add_test(tc, stats_article_running);
    tcase_add_test(tc, stats_interleaved_disks);
    tcase_add_test(tc, stats_missing_path);
    tcase_add_test(tc, stats_absurd_values);
    tcase_add_test(tc, stats_block_device_allocation);
    suite_add_tcase(s, tc);
    TCase *tm = tcase_create("model");
    tcase_add_test(tm, model_remote_running_article);
    tcase_add_test(tm, model_local_running_without_headers);
    tcase_add_test(tm, inactive_xml_is_partial);
    tcase_add_test(tm, walk_all_in_pool);
    tcase_add_test(tm, walk_no_pool_keeps_xml);
    tcase_add_test(tm, walk_pool_gap_goes_on);
    tcase_add_test(tm, walk_backing_nobody_knows);
    tcase_add_test(tm, walk_pool_loop_is_broken);
    tcase_add_test(tm, walk_pool_too_deep_is_broken);
    tcase_add_test(tm, model_remote_shutoff_article);
    suite_add_tcase(s, tm);
    return s;
}

int main(void)
{
    return st_run_suite(discover_suite());
}
