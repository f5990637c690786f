#!/bin/bash
# The interface over qemu+ssh:// (the lab's own sshd) with a shut-off domain whose images lie in
# folders that no storage pool holds: with the host's virt-snaptree (VIRT_SNAPTREE_REMOTE names
# this build, the "host" being this machine) the tree shows the whole chain; without it (a path
# that does not exist) the disk's chain below its top is "not known", and the details say why.
# No ssh prompt reaches the screen either way.
. "${top_srcdir:-.}/tests/lab/lab.sh"
. "$top_srcdir/tests/lab/ssh-lib.sh"
. "$top_srcdir/tests/tui/tui-lib.sh"
lab_init
lab_ssh_need
tui_init
plan 8
BINABS=$(realpath "$BIN")

uri=$(lab_daemon_start "$LAB_TMP/d") || bail_out "no daemon"
lab_sshd_start "$LAB_TMP/ssh" || bail_out "no sshd"
suri=$(lab_ssh_uri "$LAB_TMP/ssh" "$uri")
G=$LAB_TMP/golden V=$LAB_TMP/vms
lab_chain "$G" gold-base.qcow2 && lab_chain --from "$G/gold-base.qcow2" "$V" app.qcow2 ||
    bail_out "images"
lab_domain_define "$uri" app --disk "vda=$V/app.qcow2" || bail_out "domain app"

T_ENV="LANG=C.UTF-8 VIRT_SNAPTREE_REMOTE=$BINABS" tui_start 200 40 -c "$suri"
ok "installed: the shut-off chain's base in another folder is in the tree" \
    tui_wait "gold-base.qcow2" 30 || diag "$(tui_screen)"
unlike "$(tui_screen)" "chain below not known" "and nothing is said to be unknown"
unlike "$(tui_screen)" "assword" "no prompt on the screen"
tui_keys q
tui_wait "__EXITED__" 10
tui_stop

T_ENV="LANG=C.UTF-8 VIRT_SNAPTREE_REMOTE=/nonexistent/virt-snaptree" tui_start 200 40 -c "$suri"
ok "not installed, no pool: the disk's chain is marked not known" \
    tui_wait "chain below not known" 30 || diag "$(tui_screen)"
unlike "$(tui_screen)" "gold-base.qcow2" "and the base is not shown"
tui_keys End
ok "the last layer's details say its backing file is not known, and why" \
    tui_wait "Backing      not known: virt-snaptree not installed on 127.0.0.1" 10 ||
    diag "$(tui_screen)"
tui_keys Up
ok "so do the disk's" tui_wait "virt-snaptree not installed on 127.0.0.1, and no storage" 10 ||
    diag "$(tui_screen)"
tui_keys q
ok "the interface ends" tui_wait "__EXITED__" 10
tui_stop
done_testing
