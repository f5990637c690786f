#!/bin/bash
# A block job that fails in the middle says why, also where libvirt knows nothing: a commit into
# a base whose file system fills up (a small tmpfs, mounted before the daemon starts so that its
# namespace shares it) fails with ENOSPC; libvirt 9.0's event and job statistics carry no
# reason, the full file system on this machine does. The chain and every byte stay as they were.
. "${top_srcdir:-.}/tests/lab/lab.sh"
. "$top_srcdir/tests/tui/tui-lib.sh"
. "$top_srcdir/tests/tui/merge-lib.sh"
lab_init
tui_init
plan 8
export LANG=C.UTF-8

S=$LAB_TMP/small
mkdir -p "$S" && mount -t tmpfs -o size=48M tmpfs "$S" || bail_out "cannot mount a tmpfs"
lab_on_cleanup umount -l "$S"
uri=$(lab_daemon_start "$LAB_TMP/d") || bail_out "no daemon"
I=$LAB_TMP/img
lab_chain --patterns "$S" jf-base.qcow2 >/dev/null || bail_out "base"
lab_chain --patterns --from "$S/jf-base.qcow2" "$I" jf-mid.qcow2 jf-top.qcow2 >/dev/null ||
    bail_out "chain"
lab_io_write "$I/jf-mid.qcow2" 0xda 8M 30M || bail_out "write"
lab_domain_define "$uri" filler --disk "vda=$I/jf-top.qcow2" --running || bail_out "define"

tui_start 200 40 -c "$uri"
ok "the chain is shown" tui_wait "jf-mid.qcow2" 20
commit_plan jf-mid.qcow2 2
confirm_yes
ok "the commit runs" tui_wait_line "filler/vda" "running" 20
# Leave the base no room: the job's next writes fail with ENOSPC.
dd if=/dev/zero of="$S/fill" bs=1M 2>/dev/null
ok "the job shows failed" tui_wait_line "filler/vda" "failed" 30
ok "saying that its file system is full" \
    tui_wait_line "filler/vda" "no space left on the filesystem at $S (" 10 || diag "$(tui_screen)"
unlike "$(tui_screen)" "libvirt reported that the block job failed" "not a fixed text"
rm -f "$S/fill"
is "$(live_chain "$uri" filler)" "jf-top.qcow2 jf-mid.qcow2 jf-base.qcow2" "the chain is as it was"
ok "every byte reads back through it" lab_pattern_verify -d "$uri" filler vda 3 0xda:8M:30M
is "$(lab_domain_state "$uri" filler)" "running" "the guest runs on"
tui_keys q
tui_wait "__EXITED__" 5
done_testing
