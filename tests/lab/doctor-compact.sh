#!/bin/bash
# --doctor --fix compacts chains deeper than the limit: with --max-depth 4, an 8-layer chain of
# a running domain (a block commit below the active layer) and of a shut-off one (qemu-img) get
# one commit plan each, printed with the planner's text before the typed yes; nothing runs
# without it; with it both chains end 4 layers deep and every layer's data reads back byte for
# byte. A chain whose receiving layer another domain reads is not offered, with the reason.
. "${top_srcdir:-.}/tests/lab/lab.sh"
BIN=$(realpath "${top_builddir:-.}/ui/virt-snaptree")
lab_init
plan 15
export LC_ALL=C.UTF-8
unset LANGUAGE
# Images are private (as the program makes its own): no mode findings and their fixes.
umask 077
# The journal (which records each merge) stays the test's own.
export XDG_STATE_HOME=$LAB_TMP/state XDG_CONFIG_HOME=$LAB_TMP/config

uri=$(lab_daemon_start "$LAB_TMP/d") || bail_out "no daemon"
I=$LAB_TMP/img
for name in hot cold pair; do
    lab_chain --patterns "$I" "$name"{0..7}.qcow2 >/dev/null || bail_out "chain $name"
done
# Domain other reads pair2.qcow2, the layer pair's compaction would write into.
lab_chain --from "$I/pair2.qcow2" "$I" other.qcow2 >/dev/null || bail_out "chain other"
lab_domain_define "$uri" hot --disk "vda=$I/hot7.qcow2" --running || bail_out "define hot"
lab_domain_define "$uri" cold --disk "vda=$I/cold7.qcow2" --shutoff || bail_out "define cold"
lab_domain_define "$uri" pair --disk "vda=$I/pair7.qcow2" --shutoff || bail_out "define pair"
lab_domain_define "$uri" other --disk "vda=$I/other.qcow2" --shutoff || bail_out "define other"
fix() { "$BIN" -c "$uri" --doctor --fix --max-depth 4 hot cold pair other; }

no=$(echo no | fix)
like "$no" "^The doctor's plan: 2 fixes$" "two compactions are offered"
like "$no" "^  [12]\\. compact the chain of cold/vda: commit cold6.qcow2 down into cold2.qcow2 \\(a commit plan\\)$" \
    "the shut-off domain's, by name"
like "$no" "^     Commit cold6.qcow2 into cold2.qcow2 \\(cold/vda\\)$" "with the commit planner's plan"
like "$no" "^       qemu-img commit .*$I/cold6.qcow2" "run offline with qemu-img"
like "$no" "^     virsh equivalent: virsh blockcommit hot vda --base $I/hot2.qcow2 --top $I/hot6.qcow2|^       virsh equivalent: virsh blockcommit hot vda --base $I/hot2.qcow2 --top $I/hot6.qcow2" \
    "the running domain's is a block commit of the range below the active layer"
like "$no" "^not offered: compact the chain of pair/vda: commit pair6.qcow2 down into pair2.qcow2" \
    "pair's is not offered"
like "$no" "^     REFUSED: pair2.qcow2 is also read by other: writing into it would corrupt them\\.$" \
    "and the reason is said"
like "$no" "^Nothing was changed\\.$" "anything but yes changes nothing"
is "$(lab_image_depth "$I/cold7.qcow2") $(lab_image_depth "$I/hot7.qcow2")" "8 8" "both chains as they were"

yes=$(echo yes | fix)
is "$?" 1 "afterwards only pair's warning is left: exit 1"
is "$(sed -n 's/^\(done\|failed\): \(compact the chain of [a-z]*\/vda\).*/\1 \2/p' <<<"$yes" | sort)" \
    "done compact the chain of cold/vda
done compact the chain of hot/vda" "a typed yes makes both" || diag "$yes"
is "$(lab_image_chain "$I/cold7.qcow2" | xargs -n1 basename | tr '\n' ' ')" \
    "cold7.qcow2 cold2.qcow2 cold1.qcow2 cold0.qcow2 " "the shut-off chain is 4 layers deep"
ok "every layer's data reads back through it" lab_pattern_verify "$I/cold7.qcow2" 8
is "$(lab_virsh "$uri" domblklist hot --details | awk '$3 == "vda" { print $4 }') $(lab_image_depth "$I/hot7.qcow2")" \
    "$I/hot7.qcow2 4" "the running chain is 4 layers deep, on the same active layer"
ok "every layer's data reads back through it, in the guest" lab_pattern_verify -d "$uri" hot vda 8
done_testing
