#!/bin/bash
# Navigation, expansion, search and help on the article's chain (test driver host: pure UI).
. "$(dirname "$0")/tui-lib.sh"
tui_client_only "the test:// driver"
tui_init
HOST="test://$top_srcdir/tests/tui/hosts/article.xml"
plan 29
export LANG=C.UTF-8
tui_start 100 30 -c "$HOST"
ok "the tree appears with the article's active layer" tui_wait "test2_lsof.qcow2" 10
s=$(tui_screen)
like "$s" "test2_lsof\.qcow2 ◀ you are here" "the active layer is marked as you are here"
# Below the tree's first screen: the detail pane takes half of it.
tui_keys / ; tui_type "lsof"; tui_keys Enter n
ok "the current snapshot is marked" tui_wait "lsof ◀ current: you are here" 3
tui_keys /; tui_type "golden"; tui_keys Enter
ok "a shared golden image names the other domain in the detail pane" tui_wait "Shared       web0" 3
like "$(tui_screen)" "golden-debian12\.qcow2 \[shared with web0" "and says so on its line"
tui_keys g

# Down from the host row: first domain is db01 (sorted), then its disks.
tui_keys Down
ok "Down selects db01 and the detail pane shows it" tui_wait "Domain       db01" 3
like "$(tui_screen)" "State        shut off \(reason unknown\)" "a reason 0 is said in words"
tui_keys Left
ok "Left collapses the selected domain" tui_wait_gone "db01.qcow2" 3
tui_keys Right
ok "Right expands it again" tui_wait "db01.qcow2" 3
tui_keys Left Left
ok "Left on a collapsed node goes to the parent" tui_wait "Host         test:" 3
tui_keys Space
ok "Space collapses the host" tui_wait_gone "test2" 3
tui_keys Space
ok "Space expands it again" tui_wait "test2" 3

# Incremental search, also into collapsed branches.
tui_keys g
tui_keys / ; tui_type "net-t"
ok "typing /net-t selects the net-tools layer as you type" tui_wait "Path         /var/lib/libvirt/images/test2_net-tools.qcow2" 3
tui_keys Enter
tui_keys /; tui_type "nmap"; tui_keys Enter
ok "/nmap finds the nmap layer first" tui_wait "Path         /var/lib/libvirt/images/test2_nmap.qcow2" 3
tui_keys n
ok "n goes on to the nmap snapshot" tui_wait "Snapshot     nmap" 3
tui_keys N
ok "N goes back to the layer" tui_wait "Path         /var/lib/libvirt/images/test2_nmap.qcow2" 3
tui_keys Left Left
ok "collapsing test2 hides its chain" tui_wait_gone "test2_lsof.qcow2 ◀" 3
tui_keys /; tui_type "lsof.q"; tui_keys Enter
ok "search reveals a match inside a collapsed domain" tui_wait "Path         /var/lib/libvirt/images/test2_lsof.qcow2" 3
tui_keys /; tui_type "zzz-nothing"
ok "a search without a match says so" tui_wait "(no match for zzz-nothing)" 3
tui_keys Escape
ok "Esc returns to where the search started" tui_wait "Path         /var/lib/libvirt/images/test2_lsof.qcow2" 3

# Action keys on nodes where they do not apply say why in the status line.
tui_keys g / ; tui_type "test2"; tui_keys Enter c
ok "c on a domain: select a layer first" tui_wait "commit: select a layer of a disk's chain first" 3
tui_keys / ; tui_type "centos"; tui_keys Enter c
ok "c on the base image: nothing below it" tui_wait "commit: this is the base image" 3
tui_keys r
ok "r on a layer: select a snapshot first" tui_wait "revert: select a snapshot first" 3
tui_keys a
ok "a where no job runs says so" tui_wait "no running job here" 3
like "$(tui_screen)" "\\[5\\] centos\\.qcow2" "layers show their depth in the chain"

# Help overlay comes from the key table.
tui_keys '?'
tui_wait "Help: keys" 3
s=$(tui_screen)
like "$s" "Right l Enter +expand, or go to the first child" "help lists the expand keys"
tui_keys NPage
ok "help lists the action keys" tui_wait_line "c  " "commit: merge this layer down into a base" 3
tui_keys Escape
ok "Esc closes the help" tui_wait_gone "Help: keys" 3
tui_keys G q
ok "q quits with status 0" tui_wait "__EXITED__ 0" 5
done_testing
