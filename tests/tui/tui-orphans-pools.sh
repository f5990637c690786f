#!/bin/bash
# The orphan finder's view (O) reads the host's storage pools, which periodic refreshes do not
# list: an orphan that lies only in an active pool's folder (no domain has a file there) is
# listed as --orphans lists it, with its size and that nothing references it, and a typed yes
# removes exactly that file; a pool that is not active is named as not scanned, and the orphan
# in its folder is neither listed nor touched. F5 inside the view reads the pools again. A remote
# host (qemu+tcp: its images are not on this machine) shows its pool's volumes as --orphans does,
# offers none, and says what could not be scanned.
. "${top_srcdir:-.}/tests/lab/lab.sh"
. "$top_srcdir/tests/tui/tui-lib.sh"
. "$top_srcdir/tests/tui/merge-lib.sh"
lab_init
tui_init
plan 19
export LANG=C.UTF-8
umask 077

port=$((16500 + $$ % 200))
uri=$(LAB_DAEMON_TCP_PORT=$port lab_daemon_start "$LAB_TMP/d") || bail_out "no daemon"
turi="qemu+tcp://127.0.0.1:$port/system"
I=$LAB_TMP/img
P=$LAB_TMP/pool
Q=$LAB_TMP/idle
lab_chain --absolute --patterns "$I" base.qcow2 top.qcow2 || bail_out "chain"
lab_domain_define "$uri" vm --disk "vda=$I/top.qcow2" --shutoff || bail_out "define"
mkdir -p "$P" "$Q" || bail_out "pool folders"
qemu-img create -q -f qcow2 "$P/lone.qcow2" 4M || bail_out "orphan"
lab_io_write "$P/lone.qcow2" 0x5a 0 1M || bail_out "orphan's data"
qemu-img create -q -f qcow2 "$Q/idle.qcow2" 4M || bail_out "inactive pool's image"
lab_io_write "$Q/idle.qcow2" 0x3c 0 1M || bail_out "inactive pool's data"
lab_virsh "$uri" pool-create-as pool dir --target "$P" >/dev/null || bail_out "pool"
lab_virsh "$uri" pool-define-as idle dir --target "$Q" >/dev/null || bail_out "inactive pool"
size=$(awk -v b=$(($(stat -c %b "$P/lone.qcow2") * 512)) 'BEGIN { split("B KiB MiB", u, " ")
    for (i = 1; b >= 1024 && i < 3; i++) b /= 1024
    printf(b < 10 ? "%.2f %s" : b < 100 ? "%.1f %s" : "%.0f %s", b, u[i]) }')
# What --orphans says of the orphan: the view says the same, through the same classification.
cli=$(XDG_CONFIG_HOME=$T_DIR/config "$BIN" -c "$uri" --orphans | grep -F "orphan: $P/lone.qcow2")
is "$cli" "orphan: $P/lone.qcow2  $size, 0 days old, nothing references it" \
    "--orphans lists the pool's orphan"

tui_start 200 40 -c "$uri"
ok "the host is shown" tui_wait "top.qcow2" 20
# With the daemon stopped the pools cannot be read: the view says it waits, and keys still work.
dpid=$(lab_daemon_pid "$uri") || bail_out "daemon pid"
kill -STOP "$dpid"
tui_keys O
ok "the view says it reads the pools while the host does not answer" \
    tui_wait "Reading the host's storage pools…" 5
tui_keys '?'
ok "the interface answers keys meanwhile" tui_wait "Plan screens" 5
tui_keys Escape
kill -CONT "$dpid"
ok "O lists the orphan that only the pool holds" tui_wait "orphan: $P/lone.qcow2" 10
s=$(tui_screen)
like "$s" "$(printf '%s' "$cli" | sed 's/[.()?*+]/\\&/g')" "with its size and that nothing references it, as --orphans says"
# The line names the host by its URI and wraps in the view's width.
like "$(tr -s ' │\n' ' ' <<<"$s")" "not scanned: [^ ]*libvirt-sock: storage pool idle: not active: its volumes are not listed" \
    "the pool that is not active is named as not scanned"
unlike "$s" "idle\\.qcow2" "the inactive pool's folder is not listed"
like "$s" "Remove the 1 file marked \\($size\\)\\? Nothing references it\\." \
    "the removal says the count and the bytes"
confirm_yes
ok "a typed yes removes it" tui_wait "Removed 1 file." 5
is "$(ls -A "$P")" "" "the orphan is gone from the pool's folder"
ok "the chain in use reads the same data" lab_pattern_verify "$I/top.qcow2" 2
ok "the inactive pool's image is untouched" lab_io_verify "$Q/idle.qcow2" 0x3c 0 1M 0 1M 3M

# F5 inside the view lists the pools again: a file that came later is found.
tui_keys O
ok "nothing is left to remove" tui_wait "Nothing here can be removed." 10
qemu-img create -q -f qcow2 "$P/later.qcow2" 1M || bail_out "later orphan"
tui_keys F5
ok "F5 in the view reads the pool again" tui_wait "orphan: $P/later.qcow2" 10
tui_keys Escape q
tui_wait "__EXITED__" 5
tui_stop

# The pool lists its volumes as of its last refresh: the remote view sees what the disk holds.
lab_virsh "$uri" pool-refresh pool >/dev/null || bail_out "pool refresh"
rname=$(lab_virsh "$turi" hostname) || bail_out "remote host name"
cli=$("$BIN" -c "$turi" --orphans | grep "^orphan: ")
tui_start 200 40 -c "$turi"
ok "the remote host is shown" tui_wait "top.qcow2" 20
tui_keys O
ok "the remote view lists the pool's volume" tui_wait "orphan: $P/later.qcow2" 10
s=$(tui_screen)
like "$s" "$(printf '%s' "$cli" | sed 's/[.()?*+]/\\&/g')" "as --orphans does: its size from the pool, its host for an age"
like "$(tr -s ' │\n' ' ' <<<"$s")" "not scanned: $rname: its images are not on this machine.* Nothing here can be removed\\." \
    "the remote limit is said, and nothing is offered"
tui_keys Escape q
tui_wait "__EXITED__" 5
