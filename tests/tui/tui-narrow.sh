#!/bin/bash
# Narrow terminals keep the state: at 40x12 a running domain, its host and a disk's block job
# still show (short forms where the full ones do not fit). The job is a bandwidth-limited commit
# started with virsh, so that it runs long enough to be looked at.
. "${top_srcdir:-.}/tests/lab/lab.sh"
. "$top_srcdir/tests/tui/tui-lib.sh"
. "$top_srcdir/tests/tui/merge-lib.sh"
lab_init
tui_init
plan 7
export LANG=C.UTF-8

uri=$(lab_daemon_start "$LAB_TMP/d") || bail_out "no daemon"
img=$LAB_TMP/img
lab_chain "$img" base.qcow2 mid.qcow2 || bail_out "chain"
# 12 MiB in the layer to commit: at 1 MiB/s the job runs for about twelve seconds.
qemu-io -f qcow2 -c 'write -P 0xd1 0 12M' "$img/mid.qcow2" >/dev/null || bail_out "write"
lab_chain --from "$img/mid.qcow2" "$img" top.qcow2 || bail_out "overlay"
lab_domain_define "$uri" narrowvm --disk "vda=$img/top.qcow2" --running || bail_out "define"
lab_virsh "$uri" blockcommit narrowvm vda --top "$img/mid.qcow2" --base "$img/base.qcow2" \
    --bandwidth 1 >/dev/null || bail_out "blockcommit"
T_EXTRA_CLEANUP="lab_virsh '$uri' blockjob narrowvm vda --abort >/dev/null 2>&1"

tui_start 40 12 -c "$uri"
ok "40x12: the domain appears" tui_wait "narrowvm" 20
ok "40x12: the host's state is shown" tui_wait_line "qemu+unix" "connected" 10
ok "40x12: the running domain's state is shown" tui_wait_line "narrowvm" "running" 10
ok "40x12: the disk's job shows its progress and kind" \
    tui_wait_line "▾ vda" "% commit" 20
tui_resize 30 12
ok "30x12: the short forms take over" tui_wait_line "narrowvm" "run" 5
like "$(tui_line 'narrowvm')" "run$" "30x12: the domain's state still ends its line"
like "$(tui_line '▾ vda')" " +[0-9]+% " "30x12: the disk's job still shows its progress"
tui_keys q
tui_wait "__EXITED__" 5
done_testing
