#!/bin/bash
# Where a domain is now against its current snapshot, on a real libvirtd: right after an internal
# snapshot of the shut-off domain it is there ("current: you are here"); once it runs, and after it
# ran and wrote to its disk and stopped, it is NOW, below the snapshot; reverted to the snapshot it
# is there again. The create form offers a shut-off domain no snapshot with memory and says why; a
# domain that mixes snapshot kinds already is not asked a second time for every snapshot. Every
# byte is checked.
. "${top_srcdir:-.}/tests/lab/lab.sh"
. "$top_srcdir/tests/tui/tui-lib.sh"
. "$top_srcdir/tests/tui/merge-lib.sh"
lab_init
tui_init
plan 20
export LANG=C.UTF-8

uri=$(lab_daemon_start "$LAB_TMP/d") || bail_out "no daemon"
I=$LAB_TMP/img
lab_chain --patterns "$I" nv.qcow2 >/dev/null || bail_out "image"
lab_domain_define "$uri" nv --disk "vda=$I/nv.qcow2" --shutoff || bail_out "define nv"
lab_virsh "$uri" snapshot-create-as nv s1 >/dev/null || bail_out "snapshot s1"
lab_chain --patterns "$I" mx.qcow2 >/dev/null || bail_out "image"
lab_domain_define "$uri" mx --disk "vda=$I/mx.qcow2" --shutoff || bail_out "define mx"
lab_virsh "$uri" snapshot-create-as mx i1 >/dev/null &&
    lab_virsh "$uri" snapshot-create-as mx e1 --disk-only \
        --diskspec "vda,snapshot=external,file=$I/mx_e1.qcow2" >/dev/null || bail_out "mixed"

tui_start 160 50 -c "$uri"
ok "the snapshots are shown" tui_wait "s1 ◀ current" 20

# 1. Just taken, shut off: the domain is at its current snapshot.
ok "right after it, the domain is at the snapshot" tui_wait "s1 ◀ current: you are here" 10
unlike "$(tui_screen)" "NOW" "no NOW row"

# 2. The create form: no snapshot with memory for a shut-off domain, and why.
select_node nv
tui_keys s
ok "the form opens" tui_wait "New snapshot" 5
like "$(tui_screen)" "not offered: external with memory; the domain is not running: no memory to save" \
    "it says which kind is not offered, and why"
kinds=""
for _ in 1 2 3; do
    tui_keys Down Down Enter Up Up # the kind changes; the focus goes back to the top
    kinds+=$(tui_screen | grep -o "Kind  .*")$'\n'
done
unlike "$kinds" "external with memory \(a system" "changing the kind never offers it"
tui_keys Escape

# 3. It runs: it has moved on, and is NOW, below the snapshot.
lab_domain_start "$uri" nv || bail_out "start"
ok "once it runs, the snapshot is only current" tui_wait_gone "s1 ◀ current: you are here" 20
ok "and the domain is NOW, below it" tui_wait_line "NOW ◀ you are here (moved on)" "running" 10

# 4. It wrote to its disk and stopped: still moved on.
ok "the guest writes" lab_io_write -d "$uri" nv vda 0xe5 50M 1M
lab_domain_destroy "$uri" nv || bail_out "destroy"
ok "stopped, the domain is NOW, shut off" tui_wait_line "NOW ◀ you are here (moved on)" "shut off" 20
select_node NOW
ok "the details say how that is known" \
    tui_wait "How known    its disks were written since the snapshot" 5

# 5. Reverted to the snapshot: there again, and the write is gone.
lab_virsh "$uri" snapshot-revert nv s1 >/dev/null || bail_out "revert"
tui_keys F5
ok "reverted, the domain is at the snapshot again" tui_wait "s1 ◀ current: you are here" 20
unlike "$(tui_screen)" "NOW ◀" "the NOW row is gone"
ok "the data is as at the snapshot" \
    eval 'lab_pattern_verify "$I/nv.qcow2" 1 && lab_io_verify "$I/nv.qcow2" 0x00 50M 1M'

# 6. mx mixes internal and external snapshots already: one more is not asked about twice.
select_node mx
tui_keys s
tui_wait "New snapshot" 5
tui_keys Enter
tui_wait "Snapshot name" 5
tui_keys C-u
tui_type "e2"
tui_keys Enter Down Down Down Down Enter
ok "the plan" tui_wait "Snapshot e2 of mx" 10
like "$(tui_screen)" "mixes internal and external snapshots already" "says the domain mixes kinds already"
confirm_yes
ok "the snapshot is taken" tui_wait "snapshot e2 of mx taken" 30
unlike "$(tui_screen)" "asked a second time" "without a second question"
is "$(lab_virsh "$uri" snapshot-list mx --name | sed '/^$/d' | sort | tr '\n' ' ')" "e1 e2 i1 " \
    "libvirt has the three snapshots"
ok "mx's disk reads as before through its new overlay" lab_pattern_verify "$I/mx_e2.qcow2" 1
tui_keys q
tui_wait "__EXITED__" 5
done_testing
