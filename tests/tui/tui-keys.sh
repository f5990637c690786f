#!/bin/bash
# Every dialog takes its keys from the key table: ? there shows that dialog's keys, and the
# moving keys work as in the tree (G in a list: its last item).
# Key codes and characters are told apart: curses numbers its KEY_* codes above 256, where they
# meet Unicode characters (KEY_UP is U+0103 ă, KEY_F(5) is U+010D č). Typing such a character
# must not act as the key whose code it shares.
. "$(dirname "$0")/tui-lib.sh"
tui_client_only "the test:// driver"
tui_init
HOST="test://$top_srcdir/tests/tui/hosts/article.xml"
export LANG=C.UTF-8
plan 17

# The trace (tests/bench's measuring tool) shows the refreshes the keys asked for.
trace=$T_DIR/trace
# No periodic refresh: only keys ask for one.
T_ENV="VIRT_SNAPTREE_TRACE=$trace" tui_start 100 30 --interval 3600 -c "$HOST"
refreshes() { grep -c 'refresh-begin' "$trace" 2>/dev/null || echo 0; }
ok "the tree appears" tui_wait "test2_lsof.qcow2" 10
before=$(refreshes)
tui_type "č"
ok "č (U+010D, the code of F5) is an unknown key" tui_wait "unknown key: press ? for help" 3
is "$(refreshes)" "$before" "and it does not refresh"
tui_keys Down
ok "Down selects db01" tui_wait "Domain       db01" 3
tui_type "ă"
# Keys are handled in order: once the help that follows is up, ă has been handled too.
tui_keys '?'
tui_wait "Moving around" 3
tui_keys Escape
tui_wait_gone "Moving around" 3
s=$(tui_screen)
like "$s" "Domain       db01" "ă (U+0103, the code of Up) leaves the selection where it was"
like "$s" "unknown key: press \\? for help" "and is reported as an unknown key"
tui_keys Up
ok "the Up key still moves up" tui_wait "Host         test:" 3
before=$(refreshes)
tui_keys F5
more_refreshes() { [ "$(refreshes)" -gt "$before" ]; }
ok "the F5 key still refreshes" tui_until 5 more_refreshes
tui_keys / ; tui_type "lsof.q"; tui_keys Enter c
ok "c on a layer opens the base picker" tui_wait "down into which layer?" 3
tui_keys '?'
ok "? over the picker shows a list's keys" tui_wait "take the item" 3
s=$(tui_screen)
like "$s" "PgDn \^F +page down" "and the moving keys"
unlike "$s" "expand or collapse" "not the tree's"
tui_keys Escape
ok "Esc closes that help, the picker stays" tui_wait_gone "take the item" 3
tui_keys G Enter
ok "G takes the list's last item" tui_wait "into centos.qcow2" 5
tui_keys '?'
tui_wait "Plan screens" 3
# There the letters are the typed yes: the help names only the keys that move.
like "$(tui_screen)" "Up +move up" "the plan's help: Up scrolls"
unlike "$(tui_screen)" "Up k" "k is not offered there (it is a letter of the typed word)"
tui_keys Escape Escape
tui_wait_gone "into centos.qcow2" 3
tui_keys q
ok "q quits" tui_wait "__EXITED__ 0" 5
done_testing
