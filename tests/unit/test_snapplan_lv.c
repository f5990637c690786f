/*
 * The snapshot plans that depend on the host's libvirt: the same domain planned for a host that
 * reported libvirt 9.0 (Debian 12) and one that reported 11.3 (Debian 13), side by side. What
 * each version does is in src/core/snapplan_host.c; the lab checks it against real daemons
 * (tests/lab/lab-snap-native.sh).
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend/xmlutil.h"
#include "snapfixture.h"
#include "tap.h"

#define LV90  9000000UL
#define LV113 11003000UL

/* The same host after an upgrade, as its next connection reports it (capabilities aside). */
static void set_version(st_host *h, unsigned long ver)
{
    h->libvirt_ver = ver;
    free(h->libvirt_version);
    h->libvirt_version = xasprintf("%lu.%lu.%lu", ver / 1000000, ver / 1000 % 1000, ver % 1000);
}

/* The facts an ST_F_WRITTEN request brings back: one image measured. */
static st_facts *written_fact(const char *path, bool known, uint64_t bytes, const char *why)
{
    st_facts *f = xcalloc(1, sizeof(*f));
    f->n_written = 1;
    f->written = xcalloc(1, sizeof(st_written));
    f->written[0].path = xstrdup(path);
    f->written[0].known = known;
    f->written[0].bytes = bytes;
    f->written[0].why = xstrdup0(why);
    return f;
}

/* ---- revert to an external snapshot ---- */

START_TEST(revert_keeps_by_default)
{
    /* 9.0: branching, as always. */
    st_host *h = host_new(true, LV90);
    st_domain *d = chain_domain(h, ST_DOM_SHUTOFF);
    st_snapplan *p = st_snapplan_revert(h, d, "s1", 0, 0, NULL);
    ck_assert(p->branching);
    ck_assert(!p->native_external);
    ck_assert_uint_eq(p->n_removed, 0);
    ck_assert(has_line(p->lost, p->n_lost, "nothing is deleted"));
    st_snapplan_free(p);
    st_host_free(h);

    /* 11.3: libvirt reverts, and the overlay it removes is kept. */
    h = host_new(true, LV113);
    d = chain_domain(h, ST_DOM_SHUTOFF);
    p = st_snapplan_revert(h, d, "s1", 0, 0, NULL);
    ck_assert(!p->refused);
    ck_assert(!p->branching);
    ck_assert(p->native_external);
    ck_assert_uint_eq(p->n_removed, 1);
    ck_assert_str_eq(p->removed[0], IMG "s2.qcow2");
    ck_assert_uint_eq(p->n_kept, 1);
    ck_assert_str_eq(p->kept[0], IMG "s2.qcow2");
    ck_assert(has_line(p->steps, p->n_steps, "libvirt 11.3.0 reverts to the external snapshot"));
    ck_assert(has_line(p->steps, p->n_steps,
                       "vda: libvirt removes " IMG "s2.qcow2 (what was written since s2 (being "
                       "measured)); it is kept: " IMG "s2.qcow2.virt-snaptree-keep names it"));
    ck_assert(has_line(p->steps, p->n_steps, "as a detached branch"));
    ck_assert_str_eq(p->calls[0], "link(" IMG "s2.qcow2, " IMG "s2.qcow2.virt-snaptree-keep)");
    ck_assert_str_eq(p->calls[1], "virDomainRevertToSnapshot(s1, 0)");
    ck_assert_str_eq(p->calls[2], "link(" IMG "s2.qcow2.virt-snaptree-keep, " IMG
                                  "s2.qcow2); unlink(" IMG "s2.qcow2.virt-snaptree-keep)");
    ck_assert(has_line(p->calls, p->n_calls, "virDomainSetMetadata(vm, " ST_BRANCH_NS));
    ck_assert(has_line(p->lost, p->n_lost, "nothing is deleted: what was written since s2"));
    /* The request carries what libvirt removes; the worker keeps it. */
    ck_assert(!(p->req.flags & ST_F_DISCARD));
    ck_assert_uint_eq(p->req.n_paths, 1);
    ck_assert_str_eq(p->req.paths[0], IMG "s2.qcow2");
    st_snapplan_free(p);
    st_host_free(h);
}
END_TEST

START_TEST(revert_discard_names_files_and_bytes)
{
    st_host *h = host_new(true, LV113);
    st_domain *d = chain_domain(h, ST_DOM_SHUTOFF);
    st_facts *f = written_fact(IMG "s2.qcow2", true, 196608, NULL);
    st_snapplan *p = st_snapplan_revert(h, d, "s1", ST_F_DISCARD, 0, f);
    ck_assert(!p->refused);
    ck_assert_uint_eq(p->n_kept, 0);
    ck_assert(p->req.flags & ST_F_DISCARD);
    ck_assert(has_line(p->steps, p->n_steps,
                       "vda: libvirt removes " IMG "s2.qcow2: 192 KiB (196608 bytes) written "
                       "since s2"));
    ck_assert(has_line(p->lost, p->n_lost,
                       "vda: 192 KiB (196608 bytes) written since s2, in " IMG
                       "s2.qcow2, which libvirt removes"));
    ck_assert_uint_eq(p->n_calls, 1);
    ck_assert_str_eq(p->calls[0], "virDomainRevertToSnapshot(s1, 0)");
    st_snapplan_free(p);
    st_facts_free(f);
    /* A remote host's image is not measured from here, and the plan says so. */
    h->local = false;
    f = written_fact(IMG "s2.qcow2", false, 0, "the image is on a remote host");
    p = st_snapplan_revert(h, d, "s1", ST_F_DISCARD, 0, f);
    ck_assert(!p->refused);
    ck_assert(has_line(p->steps, p->n_steps, "(not measured: the image is on a remote host)"));
    st_snapplan_free(p);
    /* Keeping needs the files on this machine. */
    p = st_snapplan_revert(h, d, "s1", 0, 0, f);
    ck_assert(has_hazard(p, ST_HAZ_REFUSE, "remote host: this tool cannot keep"));
    ck_assert(has_hazard(p, ST_HAZ_REFUSE, "(option 3)"));
    st_snapplan_free(p);
    st_facts_free(f);
    /* 9.0 has no such option: DISCARD does not reach the branching's request. */
    st_host *old = host_new(true, LV90);
    st_domain *od = chain_domain(old, ST_DOM_SHUTOFF);
    p = st_snapplan_revert(old, od, "s1", ST_F_DISCARD, 0, NULL);
    ck_assert(p->branching);
    ck_assert(!(p->req.flags & ST_F_DISCARD));
    st_snapplan_free(p);
    st_host_free(old);
    st_host_free(h);
}
END_TEST

/* 11.3 puts a new overlay on a disk left out of the snapshot too. */
START_TEST(revert_disk_left_out)
{
    st_host *h = host_new(true, LV113);
    st_domain *d = chain_domain(h, ST_DOM_SHUTOFF);
    add_disk(d, "vdb", "qcow2", IMG "data.qcow2", NULL);
    snap_disk(&d->snaps[0], "vdb", "no", NULL, IMG "data.qcow2");
    st_snapplan *p = st_snapplan_revert(h, d, "s1", 0, 0, NULL);
    ck_assert(has_line(p->steps, p->n_steps,
                       "vdb was not part of s1: libvirt puts a new overlay on " IMG
                       "data.qcow2 too, and its data stays"));
    st_snapplan_free(p);
    set_chain(&d->disks[1], IMG "data_s9.qcow2", IMG "data.qcow2", NULL);
    p = st_snapplan_revert(h, d, "s1", 0, 0, NULL);
    ck_assert(has_line(p->steps, p->n_steps,
                       IMG "data_s9.qcow2, where it writes now, is shown as a detached branch"));
    st_snapplan_free(p);
    st_host_free(h);
}
END_TEST

/* A running domain: refused on 9.0, done by libvirt on 11.3 (it stops the guest first). */
START_TEST(revert_running)
{
    st_host *h = host_new(true, LV90);
    st_domain *d = chain_domain(h, ST_DOM_RUNNING);
    st_snapplan *p = st_snapplan_revert(h, d, "s1", 0, 0, NULL);
    ck_assert(has_hazard(p, ST_HAZ_REFUSE, "libvirt 9.0.0 cannot revert to an external snapshot"));
    st_snapplan_free(p);
    st_host_free(h);
    h = host_new(true, LV113);
    d = chain_domain(h, ST_DOM_RUNNING);
    p = st_snapplan_revert(h, d, "s1", ST_F_RUNNING, 0, NULL);
    ck_assert(!p->refused);
    ck_assert(has_line(p->calls, p->n_calls, "virDomainRevertToSnapshot(s1, RUNNING)"));
    ck_assert(has_line(p->steps, p->n_steps, "afterwards the domain runs"));
    ck_assert(has_line(p->lost, p->n_lost, "the running guest's memory and device state"));
    ck_assert_uint_eq(p->n_kept, 1);
    st_snapplan_free(p);
    st_host_free(h);
}
END_TEST

/* After an earlier revert to s1 (which has a child), libvirt removes s1's <revertDisks>. */
START_TEST(revert_after_revert)
{
    st_host *h = host_new(true, LV113);
    st_domain *d = chain_domain(h, ST_DOM_SHUTOFF);
    set_chain(&d->disks[0], IMG "base.1796669040", IMG "base.qcow2", NULL);
    d->snaps[0].current = true;
    d->snaps[1].current = false;
    add_revert_disk(&d->snaps[0], "vda", IMG "base.1796669040");
    st_snapplan *p = st_snapplan_revert(h, d, "s2", ST_F_DISCARD, 0, NULL);
    ck_assert(!p->refused);
    ck_assert_uint_eq(p->n_removed, 1);
    ck_assert_str_eq(p->removed[0], IMG "base.1796669040");
    st_snapplan_free(p);
    st_host_free(h);
}
END_TEST

START_TEST(revert_native_refusals)
{
    st_host *h = host_new(true, LV113);
    st_domain *d = chain_domain(h, ST_DOM_SHUTOFF);
    /* No current snapshot: libvirt 11.3's daemon crashes there. */
    d->snaps[1].current = false;
    st_snapplan *p = st_snapplan_revert(h, d, "s1", 0, 0, NULL);
    ck_assert(has_hazard(p, ST_HAZ_REFUSE, "vm has no current snapshot"));
    st_snapplan_free(p);
    /*
     * A history a 9.0 host left by branching: s1 was made current again, the disk runs on a new
     * overlay, s2's overlay is a detached branch over s1.qcow2. libvirt would now remove
     * s1.qcow2 (the current snapshot's overlay), which the branch and s2 still need.
     */
    d->snaps[0].current = true;
    set_chain(&d->disks[0], IMG "vm_s1.branch-1.qcow2", IMG "base.qcow2", NULL);
    add_branch(d, "vda", IMG "s2.qcow2", IMG "s1.qcow2", NULL);
    p = st_snapplan_revert(h, d, "s2", ST_F_DISCARD, 0, NULL);
    ck_assert(has_hazard(p, ST_HAZ_REFUSE,
                         "libvirt would remove " IMG "s1.qcow2, which the detached branch "
                         "s2.qcow2 of vm still needs: keep it (option 3)"));
    st_snapplan_free(p);
    /* Kept, nothing is lost: libvirt makes its new overlay first, then the name comes back. */
    p = st_snapplan_revert(h, d, "s2", 0, 0, NULL);
    ck_assert(!p->refused);
    ck_assert_str_eq(p->kept[0], IMG "s1.qcow2");
    ck_assert(has_line(p->steps, p->n_steps, "it is kept the same way"));
    ck_assert(has_line(p->steps, p->n_steps, "still needed by the detached branch"));
    st_snapplan_free(p);
    st_host_free(h);
}
END_TEST

/* The host's own word decides, whatever this program was built with. */
START_TEST(revert_from_host_facts)
{
    st_host *h = host_new(true, LV90);
    st_domain *d = chain_domain(h, ST_DOM_SHUTOFF);
    h->external_revert = true; /* a 9.0 with the feature backported says so in its capabilities */
    st_snapplan *p = st_snapplan_revert(h, d, "s1", 0, 0, NULL);
    ck_assert(p->native_external);
    st_snapplan_free(p);
    h->external_revert = false;
    set_version(h, LV113); /* capabilities not read: the version alone is enough */
    p = st_snapplan_revert(h, d, "s1", 0, 0, NULL);
    ck_assert(p->native_external);
    st_snapplan_free(p);
    h->libvirt_ver = 0; /* nothing known: the oldest behaviour */
    p = st_snapplan_revert(h, d, "s1", 0, 0, NULL);
    ck_assert(p->branching);
    st_snapplan_free(p);
    st_host_free(h);
}
END_TEST

/* ---- delete ---- */

START_TEST(delete_non_leaf_shut_off)
{
    st_host *h = host_new(true, LV90);
    st_domain *d = chain_domain(h, ST_DOM_SHUTOFF);
    st_snapplan *p = st_snapplan_delete(h, d, "s1", 0);
    ck_assert(has_hazard(p, ST_HAZ_REFUSE, "libvirt 9.0.0 cannot delete it (9.1 can"));
    st_snapplan_free(p);
    set_version(h, LV113);
    p = st_snapplan_delete(h, d, "s1", 0);
    ck_assert(!p->refused);
    ck_assert(has_line(p->steps, p->n_steps, IMG "s1.qcow2 is merged into the image below it"));
    ck_assert(has_line(p->calls, p->n_calls, "virDomainSnapshotDelete(s1, 0)"));
    st_snapplan_free(p);
    /* Both refuse children with external snapshots. */
    p = st_snapplan_delete(h, d, "s1", ST_F_CHILDREN);
    ck_assert(has_hazard(p, ST_HAZ_REFUSE, "libvirt 11.3.0 deletes external snapshots one at a"));
    st_snapplan_free(p);
    st_host_free(h);
}
END_TEST

START_TEST(delete_memory_file)
{
    st_host *h = host_new(true, LV90);
    st_domain *d = chain_domain(h, ST_DOM_RUNNING);
    d->snaps[1].memory = true;
    d->snaps[1].memory_file = xstrdup(IMG "vm_s2.mem");
    st_snapplan *p = st_snapplan_delete(h, d, "s2", 0);
    ck_assert_uint_eq(p->n_left_files, 1);
    ck_assert(has_line(p->steps, p->n_steps, "libvirt 9.0.0 leaves the memory file"));
    st_snapplan_free(p);
    set_version(h, LV113);
    p = st_snapplan_delete(h, d, "s2", 0);
    ck_assert_uint_eq(p->n_left_files, 0);
    ck_assert(has_line(p->removed, p->n_removed, IMG "vm_s2.mem"));
    ck_assert(
        has_line(p->steps, p->n_steps, "libvirt 11.3.0 removes the memory file " IMG "vm_s2.mem"));
    st_snapplan_free(p);
    st_host_free(h);
}
END_TEST

/* After a revert to s1 on 11.3: s1 is current with children, s2 a leaf that is not current. */
static st_domain *reverted_domain(st_host *h)
{
    st_domain *d = add_dom(h, "vm", ST_DOM_SHUTOFF);
    add_disk(d, "vda", "qcow2", IMG "base.1796669040", IMG "base.qcow2", NULL);
    st_snapshot *s = add_snap(d, "s1", NULL, true);
    snap_disk(s, "vda", "external", IMG "s1.qcow2", IMG "base.qcow2");
    s->current = true;
    add_revert_disk(s, "vda", IMG "base.1796669040");
    s = add_snap(d, "s2", "s1", true);
    snap_disk(s, "vda", "external", IMG "s2.qcow2", IMG "s1.qcow2");
    return d;
}

START_TEST(delete_after_revert)
{
    st_host *h = host_new(true, LV113);
    st_domain *d = reverted_domain(h);
    st_snapplan *p = st_snapplan_delete(h, d, "s1", 0);
    ck_assert(has_hazard(p, ST_HAZ_REFUSE, "s1 is the current snapshot and has children"));
    st_snapplan_free(p);
    /* s2 is merged nowhere: libvirt removes the image it was taken of. */
    p = st_snapplan_delete(h, d, "s2", 0);
    ck_assert(!p->refused);
    ck_assert_uint_eq(p->n_merges, 0);
    ck_assert_uint_eq(p->n_removed, 1);
    ck_assert_str_eq(p->removed[0], IMG "s1.qcow2");
    ck_assert(has_line(p->steps, p->n_steps,
                       "vda: libvirt removes " IMG "s1.qcow2, the image s2 was taken of"));
    st_snapplan_free(p);
    /* Kept by this tool's revert: s2's overlay is a detached branch over s1.qcow2. */
    add_branch(d, "vda", IMG "s2.qcow2", IMG "s1.qcow2", IMG "base.qcow2", NULL);
    p = st_snapplan_delete(h, d, "s2", 0);
    ck_assert(has_hazard(p, ST_HAZ_REFUSE,
                         "which the detached branch s2.qcow2 of vm still needs: delete metadata "
                         "only"));
    st_snapplan_free(p);
    p = st_snapplan_delete(h, d, "s2", ST_F_METADATA_ONLY);
    ck_assert(!p->refused);
    st_snapplan_free(p);
    st_host_free(h);
}
END_TEST

/* ---- internal snapshots of UEFI guests ---- */

static st_domain *uefi_domain(st_host *h, st_dom_state state, const char *nvram)
{
    st_domain *d = add_dom(h, "efi", state);
    add_disk(d, "vda", "qcow2", IMG "efi.qcow2", NULL);
    d->pflash = true;
    d->nvram_format = xstrdup0(nvram);
    return d;
}

/* The create plan of snapshot `name` of that kind, with the form's default disks. */
static st_snapplan *kind_plan(st_host *h, st_domain *d, st_snap_kind kind, const char *name)
{
    st_request r = {0};
    r.kind = ST_REQ_SNAPSHOT_CREATE;
    r.snapshot = xstrdup(name);
    r.snap_kind = kind;
    st_snap_default_diskspecs(d, r.snap_kind, r.snapshot, &r.diskspecs, &r.n_diskspecs);
    st_snapplan *p = st_snapplan_create(h, d, &r, NULL, NULL);
    st_request_clear(&r);
    return p;
}

static st_snapplan *internal_plan(st_host *h, st_domain *d)
{
    return kind_plan(h, d, ST_SNAP_KIND_INTERNAL, "i1");
}

START_TEST(create_internal_uefi)
{
    st_host *h = host_new(true, LV90);
    st_domain *d = uefi_domain(h, ST_DOM_SHUTOFF, NULL);
    st_snapplan *p = internal_plan(h, d);
    ck_assert(has_hazard(p, ST_HAZ_REFUSE,
                         "libvirt before 10.9 takes no internal snapshot of a guest whose UEFI "
                         "firmware is in pflash (this host runs libvirt 9.0.0)"));
    st_snapplan_free(p);
    st_host_free(h);

    h = host_new(true, LV113);
    d = uefi_domain(h, ST_DOM_SHUTOFF, "raw");
    p = internal_plan(h, d);
    ck_assert(!p->refused);
    ck_assert(has_hazard(p, ST_HAZ_INFO, "the NVRAM (UEFI variables) is raw"));
    st_snapplan_free(p);
    d->state = ST_DOM_RUNNING;
    p = internal_plan(h, d);
    ck_assert(has_hazard(p, ST_HAZ_REFUSE, "only when its NVRAM (UEFI variables) is a qcow2"));
    st_snapplan_free(p);
    free(d->nvram_format);
    d->nvram_format = xstrdup("qcow2");
    p = internal_plan(h, d);
    ck_assert(!p->refused);
    ck_assert(has_hazard(p, ST_HAZ_INFO, "the snapshot holds it too"));
    st_snapplan_free(p);
    st_host_free(h);
}
END_TEST

/* The create form starts on a kind the host takes. */
START_TEST(default_kind_by_host)
{
    st_host *h = host_new(true, LV90);
    st_domain *plain = add_dom(h, "vm", ST_DOM_SHUTOFF);
    add_disk(plain, "vda", "qcow2", IMG "vm.qcow2", NULL);
    ck_assert_int_eq(st_snap_default_kind(h, plain), ST_SNAP_KIND_DISK_ONLY);
    add_snap(plain, "i1", NULL, false);
    ck_assert_int_eq(st_snap_default_kind(h, plain), ST_SNAP_KIND_INTERNAL);
    st_domain *efi = uefi_domain(h, ST_DOM_SHUTOFF, "qcow2");
    add_snap(efi, "i1", NULL, false);
    ck_assert_int_eq(st_snap_default_kind(h, efi), ST_SNAP_KIND_DISK_ONLY);
    set_version(h, LV113);
    ck_assert_int_eq(st_snap_default_kind(h, efi), ST_SNAP_KIND_INTERNAL);
    free(efi->nvram_format);
    efi->nvram_format = NULL;
    efi->state = ST_DOM_RUNNING;
    ck_assert_int_eq(st_snap_default_kind(h, efi), ST_SNAP_KIND_DISK_ONLY);
    st_host_free(h);
}
END_TEST

/* ---- the NVRAM copy each snapshot of a UEFI guest keeps ---- */

#define NVRAM "/var/lib/libvirt/qemu/nvram/efi_VARS.fd"

START_TEST(nvram_copy_plans)
{
    st_host *h = host_new(true, LV90);
    st_domain *d = uefi_domain(h, ST_DOM_SHUTOFF, NULL);
    d->nvram = xstrdup(NVRAM);
    st_snapplan *p = kind_plan(h, d, ST_SNAP_KIND_DISK_ONLY, "s1");
    ck_assert(!p->refused);
    ck_assert(has_line(p->steps, p->n_steps,
                       "the NVRAM (UEFI variables) " NVRAM " is copied to " NVRAM
                       ".snapshot-s1, readable by its owner alone: a revert to this snapshot "
                       "puts it back"));
    st_snapplan_free(p);
    st_snapshot *s = add_snap(d, "s1", NULL, true);
    snap_disk(s, "vda", "external", IMG "efi_s1.qcow2", IMG "efi.qcow2");
    p = st_snapplan_revert(h, d, "s1", 0, 0, NULL);
    ck_assert(has_line(p->steps, p->n_steps,
                       "the NVRAM (UEFI variables) " NVRAM " is put back from " NVRAM
                       ".snapshot-s1, as it was when s1 was taken"));
    st_snapplan_free(p);
    p = st_snapplan_delete(h, d, "s1", ST_F_METADATA_ONLY);
    ck_assert(has_line(p->left_files, p->n_left_files, NVRAM ".snapshot-s1"));
    st_snapplan_free(p);
    /* On a remote host nothing is copied, and the plans say so. */
    h->local = false;
    p = kind_plan(h, d, ST_SNAP_KIND_DISK_ONLY, "s1");
    ck_assert(has_hazard(p, ST_HAZ_WARN, "is on a remote host and is not copied"));
    st_snapplan_free(p);
    p = st_snapplan_revert(h, d, "s1", 0, 0, NULL);
    ck_assert(has_hazard(p, ST_HAZ_WARN, NVRAM " is on a remote host: it stays as it is now"));
    st_snapplan_free(p);
    st_host_free(h);

    /* An internal snapshot of a qcow2 NVRAM holds it: no copy. A raw one does not. */
    h = host_new(true, LV113);
    d = uefi_domain(h, ST_DOM_RUNNING, "qcow2");
    d->nvram = xstrdup(NVRAM);
    p = kind_plan(h, d, ST_SNAP_KIND_INTERNAL, "s1");
    ck_assert(!has_line(p->steps, p->n_steps, "is copied to"));
    st_snapplan_free(p);
    ck_assert_ptr_null(st_snap_nvram_copy(d, "s1", true));
    char *c = st_snap_nvram_copy(d, "s1", false);
    ck_assert_str_eq(c, NVRAM ".snapshot-s1");
    free(c);
    free(d->nvram_format);
    d->nvram_format = NULL;
    c = st_snap_nvram_copy(d, "s1", true);
    ck_assert_str_eq(c, NVRAM ".snapshot-s1");
    free(c);
    st_host_free(h);
}
END_TEST

/* The create form's lines on a UEFI guest: the kinds this libvirt takes, what the NVRAM gets. */
START_TEST(firmware_notes)
{
    st_host *h = host_new(true, LV90);
    st_domain *plain = add_dom(h, "vm", ST_DOM_SHUTOFF);
    ck_assert_ptr_null(st_snap_firmware_kinds(h, plain));
    ck_assert_ptr_null(st_snap_firmware_nvram(h, plain));
    st_domain *d = uefi_domain(h, ST_DOM_SHUTOFF, NULL);
    ck_assert_str_eq(st_snap_firmware_nvram(h, d), "NVRAM: none named, nothing to keep");
    d->nvram = xstrdup(NVRAM);
    ck_assert_str_eq(st_snap_firmware_kinds(h, d),
                     "UEFI: libvirt before 10.9 takes only external snapshots of it");
    ck_assert_str_eq(st_snap_firmware_nvram(h, d),
                     "NVRAM: each snapshot keeps a copy, which a revert puts back");
    set_version(h, LV113);
    ck_assert_str_eq(st_snap_firmware_kinds(h, d),
                     "UEFI: internal and external snapshots; neither holds the NVRAM (raw)");
    d->state = ST_DOM_RUNNING;
    ck_assert_str_eq(st_snap_firmware_kinds(h, d),
                     "UEFI: internal snapshots only while shut off (raw NVRAM); external now");
    free(d->nvram_format);
    d->nvram_format = xstrdup("qcow2");
    ck_assert_str_eq(st_snap_firmware_kinds(h, d),
                     "UEFI: internal snapshots hold the NVRAM (qcow2), external ones do not");
    ck_assert_str_eq(st_snap_firmware_nvram(h, d),
                     "NVRAM: external snapshots keep a copy, which a revert puts back");
    h->local = false;
    ck_assert_str_eq(st_snap_firmware_nvram(h, d),
                     "NVRAM: on a remote host, not copied: a revert leaves it as it is");
    st_host_free(h);
}
END_TEST

static Suite *lv_suite(void)
{
    Suite *s = suite_create("snapplan_lv");
    TCase *tc = tcase_create("versions");
    tcase_add_test(tc, revert_keeps_by_default);
    tcase_add_test(tc, revert_discard_names_files_and_bytes);
    tcase_add_test(tc, revert_disk_left_out);
    tcase_add_test(tc, revert_running);
    tcase_add_test(tc, revert_after_revert);
    tcase_add_test(tc, revert_native_refusals);
    tcase_add_test(tc, revert_from_host_facts);
    tcase_add_test(tc, delete_non_leaf_shut_off);
    tcase_add_test(tc, delete_memory_file);
    tcase_add_test(tc, delete_after_revert);
    tcase_add_test(tc, create_internal_uefi);
    tcase_add_test(tc, default_kind_by_host);
    tcase_add_test(tc, nvram_copy_plans);
    tcase_add_test(tc, firmware_notes);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return st_run_suite(lv_suite());
}
