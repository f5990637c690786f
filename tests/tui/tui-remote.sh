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
plan 25
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
# The domain is shut off before the job starts, so its state proves nothing: the chain does.
ok "the job runs to its end" wait_output 60 "top.qcow2 base.qcow2" file_chain "$I/top.qcow2"
ok "and the domain is shut off again" wait_output 30 "shut off" lab_domain_state "$turi" far
ok "every byte reads back through the new chain" lab_pattern_verify "$I/top.qcow2" 3
ok "the interface shows the new chain" tui_wait_gone "mid.qcow2" 15

# An active commit on the remote domain started paused, at 1 MiB/s; the admin quits anyway in
# the middle. The job becomes ready in QEMU with the domain paused; the next interface offers
# to finish it the way the plan said: pivot, then shut the domain off.
lab_io_write "$I/top.qcow2" 0xdc 8M 5M || bail_out "write"
tui_keys F5
select_node top.qcow2
tui_keys c
tui_wait "down into which layer?" 5
tui_keys Enter
ok "the active commit is refused until the domain may be started" tui_wait "This plan is refused" 5
unlike "$(tui_screen)" "3  bandwidth limit" "the refused plan offers only the option that lifts it"
tui_keys 4
# The note is below the plan's fold at 40 rows (the space lines come first): scroll to it.
tui_wait "start the domain paused for the job: yes" 5
tui_keys PgDn
ok "with start paused the plan says this interface finishes the job" \
    tui_wait "This interface finishes the job" 10 || diag "$(tui_screen)"
set_bandwidth 1
confirm_yes
ok "the active commit runs" tui_wait_line "far/vda" "running" 30
tui_keys q
ok "q asks first" tui_wait "Quit now?" 5
tui_keys q
ok "quit anyway" tui_wait "__EXITED__ 0" 5
tui_stop
job_ready() { lab_virsh "$turi" blockjob far vda --info 2>&1 | grep -q "Active Block Commit: \[100 %\]"; }
ok "the job becomes ready without the interface" wait_true 60 job_ready
is "$(lab_domain_state "$turi" far)" "paused" "the domain waits paused"
tui_start 120 40 -c "$turi"
ok "the next interface offers to finish it" tui_wait "Left to do by an earlier session: far/vda" 30
tui_keys p
ok "p pivots and shuts the domain off" wait_output 30 "shut off" lab_domain_state "$turi" far
is "$(lab_disk_source "$turi" far vda)" "$I/base.qcow2" "the domain now runs on the base"
ok "every byte reads back from the base" lab_pattern_verify "$I/base.qcow2" 3 0xdc:8M:5M
ok "the interface says so" tui_wait "pivoted, and far shut off again" 15
tui_keys q
tui_wait "__EXITED__" 5
done_testing
