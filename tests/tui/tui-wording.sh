#!/bin/bash
# Words that said less than they should, on a real libvirtd: a plan with one file leaving the
# chain says "File that leaves", not "Files"; a pull of the whole chain, which writes no backing
# name, offers no "keep backing names relative"; a layer's details say which number is the tree's
# position and which is libvirt's index, which differ; a shut-off domain's commit of its active
# layer (qemu-img on this machine) is no "Active commit"; a snapshot's state is said in words.
. "${top_srcdir:-.}/tests/lab/lab.sh"
. "$top_srcdir/tests/tui/tui-lib.sh"
. "$top_srcdir/tests/tui/merge-lib.sh"
lab_init
tui_init
plan 11
export LANG=C.UTF-8

uri=$(lab_daemon_start "$LAB_TMP/d") || bail_out "no daemon"
I=$LAB_TMP/img
lab_chain --patterns "$I" w-base.qcow2 w-mid.qcow2 w-top.qcow2 >/dev/null || bail_out "chain"
lab_domain_define "$uri" w --disk "vda=$I/w-top.qcow2" --running || bail_out "define w"
lab_chain --patterns "$I" o-base.qcow2 o-top.qcow2 >/dev/null || bail_out "chain"
lab_domain_define "$uri" o --disk "vda=$I/o-top.qcow2" --shutoff || bail_out "define o"
lab_virsh "$uri" snapshot-create-as o cold >/dev/null || bail_out "snapshot"

tui_start 200 50 -c "$uri"
ok "the chains are shown" tui_wait "w-mid.qcow2" 20

# The detail pane of a layer: both numbers, each said for what it is.
select_node w-base.qcow2
ok "the tree's position is said as such" tui_wait "Depth        [2] in the tree, of 3 layers (0 is the active layer)" 5
like "$(tui_screen)" "Index        vda\[[0-9]+\]: libvirt's index of this layer, an id, not its depth" \
    "and libvirt's index as what it is"

# A snapshot's state in words, not libvirt's "shutoff".
select_node cold
ok "the snapshot's state is said in words" tui_wait "State        shut off when taken" 5
unlike "$(tui_screen)" "shutoff" "not as libvirt spells it"

# One file leaves the chain: singular.
select_node w-mid.qcow2
tui_keys c
tui_wait "down into which layer?" 5
tui_keys Enter
ok "the commit's plan" tui_wait "Commit w-mid.qcow2 into w-base.qcow2" 10
like "$(tui_screen)" "File that leaves the chain:" "one file leaves: singular"
tui_keys Escape

# A pull of the whole chain writes no backing name: no option about relative names.
select_node w-top.qcow2
tui_keys p
tui_wait "down to which base?" 5
tui_keys Home Enter
ok "the whole pull's plan" tui_wait "Pull the whole chain into w-top.qcow2" 10
unlike "$(tui_screen)" "keep backing names relative" "offers no relative names"
tui_keys Escape

# The shut-off domain's active layer into its base: qemu-img, no mirror, no pivot.
select_node o-top.qcow2
tui_keys c
tui_wait "down into which layer?" 5
tui_keys Enter
ok "the offline plan is a commit" tui_wait "Commit o-top.qcow2 into o-base.qcow2 (o/vda)" 10
unlike "$(tui_screen)" "Active commit" "not an active commit"
tui_keys Escape q
tui_wait "__EXITED__" 5
done_testing
