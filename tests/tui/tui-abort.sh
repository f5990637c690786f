#!/bin/bash
# An active commit that is ready, then aborted ("keep the overlay"): the jobs panel says
# cancelled, as the status line does, and keeps the job listed like any finished one (it used to
# drop it at once, or show a "completed" twin: an aborted active commit reports COMPLETED).
. "${top_srcdir:-.}/tests/lab/lab.sh"
. "$top_srcdir/tests/tui/tui-lib.sh"
. "$top_srcdir/tests/tui/merge-lib.sh"
lab_init
tui_init
plan 7
export LANG=C.UTF-8

uri=$(lab_daemon_start "$LAB_TMP/d") || bail_out "no daemon"
img=$LAB_TMP/img
lab_chain --patterns "$img" base.qcow2 top.qcow2 >/dev/null || bail_out "chain"
lab_domain_define "$uri" abortvm --disk "vda=$img/top.qcow2" --running >/dev/null ||
    bail_out "define"
T_EXTRA_CLEANUP="lab_virsh '$uri' blockjob abortvm vda --abort >/dev/null 2>&1"

tui_start 130 40 -c "$uri"
ok "the chain appears" tui_wait "top.qcow2" 20
select_node "top.qcow2"
tui_keys c
tui_wait "down into which layer?" 5
tui_keys Enter
confirm_yes
ok "when ready, the status line says so" tui_wait "vda of abortvm ready: P to pivot/keep" 60
tui_keys P
tui_wait "is ready" 10
tui_keys k # keep the overlay: abort without pivot
ok "the status line says cancelled" tui_wait "job on abortvm/vda cancelled" 30
ok "the jobs panel says cancelled too" tui_wait_line "abortvm/vda " "cancelled" 10
# Later polls and refreshes must neither drop the job nor find a twin that "completed".
tui_keys F5
tui_wait_gone "refreshing" 15
s=$(tui_screen)
like "$s" "abortvm/vda .*cancelled" "after a refresh the panel still lists it cancelled"
unlike "$(grep -F 'abortvm/vda' <<<"$s")" "completed" "no line calls the job completed"
is "$(lab_disk_source "$uri" abortvm vda)" "$img/top.qcow2" "the disk stays on its overlay"
tui_keys q
tui_wait "__EXITED__" 5
done_testing
