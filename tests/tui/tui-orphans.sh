#!/bin/bash
# The orphan finder's view (O): on a host whose image folder holds a chain in use, an image
# nothing references and a save file nothing names, the view lists each with what it is, offers
# to remove the two unreferenced ones with their count and bytes, and after a typed yes they are
# gone and the chain in use reads the same data. Read-only (-r) shows the files and removes none.
. "${top_srcdir:-.}/tests/lab/lab.sh"
. "$top_srcdir/tests/tui/tui-lib.sh"
. "$top_srcdir/tests/tui/merge-lib.sh"
lab_init
tui_init
plan 9
export LANG=C.UTF-8
umask 077

uri=$(lab_daemon_start "$LAB_TMP/d") || bail_out "no daemon"
I=$LAB_TMP/img
lab_chain --absolute --patterns "$I" base.qcow2 top.qcow2 || bail_out "chain"
lab_domain_define "$uri" vm --disk "vda=$I/top.qcow2" --shutoff || bail_out "define"
qemu-img create -q -f qcow2 "$I/lone.qcow2" 1M || bail_out "lone"
{ printf 'LibvirtQemudSave'; head -c 4080 /dev/zero; } >"$I/old.save"
bytes=$((($(stat -c %b "$I/lone.qcow2") + $(stat -c %b "$I/old.save")) * 512))
total=$(awk -v b=$bytes 'BEGIN { split("B KiB MiB", u, " "); for (i = 1; b >= 1024 && i < 3; i++) b /= 1024
    printf(b < 10 ? "%.2f %s" : b < 100 ? "%.1f %s" : "%.0f %s", b, u[i]) }')

tui_start 130 40 -r -c "$uri"
ok "the host is shown" tui_wait "top.qcow2" 20
tui_keys O
ok "O opens the view" tui_wait "Files in the host's folders" 5
ok "read-only: nothing is offered" tui_wait "Read-only (-r): nothing is removed." 5
tui_keys Escape q
tui_wait "__EXITED__" 5
tui_stop

tui_start 130 40 -c "$uri"
ok "the host is shown again" tui_wait "top.qcow2" 20
tui_keys O
ok "the view lists the orphan" tui_wait "orphan: $I/lone.qcow2" 5
s=$(tui_screen)
like "$s" "backing file: $I/base\\.qcow2  [0-9.]+ KiB, 0 days old, by vm vda" "and what the chain's files are, by whom"
like "$s" "Remove the 2 files marked \\($total\\)\\? Nothing references them\\." \
    "the removal says the count and the bytes"
confirm_yes
ok "a typed yes removes them" tui_wait "Removed 2 files." 5
is "$(cd "$I" && ls | LC_ALL=C sort | paste -sd' ')" "base.qcow2 top.qcow2" \
    "only the chain in use is left"
tui_keys q
tui_wait "__EXITED__" 5
