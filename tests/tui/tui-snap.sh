#!/bin/bash
# Snapshots through the real TUI in tmux, against a private libvirtd of the lab: the create form,
# revert by branching (the old overlay shown as a detached branch), a refused delete that says
# why, metadata-only delete, an internal snapshot and revert of a running domain, the second
# confirmation before mixing snapshot kinds, save with progress in the jobs panel and restore from
# the list of known save files. Data is checked byte for byte with lab.sh. TAP (lab.sh helpers).
if [ -z "${BASH_VERSION:-}" ]; then
    exec bash "$0" "$@"
fi
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
# shellcheck source=tests/lab/lab.sh
. "$top_srcdir/tests/lab/lab.sh"
# tmux driving from tui-lib.sh (its TAP helpers are lab.sh's).
. "$top_srcdir/tests/tui/tui-lib.sh"
. "$top_srcdir/tests/tui/snap-tui-lib.sh"
set +u

snap_tui_lab
# What differs by the host's libvirt besides NATIVE: 9.1 removes the memory file of a deleted
# snapshot.
REMOVES_MEM=$(lab_daemon_at_least "$URI" 9.1.0 && echo 1)
lab_chain --patterns "$D" tv.qcow2 || bail_out "images"
lab_chain --patterns "$D" tr.qcow2 || bail_out "images"
lab_domain_define "$URI" tv --disk "vda=$D/tv.qcow2" || bail_out "domain tv"
lab_domain_define "$URI" tr --disk "vda=$D/tr.qcow2" || bail_out "domain tr"
# 16 GiB of untouched RAM: nothing is allocated, but a save scans it long enough to show progress.
lab__virsh_q "$URI" dumpxml tr --inactive |
    sed -e "s|<memory unit='KiB'>[0-9]*</memory>|<memory unit='GiB'>16</memory>|" \
        -e "s|<currentMemory unit='KiB'>[0-9]*</currentMemory>|<currentMemory unit='GiB'>16</currentMemory>|" \
        >"$LAB_TMP/tr.xml" && lab_virsh "$URI" define "$LAB_TMP/tr.xml" >>"$LAB_LOG" 2>&1
lab_domain_start "$URI" tr || bail_out "start tr"
# A guest agent channel with no agent behind it (no OS): quiesce must default to off.
lab_chain --size 1G --patterns "$D" ta.qcow2 || bail_out "images"
lab_domain_define "$URI" ta --disk "vda=$D/ta.qcow2" && lab_domain_agent_channel "$URI" ta &&
    lab_domain_start "$URI" ta || bail_out "domain ta"
# A revert libvirt 9.0 calls risky: to a snapshot without memory while a managed save exists.
lab_chain --patterns "$D" tf.qcow2 || bail_out "images"
lab_domain_define "$URI" tf --disk "vda=$D/tf.qcow2" || bail_out "domain tf"
lab_virsh "$URI" snapshot-create-as tf f1 >>"$LAB_LOG" 2>&1
lab_domain_start "$URI" tf && lab_io_write -d "$URI" tf vda 0xca 50M 64K &&
    lab_virsh "$URI" managedsave tf >>"$LAB_LOG" 2>&1 || bail_out "domain tf"
managed_save() { lab__virsh_q "$URI" dominfo "$1" | awk '/^Managed save:/ { print $3 }'; }

snaps() { lab__virsh_q "$URI" snapshot-list "$1" --name | sed '/^$/d' | tr '\n' ' '; }

tui_start 160 48 -c "$URI"
ok "the tree shows both domains" wait_for "tv.qcow2" 20

# ---- create through the form: external disk-only on a shut-off domain ----
select_row tv
tui_keys s
ok "s opens the snapshot form" wait_for "New snapshot"
ok "the form defaults to the article's kind" screen_has "external disk-only (one overlay per disk)"
like "$(tui_screen)" "Disk vda +external +$D/tv_[0-9]{8}-[0-9]{6}\.qcow2" \
    "with the article's overlay name for a timestamp name"
tui_keys Enter
wait_for "Snapshot name" 5
tui_keys C-u
tui_type "ui1"
tui_keys Enter
ok "renaming updates the overlay name" wait_for "$D/tv_ui1.qcow2" 5
tui_keys Down Down Down Down Enter
ok "the plan screen opens" wait_for "Snapshot ui1 of tv"
ok "it says what is lost" screen_has "nothing: taking a snapshot changes no data"
ok "and what runs" screen_has "virDomainSnapshotCreateXML(tv, <domainsnapshot>, VALIDATE | ATOMIC | DISK_ONLY)"
type_yes
ok "the result shows in the status line" wait_for "snapshot ui1 of tv taken" 30
is "$(lab_disk_source "$URI" tv vda)" "$D/tv_ui1.qcow2" "libvirt moved vda onto the new overlay"
ok "write layer 1 into the overlay" lab_pattern_layer "$D/tv_ui1.qcow2" 1

# ---- revert: by branching (9.0), by libvirt keeping the old overlay (9.9 and later) ----
ok "the snapshot is selected" select_row "ui1" "Snapshot     ui1"
tui_keys r
ok "r opens the revert plan" wait_for "Revert tv to snapshot ui1"
if [ -n "$NATIVE" ]; then
    ok "it says libvirt reverts" screen_has "libvirt $LV reverts to the external snapshot itself"
    ok "and that the overlay libvirt removes is kept" wait_for "$D/tv_ui1.qcow2.virt-snaptree-keep" 5
else
    ok "it says the revert is done by branching" screen_has "no external revert: a new overlay is created"
fi
ok "and that nothing is deleted" screen_has "nothing is deleted: "
type_yes
if [ -n "$NATIVE" ]; then
    ok "the revert reports the kept overlay" wait_for "what libvirt removed is kept as detached branches" 30
else
    ok "the revert reports the branch" wait_for "reverted to ui1 by branching" 30
fi
NEW=$(lab_disk_source "$URI" tv vda)
if [ -n "$NATIVE" ]; then
    like "$NEW" "^$D/tv\.[0-9]+\$" "vda is on libvirt's new overlay"
else
    like "$NEW" "^$D/tv_ui1\.branch-" "vda is on the branch's new overlay"
fi
ok "the disk reads as at ui1 (layer 0 only)" lab_pattern_verify "$NEW" 1
ok "the old overlay keeps its data (layers 0..1)" lab_pattern_verify "$D/tv_ui1.qcow2" 2
ok "the tree shows it as a detached branch" wait_for "tv_ui1.qcow2 (detached branch)" 10

# ---- delete: 9.0 refuses it with the reason; either way, metadata only ----
select_row "ui1" "Snapshot     ui1"
tui_keys d
ok "d opens the delete plan" wait_for "Delete snapshot ui1 of tv"
if [ -n "$NATIVE" ]; then
    # libvirt's revert gave ui1 the new overlay: deleting it merges that into tv.qcow2.
    ok "the plan merges the overlay libvirt made" wait_for "$NEW is merged into the image below it" 5
else
    ok "the plan is refused" screen_has "This plan is refused (see above)"
    ok "and says why" screen_has "is not in the disk's chain"
fi
is "$(lab_disk_source "$URI" tv vda)" "$NEW" "the plan left vda where it was"
ok "and the data as it was" \
    eval 'lab_pattern_verify "$NEW" 1 && lab_pattern_verify "$D/tv_ui1.qcow2" 2'
tui_keys 2
ok "metadata only makes it possible" wait_for "Type yes and press Enter" 5
type_yes
ok "the snapshot is deleted" wait_for "snapshot ui1 of tv deleted" 30
is "$(snaps tv)" "" "libvirt has no snapshot of tv left"
ok "the overlay is still there" test -e "$D/tv_ui1.qcow2"

# ---- a name and description with markup and Chinese, typed in the form ----
select_row tv
tui_keys s
wait_for "New snapshot"
tui_keys Enter
wait_for "Snapshot name" 5
tui_keys C-u
tui_type 'q<&"'"'"'快照'
tui_keys Enter Down Enter
wait_for "Description" 5
tui_type 'd<&"'"'"'描述'
tui_keys Enter Down Down Down Enter
ok "the plan names the snapshot as typed" wait_for "Snapshot q<&\"'快照 of tv"
type_yes
ok "it is taken" wait_for "of tv taken" 30
like "$(lab__virsh_q "$URI" snapshot-list tv --name)" "^q<&\"'快照\$" "libvirt has the name exactly"
like "$(lab__virsh_q "$URI" snapshot-dumpxml tv 'q<&"'"'"'快照')" \
    "<description>d&lt;&amp;&quot;&apos;描述</description>" "and the description"

# ---- internal snapshot and revert of a running domain; mixing asks twice ----
select_row tr
tui_keys s
wait_for "New snapshot"
tui_keys Down Down Enter
ok "Enter on the kind changes it" wait_for "external with memory (a system checkpoint)" 5
tui_keys Enter
ok "and again" wait_for "internal (disks and memory inside the qcow2 images)" 5
tui_keys Down Space Space
# (Waited for: read at once, the screen may not show the two keys yet on a loaded machine.)
ok "a disk cycled from internal through no back to external gets the default overlay name" \
    tui_until 5 screen_matches "Disk vda +external +$D/tr_[0-9]{8}-[0-9]{6}\.qcow2"
tui_keys Space Up Up Up Enter
wait_for "Snapshot name" 5
tui_keys C-u
tui_type "i1"
tui_keys Enter Down Down Down Down Enter
ok "the internal snapshot's plan" wait_for "Snapshot i1 of tr"
type_yes
ok "the internal snapshot is taken" wait_for "snapshot i1 of tr taken" 60
ok "write data after it" lab_io_write -d "$URI" tr vda 0xc9 50M 64K
ok "the guest sees it before the revert" lab_io_verify -d "$URI" tr vda 0xc9 50M 64K
select_row "i1" "Snapshot     i1"
tui_keys r
ok "the revert plan says what is lost" wait_for "everything written to the disks since i1"
tui_keys 1
ok "1 chooses the state afterwards" wait_for "state afterwards: running" 5
type_yes
ok "the domain is reverted" wait_for "tr reverted to snapshot i1" 60
is "$(lab_domain_state "$URI" tr)" "running" "and runs"
ok "the disk reads as at the snapshot" lab_pattern_verify -d "$URI" tr vda 1
ok "the region written after the snapshot holds its old zeros again" \
    lab_io_verify -d "$URI" tr vda 0x00 50M 64K

select_row tr
tui_keys s
wait_for "New snapshot"
ok "the form keeps a domain with internal snapshots on internal" \
    wait_for "internal (disks and memory inside the qcow2 images)" 5
tui_keys Down Down Enter
wait_for "external disk-only (one overlay per disk)" 5
tui_keys Down Down Enter
ok "mixing kinds is warned about" wait_for "Warning: tr already has 1 internal snapshot(s)"
type_yes
ok "and asked a second time" wait_for "Mix snapshot kinds? (asked a second time)" 10
tui_keys Enter
ok "No leaves everything as it was" wait_for "not mixed: nothing was changed" 10
is "$(snaps tr)" "i1 " "only the internal snapshot exists"

# ---- save with progress, restore from the list ----
select_row tr
tui_keys S
ok "S opens the save plan" wait_for "Save tr to a file"
# Watch the jobs panel while the save runs: the bar moves before the job completes.
type_yes
seen=""
for _ in $(seq 1 100); do
    s=$(tui_screen)
    [ -z "${TUI_DUMP:-}" ] || grep -E "^ tr " <<<"$s" >>"$TUI_DUMP"
    if grep -Eq "tr +save .* running +([1-9][0-9]?)% " <<<"$s"; then
        seen=1
        break
    fi
    grep -q "tr saved to" <<<"$s" && break
    sleep 0.05
done
ok "the jobs panel showed the save's progress while it ran" test -n "$seen"
ok "the save completes" wait_for "tr saved to $D/" 60
is "$(lab_domain_state "$URI" tr)" "shut off" "the domain stopped"
tui_keys R
ok "R lists the known save files" wait_for "Restore a domain from a save file"
ok "with the file just saved" screen_has "$D/tr_"
tui_keys Enter
ok "the restore plan opens" wait_for "Restore from tr_"
ok "the plan asks for yes once made" plan_asks "the domain tr is brought back from $D/tr_" 30
type_yes
ok "the restore completes" wait_for "tr restored from" 60
is "$(lab_domain_state "$URI" tr)" "running" "the domain runs again"
ok "its disk is intact" lab_pattern_verify -d "$URI" tr vda 1

# ---- quiesce: a channel is not an agent ----
select_row ta
tui_keys s
ok "the form opens for the domain with an agent channel" wait_for "New snapshot"
like "$(tui_screen)" "Quiesce +no: no guest agent is connected \(none runs in the guest" \
    "quiesce defaults to off and the form says why"
tui_keys Down Down Down Enter
ok "it cannot be switched on" wait_for "quiesce is off: no guest agent is connected" 5
tui_keys Down Down Enter
ok "the plan takes the snapshot without QUIESCE" \
    wait_for "virDomainSnapshotCreateXML(ta, <domainsnapshot>, VALIDATE | ATOMIC | DISK_ONLY)"
tui_keys Escape

# ---- a memory snapshot, then its delete and the memory file libvirt leaves behind ----
select_row ta
tui_keys s
wait_for "New snapshot"
tui_keys Down Down Enter
ok "the kind changes to a memory snapshot" wait_for "external with memory (a system checkpoint)" 5
tui_keys Up Up Enter
wait_for "Snapshot name" 5
tui_keys C-u
tui_type "m1"
tui_keys Enter
ok "the memory file is named after the snapshot" wait_for "$D/ta_m1.mem" 5
tui_keys Down Down Down Down Down Down Enter
ok "the memory snapshot's plan" wait_for "Snapshot m1 of ta"
type_yes
ok "the memory snapshot is taken" wait_for "snapshot m1 of ta taken" 60
ok "its memory file exists" test -e "$D/ta_m1.mem"
is "$(lab_disk_source "$URI" ta vda)" "$D/ta_m1.qcow2" "vda writes to the new overlay"
# 768 MiB to merge: the delete takes long enough to hide its wait screen first.
ok "write into the overlay" lab_io_write -d "$URI" ta vda 0xce 52M 64K 0xcf 128M 768M
select_row "m1" "Snapshot     m1"
tui_keys d
ok "the delete plan opens" wait_for "Delete snapshot m1 of ta"
if [ -n "$REMOVES_MEM" ]; then
    ok "it says libvirt removes the memory file" \
        screen_has "libvirt $LV removes the memory file $D/ta_m1.mem"
else
    ok "it lists the memory file libvirt will leave behind" screen_has "Files left behind"
fi
type_yes
tui_keys Escape
ok "Esc hides the wait screen while the delete runs" \
    tui_wait_gone "Running… progress shows in the jobs panel." 5
if [ -n "$REMOVES_MEM" ]; then
    ok "the delete is done" wait_for "snapshot m1 of ta deleted" 60
    is "$(lab_disk_source "$URI" ta vda)" "$D/ta.qcow2" \
        "the overlay was merged: vda is back on its image"
    ok "libvirt removed the memory file" test ! -e "$D/ta_m1.mem"
else
    ok "when the delete is done, the removal of the memory file is offered all the same" \
        wait_for "Remove files left behind" 60
    ok "naming the file" screen_has "remove $D/ta_m1.mem"
    is "$(lab_disk_source "$URI" ta vda)" "$D/ta.qcow2" \
        "the overlay was merged: vda is back on its image"
    ok "the memory file is still there until confirmed" test -e "$D/ta_m1.mem"
    type_yes
    ok "the file is removed" wait_for "removed 1 file" 30
    ok "and gone" test ! -e "$D/ta_m1.mem"
fi
ok "the guest reads its data, the merged writes included" \
    eval 'lab_pattern_verify -d "$URI" ta vda 1 0xce:52M:64K &&
        lab_io_verify -d "$URI" ta vda 0xcf 128M 768M'

# ---- restore from a typed path (a file this tool did not write) ----
lab_virsh "$URI" save ta "$D/ta-typed.save" >>"$LAB_LOG" 2>&1
is "$(lab_domain_state "$URI" ta)" "shut off" "virsh saved ta"
tui_keys Escape R
ok "R opens the list of save files" wait_for "Restore a domain from a save file"
tui_keys End Enter
ok "the last item asks for a path" wait_for "Save file (absolute path):" 5
tui_type "$D/ta-typed.save"
tui_keys Enter
ok "the restore plan opens" wait_for "Restore from ta-typed.save"
ok "the host read the domain's name from the file" \
    plan_asks "the domain ta is brought back from $D/ta-typed.save" 30
type_yes
ok "the restore completes" wait_for "ta restored from $D/ta-typed.save" 60
is "$(lab_domain_state "$URI" ta)" "running" "ta runs again"
ok "its disk is intact" \
    eval 'lab_pattern_verify -d "$URI" ta vda 1 0xce:52M:64K &&
        lab_io_verify -d "$URI" ta vda 0xcf 128M 768M'

# ---- a revert libvirt calls risky: refused, then confirmed a second time with FORCE ----
ok "tf's write after f1 is in its image" lab_io_verify "$D/tf.qcow2" 0xca 50M 64K
select_row "f1" "Snapshot     f1"
tui_keys r
ok "the revert plan opens" wait_for "Revert tf to snapshot f1"
ok "it warns about the managed save image" \
    screen_has "tf has a managed save image: libvirt refuses this revert without FORCE"
type_yes
ok "libvirt's refusal brings the plan back with FORCE" \
    wait_for "virDomainRevertToSnapshot(f1, FORCE)" 30
ok "with FORCE's warning" wait_for "FORCE: libvirt refused without it" 5
ok "nothing was reverted yet" lab_io_verify "$D/tf.qcow2" 0xca 50M 64K
type_yes
ok "the forced revert is done" wait_for "tf reverted to snapshot f1" 30
ok "the disk reads as at f1" \
    eval 'lab_pattern_verify "$D/tf.qcow2" 1 && lab_io_verify "$D/tf.qcow2" 0x00 50M 64K'
is "$(managed_save tf)" "yes" "libvirt kept the managed save image, as the plan warned"

# ---- the revert plan removes the managed save image through its own plan ----
select_row "f1" "Snapshot     f1"
tui_keys r
ok "the revert plan offers the removal" \
    wait_for "2  remove the managed save image first (its own plan)"
tui_keys 2
ok "2 opens the removal plan" wait_for "Remove the managed save image of tf"
type_yes
ok "the managed save image is removed" wait_for "managed save image of tf removed" 30
is "$(managed_save tf)" "no" "libvirt has no managed save image of tf"
ok "the revert plan underneath is made again without it" \
    tui_wait_gone "2  remove the managed save image first" 10
ok "it is still open" screen_has "Revert tf to snapshot f1"
unlike "$(tui_screen)" "tf has a managed save image" "and no longer warns about the image"
tui_keys Escape

tui_keys Escape q
ok "q quits" wait_for "__EXITED__ 0" 10
diag "tui-snap: $(lab_elapsed "$T_ALL") s"
done_testing
