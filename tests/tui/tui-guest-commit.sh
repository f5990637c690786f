#!/bin/bash
# A guest that writes while an active commit runs loses nothing: a tiny Linux guest writes
# numbered, fsynced records; an external snapshot puts an overlay on top; the overlay is committed
# back into the base through the interface and pivoted while the guest keeps writing; every record
# is then in the base, byte for byte.
. "${top_srcdir:-.}/tests/lab/lab.sh"
. "$top_srcdir/tests/lab/guest.sh"
. "$top_srcdir/tests/tui/tui-lib.sh"
. "$top_srcdir/tests/tui/merge-lib.sh"
lab_init
tui_init
plan 13
export LANG=C.UTF-8
N=1500
OFF=8M

uri=$(lab_daemon_start "$LAB_TMP/d") || bail_out "no daemon"
G=$LAB_TMP/g
mkdir -p "$G"
qemu-img create -q -f qcow2 "$G/guest.qcow2" 64M
ok "the guest starts writing $N records" \
    lab_guest_define "$uri" writer "$G/guest.qcow2" --records "$N" --interval-ms 5 --end halt
ok "it confirms record 50" lab_guest_wait_written "$uri" writer 50 60
ok "an external snapshot while it writes" \
    lab_snapshot_external "$uri" writer s1 vda "$G/guest_s1.qcow2"

tui_start 120 40 -c "$uri"
ok "the interface shows the overlay" tui_wait_line "guest_s1" "◀ you are here" 45
k=$(lab_guest_last_written "$uri" writer)
ok "the guest writes on into the overlay" lab_guest_wait_written "$uri" writer $((k + 50)) 30
select_node "guest_s1.qcow2"
tui_keys c
tui_wait "down into which layer?" 5
tui_keys Enter
ok "an active commit plan" tui_wait "READY" 10
confirm_yes
ok "the commit becomes ready while the guest writes" tui_wait "vda of writer ready: P to pivot/keep" 60
k=$(lab_guest_last_written "$uri" writer)
ok "the guest writes on while QEMU mirrors" lab_guest_wait_written "$uri" writer $((k + 100)) 30
tui_keys P
tui_wait "is ready" 10
tui_keys p
ok "pivot: the disk runs on the base again" \
    wait_output 30 "$G/guest.qcow2" lab_disk_source "$uri" writer vda
ok "the guest confirms all $N records" lab_guest_wait "$uri" writer "all written $N" 120
tui_keys q
tui_wait "__EXITED__" 5
ok "the guest powers itself off" lab__wait_state "$uri" writer "shut off" 30
ok "the base alone holds every record byte for byte" lab_guest_verify "$G/guest.qcow2" "$N" "$OFF"
is "$(lab_image_backing "$G/guest.qcow2")" "" "and has no backing file"
done_testing
