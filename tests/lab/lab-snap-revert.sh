#!/bin/bash
# tests/lab/lab-snap-revert.sh: reverts on shut-off domains (internal through libvirt; external
# by branching where libvirt has no external revert, 9.0), what a branch leaves behind and how
# the model shows it, the refusals of delete that libvirt 9.0 would fail, and a snapshot name and
# description with markup characters and Chinese that must round-trip unchanged. On libvirt 9.9
# and later the branching part is skipped: lab-snap-native.sh tests what those versions do. Uses
# an embedded root (the daemon adds nothing here) on bookworm, the stack's libvirtd on others
# (lab_stack_host); TAP; root.
if [ -z "${BASH_VERSION:-}" ]; then
    exec bash "$0" "$@"
fi
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
# shellcheck source=tests/lab/lab.sh
. "$top_srcdir/tests/lab/lab.sh"

# shellcheck source=tests/lab/snap-lib.sh
. "$top_srcdir/tests/lab/snap-lib.sh"
lab_init
T_ALL=$(lab_now)
export XDG_STATE_HOME=$LAB_TMP/state

URI=$(lab_stack_host "$LAB_TMP/e") || bail_out "no host"
D=$LAB_TMP/img
# The embedded root is this machine's libvirt 9.0; a daemon says its own version.
case $URI in
*embed*) BRANCHING=1 ;;
*) BRANCHING=$(lab_daemon_at_least "$URI" 9.9.0 || echo 1) ;;
esac
NO_BRANCHING="libvirt $(lab_daemon_version "$URI") reverts to external snapshots itself: \
tests/lab/lab-snap-native.sh tests that"


# ---- internal snapshot of a shut-off domain ----
lab_chain --patterns "$D" oa.qcow2 || bail_out "images"
lab_domain_define "$URI" ioff --disk "vda=$D/oa.qcow2" || bail_out "domain ioff"
ok "internal snapshot of a shut-off domain" sb create ioff i1 internal
ok "write layer 1 into the image after it" lab_pattern_layer "$D/oa.qcow2" 1
ok "revert to it" sb revert ioff i1
is "$(lab_domain_state "$URI" ioff)" "shut off" "the domain stays shut off, as saved"
ok "only layer 0 reads back: the write after the snapshot is gone" \
    lab_pattern_verify "$D/oa.qcow2" 1
ok "delete the internal snapshot" sb delete ioff i1
is "$(snaps ioff)" "" "libvirt has no snapshot of ioff left"
is "$(img_snaps "$D/oa.qcow2")" "" "and qemu-img lists none inside the image"
ok "the data did not change" lab_pattern_verify "$D/oa.qcow2" 1

# ---- FORCE after libvirt's "revert is risky" refusal ----
# libvirt 9.0 refuses to revert to a snapshot without memory while a managed save image exists
# (VIR_ERR_SNAPSHOT_REVERT_RISKY), and FORCE overrides it.
lab_chain --patterns "$D" fr.qcow2 || bail_out "images"
lab_domain_define "$URI" fr --disk "vda=$D/fr.qcow2" || bail_out "domain fr"
ok "internal snapshot f1 of the shut-off domain" sb create fr f1 internal
lab_domain_start "$URI" fr || bail_out "start fr"
ok "write 0xca after f1 through QEMU" lab_io_write -d "$URI" fr vda 0xca 50M 64K
lab_virsh "$URI" managedsave fr >>"$LAB_LOG" 2>&1
ok "the write is in the image after the managed save" lab_io_verify "$D/fr.qcow2" 0xca 50M 64K
ok "libvirt refuses the revert as risky" fails sb revert fr f1
like "$OUT" "detail=1: .*revert requires force: snapshot without memory state" \
    "the result says so and carries the detail the interface answers with FORCE"
ok "nothing was reverted" lab_io_verify "$D/fr.qcow2" 0xca 50M 64K
ok "revert with FORCE" sb revert fr f1 --force
like "$OUT" "fr reverted to snapshot f1" "libvirt accepted it"
ok "the disk reads as at f1" lab_pattern_verify "$D/fr.qcow2" 1
sb model fr
like "$OUT" "^managedsave 1" "libvirt kept the (now stale) managed save image, as the plan warns"
ok "remove it" sb managedsave-remove fr
sb model fr
like "$OUT" "^managedsave 0" "it is gone"

# ---- revert to a running snapshot, leaving the domain paused ----
lab_chain --patterns "$D" pr.qcow2 || bail_out "images"
lab_domain_define "$URI" pr --disk "vda=$D/pr.qcow2" --running || bail_out "domain pr"
ok "internal snapshot p1 of the running domain" sb create pr p1 internal
ok "write 0xcc after p1" lab_io_write -d "$URI" pr vda 0xcc 50M 64K
ok "the guest sees it" lab_io_verify -d "$URI" pr vda 0xcc 50M 64K
ok "revert to p1, paused afterwards" sb revert pr p1 --paused
is "$(lab_domain_state "$URI" pr)" "paused" "the domain is paused"
ok "the disk reads as at p1" lab_pattern_verify -d "$URI" pr vda 1
ok "and the region written after p1 holds its old zeros" lab_io_verify -d "$URI" pr vda 0x00 50M 64K
lab_domain_destroy "$URI" pr >>"$LAB_LOG" 2>&1

# ---- external delete of a shut-off leaf: libvirt merges it (QEMU runs paused for it) ----
lab_chain --patterns "$D" xl.qcow2 || bail_out "images"
lab_domain_define "$URI" xl --disk "vda=$D/xl.qcow2" || bail_out "domain xl"
ok "external snapshot l1 of the shut-off domain" sb create xl l1 disk-only
ok "write layer 1 into its overlay" lab_pattern_layer "$D/xl_l1.qcow2" 1
ok "delete l1" sb delete xl l1
is "$(snaps xl)" "" "libvirt has no snapshot of xl left"
is "$(lab_disk_source "$URI" xl vda)" "$D/xl.qcow2" "vda is back on its first image"
ok "which now holds layers 0..1 byte for byte (the overlay was merged)" \
    lab_pattern_verify "$D/xl.qcow2" 2
is "$(lab_domain_state "$URI" xl)" "shut off" "the domain is shut off again"

# ---- a disk left out of an external snapshot ----
lab_chain --patterns "$D" na.qcow2 || bail_out "images"
lab_chain --patterns "$D" nb.qcow2 || bail_out "images"
lab_domain_define "$URI" two --disk "vda=$D/na.qcow2" --disk "vdb=$D/nb.qcow2" ||
    bail_out "domain two"
ok "external snapshot n1 with vdb left out" sb create two n1 disk-only --disk vdb=no
is "$(lab_disk_source "$URI" two vda) $(lab_disk_source "$URI" two vdb)" \
    "$D/two_n1_vda.qcow2 $D/nb.qcow2" "vda moved onto its overlay, vdb stayed on its image"
ok "no overlay was made for vdb" absent "$D/two_n1_vdb.qcow2"
like "$(lab__virsh_q "$URI" snapshot-dumpxml two n1)" "<disk name='vdb' snapshot='no'/>" \
    "libvirt recorded vdb as not part of n1"
ok "write layer 1 into vda's overlay and into vdb's image" \
    eval 'lab_pattern_layer "$D/two_n1_vda.qcow2" 1 && lab_pattern_layer "$D/nb.qcow2" 1'
# xoff serves the branching below and the names at the end.
lab_chain --patterns "$D" base.qcow2 || bail_out "images"
lab_domain_define "$URI" xoff --disk "vda=$D/base.qcow2" || bail_out "domain xoff"
if [ -n "$BRANCHING" ]; then
    ok "revert to n1 (by branching)" sb revert two n1
    like "$(lab_disk_source "$URI" two vda)" "^$D/two_n1\.branch-" "vda is on a new branch overlay"
    ok "vda reads as at n1" lab_pattern_verify "$(lab_disk_source "$URI" two vda)" 1
    is "$(lab_disk_source "$URI" two vdb)" "$D/nb.qcow2" "vdb still names its image"
    ok "and keeps what was written since (layers 0..1)" lab_pattern_verify "$D/nb.qcow2" 2

    # ---- external snapshots of a shut-off domain, revert by branching ----
    ok "external disk-only snapshot s1 of the shut-off domain" sb create xoff s1 disk-only
    is "$(lab_disk_source "$URI" xoff vda)" "$D/xoff_s1.qcow2" "the article's default overlay name"
    ok "write layer 1 into s1's overlay" lab_pattern_layer "$D/xoff_s1.qcow2" 1
    ok "external snapshot s2" sb create xoff s2 disk-only
    ok "write layer 2 into s2's overlay" lab_pattern_layer "$D/xoff_s2.qcow2" 2

    ok "deleting the non-leaf external s1 of a shut-off domain is refused before libvirt" \
        fails sb delete xoff s1
    like "$OUT" "libvirt 9\.0\.0 cannot delete it \(9\.1 can" "and says why"
    is "$(snaps xoff)" "s1 s2 " "both snapshots are still there"
    is "$(lab_disk_source "$URI" xoff vda)" "$D/xoff_s2.qcow2" "vda still names s2's overlay"
    ok "and reads layers 0..2 as before" lab_pattern_verify "$D/xoff_s2.qcow2" 3

    ok "revert to s1 (external, shut off): by branching" sb revert xoff s1
    like "$OUT" "reverted to s1 by branching" "the result says it branched"
    SRC1=$(lab_disk_source "$URI" xoff vda)
    like "$SRC1" "^$D/xoff_s1\.branch-[0-9]{8}-[0-9]{6}\.qcow2\$" "vda is on a new overlay"
    is "$(lab_image_backing "$SRC1")" "$D/base.qcow2" "created on s1's image (the image s1 froze)"
    ok "the disk reads as at s1: layer 0 only" lab_pattern_verify "$SRC1" 1
    ok "the old active overlay is kept with all its data (layers 0..2)" \
        lab_pattern_verify "$D/xoff_s2.qcow2" 3
    sb model xoff
    MODEL=$OUT
    like "$MODEL" "^branch vda $D/xoff_s2\.qcow2 snapshot=s1 chain=3\$" \
        "the model shows the old overlay as a detached branch, with its chain"
    like "$MODEL" "^snap s1	parent=- external=1 memory=0 current=1\$" "s1 is the current snapshot"
    like "$MODEL" "^shared vda $D/base\.qcow2 xoff \(detached branch xoff_s2\.qcow2\)\$" \
        "the base counts as shared with the branch (a commit into it would be refused)"
    like "$(lab__virsh_q "$URI" dumpxml xoff --inactive)" "urn:x-virt-snaptree:branches:1" \
        "the branch is recorded in the domain's metadata, for every client"

    ok "write new data on the branch" lab_io_write "$SRC1" 0xc7 52M 64K
    ok "revert to s2, whose overlay now lives in the detached branch" sb revert xoff s2
    SRC2=$(lab_disk_source "$URI" xoff vda)
    is "$(lab_image_backing "$SRC2")" "$D/xoff_s1.qcow2" "created on s2's image, found in the branch"
    ok "the disk reads as at s2: layers 0..1" lab_pattern_verify "$SRC2" 2
    ok "the first branch keeps what was written on it" lab_io_verify "$SRC1" 0xc7 52M 64K
    sb model xoff
    is "$(grep -c '^branch vda' <<<"$OUT")" "2" "two detached branches are shown"

    ok "deleting s2, whose overlay is not in the disk's chain, is refused before libvirt" \
        fails sb delete xoff s2
    like "$OUT" "is not in the disk's chain" "and says why"
    is "$(snaps xoff)" "s1 s2 " "both snapshots are still there"
    is "$(lab_disk_source "$URI" xoff vda)" "$SRC2" "vda still names the same overlay"
    ok "the disk and both branches read as before" \
        eval 'lab_pattern_verify "$SRC2" 2 && lab_pattern_verify "$D/xoff_s2.qcow2" 3 &&
            lab_io_verify "$SRC1" 0xc7 52M 64K'
    ok "removing a file a detached branch holds is refused" \
        fails sb remove-files xoff "$D/xoff_s2.qcow2"
    ok "and the file is still there" exists "$D/xoff_s2.qcow2"
    ok "s2's metadata can be deleted" sb delete xoff s2 --metadata
    is "$(snaps xoff)" "s1 " "s1 is left"

    lab_domain_start "$URI" xoff >>"$LAB_LOG" 2>&1
    ok "revert to an external snapshot of a running domain is refused before libvirt" \
        fails sb revert xoff s1
    like "$OUT" "libvirt 9\.0\.0 cannot revert to an external snapshot \(libvirt 9\.9\.0 can\)" \
        "and names the version that would do it"

    # ---- a managed save image blocks a revert by branching ----
    # Its next start would restore the old memory on the old overlay and ignore the branch.
    lab_virsh "$URI" managedsave xoff >>"$LAB_LOG" 2>&1
    is "$(lab_domain_state "$URI" xoff)" "shut off" "managedsave stopped xoff"
    FILES=$(ls "$D")
    ok "a revert by branching with a managed save image is refused before anything is made" \
        fails sb revert xoff s1
    like "$OUT" "managed save image.*remove the managed save first" "and says why"
    is "$(lab_disk_source "$URI" xoff vda)" "$SRC2" "vda still names the same overlay"
    is "$(ls "$D")" "$FILES" "no new overlay file was created"
    ok "the disk still reads as at s2 (layers 0..1)" lab_pattern_verify "$SRC2" 2
    sb model xoff
    like "$OUT" "^managedsave 1" "the managed save image is still there"
    is "$(grep -c '^branch vda' <<<"$OUT")" "2" "no branch was added"
    ok "remove the managed save image" sb managedsave-remove xoff

    # ---- a save file taken before a branch ----
    lab_domain_start "$URI" xoff >>"$LAB_LOG" 2>&1
    ok "save xoff to a file" sb save xoff "$D/xoff.save"
    ok "the restore plan of that file reads as usual" sb plan-restore "$D/xoff.save"
    like "$OUT" "^saved-domain xoff\$" "the host read the domain's name from the file"
    unlike "$OUT" "was saved on" "and no disk moved since"
    ok "revert to s1 by branching after the save" sb revert xoff s1
    SRC3=$(lab_disk_source "$URI" xoff vda)
    ok "the restore plan now warns" sb plan-restore "$D/xoff.save"
    like "$OUT" "^hazard 1 vda was saved on $SRC2, but the domain now names $SRC3 " \
        "that the file runs the guest on the image it was saved with, not on the branch"
    ok "the save file is removed (it is never restored here)" rm "$D/xoff.save"
else
    skip "reverts by branching, and what the branches leave" "$NO_BRANCHING"
fi

# ---- names and descriptions round-trip unchanged ----
NAME='a<b&"c'"'"'快照'
DESC='x < y && "z" '"'"'描述'"'"' 测试'
ok "a snapshot named with <, &, quotes and Chinese, described likewise" \
    sb create xoff "$NAME" disk-only --desc "$DESC"
like "$(lab__virsh_q "$URI" snapshot-list xoff --name)" "^a<b&\"c'快照\$" \
    "libvirt has the name exactly"
sb model xoff
ok "the description reads back exactly" grep -qxF "desc $NAME	$DESC" <<<"$OUT"
ok "the default overlay file carries the name" exists "$D/xoff_$NAME.qcow2"

diag "lab-snap-revert: $(lab_elapsed "$T_ALL") s"
done_testing
