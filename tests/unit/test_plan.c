/*
 * The planner on hand-built models: the article's chain
 * centos ← test2 ← test2_test ← test2_nmap ← test2_net-tools ← test2_lsof (snapshots test, nmap,
 * net-tools, lsof, each naming the overlay it created), its commit and its two pulls, and every
 * hazard the planner must find.
 */
#include "config.h"

#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "core/apparmor.h"
#include "core/mergeplan.h"
#include "core/model.h"
#include "core/request.h"
#include "tap.h"

#define IMG "/var/lib/libvirt/images"
#define MiB (1024ull * 1024)
#define CAP 16 /* room for domains, disks, snapshots: pointers stay valid while building */

/* ---- model builders ---------------------------------------------------------------------- */

static st_host *mk_host(const char *name, bool local)
{
    st_host *h = st_host_new(local ? "qemu:///system" : "qemu+ssh://root@kvm2/system");
    h->name = xstrdup(name);
    h->local = local;
    h->reachable = true;
    h->doms = xcalloc(CAP, sizeof(st_domain));
    return h;
}

static st_domain *mk_dom(st_host *h, const char *name, st_dom_state state)
{
    st_domain *d = &h->doms[h->n_doms++];
    d->name = xstrdup(name);
    d->id = state == ST_DOM_SHUTOFF ? -1 : (int)h->n_doms;
    d->state = state;
    d->persistent = true;
    d->disks = xcalloc(CAP, sizeof(st_disk));
    d->snaps = xcalloc(CAP, sizeof(st_snapshot));
    return d;
}

/*
 * A disk whose chain is the given paths, active layer first (NULL-terminated). Each layer is
 * qcow2 and names the next one by its base name (relative, as qemu-img create -b name writes),
 * unless names is false (a remote running host, where the headers are not read).
 */
static st_disk *mk_disk(st_domain *d, const char *target, const char *const *paths, bool names)
{
    st_disk *k = &d->disks[d->n_disks++];
    k->target = xstrdup(target);
    k->type = xstrdup("file");
    k->device = xstrdup("disk");
    k->format = xstrdup("qcow2");
    size_t n = 0;
    while (paths[n])
        n++;
    k->chain = xcalloc(n, sizeof(st_layer));
    k->n_chain = n;
    k->source = xstrdup(paths[0]);
    for (size_t i = 0; i < n; i++) {
        st_layer *l = &k->chain[i];
        l->path = xstrdup(paths[i]);
        l->format = xstrdup("qcow2");
        l->allocation = MiB;
        l->backing_index = (int)i;
        if (names && i + 1 < n) {
            l->backing_name = xstrdup(st_basename(paths[i + 1]));
            l->backing_fmt = xstrdup("qcow2");
        }
    }
    return k;
}

/* An external disk-only snapshot whose overlay for vda is `file`. */
static st_snapshot *mk_snap(st_domain *d, const char *name, const char *parent, const char *file)
{
    st_snapshot *s = &d->snaps[d->n_snaps++];
    s->name = xstrdup(name);
    s->parent = xstrdup0(parent);
    s->state = xstrdup("disk-snapshot");
    s->external = true;
    s->disks = xcalloc(1, sizeof(st_snapdisk));
    s->n_disks = 1;
    s->disks[0].target = xstrdup("vda");
    s->disks[0].snapshot = xstrdup("external");
    s->disks[0].file = xstrdup(file);
    return s;
}

static const char *const article[] = {
    IMG "/test2_lsof.qcow2",
    IMG "/test2_net-tools.qcow2",
    IMG "/test2_nmap.qcow2",
    IMG "/test2_test.qcow2",
    IMG "/test2.qcow2",
    IMG "/centos.qcow2",
    NULL,
};

/* The article's domain: the chain above plus its four snapshots, on one local host. */
static st_domain *article_dom(st_host *h, st_dom_state state, bool names)
{
    st_domain *d = mk_dom(h, "test2", state);
    st_disk *k = mk_disk(d, "vda", article, names);
    k->chain[0].allocation = 196 * 1024;
    k->chain[1].allocation = 64 * MiB;
    k->chain[2].allocation = 32 * MiB;
    k->chain[3].allocation = 16 * MiB;
    k->chain[4].allocation = 1024 * MiB;
    k->chain[5].allocation = 2048 * MiB;
    mk_snap(d, "test", NULL, IMG "/test2_test.qcow2");
    mk_snap(d, "nmap", "test", IMG "/test2_nmap.qcow2");
    mk_snap(d, "net-tools", "nmap", IMG "/test2_net-tools.qcow2");
    mk_snap(d, "lsof", "net-tools", IMG "/test2_lsof.qcow2")->current = true;
    return d;
}

/* The article's second chain, for its pulls. */
static const char *const pullchain[] = {
    IMG "/test2_htop.qcow2",
    IMG "/test2_vim.qcow2",
    IMG "/test2_lsof.qcow2",
    IMG "/test2_test.qcow2",
    IMG "/test2.qcow2",
    IMG "/centos.qcow2",
    NULL,
};

static st_domain *pull_dom(st_host *h, st_dom_state state)
{
    st_domain *d = mk_dom(h, "test2", state);
    st_disk *k = mk_disk(d, "vda", pullchain, true);
    k->chain[1].allocation = 8 * MiB;
    k->chain[2].allocation = 4 * MiB;
    k->chain[3].allocation = 2 * MiB;
    k->chain[4].allocation = 512 * MiB;
    k->chain[5].allocation = 1024 * MiB;
    mk_snap(d, "test", NULL, IMG "/test2_test.qcow2");
    mk_snap(d, "lsof", "test", IMG "/test2_lsof.qcow2");
    mk_snap(d, "vim", "lsof", IMG "/test2_vim.qcow2");
    mk_snap(d, "htop", "vim", IMG "/test2_htop.qcow2");
    return d;
}

/* Facts saying the images' folder has `free` bytes free. */
static st_facts *space_facts(uint64_t free_bytes)
{
    st_facts *f = xcalloc(1, sizeof(*f));
    f->space = xcalloc(1, sizeof(st_space));
    f->n_space = 1;
    f->space[0].path = xstrdup(IMG);
    f->space[0].known = true;
    f->space[0].free_bytes = free_bytes;
    f->space[0].total_bytes = 100 * 1024 * MiB;
    return f;
}

static st_merge_opts opts_for(const st_host *h)
{
    (void)h;
    st_merge_opts o;
    st_merge_opts_default(&o);
    return o;
}

/* The first hazard of that level whose text holds frag; NULL when none. */
static const st_hazard *haz(const st_plan *p, st_hazard_level lv, const char *frag)
{
    for (size_t i = 0; i < p->n_hazards; i++)
        if (p->hazards[i].level == lv && strstr(p->hazards[i].text, frag))
            return &p->hazards[i];
    return NULL;
}

static size_t count_level(const st_plan *p, st_hazard_level lv)
{
    size_t n = 0;
    for (size_t i = 0; i < p->n_hazards; i++)
        n += p->hazards[i].level == lv;
    return n;
}

static bool any_text(const st_plan *p, const char *frag)
{
    for (size_t i = 0; i < p->n_hazards; i++)
        if (strstr(p->hazards[i].text, frag))
            return true;
    return false;
}

static bool has_call(const st_plan *p, const char *frag)
{
    for (size_t i = 0; i < p->n_calls; i++)
        if (strstr(p->calls[i], frag))
            return true;
    return false;
}

/* The first call that starts with prefix; "" when none (so that a comparison fails). */
static const char *call_of(const st_plan *p, const char *prefix)
{
    for (size_t i = 0; i < p->n_calls; i++)
        if (strncmp(p->calls[i], prefix, strlen(prefix)) == 0)
            return p->calls[i];
    return "";
}

static void dump(const st_plan *p)
{
    if (!getenv("PLAN_DUMP"))
        return;
    printf("# %s\n# flags: %s\n", p->title, p->flags);
    for (size_t i = 0; i < p->n_before; i++)
        printf("# before %s\n", p->before[i]);
    for (size_t i = 0; i < p->n_after; i++)
        printf("# after  %s\n", p->after[i]);
    for (size_t i = 0; i < p->n_calls; i++)
        printf("# call   %s\n", p->calls[i]);
    for (size_t i = 0; i < p->n_hazards; i++)
        printf("# haz %d  %s\n", p->hazards[i].level, p->hazards[i].text);
}

/* ---- the article's commit ------------------------------------------------------------------ */

START_TEST(test_article_commit)
{
    st_host *h = mk_host("localhost", true);
    article_dom(h, ST_DOM_RUNNING, true);
    st_host *hosts[] = {h};
    st_model_mark_shared(hosts, 1);
    st_facts *f = space_facts(10 * 1024 * MiB);
    st_merge_opts o = opts_for(h);
    ck_assert(o.relative);
    ck_assert(!o.delete_files && !o.start_paused && o.bandwidth == 0);

    st_plan *p = st_plan_commit(hosts, 1, 0, "test2", "vda", 1, 3, f, &o);
    dump(p);
    ck_assert(!p->refused);
    ck_assert(!p->active && !p->offline);
    ck_assert_int_eq(p->kind, ST_REQ_COMMIT);
    ck_assert_str_eq(p->title, "Commit test2_net-tools.qcow2 into test2_test.qcow2 (test2/vda)");

    ck_assert_uint_eq(p->n_before, 6);
    ck_assert_ptr_nonnull(strstr(p->before[0], "[0] test2_lsof.qcow2  qcow2  196 KiB"));
    ck_assert_ptr_nonnull(strstr(p->before[0], "active layer"));
    ck_assert_ptr_nonnull(strstr(p->before[0], "backing file becomes test2_test.qcow2"));
    ck_assert_ptr_nonnull(strstr(p->before[1], "[1] test2_net-tools.qcow2  qcow2  64.0 MiB"));
    ck_assert_ptr_nonnull(strstr(p->before[1], "top; merged into test2_test.qcow2"));
    ck_assert_ptr_nonnull(strstr(p->before[2], "leaves the chain"));
    ck_assert_ptr_nonnull(strstr(p->before[3], "base: receives the data"));
    ck_assert_ptr_null(strstr(p->before[4], "("));

    /* After: [0..top) + [base..]. */
    ck_assert_uint_eq(p->n_after, 4);
    ck_assert_ptr_nonnull(strstr(p->after[0], "[0] test2_lsof.qcow2"));
    ck_assert_ptr_nonnull(strstr(p->after[0], "backing file: test2_test.qcow2"));
    ck_assert_ptr_nonnull(strstr(p->after[1], "[1] test2_test.qcow2  qcow2  16.0 MiB"));
    ck_assert_ptr_nonnull(strstr(p->after[1], "holds the merged data"));
    ck_assert_ptr_nonnull(strstr(p->after[2], "[2] test2.qcow2"));
    ck_assert_ptr_nonnull(strstr(p->after[3], "[3] centos.qcow2  qcow2  2.00 GiB"));

    ck_assert_uint_eq(p->n_leaving, 2);
    ck_assert_str_eq(p->leaving[0], IMG "/test2_net-tools.qcow2");
    ck_assert_str_eq(p->leaving[1], IMG "/test2_nmap.qcow2");
    ck_assert_uint_eq(p->bytes, 96 * MiB);

    ck_assert(p->relative_possible && p->new_backing);
    ck_assert_str_eq(p->flags, "RELATIVE");
    ck_assert_uint_eq(p->n_calls, 2);
    ck_assert_str_eq(p->calls[0], "virDomainBlockCommit(dom=\"test2\", disk=\"vda\", "
                                  "base=\"" IMG "/test2_test.qcow2\", "
                                  "top=\"" IMG "/test2_net-tools.qcow2\", "
                                  "bandwidth=0 MiB/s, flags=RELATIVE)");
    ck_assert_str_eq(p->calls[1], "virsh equivalent: virsh blockcommit test2 vda "
                                  "--base " IMG "/test2_test.qcow2 "
                                  "--top " IMG "/test2_net-tools.qcow2 "
                                  "--keep-relative --wait --verbose");

    /* nmap was taken on test2_test (written into), net-tools on test2_nmap (left invalid):
     * their points in time are lost. lsof was taken on test2_net-tools, which stays a valid
     * image but leaves the chain; test's overlay is the base and its image (test2) is untouched. */
    const st_hazard *lost = haz(p, ST_HAZ_WARN, "Snapshots nmap, net-tools were taken on images");
    ck_assert_ptr_nonnull(lost);
    ck_assert_ptr_nonnull(strstr(lost->text, "reverting to them will fail"));
    ck_assert_ptr_nonnull(strstr(lost->text, "'metadata only'"));
    const st_hazard *dang = haz(p, ST_HAZ_WARN, "Snapshot lsof names files that leave the chain");
    ck_assert_ptr_nonnull(dang);
    ck_assert(!any_text(p, "Snapshots test"));
    ck_assert(!any_text(p, "test,"));
    ck_assert(!any_text(p, "Free space"));

    const st_request *r = &p->req;
    ck_assert_int_eq(r->kind, ST_REQ_COMMIT);
    ck_assert_str_eq(r->domain, "test2");
    ck_assert_str_eq(r->disk, "vda");
    ck_assert_str_eq(r->top, IMG "/test2_net-tools.qcow2");
    ck_assert_str_eq(r->base, IMG "/test2_test.qcow2");
    ck_assert_uint_eq(r->flags, ST_F_RELATIVE);
    ck_assert_str_eq(r->format, "qcow2");
    ck_assert_uint_eq(r->n_paths, 0);

    size_t n;
    char **sp = st_plan_space_paths(h, "test2", "vda", ST_REQ_COMMIT, 1, 3, &n);
    ck_assert_uint_eq(n, 1);
    ck_assert_str_eq(sp[0], IMG "/test2_test.qcow2");
    free(sp[0]);
    free(sp);

    st_plan_free(p);
    st_facts_free(f);
    st_host_free(h);
}
END_TEST

START_TEST(test_commit_without_relative)
{
    st_host *h = mk_host("localhost", true);
    article_dom(h, ST_DOM_PAUSED, true);
    st_host *hosts[] = {h};
    st_facts *f = space_facts(10 * 1024 * MiB);
    st_merge_opts o = {.relative = false};
    st_plan *p = st_plan_commit(hosts, 1, 0, "test2", "vda", 1, 3, f, &o);
    ck_assert(!p->refused);
    ck_assert(p->relative_possible);
    ck_assert_str_eq(p->flags, "none");
    ck_assert(has_call(p, "bandwidth=0 MiB/s, flags=0)"));
    ck_assert(!has_call(p, "--keep-relative"));
    ck_assert_uint_eq(p->req.flags, 0);
    ck_assert_ptr_nonnull(strstr(p->after[0], "backing file: " IMG "/test2_test.qcow2"));
    st_plan_free(p);
    st_facts_free(f);
    st_host_free(h);
}
END_TEST

/* ---- the article's two pulls --------------------------------------------------------------- */

START_TEST(test_article_pull_base)
{
    st_host *h = mk_host("localhost", true);
    pull_dom(h, ST_DOM_RUNNING);
    st_host *hosts[] = {h};
    st_facts *f = space_facts(10 * 1024 * MiB);
    st_merge_opts o = opts_for(h);
    st_plan *p = st_plan_pull(hosts, 1, 0, "test2", "vda", 4, f, &o);
    dump(p);
    ck_assert(!p->refused);
    ck_assert_int_eq(p->kind, ST_REQ_PULL);
    ck_assert_str_eq(p->title, "Pull into test2_htop.qcow2 everything above test2.qcow2 "
                               "(test2/vda)");
    ck_assert_ptr_nonnull(strstr(p->before[0], "active layer: receives the data"));
    ck_assert_ptr_nonnull(strstr(p->before[1], "copied into test2_htop.qcow2; leaves the chain"));
    ck_assert_ptr_nonnull(strstr(p->before[4], "becomes the backing file of test2_htop.qcow2"));
    ck_assert_uint_eq(p->n_after, 3);
    ck_assert_ptr_nonnull(strstr(p->after[0], "[0] test2_htop.qcow2"));
    ck_assert_ptr_nonnull(strstr(p->after[0], "backing file: test2.qcow2"));
    ck_assert_ptr_nonnull(strstr(p->after[1], "[1] test2.qcow2  qcow2  512 MiB"));
    ck_assert_ptr_nonnull(strstr(p->after[2], "[2] centos.qcow2"));
    ck_assert_uint_eq(p->n_leaving, 3);
    ck_assert_str_eq(p->leaving[0], IMG "/test2_vim.qcow2");
    ck_assert_str_eq(p->leaving[1], IMG "/test2_lsof.qcow2");
    ck_assert_str_eq(p->leaving[2], IMG "/test2_test.qcow2");
    ck_assert_uint_eq(p->bytes, 14 * MiB);
    ck_assert_str_eq(p->flags, "RELATIVE");
    ck_assert_str_eq(p->calls[0], "virDomainBlockRebase(dom=\"test2\", disk=\"vda\", "
                                  "base=\"" IMG "/test2.qcow2\", bandwidth=0 MiB/s, "
                                  "flags=RELATIVE)");
    ck_assert_str_eq(p->calls[1], "virsh equivalent: virsh blockpull test2 vda "
                                  "--base " IMG "/test2.qcow2 --keep-relative --wait --verbose");
    /* A pull writes only into the active layer: every point in time survives, but all four
     * snapshots name files that leave (or, for htop, whose backing changes). */
    ck_assert_ptr_nonnull(
        haz(p, ST_HAZ_WARN, "Snapshots test, lsof, vim, htop name files that leave the chain"));
    ck_assert(!any_text(p, "point in time is lost"));
    ck_assert_int_eq(p->req.kind, ST_REQ_PULL);
    ck_assert_str_eq(p->req.top, IMG "/test2_htop.qcow2");
    ck_assert_str_eq(p->req.base, IMG "/test2.qcow2");
    ck_assert_uint_eq(p->req.flags, ST_F_RELATIVE);

    size_t n;
    char **sp = st_plan_space_paths(h, "test2", "vda", ST_REQ_PULL, 0, 4, &n);
    ck_assert_uint_eq(n, 1);
    ck_assert_str_eq(sp[0], IMG "/test2_htop.qcow2");
    free(sp[0]);
    free(sp);
    st_plan_free(p);
    st_facts_free(f);
    st_host_free(h);
}
END_TEST

START_TEST(test_article_pull_all)
{
    st_host *h = mk_host("localhost", true);
    pull_dom(h, ST_DOM_RUNNING);
    st_host *hosts[] = {h};
    st_facts *f = space_facts(10 * 1024 * MiB);
    st_merge_opts o = opts_for(h);
    st_plan *p = st_plan_pull(hosts, 1, 0, "test2", "vda", SIZE_MAX, f, &o);
    dump(p);
    ck_assert(!p->refused);
    ck_assert_str_eq(p->title, "Pull the whole chain into test2_htop.qcow2 (test2/vda)");
    ck_assert_uint_eq(p->n_after, 1);
    ck_assert_ptr_nonnull(strstr(p->after[0], "standalone: no backing file"));
    ck_assert_uint_eq(p->n_leaving, 5);
    ck_assert_str_eq(p->leaving[4], IMG "/centos.qcow2");
    ck_assert_uint_eq(p->bytes, (8 + 4 + 2 + 512 + 1024) * MiB);
    ck_assert(!p->relative_possible);
    ck_assert(!p->new_backing); /* no backing name is written: RELATIVE cannot matter */
    ck_assert_str_eq(p->flags, "none");
    ck_assert_str_eq(p->calls[0],
                     "virDomainBlockPull(dom=\"test2\", disk=\"vda\", bandwidth=0 MiB/s, flags=0)");
    ck_assert_str_eq(p->calls[1], "virsh equivalent: virsh blockpull test2 vda --wait --verbose");
    ck_assert_ptr_null(p->req.base);
    ck_assert_ptr_null(p->req.format);
    ck_assert_uint_eq(p->req.flags, 0);
    st_plan_free(p);
    st_facts_free(f);
    st_host_free(h);
}
END_TEST

/* ---- active commit --------------------------------------------------------------------------- */

START_TEST(test_active_commit)
{
    st_host *h = mk_host("localhost", true);
    article_dom(h, ST_DOM_RUNNING, true);
    st_host *hosts[] = {h};
    st_facts *f = space_facts(10 * 1024 * MiB);
    st_merge_opts o = opts_for(h);
    st_plan *p = st_plan_commit(hosts, 1, 0, "test2", "vda", 0, 3, f, &o);
    dump(p);
    ck_assert(!p->refused);
    ck_assert(p->active);
    ck_assert_str_eq(p->title, "Active commit of test2_lsof.qcow2 into test2_test.qcow2 "
                               "(test2/vda)");
    /* Nothing has its backing pointer rewritten: RELATIVE does not apply. */
    ck_assert(!p->relative_possible);
    ck_assert_str_eq(p->flags, "ACTIVE");
    ck_assert(p->req.flags & ST_F_ACTIVE);
    ck_assert(!(p->req.flags & ST_F_RELATIVE));
    ck_assert_str_eq(p->req.top, IMG "/test2_lsof.qcow2");
    ck_assert_uint_eq(p->n_leaving, 3);
    ck_assert_ptr_nonnull(strstr(p->after[0], "[0] test2_test.qcow2"));
    ck_assert_ptr_nonnull(strstr(p->after[0], "active layer after the pivot"));
    const st_hazard *i = haz(p, ST_HAZ_INFO,
                             "pivot: the disk then runs on test2_test.qcow2; "
                             "test2_lsof.qcow2, test2_net-tools.qcow2, "
                             "test2_nmap.qcow2 leave the chain");
    ck_assert_ptr_nonnull(i);
    ck_assert_ptr_nonnull(strstr(i->text, "keep: abort without pivot, the disk stays on "
                                          "test2_lsof.qcow2, the base already holds the merged "
                                          "data"));
    ck_assert_ptr_nonnull(strstr(i->text, "leave it ready for later"));
    ck_assert(has_call(p, "flags=ACTIVE)"));
    ck_assert(has_call(p, "virDomainBlockJobAbort(dom=\"test2\", disk=\"vda\", flags=PIVOT)"));
    ck_assert(has_call(p, "virDomainBlockJobAbort(dom=\"test2\", disk=\"vda\", flags=0)"));
    ck_assert(has_call(p, "virsh blockcommit test2 vda --active --base " IMG
                          "/test2_test.qcow2 --wait --verbose --pivot"));
    /* After the pivot the guest writes into the base: lsof (taken on net-tools), net-tools and
     * nmap all lose their point in time. */
    ck_assert_ptr_nonnull(haz(p, ST_HAZ_WARN, "Snapshots nmap, net-tools, lsof were taken"));
    st_plan_free(p);
    st_facts_free(f);
    st_host_free(h);
}
END_TEST

START_TEST(test_active_commit_delete)
{
    /* No snapshots: libvirt's DELETE flag removes the merged files, on pivot only. */
    st_host *h = mk_host("localhost", true);
    st_domain *d = mk_dom(h, "test2", ST_DOM_RUNNING);
    mk_disk(d, "vda", article, true);
    st_host *hosts[] = {h};
    st_facts *f = space_facts(10 * 1024 * MiB);
    st_merge_opts o = opts_for(h);
    o.delete_files = true;
    st_plan *p = st_plan_commit(hosts, 1, 0, "test2", "vda", 0, 2, f, &o);
    dump(p);
    ck_assert(!p->refused);
    ck_assert(p->delete_possible);
    ck_assert_str_eq(p->flags, "ACTIVE | DELETE");
    ck_assert_uint_eq(p->req.flags, ST_F_ACTIVE | ST_F_DELETE);
    ck_assert_uint_eq(p->req.n_paths, 2);
    ck_assert_str_eq(p->req.paths[0], IMG "/test2_lsof.qcow2");
    ck_assert_str_eq(p->req.paths[1], IMG "/test2_net-tools.qcow2");
    const st_hazard *w = haz(p, ST_HAZ_WARN,
                             "After the job completes, and only then, libvirt "
                             "deletes " IMG "/test2_lsof.qcow2, " IMG "/test2_net-tools.qcow2");
    ck_assert_ptr_nonnull(w);
    ck_assert_ptr_nonnull(strstr(w->text, "only on pivot"));
    ck_assert(has_call(p, "--active --base " IMG "/test2_nmap.qcow2 --delete --wait"));
    ck_assert(!has_call(p, "rm --"));
    st_plan_free(p);
    st_facts_free(f);
    st_host_free(h);
}
END_TEST

/* ---- sharing ------------------------------------------------------------------------------------
 */

START_TEST(test_shared_base_refused)
{
    st_host *h = mk_host("localhost", true);
    article_dom(h, ST_DOM_RUNNING, true);
    const char *web01[] = {IMG "/web01.qcow2", IMG "/test2_test.qcow2", IMG "/test2.qcow2",
                           IMG "/centos.qcow2", NULL};
    const char *web02[] = {IMG "/web02.qcow2", IMG "/test2_test.qcow2", IMG "/test2.qcow2",
                           IMG "/centos.qcow2", NULL};
    mk_disk(mk_dom(h, "web01", ST_DOM_RUNNING), "vda", web01, true);
    mk_disk(mk_dom(h, "web02", ST_DOM_SHUTOFF), "vda", web02, true);
    st_host *hosts[] = {h};
    st_model_mark_shared(hosts, 1);
    st_facts *f = space_facts(10 * 1024 * MiB);
    st_merge_opts o = opts_for(h);
    st_plan *p = st_plan_commit(hosts, 1, 0, "test2", "vda", 1, 3, f, &o);
    dump(p);
    ck_assert(p->refused);
    ck_assert_int_eq(p->hazards[0].level, ST_HAZ_REFUSE);
    ck_assert_ptr_nonnull(haz(p, ST_HAZ_REFUSE,
                              "test2_test.qcow2 is also read by web01, web02: "
                              "writing into it would corrupt them"));
    st_plan_free(p);

    /* Lower down (test2 into centos): the base is shared, and so is test2_test, whose backing
     * pointer would be rewritten. */
    p = st_plan_commit(hosts, 1, 0, "test2", "vda", 4, 5, f, &o);
    ck_assert(p->refused);
    ck_assert_ptr_nonnull(haz(p, ST_HAZ_REFUSE, "centos.qcow2 is also read by web01, web02"));
    ck_assert_ptr_nonnull(haz(p, ST_HAZ_REFUSE,
                              "test2_test.qcow2 is also used by web01, web02: "
                              "its backing file would be changed"));
    st_plan_free(p);

    /* Above the shared part, a commit is fine. */
    p = st_plan_commit(hosts, 1, 0, "test2", "vda", 1, 2, f, &o);
    ck_assert(!p->refused);
    st_plan_free(p);
    st_facts_free(f);
    st_host_free(h);
}
END_TEST

START_TEST(test_shared_spellings)
{
    /* One golden image named two ways: "../golden/g.qcow2" from the overlays' folder (as qemu
     * resolves a relative backing name) and by its plain path. On this machine the files are
     * compared (dev, ino), on a remote host the names, folded. */
    const char *vm1[] = {IMG "/vms/vm1.qcow2", IMG "/vms/../golden/g.qcow2", NULL};
    const char *vm2[] = {IMG "/vms/vm2.qcow2", IMG "/golden/g.qcow2", NULL};
    const char *vm3[] = {IMG "/vms/vm3.qcow2", IMG "/golden/./other.qcow2", NULL};
    for (int local = 0; local < 2; local++) {
        st_host *h = mk_host(local ? "localhost" : "kvm2", local);
        st_disk *d1 = mk_disk(mk_dom(h, "vm1", ST_DOM_SHUTOFF), "vda", vm1, true);
        st_disk *d2 = mk_disk(mk_dom(h, "vm2", ST_DOM_RUNNING), "vda", vm2, true);
        st_disk *d3 = mk_disk(mk_dom(h, "vm3", ST_DOM_SHUTOFF), "vda", vm3, true);
        if (local) {
            d1->chain[1].dev = d2->chain[1].dev = d3->chain[1].dev = 8;
            d1->chain[1].ino = d2->chain[1].ino = 77;
            d3->chain[1].ino = 78;
        }
        st_host *hosts[] = {h};
        st_model_mark_shared(hosts, 1);
        ck_assert_uint_eq(d1->chain[1].n_shared, 1);
        ck_assert_str_eq(d1->chain[1].shared_with[0], "vm2");
        ck_assert_uint_eq(d2->chain[1].n_shared, 1);
        ck_assert_str_eq(d2->chain[1].shared_with[0], "vm1");
        ck_assert_uint_eq(d3->chain[1].n_shared, 0);
        ck_assert_uint_eq(d1->chain[0].n_shared, 0);
        st_facts *f = space_facts(10 * 1024 * MiB);
        st_merge_opts o = opts_for(h);
        st_plan *p = st_plan_commit(hosts, 1, 0, "vm1", "vda", 0, 1, f, &o);
        ck_assert(p->refused);
        st_plan_free(p);
        st_facts_free(f);
        st_host_free(h);
    }
    /* The same file under two names that fold alike, but seen as different files here (a
     * symlinked folder can make "a/link/../b" another file than "a/b"): the identity wins. */
    st_host *h = mk_host("localhost", true);
    const char *a[] = {IMG "/x/top.qcow2", IMG "/x/link/../base.qcow2", NULL};
    const char *b[] = {IMG "/y/top.qcow2", IMG "/x/base.qcow2", NULL};
    st_disk *da = mk_disk(mk_dom(h, "a", ST_DOM_SHUTOFF), "vda", a, true);
    st_disk *db = mk_disk(mk_dom(h, "b", ST_DOM_SHUTOFF), "vda", b, true);
    da->chain[1].dev = db->chain[1].dev = 8;
    da->chain[1].ino = 5;
    db->chain[1].ino = 6;
    st_host *hosts[] = {h};
    st_model_mark_shared(hosts, 1);
    ck_assert_uint_eq(da->chain[1].n_shared, 0);
    st_host_free(h);

    char *s = st_path_lexical("/a//b/./c/../d/");
    ck_assert_str_eq(s, "/a/b/d");
    free(s);
    s = st_path_lexical("/../x/..");
    ck_assert_str_eq(s, "/");
    free(s);
    s = st_path_lexical("rel/../x");
    ck_assert_str_eq(s, "rel/../x");
    free(s);
}
END_TEST

START_TEST(test_shared_across_hosts)
{
    /* Two local connections (system and session) see the same files: the sharer is "dom@host". */
    st_host *a = mk_host("system", true);
    st_host *b = mk_host("session", true);
    article_dom(a, ST_DOM_SHUTOFF, true);
    const char *web[] = {IMG "/web03.qcow2", IMG "/test2_test.qcow2", IMG "/test2.qcow2",
                         IMG "/centos.qcow2", NULL};
    mk_disk(mk_dom(b, "web03", ST_DOM_RUNNING), "vda", web, true);
    st_host *hosts[] = {a, b};
    st_model_mark_shared(hosts, 2);
    st_facts *f = space_facts(10 * 1024 * MiB);
    st_merge_opts o = opts_for(a);
    st_plan *p = st_plan_commit(hosts, 2, 0, "test2", "vda", 1, 3, f, &o);
    dump(p);
    ck_assert(p->refused);
    ck_assert(p->offline);
    ck_assert_ptr_nonnull(haz(p, ST_HAZ_REFUSE, "test2_test.qcow2 is also read by web03@session"));
    ck_assert_ptr_nonnull(haz(p, ST_HAZ_REFUSE,
                              "test2_test.qcow2 is in use by web03@session, "
                              "which is running: qemu-img must never touch"));
    st_plan_free(p);
    st_facts_free(f);
    st_host_free(a);
    st_host_free(b);
}
END_TEST

/* ---- jobs ----------------------------------------------------------------------------------- */

START_TEST(test_job_running_refused)
{
    st_host *h = mk_host("localhost", true);
    article_dom(h, ST_DOM_RUNNING, true);
    h->jobs = xcalloc(2, sizeof(st_job));
    h->n_jobs = 2;
    h->jobs[0] = (st_job){.id = 1,
                          .domain = xstrdup("test2"),
                          .disk = xstrdup("vda"),
                          .kind = ST_JOB_PULL,
                          .phase = ST_PHASE_COMPLETED};
    h->jobs[1] = (st_job){.id = 2,
                          .domain = xstrdup("test2"),
                          .disk = xstrdup("vda"),
                          .kind = ST_JOB_COMMIT,
                          .phase = ST_PHASE_RUNNING};
    st_host *hosts[] = {h};
    st_facts *f = space_facts(10 * 1024 * MiB);
    st_merge_opts o = opts_for(h);
    st_plan *p = st_plan_commit(hosts, 1, 0, "test2", "vda", 1, 3, f, &o);
    ck_assert(p->refused);
    ck_assert_ptr_nonnull(
        haz(p, ST_HAZ_REFUSE,
            "A job is already running on test2/vda (commit, running): wait for it to "
            "end or abort it first."));
    st_plan_free(p);

    /* A finished job does not count; one libvirt reports (started with virsh) does. */
    h->jobs[1].phase = ST_PHASE_FAILED;
    p = st_plan_commit(hosts, 1, 0, "test2", "vda", 1, 3, f, &o);
    ck_assert(!p->refused);
    st_plan_free(p);
    f->job_running = true;
    f->job_desc = xstrdup("a block job already runs on vda (40 of 100)");
    p = st_plan_pull(hosts, 1, 0, "test2", "vda", 4, f, &o);
    ck_assert(p->refused);
    ck_assert_ptr_nonnull(haz(p, ST_HAZ_REFUSE,
                              "Another block job is running on test2/vda: a "
                              "block job already runs on vda (40 of 100). Wait "
                              "for it to end or abort it first."));
    st_plan_free(p);
    st_facts_free(f);
    st_host_free(h);
}
END_TEST

/* ---- free space ------------------------------------------------------------------------------ */

/* The article's domain running, its layers 1 and 2 (a commit of 1 into 3 copies them) 512 MiB. */
static st_host *space_host(st_domain **d)
{
    st_host *h = mk_host("localhost", true);
    *d = article_dom(h, ST_DOM_RUNNING, true);
    (*d)->disks[0].chain[1].allocation = 480 * MiB;
    return h;
}

START_TEST(test_space)
{
    st_domain *d;
    st_host *h = space_host(&d);
    st_host *hosts[] = {h};
    st_merge_opts o = opts_for(h);

    st_facts *f = space_facts(200 * MiB);
    st_plan *p = st_plan_commit(hosts, 1, 0, "test2", "vda", 1, 3, f, &o);
    ck_assert_uint_eq(p->bytes, 512 * MiB);
    ck_assert(p->refused);
    ck_assert_ptr_nonnull(
        haz(p, ST_HAZ_REFUSE, "needs up to 512 MiB in /var/lib/libvirt/images, 200 MiB free"));
    st_plan_free(p);

    f->space[0].free_bytes = 512 * MiB;
    p = st_plan_commit(hosts, 1, 0, "test2", "vda", 1, 3, f, &o);
    ck_assert(!p->refused);
    ck_assert(!any_text(p, "free"));
    st_plan_free(p);

    f->space[0].known = false;
    f->space[0].why = xstrdup("statvfs: Permission denied");
    p = st_plan_commit(hosts, 1, 0, "test2", "vda", 1, 3, f, &o);
    ck_assert(!p->refused);
    ck_assert_ptr_nonnull(haz(p, ST_HAZ_WARN,
                              "Free space in /var/lib/libvirt/images is not known "
                              "(statvfs: Permission denied): the merge needs up "
                              "to 512 MiB"));
    st_plan_free(p);

    p = st_plan_commit(hosts, 1, 0, "test2", "vda", 1, 3, NULL, &o);
    ck_assert(!p->refused);
    ck_assert_ptr_nonnull(haz(p, ST_HAZ_WARN,
                              "Free space in /var/lib/libvirt/images was not "
                              "checked"));
    st_plan_free(p);

    /* An unknown size is said, not hidden in a small total. */
    d->disks[0].chain[2].allocation = 0;
    p = st_plan_commit(hosts, 1, 0, "test2", "vda", 1, 3, NULL, &o);
    ck_assert_ptr_nonnull(haz(p, ST_HAZ_WARN, "The size of some layers being copied is not known"));
    ck_assert_ptr_nonnull(strstr(p->before[2], "qcow2  ?"));
    st_plan_free(p);
    st_facts_free(f);
    st_host_free(h);
}
END_TEST

/* Whether some line of the plan's space figures holds frag. */
static bool space_says(const st_plan *p, const char *frag)
{
    for (size_t i = 0; i < p->n_space; i++)
        if (strstr(p->space[i], frag))
            return true;
    return false;
}

/* With the receiver's growth measured, the peak is that growth, not the size of the files
 * copied: a commit of mostly rewritten clusters fits where their sizes would not. */
START_TEST(test_space_peak)
{
    st_domain *d;
    st_host *h = space_host(&d);
    (void)d;
    st_host *hosts[] = {h};
    st_merge_opts o = opts_for(h);
    st_facts *f = space_facts(200 * MiB);
    f->growth_known = true;
    f->growth = 100 * MiB;
    st_plan *p = st_plan_commit(hosts, 1, 0, "test2", "vda", 1, 3, f, &o);
    ck_assert(!p->refused);
    ck_assert_uint_eq(p->peak, 100 * MiB);
    ck_assert_uint_eq(p->req.space_needed, 100 * MiB);
    ck_assert(space_says(p, "Space: frees 512 MiB, test2_test.qcow2 grows by 100 MiB, net 412 MiB "
                            "freed"));
    ck_assert(space_says(p, "The files that leave the chain stay until they are deleted"));
    ck_assert(space_says(p, "Peak: 100 MiB more where the data lands (test2_test.qcow2 grows "
                            "before any file leaves)"));
    st_plan_free(p);

    f->space[0].free_bytes = 50 * MiB;
    p = st_plan_commit(hosts, 1, 0, "test2", "vda", 1, 3, f, &o);
    ck_assert(p->refused && haz(p, ST_HAZ_REFUSE,
                                "Not enough free space: test2_test.qcow2 grows by 100 MiB in "
                                "/var/lib/libvirt/images before any merged file is removed, "
                                "and 50.0 MiB is free there."));
    st_plan_free(p);

    /* An active commit: the active layer stays until the pivot; more added than freed. */
    f->space[0].free_bytes = 200 * MiB;
    p = st_plan_commit(hosts, 1, 0, "test2", "vda", 0, 1, f, &o);
    ck_assert(space_says(p, "Space: frees 196 KiB, test2_net-tools.qcow2 grows by 100 MiB, net "
                            "99.8 MiB more used"));
    ck_assert(space_says(p, "until the pivot"));
    st_plan_free(p);

    /* Not measured (a remote host): said, and the copied sizes bound the peak. */
    f->growth_known = false;
    f->growth_why = xstrdup("the images are on a remote host: not read from here");
    p = st_plan_commit(hosts, 1, 0, "test2", "vda", 1, 3, f, &o);
    ck_assert(space_says(p, "Space: what the merge frees and adds is unknown (the images are on "
                            "a remote host: not read from here)"));
    ck_assert(space_says(p, "Peak: up to 512 MiB more"));
    ck_assert(p->refused);
    st_plan_free(p);
    st_facts_free(f);
    st_host_free(h);
}
END_TEST

/* A base on a block device (an LV): the room is the device's size less what the image takes. */
START_TEST(test_space_block_device)
{
    st_domain *d;
    st_host *h = space_host(&d);
    st_host *hosts[] = {h};
    st_merge_opts o = opts_for(h);
    st_facts *f = space_facts(200 * MiB);
    free(f->space[0].path);
    f->space[0].path = xstrdup(IMG "/test2_test.qcow2"); /* the base, asked by its path */
    f->space[0].device = true;
    f->space[0].total_bytes = 1024 * MiB;
    st_plan *p = st_plan_commit(hosts, 1, 0, "test2", "vda", 1, 3, f, &o);
    ck_assert(p->refused);
    ck_assert_ptr_nonnull(haz(p, ST_HAZ_REFUSE,
                              "Not enough room on the block device " IMG "/test2_test.qcow2: "
                              "the merge needs up to 512 MiB, and the image can grow by only "
                              "200 MiB more (the device holds 1.00 GiB)"));
    st_plan_free(p);

    f->space[0].free_bytes = 600 * MiB;
    p = st_plan_commit(hosts, 1, 0, "test2", "vda", 1, 3, f, &o);
    ck_assert(!p->refused);
    ck_assert_ptr_nonnull(haz(p, ST_HAZ_INFO,
                              "is a block device of 1.00 GiB; the image can grow "
                              "by 600 MiB more, and the merge needs up to 512 MiB"));
    st_plan_free(p);

    /* A device that holds the whole image at full size never runs out. */
    d->disks[0].chain[3].virtual_size = 512 * MiB;
    f->space[0].free_bytes = 100 * MiB;
    p = st_plan_commit(hosts, 1, 0, "test2", "vda", 1, 3, f, &o);
    ck_assert(!p->refused);
    ck_assert_ptr_nonnull(haz(p, ST_HAZ_INFO, "holds the whole image even when every cluster"));
    st_plan_free(p);
    st_facts_free(f);
    st_host_free(h);
}
END_TEST

/* ---- offline (shut off, local) ------------------------------------------------------------ */

START_TEST(test_offline_commit)
{
    st_host *h = mk_host("localhost", true);
    article_dom(h, ST_DOM_SHUTOFF, true);
    st_host *hosts[] = {h};
    st_facts *f = space_facts(10 * 1024 * MiB);
    st_merge_opts o = opts_for(h);
    o.bandwidth = 20;
    st_plan *p = st_plan_commit(hosts, 1, 0, "test2", "vda", 1, 3, f, &o);
    dump(p);
    ck_assert(!p->refused);
    ck_assert(p->offline);
    ck_assert(!p->active);
    ck_assert_str_eq(p->flags, "none");
    ck_assert_uint_eq(p->n_calls, 5);
    /* Every image qemu-img reads or writes is checked first, the base too. */
    ck_assert_str_eq(p->calls[0], "qemu-img check -q -f qcow2 " IMG "/test2_net-tools.qcow2");
    ck_assert_str_eq(p->calls[1], "qemu-img check -q -f qcow2 " IMG "/test2_nmap.qcow2");
    ck_assert_str_eq(p->calls[2], "qemu-img check -q -f qcow2 " IMG "/test2_test.qcow2");
    ck_assert_str_eq(p->calls[3], "qemu-img commit -p -d -t none -r 20M -b " IMG
                                  "/test2_test.qcow2 " IMG "/test2_net-tools.qcow2");
    /* The relative name is kept: the layer above the top points at the base by its name. */
    ck_assert_str_eq(p->calls[4],
                     "qemu-img rebase -u -F qcow2 -b test2_test.qcow2 " IMG "/test2_lsof.qcow2");
    ck_assert_ptr_nonnull(
        haz(p, ST_HAZ_INFO, "runs on this machine with qemu-img (check, commit -p, rebase -u)"));
    ck_assert_ptr_nonnull(haz(p, ST_HAZ_INFO, "runs on this machine with qemu-img"));
    ck_assert_ptr_nonnull(haz(p, ST_HAZ_INFO, "limited to 20 MiB/s"));
    ck_assert_uint_eq(p->req.flags, ST_F_RELATIVE);
    ck_assert_uint_eq(p->req.bandwidth, 20);
    ck_assert_str_eq(p->req.format, "qcow2");
    st_plan_free(p);

    /* The active layer itself: the domain definition moves to the base. qemu-img runs no
     * active commit (no READY, no pivot): the title says a commit. */
    p = st_plan_commit(hosts, 1, 0, "test2", "vda", 0, 1, f, &o);
    dump(p);
    ck_assert(!p->refused);
    ck_assert(p->offline && !p->active);
    ck_assert_str_eq(p->title, "Commit test2_lsof.qcow2 into test2_net-tools.qcow2 (test2/vda)");
    ck_assert_uint_eq(p->n_calls, 4);
    ck_assert_str_eq(call_of(p, "qemu-img commit"),
                     "qemu-img commit -p -d -t none -r 20M -b " IMG "/test2_net-tools.qcow2 " IMG
                     "/test2_lsof.qcow2");
    ck_assert_str_eq(p->calls[3],
                     "the domain definition is updated: vda → " IMG "/test2_net-tools.qcow2");
    ck_assert_ptr_nonnull(haz(
        p, ST_HAZ_INFO, "The domain definition is updated: vda → " IMG "/test2_net-tools.qcow2"));
    ck_assert(!any_text(p, "pivot:"));
    ck_assert(p->req.flags & ST_F_ACTIVE);
    st_plan_free(p);

    /* A managed save expects the disk as it is. */
    h->doms[0].managed_save = true;
    p = st_plan_commit(hosts, 1, 0, "test2", "vda", 1, 3, f, &o);
    ck_assert(p->refused);
    ck_assert_ptr_nonnull(haz(p, ST_HAZ_REFUSE, "test2 has a managed save image"));
    st_plan_free(p);
    st_facts_free(f);
    st_host_free(h);
}
END_TEST

START_TEST(test_offline_relative_subfolders)
{
    /* top.qcow2 names "../b/mid.qcow2", which names "base.qcow2": relative to its own folder,
     * so the base is "../b/base.qcow2" from top's folder, as libvirt composes it. */
    st_host *h = mk_host("localhost", true);
    st_domain *d = mk_dom(h, "sub", ST_DOM_SHUTOFF);
    const char *chain[] = {"/img/a/top.qcow2", "/img/b/mid.qcow2", "/img/b/base.qcow2", NULL};
    st_disk *k = mk_disk(d, "vda", chain, true);
    free(k->chain[0].backing_name);
    k->chain[0].backing_name = xstrdup("../b/mid.qcow2");
    st_host *hosts[] = {h};
    st_merge_opts o;
    st_merge_opts_default(&o);
    ck_assert(o.relative);
    st_plan *p = st_plan_commit(hosts, 1, 0, "sub", "vda", 1, 2, NULL, &o);
    ck_assert(p->relative_possible);
    ck_assert_str_eq(call_of(p, "qemu-img rebase"),
                     "qemu-img rebase -u -F qcow2 -b ../b/base.qcow2 /img/a/top.qcow2");
    st_plan_free(p);

    /* An absolute name anywhere on the way: the new name is absolute too, and said so. */
    free(k->chain[1].backing_name);
    k->chain[1].backing_name = xstrdup("/img/b/base.qcow2");
    st_merge_opts_default(&o);
    p = st_plan_commit(hosts, 1, 0, "sub", "vda", 1, 2, NULL, &o);
    ck_assert(!p->relative_possible);
    ck_assert_str_eq(call_of(p, "qemu-img rebase"),
                     "qemu-img rebase -u -F qcow2 -b /img/b/base.qcow2 /img/a/top.qcow2");
    ck_assert_ptr_nonnull(haz(p, ST_HAZ_INFO, "The backing names involved are absolute"));
    ck_assert_uint_eq(p->req.flags, 0);
    st_plan_free(p);

    /* A base of unknown format is never written as a backing file. */
    free(k->chain[2].format);
    k->chain[2].format = NULL;
    p = st_plan_commit(hosts, 1, 0, "sub", "vda", 1, 2, NULL, &o);
    ck_assert(p->refused);
    ck_assert_ptr_nonnull(haz(p, ST_HAZ_REFUSE, "The format of base.qcow2 is not known"));
    st_plan_free(p);
    st_host_free(h);
}
END_TEST

/*
 * base.qcow2 ← sub/deeper/mid.qcow2 ← sub/top.qcow2, names relative as qemu-img create -b
 * writes them ("deeper/mid.qcow2", "../../base.qcow2"), paths as the chain walk joins them. The
 * rewritten layer's new name must not go through sub/deeper, which the merge empties.
 */
static st_disk *folders_disk(st_domain *d, const char *const *paths, const char *const *names)
{
    st_disk *k = mk_disk(d, "vda", paths, true);
    for (size_t i = 0; names[i]; i++) {
        free(k->chain[i].backing_name);
        k->chain[i].backing_name = xstrdup(names[i]);
    }
    return k;
}

/* Domain "fold" on base.qcow2 ← sub/deeper/mid.qcow2 ← sub/top.qcow2, in that state. */
static st_host *fold_host(st_dom_state state)
{
    st_host *h = mk_host("localhost", true);
    st_domain *d = mk_dom(h, "fold", state);
    const char *paths[] = {"/img/sub/top.qcow2", "/img/sub/deeper/mid.qcow2",
                           "/img/sub/deeper/../../base.qcow2", NULL};
    const char *names[] = {"deeper/mid.qcow2", "../../base.qcow2", NULL};
    folders_disk(d, paths, names);
    return h;
}

START_TEST(test_offline_name_not_through_merged_folder)
{
    st_host *h = fold_host(ST_DOM_SHUTOFF);
    st_domain *d;
    st_host *hosts[] = {h};
    st_merge_opts o;
    st_merge_opts_default(&o);
    st_plan *p = st_plan_commit(hosts, 1, 0, "fold", "vda", 1, 2, NULL, &o);
    dump(p);
    ck_assert(!p->refused && p->relative_possible);
    ck_assert_str_eq(call_of(p, "qemu-img rebase"),
                     "qemu-img rebase -u -F qcow2 -b ../base.qcow2 /img/sub/top.qcow2");
    ck_assert_ptr_nonnull(strstr(p->after[0], "backing file: ../base.qcow2"));
    ck_assert(!any_text(p, "goes through the folder"));
    st_plan_free(p);

    /* Absolute names asked for: the path folded, not through sub/deeper either. */
    o.relative = false;
    p = st_plan_commit(hosts, 1, 0, "fold", "vda", 1, 2, NULL, &o);
    ck_assert_str_eq(call_of(p, "qemu-img rebase"), "qemu-img rebase -u -F qcow2 -b "
                                                    "/img/base.qcow2 /img/sub/top.qcow2");
    st_plan_free(p);

    /* A pull down to the base writes the same into the active layer. */
    o.relative = true;
    p = st_plan_pull(hosts, 1, 0, "fold", "vda", 2, NULL, &o);
    ck_assert_str_eq(call_of(p, "qemu-img rebase"),
                     "qemu-img rebase -p -t none -F qcow2 -b ../base.qcow2 /img/sub/top.qcow2");
    st_plan_free(p);
    st_host_free(h);

    /* The overlay in a sibling folder; the base deeper than the overlay. */
    static const struct {
        const char *paths[4], *names[3], *want;
    } cases[] = {
        {{"/img/b/top.qcow2", "/img/b/../a/mid.qcow2", "/img/b/../a/../base.qcow2"},
         {"../a/mid.qcow2", "../base.qcow2"},
         "../base.qcow2"},
        {{"/img/sub/top.qcow2", "/img/sub/deeper/mid.qcow2",
          "/img/sub/deeper/../../d/e/base.qcow2"},
         {"deeper/mid.qcow2", "../../d/e/base.qcow2"},
         "../d/e/base.qcow2"},
        {{"/img/sub/top.qcow2", "/img/sub/deeper/mid.qcow2", "/img/sub/deeper/base.qcow2"},
         {"deeper/mid.qcow2", "base.qcow2"},
         "deeper/base.qcow2"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        h = mk_host("localhost", true);
        d = mk_dom(h, "fold", ST_DOM_SHUTOFF);
        folders_disk(d, cases[i].paths, cases[i].names);
        hosts[0] = h;
        p = st_plan_commit(hosts, 1, 0, "fold", "vda", 1, 2, NULL, &o);
        char *want = xasprintf("backing file: %s", cases[i].want);
        ck_assert_msg(strstr(p->after[0], want), "case %zu: %s", i, p->after[0]);
        free(want);
        st_plan_free(p);
        st_host_free(h);
    }
}
END_TEST

/*
 * The same chain on a running domain: libvirt writes the name it composes, and cannot be told
 * another. The plan shows that name, says which folder it depends on and how to write the
 * direct one once the domain is shut off.
 */
START_TEST(test_live_name_through_folder_warned)
{
    st_host *h = fold_host(ST_DOM_RUNNING);
    st_host *hosts[] = {h};
    st_merge_opts o;
    st_merge_opts_default(&o);
    st_plan *p = st_plan_commit(hosts, 1, 0, "fold", "vda", 1, 2, NULL, &o);
    dump(p);
    ck_assert(!p->refused);
    ck_assert_str_eq(p->flags, "RELATIVE");
    ck_assert_ptr_nonnull(strstr(p->after[0], "backing file: deeper/../../base.qcow2"));
    ck_assert_ptr_nonnull(
        haz(p, ST_HAZ_WARN,
            "libvirt will write deeper/../../base.qcow2 into top.qcow2 as its backing file (it "
            "makes the name from the old ones and cannot be given another): the name goes "
            "through the folder /img/sub/deeper, so the chain breaks, and the domain no longer "
            "starts, if that folder is ever removed. Once the domain is shut off, this writes "
            "the direct name: qemu-img rebase -u -F qcow2 -b ../base.qcow2 /img/sub/top.qcow2"));
    st_plan_free(p);

    /* Without RELATIVE, QEMU writes the base's path as libvirt opened it: the same detour. */
    o.relative = false;
    p = st_plan_commit(hosts, 1, 0, "fold", "vda", 1, 2, NULL, &o);
    ck_assert_ptr_nonnull(strstr(p->after[0], "backing file: /img/sub/deeper/../../base.qcow2"));
    ck_assert_ptr_nonnull(haz(p, ST_HAZ_WARN, "through the folder /img/sub/deeper"));
    ck_assert_ptr_nonnull(haz(p, ST_HAZ_WARN,
                              "qemu-img rebase -u -F qcow2 -b /img/base.qcow2 "
                              "/img/sub/top.qcow2"));
    st_plan_free(p);

    /* Names that take no such way warn of nothing. */
    st_host_free(h);
    h = mk_host("localhost", true);
    article_dom(h, ST_DOM_RUNNING, true);
    hosts[0] = h;
    st_merge_opts_default(&o);
    p = st_plan_commit(hosts, 1, 0, "test2", "vda", 1, 3, NULL, &o);
    ck_assert(!any_text(p, "goes through the folder"));
    st_plan_free(p);
    st_host_free(h);
}
END_TEST

START_TEST(test_offline_pull_and_quoting)
{
    st_host *h = mk_host("localhost", true);
    st_domain *d = mk_dom(h, "my vm", ST_DOM_SHUTOFF);
    const char *chain[] = {"/var/lib/libvirt/my images/top.qcow2",
                           "/var/lib/libvirt/my images/mid.qcow2",
                           "/var/lib/libvirt/my images/base.qcow2", NULL};
    mk_disk(d, "vda", chain, true);
    st_host *hosts[] = {h};
    st_merge_opts o;
    st_merge_opts_default(&o);
    o.bandwidth = 5;
    o.delete_files = true;
    st_plan *p = st_plan_pull(hosts, 1, 0, "my vm", "vda", 2, NULL, &o);
    dump(p);
    ck_assert(!p->refused);
    ck_assert(p->offline && p->delete_possible);
    /* A pull checks the layer it writes and those it copies, not the base it keeps. */
    ck_assert_uint_eq(p->n_calls, 4);
    ck_assert_str_eq(p->calls[0], "qemu-img check -q -f qcow2 '/var/lib/libvirt/my "
                                  "images/top.qcow2'");
    ck_assert_str_eq(p->calls[1], "qemu-img check -q -f qcow2 '/var/lib/libvirt/my "
                                  "images/mid.qcow2'");
    ck_assert_str_eq(p->calls[2], "qemu-img rebase -p -t none -F qcow2 -b base.qcow2 "
                                  "'/var/lib/libvirt/my images/top.qcow2'");
    ck_assert_str_eq(p->calls[3], "rm -- '/var/lib/libvirt/my images/mid.qcow2'");
    ck_assert_ptr_nonnull(haz(p, ST_HAZ_INFO, "qemu-img rebase has no speed limit"));
    ck_assert_ptr_nonnull(haz(p, ST_HAZ_WARN,
                              "these files are deleted: /var/lib/libvirt/my "
                              "images/mid.qcow2"));
    ck_assert_uint_eq(p->req.flags, ST_F_RELATIVE | ST_F_DELETE);
    st_plan_free(p);

    o.delete_files = false;
    p = st_plan_pull(hosts, 1, 0, "my vm", "vda", SIZE_MAX, NULL, &o);
    ck_assert_str_eq(call_of(p, "qemu-img rebase"),
                     "qemu-img rebase -p -t none -b '' '/var/lib/libvirt/my images/top.qcow2'");
    ck_assert_uint_eq(p->n_calls, 4); /* the whole chain checked, then the rebase */
    st_plan_free(p);

    /* Online, the domain name is quoted for the shell and escaped for C. */
    h->doms[0].state = ST_DOM_RUNNING;
    p = st_plan_pull(hosts, 1, 0, "my vm", "vda", 2, NULL, &o);
    ck_assert_str_eq(p->calls[0], "virDomainBlockRebase(dom=\"my vm\", disk=\"vda\", "
                                  "base=\"/var/lib/libvirt/my images/base.qcow2\", "
                                  "bandwidth=5 MiB/s, flags=RELATIVE)");
    ck_assert_str_eq(p->calls[1], "virsh equivalent: virsh blockpull 'my vm' vda --base "
                                  "'/var/lib/libvirt/my images/base.qcow2' --keep-relative "
                                  "--bandwidth 5 --wait --verbose");
    st_plan_free(p);
    st_host_free(h);
}
END_TEST

START_TEST(test_offline_running_user_refused)
{
    /* test2 is shut off, but web01 runs on test2.qcow2 — the layer test2_test is committed
     * into: qemu-img must not touch it (and the shared base is refused anyway). */
    st_host *h = mk_host("localhost", true);
    article_dom(h, ST_DOM_SHUTOFF, true);
    const char *web01[] = {IMG "/web01.qcow2", IMG "/test2.qcow2", IMG "/centos.qcow2", NULL};
    mk_disk(mk_dom(h, "web01", ST_DOM_PAUSED), "vda", web01, true);
    st_host *hosts[] = {h};
    st_model_mark_shared(hosts, 1);
    st_merge_opts o = opts_for(h);
    st_plan *p = st_plan_commit(hosts, 1, 0, "test2", "vda", 3, 4, NULL, &o);
    dump(p);
    ck_assert(p->refused);
    ck_assert_ptr_nonnull(haz(p, ST_HAZ_REFUSE,
                              "test2.qcow2 is in use by web01, which is paused: "
                              "qemu-img must never touch an image a running VM "
                              "holds"));
    st_plan_free(p);

    /* A commit higher up involves none of web01's files. */
    p = st_plan_commit(hosts, 1, 0, "test2", "vda", 1, 3, NULL, &o);
    ck_assert(!haz(p, ST_HAZ_REFUSE, "in use by"));
    st_plan_free(p);
    st_host_free(h);
}
END_TEST

/* ---- remote shut-off --------------------------------------------------------------------------
 */

START_TEST(test_remote_shutoff)
{
    st_host *h = mk_host("kvm2", false);
    article_dom(h, ST_DOM_SHUTOFF, false);
    st_host *hosts[] = {h};
    st_merge_opts o = opts_for(h);
    st_plan *p = st_plan_commit(hosts, 1, 0, "test2", "vda", 1, 3, NULL, &o);
    ck_assert(!p->relative_possible); /* names not known */
    ck_assert(p->refused);
    ck_assert(!p->offline);
    ck_assert_ptr_nonnull(haz(p, ST_HAZ_REFUSE,
                              "test2 is shut off and its images are on a remote "
                              "host"));
    st_plan_free(p);

    o.start_paused = true;
    p = st_plan_commit(hosts, 1, 0, "test2", "vda", 1, 3, NULL, &o);
    dump(p);
    ck_assert(!p->refused);
    ck_assert(!p->offline);
    ck_assert_ptr_nonnull(haz(p, ST_HAZ_INFO,
                              "the domain will be started paused for the job and "
                              "shut off again afterwards"));
    ck_assert_ptr_nonnull(haz(p, ST_HAZ_INFO, "written as an absolute path by libvirt"));
    ck_assert_ptr_nonnull(haz(p, ST_HAZ_INFO,
                              "This interface finishes the job (for an active commit: the pivot, "
                              "as soon as it is ready) and shuts the domain off again"));
    ck_assert(!p->relative_possible);
    ck_assert_uint_eq(p->req.flags, ST_F_START_PAUSED);
    ck_assert_str_eq(p->calls[0], "virDomainCreateWithFlags(dom=\"test2\", flags=START_PAUSED)");
    ck_assert_ptr_nonnull(strstr(p->calls[1], "virDomainBlockCommit("));
    ck_assert_str_eq(p->calls[2], "virDomainDestroy(dom=\"test2\")");
    ck_assert(has_call(p, "virsh start test2 --paused; virsh blockcommit"));
    ck_assert(has_call(p, "--wait --verbose; virsh destroy test2"));
    st_plan_free(p);
    st_host_free(h);
}
END_TEST

START_TEST(test_remote_delete)
{
    /* Remote running domain: libvirt deletes after a commit; after a pull nobody can. */
    st_host *h = mk_host("kvm2", false);
    st_domain *d = mk_dom(h, "test2", ST_DOM_RUNNING);
    mk_disk(d, "vda", pullchain, false);
    st_host *hosts[] = {h};
    st_merge_opts o = {.delete_files = true};
    st_plan *p = st_plan_commit(hosts, 1, 0, "test2", "vda", 1, 3, NULL, &o);
    ck_assert(!p->refused);
    ck_assert(p->delete_possible);
    ck_assert_str_eq(p->flags, "DELETE");
    ck_assert(has_call(p, "--delete --wait --verbose"));
    st_plan_free(p);

    p = st_plan_pull(hosts, 1, 0, "test2", "vda", 4, NULL, &o);
    ck_assert(p->refused);
    ck_assert(!p->delete_possible);
    ck_assert_ptr_nonnull(haz(p, ST_HAZ_REFUSE, "cannot be deleted from here"));
    ck_assert(!(p->req.flags & ST_F_DELETE));
    st_plan_free(p);
    st_host_free(h);
}
END_TEST

/* Which options can lift a refusal: the plan screen shows only those, and says when none can. */
START_TEST(test_refusal_lifting)
{
    st_host *h = mk_host("kvm2", false);
    article_dom(h, ST_DOM_SHUTOFF, false);
    st_host *hosts[] = {h};
    st_merge_opts o = opts_for(h);
    st_plan *p = st_plan_commit(hosts, 1, 0, "test2", "vda", 1, 3, NULL, &o);
    ck_assert(p->refused);
    ck_assert_uint_eq(p->lifting, ST_OPT_START_PAUSED);
    st_plan_free(p);
    /* Deleting what a pull leaves on a remote host: both options stand in the way. */
    o.delete_files = true;
    p = st_plan_pull(hosts, 1, 0, "test2", "vda", 4, NULL, &o);
    ck_assert(p->refused);
    ck_assert_uint_eq(p->lifting, ST_OPT_START_PAUSED | ST_OPT_DELETE);
    st_plan_free(p);
    o.start_paused = true;
    p = st_plan_pull(hosts, 1, 0, "test2", "vda", 4, NULL, &o);
    ck_assert(p->refused);
    ck_assert_uint_eq(p->lifting, ST_OPT_DELETE);
    st_plan_free(p);
    o.delete_files = false;
    p = st_plan_pull(hosts, 1, 0, "test2", "vda", 4, NULL, &o);
    ck_assert(!p->refused);
    ck_assert_uint_eq(p->lifting, 0);
    st_plan_free(p);
    /* A job already running: no option helps, even beside one that would. */
    h->jobs = xcalloc(1, sizeof(st_job));
    h->n_jobs = 1;
    h->jobs[0] = (st_job){.id = 1,
                          .domain = xstrdup("test2"),
                          .disk = xstrdup("vda"),
                          .kind = ST_JOB_COMMIT,
                          .phase = ST_PHASE_RUNNING};
    o.start_paused = false;
    p = st_plan_commit(hosts, 1, 0, "test2", "vda", 1, 3, NULL, &o);
    ck_assert(p->refused);
    ck_assert_ptr_nonnull(haz(p, ST_HAZ_REFUSE, "A job is already running on test2/vda"));
    ck_assert_uint_eq(p->lifting, 0);
    st_plan_free(p);
    st_host_free(h);
}
END_TEST

/* ---- broken, read-only, states, delete, ranges ---------------------------------------------- */

START_TEST(test_broken_layer)
{
    st_host *h = mk_host("localhost", true);
    st_domain *d = article_dom(h, ST_DOM_RUNNING, true);
    d->disks[0].chain[2].broken = xstrdup("No such file or directory");
    st_host *hosts[] = {h};
    st_merge_opts o = opts_for(h);
    st_plan *p = st_plan_commit(hosts, 1, 0, "test2", "vda", 1, 3, NULL, &o);
    ck_assert(p->refused);
    ck_assert_ptr_nonnull(haz(p, ST_HAZ_REFUSE,
                              "test2_nmap.qcow2 is unusable (No such file or "
                              "directory)"));
    st_plan_free(p);

    /* A broken layer outside the range refuses too: the chain is broken. */
    p = st_plan_commit(hosts, 1, 0, "test2", "vda", 0, 1, NULL, &o);
    ck_assert(p->refused);
    ck_assert_ptr_nonnull(haz(p, ST_HAZ_REFUSE,
                              "The chain of vda is broken at layer 2, " IMG
                              "/test2_nmap.qcow2 (No such file or directory): nothing is merged "
                              "in a broken chain. Repair it first."));
    ck_assert_uint_eq(count_level(p, ST_HAZ_REFUSE), 1);
    st_plan_free(p);
    p = st_plan_pull(hosts, 1, 0, "test2", "vda", 5, NULL, &o);
    ck_assert(p->refused);
    ck_assert_ptr_nonnull(haz(p, ST_HAZ_REFUSE, "test2_nmap.qcow2 is unusable"));
    st_plan_free(p);
    /* A name libvirt cannot carry leaves the chain whole: only merges naming it refuse. */
    d->disks[0].chain[2].name_only = true;
    p = st_plan_commit(hosts, 1, 0, "test2", "vda", 0, 1, NULL, &o);
    ck_assert(!p->refused);
    st_plan_free(p);
    p = st_plan_commit(hosts, 1, 0, "test2", "vda", 1, 2, NULL, &o);
    ck_assert(p->refused);
    st_plan_free(p);
    free(d->disks[0].chain[2].broken);
    d->disks[0].chain[2].broken = NULL;

    /* A layer with no known path inside the range refuses. */
    free(d->disks[0].chain[1].path);
    d->disks[0].chain[1].path = NULL;
    p = st_plan_commit(hosts, 1, 0, "test2", "vda", 0, 1, NULL, &o);
    ck_assert(p->refused);
    ck_assert_ptr_nonnull(haz(p, ST_HAZ_REFUSE, "Layer 1 of vda has no known path"));
    st_plan_free(p);
    st_host_free(h);
}
END_TEST

/*
 * a.qcow2 ← b.qcow2 ← a.qcow2: the walk stops at the second a, marked broken (a loop). Every
 * merge on that disk is refused in the plan, before any typed yes, with the reason; committing a
 * layer into itself is refused in words.
 */
START_TEST(test_loop_refused)
{
    st_host *h = mk_host("localhost", true);
    st_domain *d = mk_dom(h, "loop", ST_DOM_SHUTOFF);
    const char *chain[] = {IMG "/a.qcow2", IMG "/b.qcow2", IMG "/a.qcow2", NULL};
    st_disk *k = mk_disk(d, "vda", chain, true);
    k->chain[2].broken = xstrdup("loop: this image is already in the chain");
    free(k->chain[2].backing_name);
    k->chain[2].backing_name = NULL;
    st_host *hosts[] = {h};
    st_facts *f = space_facts(10 * 1024 * MiB);
    st_merge_opts o = opts_for(h);

    st_plan *p = st_plan_commit(hosts, 1, 0, "loop", "vda", 0, 1, f, &o);
    dump(p);
    ck_assert(p->refused);
    ck_assert_ptr_nonnull(haz(p, ST_HAZ_REFUSE,
                              "The chain of vda is broken at layer 2, " IMG
                              "/a.qcow2 (loop: this image is already in the chain)"));
    /* Refused plans come first: the reason leads the list. */
    ck_assert_int_eq(p->hazards[0].level, ST_HAZ_REFUSE);
    st_plan_free(p);

    p = st_plan_commit(hosts, 1, 0, "loop", "vda", 0, 2, f, &o);
    ck_assert(p->refused);
    ck_assert_ptr_nonnull(haz(p, ST_HAZ_REFUSE, IMG "/a.qcow2 is unusable (loop: this image"));
    st_plan_free(p);
    p = st_plan_commit(hosts, 1, 0, "loop", "vda", 1, 2, f, &o);
    ck_assert(p->refused);
    st_plan_free(p);
    p = st_plan_pull(hosts, 1, 0, "loop", "vda", SIZE_MAX, f, &o);
    ck_assert(p->refused);
    ck_assert_ptr_nonnull(haz(p, ST_HAZ_REFUSE, "is unusable (loop: this image"));
    st_plan_free(p);

    /* What a picker that found the loop's first layer again would ask. */
    p = st_plan_commit(hosts, 1, 0, "loop", "vda", 0, 0, f, &o);
    ck_assert(p->refused);
    ck_assert_ptr_nonnull(haz(p, ST_HAZ_REFUSE,
                              IMG "/a.qcow2 cannot be committed into itself: the base must be a "
                                  "layer below it."));
    ck_assert(!any_text(p, "Cannot commit layer 0 into layer 0"));
    st_plan_free(p);

    /* The same for a running domain (libvirt's block jobs). */
    d->state = ST_DOM_RUNNING;
    p = st_plan_commit(hosts, 1, 0, "loop", "vda", 0, 1, f, &o);
    ck_assert(p->refused && !p->offline);
    ck_assert_ptr_nonnull(haz(p, ST_HAZ_REFUSE, "The chain of vda is broken at layer 2"));
    st_plan_free(p);
    st_facts_free(f);
    st_host_free(h);
}
END_TEST

/* A layer truncated past its header (the reader's reason) refuses a merge, wherever it lies. */
START_TEST(test_damaged_layer_refused)
{
    st_host *h = mk_host("localhost", true);
    st_domain *d = article_dom(h, ST_DOM_SHUTOFF, true);
    const char *why = "truncated: its L1 table ends at byte 196616, past the end of the file "
                      "(131072 bytes)";
    d->disks[0].chain[3].broken = xstrdup(why);
    st_host *hosts[] = {h};
    st_merge_opts o = opts_for(h);
    size_t ranges[][2] = {{1, 3}, {2, 4}, {0, 1}, {4, 5}};
    for (size_t i = 0; i < sizeof(ranges) / sizeof(ranges[0]); i++) {
        st_plan *p =
            st_plan_commit(hosts, 1, 0, "test2", "vda", ranges[i][0], ranges[i][1], NULL, &o);
        ck_assert_msg(p->refused, "commit %zu into %zu", ranges[i][0], ranges[i][1]);
        ck_assert_ptr_nonnull(haz(p, ST_HAZ_REFUSE, why));
        st_plan_free(p);
    }
    st_host_free(h);
}
END_TEST

/* A chain qemu-img would read further than this plan knows is not merged offline. */
START_TEST(test_offline_unknown_chain_refused)
{
    st_host *h = mk_host("localhost", true);
    st_domain *d = article_dom(h, ST_DOM_SHUTOFF, true);
    d->disks[0].chain_unknown = xstrdup("network disk: the chain below it is not read");
    st_host *hosts[] = {h};
    st_merge_opts o = opts_for(h);
    st_plan *p = st_plan_commit(hosts, 1, 0, "test2", "vda", 1, 3, NULL, &o);
    ck_assert(p->refused);
    ck_assert_ptr_nonnull(haz(p, ST_HAZ_REFUSE,
                              "The chain of vda below its last known layer is not known (network "
                              "disk: the chain below it is not read)"));
    st_plan_free(p);
    /* A running domain's QEMU has its chain open: libvirt's job does not need it read here. */
    d->state = ST_DOM_RUNNING;
    p = st_plan_commit(hosts, 1, 0, "test2", "vda", 1, 3, NULL, &o);
    ck_assert(!p->refused);
    st_plan_free(p);
    st_host_free(h);
}
END_TEST

START_TEST(test_readonly_and_states)
{
    st_host *h = mk_host("localhost", true);
    article_dom(h, ST_DOM_RUNNING, true);
    st_host *hosts[] = {h};
    st_merge_opts o = opts_for(h);
    h->readonly = true;
    st_plan *p = st_plan_commit(hosts, 1, 0, "test2", "vda", 1, 3, NULL, &o);
    ck_assert(p->refused);
    ck_assert_ptr_nonnull(haz(p, ST_HAZ_REFUSE, "The connection to localhost is read-only"));
    st_plan_free(p);
    h->readonly = false;

    h->doms[0].state = ST_DOM_CRASHED;
    p = st_plan_pull(hosts, 1, 0, "test2", "vda", 4, NULL, &o);
    ck_assert(p->refused);
    ck_assert_ptr_nonnull(haz(p, ST_HAZ_REFUSE,
                              "test2 is crashed: a merge needs it running, "
                              "paused or shut off"));
    st_plan_free(p);
    h->doms[0].state = ST_DOM_PMSUSPENDED;
    p = st_plan_pull(hosts, 1, 0, "test2", "vda", 4, NULL, &o);
    ck_assert_ptr_nonnull(haz(p, ST_HAZ_REFUSE, "test2 is suspended"));
    st_plan_free(p);
    h->doms[0].state = ST_DOM_PAUSED;
    p = st_plan_pull(hosts, 1, 0, "test2", "vda", 4, NULL, &o);
    ck_assert(!p->refused);
    st_plan_free(p);
    st_host_free(h);
}
END_TEST

/*
 * RELATIVE follows the names the merge rewrites, not the whole chain: below an absolute name
 * (test2_lsof names test2_test by its path), a commit and a pull above it keep relative names,
 * and one that reaches through the absolute name cannot.
 */
START_TEST(test_relative_by_names_involved)
{
    st_host *h = mk_host("localhost", true);
    st_domain *d = mk_dom(h, "test2", ST_DOM_RUNNING);
    st_disk *k = mk_disk(d, "vda", pullchain, true);
    free(k->chain[2].backing_name);
    k->chain[2].backing_name = xstrdup(IMG "/test2_test.qcow2");
    st_host *hosts[] = {h};
    st_merge_opts o;
    st_merge_opts_default(&o);
    /* Pull down to test2_lsof: htop and vim name their backing files relatively. */
    st_plan *p = st_plan_pull(hosts, 1, 0, "test2", "vda", 2, NULL, &o);
    ck_assert(p->relative_possible);
    ck_assert(p->req.flags & ST_F_RELATIVE);
    ck_assert_str_eq(p->flags, "RELATIVE");
    st_plan_free(p);
    /* Commit vim into lsof: htop's new name is vim's relative one. */
    p = st_plan_commit(hosts, 1, 0, "test2", "vda", 1, 2, NULL, &o);
    ck_assert(p->relative_possible && (p->req.flags & ST_F_RELATIVE));
    st_plan_free(p);
    /* Down to test2_test, the way passes lsof's absolute name: absolute, and said so. */
    p = st_plan_pull(hosts, 1, 0, "test2", "vda", 3, NULL, &o);
    ck_assert(!p->relative_possible);
    ck_assert(!(p->req.flags & ST_F_RELATIVE));
    ck_assert_ptr_nonnull(haz(p, ST_HAZ_INFO, "The backing names involved are absolute"));
    st_plan_free(p);
    /* The admin may still want absolute names where relative ones are possible. */
    o.relative = false;
    p = st_plan_pull(hosts, 1, 0, "test2", "vda", 2, NULL, &o);
    ck_assert(p->relative_possible && !(p->req.flags & ST_F_RELATIVE));
    st_plan_free(p);
    st_host_free(h);
}
END_TEST

/* Follow-ups this interface runs itself are said on the plan: a pull's merged files. */
START_TEST(test_pull_delete_needs_the_interface)
{
    st_host *h = mk_host("localhost", true);
    st_domain *d = mk_dom(h, "test2", ST_DOM_RUNNING);
    mk_disk(d, "vda", pullchain, true);
    st_host *hosts[] = {h};
    st_merge_opts o = {.delete_files = true};
    st_plan *p = st_plan_pull(hosts, 1, 0, "test2", "vda", 4, NULL, &o);
    ck_assert(!p->refused);
    ck_assert(p->req.flags & ST_F_DELETE);
    ck_assert_ptr_nonnull(haz(p, ST_HAZ_INFO,
                              "This interface removes the merged files once the pull has "
                              "completed"));
    st_plan_free(p);
    /* libvirt deletes after a commit itself: nothing waits for this interface. */
    p = st_plan_commit(hosts, 1, 0, "test2", "vda", 1, 3, NULL, &o);
    ck_assert(!p->refused);
    ck_assert(!any_text(p, "This interface"));
    st_plan_free(p);
    /* Without the delete nothing is left for afterwards. */
    o.delete_files = false;
    p = st_plan_pull(hosts, 1, 0, "test2", "vda", 4, NULL, &o);
    ck_assert(!any_text(p, "This interface"));
    st_plan_free(p);
    st_host_free(h);
}
END_TEST

START_TEST(test_delete_refused_by_snapshot)
{
    st_host *h = mk_host("localhost", true);
    article_dom(h, ST_DOM_RUNNING, true);
    st_host *hosts[] = {h};
    st_merge_opts o = opts_for(h);
    o.delete_files = true;
    st_plan *p = st_plan_commit(hosts, 1, 0, "test2", "vda", 1, 3, NULL, &o);
    dump(p);
    ck_assert(p->refused);
    ck_assert(p->delete_possible);
    ck_assert_ptr_nonnull(haz(p, ST_HAZ_REFUSE,
                              "The merged files cannot be deleted: snapshots "
                              "nmap, net-tools, lsof still name them"));
    ck_assert(!haz(p, ST_HAZ_WARN, "After the job completes"));
    st_plan_free(p);

    /* Without the delete the same commit runs (with its warnings). */
    o.delete_files = false;
    p = st_plan_commit(hosts, 1, 0, "test2", "vda", 1, 3, NULL, &o);
    ck_assert(!p->refused);
    st_plan_free(p);
    st_host_free(h);
}
END_TEST

START_TEST(test_branch_snapshot)
{
    /* A snapshot whose overlay is not in the chain belongs to another branch. */
    st_host *h = mk_host("localhost", true);
    st_domain *d = article_dom(h, ST_DOM_RUNNING, true);
    mk_snap(d, "old-branch", "test", IMG "/test2_branch.qcow2");
    st_host *hosts[] = {h};
    st_merge_opts o = opts_for(h);
    st_plan *p = st_plan_commit(hosts, 1, 0, "test2", "vda", 1, 3, NULL, &o);
    ck_assert_ptr_nonnull(haz(p, ST_HAZ_WARN,
                              "Snapshot old-branch has its overlay outside this "
                              "chain (another branch). If it is backed by "
                              "test2_test.qcow2"));
    st_plan_free(p);
    /* A pull writes nothing it could read, but deleting files it may be backed by is refused. */
    p = st_plan_pull(hosts, 1, 0, "test2", "vda", 4, NULL, &o);
    ck_assert(!any_text(p, "old-branch"));
    st_plan_free(p);
    st_host_free(h);

    /* Only the branch is left (the other snapshots' metadata was removed). */
    h = mk_host("localhost", true);
    d = mk_dom(h, "test2", ST_DOM_RUNNING);
    mk_disk(d, "vda", article, true);
    mk_snap(d, "old-branch", NULL, IMG "/test2_branch.qcow2");
    hosts[0] = h;
    o.delete_files = true;
    p = st_plan_pull(hosts, 1, 0, "test2", "vda", 4, NULL, &o);
    ck_assert(p->refused);
    ck_assert_ptr_nonnull(haz(p, ST_HAZ_REFUSE,
                              "the overlays of snapshots old-branch (another "
                              "branch) may be backed by them"));
    st_plan_free(p);
    st_host_free(h);
}
END_TEST

START_TEST(test_internal_snapshot_active_commit)
{
    st_host *h = mk_host("localhost", true);
    st_domain *d = mk_dom(h, "test2", ST_DOM_RUNNING);
    mk_disk(d, "vda", article, true);
    st_snapshot *s = &d->snaps[d->n_snaps++];
    s->name = xstrdup("fresh");
    s->state = xstrdup("running");
    s->memory = true;
    st_host *hosts[] = {h};
    st_merge_opts o = opts_for(h);
    st_plan *p = st_plan_commit(hosts, 1, 0, "test2", "vda", 0, 1, NULL, &o);
    ck_assert_ptr_nonnull(haz(p, ST_HAZ_WARN,
                              "Internal snapshot fresh is stored inside the image "
                              "that was active when it was taken: if that is "
                              "test2_lsof.qcow2"));
    st_plan_free(p);
    /* A commit below the active layer does not move the disk off it. */
    p = st_plan_commit(hosts, 1, 0, "test2", "vda", 1, 2, NULL, &o);
    ck_assert(!any_text(p, "fresh"));
    st_plan_free(p);
    st_host_free(h);
}
END_TEST

START_TEST(test_out_of_range)
{
    st_host *h = mk_host("localhost", true);
    article_dom(h, ST_DOM_RUNNING, true);
    st_host *hosts[] = {h};
    st_merge_opts o = opts_for(h);
    struct {
        st_plan *p;
        const char *frag;
    } cases[] = {
        {st_plan_commit(hosts, 1, 0, "test2", "vda", 3, 1, NULL, &o),
         "Cannot commit layer 3 into layer 1"},
        {st_plan_commit(hosts, 1, 0, "test2", "vda", 2, 2, NULL, &o),
         IMG "/test2_nmap.qcow2 cannot be committed into itself: the base must be a layer below "
             "it."},
        {st_plan_commit(hosts, 1, 0, "test2", "vda", 1, 6, NULL, &o), "in a chain of 6"},
        {st_plan_pull(hosts, 1, 0, "test2", "vda", 1, NULL, &o), "Nothing to pull"},
        {st_plan_pull(hosts, 1, 0, "test2", "vda", 0, NULL, &o), "Cannot pull down to layer 0"},
        {st_plan_pull(hosts, 1, 0, "test2", "vda", 9, NULL, &o), "Cannot pull down to layer 9"},
        {st_plan_pull(hosts, 1, 0, "nope", "vda", 4, NULL, &o), "Domain nope was not found"},
        {st_plan_commit(hosts, 1, 0, "test2", "vdb", 1, 3, NULL, &o),
         "Domain test2 has no disk vdb"},
        {st_plan_commit(hosts, 1, 3, "test2", "vda", 1, 3, NULL, &o), "The host is not known"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        st_plan *p = cases[i].p;
        ck_assert_msg(p->refused, "case %zu", i);
        ck_assert_ptr_nonnull(haz(p, ST_HAZ_REFUSE, cases[i].frag));
        ck_assert_uint_eq(p->n_before, 0);
        ck_assert_uint_eq(p->n_calls, 0);
        ck_assert_ptr_nonnull(p->title);
        ck_assert_str_eq(p->flags, "none");
        st_plan_free(p);
    }
    size_t n = 7;
    ck_assert_ptr_null(st_plan_space_paths(h, "test2", "vda", ST_REQ_COMMIT, 3, 1, &n));
    ck_assert_uint_eq(n, 0);
    st_plan_free(NULL);
    st_host_free(h);
}
END_TEST

START_TEST(test_bandwidth_and_order)
{
    st_host *h = mk_host("localhost", true);
    article_dom(h, ST_DOM_RUNNING, true);
    st_host *hosts[] = {h};
    st_merge_opts o = opts_for(h);
    o.bandwidth = 10;
    o.delete_files = true; /* refused: snapshots name the files */
    st_plan *p = st_plan_commit(hosts, 1, 0, "test2", "vda", 1, 3, NULL, &o);
    ck_assert_ptr_nonnull(haz(p, ST_HAZ_INFO, "limited to 10 MiB/s"));
    ck_assert(has_call(p, "bandwidth=10 MiB/s, flags=RELATIVE | DELETE)"));
    ck_assert(has_call(p, "--keep-relative --bandwidth 10 --delete --wait --verbose"));
    ck_assert_uint_eq(p->req.bandwidth, 10);
    ck_assert_uint_ge(p->n_hazards, 4);
    for (size_t i = 1; i < p->n_hazards; i++)
        ck_assert_int_ge(p->hazards[i - 1].level, p->hazards[i].level);
    ck_assert_int_eq(p->hazards[0].level, ST_HAZ_REFUSE);
    ck_assert_int_eq(p->hazards[p->n_hazards - 1].level, ST_HAZ_INFO);
    st_plan_free(p);
    st_host_free(h);
}
END_TEST

/* ---- the host's confinement of QEMU ---------------------------------------------------- */

#define UUID    "6f1d3c2e-0b7a-4c4e-9a51-2d8e6f7a9b10"
#define AA_FILE "/etc/apparmor.d/libvirt/libvirt-" UUID ".files"

/* Facts of a host that confines QEMU with `model`, and (profile non-NULL) the domain's
 * AppArmor profile as libvirt 9.0 writes it. */
static st_facts *security_facts(const char *model, const char *profile)
{
    st_facts *f = space_facts(10 * 1024 * MiB);
    f->security_model = xstrdup(model);
    if (profile) {
        st_aa_parse(profile, AA_FILE, &f->apparmor);
        f->apparmor_read = true;
    }
    return f;
}

/* A host with the article's domain (its UUID set), running. */
static st_host *confined_host(const char *name, bool local)
{
    st_host *h = mk_host(name, local);
    st_domain *d = article_dom(h, ST_DOM_RUNNING, local);
    snprintf(d->uuid, sizeof(d->uuid), "%s", UUID);
    return h;
}

/* The plan of committing layer top into base of the article's disk, printed. */
static st_plan *confined_commit(st_host *h, size_t top, size_t base, const st_facts *f)
{
    st_host *hosts[] = {h};
    st_merge_opts o = opts_for(h);
    st_plan *p = st_plan_commit(hosts, 1, 0, "test2", "vda", top, base, f, &o);
    dump(p);
    return p;
}

static const char aa_denies_base[] = "# DO NOT EDIT THIS FILE DIRECTLY. IT IS MANAGED BY LIBVIRT.\n"
                                     "  \"" IMG "/test2_lsof.qcow2\" rwk,\n"
                                     "  \"" IMG "/test2_net-tools.qcow2\" rk,\n"
                                     "  \"" IMG "/test2_test.qcow2\" rk,\n"
                                     "  deny \"" IMG "/test2_test.qcow2\" w,\n";

START_TEST(test_apparmor_denied_base_refused)
{
    st_host *h = confined_host("localhost", true);
    st_facts *f = security_facts("apparmor", aa_denies_base);
    st_plan *p = confined_commit(h, 1, 3, f);
    ck_assert(p->refused);
    ck_assert_uint_eq(p->lifting, 0); /* no option of the plan helps */
    const st_hazard *z = haz(p, ST_HAZ_REFUSE, "AppArmor: the domain's profile forbids QEMU");
    ck_assert_ptr_nonnull(z);
    ck_assert_ptr_nonnull(strstr(z->text, IMG "/test2_test.qcow2 (where the data goes), " AA_FILE
                                              ", line 5: deny \"" IMG "/test2_test.qcow2\" w."));
    ck_assert_ptr_nonnull(strstr(z->text, "shut test2 off and merge offline"));
    ck_assert_ptr_nonnull(
        strstr(z->text, "apparmor_parser -r /etc/apparmor.d/libvirt/libvirt-" UUID ")"));
    st_plan_free(p);

    /* The same domain shut off: qemu-img merges, outside the profile. */
    h->doms[0].state = ST_DOM_SHUTOFF;
    p = confined_commit(h, 1, 3, f);
    ck_assert(!p->refused);
    ck_assert(p->offline);
    ck_assert(!any_text(p, "AppArmor"));
    st_plan_free(p);
    st_facts_free(f);
    st_host_free(h);
}
END_TEST

START_TEST(test_apparmor_rewritten_layer_refused)
{
    /* A commit of test2_test into test2: nmap, the layer above the top, gets a new backing
     * name, and the profile (a rule with alternatives) denies writing it. */
    st_host *h = confined_host("localhost", true);
    st_facts *f = security_facts("apparmor", "deny \"" IMG "/test2_{nmap,vim}.qcow2\" w,\n");
    st_plan *p = confined_commit(h, 3, 4, f);
    ck_assert(p->refused);
    ck_assert_ptr_nonnull(haz(p, ST_HAZ_REFUSE,
                              IMG "/test2_nmap.qcow2 (whose backing name changes), " AA_FILE
                                  ", line 1"));
    st_plan_free(p);
    /* A profile that denies nothing the merge writes: no word about it. */
    p = confined_commit(h, 4, 5, f);
    ck_assert(!p->refused);
    ck_assert(!any_text(p, "AppArmor"));
    st_plan_free(p);
    st_facts_free(f);
    st_host_free(h);
}
END_TEST

START_TEST(test_confinement_not_checked)
{
    st_host *h = confined_host("kvm2", false);
    st_facts *f = security_facts("apparmor", NULL);
    st_plan *p = confined_commit(h, 1, 3, f);
    ck_assert(!p->refused);
    ck_assert_ptr_nonnull(haz(p, ST_HAZ_WARN,
                              "AppArmor confines QEMU on kvm2, and the domain's profile is there: "
                              "it could not be checked from here"));
    ck_assert_ptr_nonnull(haz(p, ST_HAZ_WARN, AA_FILE " on that host"));
    st_plan_free(p);
    st_facts_free(f);

    /* A local profile that cannot be read. */
    h->local = true;
    f = security_facts("apparmor", NULL);
    f->apparmor_why = xstrdup(AA_FILE ": Permission denied");
    p = confined_commit(h, 1, 3, f);
    ck_assert_ptr_nonnull(haz(p, ST_HAZ_WARN,
                              "AppArmor: the domain's profile could not be read (" AA_FILE
                              ": Permission denied)"));
    st_plan_free(p);
    st_facts_free(f);

    /* SELinux: the labels the merge needs, said; the domain's own where the host told it. */
    f = security_facts("selinux", NULL);
    p = confined_commit(h, 1, 3, f);
    ck_assert(!p->refused);
    const st_hazard *z = haz(p, ST_HAZ_INFO, "SELinux confines QEMU on kvm2");
    ck_assert_ptr_nonnull(z);
    ck_assert_ptr_nonnull(strstr(z->text, "libvirt relabels " IMG "/test2_test.qcow2"));
    ck_assert_ptr_nonnull(strstr(z->text, "virt_content_t"));
    ck_assert_ptr_nonnull(strstr(z->text, "svirt_image_t"));
    st_plan_free(p);
    st_facts_free(f);
    f = security_facts("selinux", NULL);
    f->image_label = xstrdup("system_u:object_r:svirt_image_t:s0:c192,c392");
    p = confined_commit(h, 1, 3, f);
    ck_assert_ptr_nonnull(haz(p, ST_HAZ_INFO,
                              "with the domain's own image label "
                              "(system_u:object_r:svirt_image_t:s0:c192,c392)"));
    st_plan_free(p);
    st_facts_free(f);
    st_host_free(h);
}
END_TEST

static Suite *plan_suite(void)
{
    Suite *s = suite_create("plan");
    TCase *tc = tcase_create("plan");
    tcase_add_test(tc, test_article_commit);
    tcase_add_test(tc, test_commit_without_relative);
    tcase_add_test(tc, test_article_pull_base);
    tcase_add_test(tc, test_article_pull_all);
    tcase_add_test(tc, test_active_commit);
    tcase_add_test(tc, test_active_commit_delete);
    tcase_add_test(tc, test_shared_base_refused);
    tcase_add_test(tc, test_shared_spellings);
    tcase_add_test(tc, test_shared_across_hosts);
    tcase_add_test(tc, test_job_running_refused);
    tcase_add_test(tc, test_space);
    tcase_add_test(tc, test_space_peak);
    tcase_add_test(tc, test_space_block_device);
    tcase_add_test(tc, test_offline_commit);
    tcase_add_test(tc, test_offline_relative_subfolders);
    tcase_add_test(tc, test_offline_name_not_through_merged_folder);
    tcase_add_test(tc, test_live_name_through_folder_warned);
    tcase_add_test(tc, test_offline_pull_and_quoting);
    tcase_add_test(tc, test_offline_running_user_refused);
    tcase_add_test(tc, test_remote_shutoff);
    tcase_add_test(tc, test_remote_delete);
    tcase_add_test(tc, test_refusal_lifting);
    tcase_add_test(tc, test_broken_layer);
    tcase_add_test(tc, test_loop_refused);
    tcase_add_test(tc, test_damaged_layer_refused);
    tcase_add_test(tc, test_offline_unknown_chain_refused);
    tcase_add_test(tc, test_readonly_and_states);
    tcase_add_test(tc, test_delete_refused_by_snapshot);
    tcase_add_test(tc, test_pull_delete_needs_the_interface);
    tcase_add_test(tc, test_relative_by_names_involved);
    tcase_add_test(tc, test_branch_snapshot);
    tcase_add_test(tc, test_internal_snapshot_active_commit);
    tcase_add_test(tc, test_out_of_range);
    tcase_add_test(tc, test_bandwidth_and_order);
    tcase_add_test(tc, test_apparmor_denied_base_refused);
    tcase_add_test(tc, test_apparmor_rewritten_layer_refused);
    tcase_add_test(tc, test_confinement_not_checked);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return st_run_suite(plan_suite());
}
