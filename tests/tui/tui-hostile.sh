#!/bin/bash
# Untrusted strings never reach the terminal raw: backing file names read from image headers
# carry escape sequences (a title change, a screen clear, colours, BEL) and invalid UTF-8.
. "${top_srcdir:-.}/tests/lab/lab.sh"
. "$top_srcdir/tests/tui/tui-lib.sh"
lab_init
tui_init
plan 11

img=$LAB_TMP/img
mkdir -p "$img"
evil=$'evil\e]0;PWNED\a\e[2J\e[31mred\e[0m.qcow2'
bad=$'bad\xff\xfe\xc0\xaf.qcow2'
qemu-img create -q -f qcow2 "$img/$bad" 64M
qemu-img create -q -f qcow2 -b "$bad" -F qcow2 "$img/$evil"
qemu-img create -q -f qcow2 -b "$evil" -F qcow2 "$img/top.qcow2"
ok "the hostile names are stored in the headers" \
    test "$(qemu-img info -U --output=json "$img/top.qcow2" | jq -r '."backing-filename"')" = "$evil"
E=$LAB_TMP/e
euri=$(lab_embed "$E") || bail_out "no embed root"
lab_domain_define "$euri" hostile --disk "vda=$img/top.qcow2" --shutoff || bail_out "define"

export LANG=C.UTF-8
tui_start 120 30 -c "$euri"
ok "the chain appears" tui_wait "top.qcow2" 15
sleep 1
s=$(tui_screen)
like "$s" "evil�\\]0;PWNED��\\[2J�\\[31mre" "escape sequences are shown as U+FFFD and plain text"
like "$s" "bad����\\.qcow2|bad��\\.qcow2|bad���\\.qcow2" "invalid UTF-8 is replaced"
unlike "$(tui_screen_escapes)" $'\e\\]0;' "no title-change sequence came through"
is "$(tmux -S "$T_SOCK" display -p -t t '#{pane_title}')" "$(hostname)" \
    "the pane title is still the default (no OSC 0 reached tmux)"
# (The interface's own red marks the broken layer below; the name's red would be followed by
# the "re" of "red".)
unlike "$(tui_screen_escapes)" $'\e\\[31mre' "no red from the file name"
like "$s" "bad�+\\.qcow2 BROKEN" "the name that is not UTF-8 is marked broken (libvirt cannot name it)"
tui_keys / ; tui_type "evil"; tui_keys Enter
ok "the detail pane shows the path, sanitized too" tui_wait "red�[0m.qcow2" 5
like "$(tui_screen)" "Header +bad" "the raw backing name from the header is shown sanitized"
tui_keys q
tui_wait "__EXITED__" 5
# Only one process may hold the embedded root: the interface has quit.
text=$("$BIN" -c "$euri" --list)
unlike "$text" $'\e' "--list prints no escape character either"
done_testing
