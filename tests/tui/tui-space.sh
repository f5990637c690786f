#!/bin/bash
# What a domain's and a disk's images occupy on the host, in the detail pane: a base image two
# domains share (lab_shared_base, shut off) is counted once and said apart, and the figures are
# what du counts for the files (their allocated blocks), next to the virtual size.
. "${top_srcdir:-.}/tests/lab/lab.sh"
. "$top_srcdir/tests/tui/tui-lib.sh"
. "$top_srcdir/tests/tui/merge-lib.sh"
lab_init
tui_init
plan 6
export LANG=C.UTF-8

uri=$(lab_daemon_start "$LAB_TMP/d") || bail_out "no daemon"
I=$LAB_TMP/img
lab_shared_base "$uri" "$I" shutoff || bail_out "shared base"
fmt() { # the program's units for a byte count
    awk -v b="$1" 'BEGIN { if (b < 1024) { print b " B"; exit }
        split("B KiB MiB GiB", u, " "); for (i = 1; b >= 1024 && i < 4; i++) b /= 1024
        printf(b < 10 ? "%.2f %s\n" : b < 100 ? "%.1f %s\n" : "%.0f %s\n", b, u[i]) }'
}
golden=$(($(stat -c %b "$I/golden.qcow2") * 512))
vm1=$(($(stat -c %b "$I/vm1.qcow2") * 512))
ok "du agrees with the blocks counted" test "$(du -B1 -c "$I/golden.qcow2" "$I/vm1.qcow2" | tail -1 | cut -f1)" = $((golden + vm1))

tui_start 200 30 -c "$uri"
ok "the domains are shown" tui_wait "vm2.qcow2" 20
select_node "vm1"
# The line wraps in the pane: its first part, then the rest on the line below.
want="On host      $(fmt $((golden + vm1))) in 2 files ($(fmt $golden) in 1 shared with other domains,"
ok "vm1: its files, the shared base counted once" tui_wait "$want" 5
like "$(tui_screen)" "│              counted once\); virtual 64\.0 MiB$" "and its virtual size"
tui_keys Down
ok "its disk: the same files" tui_wait "Disk         vda" 5
like "$(tui_screen)" "$(sed 's/[().]/\\&/g' <<<"$want")" "the same figures"
tui_keys q
tui_wait "__EXITED__" 5
