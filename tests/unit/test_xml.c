/* Unit tests for src/backend/xmlutil.c: fixtures in tests/unit/data/xml were dumped from
 * libvirt 9.0. */
#include "config.h"

#include <check.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backend/xmlutil.h"
#include "base/util.h"
#include "core/model.h"
#include "fixture.h"
#include "tap.h"

#define IMG "/var/lib/libvirt/images/"

/* An XML fixture of tests/unit/data/xml. */
static char *read_fixture(const char *name)
{
    char *rel = xasprintf("xml/%s", name);
    char *r = read_fixture_at(rel);
    free(rel);
    return r;
}

static void parse_domain_fixture(const char *name, st_domain *d)
{
    char *xml = read_fixture(name), *err = NULL;
    memset(d, 0, sizeof(*d));
    ck_assert_int_eq(st_xml_parse_domain(xml, d, &err), 0);
    ck_assert_ptr_null(err);
    free(xml);
}

static void parse_snapshot_fixture(const char *name, st_snapshot *s)
{
    char *xml = read_fixture(name), *err = NULL;
    memset(s, 0, sizeof(*s));
    ck_assert_int_eq(st_xml_parse_snapshot(xml, s, &err), 0);
    ck_assert_ptr_null(err);
    free(xml);
}

static void check_layer(const st_layer *l, const char *path, const char *format, int index)
{
    ck_assert_str_eq(l->path, path);
    if (format)
        ck_assert_str_eq(l->format, format);
    else
        ck_assert_ptr_null(l->format);
    ck_assert_int_eq(l->backing_index, index);
    ck_assert_ptr_null(l->backing_name);
    ck_assert_ptr_null(l->broken);
    ck_assert_uint_eq(l->n_shared, 0);
}

/* ---- domains ---------------------------------------------------------------------------- */

START_TEST(domain_running_chain)
{
    st_domain d;
    parse_domain_fixture("domain_running.xml", &d);
    ck_assert_str_eq(d.name, "stxml-test");
    ck_assert_str_eq(d.uuid, "aae6c721-4e16-4745-8d20-c4510bd6f157");
    ck_assert_int_eq(d.id, 1);
    ck_assert(d.has_agent);
    ck_assert(!d.agent_connected); /* state='disconnected': no agent answers */
    ck_assert_uint_eq(d.n_disks, 3);

    const st_disk *vda = &d.disks[0];
    ck_assert_str_eq(vda->target, "vda");
    ck_assert_str_eq(vda->bus, "virtio");
    ck_assert_str_eq(vda->device, "disk");
    ck_assert_str_eq(vda->type, "file");
    ck_assert_str_eq(vda->format, "qcow2");
    ck_assert_str_eq(vda->source, IMG "top.s2.qcow2");
    ck_assert(!vda->readonly);
    ck_assert_ptr_null(vda->chain_unknown);
    ck_assert_uint_eq(vda->n_chain, 5);
    check_layer(&vda->chain[0], IMG "top.s2.qcow2", "qcow2", 8);
    check_layer(&vda->chain[1], IMG "top.s1.qcow2", "qcow2", 6);
    check_layer(&vda->chain[2], IMG "top.qcow2", "qcow2", 3);
    check_layer(&vda->chain[3], IMG "mid.qcow2", "qcow2", 4);
    check_layer(&vda->chain[4], IMG "base.qcow2", "qcow2", 5);

    const st_disk *vdb = &d.disks[1];
    ck_assert_str_eq(vdb->target, "vdb");
    ck_assert_uint_eq(vdb->n_chain, 3);
    check_layer(&vdb->chain[0], IMG "data.s2.qcow2", "qcow2", 9);
    check_layer(&vdb->chain[1], IMG "data.s1.qcow2", "qcow2", 7);
    check_layer(&vdb->chain[2], IMG "data.qcow2", "qcow2", 2);

    const st_disk *sda = &d.disks[2];
    ck_assert_str_eq(sda->target, "sda");
    ck_assert_str_eq(sda->bus, "sata");
    ck_assert_str_eq(sda->device, "cdrom");
    ck_assert_str_eq(sda->type, "file");
    ck_assert_str_eq(sda->format, "raw");
    ck_assert(sda->readonly);
    ck_assert_ptr_null(sda->source);
    ck_assert_uint_eq(sda->n_chain, 0);
    st_domain_clear(&d);
}
END_TEST

/* A ready active commit, as libvirt 9.0 showed it: <mirror> names the base being written. */
START_TEST(domain_mirror)
{
    st_domain d;
    parse_domain_fixture("domain_mirror.xml", &d);
    ck_assert_uint_eq(d.n_disks, 2);
    ck_assert_uint_eq(d.disks[0].n_chain, 3);
    ck_assert_str_eq(d.disks[0].mirror, "/tmp/lab.m8gNry/img/mid.qcow2");
    ck_assert_ptr_null(d.disks[1].mirror);
    st_domain_clear(&d);
}
END_TEST

/* libvirt 9.0 kept a partial chain in the inactive XML after external snapshots. */
START_TEST(domain_inactive_partial_chain)
{
    st_domain d;
    parse_domain_fixture("domain_inactive.xml", &d);
    ck_assert_int_eq(d.id, -1);
    ck_assert(d.has_agent);
    ck_assert_uint_eq(d.n_disks, 3);
    ck_assert_uint_eq(d.disks[0].n_chain, 3);
    check_layer(&d.disks[0].chain[0], IMG "top.s2.qcow2", "qcow2", -1);
    check_layer(&d.disks[0].chain[1], IMG "top.s1.qcow2", "qcow2", -1);
    check_layer(&d.disks[0].chain[2], IMG "top.qcow2", "qcow2", -1);
    ck_assert_uint_eq(d.disks[1].n_chain, 3);
    ck_assert_uint_eq(d.disks[2].n_chain, 0);
    st_domain_clear(&d);
}
END_TEST

START_TEST(domain_disk_kinds)
{
    st_domain d;
    parse_domain_fixture("domain_misc.xml", &d);
    ck_assert_str_eq(d.name, "misc");
    ck_assert_str_eq(d.uuid, "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0");
    ck_assert_int_eq(d.id, -1);
    ck_assert(!d.has_agent); /* a pty channel and a unix one with another name */
    ck_assert_uint_eq(d.n_disks, 11);

    const st_disk *k = st_domain_find_disk(&d, "vda");
    ck_assert_str_eq(k->type, "block");
    ck_assert_str_eq(k->source, "/dev/vg0/misc-root");
    ck_assert_uint_eq(k->n_chain, 1);
    check_layer(&k->chain[0], "/dev/vg0/misc-root", "raw", -1);

    k = st_domain_find_disk(&d, "vdb");
    ck_assert_str_eq(k->type, "network");
    ck_assert_str_eq(k->source, "rbd:pool/image");
    ck_assert_uint_eq(k->n_chain, 1);

    k = st_domain_find_disk(&d, "vdc");
    ck_assert_str_eq(k->source, "nbd://nbd.example.com:10809");

    k = st_domain_find_disk(&d, "vdd");
    ck_assert_str_eq(k->type, "volume");
    ck_assert_str_eq(k->pool, "default");
    ck_assert_str_eq(k->volume, "misc-data.qcow2");
    ck_assert_ptr_null(k->source);
    ck_assert_uint_eq(k->n_chain, 0);

    k = st_domain_find_disk(&d, "sda");
    ck_assert_str_eq(k->device, "cdrom");
    ck_assert(k->readonly);
    ck_assert_ptr_null(k->source);
    ck_assert_uint_eq(k->n_chain, 0);
    ck_assert_ptr_null(k->pool);

    k = st_domain_find_disk(&d, "vde"); /* no attributes at all: libvirt's defaults */
    ck_assert_str_eq(k->type, "file");
    ck_assert_str_eq(k->device, "disk");
    ck_assert_ptr_null(k->format);
    ck_assert_ptr_null(k->bus);
    ck_assert(!k->readonly);
    ck_assert_uint_eq(k->n_chain, 1);
    check_layer(&k->chain[0], IMG "defaults.img", NULL, 1);

    k = st_domain_find_disk(&d, "vdf");
    ck_assert_uint_eq(k->n_chain, 3);
    check_layer(&k->chain[0], IMG "over.qcow2", "qcow2", 7);
    check_layer(&k->chain[1], "/dev/vg0/mid", "qcow2", 6);
    check_layer(&k->chain[2], "nbd://nbd.example.com/base-export", "raw", 5);

    k = st_domain_find_disk(&d, "vdg"); /* a <backingStore> without <source> ends the chain */
    ck_assert_uint_eq(k->n_chain, 1);

    k = st_domain_find_disk(&d, "vdh"); /* indexes that are no ints become -1 */
    ck_assert_uint_eq(k->n_chain, 2);
    check_layer(&k->chain[0], IMG "badidx.qcow2", "qcow2", -1);
    check_layer(&k->chain[1], IMG "noformat.qcow2", NULL, -1);

    /* NBD over a Unix socket (qemu-nbd on the host), as a backing layer and as a disk. */
    k = st_domain_find_disk(&d, "vdi");
    ck_assert_uint_eq(k->n_chain, 2);
    check_layer(&k->chain[1], "nbd+unix:///?socket=/run/nbd/base.sock", "raw", 2);
    k = st_domain_find_disk(&d, "vdj");
    ck_assert_str_eq(k->source, "nbd+unix:///exp?socket=/run/nbd/exp.sock");
    st_domain_clear(&d);
}
END_TEST

START_TEST(domain_bad_uuid_and_id)
{
    st_domain d;
    parse_domain_fixture("domain_baduuid.xml", &d);
    ck_assert_str_eq(d.name, "bad-uuid");
    ck_assert_str_eq(d.uuid, "");
    ck_assert_int_eq(d.id, -1);
    ck_assert_uint_eq(d.n_disks, 0);
    ck_assert_ptr_null(d.disks);

    static const char *const bad[] = {
        "<domain><uuid>0f1e2d3c4b5a69788796a5b4c3d2e1f0</uuid></domain>",
        "<domain><uuid>0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1fg</uuid></domain>",
        "<domain><uuid>0f1e2d3c-4b5a-6978-8796_a5b4c3d2e1f0</uuid></domain>",
        "<domain><uuid>0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f</uuid></domain>",
        "<domain id='-1'><uuid></uuid></domain>",
        "<domain id=' 7'/>",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ck_assert_int_eq(st_xml_parse_domain(bad[i], &d, NULL), 0);
        ck_assert_msg(d.uuid[0] == '\0', "uuid accepted from %s", bad[i]);
        ck_assert_int_eq(d.id, -1);
    }
    ck_assert_int_eq(st_xml_parse_domain("<domain id='0'><uuid>\n  0F1E2D3C-4B5A-6978-8796-"
                                         "A5B4C3D2E1F0 </uuid></domain>",
                                         &d, NULL),
                     0);
    ck_assert_str_eq(d.uuid, "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0");
    ck_assert_int_eq(d.id, 0);
    ck_assert_ptr_null(d.name);
    st_domain_clear(&d);
}
END_TEST

START_TEST(domain_special_characters)
{
    st_domain d;
    parse_domain_fixture("domain_special.xml", &d);
    ck_assert_str_eq(d.name, "vm <&\"' 测试");
    ck_assert_uint_eq(d.n_disks, 1);
    ck_assert_str_eq(d.disks[0].source, IMG "a&b \"中\".qcow2");
    ck_assert_str_eq(d.disks[0].chain[0].path, IMG "a&b \"中\".qcow2");
    st_domain_clear(&d);
}
END_TEST

/* Parsing into a filled struct replaces its contents (valgrind checks nothing leaks). */
START_TEST(domain_reparse_replaces)
{
    st_domain d;
    parse_domain_fixture("domain_running.xml", &d);
    char *xml = read_fixture("domain_special.xml");
    ck_assert_int_eq(st_xml_parse_domain(xml, &d, NULL), 0);
    ck_assert_str_eq(d.name, "vm <&\"' 测试");
    ck_assert_int_eq(d.id, -1);
    ck_assert(!d.has_agent);
    ck_assert_uint_eq(d.n_disks, 1);
    free(xml);
    st_domain_clear(&d);
}
END_TEST

/* Quiesce needs an agent that answers: only the live XML's state='connected' says so. */
START_TEST(domain_agent_connected)
{
    const char *xml = "<domain type='kvm' id='3'><name>a</name><devices>"
                      "<channel type='unix'><target type='virtio' "
                      "name='org.qemu.guest_agent.0' state='connected'/></channel>"
                      "</devices></domain>";
    st_domain d = {0};
    ck_assert_int_eq(st_xml_parse_domain(xml, &d, NULL), 0);
    ck_assert(d.has_agent);
    ck_assert(d.agent_connected);
    st_domain_clear(&d);
}
END_TEST

START_TEST(domain_firmware)
{
    const char *xml = "<domain type='kvm'><name>u</name><os><type>hvm</type>"
                      "<loader readonly='yes' type='pflash' format='raw'>/c.fd</loader>"
                      "<nvram format='qcow2'>/v.qcow2</nvram></os></domain>";
    st_domain d = {0};
    ck_assert_int_eq(st_xml_parse_domain(xml, &d, NULL), 0);
    ck_assert(d.pflash);
    ck_assert_str_eq(d.nvram_format, "qcow2");
    /* libvirt 9.0 writes no format: the planner reads that as raw. */
    ck_assert_int_eq(st_xml_parse_domain("<domain><name>v</name><os><loader type='pflash'>/c.fd"
                                         "</loader><nvram>/v.fd</nvram></os></domain>",
                                         &d, NULL),
                     0);
    ck_assert(d.pflash);
    ck_assert_ptr_null(d.nvram_format);
    ck_assert_int_eq(st_xml_parse_domain("<domain><name>b</name><os><loader type='rom'>/b"
                                         "</loader></os></domain>",
                                         &d, NULL),
                     0);
    ck_assert(!d.pflash);
    st_domain_clear(&d);
}
END_TEST

START_TEST(domain_without_devices)
{
    st_domain d = {0};
    ck_assert_int_eq(st_xml_parse_domain("<domain type='kvm'><name>x</name></domain>", &d, NULL),
                     0);
    ck_assert_str_eq(d.name, "x");
    ck_assert_uint_eq(d.n_disks, 0);
    ck_assert(!d.has_agent);
    st_domain_clear(&d);
}
END_TEST

/* ---- failures --------------------------------------------------------------------------- */

static void expect_domain_failure(const char *xml, const char *err_part)
{
    st_domain d;
    parse_domain_fixture("domain_running.xml", &d); /* must come back empty */
    char *err = NULL;
    ck_assert_int_eq(st_xml_parse_domain(xml, &d, &err), -1);
    ck_assert_ptr_nonnull(err);
    ck_assert_msg(strstr(err, err_part) != NULL, "error '%s' lacks '%s'", err, err_part);
    ck_assert_ptr_null(d.name);
    ck_assert_uint_eq(d.n_disks, 0);
    ck_assert_int_eq(d.id, -1);
    free(err);
    st_domain_clear(&d);
}

START_TEST(malformed_fails_cleanly)
{
    char *xml = read_fixture("malformed.xml");
    expect_domain_failure(xml, "XML error at line ");

    st_snapshot s = {0};
    char *err = NULL;
    ck_assert_int_eq(st_xml_parse_snapshot(xml, &s, &err), -1);
    ck_assert_ptr_nonnull(err);
    free(err);
    err = NULL;
    bool ext = true;
    ck_assert_int_eq(st_xml_parse_caps(xml, &ext, &err), -1);
    ck_assert(!ext);
    free(err);
    err = NULL;
    st_volinfo v = {0};
    ck_assert_int_eq(st_xml_parse_volume(xml, &v, &err), -1);
    free(err);
    err = NULL;
    char *path = NULL;
    ck_assert_int_eq(st_xml_parse_pool_path(xml, &path, &err), -1);
    ck_assert_ptr_null(path);
    free(err);
    err = NULL;
    ck_assert_ptr_null(st_xml_set_disk_source(xml, "vda", "/x", "qcow2", &err));
    ck_assert_ptr_nonnull(err);
    free(err);
    /* A NULL err is allowed. */
    ck_assert_int_eq(st_xml_parse_snapshot(xml, &s, NULL), -1);
    free(xml);
}
END_TEST

START_TEST(empty_and_null_fail)
{
    expect_domain_failure("", "XML");
    expect_domain_failure("   \n", "XML");
    expect_domain_failure("<domain", "XML");
    expect_domain_failure("<domain>&undefined;</domain>", "XML");
    expect_domain_failure("<domain/><domain/>", "XML");
    expect_domain_failure(NULL, "XML");
}
END_TEST

START_TEST(wrong_root_fails)
{
    char *snap = read_fixture("snapshot_ext_disk.xml");
    expect_domain_failure(snap, "<domainsnapshot>");
    char *dom = read_fixture("domain_running.xml"), *err = NULL;
    st_snapshot s = {0};
    ck_assert_int_eq(st_xml_parse_snapshot(dom, &s, &err), -1);
    ck_assert_str_eq(err, "expected <domainsnapshot> XML, found <domain>");
    free(err);
    free(snap);
    free(dom);
}
END_TEST

/* No DTD is read: no entity expansion, no external entity. */
START_TEST(doctype_refused)
{
    char *xml = read_fixture("doctype.xml");
    expect_domain_failure(xml, "DOCTYPE");
    expect_domain_failure("<!DOCTYPE domain><domain/>", "DOCTYPE");
    char *err = NULL;
    st_snapshot s = {0};
    ck_assert_int_eq(st_xml_parse_snapshot("<!DOCTYPE x SYSTEM 'http://example.com/x.dtd'>"
                                           "<domainsnapshot/>",
                                           &s, &err),
                     -1);
    ck_assert_ptr_nonnull(strstr(err, "DOCTYPE"));
    free(err);
    free(xml);
}
END_TEST

START_TEST(oversized_refused)
{
    size_t n = ((size_t)16 << 20) + 64;
    char *xml = xmalloc(n + 1);
    static const char head[] = "<domain><name>big</name><!--", tail[] = "--></domain>";
    memcpy(xml, head, sizeof(head) - 1);
    memset(xml + sizeof(head) - 1, 'x', n - (sizeof(head) - 1) - (sizeof(tail) - 1));
    memcpy(xml + n - (sizeof(tail) - 1), tail, sizeof(tail));
    expect_domain_failure(xml, "16 MiB");
    free(xml);
}
END_TEST

/* ---- snapshots -------------------------------------------------------------------------- */

static void check_snapdisk(const st_snapdisk *sd, const char *target, const char *kind,
                           const char *file)
{
    ck_assert_str_eq(sd->target, target);
    if (kind)
        ck_assert_str_eq(sd->snapshot, kind);
    else
        ck_assert_ptr_null(sd->snapshot);
    if (file)
        ck_assert_str_eq(sd->file, file);
    else
        ck_assert_ptr_null(sd->file);
}

START_TEST(snapshot_external_disk_only)
{
    st_snapshot s;
    parse_snapshot_fixture("snapshot_ext_disk.xml", &s);
    ck_assert_str_eq(s.name, "s1");
    ck_assert_str_eq(s.description, "first <ext> & \"q\" 快照");
    ck_assert_str_eq(s.state, "disk-snapshot");
    ck_assert_int_eq(s.creation_time, 1795633215LL);
    ck_assert_ptr_null(s.parent);
    ck_assert(!s.current);
    ck_assert(s.external);
    ck_assert(!s.memory);
    ck_assert_ptr_null(s.memory_file);
    /* The embedded <domain> and <inactiveDomain> hold more <disk>s: they must not count. */
    ck_assert_uint_eq(s.n_disks, 3);
    check_snapdisk(&s.disks[0], "vda", "external", IMG "top.s1.qcow2");
    check_snapdisk(&s.disks[1], "vdb", "external", IMG "data.s1.qcow2");
    check_snapdisk(&s.disks[2], "sda", "no", NULL);
    st_snapshot_clear(&s);
}
END_TEST

/* libvirt 11.3, after a revert to s1 while it had a child: the overlay the revert made. */
START_TEST(snapshot_revert_disks)
{
    st_snapshot s;
    parse_snapshot_fixture("snapshot_revert_disks.xml", &s);
    ck_assert(s.external);
    ck_assert_uint_eq(s.n_disks, 1);
    check_snapdisk(&s.disks[0], "vda", "external", IMG "s1.qcow2");
    ck_assert_str_eq(s.disks[0].image, IMG "base.qcow2");
    ck_assert_uint_eq(s.n_revert_disks, 1);
    check_snapdisk(&s.revert_disks[0], "vda", "external", IMG "base.1796669040");
    st_snapshot_clear(&s);
}
END_TEST

START_TEST(snapshot_external_memory)
{
    st_snapshot s;
    parse_snapshot_fixture("snapshot_ext_mem.xml", &s);
    ck_assert_str_eq(s.name, "s2");
    ck_assert_str_eq(s.parent, "s1");
    ck_assert_str_eq(s.state, "running");
    ck_assert_ptr_null(s.description);
    ck_assert(s.external);
    ck_assert(s.memory);
    ck_assert_str_eq(s.memory_file, IMG "s2.mem");
    ck_assert_uint_eq(s.n_disks, 3);
    check_snapdisk(&s.disks[0], "vda", "external", IMG "top.s2.qcow2");
    st_snapshot_clear(&s);
}
END_TEST

START_TEST(snapshot_internal_shutoff)
{
    st_snapshot s;
    parse_snapshot_fixture("snapshot_int_off.xml", &s);
    ck_assert_str_eq(s.name, "s3int");
    ck_assert_str_eq(s.description, "internal");
    ck_assert_str_eq(s.state, "shutoff");
    ck_assert_str_eq(s.parent, "s2");
    ck_assert(!s.external);
    ck_assert(!s.memory);
    ck_assert_uint_eq(s.n_disks, 3);
    check_snapdisk(&s.disks[0], "vda", "internal", NULL);
    check_snapdisk(&s.disks[1], "vdb", "internal", NULL);
    check_snapdisk(&s.disks[2], "sda", "no", NULL);
    st_snapshot_clear(&s);
}
END_TEST

START_TEST(snapshot_internal_running)
{
    st_snapshot s;
    parse_snapshot_fixture("snapshot_int_run.xml", &s);
    ck_assert_str_eq(s.name, "intrun");
    ck_assert_str_eq(s.state, "running");
    ck_assert_int_eq(s.creation_time, 1795633239LL);
    ck_assert(!s.external);
    ck_assert(s.memory);
    ck_assert_ptr_null(s.memory_file);
    ck_assert_uint_eq(s.n_disks, 1);
    check_snapdisk(&s.disks[0], "vda", "internal", NULL);
    st_snapshot_clear(&s);
}
END_TEST

START_TEST(snapshot_special_characters)
{
    st_snapshot s;
    parse_snapshot_fixture("snapshot_special.xml", &s);
    ck_assert_str_eq(s.name, "s <&\"' 快照");
    ck_assert_str_eq(s.description, "d <x> & \"q\" 'a' 中文");
    st_snapshot_clear(&s);
}
END_TEST

START_TEST(snapshot_defaults)
{
    st_snapshot s = {0};
    /* Old libvirt: no <memory>, a disk with a new file but no snapshot kind, junk time. */
    ck_assert_int_eq(st_xml_parse_snapshot("<domainsnapshot><name>old</name><state>paused</state>"
                                           "<creationTime>soon</creationTime><disks>"
                                           "<disk name='vda'><source file='/o.qcow2'/></disk>"
                                           "<disk name='vdb' snapshot='manual'/>"
                                           "<disk/></disks></domainsnapshot>",
                                           &s, NULL),
                     0);
    ck_assert_str_eq(s.name, "old");
    ck_assert(s.memory);
    ck_assert(s.external);
    ck_assert_int_eq(s.creation_time, 0);
    ck_assert_uint_eq(s.n_disks, 3);
    check_snapdisk(&s.disks[0], "vda", NULL, "/o.qcow2");
    check_snapdisk(&s.disks[1], "vdb", "manual", NULL);
    ck_assert_ptr_null(s.disks[2].target);

    ck_assert_int_eq(st_xml_parse_snapshot("<domainsnapshot><state>running</state>"
                                           "<memory snapshot='no'/><parent/></domainsnapshot>",
                                           &s, NULL),
                     0);
    ck_assert(!s.memory);
    ck_assert(!s.external);
    ck_assert_ptr_null(s.parent);
    ck_assert_ptr_null(s.name);
    ck_assert_uint_eq(s.n_disks, 0);

    ck_assert_int_eq(st_xml_parse_snapshot("<domainsnapshot><state>shutoff</state>"
                                           "<memory snapshot='internal'/></domainsnapshot>",
                                           &s, NULL),
                     0);
    ck_assert(!s.memory);
    st_snapshot_clear(&s);
}
END_TEST

/* ---- capabilities, volumes, pools -------------------------------------------------------- */

/* A running domain's XML on a host with SELinux (and a second driver): its image label. */
START_TEST(selinux_image_label)
{
    const char *xml =
        "<domain type='kvm' id='3'><name>vm</name>"
        "<seclabel type='dynamic' model='dac' relabel='yes'><label>+64055:+64055</label>"
        "<imagelabel>+64055:+64055</imagelabel></seclabel>"
        "<seclabel type='dynamic' model='selinux' relabel='yes'>"
        "<label>system_u:system_r:svirt_t:s0:c192,c392</label>"
        "<imagelabel>system_u:object_r:svirt_image_t:s0:c192,c392</imagelabel></seclabel>"
        "</domain>";
    char *l = st_xml_image_label(xml, "selinux");
    ck_assert_str_eq(l, "system_u:object_r:svirt_image_t:s0:c192,c392");
    free(l);
    ck_assert_ptr_null(st_xml_image_label(xml, "apparmor"));
    ck_assert_ptr_null(st_xml_image_label("<domain><name>x</name></domain>", "selinux"));
    ck_assert_ptr_null(st_xml_image_label("<domain", "selinux"));
}
END_TEST

START_TEST(caps_external_snapshot)
{
    char *xml = read_fixture("caps.xml"), *err = NULL;
    bool ext = true;
    ck_assert_int_eq(st_xml_parse_caps(xml, &ext, &err), 0);
    ck_assert(!ext); /* libvirt 9.0 */
    free(xml);
    xml = read_fixture("caps_external.xml");
    ck_assert_int_eq(st_xml_parse_caps(xml, &ext, &err), 0);
    ck_assert(ext);
    ck_assert_ptr_null(err);
    free(xml);
    ck_assert_int_eq(st_xml_parse_caps("<capabilities><host><x><y/><externalSnapshot/></x>"
                                       "</host></capabilities>",
                                       &ext, NULL),
                     0);
    ck_assert(ext);
    ck_assert_int_eq(st_xml_parse_caps("<capabilities><host/><guest><features><a/></features>"
                                       "</guest></capabilities>",
                                       &ext, NULL),
                     0);
    ck_assert(!ext);
    ck_assert_int_eq(st_xml_parse_caps("<domain><externalSnapshot/></domain>", &ext, &err), -1);
    ck_assert(!ext);
    free(err);
}
END_TEST

START_TEST(volume_with_backing)
{
    char *xml = read_fixture("volume.xml"), *err = NULL;
    st_volinfo v = {0};
    ck_assert_int_eq(st_xml_parse_volume(xml, &v, &err), 0);
    ck_assert_str_eq(v.path, IMG "mid.qcow2");
    ck_assert_str_eq(v.format, "qcow2");
    ck_assert_uint_eq(v.capacity, 67108864);
    ck_assert_uint_eq(v.allocation, 200704);
    ck_assert_uint_eq(v.physical, 196656);
    ck_assert_str_eq(v.backing_path, IMG "base.qcow2");
    ck_assert_str_eq(v.backing_format, "qcow2");
    free(xml);
    /* Parsing again replaces the old contents. */
    xml = read_fixture("volume_units.xml");
    ck_assert_int_eq(st_xml_parse_volume(xml, &v, &err), 0);
    ck_assert_str_eq(v.path, IMG "big.raw");
    ck_assert_str_eq(v.format, "raw");
    ck_assert_uint_eq(v.capacity, 20ULL << 30);
    ck_assert_uint_eq(v.allocation, 3000);
    ck_assert_uint_eq(v.physical, 0); /* none in the XML */
    ck_assert_ptr_null(v.backing_path);
    ck_assert_ptr_null(v.backing_format);
    free(xml);
    st_volinfo_clear(&v);
    ck_assert_ptr_null(v.path);
    st_volinfo_clear(&v); /* twice is fine */
}
END_TEST

static uint64_t capacity_of(const char *unit, const char *value)
{
    char *xml = xasprintf("<volume><capacity%s%s%s>%s</capacity></volume>", unit ? " unit='" : "",
                          unit ? unit : "", unit ? "'" : "", value);
    st_volinfo v = {0};
    ck_assert_int_eq(st_xml_parse_volume(xml, &v, NULL), 0);
    uint64_t r = v.capacity;
    st_volinfo_clear(&v);
    free(xml);
    return r;
}

START_TEST(volume_units)
{
    ck_assert_uint_eq(capacity_of(NULL, "512"), 512);
    ck_assert_uint_eq(capacity_of("bytes", "512"), 512);
    ck_assert_uint_eq(capacity_of("B", "512"), 512);
    ck_assert_uint_eq(capacity_of("k", "2"), 2048);
    ck_assert_uint_eq(capacity_of("KiB", "2"), 2048);
    ck_assert_uint_eq(capacity_of("KB", "2"), 2000);
    ck_assert_uint_eq(capacity_of("M", "1"), 1 << 20);
    ck_assert_uint_eq(capacity_of("MB", "1"), 1000000);
    ck_assert_uint_eq(capacity_of("G", "3"), 3ULL << 30);
    ck_assert_uint_eq(capacity_of("T", "1"), 1ULL << 40);
    ck_assert_uint_eq(capacity_of("PB", "1"), 1000000000000000ULL);
    ck_assert_uint_eq(capacity_of("EiB", "15"), 15ULL << 60);
    /* Not understood or out of range: unknown (0). */
    ck_assert_uint_eq(capacity_of("EiB", "16"), 0);
    ck_assert_uint_eq(capacity_of(NULL, "18446744073709551616"), 0);
    ck_assert_uint_eq(capacity_of(NULL, "18446744073709551615"), UINT64_MAX);
    ck_assert_uint_eq(capacity_of(NULL, "-1"), 0);
    ck_assert_uint_eq(capacity_of(NULL, "12abc"), 0);
    ck_assert_uint_eq(capacity_of(NULL, ""), 0);
    ck_assert_uint_eq(capacity_of("furlongs", "1"), 0);
    ck_assert_uint_eq(capacity_of("KiBB", "1"), 0);
    ck_assert_uint_eq(capacity_of("x", "1"), 0);
}
END_TEST

START_TEST(pool_path)
{
    char *xml = read_fixture("pool.xml"), *path = NULL, *err = NULL;
    ck_assert_int_eq(st_xml_parse_pool_path(xml, &path, &err), 0);
    ck_assert_str_eq(path, "/var/lib/libvirt/images");
    free(path);
    free(xml);
    xml = read_fixture("pool_rbd.xml");
    ck_assert_int_eq(st_xml_parse_pool_path(xml, &path, &err), 0);
    ck_assert_ptr_null(path);
    ck_assert_ptr_null(err);
    free(xml);
    xml = read_fixture("volume.xml");
    ck_assert_int_eq(st_xml_parse_pool_path(xml, &path, &err), -1);
    ck_assert_ptr_null(path);
    ck_assert_ptr_nonnull(err);
    free(err);
    free(xml);
}
END_TEST

/* ---- editing ---------------------------------------------------------------------------- */

/* Runs st_xml_set_disk_source and parses the result back. */
static char *set_and_reparse(const char *fixture_or_xml, bool is_fixture, const char *target,
                             const char *path, const char *format, st_domain *d)
{
    char *xml = is_fixture ? read_fixture(fixture_or_xml) : xstrdup(fixture_or_xml), *err = NULL;
    char *out = st_xml_set_disk_source(xml, target, path, format, &err);
    ck_assert_msg(out != NULL, "set_disk_source failed: %s", err ? err : "?");
    ck_assert_ptr_null(err);
    ck_assert_msg(strncmp(out, "<?xml", 5) != 0, "declaration in %s", out);
    memset(d, 0, sizeof(*d));
    ck_assert_int_eq(st_xml_parse_domain(out, d, &err), 0);
    free(xml);
    return out;
}

START_TEST(set_source_running_domain)
{
    st_domain d;
    char *out = set_and_reparse("domain_running.xml", true, "vda", IMG "merged.qcow2", "qcow2", &d);
    ck_assert_str_eq(d.name, "stxml-test");
    ck_assert_uint_eq(d.n_disks, 3);
    const st_disk *vda = &d.disks[0];
    ck_assert_str_eq(vda->target, "vda");
    ck_assert_str_eq(vda->type, "file");
    ck_assert_str_eq(vda->source, IMG "merged.qcow2");
    ck_assert_str_eq(vda->format, "qcow2");
    ck_assert_uint_eq(vda->n_chain, 1);
    check_layer(&vda->chain[0], IMG "merged.qcow2", "qcow2", -1);
    /* Other disks are untouched, driver name and the rest of the disk are kept. */
    ck_assert_uint_eq(d.disks[1].n_chain, 3);
    ck_assert_int_eq(d.disks[1].chain[0].backing_index, 9);
    ck_assert_ptr_null(strstr(out, "top.s2.qcow2"));
    ck_assert_ptr_null(strstr(out, "mid.qcow2"));
    ck_assert_ptr_nonnull(strstr(out, "data.s1.qcow2"));
    ck_assert_ptr_nonnull(strstr(out, "<driver name=\"qemu\" type=\"qcow2\"/>"));
    ck_assert_ptr_nonnull(strstr(out, "<alias name=\"virtio-disk0\"/>"));
    ck_assert_ptr_nonnull(strstr(out, "<seclabel type=\"dynamic\""));
    st_domain_clear(&d);
    free(out);
}
END_TEST

START_TEST(set_source_block_to_file_special_path)
{
    st_domain d;
    const char *path = IMG "a&b \"中\" <x> 'y'.qcow2";
    char *out = set_and_reparse("domain_misc.xml", true, "vda", path, "qcow2", &d);
    const st_disk *k = st_domain_find_disk(&d, "vda");
    ck_assert_str_eq(k->type, "file");
    ck_assert_str_eq(k->source, path);
    ck_assert_str_eq(k->format, "qcow2");
    ck_assert_ptr_null(strstr(out, "/dev/vg0/misc-root"));
    ck_assert_ptr_nonnull(strstr(out, "cache=\"none\""));
    ck_assert_ptr_nonnull(strstr(out, "中")); /* UTF-8, not a character reference */
    ck_assert_ptr_null(strstr(out, "&#"));
    ck_assert_uint_eq(d.n_disks, 11);
    st_domain_clear(&d);
    free(out);
}
END_TEST

START_TEST(set_source_network_and_empty_cdrom)
{
    st_domain d;
    char *out = set_and_reparse("domain_misc.xml", true, "vdb", "/img/local.raw", "raw", &d);
    const st_disk *k = st_domain_find_disk(&d, "vdb");
    ck_assert_str_eq(k->type, "file");
    ck_assert_str_eq(k->source, "/img/local.raw");
    ck_assert_ptr_null(strstr(out, "mon1.example.com"));
    ck_assert_ptr_null(strstr(out, "pool/image"));
    st_domain_clear(&d);
    free(out);

    out = set_and_reparse("domain_misc.xml", true, "sda", "/img/install.iso", "raw", &d);
    k = st_domain_find_disk(&d, "sda");
    ck_assert_str_eq(k->source, "/img/install.iso");
    ck_assert_str_eq(k->device, "cdrom");
    ck_assert(k->readonly);
    ck_assert_str_eq(k->target, "sda");
    st_domain_clear(&d);
    free(out);

    out = set_and_reparse("domain_misc.xml", true, "vdd", "/img/from-volume.qcow2", "qcow2", &d);
    k = st_domain_find_disk(&d, "vdd");
    ck_assert_str_eq(k->type, "file");
    ck_assert_ptr_null(k->pool);
    ck_assert_str_eq(k->source, "/img/from-volume.qcow2");
    st_domain_clear(&d);
    free(out);
}
END_TEST

START_TEST(set_source_keeps_labels_adds_driver)
{
    static const char xml[] =
        "<domain><name>n</name><devices>\n"
        "  <disk type='file' device='disk'>\n"
        "    <source file='/old.qcow2' startupPolicy='optional' index='2'>\n"
        "      <seclabel model='dac' relabel='no'/>\n"
        "      <slices><slice type='storage' offset='0' size='1'/></slices>\n"
        "    </source>\n"
        "    <backingStore type='file'><source file='/b1'/><backingStore/></backingStore>\n"
        "    <target dev='vdz' bus='virtio'/>\n"
        "    <backingStore/>\n"
        "  </disk>\n"
        "</devices></domain>\n";
    st_domain d;
    char *out = set_and_reparse(xml, false, "vdz", "/new.qcow2", "qcow2", &d);
    ck_assert_str_eq(d.disks[0].source, "/new.qcow2");
    ck_assert_str_eq(d.disks[0].format, "qcow2");
    ck_assert_uint_eq(d.disks[0].n_chain, 1);
    ck_assert_ptr_nonnull(strstr(out, "startupPolicy=\"optional\""));
    ck_assert_ptr_nonnull(strstr(out, "<seclabel model=\"dac\" relabel=\"no\"/>"));
    ck_assert_ptr_null(strstr(out, "slices"));
    ck_assert_ptr_null(strstr(out, "index="));
    ck_assert_ptr_null(strstr(out, "backingStore"));
    ck_assert_ptr_nonnull(strstr(out, "<driver type=\"qcow2\"/>"));
    st_domain_clear(&d);
    free(out);
}
END_TEST

START_TEST(set_source_round_trips_names)
{
    st_domain d;
    char *out = set_and_reparse("domain_special.xml", true, "vda", "/n.qcow2", "qcow2", &d);
    ck_assert_str_eq(d.name, "vm <&\"' 测试");
    ck_assert_str_eq(d.uuid, "bb3bb152-7d19-4210-aab5-2a1e3a5619fe");
    ck_assert_ptr_nonnull(strstr(out, "desc with &lt;tags&gt; &amp; \"quotes\" 'apos' 中文"));
    st_domain_clear(&d);
    free(out);
}
END_TEST

START_TEST(set_source_errors)
{
    char *xml = read_fixture("domain_running.xml"), *err = NULL;
    ck_assert_ptr_null(st_xml_set_disk_source(xml, "vdq", "/x", "qcow2", &err));
    ck_assert_str_eq(err, "the domain has no disk 'vdq'");
    free(err);
    err = NULL;
    ck_assert_ptr_null(st_xml_set_disk_source(xml, "vda", "/x", NULL, &err));
    ck_assert_ptr_nonnull(err);
    free(err);
    err = NULL;
    ck_assert_ptr_null(st_xml_set_disk_source(xml, "vda", "", "qcow2", &err));
    ck_assert_ptr_nonnull(err);
    free(err);
    err = NULL;
    ck_assert_ptr_null(st_xml_set_disk_source(xml, NULL, "/x", "qcow2", NULL));
    static const char *const bad_paths[] = {"/a\nb", "/a\tb", "/a\x01", "/a\xff", "/\xe4\xb8"};
    for (size_t i = 0; i < sizeof(bad_paths) / sizeof(bad_paths[0]); i++) {
        ck_assert_ptr_null(st_xml_set_disk_source(xml, "vda", bad_paths[i], "qcow2", &err));
        ck_assert_ptr_nonnull(strstr(err, "control characters"));
        free(err);
        err = NULL;
    }
    ck_assert_ptr_null(st_xml_set_disk_source(xml, "vda", "/ok", "qcow\x7f\x80", &err));
    ck_assert_ptr_nonnull(err);
    free(err);
    err = NULL;
    ck_assert_ptr_null(st_xml_set_disk_source(NULL, "vda", "/x", "qcow2", &err));
    ck_assert_ptr_nonnull(err);
    free(err);
    err = NULL;
    char *snap = read_fixture("snapshot_ext_disk.xml");
    /* The <disk>s inside a snapshot's embedded domain are not a domain's disks. */
    ck_assert_ptr_null(st_xml_set_disk_source(snap, "vda", "/x", "qcow2", &err));
    ck_assert_ptr_nonnull(err);
    free(err);
    free(snap);
    free(xml);
}
END_TEST

static Suite *xml_suite(void)
{
    Suite *s = suite_create("xmlutil");
    TCase *tc = tcase_create("domain");
    tcase_add_test(tc, domain_running_chain);
    tcase_add_test(tc, domain_firmware);
    tcase_add_test(tc, snapshot_revert_disks);
    tcase_add_test(tc, domain_mirror);
    tcase_add_test(tc, domain_inactive_partial_chain);
    tcase_add_test(tc, domain_disk_kinds);
    tcase_add_test(tc, domain_bad_uuid_and_id);
    tcase_add_test(tc, domain_special_characters);
    tcase_add_test(tc, domain_reparse_replaces);
    tcase_add_test(tc, domain_agent_connected);
    tcase_add_test(tc, domain_without_devices);
    suite_add_tcase(s, tc);

    tc = tcase_create("failures");
    tcase_add_test(tc, malformed_fails_cleanly);
    tcase_add_test(tc, empty_and_null_fail);
    tcase_add_test(tc, wrong_root_fails);
    tcase_add_test(tc, doctype_refused);
    tcase_add_test(tc, oversized_refused);
    suite_add_tcase(s, tc);

    tc = tcase_create("snapshot");
    tcase_add_test(tc, snapshot_external_disk_only);
    tcase_add_test(tc, snapshot_external_memory);
    tcase_add_test(tc, snapshot_internal_shutoff);
    tcase_add_test(tc, snapshot_internal_running);
    tcase_add_test(tc, snapshot_special_characters);
    tcase_add_test(tc, snapshot_defaults);
    suite_add_tcase(s, tc);

    tc = tcase_create("host");
    tcase_add_test(tc, caps_external_snapshot);
    tcase_add_test(tc, selinux_image_label);
    tcase_add_test(tc, volume_with_backing);
    tcase_add_test(tc, volume_units);
    tcase_add_test(tc, pool_path);
    suite_add_tcase(s, tc);

    tc = tcase_create("edit");
    tcase_add_test(tc, set_source_running_domain);
    tcase_add_test(tc, set_source_block_to_file_special_path);
    tcase_add_test(tc, set_source_network_and_empty_cdrom);
    tcase_add_test(tc, set_source_keeps_labels_adds_driver);
    tcase_add_test(tc, set_source_round_trips_names);
    tcase_add_test(tc, set_source_errors);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return st_run_suite(xml_suite());
}
