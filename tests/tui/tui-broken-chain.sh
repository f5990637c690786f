#!/bin/bash
# Broken chains are refused in the plan, before any typed yes: a looped chain (a ← b ← a), whose
# pickers do not offer the loop's way back (a layer as its own base), and a chain with a layer
# truncated past its header (marked in the tree and the detail pane). Nothing starts, no job
# record is written, every file stays byte for byte. And when the helper refuses a merge after
# the yes (the chain broke after the plan was made), no "starting…" stays beside the reason. A
# layer cut short behind whole tables passes the header checks; qemu-img check, run by the
# helper before anything is written, stops the merge.
. "${top_srcdir:-.}/tests/lab/lab.sh"
. "$top_srcdir/tests/tui/tui-lib.sh"
. "$top_srcdir/tests/tui/merge-lib.sh"
lab_init
tui_init
plan 29
export LANG=C.UTF-8

uri=$(lab_daemon_start "$LAB_TMP/d") || bail_out "no daemon"
I=$LAB_TMP/img
mkdir -p "$I"
# loop-a names loop-b, which names loop-a.
qemu-img create -q -f qcow2 "$I/loop-a.qcow2" 64M &&
    qemu-img create -q -f qcow2 -b loop-a.qcow2 -F qcow2 "$I/loop-b.qcow2" &&
    qemu-img rebase -q -u -b loop-b.qcow2 -F qcow2 "$I/loop-a.qcow2" || bail_out "loop"
lab_domain_define "$uri" loop --disk "vda=$I/loop-a.qcow2" --shutoff || bail_out "define loop"
# tr-mid cut inside its L1 table (qemu-img puts it at 192 KiB): qemu would read zeros for it.
lab_chain --patterns "$I" tr-base.qcow2 tr-mid.qcow2 tr-top.qcow2 >/dev/null &&
    truncate -s 128K "$I/tr-mid.qcow2" || bail_out "truncated chain"
lab_domain_define "$uri" trunc --disk "vda=$I/tr-top.qcow2" --shutoff || bail_out "define trunc"
# cut-mid cut behind its tables (its L2 table ends at 320 KiB, its data follows): the header
# reads whole, qemu-img check finds the lost clusters.
lab_chain --patterns "$I" cut-base.qcow2 cut-mid.qcow2 cut-top.qcow2 >/dev/null &&
    truncate -s 384K "$I/cut-mid.qcow2" || bail_out "cut chain"
lab_domain_define "$uri" cut --disk "vda=$I/cut-top.qcow2" --shutoff || bail_out "define cut"
# A whole chain, broken only once its plan is on screen.
lab_chain --patterns "$I" late-base.qcow2 late-mid.qcow2 late-top.qcow2 >/dev/null ||
    bail_out "late chain"
lab_domain_define "$uri" late --disk "vda=$I/late-top.qcow2" --shutoff || bail_out "define late"

sums() { sha256sum "$I"/*.qcow2 | cut -d' ' -f1 | tr '\n' ' '; }
no_record() { ! ls "$XDG_RUNTIME_DIR"/virt-snaptree/jobs/*.job >/dev/null 2>&1; }
before=$(sums)
# A plan refused in the plan: its reason, and no prompt; a typed yes starts nothing.
refused_plan() { # WHAT REASON-ERE
    ok "$1: the plan is refused" tui_wait "This plan is refused" 10
    like "$(tui_screen)" "$2" "$1: with the reason"
    unlike "$(tui_screen)" "Type yes" "$1: no yes prompt"
    tui_type yes
    tui_keys Enter
    tui_keys Escape
    tui_wait_gone "This plan is refused" 5
    unlike "$(tui_screen)" "starting…" "$1: a typed yes starts nothing"
}

# --interval: the model is not refreshed behind the last plan's back.
tui_start 200 45 -c "$uri" --interval 600
ok "the chains are shown" tui_wait "late-top.qcow2" 20
like "$(tui_screen)" "\[2\] loop-a\.qcow2 BROKEN: loop: this image is already in the chain" \
    "the loop's way back is marked broken"
like "$(tui_screen)" "\[1\] tr-mid\.qcow2 BROKEN: truncated: its L1 table ends at byte 196616" \
    "the truncated layer is marked broken with the reason"

select_node "loop-a.qcow2"
tui_keys c
ok "the commit picker opens" tui_wait "Commit loop-a.qcow2 down into which layer?" 5
like "$(tui_screen)" "\[1\] loop-b\.qcow2  qcow2 .*\(directly below\)" "it offers the layer below"
unlike "$(tui_screen)" "\[2\] loop-a\.qcow2  " "not the layer itself, where the loop comes back"
tui_keys Enter
refused_plan "commit on the loop" \
    "REFUSED: The chain of vda is broken at layer 2, .*/loop-a\.qcow2 \(loop: this"

tui_keys p
ok "the pull picker opens" tui_wait "Pull into loop-a.qcow2: down to which base?" 5
unlike "$(tui_screen)" "\[2\] loop-a\.qcow2  " "the pull picker does not offer it either"
tui_keys Enter
refused_plan "pull on the loop" "REFUSED: .*loop-a\.qcow2 is unusable \(loop: this image"

select_node "tr-top.qcow2"
tui_keys Down
ok "the detail pane says why the layer is broken" \
    tui_wait "Broken       truncated: its L1 table ends at byte 196616" 5
tui_keys c
tui_wait "down into which layer?" 5
tui_keys Enter
refused_plan "commit from the truncated layer" \
    "REFUSED: .*/tr-mid\.qcow2 is unusable \(truncated: its L1 table"
ok "no job was started" no_record
is "$(sums)" "$before" "every image byte for byte as before"

# A layer whose data is cut off behind whole tables: the helper checks before it writes.
select_node "cut-mid.qcow2"
tui_keys c
tui_wait "down into which layer?" 5
tui_keys Enter
tui_wait "Type yes and press Enter" 10
like "$(tui_screen)" "qemu-img check -q -f qcow2 .*/cut-mid\.qcow2" "the plan shows the checks"
before=$(sums)
confirm_yes
ok "the merge stops at the check, with the reason" \
    tui_wait "offline merge failed: qemu-img check found errors in $I/cut-mid.qcow2" 30
is "$(sums)" "$before" "nothing was written: every image byte for byte as before"
is "$(file_chain "$I/cut-top.qcow2")" "cut-top.qcow2 cut-mid.qcow2 cut-base.qcow2" \
    "the chain is as before"

# The plan of a whole chain; then late-base is cut before the yes.
select_node "late-mid.qcow2"
tui_keys c
tui_wait "down into which layer?" 5
tui_keys Enter
tui_wait "Type yes and press Enter" 10
truncate -s 128K "$I/late-base.qcow2"
confirm_yes
ok "the merge is refused when it would start" tui_wait "the chain is broken at" 15
unlike "$(tui_screen)" "late/vda: starting…" "no 'starting…' stays beside the refusal"
tui_keys q
tui_wait "__EXITED__" 5
done_testing
