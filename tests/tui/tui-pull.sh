#!/bin/bash
# Pull through the interface, the article's two pulls, on a running domain (block jobs on a real
# libvirtd) and on a shut-off one (qemu-img on this machine), every layer's data checked byte for
# byte; and the article's commit on the shut-off domain.
. "${top_srcdir:-.}/tests/lab/lab.sh"
. "$top_srcdir/tests/tui/tui-lib.sh"
. "$top_srcdir/tests/tui/merge-lib.sh"
lab_init
tui_init
plan 30
export LANG=C.UTF-8

uri=$(lab_daemon_start "$LAB_TMP/d") || bail_out "no daemon"
R=$LAB_TMP/run
O=$LAB_TMP/off
C=$LAB_TMP/offc
lab_article_pull_chain "$uri" "$R" running || bail_out "running pull chain"
tui_start 130 45 -c "$uri"
ok "the pull chain is shown" tui_wait "test2_htop" 20

# Running: pull with base test2.qcow2 (the article's first pull).
select_node "test2_htop.qcow2"
tui_keys p
ok "p opens the base picker" tui_wait "down to which base?" 5
like "$(tui_screen)" "none: the active layer becomes standalone" "the picker offers no base"
unlike "$(tui_screen)" "\[1\] test2_vim\.qcow2  qcow2  " "nor the layer with nothing above it to copy"
tui_keys End Up Enter   # none, [2] lsof, [3] test, [4] test2.qcow2, [5] centos
# (The dialog is titled "Pull" while it checks the host, before the plan is drawn.)
ok "the plan screen opens" tui_wait "Pull into test2_htop.qcow2 everything above test2.qcow2" 10
like "$(tui_screen)" "virsh blockpull test2 vda --base $R/test2.qcow2" "the plan pulls down to test2.qcow2"
confirm_yes
ok "the chain becomes test2_htop, test2, centos" \
    wait_output 30 "test2_htop.qcow2 test2.qcow2 centos.qcow2" live_chain "$uri" test2
ok "every layer's data reads back" lab_pattern_verify -d "$uri" test2 vda 6
ok "the interface shows the new chain" tui_wait_gone "test2_vim.qcow2" 10

# Running: pull with no base (the article's second pull).
select_node "test2_htop.qcow2"
tui_keys p
tui_wait "down to which base?" 5
tui_keys Home Enter
ok "the no-base plan" tui_wait "virsh blockpull test2 vda --wait --verbose" 10
confirm_yes
ok "the active layer is standalone" wait_output 30 "test2_htop.qcow2" live_chain "$uri" test2
ok "every layer's data reads back from the one file" lab_pattern_verify -d "$uri" test2 vda 6
tui_keys q
tui_wait "__EXITED__" 5
tui_stop

# Shut off, on an embedded root (the stack's libvirtd beyond bookworm): the same pulls with
# qemu-img.
euri=$(lab_stack_host "$LAB_TMP/e") || bail_out "no second host"
lab_article_pull_chain "$euri" "$O" shutoff || bail_out "shut-off pull chain"
tui_start 130 45 -c "$euri"
ok "the shut-off chain is shown" tui_wait "test2_htop" 20
select_node "test2_htop.qcow2"
tui_keys p
tui_wait "down to which base?" 5
tui_keys End Up Enter
ok "the offline plan names qemu-img rebase" tui_wait "qemu-img rebase -p" 10
confirm_yes
ok "qemu-img rebased the active layer onto test2.qcow2" \
    wait_output 60 "test2_htop.qcow2 test2.qcow2 centos.qcow2" file_chain "$O/test2_htop.qcow2"
ok "every layer's data reads back from the new chain" lab_pattern_verify "$O/test2_htop.qcow2" 6
ok "the tree follows" tui_wait_gone "test2_vim.qcow2" 15
select_node "test2_htop.qcow2"
tui_keys p
tui_wait "down to which base?" 5
tui_keys Home Enter
confirm_yes
ok "offline pull without base: standalone" wait_output 60 "test2_htop.qcow2" file_chain "$O/test2_htop.qcow2"
ok "every layer's data reads back" lab_pattern_verify "$O/test2_htop.qcow2" 6
is "$(lab_image_backing "$O/test2_htop.qcow2")" "" "no backing file is left in the header"
tui_keys q
tui_wait "__EXITED__" 5
# Only one process may hold the embedded root: ask libvirt once the interface has quit.
is "$(lab_domain_state "$euri" test2)" "shut off" "the domain was never started"
tui_stop

# Shut off: the article's commit (net-tools and nmap into test), then the active layer into
# test2.qcow2, which must point the domain at test2.qcow2.
curi=$(lab_stack_host "$LAB_TMP/c") || bail_out "no third host"
lab_article_chain "$curi" "$C" shutoff || bail_out "shut-off article chain"
tui_start 130 45 -c "$curi"
ok "the shut-off article chain is shown" tui_wait "test2_lsof" 20
select_node "net-tools.qcow2"
tui_keys c
tui_wait "down into which layer?" 5
tui_keys Down Enter
ok "the offline commit plan names qemu-img commit" tui_wait "qemu-img commit -p -d -t none -b $C/test2_test.qcow2" 10
confirm_yes
ok "net-tools and nmap are merged into test" \
    wait_output 60 "test2_lsof.qcow2 test2_test.qcow2 test2.qcow2 centos.qcow2" file_chain "$C/test2_lsof.qcow2"
ok "every layer's data reads back" lab_pattern_verify "$C/test2_lsof.qcow2" 6
ok "the tree follows" tui_wait_gone "test2_nmap.qcow2" 15
select_node "test2_lsof.qcow2"
tui_keys c
tui_wait "down into which layer?" 5
tui_keys Down Enter
ok "committing the active layer offline says the definition changes" \
    tui_wait "the domain definition is updated" 10
confirm_yes
ok "the tree shows the disk on test2.qcow2" tui_wait "test2.qcow2 ◀ you are here" 60
tui_keys q
tui_wait "__EXITED__" 5
is "$(lab_disk_source "$curi" test2 vda)" "$C/test2.qcow2" "the domain now points at test2.qcow2"
ok "every layer's data reads back from test2.qcow2" lab_pattern_verify "$C/test2.qcow2" 6
done_testing
