#!/bin/bash
# The Chinese interface (LANG=zh_CN.UTF-8) on the test driver host: translated title, tree, detail
# pane, status line, help, forms and plans; every line fits the terminal in display columns; the
# right-aligned columns of a row whose name is Chinese end where those of an ASCII row end.
. "$(dirname "$0")/tui-lib.sh"
tui_client_only "the test:// driver"

locale -a 2>/dev/null | grep -qi '^zh_CN\.utf-\?8$' || skip_all "the zh_CN.UTF-8 locale is missing"
command -v msgfmt >/dev/null || skip_all "msgfmt (gettext) is not installed"
command -v python3 >/dev/null || skip_all "python3 is not installed"
grep -q '^#define ENABLE_NLS 1' "$top_builddir/config.h" 2>/dev/null ||
    skip_all "built without NLS"
tui_init
HOST="test://$top_srcdir/tests/tui/hosts/article.xml"

# The catalog of this tree, not an installed one (which may be older or absent).
mkdir -p "$T_DIR/locale/zh_CN/LC_MESSAGES"
msgfmt -o "$T_DIR/locale/zh_CN/LC_MESSAGES/virt-snaptree.mo" "$top_srcdir/po/zh_CN.po" ||
    skip_all "po/zh_CN.po does not compile"
export VIRT_SNAPTREE_LOCALEDIR=$T_DIR/locale LANG=zh_CN.UTF-8
unset LANGUAGE LC_ALL LC_MESSAGES
plan 60

# Display columns, as a terminal counts them: East Asian wide and fullwidth take 2.
cols_py='
import sys, unicodedata
def width(s):
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else
               0 if unicodedata.combining(c) else 1 for c in s)
'
# fits COLS: no screen line is wider than COLS columns.
fits() {
    tui_screen | python3 -c "$cols_py"'
w = int(sys.argv[1])
bad = [l for l in sys.stdin.read().split("\n") if width(l) > w]
for l in bad:
    print(width(l), repr(l))
sys.exit(1 if bad else 0)' "$1"
}
# endcol TEXT [TREE_W]: the column where the first line holding TEXT ends, within the tree's
# TREE_W columns (the detail pane may follow on the same line).
endcol() {
    tui_screen | python3 -c "$cols_py"'
text, tree_w = sys.argv[1], int(sys.argv[2])
for l in sys.stdin.read().split("\n"):
    if text in l:
        out, w = "", 0
        for c in l:
            w += width(c)
            if w > tree_w:
                break
            out += c
        print(width(out.rstrip()))
        break' "$1" "${2:-1000}"
}
# breaks_ok: no line of the screen (nor of a pane or box in it) begins with closing punctuation,
# and no size is cut from its unit at the end of a line.
breaks_ok() {
    tui_screen | python3 -c '
import re, sys
closing = "，。、；：！？）」』】》〉〕”’"
bad, prev = [], ""
for l in sys.stdin.read().split("\n"):
    for part in l.split("│"):
        c = part.strip()
        if c and c[0] in closing:
            bad.append("begins with closing punctuation: " + repr(c))
    c = l.strip().strip("│").strip()
    if re.search(r"[0-9]$", prev) and re.match(r"(B|[KMGTPE]iB)\b", c):
        bad.append("a size cut from its unit: %r / %r" % (prev, c))
    prev = c
print("\n".join(bad))
sys.exit(1 if bad else 0)'
}
# valuecol TEXT: the column where the value of the line starting with label TEXT begins
# (labels are drawn in a field of their own: every value of a pane starts in one column).
valuecol() {
    tui_screen | python3 -c "$cols_py"'
import re
label = sys.argv[1]
for l in sys.stdin.read().split("\n"):
    m = re.match(r"^(.*?" + re.escape(label) + r" +)\S", l)
    if m:
        print(width(m.group(1)))
        break' "$1"
}

tui_start 80 24 -c "$HOST"
ok "80x24: the tree appears" tui_wait "test2_lsof.qcow2" 10
s=$(tui_screen)
like "$s" "^ virt-snaptree [0-9.]+  5 个虚拟机 +\? 帮助  q 退出$" "the title line is in Chinese"
like "$s" "test2_lsof\.qcow2 ◀ 您在这里" "the active layer is marked in Chinese"
like "$s" "db01 +已关机 +2 个磁盘$" "a domain row shows its state and disks in Chinese"
like "$s" "^ 主机 +test:" "the detail pane labels the host in Chinese"
like "$s" "^ 虚拟机监控器 TEST" "the longest host label fits its field"
like "$s" "已连接$" "the status line shows the host state in Chinese"
ok "80x24: no line is wider than the terminal" fits 80
is "$(valuecol 虚拟机监控器)" "$(valuecol 主机)" "the detail values start in one column whatever the label"

tui_keys G
ok "G shows the last rows, the Chinese domain among them" tui_wait "快照1 ◀ 当前快照" 3
like "$(tui_screen)" "现在 ◀ 您在这里（可能已改变）" \
    "a shut-off domain whose images say nothing may have moved on since: NOW, in Chinese"
s=$(tui_screen)
like "$s" "测试虚拟机 +已关机 +1 个磁盘$" "the Chinese domain's row has its columns"
like "$s" "▾ 快照 \(1\)" "the snapshot group is named in Chinese"
is "$(endcol 测试虚拟机)" "$(endcol web02)" \
    "80x24: the columns of the Chinese domain end where an ASCII domain's end"
is "$(endcol 测试-快照1.qcow2)" "$(endcol web02.qcow2)" \
    "80x24: the columns of a Chinese layer end where an ASCII layer's end"
is "$(endcol 测试虚拟机)" "80" "80x24: they end at the right edge"
ok "80x24 at the end of the tree: no line is wider than the terminal" fits 80

tui_keys x
ok "the status line speaks Chinese" tui_wait "未知按键：按 ? 查看帮助" 3

# Search for a Chinese name, then on to the next match.
tui_keys g /
tui_type "测试"
ok "typing /测试 selects the Chinese domain" tui_wait "虚拟机       测试虚拟机" 3
tui_keys Enter n
ok "n goes on to its layer" tui_wait "路径         /var/lib/libvirt/images/测试-快照1.qcow2" 3
tui_keys /
tui_type "快照1"
tui_keys Enter n
ok "/快照1 then n finds the Chinese snapshot" tui_wait "快照         快照1" 3
s=$(tui_screen)
like "$s" "^ 父快照 +无（根快照）" "the snapshot's parent is shown in Chinese"
like "$s" "^ 类型 +外置，仅磁盘" "the snapshot's kind is shown in Chinese, with a full-width comma"
like "$s" "^ 状态 +未记录：仅磁盘" "its state in words, not libvirt's disk-snapshot"
like "$s" "^ 磁盘 +vda 外置 /var/lib/libvirt/images/测试-快照1.qcow2" \
    "so is each disk's part in it (libvirt's snapshot='external')"
is "$(valuecol 描述)" "$(valuecol 父快照)" "the snapshot's values start in one column"
tui_keys /
tui_type "zzz"
ok "a search without a match says so in Chinese" tui_wait "/zzz  （没有匹配 zzz 的项）" 3
tui_keys Escape

# Help.
tui_keys '?'
ok "the help opens in Chinese" tui_wait "帮助：按键（Esc 或 q 关闭）" 3
s=$(tui_screen)
like "$s" "Right l Enter +展开，或转到第一个子节点" "help: the key names stay, the text is Chinese"
like "$s" " 移动 " "help: the group titles are Chinese"
ok "80x24 with the help: no line is wider than the terminal" fits 80
# Every page of the help: its wrapped lines never begin with a full-width comma.
help_breaks_ok() {
    local i before
    for i in 1 2 3 4 5 6 7 8; do
        breaks_ok || return 1
        before=$(tui_screen)
        tui_keys NPage
        # The last page stays as it is: then every page has been seen.
        tui_until 2 eval '[ "$(tui_screen)" != "$before" ]' || return 0
    done
}
ok "the help's wrapped lines never begin with closing punctuation" help_breaks_ok
tui_keys Escape '?'
tui_wait "帮助：按键" 3
tui_keys Escape
ok "Esc closes the help" tui_wait_gone "帮助：按键" 3
# The help's frame cut the labels' wide characters in two: ncurses then drew the rows one column
# off, and the detail pane stayed garbled after the help closed.
s=$(tui_screen)
like "$s" "^ 快照         快照1$" "the detail pane is intact after the help closes"
like "$s" "^ 类型         外置，仅磁盘$" "and its values are where they belong"

# The create form: labels padded by columns, not bytes.
tui_keys /
tui_type "测试虚"
tui_keys Enter s
ok "s opens the create form in Chinese" tui_wait "新建快照" 3
is "$(valuecol 名称)" "$(valuecol 类型)" "the form's values start in one column (名称, 类型)"
is "$(valuecol "磁盘 vda")" "$(valuecol 类型)" "the disk line's choice starts in that column too"
like "$(tui_screen)" "磁盘 vda +外置 +/var/lib/libvirt/images/测试虚拟机_" "the disk's choice is shown in Chinese"
like "$(tui_screen)" "未提供：外置，含内存；虚拟机未运行：没有内存可保存" \
    "the shut-off domain is not offered a memory snapshot, and is told why"
tui_keys Down Down Enter
ok "the kind goes on to internal, past the one not offered" tui_wait "类型           内置（" 3
tui_keys Escape
# A running domain is offered a snapshot with memory.
tui_keys /
tui_type "test2"
tui_keys Enter s
tui_wait "新建快照" 3
tui_keys Down Down Enter
tui_wait "内存文件" 3
is "$(valuecol 内存文件)" "$(valuecol 名称)" "a four-character label lines up with a two-character one"
tui_keys Escape

# A plan screen: commit a layer of the article's chain.
tui_keys /
tui_type "net-tools.q"
tui_keys Enter c
ok "c asks for the base in Chinese" tui_wait "将 test2_net-tools.qcow2 向下合并到哪一层？" 3
ok "80x24 with the picker: no line is wider than the terminal" fits 80
tui_keys Enter
ok "the plan is shown with the typed confirmation in Chinese" \
    tui_wait "输入 yes 并按 Enter 开始，Esc 取消：" 5
like "$(tui_screen)" "合并前的快照链（活动层在前）：" "the plan's sections are in Chinese"
ok "80x24 with the plan: no line is wider than the terminal" fits 80
ok "the plan's wrapped lines keep punctuation and sizes whole" breaks_ok
tui_keys Escape


# 120x40: the detail pane moves to the right of the tree.
tui_resize 120 40
tui_keys g
ok "120x40: redrawn with the detail pane on the right" tui_wait "│ 主机         test:" 5
ok "120x40: no line is wider than the terminal" fits 120
tree_w=71 # 120 - 2/5 of 120 - 1
is "$(endcol 测试虚拟机 $tree_w)" "$(endcol db01 $tree_w)" \
    "120x40: the columns of the Chinese domain end where an ASCII domain's end"
# (The name may be cut, never its marker.)
is "$(endcol "[0] 测试-快照1" $tree_w)" "$(endcol "[0] db01.qcow2" $tree_w)" \
    "120x40: the columns of a Chinese layer end where an ASCII layer's end"
tui_keys '?'
tui_wait "帮助：按键" 3
ok "120x40 with the help: no line is wider than the terminal" fits 120
tui_keys Escape
# A pull of the whole chain takes no libvirt flag: said in words.
tui_keys /
tui_type "lsof.q"
tui_keys Enter p
tui_wait "以哪一层为基础层？" 3
tui_keys Home Enter
ok "the pull's plan says it takes no flags, in Chinese" tui_wait "libvirt 标志：无" 5
unlike "$(tui_screen)" "none" "not libvirt's none"
tui_keys Escape
tui_keys q
ok "q quits with status 0" tui_wait "__EXITED__ 0" 5

# The program run from the build tree, not installed, finds the catalogs built there.
if [ -f "$top_builddir/po/locale/zh_CN/LC_MESSAGES/virt-snaptree.mo" ]; then
    like "$(env -u VIRT_SNAPTREE_LOCALEDIR "$BIN" --help 2>&1)" "用法" \
        "uninstalled, LANG=zh_CN.UTF-8 alone is enough for Chinese"
else
    skip "uninstalled, LANG=zh_CN.UTF-8 alone is enough for Chinese" "no po/locale in the build tree"
fi

# --list speaks Chinese too.
out=$("$BIN" --list -c "$HOST" 2>&1)
like "$out" "测试虚拟机  已关机  持久" "--list: the domain's state in Chinese"
like "$out" "测试-快照1\.qcow2  qcow2  此处不知道大小  <- 您在这里" \
    "--list: the active layer in Chinese (the test driver gives no sizes: said so, not 0 B)"
like "$out" "快照1  外置，仅磁盘  disk-snapshot  .*<- 当前快照" "--list: the current snapshot in Chinese"
done_testing
