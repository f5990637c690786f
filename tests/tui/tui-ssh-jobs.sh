#!/bin/bash
# The article's merges over a real SSH connection (qemu+ssh:// through an OpenSSH server of the
# test's own, tests/lab/ssh-lib.sh): the tree, a commit, a pull, an active commit with pivot, and a
# bandwidth-limited commit whose ssh client is killed in the middle (a dropped SSH session): the
# job goes on in QEMU, the interface connects again and follows it, and the next start shows it.
# Every result is checked byte for byte.
. "${top_srcdir:-.}/tests/lab/lab.sh"
. "$top_srcdir/tests/lab/ssh-lib.sh"
. "$top_srcdir/tests/tui/tui-lib.sh"
. "$top_srcdir/tests/tui/merge-lib.sh"
lab_init
lab_ssh_need
tui_init
plan 26
export LANG=C.UTF-8

uri=$(lab_daemon_start "$LAB_TMP/d") || bail_out "no daemon"
lab_sshd_start "$LAB_TMP/ssh" || bail_out "no sshd"
suri=$(lab_ssh_uri "$LAB_TMP/ssh" "$uri")
A=$LAB_TMP/art
lab_article_chain "$uri" "$A" running || bail_out "article chain"
P=$LAB_TMP/pl
lab_chain --patterns "$P" pl-base.qcow2 pl-mid.qcow2 pl-top.qcow2 >/dev/null || bail_out "chain"
lab_domain_define "$uri" pl --disk "vda=$P/pl-top.qcow2" --running || bail_out "define pl"
S=$LAB_TMP/slow
lab_chain --patterns "$S" sl-base.qcow2 sl-mid.qcow2 sl-top.qcow2 >/dev/null || bail_out "chain"
# 12 MiB at 1 MiB/s: the commit outlasts the dropped session and the restart below.
lab_io_write "$S/sl-mid.qcow2" 0xd2 50M 12M || bail_out "write"
lab_domain_define "$uri" slow --disk "vda=$S/sl-top.qcow2" --running || bail_out "define slow"

tui_start 130 45 -c "$suri"
ok "the article's chain is shown over ssh" tui_wait "test2_lsof" 30
ssh_pid=$(lab_ssh_client_pid "$(tui_pid)")
ok "through an ssh client the program started" test -n "$ssh_pid"
ok "which logged in through the test's sshd" test -n "$(lab_sshd_sessions "$LAB_TMP/ssh")"

# The article: test2_net-tools and test2_nmap into test2_test.
select_node "net-tools.qcow2"
tui_keys c
tui_wait "down into which layer?" 5
tui_keys Down Enter
ok "the commit's plan" tui_wait "Commit test2_net-tools.qcow2 into test2_test.qcow2" 15
confirm_yes
ok "the commit is done" \
    wait_output 30 "test2_lsof.qcow2 test2_test.qcow2 test2.qcow2 centos.qcow2" live_chain "$uri" test2
ok "the interface shows the new chain" tui_wait_gone "test2_nmap.qcow2" 15
ok "every layer's data reads back" lab_pattern_verify -d "$uri" test2 vda 6

# A pull of pl-mid into pl-top.
select_node "pl-top.qcow2"
tui_keys p
tui_wait "down to which base?" 5
tui_keys End Enter
ok "the pull's plan" tui_wait "virsh blockpull pl vda --base $P/pl-base.qcow2" 15
confirm_yes
ok "the pull is done" wait_output 30 "pl-top.qcow2 pl-base.qcow2" live_chain "$uri" pl
ok "every byte reads back" lab_pattern_verify -d "$uri" pl vda 3

# An active commit with pivot.
select_node "test2_lsof.qcow2"
tui_keys c
tui_wait "down into which layer?" 5
tui_keys Down Enter
ok "an active commit's plan" tui_wait "READY" 15
confirm_yes
ok "when READY the status line says so" tui_wait "vda of test2 ready: P to pivot/keep" 60
tui_keys P
tui_wait "is ready" 10
tui_keys p
ok "after the pivot the disk runs on test2.qcow2" \
    wait_output 30 "test2.qcow2 centos.qcow2" live_chain "$uri" test2
ok "every byte reads back after the pivot" lab_pattern_verify -d "$uri" test2 vda 6

# A commit at 1 MiB/s, followed with its bar; then the ssh client dies.
commit_plan "sl-mid.qcow2" 1
confirm_yes
ok "the slow commit runs with a bar" tui_wait_line "slow/vda" "%" 20
pct() { tui_line "slow/vda" | grep -oE '[0-9]+%' | head -n1; }
first=$(pct)
moved() { local p; p=$(pct); [ -n "$p" ] && [ "$p" != "$first" ]; }
ok "which moves live over ssh (from $first)" tui_until 15 moved
ssh_pid=$(lab_ssh_client_pid "$(tui_pid)")
kill -KILL "$ssh_pid"
ok "the ssh client is gone" lab__wait_gone "$ssh_pid" 5
like "$(lab_virsh "$uri" blockjob slow vda --info 2>&1)" "Block Commit" "the job still runs in QEMU"
new_ssh() { local p; p=$(lab_ssh_client_pid "$(tui_pid)"); [ -n "$p" ] && [ "$p" != "$ssh_pid" ]; }
ok "the interface connects again through a new ssh client" tui_until 30 new_ssh
ok "and follows the job again" tui_wait_line "slow/vda" "commit" 20
tui_keys q
ok "q quits while the job runs" tui_wait "__EXITED__ 0" 5
tui_stop
like "$(lab_virsh "$uri" blockjob slow vda --info 2>&1)" "Block Commit" \
    "the job runs on without the interface"

tui_start 130 45 -c "$suri"
ok "the next start finds the job" tui_wait_line "slow/vda" "commit" 30
ok "which completes" wait_output 60 "sl-top.qcow2 sl-base.qcow2" live_chain "$uri" slow
ok "the interface shows it completed" tui_wait_line "slow/vda" "completed" 20
ok "every byte reads back through the new chain" lab_pattern_verify -d "$uri" slow vda 3 0xd2:50M:12M
tui_keys q
tui_wait "__EXITED__" 5
done_testing
