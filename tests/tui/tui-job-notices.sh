#!/bin/bash
# What the status line and the jobs panel say of jobs on a real libvirtd: a ready active commit
# is announced once, not twice; a commit that completes says so in place of "commit started"; two
# finished pulls on one disk read differently (where each merged, when each ended). Every byte is
# checked after the merges.
. "${top_srcdir:-.}/tests/lab/lab.sh"
. "$top_srcdir/tests/tui/tui-lib.sh"
. "$top_srcdir/tests/tui/merge-lib.sh"
lab_init
tui_init
plan 16
export LANG=C.UTF-8

uri=$(lab_daemon_start "$LAB_TMP/d") || bail_out "no daemon"
I=$LAB_TMP/img
lab_chain --patterns "$I" ac-base.qcow2 ac-top.qcow2 >/dev/null || bail_out "chain"
lab_chain --patterns "$I" cm-base.qcow2 cm-mid.qcow2 cm-top.qcow2 >/dev/null || bail_out "chain"
lab_io_write "$I/cm-mid.qcow2" 0xc1 8M 3M || bail_out "write"
lab_chain --patterns "$I" pl0.qcow2 pl1.qcow2 pl2.qcow2 pl3.qcow2 >/dev/null || bail_out "chain"
for vm in ac cm; do
    lab_domain_define "$uri" "$vm" --disk "vda=$I/$vm-top.qcow2" --running || bail_out "define $vm"
done
lab_domain_define "$uri" pl --disk "vda=$I/pl3.qcow2" --running || bail_out "define pl"

# The jobs panel's lines of WHO (the panel is below the tree).
panel_lines() { tui_screen | grep -E -- "^ $1 "; }
count() { grep -oF -- "$1" <<<"$2" | wc -l; }

tui_start 200 45 -c "$uri"
ok "the chains are shown" tui_wait "pl3.qcow2" 20

# 1. A ready active commit: the status line says so once.
select_node ac-top.qcow2
tui_keys c
tui_wait "down into which layer?" 5
tui_keys Enter
confirm_yes
ok "the status line announces the ready job" tui_wait "vda of ac ready: P to pivot/keep" 60
is "$(count "ready: P to pivot/keep" "$(tui_screen)")" 1 "once, not twice"
tui_keys P
tui_wait "is ready" 10
tui_keys p
ok "pivoted" wait_output 30 "ac-base.qcow2" live_chain "$uri" ac
ok "every byte reads back" lab_pattern_verify -d "$uri" ac vda 2

# 2. A commit that completes says so where it said it started.
commit_plan cm-mid.qcow2 1
confirm_yes
ok "its start is said" tui_wait "commit started on cm/vda" 20
ok "and then its end" tui_wait "commit on cm/vda completed" 30
unlike "$(tui_screen)" "commit started on cm/vda" "in place of the start"
ok "every byte reads back" lab_pattern_verify -d "$uri" cm vda 3 0xc1:8M:3M

# 3. Two pulls on one disk: their finished rows are told apart.
select_node pl3.qcow2
tui_keys p
tui_wait "down to which base?" 5
tui_keys End Up Enter # none, [2] pl1, [3] pl0
ok "the first pull's plan" tui_wait "virsh blockpull pl vda --base $I/pl1.qcow2" 10
confirm_yes
# (pl used to die here now and then: QEMU 7.2 crashed on the block statistics of a refresh right
# after the pull ended, see tui-pull-stats.sh. The screen, the domain's state and its QEMU log
# say why, should a domain die again.)
ok "the first pull is done" wait_output 30 "pl3.qcow2 pl1.qcow2 pl0.qcow2" live_chain "$uri" pl ||
    diag "$(tui_screen)" "state: $(lab_domain_state "$uri" pl)" \
        "$(tail -n 20 "$(lab_domain_log "$uri" pl)" 2>&1)"
tui_wait_gone "pl2.qcow2" 10
select_node pl3.qcow2
tui_keys p
tui_wait "down to which base?" 5
tui_keys Home Enter
ok "the second pull's plan" tui_wait "virsh blockpull pl vda --wait --verbose" 10
confirm_yes
ok "the second pull is done" wait_output 30 "pl3.qcow2" live_chain "$uri" pl
tui_until 15 eval '[ "$(panel_lines pl/vda | grep -c completed)" = 2 ]'
rows=$(panel_lines pl/vda | grep completed)
like "$rows" "above pl1\.qcow2, ended [0-9]{2}:[0-9]{2}:[0-9]{2}" "the first says where it merged and when it ended"
like "$rows" "the whole chain, ended [0-9]{2}:[0-9]{2}:[0-9]{2}" "so does the second"
ok "every byte reads back from the one file" lab_pattern_verify -d "$uri" pl vda 4
tui_keys q
tui_wait "__EXITED__" 5
done_testing
