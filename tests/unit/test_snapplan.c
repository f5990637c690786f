/*
 * Unit tests for the pure parts of the snapshot actions: snapshot XML building (escaping,
 * refusals), the branch record in domain metadata, default names, the create / revert / delete /
 * save / restore / removal plans, and the list of save files.
 */
#include "config.h"

#include <check.h>
#include <libvirt/libvirt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backend/savelist.h"
#include "backend/since.h"
#include "backend/xmlutil.h"
#include "base/util.h"
#include "core/model.h"
#include "core/snapplan.h"
#include "snapfixture.h"
#include "tap.h"

static bool exists_named(const char *path, void *ctx)
{
    return strcmp(path, (const char *)ctx) == 0;
}

/* ---- snapshot XML ---- */

START_TEST(xml_escapes_and_round_trips)
{
    st_request r = {0};
    r.snapshot = xstrdup("a<b&\"c'快照");
    r.description = xstrdup("x < y && \"z\"\n'描述'");
    r.snap_kind = ST_SNAP_KIND_DISK_ONLY;
    r.n_diskspecs = 2;
    r.diskspecs = xcalloc(2, sizeof(st_snap_diskspec));
    r.diskspecs[0].target = xstrdup("vda");
    r.diskspecs[0].snapshot = xstrdup("external");
    r.diskspecs[0].file = xstrdup(IMG "d_<&>.qcow2");
    r.diskspecs[1].target = xstrdup("vdb");
    r.diskspecs[1].snapshot = xstrdup("no");
    char *err = NULL, *xml = st_xml_build_snapshot(&r, &err);
    ck_assert_ptr_nonnull(xml);
    ck_assert_ptr_null(strstr(xml, "a<b"));
    ck_assert_ptr_nonnull(strstr(xml, "<memory snapshot=\"no\"/>"));
    st_snapshot s = {0};
    ck_assert_int_eq(st_xml_parse_snapshot(xml, &s, &err), 0);
    ck_assert_str_eq(s.name, r.snapshot);
    ck_assert_str_eq(s.description, r.description);
    ck_assert_uint_eq(s.n_disks, 2);
    ck_assert_str_eq(s.disks[0].file, IMG "d_<&>.qcow2");
    ck_assert_str_eq(s.disks[1].snapshot, "no");
    ck_assert(s.external);
    st_snapshot_clear(&s);
    free(xml);
    st_request_clear(&r);
}
END_TEST

START_TEST(xml_memory_and_internal)
{
    st_request r = {0};
    r.snapshot = xstrdup("m");
    r.snap_kind = ST_SNAP_KIND_MEMORY;
    r.path = xstrdup(IMG "d_m.mem");
    char *err = NULL, *xml = st_xml_build_snapshot(&r, &err);
    ck_assert_ptr_nonnull(strstr(xml, "<memory snapshot=\"external\" file=\"" IMG "d_m.mem\"/>"));
    free(xml);
    r.snap_kind = ST_SNAP_KIND_INTERNAL;
    xml = st_xml_build_snapshot(&r, &err);
    ck_assert_ptr_null(strstr(xml, "<memory"));
    free(xml);
    st_request_clear(&r);
}
END_TEST

START_TEST(xml_refuses_bad_input)
{
    st_request r = {0};
    char *err = NULL;
    ck_assert_ptr_null(st_xml_build_snapshot(&r, &err)); /* no name */
    free(err);
    err = NULL;
    r.snapshot = xstrdup("bad\001name");
    ck_assert_ptr_null(st_xml_build_snapshot(&r, &err));
    free(err);
    err = NULL;
    free(r.snapshot);
    r.snapshot = xstrdup("ok");
    r.description = xstrdup("\xff\xfe");
    ck_assert_ptr_null(st_xml_build_snapshot(&r, &err));
    ck_assert_ptr_nonnull(err);
    free(err);
    err = NULL;
    free(r.description);
    r.description = NULL;
    r.snap_kind = ST_SNAP_KIND_MEMORY; /* no memory file */
    ck_assert_ptr_null(st_xml_build_snapshot(&r, &err));
    free(err);
    err = NULL;
    r.snap_kind = ST_SNAP_KIND_DISK_ONLY;
    r.n_diskspecs = 1;
    r.diskspecs = xcalloc(1, sizeof(st_snap_diskspec));
    r.diskspecs[0].target = xstrdup("vda");
    r.diskspecs[0].snapshot = xstrdup("sideways");
    ck_assert_ptr_null(st_xml_build_snapshot(&r, &err));
    ck_assert_ptr_nonnull(strstr(err, "sideways"));
    free(err);
    st_request_clear(&r);
}
END_TEST

START_TEST(branch_record_round_trips)
{
    const char *dom = "<domain type='qemu'><name>t</name><metadata><other xmlns='urn:x'/>"
                      "</metadata><devices><disk type='file' device='disk'>"
                      "<driver name='qemu' type='qcow2'/><source file='" IMG "t_s2.qcow2'/>"
                      "<backingStore type='file'><source file='" IMG "t_s1.qcow2'/>"
                      "</backingStore><target dev='vda' bus='virtio'/></disk></devices>"
                      "</domain>";
    st_branch b = {
        .disk = "vda", .file = IMG "t_s2.qcow2", .snapshot = "s<1>", .base = IMG "b", .left = 1234};
    char *err = NULL;
    char *x1 = st_xml_branch_disk(dom, "vda", IMG "t_new.qcow2", "qcow2", &b, &err);
    ck_assert_ptr_nonnull(x1);
    b.file = IMG "t_new.qcow2";
    char *x2 = st_xml_branch_disk(x1, "vda", IMG "t_newer.qcow2", "qcow2", &b, &err);
    ck_assert_ptr_nonnull(x2);
    st_domain d = {0};
    d.id = -1;
    ck_assert_int_eq(st_xml_parse_domain(x2, &d, &err), 0);
    ck_assert_str_eq(d.disks[0].source, IMG "t_newer.qcow2");
    ck_assert_uint_eq(d.disks[0].n_chain, 1);
    ck_assert_uint_eq(d.n_branches, 2);
    ck_assert_str_eq(d.branches[0].file, IMG "t_s2.qcow2");
    ck_assert_str_eq(d.branches[0].snapshot, "s<1>");
    ck_assert_str_eq(d.branches[0].base, IMG "b");
    ck_assert_int_eq(d.branches[0].left, 1234);
    ck_assert_str_eq(d.branches[1].file, IMG "t_new.qcow2");
    ck_assert_ptr_nonnull(strstr(x2, ST_BRANCH_NS));
    ck_assert_ptr_nonnull(strstr(x2, "urn:x")); /* other tools' metadata stays */
    st_domain_clear(&d);
    free(x1);
    free(x2);
    b.file = "bad\nname";
    ck_assert_ptr_null(st_xml_branch_disk(dom, "vda", IMG "n", "qcow2", &b, &err));
    free(err);
}
END_TEST

/* ---- names ---- */

START_TEST(default_names)
{
    char *f = st_snap_default_file(IMG "test2.qcow2", "test2", "fresh", NULL);
    ck_assert_str_eq(f, IMG "test2_fresh.qcow2"); /* the article's name */
    free(f);
    f = st_snap_default_file(IMG "x.qcow2", "d/1", "a/b\tc", "_vdb.qcow2");
    ck_assert_str_eq(f, IMG "d_1_a_b_c_vdb.qcow2");
    free(f);
    f = st_snap_default_file(NULL, "d", "s", ".mem");
    ck_assert_str_eq(f, "/var/lib/libvirt/images/d_s.mem");
    free(f);
    char *n = st_snap_default_name(0);
    ck_assert_uint_eq(strlen(n), 15);
    ck_assert_int_eq(n[8], '-');
    free(n);
}
END_TEST

START_TEST(default_diskspecs)
{
    st_host *h = host_new(true, 9000000);
    st_domain *d = add_dom(h, "vm", ST_DOM_SHUTOFF);
    add_disk(d, "vda", "qcow2", IMG "vm.qcow2", NULL);
    add_disk(d, "vdb", "raw", IMG "data.raw", NULL);
    st_disk *cd = add_disk(d, "sda", "raw", NULL);
    free(cd->device);
    cd->device = xstrdup("cdrom");
    st_snap_diskspec *ds;
    size_t n;
    st_snap_default_diskspecs(d, ST_SNAP_KIND_DISK_ONLY, "s", &ds, &n);
    ck_assert_uint_eq(n, 3);
    ck_assert_str_eq(ds[0].snapshot, "external");
    ck_assert_str_eq(ds[0].file, IMG "vm_s_vda.qcow2"); /* two disks take it: per-disk names */
    ck_assert_str_eq(ds[1].file, IMG "vm_s_vdb.qcow2");
    ck_assert_str_eq(ds[2].snapshot, "no");
    st_request r = {.diskspecs = ds, .n_diskspecs = n};
    st_request_clear(&r);
    st_snap_default_diskspecs(d, ST_SNAP_KIND_INTERNAL, "s", &ds, &n);
    ck_assert_str_eq(ds[0].snapshot, "internal");
    ck_assert_str_eq(ds[1].snapshot, "no"); /* raw */
    ck_assert_ptr_null(ds[0].file);
    r = (st_request){.diskspecs = ds, .n_diskspecs = n};
    st_request_clear(&r);
    /* A disk switched to external in the form gets the same name the defaults give. */
    char *f = st_snap_default_overlay(d, "vdb", "s");
    ck_assert_str_eq(f, IMG "vm_s_vdb.qcow2");
    free(f);
    ck_assert_ptr_null(st_snap_default_overlay(d, "vdz", "s"));
    st_host_free(h);
}
END_TEST

/* ---- create ---- */

static st_request form(const st_domain *d, const char *name, st_snap_kind kind)
{
    st_request r = {0};
    r.snapshot = xstrdup(name);
    r.snap_kind = kind;
    st_snap_default_diskspecs(d, kind, name, &r.diskspecs, &r.n_diskspecs);
    if (kind == ST_SNAP_KIND_MEMORY)
        r.path = st_snap_default_memfile(d, name);
    return r;
}

START_TEST(create_refusals)
{
    st_host *h = host_new(true, 9000000);
    st_domain *d = add_dom(h, "vm", ST_DOM_RUNNING);
    add_disk(d, "vda", "qcow2", IMG "vm.qcow2", NULL);
    add_snap(d, "old", NULL, true);
    st_request r = form(d, "old", ST_SNAP_KIND_DISK_ONLY);
    st_snapplan *p = st_snapplan_create(h, d, &r, NULL, NULL);
    ck_assert(p->refused);
    ck_assert(has_hazard(p, ST_HAZ_REFUSE, "already has a snapshot named old"));
    st_snapplan_free(p);
    st_request_clear(&r);

    r = form(d, "new", ST_SNAP_KIND_DISK_ONLY);
    p = st_snapplan_create(h, d, &r, exists_named, IMG "vm_new.qcow2");
    ck_assert(has_hazard(p, ST_HAZ_REFUSE, "already exists"));
    st_snapplan_free(p);
    p = st_snapplan_create(h, d, &r, NULL, NULL);
    ck_assert(!p->refused);
    ck_assert(!p->mixing);
    ck_assert(has_line(p->calls, p->n_calls, "VALIDATE | ATOMIC | DISK_ONLY"));
    ck_assert(has_line(p->lost, p->n_lost, "nothing"));
    st_snapplan_free(p);
    free(r.diskspecs[0].file);
    r.diskspecs[0].file = xstrdup(IMG "vm.qcow2"); /* the active image itself */
    p = st_snapplan_create(h, d, &r, NULL, NULL);
    ck_assert(has_hazard(p, ST_HAZ_REFUSE, "already used"));
    st_snapplan_free(p);
    free(r.diskspecs[0].snapshot);
    r.diskspecs[0].snapshot = xstrdup("internal");
    p = st_snapplan_create(h, d, &r, NULL, NULL);
    ck_assert(has_hazard(p, ST_HAZ_REFUSE, "running domain cannot take an internal disk-only"));
    st_snapplan_free(p);
    st_request_clear(&r);

    r = form(d, "a/b", ST_SNAP_KIND_DISK_ONLY);
    p = st_snapplan_create(h, d, &r, NULL, NULL);
    ck_assert(has_hazard(p, ST_HAZ_REFUSE, "'/'"));
    st_snapplan_free(p);
    st_request_clear(&r);
    r = form(d, "q", ST_SNAP_KIND_DISK_ONLY);
    r.flags |= ST_F_QUIESCE;
    p = st_snapplan_create(h, d, &r, NULL, NULL);
    ck_assert(has_hazard(p, ST_HAZ_REFUSE, "no guest agent channel"));
    ck_assert_ptr_nonnull(st_snap_quiesce_unavailable(d));
    st_snapplan_free(p);
    /* A channel with nothing behind it: libvirt would fail "guest agent is not connected". */
    d->has_agent = true;
    p = st_snapplan_create(h, d, &r, NULL, NULL);
    ck_assert(has_hazard(p, ST_HAZ_REFUSE, "vm cannot be quiesced: no guest agent is connected"));
    ck_assert_ptr_nonnull(strstr(st_snap_quiesce_unavailable(d), "no guest agent is connected"));
    st_snapplan_free(p);
    r.flags &= ~ST_F_QUIESCE;
    p = st_snapplan_create(h, d, &r, NULL, NULL);
    ck_assert(!p->refused);
    ck_assert(!has_hazard(p, ST_HAZ_INFO, "quiesce would make"));
    st_snapplan_free(p);
    d->agent_connected = true;
    ck_assert_ptr_null(st_snap_quiesce_unavailable(d));
    p = st_snapplan_create(h, d, &r, NULL, NULL);
    ck_assert(has_hazard(p, ST_HAZ_INFO, "quiesce would make"));
    st_snapplan_free(p);
    r.flags |= ST_F_QUIESCE;
    p = st_snapplan_create(h, d, &r, NULL, NULL);
    ck_assert(!p->refused);
    st_snapplan_free(p);
    d->state = ST_DOM_SHUTOFF;
    p = st_snapplan_create(h, d, &r, NULL, NULL);
    ck_assert(has_hazard(p, ST_HAZ_REFUSE, "vm cannot be quiesced: it is not running"));
    st_snapplan_free(p);
    st_request_clear(&r);
    st_host_free(h);
}
END_TEST

/* The flags the plan shows are the flags the worker passes: one function makes both. */
START_TEST(create_flags_shown_are_used)
{
    st_host *h = host_new(true, 9000000);
    st_domain *d = add_dom(h, "vm", ST_DOM_RUNNING);
    add_disk(d, "vda", "qcow2", IMG "vm.qcow2", NULL);
    st_request r = form(d, "i", ST_SNAP_KIND_INTERNAL);
    ck_assert_uint_eq(st_snap_create_flags(&r), ST_SNAPF_VALIDATE);
    st_snapplan *p = st_snapplan_create(h, d, &r, NULL, NULL);
    ck_assert(has_line(p->calls, p->n_calls,
                       "virDomainSnapshotCreateXML(vm, <domainsnapshot>, VALIDATE)"));
    ck_assert(!has_line(p->calls, p->n_calls, "ATOMIC"));
    st_snapplan_free(p);
    st_request_clear(&r);
    r = form(d, "m", ST_SNAP_KIND_MEMORY);
    r.flags |= ST_F_LIVE;
    ck_assert_uint_eq(st_snap_create_flags(&r),
                      ST_SNAPF_VALIDATE | ST_SNAPF_ATOMIC | ST_SNAPF_LIVE);
    p = st_snapplan_create(h, d, &r, NULL, NULL);
    ck_assert(has_line(p->calls, p->n_calls, "<domainsnapshot>, VALIDATE | ATOMIC | LIVE)"));
    st_snapplan_free(p);
    st_request_clear(&r);
    r = form(d, "q", ST_SNAP_KIND_DISK_ONLY);
    r.flags |= ST_F_QUIESCE;
    ck_assert_uint_eq(st_snap_create_flags(&r),
                      ST_SNAPF_VALIDATE | ST_SNAPF_ATOMIC | ST_SNAPF_DISK_ONLY | ST_SNAPF_QUIESCE);
    char *t = st_snap_create_flags_text(st_snap_create_flags(&r));
    ck_assert_str_eq(t, "VALIDATE | ATOMIC | DISK_ONLY | QUIESCE");
    free(t);
    st_request_clear(&r);
    st_host_free(h);
}
END_TEST

START_TEST(create_disk_kinds)
{
    st_host *h = host_new(true, 9000000);
    st_domain *d = add_dom(h, "vm", ST_DOM_RUNNING);
    add_disk(d, "vda", "qcow2", IMG "vm.qcow2", NULL);
    add_disk(d, "vdb", "raw", IMG "vm.raw", NULL);
    st_disk *cd = add_disk(d, "sda", "raw", IMG "boot.iso", NULL);
    cd->readonly = true;
    st_request r = form(d, "i", ST_SNAP_KIND_INTERNAL);
    st_snapplan *p = st_snapplan_create(h, d, &r, NULL, NULL);
    /* savevm takes every writable disk: the raw one cannot be left out of a live snapshot. */
    ck_assert(has_hazard(p, ST_HAZ_REFUSE, "vdb cannot be left out"));
    ck_assert(!has_hazard(p, ST_HAZ_REFUSE, "sda"));
    st_snapplan_free(p);
    free(r.diskspecs[1].snapshot);
    r.diskspecs[1].snapshot = xstrdup("internal");
    free(r.diskspecs[2].snapshot);
    r.diskspecs[2].snapshot = xstrdup("internal");
    p = st_snapplan_create(h, d, &r, NULL, NULL);
    ck_assert(has_hazard(p, ST_HAZ_REFUSE, "vdb is a raw image"));
    ck_assert(has_hazard(p, ST_HAZ_REFUSE, "sda is a read-only disk"));
    st_snapplan_free(p);
    st_request_clear(&r);
    r = form(d, "mix", ST_SNAP_KIND_DISK_ONLY);
    free(r.diskspecs[1].snapshot);
    r.diskspecs[1].snapshot = xstrdup("internal");
    d->state = ST_DOM_SHUTOFF;
    p = st_snapplan_create(h, d, &r, NULL, NULL);
    ck_assert(has_hazard(p, ST_HAZ_REFUSE, "cannot mix internal and external disks"));
    st_snapplan_free(p);
    st_request_clear(&r);
    r = form(d, "m", ST_SNAP_KIND_MEMORY);
    p = st_snapplan_create(h, d, &r, NULL, NULL);
    ck_assert(has_hazard(p, ST_HAZ_REFUSE, "is not running"));
    st_snapplan_free(p);
    st_request_clear(&r);
    st_host_free(h);
}
END_TEST

/* An external snapshot of a network disk: only while the domain runs (libvirt refuses otherwise).
 */
START_TEST(create_network_disk)
{
    st_host *h = host_new(true, 9000000);
    st_domain *d = add_dom(h, "nd", ST_DOM_SHUTOFF);
    st_disk *k = add_disk(d, "vda", "raw", "nbd+unix:///?socket=/run/nbd.sock", NULL);
    free(k->type);
    k->type = xstrdup("network");
    st_request r = form(d, "s1", ST_SNAP_KIND_DISK_ONLY);
    st_snapplan *p = st_snapplan_create(h, d, &r, NULL, NULL);
    ck_assert(p->refused);
    ck_assert(has_hazard(p, ST_HAZ_REFUSE,
                         "vda is a network disk (nbd+unix:///?socket=/run/nbd.sock): libvirt takes "
                         "an external snapshot of it only while nd runs"));
    st_snapplan_free(p);
    d->state = ST_DOM_RUNNING;
    p = st_snapplan_create(h, d, &r, NULL, NULL);
    ck_assert(!has_hazard(p, ST_HAZ_REFUSE, "network disk"));
    st_snapplan_free(p);
    st_request_clear(&r);
    st_host_free(h);
}
END_TEST

/* The disk's active layer now is still the state of internal snapshot `name` (or not). */
static void at_internal(st_disk *k, const char *name)
{
    st_layer *l = &k->chain[0];
    for (size_t i = 0; i < l->n_at_snapshots; i++)
        free(l->at_snapshots[i]);
    free(l->at_snapshots);
    l->at_snapshots = NULL;
    l->n_at_snapshots = 0;
    l->content = ST_CONTENT_DATA;
    if (name) {
        l->at_snapshots = xcalloc(1, sizeof(char *));
        l->at_snapshots[0] = xstrdup(name);
        l->n_at_snapshots = 1;
    }
}

/* Where d is against its current snapshot; the reason must be given. */
static st_since since_of(const st_domain *d)
{
    const st_snapshot *cur;
    const char *why;
    st_since r = st_domain_since_current(d, &cur, &why);
    ck_assert(!cur || why);
    return r;
}

START_TEST(where_the_domain_is_now)
{
    st_host *h = host_new(true, 9000000);
    st_domain *d = add_dom(h, "vm", ST_DOM_SHUTOFF);
    add_disk(d, "vda", "qcow2", IMG "vm.qcow2", NULL);
    add_disk(d, "vdb", "raw", IMG "ref.raw", NULL);
    st_disk *k = &d->disks[0];
    d->disks[1].readonly = true;
    const st_snapshot *cur;
    const char *why;
    /* No current snapshot: nothing to be apart from. */
    ck_assert_int_eq(st_domain_since_current(d, &cur, &why), ST_SINCE_AT);
    ck_assert_ptr_null(cur);
    st_snapshot *s = add_snap(d, "s1", NULL, false);
    s->current = true;
    snap_disk(s, "vda", "internal", NULL, IMG "vm.qcow2");
    snap_disk(s, "vdb", "no", NULL, IMG "ref.raw");
    /* Shut off, tables not read (a remote host): not known. */
    ck_assert_int_eq(st_domain_since_current(d, &cur, &why), ST_SINCE_UNKNOWN);
    ck_assert_ptr_eq(cur, &d->snaps[0]);
    /* The image is still the snapshot's state: at it. Written since: moved on. */
    at_internal(k, "s1");
    ck_assert_int_eq(since_of(d), ST_SINCE_AT);
    at_internal(k, NULL);
    ck_assert_int_eq(st_domain_since_current(d, &cur, &why), ST_SINCE_MOVED);
    ck_assert_ptr_nonnull(strstr(why, "written since the snapshot"));
    /* Stopped by a revert to it: at it, whatever the tables. */
    d->reason = VIR_DOMAIN_SHUTOFF_FROM_SNAPSHOT;
    ck_assert_int_eq(since_of(d), ST_SINCE_AT);
    /* Running: moved on. Paused right after a revert: not. */
    d->state = ST_DOM_RUNNING;
    d->reason = VIR_DOMAIN_RUNNING_FROM_SNAPSHOT;
    ck_assert_int_eq(since_of(d), ST_SINCE_MOVED);
    d->state = ST_DOM_PAUSED;
    d->reason = VIR_DOMAIN_PAUSED_FROM_SNAPSHOT;
    ck_assert_int_eq(since_of(d), ST_SINCE_AT);
    d->reason = VIR_DOMAIN_PAUSED_USER;
    ck_assert_int_eq(since_of(d), ST_SINCE_MOVED);
    st_host_free(h);
}
END_TEST

START_TEST(where_the_domain_is_now_external)
{
    st_host *h = host_new(true, 9000000);
    st_domain *d = add_dom(h, "vm", ST_DOM_SHUTOFF);
    d->reason = VIR_DOMAIN_SHUTOFF_DESTROYED;
    add_disk(d, "vda", "qcow2", IMG "vm_e1.qcow2", IMG "vm.qcow2", NULL);
    st_disk *k = &d->disks[0];
    st_snapshot *s = add_snap(d, "e1", NULL, true);
    s->current = true;
    snap_disk(s, "vda", "external", IMG "vm_e1.qcow2", IMG "vm.qcow2");
    /* The snapshot's overlay, still empty: at the snapshot. */
    k->chain[0].content = ST_CONTENT_EMPTY;
    ck_assert_int_eq(since_of(d), ST_SINCE_AT);
    /* Written: moved on. */
    k->chain[0].content = ST_CONTENT_DATA;
    ck_assert_int_eq(since_of(d), ST_SINCE_MOVED);
    /* Reverted by branching: a new, empty overlay on the snapshot's image is the snapshot. */
    free(k->chain[0].path);
    k->chain[0].path = xstrdup(IMG "vm_e1.branch-1.qcow2");
    k->chain[0].content = ST_CONTENT_EMPTY;
    ck_assert_int_eq(since_of(d), ST_SINCE_AT);
    /* Another chain entirely (a commit took the overlay away): moved on. */
    free(k->chain[1].path);
    k->chain[1].path = xstrdup(IMG "other.qcow2");
    ck_assert_int_eq(since_of(d), ST_SINCE_MOVED);
    st_host_free(h);
}
END_TEST

START_TEST(kinds_the_state_allows)
{
    st_host *h = host_new(true, 9000000);
    st_domain *d = add_dom(h, "vm", ST_DOM_SHUTOFF);
    add_disk(d, "vda", "qcow2", IMG "vm.qcow2", NULL);
    ck_assert_ptr_null(st_snap_kind_unavailable(d, ST_SNAP_KIND_INTERNAL));
    ck_assert_ptr_null(st_snap_kind_unavailable(d, ST_SNAP_KIND_DISK_ONLY));
    const char *why = st_snap_kind_unavailable(d, ST_SNAP_KIND_MEMORY);
    ck_assert_ptr_nonnull(why);
    ck_assert_ptr_nonnull(strstr(why, "not running"));
    d->state = ST_DOM_RUNNING;
    for (st_snap_kind k = ST_SNAP_KIND_INTERNAL; k <= ST_SNAP_KIND_MEMORY; k++)
        ck_assert_ptr_null(st_snap_kind_unavailable(d, k));
    d->state = ST_DOM_PAUSED;
    ck_assert_ptr_null(st_snap_kind_unavailable(d, ST_SNAP_KIND_MEMORY));
    st_host_free(h);
}
END_TEST

START_TEST(create_mixing_warns)
{
    st_host *h = host_new(true, 9000000);
    st_domain *d = add_dom(h, "vm", ST_DOM_SHUTOFF);
    add_disk(d, "vda", "qcow2", IMG "vm.qcow2", NULL);
    add_snap(d, "int", NULL, false);
    st_request r = form(d, "ext", ST_SNAP_KIND_DISK_ONLY);
    st_snapplan *p = st_snapplan_create(h, d, &r, NULL, NULL);
    ck_assert(!p->refused);
    ck_assert(p->mixing);
    ck_assert(has_hazard(p, ST_HAZ_WARN, "asked a second time"));
    st_snapplan_free(p);
    st_request_clear(&r);
    r = form(d, "int2", ST_SNAP_KIND_INTERNAL);
    p = st_snapplan_create(h, d, &r, NULL, NULL);
    ck_assert(!p->mixing);
    st_snapplan_free(p);
    st_request_clear(&r);
    /* Mixed already (the admin confirmed once): not asked again for every snapshot, of either
     * kind, but told. */
    add_snap(d, "ext", "int", true);
    for (st_snap_kind k = ST_SNAP_KIND_INTERNAL; k <= ST_SNAP_KIND_DISK_ONLY; k++) {
        r = form(d, "more", k);
        p = st_snapplan_create(h, d, &r, NULL, NULL);
        ck_assert(!p->mixing);
        ck_assert(has_hazard(p, ST_HAZ_INFO, "mixes internal and external snapshots already"));
        st_snapplan_free(p);
        st_request_clear(&r);
    }
    st_host_free(h);
}
END_TEST

/* ---- revert ---- */

START_TEST(revert_external_by_branching)
{
    st_host *h = host_new(true, 9000000);
    st_domain *d = chain_domain(h, ST_DOM_SHUTOFF);
    st_snapplan *p = st_snapplan_revert(h, d, "s1", 0, 0, NULL);
    ck_assert(!p->refused);
    ck_assert(p->branching);
    ck_assert(p->req.flags & ST_F_BRANCH);
    ck_assert_uint_eq(p->req.n_diskspecs, 1);
    ck_assert_str_eq(p->req.diskspecs[0].base, IMG "base.qcow2");
    ck_assert_str_eq(p->req.diskspecs[0].base_format, "qcow2");
    ck_assert_ptr_nonnull(strstr(p->req.diskspecs[0].file, IMG "vm_s1.branch-"));
    ck_assert(has_line(p->steps, p->n_steps, "detached branch"));
    ck_assert(has_line(p->lost, p->n_lost, "nothing is deleted"));
    ck_assert(has_line(p->calls, p->n_calls, "qemu-img create -f qcow2 -b " IMG "base.qcow2"));
    st_snapplan_free(p);

    /* After the branch: the disk is on a new overlay; s2's overlay lives in the branch. */
    st_disk *k = &d->disks[0];
    set_chain(k, IMG "new.qcow2", IMG "base.qcow2", NULL);
    add_branch(d, "vda", IMG "s2.qcow2", IMG "s1.qcow2", IMG "base.qcow2", NULL);
    p = st_snapplan_revert(h, d, "s2", 0, 0, NULL);
    ck_assert(!p->refused);
    ck_assert_str_eq(p->req.diskspecs[0].base, IMG "s1.qcow2");
    st_snapplan_free(p);
    p = st_snapplan_delete(h, d, "s2", 0);
    ck_assert(has_hazard(p, ST_HAZ_REFUSE, "not in the disk's chain"));
    st_snapplan_free(p);
    p = st_snapplan_remove_files(h, "vm", &d->branches[0].chain[1], 1);
    ck_assert(has_hazard(p, ST_HAZ_REFUSE, "still named by vm"));
    st_snapplan_free(p);
    st_host *hs[1] = {h};
    st_model_mark_shared(hs, 1);
    ck_assert_uint_eq(k->chain[1].n_shared, 1);
    ck_assert_ptr_nonnull(strstr(k->chain[1].shared_with[0], "detached branch s2.qcow2"));
    st_host_free(h);
}
END_TEST

START_TEST(revert_external_refusals)
{
    st_host *h = host_new(true, 9000000);
    st_domain *d = chain_domain(h, ST_DOM_RUNNING);
    st_snapplan *p = st_snapplan_revert(h, d, "s1", 0, 0, NULL);
    ck_assert(has_hazard(p, ST_HAZ_REFUSE, "libvirt 9.0.0 cannot revert to an external snapshot"));
    ck_assert(has_hazard(p, ST_HAZ_REFUSE, "9.9.0"));
    ck_assert(has_hazard(p, ST_HAZ_REFUSE, "shut it off first"));
    st_snapplan_free(p);
    d->state = ST_DOM_SHUTOFF;
    h->local = false;
    p = st_snapplan_revert(h, d, "s1", 0, 0, NULL);
    ck_assert(has_hazard(p, ST_HAZ_REFUSE, "remote host"));
    st_snapplan_free(p);
    h->local = true;
    /* A managed save image would bring the old overlay back on the next start. */
    d->managed_save = true;
    p = st_snapplan_revert(h, d, "s1", 0, 0, NULL);
    ck_assert(p->refused);
    ck_assert(!p->branching);
    ck_assert_uint_eq(p->req.n_diskspecs, 0);
    ck_assert(has_hazard(p, ST_HAZ_REFUSE, "remove the managed save first"));
    st_snapplan_free(p);
    d->managed_save = false;
    d->snaps[0].memory = true;
    p = st_snapplan_revert(h, d, "s1", 0, 0, NULL);
    ck_assert(has_hazard(p, ST_HAZ_REFUSE, "memory state"));
    st_snapplan_free(p);
    st_host_free(h);
}
END_TEST

START_TEST(revert_internal)
{
    st_host *h = host_new(true, 9000000);
    st_domain *d = add_dom(h, "vm", ST_DOM_RUNNING);
    add_disk(d, "vda", "qcow2", IMG "vm.qcow2", NULL);
    st_snapshot *s = add_snap(d, "i1", NULL, false);
    snap_disk(s, "vda", "internal", NULL, IMG "vm.qcow2");
    st_snapplan *p = st_snapplan_revert(h, d, "i1", ST_F_PAUSED | ST_F_FORCE, 0, NULL);
    ck_assert(!p->refused);
    ck_assert(has_line(p->calls, p->n_calls, "virDomainRevertToSnapshot(i1, PAUSED | FORCE)"));
    ck_assert(has_hazard(p, ST_HAZ_WARN, "FORCE"));
    ck_assert(has_line(p->lost, p->n_lost, "memory and device state"));
    ck_assert(!has_hazard(p, ST_HAZ_WARN, "managed save image"));
    st_snapplan_free(p);
    /* A snapshot without memory and a managed save image: FORCE keeps the stale image. */
    d->state = ST_DOM_SHUTOFF;
    d->managed_save = true;
    p = st_snapplan_revert(h, d, "i1", 0, 0, NULL);
    ck_assert(!p->refused);
    ck_assert(has_hazard(p, ST_HAZ_WARN, "vm has a managed save image: libvirt refuses"));
    st_snapplan_free(p);
    free(s->state);
    s->state = xstrdup("running");
    p = st_snapplan_revert(h, d, "i1", 0, 0, NULL);
    ck_assert(!has_hazard(p, ST_HAZ_WARN, "managed save image"));
    st_snapplan_free(p);
    d->managed_save = false;
    d->state = ST_DOM_RUNNING;
    /* The disk moved onto an overlay since: libvirt (9.0 and 11.3) reverts the definition to the
     * snapshot's image and leaves the overlay, but deletes it only from a shut-off domain. */
    free(d->disks[0].source);
    d->disks[0].source = xstrdup(IMG "vm_e.qcow2");
    p = st_snapplan_revert(h, d, "i1", 0, 0, NULL);
    ck_assert(!p->refused);
    ck_assert(has_line(p->steps, p->n_steps,
                       "vda: goes back to " IMG "vm.qcow2, which holds the snapshot; " IMG
                       "vm_e.qcow2, where it writes now, stays with its data, shown as a "
                       "detached branch"));
    st_snapplan_free(p);
    p = st_snapplan_delete(h, d, "i1", 0);
    ck_assert(has_hazard(p, ST_HAZ_REFUSE, "deletes it only while the domain is shut off"));
    st_snapplan_free(p);
    d->state = ST_DOM_SHUTOFF;
    p = st_snapplan_delete(h, d, "i1", 0);
    ck_assert(!p->refused);
    st_snapplan_free(p);
    d->state = ST_DOM_RUNNING;
    p = st_snapplan_delete(h, d, "i1", ST_F_METADATA_ONLY);
    ck_assert(!p->refused);
    ck_assert(has_hazard(p, ST_HAZ_WARN, "qemu-img snapshot -d"));
    st_snapplan_free(p);
    st_host_free(h);
}
END_TEST

/* ---- delete ---- */

/* Internal snapshots go with their children, or the children alone. */
START_TEST(delete_internal_children)
{
    st_host *h = host_new(true, 9000000);
    st_domain *d = add_dom(h, "vm", ST_DOM_RUNNING);
    add_disk(d, "vda", "qcow2", IMG "vm.qcow2", NULL);
    const char *names[] = {"i1", "i2", "i3"};
    for (size_t i = 0; i < 3; i++) {
        st_snapshot *s = add_snap(d, names[i], i ? names[i - 1] : NULL, false);
        snap_disk(s, "vda", "internal", NULL, IMG "vm.qcow2");
    }
    st_snapplan *p = st_snapplan_delete(h, d, "i1", ST_F_CHILDREN);
    ck_assert(!p->refused);
    ck_assert(has_line(p->lost, p->n_lost, "3 snapshots"));
    st_snapplan_free(p);
    p = st_snapplan_delete(h, d, "i1", ST_F_CHILDREN_ONLY);
    ck_assert(!p->refused);
    ck_assert(has_line(p->lost, p->n_lost, "2 snapshots"));
    st_snapplan_free(p);
    /* An external root of children-only stays: only its (internal) children go. */
    d->snaps[0].external = true;
    free(d->snaps[0].disks[0].snapshot);
    d->snaps[0].disks[0].snapshot = xstrdup("external");
    p = st_snapplan_delete(h, d, "i1", ST_F_CHILDREN_ONLY);
    ck_assert(!p->refused);
    st_snapplan_free(p);
    p = st_snapplan_delete(h, d, "i1", ST_F_CHILDREN);
    ck_assert(has_hazard(p, ST_HAZ_REFUSE, "i1 is external"));
    st_snapplan_free(p);
    st_host_free(h);
}
END_TEST

START_TEST(delete_rules)
{
    st_host *h = host_new(true, 9000000);
    st_domain *d = chain_domain(h, ST_DOM_SHUTOFF);
    st_snapplan *p = st_snapplan_delete(h, d, "s1", 0);
    ck_assert(has_hazard(p, ST_HAZ_REFUSE, "with children and vm is shut off: libvirt 9.0.0"));
    st_snapplan_free(p);
    p = st_snapplan_delete(h, d, "s2", 0);
    ck_assert(!p->refused);
    ck_assert(has_line(p->steps, p->n_steps, "runs QEMU paused"));
    st_snapplan_free(p);
    d->state = ST_DOM_RUNNING;
    d->snaps[1].memory = true;
    d->snaps[1].memory_file = xstrdup(IMG "vm_s2.mem");
    /* libvirt 9.0 refuses to delete external snapshots together with their children. */
    p = st_snapplan_delete(h, d, "s1", ST_F_CHILDREN);
    ck_assert(p->refused);
    ck_assert(has_hazard(p, ST_HAZ_REFUSE, "s1 is external: libvirt 9.0.0 deletes external"));
    ck_assert(has_hazard(p, ST_HAZ_REFUSE, "choose metadata only"));
    st_snapplan_free(p);
    p = st_snapplan_delete(h, d, "s1", ST_F_CHILDREN_ONLY);
    ck_assert(has_hazard(p, ST_HAZ_REFUSE, "s2 is external"));
    st_snapplan_free(p);
    p = st_snapplan_delete(h, d, "s2", ST_F_CHILDREN);
    ck_assert(has_hazard(p, ST_HAZ_REFUSE, "s2 is external"));
    st_snapplan_free(p);
    p = st_snapplan_delete(h, d, "s1", ST_F_CHILDREN | ST_F_METADATA_ONLY);
    ck_assert(!p->refused);
    ck_assert_uint_eq(p->n_left_files, 1);
    ck_assert_str_eq(p->left_files[0], IMG "vm_s2.mem");
    ck_assert(
        has_line(p->calls, p->n_calls, "virDomainSnapshotDelete(s1, CHILDREN | METADATA_ONLY)"));
    ck_assert(has_line(p->lost, p->n_lost, "2 snapshots"));
    st_snapplan_free(p);
    /* One at a time works on a running domain, even for a snapshot with children. */
    st_layer *s1 = &d->disks[0].chain[1];
    s1->allocation = 3 << 20;
    s1->merge_known = true;
    s1->merge_grows = 1 << 20;
    p = st_snapplan_delete(h, d, "s1", 0);
    ck_assert(!p->refused);
    ck_assert(has_line(p->steps, p->n_steps, "block job"));
    /* What the merge frees and adds, from the figures discovery read. */
    ck_assert(has_line(p->steps, p->n_steps,
                       "vda: space: merging s1.qcow2 into base.qcow2: frees 3.00 MiB, base.qcow2 "
                       "grows by 1.00 MiB, net 2.00 MiB freed"));
    /* The disks merged by block jobs, one progress bar each. */
    ck_assert_uint_eq(p->n_merges, 1);
    ck_assert_str_eq(p->merges[0].target, "vda");
    ck_assert_str_eq(p->merges[0].file, IMG "s1.qcow2");
    st_snapplan_free(p);
    p = st_snapplan_delete(h, d, "s1", ST_F_METADATA_ONLY);
    ck_assert_uint_eq(p->n_merges, 0);
    st_snapplan_free(p);
    p = st_snapplan_delete(h, d, "s2", ST_F_CHILDREN_ONLY);
    ck_assert(has_hazard(p, ST_HAZ_REFUSE, "has no children"));
    st_snapplan_free(p);
    /* An external snapshot whose parent is internal. */
    free(d->snaps[1].parent);
    d->snaps[1].parent = xstrdup("i");
    add_snap(d, "i", NULL, false);
    p = st_snapplan_delete(h, d, "s2", 0);
    ck_assert(has_hazard(p, ST_HAZ_REFUSE, "its parent i is internal"));
    st_snapplan_free(p);
    h->libvirt_ver = 8000000;
    p = st_snapplan_delete(h, d, "s1", 0);
    ck_assert(has_hazard(p, ST_HAZ_REFUSE, "cannot delete external snapshots"));
    st_snapplan_free(p);
    st_host_free(h);
}
END_TEST

/* ---- save, restore, managed save ---- */

START_TEST(save_restore_plans)
{
    st_host *h = host_new(true, 9000000);
    st_domain *d = add_dom(h, "vm", ST_DOM_RUNNING);
    add_disk(d, "vda", "qcow2", IMG "vm.qcow2", NULL);
    st_snapplan *p = st_snapplan_save(h, d, IMG "vm.save", ST_F_PAUSED, NULL, NULL);
    ck_assert(!p->refused);
    ck_assert(
        has_line(p->calls, p->n_calls, "virDomainSaveFlags(vm, " IMG "vm.save, NULL, PAUSED)"));
    st_snapplan_free(p);
    p = st_snapplan_save(h, d, IMG "vm.save", 0, exists_named, IMG "vm.save");
    ck_assert(has_hazard(p, ST_HAZ_REFUSE, "already exists"));
    st_snapplan_free(p);
    p = st_snapplan_restore(h, IMG "vm.save", "vm", true, NULL, 0, NULL, NULL);
    ck_assert(has_hazard(p, ST_HAZ_REFUSE, "vm is running"));
    ck_assert(has_hazard(p, ST_HAZ_WARN, "restored before"));
    st_snapplan_free(p);
    d->state = ST_DOM_SHUTOFF;
    p = st_snapplan_save(h, d, IMG "x.save", 0, NULL, NULL);
    ck_assert(has_hazard(p, ST_HAZ_REFUSE, "not running"));
    st_snapplan_free(p);
    p = st_snapplan_restore(h, "relative.save", NULL, false, NULL, 0, NULL, NULL);
    ck_assert(has_hazard(p, ST_HAZ_REFUSE, "absolute path"));
    st_snapplan_free(p);
    /* The file was saved on the image the disk used then; a snapshot moved the disk since. */
    st_saved_disk sd = {"vda", IMG "vm.qcow2"};
    st_facts saved = {.saved_domain = "vm", .saved_disks = &sd, .n_saved_disks = 1};
    p = st_snapplan_restore(h, IMG "vm.save", "vm", false, &saved, 0, NULL, NULL);
    ck_assert(!p->refused);
    ck_assert(!has_hazard(p, ST_HAZ_WARN, "was saved on"));
    st_snapplan_free(p);
    free(d->disks[0].source);
    d->disks[0].source = xstrdup(IMG "vm_s1.branch.qcow2");
    p = st_snapplan_restore(h, IMG "vm.save", "vm", false, &saved, 0, NULL, NULL);
    ck_assert(!p->refused);
    ck_assert(has_hazard(p, ST_HAZ_WARN,
                         "vda was saved on " IMG "vm.qcow2, but the domain now names " IMG
                         "vm_s1.branch.qcow2"));
    st_snapplan_free(p);
    p = st_snapplan_managedsave_remove(h, d);
    ck_assert(has_hazard(p, ST_HAZ_REFUSE, "no managed save image"));
    st_snapplan_free(p);
    d->managed_save = true;
    p = st_snapplan_managedsave_remove(h, d);
    ck_assert(!p->refused);
    ck_assert(has_line(p->lost, p->n_lost, "saved memory"));
    st_snapplan_free(p);
    st_host_free(h);
}
END_TEST

START_TEST(savelist_add_load_mark)
{
    char dir[] = "/tmp/vst-savelist.XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    setenv("XDG_STATE_HOME", dir, 1);
    ck_assert_int_eq(st_savelist_add("/a.save", "vm1", 10), 0);
    ck_assert_int_eq(st_savelist_add("/b.save", "vm2", 20), 0);
    ck_assert_int_eq(st_savelist_add("/a.save", "vm1", 30), 0); /* replaces, moves to the end */
    ck_assert_int_eq(st_savelist_add("/bad\tpath", "vm", 40), -1);
    ck_assert_int_eq(st_savelist_mark_restored("/b.save"), 0);
    st_saved *v;
    size_t n = st_savelist_load(&v);
    ck_assert_uint_eq(n, 2);
    ck_assert_str_eq(v[0].path, "/a.save"); /* newest first */
    ck_assert_int_eq(v[0].saved, 30);
    ck_assert(!v[0].restored);
    ck_assert_str_eq(v[1].path, "/b.save");
    ck_assert_str_eq(v[1].domain, "vm2");
    ck_assert(v[1].restored);
    st_savelist_free(v, n);
    char *f = st_savelist_file();
    unlink(f);
    free(f);
    char *sub = xasprintf("%s/virt-snaptree", dir);
    rmdir(sub);
    free(sub);
    rmdir(dir);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("snapplan");
    TCase *tc = tcase_create("snapplan");
    tcase_add_test(tc, xml_escapes_and_round_trips);
    tcase_add_test(tc, xml_memory_and_internal);
    tcase_add_test(tc, xml_refuses_bad_input);
    tcase_add_test(tc, branch_record_round_trips);
    tcase_add_test(tc, default_names);
    tcase_add_test(tc, default_diskspecs);
    tcase_add_test(tc, create_refusals);
    tcase_add_test(tc, create_flags_shown_are_used);
    tcase_add_test(tc, create_disk_kinds);
    tcase_add_test(tc, create_network_disk);
    tcase_add_test(tc, where_the_domain_is_now);
    tcase_add_test(tc, where_the_domain_is_now_external);
    tcase_add_test(tc, kinds_the_state_allows);
    tcase_add_test(tc, create_mixing_warns);
    tcase_add_test(tc, revert_external_by_branching);
    tcase_add_test(tc, revert_external_refusals);
    tcase_add_test(tc, revert_internal);
    tcase_add_test(tc, delete_internal_children);
    tcase_add_test(tc, delete_rules);
    tcase_add_test(tc, save_restore_plans);
    tcase_add_test(tc, savelist_add_load_mark);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return st_run_suite(suite());
}
