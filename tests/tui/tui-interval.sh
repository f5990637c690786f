#!/bin/bash
# The periodic refresh: an external snapshot taken with virsh changes the chain without any event
# the interface listens to; with --interval 3 the new active layer shows within the interval (and
# a margin for a loaded machine); with --interval 60 it does not show by itself in that time, and
# F5 brings it at once.
. "${top_srcdir:-.}/tests/lab/lab.sh"
. "$top_srcdir/tests/tui/tui-lib.sh"
lab_init
tui_init
plan 6
export LANG=C.UTF-8

uri=$(lab_daemon_start "$LAB_TMP/d") || bail_out "no daemon"
img=$LAB_TMP/img
lab_chain "$img" base.qcow2 ivm.qcow2 >/dev/null || bail_out "chain"
lab_domain_define "$uri" ivm --disk "vda=$img/ivm.qcow2" --running >/dev/null || bail_out "define"

tui_start 110 32 --interval 3 -c "$uri"
ok "--interval 3: the chain appears" tui_wait "ivm.qcow2 ◀ you are here" 20
lab_snapshot_external "$uri" ivm s1 vda "$img/ivm_s1.qcow2" >/dev/null || bail_out "snapshot s1"
t0=$(lab_now)
ok "--interval 3: the snapshot taken with virsh shows by itself" \
    tui_wait "ivm_s1.qcow2 ◀ you are here" 15
secs=$(lab_elapsed "$t0")
diag "shown after $secs s"
ok "within the interval (3 s, and 5 s of margin)" awk -v s="$secs" 'BEGIN { exit !(s <= 8) }'
tui_keys q
tui_wait "__EXITED__" 5
tui_stop

tui_start 110 32 --interval 60 -c "$uri"
ok "--interval 60: the chain appears" tui_wait "ivm_s1.qcow2 ◀ you are here" 20
lab_snapshot_external "$uri" ivm s2 vda "$img/ivm_s2.qcow2" >/dev/null || bail_out "snapshot s2"
# No event announces it: eight seconds later the old chain is still what is shown.
not_shown() { ! tui_wait "ivm_s2.qcow2" 8; }
ok "--interval 60: no event brings it (only the refresh can)" not_shown
tui_keys F5
ok "F5 refreshes at once" tui_wait "ivm_s2.qcow2 ◀ you are here" 10
tui_keys q
tui_wait "__EXITED__" 5
done_testing
