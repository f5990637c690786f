#!/bin/bash
# --ascii picks the glyphs only; text follows the locale's charset. In zh_CN.UTF-8 with --ascii
# the interface stays Chinese and the tree is drawn with ASCII. In a locale that is not UTF-8 the
# program's own punctuation has ASCII fallbacks ("…" is "...") while untrusted non-ASCII text
# (a domain's name) still becomes '?'.
. "$(dirname "$0")/tui-lib.sh"
tui_client_only "the test:// driver"
tui_init
HOST="test://$top_srcdir/tests/tui/hosts/article.xml"
unset LANGUAGE LC_ALL LC_MESSAGES
plan 13

quit() { tui_keys q; tui_wait "__EXITED__" 5; tui_stop; }

# ---- a locale that is not UTF-8 ----
export LANG=C
tui_start 100 30 -c "$HOST"
ok "LANG=C: the tree appears" tui_wait "test2" 10
tui_keys R
ok "LANG=C: the restore picker's own \"…\" is shown as \"...\"" \
    tui_wait "Type the path of a save file..." 5
s=$(tui_screen)
unlike "$s" "save file\\?" "LANG=C: and not as \"?\""
like "$s" "\\+-+ Restore a domain from a save file -+\\+" "LANG=C: the dialog's frame is ASCII"
tui_keys Escape G
tui_wait "Description  ????????" 5
like "$(tui_screen)" '\\?\\?\\?\\?\\?  +shut off' "LANG=C: the untrusted CJK name still becomes one ? per character"
quit
out=$(LANG=C "$BIN" --list -c "$HOST" 2>&1)
like "$out" '^`- \?\?\?\?\?  shut off' "LANG=C --list: ASCII guides, the CJK name as ?"

# ---- zh_CN.UTF-8 with --ascii ----
if ! locale -a 2>/dev/null | grep -qi '^zh_CN\.utf-\?8$' || ! command -v msgfmt >/dev/null ||
    ! grep -q '^#define ENABLE_NLS 1' "$top_builddir/config.h" 2>/dev/null; then
    for i in 1 2 3 4 5 6 7; do skip "zh_CN.UTF-8 with --ascii" "no zh_CN.UTF-8 locale, msgfmt or NLS"; done
    done_testing
    exit
fi
mkdir -p "$T_DIR/locale/zh_CN/LC_MESSAGES"
msgfmt -o "$T_DIR/locale/zh_CN/LC_MESSAGES/virt-snaptree.mo" "$top_srcdir/po/zh_CN.po"
export VIRT_SNAPTREE_LOCALEDIR=$T_DIR/locale LANG=zh_CN.UTF-8
tui_start 80 24 --ascii -c "$HOST"
ok "zh_CN --ascii: the tree appears" tui_wait "test2_lsof.qcow2" 10
s=$(tui_screen)
like "$s" "5 个虚拟机" "zh_CN --ascii: the title is Chinese"
like "$s" "test2_lsof\\.qcow2 < 您在这里" "zh_CN --ascii: the marker is ASCII, its words Chinese"
like "$s" "db01 +已关机 +2 个磁盘$" "zh_CN --ascii: the domain's state is Chinese"
like "$s" '^\\|- - db01' "zh_CN --ascii: the tree's guides are ASCII"
unlike "$s" '[│├└─▾▸◀…┌┐█░•]' "zh_CN --ascii: no box-drawing glyph anywhere"
quit
out=$("$BIN" --list --ascii -c "$HOST" 2>&1)
like "$out" '^[|`]- 测试虚拟机  已关机' "zh_CN --list --ascii: Chinese names and words, ASCII guides"
done_testing
