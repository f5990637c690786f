#!/bin/bash
# A block job ends with its domain: destroying the domain in the middle of a bandwidth-limited
# commit shows the job failed, with the reason, instead of "running" for ever; after a restart
# the disk takes a new commit (nothing refuses it as busy), which completes byte for byte.
. "${top_srcdir:-.}/tests/lab/lab.sh"
. "$top_srcdir/tests/tui/tui-lib.sh"
. "$top_srcdir/tests/tui/merge-lib.sh"
lab_init
tui_init
plan 12
export LANG=C.UTF-8

uri=$(lab_daemon_start "$LAB_TMP/d") || bail_out "no daemon"
I=$LAB_TMP/img
lab_chain --patterns "$I" st-base.qcow2 st-mid.qcow2 st-top.qcow2 >/dev/null || bail_out "chain"
lab_io_write "$I/st-mid.qcow2" 0xd6 50M 8M || bail_out "write"
lab_domain_define "$uri" stopper --disk "vda=$I/st-top.qcow2" --running || bail_out "define"

tui_start 200 40 -c "$uri"
ok "the chain is shown" tui_wait "st-mid.qcow2" 20
commit_plan st-mid.qcow2 1
confirm_yes
ok "the commit runs" tui_wait_line "stopper/vda" "running" 20
lab_domain_destroy "$uri" stopper || bail_out "destroy"
ok "the job shows failed once the domain is gone" tui_wait_line "stopper/vda" "failed" 15
ok "with the reason" tui_wait_line "stopper/vda" "the domain stopped (destroyed) while the job ran" 5
unlike "$(tui_screen)" "jobs? running" "the title counts no running job"
is "$(file_chain "$I/st-top.qcow2")" "st-top.qcow2 st-mid.qcow2 st-base.qcow2" "the chain is as it was"
ok "every byte reads back through it" lab_pattern_verify "$I/st-top.qcow2" 3 0xd6:50M:8M

lab_domain_start "$uri" stopper || bail_out "start"
ok "the interface shows the domain running again" tui_wait_line "stopper" "running" 20
commit_plan st-mid.qcow2 0
unlike "$(tui_screen)" "A job is already running" "the plan does not refuse the disk as busy"
confirm_yes
ok "the new commit completes" wait_output 60 "st-top.qcow2 st-base.qcow2" live_chain "$uri" stopper
ok "the panel says so" tui_wait_line "stopper/vda" "completed" 15
ok "every byte reads back through the new chain" lab_pattern_verify -d "$uri" stopper vda 3 0xd6:50M:8M
tui_keys q
tui_wait "__EXITED__" 5
done_testing
