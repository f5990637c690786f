#!/bin/bash
# RELATIVE end to end, on a chain whose names are relative above an absolute one (rel-m1 names
# rel-base by its path; the others name their backing files as qemu-img create -b NAME writes
# them). A pull and a commit through the interface keep the names they rewrite relative, as
# the plan says, read back from the qcow2 headers; the names below stay as they were; every
# byte reads back through each new chain.
. "${top_srcdir:-.}/tests/lab/lab.sh"
. "$top_srcdir/tests/tui/tui-lib.sh"
. "$top_srcdir/tests/tui/merge-lib.sh"
lab_init
tui_init
plan 16
export LANG=C.UTF-8

uri=$(lab_daemon_start "$LAB_TMP/d") || bail_out "no daemon"
I=$LAB_TMP/img
lab_chain --patterns "$I" rel-base.qcow2 >/dev/null &&
    lab_chain --absolute --patterns --from "$I/rel-base.qcow2" "$I" rel-m1.qcow2 >/dev/null &&
    lab_chain --patterns --from "$I/rel-m1.qcow2" "$I" rel-m2.qcow2 rel-m3.qcow2 rel-top.qcow2 \
        >/dev/null || bail_out "chain"
is "$(lab_image_backing "$I/rel-top.qcow2") $(lab_image_backing "$I/rel-m1.qcow2")" \
    "rel-m3.qcow2 $I/rel-base.qcow2" "the chain names relatively above rel-m1, by path below"
lab_domain_define "$uri" rel --disk "vda=$I/rel-top.qcow2" --running || bail_out "define"

tui_start 130 45 -c "$uri"
ok "the chain is shown" tui_wait "rel-base.qcow2" 20

# Pull everything above rel-m2 into the active layer: p on rel-m2 makes it the base.
select_node "rel-m2.qcow2"
tui_keys p
tui_wait "down to which base?" 5
tui_keys Enter
ok "the pull plan" tui_wait "Pull into rel-top.qcow2 everything above rel-m2.qcow2" 10
ok "keeps names relative" tui_wait "1  keep backing names relative: yes" 5
like "$(tui_screen)" "libvirt flags: RELATIVE" "with the RELATIVE flag"
confirm_yes
ok "the pull completes" \
    wait_output 30 "rel-top.qcow2 rel-m2.qcow2 rel-m1.qcow2 rel-base.qcow2" live_chain "$uri" rel
is "$(lab_image_backing "$I/rel-top.qcow2")" "rel-m2.qcow2" "the active layer names rel-m2 relatively"
ok "every byte reads back" lab_pattern_verify -d "$uri" rel vda 5
ok "the tree shows the new chain" tui_wait_gone "rel-m3.qcow2" 15

# Commit rel-m2 into rel-m1: the active layer's new name is relative, though rel-m1's is not.
select_node "rel-m2.qcow2"
tui_keys c
tui_wait "down into which layer?" 5
tui_keys Enter
ok "the commit plan" tui_wait "Commit rel-m2.qcow2 into rel-m1.qcow2" 10
ok "keeps names relative" tui_wait "1  keep backing names relative: yes" 5
like "$(tui_screen)" "libvirt flags: RELATIVE" "with the RELATIVE flag, though rel-m1 names its base by path"
confirm_yes
ok "the commit completes" wait_output 30 "rel-top.qcow2 rel-m1.qcow2 rel-base.qcow2" live_chain "$uri" rel
is "$(lab_image_backing "$I/rel-top.qcow2")" "rel-m1.qcow2" "the active layer names rel-m1 relatively"
is "$(lab_image_backing "$I/rel-m1.qcow2")" "$I/rel-base.qcow2" "rel-m1's own name is untouched"
ok "every byte reads back" lab_pattern_verify -d "$uri" rel vda 5
tui_keys q
tui_wait "__EXITED__" 5
done_testing
