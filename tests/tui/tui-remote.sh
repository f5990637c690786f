#!/bin/bash
# A host reached over TCP is remote: for a shut-off domain the chain is read from storage pool
# volumes (or said to be unknown), and a merge is refused unless the admin lets the domain be
# started paused for the job; then the job runs, the domain is shut off again, and every byte is
# where it belongs.
. "${top_srcdir:-.}/tests/lab/lab.sh"
. "$top_srcdir/tests/tui/tui-lib.sh"
. "$top_srcdir/tests/tui/merge-lib.sh"
lab_init
tui_init
plan 12
export LANG=C.UTF-8

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
LAB_DAEMON_TCP_PORT=$port lab_daemon_start "$LAB_TMP/d" >/dev/null || bail_out "no daemon"
turi="qemu+tcp://127.0.0.1:$port/system"
ok "the daemon answers on TCP" lab_virsh "$turi" version
I=$LAB_TMP/img
lab_chain --patterns "$I" base.qcow2 mid.qcow2 top.qcow2 >/dev/null || bail_out "chain"
lab_domain_define "$turi" far --disk "vda=$I/top.qcow2" --shutoff || bail_out "define"

tui_start 120 40 -c "$turi"
ok "the remote host is shown" tui_wait "top.qcow2 ◀ you are here" 20
like "$(tui_screen)" "chain below not known" "without a pool the chain below the active layer is unknown"
lab_virsh "$turi" pool-define-as images dir --target "$I" >/dev/null &&
    lab_virsh "$turi" pool-start images >/dev/null || bail_out "pool"
tui_keys F5
ok "with the images in a pool the chain is read from its volumes" tui_wait "base.qcow2" 15
like "$(tui_screen)" "mid.qcow2" "the middle layer too"

select_node "mid.qcow2"
tui_keys c
tui_wait "down into which layer?" 5
tui_keys Enter
ok "a commit on a shut-off remote domain is refused at first" tui_wait "This plan is refused" 10
like "$(tui_screen)" "4  start the domain paused for the job: no" "and the plan offers to start it paused"
tui_keys 4
ok "with start paused the plan can run" tui_wait "Type yes and press Enter" 10
confirm_yes
ok "the job runs and the domain is shut off again" \
    wait_output 60 "shut off" lab_domain_state "$turi" far
is "$(file_chain "$I/top.qcow2")" "top.qcow2 base.qcow2" "mid.qcow2 left the chain"
ok "every byte reads back through the new chain" lab_pattern_verify "$I/top.qcow2" 3
ok "the interface shows the new chain" tui_wait_gone "mid.qcow2" 15
tui_keys q
tui_wait "__EXITED__" 5
done_testing
