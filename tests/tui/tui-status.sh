#!/bin/bash
# The status line: host states first, short names (two long URIs both keep their state), F5's
# "refreshing…" goes when the refresh ends, the last error keeps a slot of its own until Esc.
# Also: -c given twice shows both hosts in the tree.
. "$(dirname "$0")/tui-lib.sh"
tui_client_only "the test:// driver"
tui_init
export LANG=C.UTF-8
plan 13

# Two hosts whose URIs are long and end alike: told apart by their place.
long=$T_DIR/a-rather-long-folder-name-for-the-first-host-of-this-test
long2=$T_DIR/another-rather-long-folder-name-for-the-second-host
mkdir -p "$long" "$long2"
cp "$top_srcdir/tests/tui/hosts/article.xml" "$long/article.xml"
cp "$top_srcdir/tests/tui/hosts/article.xml" "$long2/article.xml"
h1="test://$long/article.xml" h2="test://$long2/article.xml"

status() { tui_screen | tail -n1; }

tui_start 80 24 -c "$h1" -c "$h2"
ok "-c twice: the first host is in the tree" tui_wait "Host         test://$T_DIR/" 10
# Its row is there before its model (the detail names the host at once): Left must wait for the
# domains, or it collapses nothing and the model then opens the host over the whole pane.
tui_wait "Domains      5" 10
tui_keys Left
hosts_shown() { [ "$(tui_screen | grep -cE '^[▾▸] test:///')" = 2 ]; }
ok "-c twice: with the first collapsed, the second host's row is there too" \
    tui_until 5 hosts_shown
ok "80x24: both hosts' states on the status line, by short name" \
    tui_wait "article.xml[1]: connected  article.xml[2]: connected" 10

tui_keys F5
ok "F5's message goes as soon as the refresh is over (not 15 s later)" \
    tui_wait_gone "refreshing" 5
like "$(status)" "^article\\.xml\\[1\\]: connected  article\\.xml\\[2\\]: connected$" \
    "and the host states remain"

tui_resize 160 24
tui_keys g Down c
ok "an error is shown" tui_wait "commit: select a layer of a disk's chain first" 3
tui_keys x
ok "a later message comes next to it" tui_wait "unknown key: press ? for help" 3
like "$(status)" "commit: select a layer of a disk's chain first  unknown key: press \\? for help$" \
    "the error keeps its slot before the message"
like "$(status)" "^article\\.xml\\[1\\]: connected  article\\.xml\\[2\\]: connected  " \
    "the hosts still come first"
tui_keys Escape
ok "Esc dismisses the error" tui_wait_gone "commit: select a layer" 3
like "$(status)" "unknown key" "the message stays"

tui_resize 40 12
ok "40x12: both hosts keep their state, in short words" \
    tui_wait "article.xml[1]: ok  article.xml[2]: ok" 5
tui_keys q
ok "q quits" tui_wait "__EXITED__ 0" 5
done_testing
