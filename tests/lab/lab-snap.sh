#!/bin/bash
# tests/lab/lab-snap.sh: snapshot create / delete / save / restore / managed save on running
# domains of a private libvirtd (the RPC path admins use), driven through the backend API by
# tests/lab/snap-backend, every disk checked byte for byte with lab.sh's patterns. TAP; root.
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

URI=$(lab_daemon_start "$LAB_TMP/d") || bail_out "no libvirtd"
LV=$(lab_daemon_version "$URI")
D=$LAB_TMP/img


# A domain with RAM big enough (zero pages: nothing is allocated) that saving it takes a
# moment, so that the job's progress is seen while it runs.
define_big() {
    local name=$1 xml
    shift
    lab_domain_define "$URI" "$name" "$@" || return 1
    xml=$LAB_TMP/$name-big.xml
    lab__virsh_q "$URI" dumpxml "$name" --inactive |
        sed -e "s|<memory unit='KiB'>[0-9]*</memory>|<memory unit='GiB'>16</memory>|" \
            -e "s|<currentMemory unit='KiB'>[0-9]*</currentMemory>|<currentMemory unit='GiB'>16</currentMemory>|" \
            >"$xml" && lab_virsh "$URI" define "$xml" >>"$LAB_LOG" 2>&1 &&
        lab_domain_start "$URI" "$name"
}

# A domain whose RAM holds 1 GiB of non-zero bytes from the start (QEMU's loader device), so that
# its save file is that big and a restore reads it for a few seconds: untouched RAM of a guest
# without an OS is zero pages, which a save file stores in a few bytes each.
define_filled() {
    local name=$1 xml fill=$LAB_TMP/fill.bin ns="http://libvirt.org/schemas/domain/qemu/1.0"
    shift
    if [ ! -e "$fill" ]; then
        tr '\0' '\245' </dev/zero | head -c 1G >"$fill" || return 1
    fi
    lab_domain_define "$URI" "$name" "$@" || return 1
    xml=$LAB_TMP/$name-filled.xml
    lab__virsh_q "$URI" dumpxml "$name" --inactive |
        sed -e "s|<domain type='qemu'>|<domain type='qemu' xmlns:qemu='$ns'>|" \
            -e "s|<memory unit='KiB'>[0-9]*</memory>|<memory unit='GiB'>2</memory>|" \
            -e "s|<currentMemory unit='KiB'>[0-9]*</currentMemory>|<currentMemory unit='GiB'>2</currentMemory>|" \
            -e "s|</devices>|</devices><qemu:commandline><qemu:arg value='-device'/><qemu:arg value='loader,file=$fill,addr=0x10000000,force-raw=on'/></qemu:commandline>|" \
            >"$xml" && lab_virsh "$URI" define "$xml" >>"$LAB_LOG" 2>&1 &&
        lab_domain_start "$URI" "$name"
}

# ---- two disks, external disk-only (atomic), with memory, delete with block jobs ----
lab_chain --patterns "$D" xa.qcow2 || bail_out "images"
lab_chain --patterns "$D" xb.qcow2 || bail_out "images"
define_big xrun --disk "vda=$D/xa.qcow2" --disk "vdb=$D/xb.qcow2" || bail_out "domain xrun"

ok "two-disk external disk-only snapshot (DISK_ONLY|ATOMIC, default names)" sb create xrun d1 disk-only
is "$(lab_disk_source "$URI" xrun vda) $(lab_disk_source "$URI" xrun vdb)" \
    "$D/xrun_d1_vda.qcow2 $D/xrun_d1_vdb.qcow2" "both disks moved to their new overlays at once"
is "$(lab_image_backing "$D/xrun_d1_vda.qcow2")|$(lab_image_backing "$D/xrun_d1_vdb.qcow2")" \
    "$D/xa.qcow2|$D/xb.qcow2" "each overlay is backed by the disk's old image"
ok "write layer 1 into both overlays through QEMU" \
    eval 'lab_pattern_layer -d "$URI" xrun vda 1 && lab_pattern_layer -d "$URI" xrun vdb 1'

ok "a second snapshot with the same name is refused" fails sb create xrun d1 disk-only
like "$OUT" "already has a snapshot named d1" "and says why"
touch "$D/taken.qcow2"
ok "an overlay file that exists is refused" \
    fails sb create xrun d2 disk-only --disk "vda=external:$D/taken.qcow2"
like "$OUT" "taken.qcow2 already exists" "and says why"
ok "an overlay named like an image in the chain is refused" \
    fails sb create xrun d2 disk-only --disk "vda=external:$D/xa.qcow2"
like "$OUT" "already used by the domain" "and says why"
ok "an internal disk-only snapshot of a running domain is refused before libvirt" \
    fails sb create xrun d2 disk-only --disk vda=internal --disk vdb=internal
like "$OUT" "running domain cannot take an internal disk-only snapshot" "and says why"
is "$(snaps xrun)" "d1 " "refusals changed no snapshot"
is "$(lab_disk_source "$URI" xrun vda)" "$D/xrun_d1_vda.qcow2" "refusals changed no disk"

ok "external snapshot with memory, live" sb create xrun m1 memory --live
JOBS=$OUT
like "$JOBS" "^job snapshot completed updates=[0-9]+ mid=[1-9][0-9]* max=[1-9][0-9]*/[1-9]" \
    "the memory snapshot ran as a job whose progress was seen part done"
ok "its memory file exists" exists "$D/xrun_m1.mem"
ok "write layer 2 into both overlays" \
    eval 'lab_pattern_layer -d "$URI" xrun vda 2 && lab_pattern_layer -d "$URI" xrun vdb 2'

ok "deleting d1 with its children is refused before libvirt (9.0 and 11.3 cannot, they are external)" \
    fails sb delete xrun d1 --children
like "$OUT" "d1 is external: libvirt ${LV//./\\.} deletes external snapshots one at a time" \
    "and says why, naming the host's libvirt"
like "$OUT" "or choose metadata only" "and what would work"
ok "children only is refused too" fails sb delete xrun d1 --children-only
like "$OUT" "m1 is external" "and names the external child"
is "$(snaps xrun)" "d1 m1 " "both snapshots are still there"
is "$(lab_disk_source "$URI" xrun vda) $(lab_disk_source "$URI" xrun vdb)" \
    "$D/xrun_m1_vda.qcow2 $D/xrun_m1_vdb.qcow2" "the disks still use m1's overlays"
ok "vda still shows layers 0..2" lab_pattern_verify -d "$URI" xrun vda 3
ok "vdb still shows layers 0..2" lab_pattern_verify -d "$URI" xrun vdb 3

ok "delete the leaf snapshot with memory (libvirt merges it with block jobs)" sb delete xrun m1
# libvirt 9.0 leaves the memory file behind; 9.1 and later remove it.
if lab_daemon_at_least "$URI" 9.1.0; then
    unlike "$OUT" "detail=2" "libvirt $LV left no file behind"
    ok "it removed the memory file" absent "$D/xrun_m1.mem"
else
    like "$OUT" "detail=2" "the result lists the files libvirt left behind"
    like "$OUT" "^$D/xrun_m1.mem\$" "the memory file is among them"
fi
like "$OUT" "^job snapshot delete completed" "the delete showed as a job"
is "$(lab_disk_source "$URI" xrun vda)" "$D/xrun_d1_vda.qcow2" "vda is back on d1's overlay"
ok "vda still shows layers 0..2 byte for byte" lab_pattern_verify -d "$URI" xrun vda 3
ok "vdb still shows layers 0..2 byte for byte" lab_pattern_verify -d "$URI" xrun vdb 3
ok "removing a file the domain still uses is refused" \
    fails sb remove-files xrun "$D/xrun_d1_vda.qcow2"
ok "and the file is still there" exists "$D/xrun_d1_vda.qcow2"
if ! lab_daemon_at_least "$URI" 9.1.0; then
    ok "the memory file libvirt left behind is removed on request" \
        sb remove-files xrun "$D/xrun_m1.mem"
    ok "and it is gone" absent "$D/xrun_m1.mem"
fi

ok "delete d1: its overlays are merged down, with progress" sb delete xrun d1
like "$OUT" "^job snapshot delete completed" "each disk's merge showed as a job"
is "$(lab_disk_source "$URI" xrun vda) $(lab_disk_source "$URI" xrun vdb)" \
    "$D/xa.qcow2 $D/xb.qcow2" "both disks are on their first images again"
ok "vda shows layers 0..2 after both merges" lab_pattern_verify -d "$URI" xrun vda 3
ok "vdb shows layers 0..2 after both merges" lab_pattern_verify -d "$URI" xrun vdb 3
is "$(snaps xrun)" "" "no snapshot is left"

# ---- save with progress, restore ----
ok "save the running domain to a file" sb save xrun "$D/xrun.save"
like "$OUT" "^job save completed updates=[0-9]+ mid=[1-9][0-9]* max=[1-9][0-9]*/[1-9]" \
    "progress (memory done / total) was seen part done while the save ran"
is "$(lab_domain_state "$URI" xrun)" "shut off" "the domain stopped"
like "$(cat "$XDG_STATE_HOME/virt-snaptree/saves" 2>&1)" "	xrun	$D/xrun.save\$" \
    "the file is listed among the known save files"
ok "a save never writes over a file" fails sb save xrun "$D/xrun.save"
ok "restore it" sb restore "$D/xrun.save"
like "$OUT" "^job restore completed" "the restore ran as a job"
is "$(lab_domain_state "$URI" xrun)" "running" "the domain runs again"
ok "its disks are intact (vda)" lab_pattern_verify -d "$URI" xrun vda 3
ok "its disks are intact (vdb)" lab_pattern_verify -d "$URI" xrun vdb 3

# ---- a non-leaf external snapshot of a running domain: merged by a block job ----
lab_chain --size 1G --patterns "$D" nl.qcow2 || bail_out "images"
lab_domain_define "$URI" nrun --disk "vda=$D/nl.qcow2" --running || bail_out "domain nrun"
ok "external snapshot e1" sb create nrun e1 disk-only
ok "write 768 MiB into e1's overlay, so that merging it takes a while" \
    lab_io_write -d "$URI" nrun vda 0xcb 128M 768M
ok "external snapshot e2 on top" sb create nrun e2 disk-only
ok "write into e2's overlay" lab_io_write -d "$URI" nrun vda 0xcd 50M 64K
ok "delete e1, which has a child: its overlay is merged into the image below" sb delete nrun e1
like "$OUT" "^job snapshot delete completed updates=[0-9]+ mid=[1-9][0-9]* max=[1-9][0-9]*/[1-9]" \
    "the block job's progress was seen part done"
is "$(snaps nrun)" "e2 " "e2 is left"
is "$(lab_disk_source "$URI" nrun vda)" "$D/nrun_e2.qcow2" "vda still writes to e2's overlay"
is "$(lab_image_chain "$D/nrun_e2.qcow2" | tr '\n' ' ')" "$D/nrun_e2.qcow2 $D/nl.qcow2 " \
    "which now sits on the first image"
ok "the guest reads everything written before and after e1, byte for byte" \
    eval 'lab_pattern_verify -d "$URI" nrun vda 1 0xcd:50M:64K &&
        lab_io_verify -d "$URI" nrun vda 0xcb 128M 768M'
ok "and so does the first image, where e1's data now lives" \
    lab_io_verify "$D/nl.qcow2" 0xcb 128M 768M
lab_domain_destroy "$URI" nrun >>"$LAB_LOG" 2>&1

# ---- restore with progress: libvirt reports no job, the file read by QEMU shows it ----
lab_chain --patterns "$D" fa.qcow2 || bail_out "images"
define_filled frun --disk "vda=$D/fa.qcow2" || bail_out "domain frun"
ok "save a domain whose memory is not zero pages" sb save frun "$D/frun.save"
like "$OUT" "^job save completed updates=[0-9]+ mid=[1-9]" "its save showed progress part done"
SIZE=$(stat -c %s "$D/frun.save")
ok "the save file holds the filled memory (over 1 GiB)" test "$SIZE" -gt $((1 << 30))
ok "restore it" sb restore "$D/frun.save"
like "$OUT" "^job restore completed updates=[0-9]+ mid=[1-9][0-9]* max=[1-9][0-9]*/$SIZE\$" \
    "progress (bytes of the file read / its size) was seen part done while the restore ran"
is "$(lab_domain_state "$URI" frun)" "running" "the domain runs again"
ok "its disk is intact" lab_pattern_verify -d "$URI" frun vda 1
lab_domain_destroy "$URI" frun >>"$LAB_LOG" 2>&1
rm -f "$D/frun.save" "$LAB_TMP/fill.bin"

# ---- internal snapshots of running domains ----
lab_chain --patterns "$D" ra.qcow2 || bail_out "images"
qemu-img create -q -f raw "$D/rb.raw" 16M
lab_domain_define "$URI" rawd --disk "vda=$D/ra.qcow2" --disk "vdb=$D/rb.raw:raw" --running ||
    bail_out "domain rawd"
ok "an internal snapshot of a raw disk is refused" fails sb create rawd i1 internal --disk vdb=internal
like "$OUT" "result failed.*vdb is a raw image" "and says why"
ok "leaving the raw disk out of a running domain's internal snapshot is refused" \
    fails sb create rawd i1 internal
like "$OUT" "vdb cannot be left out: an internal snapshot of a running domain covers every" \
    "and says why (libvirt 9.0 would refuse it too)"
is "$(snaps rawd)" "" "nothing was taken"

lab_chain --patterns "$D" ia.qcow2 || bail_out "images"
lab_domain_define "$URI" irun --disk "vda=$D/ia.qcow2" --running || bail_out "domain irun"
ok "internal snapshot of a running domain (memory too)" sb create irun i1 internal
is "$(lab_domain_state "$URI" irun)" "running" "the domain runs on"
ok "write a new pattern after the snapshot" lab_io_write -d "$URI" irun vda 0xc5 50M 64K
# The pattern map does not cover 50M: read that region itself, before and after the revert.
ok "the guest sees the write before the revert" lab_io_verify -d "$URI" irun vda 0xc5 50M 64K
ok "revert to the internal snapshot" sb revert irun i1
is "$(lab_domain_state "$URI" irun)" "running" "it runs, as when the snapshot was taken"
ok "the old data reads back" lab_pattern_verify -d "$URI" irun vda 1
ok "and the region written after the snapshot holds its old zeros again" \
    lab_io_verify -d "$URI" irun vda 0x00 50M 64K

ok "an external snapshot on a domain with internal ones is refused until confirmed twice" \
    fails sb create irun e1 disk-only
like "$OUT" "mixes internal and external" "and says why"
ok "with the second confirmation it is taken" sb create irun e1 disk-only --mix-ok
ok "deleting an external snapshot whose parent is internal is refused before libvirt" \
    fails sb delete irun e1
like "$OUT" "parent i1 is internal" "and says why"
is "$(snaps irun)" "e1 i1 " "both snapshots are still there"
ok "its overlay is untouched" exists "$D/irun_e1.qcow2"
is "$(lab_disk_source "$URI" irun vda)" "$D/irun_e1.qcow2" "vda still names e1's overlay"
ok "the guest reads the same data" \
    eval 'lab_pattern_verify -d "$URI" irun vda 1 &&
        lab_io_verify -d "$URI" irun vda 0x00 50M 64K'
ok "delete e1's metadata only" sb delete irun e1 --metadata
is "$(snaps irun)" "i1 " "e1 is gone from libvirt"
ok "its overlay stays (the disk uses it)" exists "$D/irun_e1.qcow2"
ok "deleting the internal snapshot now that vda runs on an overlay is refused before libvirt" \
    fails sb delete irun i1
like "$OUT" "the internal snapshot i1 lives in $D/ia.qcow2, but the running domain writes to" "and says why"
is "$(snaps irun)" "i1 " "i1 is still known to libvirt"
is "$(img_snaps "$D/ia.qcow2")" "i1 " "and still inside its image"
is "$(lab_disk_source "$URI" irun vda)" "$D/irun_e1.qcow2" "vda still names the overlay"
ok "the guest reads the same data" lab_pattern_verify -d "$URI" irun vda 1
ok "delete i1's metadata only" sb delete irun i1 --metadata
is "$(snaps irun)" "" "no snapshot is left"

# ---- internal snapshots deleted with their children, or the children only ----
lab_chain --patterns "$D" ka.qcow2 || bail_out "images"
lab_domain_define "$URI" ktree --disk "vda=$D/ka.qcow2" --running || bail_out "domain ktree"
ok "internal snapshot k1" sb create ktree k1 internal
ok "write 0xc1 after k1" lab_io_write -d "$URI" ktree vda 0xc1 50M 64K
ok "internal snapshot k2 (child of k1)" sb create ktree k2 internal
ok "write 0xc2 after k2" lab_io_write -d "$URI" ktree vda 0xc2 51M 64K
ok "internal snapshot k3 (child of k2)" sb create ktree k3 internal
ok "write 0xc3 after k3" lab_io_write -d "$URI" ktree vda 0xc3 52M 64K
is "$(img_snaps "$D/ka.qcow2")" "k1 k2 k3 " "the image holds the three internal snapshots"
ok "delete k2's children only" sb delete ktree k2 --children-only
is "$(snaps ktree)" "k1 k2 " "libvirt has k1 and k2 left"
is "$(img_snaps "$D/ka.qcow2")" "k1 k2 " "k3 is gone from inside the image too"
ok "the current data did not change" \
    lab_pattern_verify -d "$URI" ktree vda 1 0xc1:50M:64K 0xc2:51M:64K 0xc3:52M:64K
ok "revert to k2, whose child went" sb revert ktree k2
ok "the disk reads as at k2: 0xc1 there, 0xc2 and 0xc3 not" \
    eval 'lab_pattern_verify -d "$URI" ktree vda 1 0xc1:50M:64K &&
        lab_io_verify -d "$URI" ktree vda 0x00 51M 64K 0x00 52M 64K'
ok "delete k1 with its children" sb delete ktree k1 --children
is "$(snaps ktree)" "" "libvirt has no snapshot of ktree left"
is "$(img_snaps "$D/ka.qcow2")" "" "nor does the image"
ok "the current data did not change" \
    eval 'lab_pattern_verify -d "$URI" ktree vda 1 0xc1:50M:64K &&
        lab_io_verify -d "$URI" ktree vda 0x00 51M 64K 0x00 52M 64K'

# ---- quiesce needs a guest agent that answers, not just its channel ----
lab_chain --patterns "$D" ga.qcow2 || bail_out "images"
lab_domain_define "$URI" ga --disk "vda=$D/ga.qcow2" && lab_domain_agent_channel "$URI" ga &&
    lab_domain_start "$URI" ga || bail_out "domain ga"
sb model ga
like "$OUT" "^agent channel=1 connected=0\$" "the model sees the channel, and no agent on it"
ok "a quiesced snapshot is refused before libvirt" fails sb create ga g1 disk-only --quiesce
like "$OUT" "ga cannot be quiesced: no guest agent is connected" "and says why"
is "$(snaps ga)" "" "no snapshot was taken"
is "$(lab_disk_source "$URI" ga vda)" "$D/ga.qcow2" "the disk did not move"
ok "without quiesce the snapshot is taken" sb create ga g1 disk-only
ok "and the disk reads as before" lab_pattern_verify -d "$URI" ga vda 1
lab_domain_destroy "$URI" ga >>"$LAB_LOG" 2>&1

# ---- managed save ----
lab_virsh "$URI" managedsave irun >>"$LAB_LOG" 2>&1
sb model irun
like "$OUT" "^managedsave 1" "the model shows the managed save image"
ok "remove the managed save image" sb managedsave-remove irun
sb model irun
like "$OUT" "^managedsave 0" "it is gone"
ok "a memory snapshot of a shut-off domain is refused" fails sb create irun m2 memory
like "$OUT" "is not running" "and says why"

# ---- the same host seen as remote (TCP): its files are not looked at from here ----
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
RUNIX=$(LAB_DAEMON_TCP_PORT=$port lab_daemon_start "$LAB_TMP/r") || bail_out "no TCP daemon"
lab_chain --patterns "$D" rm.qcow2 || bail_out "images"
lab_domain_define "$RUNIX" rmt --disk "vda=$D/rm.qcow2" --running || bail_out "domain rmt"
LOCAL_URI=$URI URI="qemu+tcp://127.0.0.1:$port/system"
ok "a memory snapshot over TCP" sb create rmt m1 memory
ok "its memory file is there" exists "$D/rmt_m1.mem"
ok "delete it" sb delete rmt m1
if lab_daemon_at_least "$URI" 9.1.0; then
    like "$OUT" "detail=0: snapshot m1 of rmt deleted\$" "libvirt $LV removes the memory file itself"
    ok "and it is gone" absent "$D/rmt_m1.mem"
else
    like "$OUT" "detail=0: snapshot m1 of rmt deleted; $D/rmt_m1\.mem may be left on the host \(not in a storage pool" \
        "the result says the memory file cannot be checked from a remote host, and offers no removal"
    ok "the file is indeed still there (nothing claimed it was gone)" exists "$D/rmt_m1.mem"
fi
URI=$LOCAL_URI
ok "the disk reads as before" lab_pattern_verify -d "$RUNIX" rmt vda 1

diag "lab-snap: $(lab_elapsed "$T_ALL") s"
done_testing
