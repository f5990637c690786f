#!/bin/bash
# Snapshots over a real SSH connection (qemu+ssh:// through an OpenSSH server of the test's own,
# tests/lab/ssh-lib.sh), as tui-snap.sh does them on the local socket: an external disk-only
# snapshot of a running domain through the form, an internal snapshot and a revert to it, a save
# and a restore from the list of save files. Data is checked byte for byte.
. "${top_srcdir:-.}/tests/lab/lab.sh"
. "$top_srcdir/tests/lab/ssh-lib.sh"
. "$top_srcdir/tests/tui/tui-lib.sh"
. "$top_srcdir/tests/tui/snap-tui-lib.sh"
lab_init
lab_ssh_need
tui_init
plan 21
export XDG_STATE_HOME=$LAB_TMP/state
T_ENV="XDG_STATE_HOME=$XDG_STATE_HOME LANG=C.UTF-8"

uri=$(lab_daemon_start "$LAB_TMP/d") || bail_out "no daemon"
lab_sshd_start "$LAB_TMP/ssh" || bail_out "no sshd"
suri=$(lab_ssh_uri "$LAB_TMP/ssh" "$uri")
D=$LAB_TMP/img
lab_chain --patterns "$D" tv.qcow2 || bail_out "images"
lab_domain_define "$uri" tv --disk "vda=$D/tv.qcow2" --running || bail_out "domain tv"
lab_chain --patterns "$D" tr.qcow2 || bail_out "images"
lab_domain_define "$uri" tr --disk "vda=$D/tr.qcow2" --running || bail_out "domain tr"
snaps() { lab__virsh_q "$uri" snapshot-list "$1" --name | sed '/^$/d' | tr '\n' ' '; }

tui_start 160 48 -c "$suri"
ok "the tree shows both domains over ssh" wait_for "tr.qcow2" 30

# An external disk-only snapshot of the running tv, named in the form.
select_row tv
tui_keys s
ok "s opens the snapshot form" wait_for "New snapshot"
tui_keys Enter
wait_for "Snapshot name" 5
tui_keys C-u
tui_type "s1"
tui_keys Enter
ok "the overlay is named after the snapshot" wait_for "$D/tv_s1.qcow2" 5
tui_keys Down Down Down Down Enter
ok "the plan screen opens" wait_for "Snapshot s1 of tv"
type_yes
ok "the snapshot is taken" wait_for "snapshot s1 of tv taken" 30
is "$(lab_disk_source "$uri" tv vda)" "$D/tv_s1.qcow2" "libvirt moved vda onto the new overlay"
ok "the guest writes into the overlay" lab_pattern_layer -d "$uri" tv vda 1
ok "and reads both layers through the chain" lab_pattern_verify -d "$uri" tv vda 2
ok "the base keeps only its own layer" lab_pattern_verify "$D/tv.qcow2" 1

# An internal snapshot of the running tr, data written after it, a revert.
select_row tr
tui_keys s
wait_for "New snapshot"
tui_keys Down Down Enter
wait_for "external with memory (a system checkpoint)" 5
tui_keys Enter
ok "the kind changes to internal" wait_for "internal (disks and memory inside the qcow2 images)" 5
tui_keys Up Up Enter
wait_for "Snapshot name" 5
tui_keys C-u
tui_type "i1"
tui_keys Enter Down Down Down Down Enter
ok "the internal snapshot's plan" wait_for "Snapshot i1 of tr"
type_yes
ok "the internal snapshot is taken" wait_for "snapshot i1 of tr taken" 60
is "$(snaps tr)" "i1 " "libvirt has it"
ok "data written after it" lab_io_write -d "$uri" tr vda 0xc9 50M 64K
select_row "i1" "Snapshot     i1"
tui_keys r
ok "the revert plan says what is lost" wait_for "everything written to the disks since i1"
type_yes
ok "the domain is reverted" wait_for "tr reverted to snapshot i1" 60
ok "the disk reads as at the snapshot, the later write gone" \
    eval 'lab_pattern_verify -d "$uri" tr vda 1 && lab_io_verify -d "$uri" tr vda 0x00 50M 64K'

# Save, then restore from the list of save files.
select_row tr
tui_keys S
wait_for "Save tr to a file"
type_yes
ok "the save completes" wait_for "tr saved to $D/" 60
is "$(lab_domain_state "$uri" tr)" "shut off" "the domain stopped"
tui_keys R
wait_for "Restore a domain from a save file"
tui_keys Enter
wait_for "Restore from tr_"
# A remote host's file is known only once the host has read it: until then the plan refuses it
# (and Enter would close it). The prompt for yes appears when it is known.
plan_asks "the domain tr is brought back from $D/tr_" 30
type_yes
ok "the restore completes" wait_for "tr restored from" 60
ok "tr runs again with its disk intact" \
    eval '[ "$(lab_domain_state "$uri" tr)" = running ] && lab_pattern_verify -d "$uri" tr vda 1'
tui_keys Escape q
wait_for "__EXITED__ 0" 10
done_testing
