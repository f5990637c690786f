#!/bin/bash
# The chain doctor's compaction through the interface: an 8-layer chain with a limit of 4 is
# marked, and F on its disk opens the commit plan that merges layers 1-4 into layer 5 (the
# active layer stays: no pivot). It runs after the typed yes, on a running domain (a block
# commit below the active layer) and on a shut-off one (qemu-img, offline); every layer's data
# is then read back byte for byte through the 4-layer chain. A chain whose receiving layer
# another domain also reads is refused, with the reason, and left as it was.
. "${top_srcdir:-.}/tests/lab/lab.sh"
. "$top_srcdir/tests/tui/tui-lib.sh"
. "$top_srcdir/tests/tui/merge-lib.sh"
lab_init
tui_init
plan 23
export LANG=C.UTF-8

uri=$(lab_daemon_start "$LAB_TMP/d") || bail_out "no daemon"
I=$LAB_TMP/img
# Layer i is NAMEi.qcow2: NAME0 the base, NAME7 the active layer; layer i holds pattern i.
deep_chain() { # NAME
    lab_chain --patterns "$I" "$1"{0..7}.qcow2 >/dev/null
}
deep_chain hot || bail_out "chain hot"
deep_chain cold || bail_out "chain cold"
deep_chain pair || bail_out "chain pair"
# Another domain reads pair2.qcow2 (below its own overlay on pair4): the compaction's receiver.
lab_chain --from "$I/pair4.qcow2" "$I" other.qcow2 >/dev/null || bail_out "chain other"
lab_domain_define "$uri" hot --disk "vda=$I/hot7.qcow2" --running || bail_out "define hot"
lab_domain_define "$uri" cold --disk "vda=$I/cold7.qcow2" --shutoff || bail_out "define cold"
lab_domain_define "$uri" pair --disk "vda=$I/pair7.qcow2" --shutoff || bail_out "define pair"
lab_domain_define "$uri" other --disk "vda=$I/other.qcow2" --shutoff || bail_out "define other"

mkdir -p "$XDG_CONFIG_HOME/virt-snaptree"
echo "max-chain-depth = 4" >"$XDG_CONFIG_HOME/virt-snaptree/config"
tui_start 160 50 -c "$uri"
ok "the tree appears" tui_wait "hot7.qcow2" 20

# Selects the disk row of DOMAIN's vda (above its active layer, NAME7.qcow2), whose details
# then say the finding and its fix.
select_disk() { # DOMAIN
    select_node "${1}7.qcow2"
    tui_keys Up
    tui_wait "its chain has 8 layers, more than 4" 5
}
# Whether DOMAIN's disk row (the line after the domain's) carries the doctor's mark.
marked() { # DOMAIN
    tui_screen | grep -A1 -- "─ ▾ $1 " | tail -n 1 | grep -q "vda \[warning"
}
unmarked() { ! marked "$1"; }
compact_plan() { # DOMAIN
    select_disk "$1" && tui_keys F
}

# 1. The running domain: a block commit of hot6 down into hot2.
select_disk hot
ok "the disk's details offer the compaction" tui_wait "[fix: compact the" 5
ok "its row is marked" marked hot
tui_keys F
ok "F opens the commit plan, filled in" tui_wait "Commit hot6.qcow2 into hot2.qcow2" 10
s=$(tui_screen)
like "$s" "virsh equivalent: virsh blockcommit hot vda --base $I/hot2.qcow2 --top" \
    "a commit below the active layer"
like "$s" "  $I/hot6.qcow2 --keep-relative --wait" "of the range from hot6"
unlike "$s" "READY" "not an active commit: no pivot"
tui_type "no"; tui_keys Enter
ok "anything but yes starts nothing" tui_wait "type yes (the whole word) to start" 5
confirm_yes
ok "the chain is 4 layers deep" \
    wait_output 60 "hot7.qcow2 hot2.qcow2 hot1.qcow2 hot0.qcow2" live_chain "$uri" hot
ok "every layer's data reads back through it, in the guest" lab_pattern_verify -d "$uri" hot vda 8
ok "the mark goes away" tui_until 20 unmarked hot

# 2. The shut-off domain: qemu-img on this machine.
compact_plan cold
ok "the offline plan opens" tui_wait "Commit cold6.qcow2 into cold2.qcow2" 10
like "$(tui_screen)" "qemu-img commit" "it runs qemu-img"
confirm_yes
ok "the offline merge ends with a 4-layer chain" \
    wait_output 60 4 lab_image_depth "$I/cold7.qcow2"
is "$(lab_image_chain "$I/cold7.qcow2" | xargs -n1 basename | tr '\n' ' ')" \
    "cold7.qcow2 cold2.qcow2 cold1.qcow2 cold0.qcow2 " "the layers left are 7, 2, 1 and 0"
ok "every layer's data reads back through it" lab_pattern_verify "$I/cold7.qcow2" 8
ok "its mark goes away" tui_until 20 unmarked cold

# 3. Refused: pair2.qcow2 would be written into, and domain other reads it.
compact_plan pair
ok "the plan of pair opens" tui_wait "Commit pair6.qcow2 into pair2.qcow2" 10
s=$(tui_screen | tr -s ' \n' ' ')
like "$s" "REFUSED" "it is refused"
like "$s" "pair2.qcow2 is also read by other: writing into it would corrupt them" "with the reason"
tui_type yes; tui_keys Enter
ok "nothing runs: the plan closes" tui_wait_gone "Commit pair6.qcow2 into pair2.qcow2" 5
is "$(lab_image_depth "$I/pair7.qcow2")" 8 "pair's chain is as it was"
ok "and so is its data" lab_pattern_verify "$I/pair7.qcow2" 8

tui_keys q
tui_wait "__EXITED__" 5
done_testing
