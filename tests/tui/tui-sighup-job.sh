#!/bin/bash
# Jobs belong to QEMU: two bandwidth-limited commits run at once on two domains; the interface is
# killed with SIGHUP (a dropped SSH session) in the middle; both jobs go on to completion, and a
# new interface finds them running, follows them, and shows the new chains. Byte for byte.
. "${top_srcdir:-.}/tests/lab/lab.sh"
. "$top_srcdir/tests/tui/tui-lib.sh"
. "$top_srcdir/tests/tui/merge-lib.sh"
lab_init
tui_init
plan 17
export LANG=C.UTF-8

uri=$(lab_daemon_start "$LAB_TMP/d") || bail_out "no daemon"
for vm in vm1 vm2; do
    I=$LAB_TMP/$vm
    lab_chain --patterns "$I" "${vm}-base.qcow2" "${vm}-mid.qcow2" "${vm}-top.qcow2" >/dev/null ||
        bail_out "chain"
    # 6 MiB in the middle layer: at 1 MiB/s the commit takes several seconds.
    lab_io_write "$I/${vm}-mid.qcow2" 0xd2 50M 6M || bail_out "write"
    lab_domain_define "$uri" "$vm" --disk "vda=$I/${vm}-top.qcow2" --running || bail_out "define"
done

# Starts a commit of VM's middle layer into its base at 1 MiB/s through the interface.
start_slow_commit() {
    commit_plan "$1-mid.qcow2" 1
    confirm_yes
}

tui_start 120 40 -c "$uri"
ok "both chains are shown" tui_wait "vm2-mid.qcow2" 20
start_slow_commit vm1
ok "vm1's commit runs" tui_wait_line "vm1/vda" "running" 20
start_slow_commit vm2
ok "vm2's commit runs too" tui_wait_line "vm2/vda" "running" 20
ok "the jobs panel lists both at once" tui_wait_line "vm1/vda" "commit" 1
like "$(tui_screen)" "2 jobs running" "the title counts two running jobs"
kill -HUP "$(tui_pid)"
ok "SIGHUP ends the interface (status 129)" tui_wait "__EXITED__ 129" 5
is "$(tmux -S "$T_SOCK" display -p -t t '#{alternate_on}')" 0 "the terminal is restored"
like "$(lab_virsh "$uri" blockjob vm1 vda --info 2>&1)" "Block Commit" \
    "vm1's job still runs in QEMU after the interface is gone"
like "$(lab_virsh "$uri" blockjob vm2 vda --info 2>&1)" "Block Commit" "and vm2's"
tui_stop

tui_start 120 40 -c "$uri"
ok "a new interface finds vm1's job at start" tui_wait_line "vm1/vda" "commit" 20
ok "and vm2's" tui_wait_line "vm2/vda" "commit" 5
ok "vm1's job completes" wait_output 60 "vm1-top.qcow2 vm1-base.qcow2" live_chain "$uri" vm1
ok "vm2's job completes" wait_output 60 "vm2-top.qcow2 vm2-base.qcow2" live_chain "$uri" vm2
ok "the new interface shows the new chains by itself" tui_wait_gone "-mid.qcow2" 15
ok "and the jobs as completed" tui_wait_line "vm2/vda" "completed" 10
ok "every byte of vm1 reads back through its new chain" \
    lab_pattern_verify -d "$uri" vm1 vda 3 0xd2:50M:6M
ok "every byte of vm2 too" lab_pattern_verify -d "$uri" vm2 vda 3 0xd2:50M:6M
tui_keys q
tui_wait "__EXITED__" 5
done_testing
