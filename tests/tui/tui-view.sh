#!/bin/bash
# What an admin sees, kept whole: the tree fills its pane after it shrank or the window grew;
# "you are here" survives names too long for the row; F5 and Ctrl-L redraw over a dialog, the
# help or the search prompt instead of closing them; the help wraps and scrolls to both ends; a
# reason too long for the status line goes on lines above it; a line being typed starts at the
# left with the cursor after it; options that cannot work are refused before anything starts.
. "$(dirname "$0")/tui-lib.sh"
tui_client_only "the test:// driver"
tui_init
HOST="test://$top_srcdir/tests/tui/hosts/article.xml"
plan 30
export LANG=C.UTF-8

quit() { tui_keys q; tui_wait "__EXITED__" 5; tui_stop; }
# The screen line just above the separator that ends the tree pane.
above_separator() {
    local n
    n=$(tui_screen | grep -n '^────────────────────' | head -n1 | cut -d: -f1)
    [ -n "$n" ] && [ "$n" -gt 1 ] && tui_screen | sed -n "$((n - 1))p"
}

# ---- the tree fills its pane ----
tui_start 80 24 -c "$HOST"
ok "the tree appears" tui_wait "test2" 10
tui_keys G
tui_wait "Description  安装中文输入法之前的状态" 5
tui_resize 120 80
ok "a window tall enough for the whole tree after G: it starts at its first row again" \
    tui_wait_line "▾ test://" "connected" 5 || diag "$(tui_screen)"
tui_resize 80 24
# From NOW: 快照1, collapse it, the snapshots, collapse them, the domain, collapse it.
tui_keys G h h h h h Left
ok "collapsing the last domain at the bottom: it shows as the pane's last row" \
    tui_until 5 eval '[[ "$(above_separator)" == *"▸ 测试虚拟机"* ]]' || diag "$(tui_screen)"
like "$(tui_screen | sed -n 2p)" "^│" "and no row above it is left empty"

# ---- F5 and Ctrl-L over what is open ----
tui_keys g '?'
tui_wait "Help: keys" 5
tui_keys C-l
ok "Ctrl-L keeps the help open" tui_wait "Help: keys" 2
tui_keys G
ok "G in the help goes to its end" tui_wait "Quitting never stops a running job" 5
unlike "$(tui_screen)" "…│" "the help's lines wrap instead of being cut"
# The tree's own keys come before the actions and the keys that work everywhere: a page up.
tui_keys PPage
tui_wait "interface still has a follow-up to run)" 3
like "$(tui_screen)" "│ +interface still has a follow-up to run\)" \
    "q's explanation goes on on a line of its own"
tui_keys g
ok "g goes back to its start" tui_wait "Moving around" 5
tui_keys Escape
tui_keys / ; tui_type "nmap"; tui_keys Enter
tui_wait "test2_nmap.qcow2" 5
tui_keys s
ok "s opens the snapshot form" tui_wait "New snapshot" 5
tty=$(tmux -S "$T_SOCK" display -p -t t '#{pane_tty}')
printf '\033[12;30HGARBAGE-IN-FORM' >"$tty"
ok "noise written over the form shows" tui_wait "GARBAGE-IN-FORM" 2
tui_keys C-l
ok "Ctrl-L wipes it" tui_wait_gone "GARBAGE-IN-FORM" 3
ok "and leaves the form open" tui_wait "New snapshot" 2
tui_keys Escape
tui_keys / ; tui_type "tes"
printf '\033[5;10HNOISE-IN-SEARCH' >"$tty"
tui_keys F5
ok "F5 while typing a search redraws" tui_wait_gone "NOISE-IN-SEARCH" 3
ok "and the search prompt stays" tui_wait "/tes" 2
tui_keys Escape

# ---- a line being typed ----
tui_keys R
tui_wait "Restore a domain from a save file" 5
tui_keys End Enter
tui_wait "Save file (absolute path):" 5
tui_type "/a"
ok "typed text starts at the left of its field" \
    tui_until 3 eval 'tui_screen | grep -qE "│ /a +│"'
is "$(tmux -S "$T_SOCK" display -p -t t '#{cursor_flag}')" "1" "the cursor shows while typing"
line=$(tui_screen | grep -nE "│ /a +│" | head -n1 | cut -d: -f1)
is "$(tmux -S "$T_SOCK" display -p -t t '#{cursor_y}')" "$((line - 1))" "on the typed line"
tui_keys Escape Escape
ok "and hides again after" tui_until 3 eval \
    '[ "$(tmux -S "$T_SOCK" display -p -t t "#{cursor_flag}")" = 0 ]'

# ---- markers, reasons ----
tui_keys g j d
ok "d on a domain without a managed save says so" \
    tui_wait "has no managed save image" 5 || diag "$(tui_screen)"
quit

# At 120 columns the detail pane leaves the tree too little room for name and marker: the name
# is cut, never the marker (a shorter form of it where the full one would leave the name nothing).
tui_start 120 40 -c "$HOST"
tui_wait "test2_lsof" 10
like "$(tui_line "[0] test2_lsof")" "\\[0\\] test2_lsof… ◀ you are here " \
    "120 columns: the name gives way to \"◀ you are here\", which stays whole"
like "$(tui_line "lsof ◀")" "lsof ◀ current " "the current snapshot's marker in a shorter form, whole"
unlike "$(tui_screen)" "◀ [^│]*…" "no marker is cut anywhere"
tui_resize 30 30
ok "30 columns: the brief form of the marker stays whole" \
    tui_wait_line "[0] test2_lsof.q…" "◀" 5
quit

long=$T_DIR/long.xml
sed -e 's/test2_lsof\.qcow2/win2k22-prod-app01.snap-before-patch-tuesday.qcow2/' \
    -e 's|<name>lsof</name>|<name>before-patch-tuesday-2024-06</name>|' \
    "$top_srcdir/tests/tui/hosts/article.xml" >"$long"
tui_start 80 24 -c "test://$long"
tui_wait "win2k22" 10
like "$(tui_line "win2k22-prod-app01")" "win2k22-prod-app01.* ◀" \
    "a name too long for the row is cut before its \"you are here\" marker"
tui_keys / ; tui_type "before-patch-tuesday-20"; tui_keys Enter
tui_wait "Snapshot     before-patch-tuesday-2024-06" 5
like "$(tui_line "before-patch-tue")" "before-patch-tue[^ ]*… ◀ current " "so is a current snapshot's"
tui_resize 40 12
tui_keys g c
ok "at 40x12 a reason too long for the status line is shown whole above it" \
    tui_until 5 eval 'tui_screen | tr -d "\n" | grep -q "commit: select a layer of a.*chain first"' ||
    diag "$(tui_screen)"
quit

# ---- options that cannot work, refused before anything starts ----
err=$("$BIN" -c "" 2>&1)
is "$?" 2 "-c with an empty URI is a usage error"
like "$err" "-c needs a URI" "that says so"
T_ENV="TERM=dumb" tui_start 80 24 -c "$HOST"
ok "TERM=dumb is refused with the reason" tui_wait "the terminal cannot move its cursor" 5
tui_stop
done_testing
