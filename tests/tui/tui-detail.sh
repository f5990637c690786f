#!/bin/bash
# The detail pane: half the body below the tree, everything of a snapshot at 80x24, scrolling
# with [ and ] (the "more" marker says where), values wrapped at a space or a '/', a host's
# error whole at 100x20, a pane even at 40x12.
. "$(dirname "$0")/tui-lib.sh"
tui_client_only "the test:// driver"
tui_init
HOST="test://$top_srcdir/tests/tui/hosts/article.xml"
export LANG=C.UTF-8
plan 19

tui_start 80 24 -c "$HOST"
ok "80x24: the tree appears" tui_wait "test2_lsof.qcow2" 10
tui_keys / ; tui_type "lsof"; tui_keys Enter n
ok "80x24: the lsof snapshot is selected" tui_wait "Snapshot     lsof" 3
s=$(tui_screen)
like "$s" "^ Description  after installing lsof$" "80x24: the snapshot's description is shown"
like "$s" "^ Disk         vda external /var/lib/libvirt/images/test2_lsof\.qcow2$" \
    "80x24: and its disk"
unlike "$s" " of [0-9]+ +\\[/\\] scroll" "80x24: it all fits, no scroll marker"

tui_resize 40 12
ok "40x12: the detail pane is still there, with a marker" tui_wait "1-4 of 18  [/] scroll" 5
like "$(tui_screen)" "^ Snapshot     lsof$" "40x12: from the top"
tui_keys ']'
ok "] scrolls down a page less a line" tui_wait "4-7 of 18  [/] scroll" 3
s=$(tui_screen)
like "$s" "^ Current      yes: the next snapshot's$" "a long value wraps at a space"
like "$s" "^              parent; the domain is at$" "and goes on under its value"
tui_keys ']' ']'
ok "] again reaches the disk" tui_wait "10-13 of 18  [/] scroll" 3
s=$(tui_screen)
like "$s" "^ Disk         vda external$" "a path goes to a line of its own rather than be cut"
like "$s" "^              /var/lib/libvirt/images/$" "and wraps after a '/'"
tui_keys ']' ']'
ok "] again reaches the end" tui_wait "15-18 of 18  [/] scroll" 3
like "$(tui_screen)" "^              read from here\)$" \
    "what deleting it frees is unknown on a host whose images are not read here"
tui_keys '[' '['
tui_keys '['
ok "[ scrolls back up" tui_wait "6-9 of 18  [/] scroll" 3
tui_keys Up
ok "another node's details start at the top" tui_wait "Snapshot     net-tools" 3
tui_keys q
tui_wait "__EXITED__" 5
tui_stop

tui_start 100 20 -c "test:///nonexistent/virt-snaptree/host.xml"
ok "100x20: a failed host's error is shown whole" \
    tui_wait "document '/nonexistent/virt-snaptree/host.xml'" 10
tui_keys '?'
tui_wait "Moving around" 3
tui_keys NPage
ok "the help lists the detail keys, made from the key table" tui_wait "[ S-Up" 3
tui_keys Escape q
done_testing
