#!/bin/bash
# Follow-ups this interface runs itself when a job ends (libvirt has no flag for them): the plan
# says so, q asks before leaving one undone, and the next start offers what was left. Here the
# merged files of a pull: quit anyway in the middle, the pull completes in QEMU, the next
# interface offers their removal, its plan takes a typed yes, and the file is gone while every
# byte reads back through the new chain.
. "${top_srcdir:-.}/tests/lab/lab.sh"
. "$top_srcdir/tests/tui/tui-lib.sh"
. "$top_srcdir/tests/tui/merge-lib.sh"
lab_init
tui_init
plan 18
export LANG=C.UTF-8

uri=$(lab_daemon_start "$LAB_TMP/d") || bail_out "no daemon"
I=$LAB_TMP/img
lab_chain --patterns "$I" pl-base.qcow2 pl-mid.qcow2 pl-top.qcow2 >/dev/null || bail_out "chain"
lab_io_write "$I/pl-mid.qcow2" 0xdb 8M 6M || bail_out "write"
lab_domain_define "$uri" puller --disk "vda=$I/pl-top.qcow2" --running || bail_out "define"
F=$XDG_RUNTIME_DIR/virt-snaptree/followups
records() { ls "$F" 2>/dev/null | grep -c '\.fu$'; }

tui_start 200 45 -c "$uri"
ok "the chain is shown" tui_wait "pl-mid.qcow2" 20
select_node "pl-top.qcow2"
tui_keys p
tui_wait "down to which base?" 5
tui_keys End Enter
ok "the pull plan opens" tui_wait "Pull into pl-top.qcow2 everything above pl-base.qcow2" 10
tui_keys 2
tui_wait "Delete the merged files? (asked twice)" 5
tui_keys Down Enter
ok "the plan says this interface removes the files" \
    tui_wait "This interface removes the merged files once the pull has completed" 5
tui_keys 3
tui_wait "MiB/s (0 = unlimited)" 5
tui_keys C-u
tui_type 1
tui_keys Enter
confirm_yes
ok "the pull runs" tui_wait_line "puller/vda" "running" 20
is "$(records)" 1 "its follow-up is recorded"
tui_keys q
ok "q asks first" tui_wait "Quit now?" 5
like "$(tui_screen)" "still has to finish puller/vda" "naming the job"
tui_keys Enter
ok "Enter stays" tui_wait_gone "Quit now?" 5
unlike "$(tui_screen)" "__EXITED__" "the interface runs on"
tui_keys q
tui_wait "Quit now?" 5
tui_keys q
ok "q in the question quits" tui_wait "__EXITED__ 0" 5
tui_stop
ok "the pull completes without the interface" \
    wait_output 60 "pl-top.qcow2 pl-base.qcow2" live_chain "$uri" puller
ok "and nobody removed the merged file" test -e "$I/pl-mid.qcow2"

tui_start 200 45 -c "$uri"
ok "the next interface offers what was left" tui_wait "Left to do by an earlier session: puller/vda" 20
like "$(tui_screen | grep -A1 "no chain reads them:")" "pl-mid\.qcow2\." "naming the merged file"
tui_keys r
ok "its removal has a plan of its own" tui_wait "Remove files left behind" 10
confirm_yes
ok "the merged file is removed" wait_true 20 test ! -e "$I/pl-mid.qcow2"
ok "every byte reads back through the new chain" lab_pattern_verify -d "$uri" puller vda 3 0xdb:8M:6M
ok "the record goes once nothing is left to do" wait_output 15 0 records
tui_keys q
tui_wait "__EXITED__" 5
done_testing
