#!/bin/bash
# What merging frees and adds, shown by the interface: the detail pane of a layer says what
# committing it into the layer below frees and adds there, an external snapshot's what deleting
# it does (libvirt merges its overlay into the image below) as its delete plan does, and the
# merge plan says the same with the peak the target's room must take. Patterned data at known
# offsets make the growth exact: the layer below holds some of the ranges already.
. "${top_srcdir:-.}/tests/lab/lab.sh"
. "$top_srcdir/tests/tui/tui-lib.sh"
. "$top_srcdir/tests/tui/merge-lib.sh"
lab_init
tui_init
plan 10
export LANG=C.UTF-8

uri=$(lab_daemon_start "$LAB_TMP/d") || bail_out "no daemon"
I=$LAB_TMP/img
mkdir -p "$I"
# base: 0-4M. mid: 2M-6M (adds 4M-6M to the base). top: 8M-9M (adds 1 MiB to mid).
qemu-img create -q -f qcow2 "$I/m-base.qcow2" 64M &&
    lab_io_write "$I/m-base.qcow2" 0xa1 0 4M >>"$LAB_LOG" 2>&1 &&
    qemu-img create -q -f qcow2 -b "$I/m-base.qcow2" -F qcow2 "$I/m-mid.qcow2" &&
    lab_io_write "$I/m-mid.qcow2" 0xb1 2M 4M >>"$LAB_LOG" 2>&1 &&
    qemu-img create -q -f qcow2 -b "$I/m-mid.qcow2" -F qcow2 "$I/m-top.qcow2" &&
    lab_io_write "$I/m-top.qcow2" 0xc1 8M 1M >>"$LAB_LOG" 2>&1 || bail_out "chain"
lab_domain_define "$uri" m --disk "vda=$I/m-top.qcow2" || bail_out "define"
# An external snapshot whose overlay then takes 512 KiB the top does not hold, and 512 KiB it does.
lab_snapshot_external "$uri" m snapone vda "$I/m-snap.qcow2" || bail_out "snapshot"
lab_io_write "$I/m-snap.qcow2" 0xd1 12M 512K 0xd2 8M 512K >>"$LAB_LOG" 2>&1 || bail_out "write"

# The detail pane (right of the last frame line) as one line.
pane_says() { tui_screen | sed -n 's/^.*│//p' | tr -s ' \n' ' ' | grep -qE -- "$1"; }
net='net [0-9.]+ [KM]iB (freed|more used)'
# The whole screen as one line.
said_re() { tui_screen | tr -s ' \n' ' ' | grep -qE -- "$1"; }
line_re() { tui_screen | grep -qE -- "$1"; } # some line of the screen

tui_start 220 40 -c "$uri"
ok "the chain is shown" tui_wait "m-base.qcow2" 20
select_node "m-mid.qcow2"
ok "a layer's details: what committing it into the layer below frees and adds" \
    tui_until 5 pane_says "Merging it into m-base\.qcow2: frees [0-9.]+ MiB, m-base\.qcow2 grows by 2\.00 MiB, $net"
select_node "m-top.qcow2"
ok "the layer above it: 1 MiB into m-mid.qcow2" \
    tui_until 5 pane_says "into m-mid\.qcow2: frees [0-9.]+ [KM]iB, m-mid\.qcow2 grows by 1\.00 MiB, $net"
select_node "m-base.qcow2"
ok "the base: nothing below it to merge into" tui_until 5 pane_says "Path $I/m-base\.qcow2"
unlike "$(tui_screen)" "Merging it" "no merge figure for the base"
select_node "snapone"
ok "a snapshot's details: deleting it merges its overlay into the image below" \
    tui_until 5 pane_says "Deleting it vda merges m-snap\.qcow2 into m-top\.qcow2: frees [0-9.]+ [KM]iB, m-top\.qcow2 grows by 512 KiB, $net"

tui_keys d
# The plan's line wraps inside its frame: its two parts.
ok "its delete plan says the same for the overlay merged" tui_until 10 line_re \
    "vda: space: merging m-snap\.qcow2 into m-top\.qcow2: frees [0-9.]+ [KM]iB, m-top\.qcow2 grows by"
ok "with the growth and the net" line_re "│ +512 KiB, $net +│"
tui_keys Escape
tui_wait_gone "Delete snapshot snapone" 5

commit_plan m-mid.qcow2 0
ok "the plan says what the commit frees and adds" \
    tui_until 5 said_re "Space: frees [0-9.]+ MiB, m-base\.qcow2 grows by 2\.00 MiB, $net"
ok "and the peak where the data lands" \
    tui_until 1 said_re "Peak: 2\.00 MiB more where the data lands \(m-base\.qcow2 grows before any file leaves\)"
tui_keys Escape
tui_keys q
tui_wait "__EXITED__" 5
