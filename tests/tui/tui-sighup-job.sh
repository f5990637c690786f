#!/bin/bash
# Jobs belong to QEMU: the interface is killed with SIGHUP (a dropped SSH session) in the middle
# of a bandwidth-limited commit; the job goes on to completion, and a new interface finds it
# running, follows it, and shows the new chain. The data is checked byte for byte.
. "${top_srcdir:-.}/tests/lab/lab.sh"
. "$top_srcdir/tests/tui/tui-lib.sh"
. "$top_srcdir/tests/tui/merge-lib.sh"
lab_init
tui_init
plan 11
export LANG=C.UTF-8

uri=$(lab_daemon_start "$LAB_TMP/d") || bail_out "no daemon"
I=$LAB_TMP/img
lab_chain --patterns "$I" base.qcow2 mid.qcow2 top.qcow2 >/dev/null || bail_out "chain"
# 6 MiB in the middle layer: at 1 MiB/s the commit takes several seconds.
lab_io_write "$I/mid.qcow2" 0xd2 50M 6M || bail_out "write"
lab_domain_define "$uri" vm --disk "vda=$I/top.qcow2" --running || bail_out "define"

tui_start 120 40 -c "$uri"
ok "the chain is shown" tui_wait "mid.qcow2" 20
select_node "mid.qcow2"
tui_keys c
tui_wait "down into which layer?" 5
tui_keys Enter
tui_wait "3  bandwidth limit" 10
tui_keys 3
tui_wait "MiB/s (0 = unlimited)" 5
tui_keys C-u; tui_type 1; tui_keys Enter
tui_wait "3  bandwidth limit: 1 MiB/s" 5
confirm_yes
ok "the commit runs" tui_wait "commit running" 20
sleep 1
kill -HUP "$(tui_pid)"
ok "SIGHUP ends the interface (status 129)" tui_wait "__EXITED__ 129" 5
is "$(tmux -S "$T_SOCK" display -p -t t '#{alternate_on}')" 0 "the terminal is restored"
out=$(lab_virsh "$uri" blockjob vm vda --info 2>&1)
like "$out" "Block Commit" "the job still runs in QEMU after the interface is gone"
tmux -S "$T_SOCK" kill-server
sleep 0.3

tui_start 120 40 -c "$uri"
ok "a new interface finds the running job at start" tui_wait "commit" 20
like "$(tui_screen)" "vm/vda +commit" "the jobs panel lists it"
ok "the job completes" wait_output 60 "top.qcow2 base.qcow2" live_chain "$uri" vm
ok "the new interface shows the new chain by itself" tui_wait_gone "mid.qcow2" 15
ok "and the job as completed" tui_wait "completed" 10
ok "every byte reads back through the new chain" \
    lab_pattern_verify -d "$uri" vm vda 3 0xd2:50M:6M
tui_keys q
tui_wait "__EXITED__" 5
done_testing
