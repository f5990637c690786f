#!/bin/bash
# Untrusted strings never reach the terminal raw: backing file names read from image headers
# carry escape sequences (a title change, a screen clear, colours, BEL) and invalid UTF-8.
. "${top_srcdir:-.}/tests/lab/lab.sh"
. "$top_srcdir/tests/tui/tui-lib.sh"
lab_init
tui_init
plan 13

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
euri=$(lab_stack_host "$E") || bail_out "no host"
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
# The detail pane's Path value, its wrapped lines joined: the pane starts after column 72 of
# 120 (the tree takes 71, the separator one).
detail_path() {
    tui_screen | python3 -c '
import sys, unicodedata
def after(line, col):
    w = 0
    for i, c in enumerate(line):
        if w >= col:
            return line[i:]
        w += 2 if unicodedata.east_asian_width(c) in "WF" else 1
    return ""
out, on = "", False
for line in sys.stdin.read().split("\n"):
    d = after(line, 73)
    if d.startswith("Path "):
        on = True
    elif on and d[:1].strip():
        break
    if on:
        out += d[12:].strip()
print(out)'
}
tui_keys / ; tui_type "evil"; tui_keys Enter
tui_wait "│ Path" 5
like "$(detail_path)" "/evil�\]0;PWNED��\[2J�\[31mred�\[0m\.qcow2$" \
    "the detail pane shows the path, sanitized too"
like "$(tui_screen)" "Header +bad" "the raw backing name from the header is shown sanitized"
tui_keys q
tui_wait "__EXITED__" 5
# Only one process may hold the embedded root: the interface has quit.
# And a chain whose backing file is gone (after the screen checks: a broken layer is drawn red).
qemu-img create -q -f qcow2 -u -b "$img/gone.qcow2" -F qcow2 "$img/orphan.qcow2" 64M
lab_domain_define "$euri" orphan --disk "vda=$img/orphan.qcow2" --shutoff || bail_out "define 2"
text=$("$BIN" -c "$euri" --list)
unlike "$text" $'\e' "--list prints no escape character either"
like "$text" "gone\.qcow2.*missing: No such file or directory" "a missing backing file says so"
if locale -a 2>/dev/null | grep -qi '^zh_CN\.utf-\?8$' && command -v msgfmt >/dev/null &&
    grep -q '^#define ENABLE_NLS 1' "$top_builddir/config.h"; then
    mkdir -p "$T_DIR/locale/zh_CN/LC_MESSAGES"
    msgfmt -o "$T_DIR/locale/zh_CN/LC_MESSAGES/virt-snaptree.mo" "$top_srcdir/po/zh_CN.po"
    zh=$(VIRT_SNAPTREE_LOCALEDIR=$T_DIR/locale LANG=zh_CN.UTF-8 LANGUAGE= "$BIN" -c "$euri" --list)
    like "$zh" "gone\.qcow2.*缺失" "in Chinese, the reason is translated"
else
    skip "in Chinese, the reason is translated" "no zh_CN.UTF-8 locale, msgfmt or NLS"
fi
done_testing
