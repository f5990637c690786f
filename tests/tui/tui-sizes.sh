#!/bin/bash
# Terminal sizes: 80x24, 40x12, resizing while a dialog is open, and a terminal too small.
. "$(dirname "$0")/tui-lib.sh"
tui_client_only "the test:// driver"
tui_init
HOST="test://$top_srcdir/tests/tui/hosts/article.xml"
export LANG=C.UTF-8
plan 32

# Every screen line fits the terminal: measured in display columns (CJK counts 2).
fits() { # COLS
    tui_screen | python3 -c '
import sys, unicodedata
w = int(sys.argv[1])
def width(s):
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 0 if unicodedata.combining(c) else 1 for c in s)
bad = [l for l in sys.stdin.read().split("\n") if width(l) > w]
sys.exit(1 if bad else 0)' "$1"
}

tui_start 80 24 -c "$HOST"
ok "80x24: the tree appears" tui_wait "test2" 10
s=$(tui_screen)
like "$s" "^ virt-snaptree" "80x24: the title is on the first line"
like "$s" "connected$" "80x24: the status line shows the host state"
ok "80x24: no line is wider than the terminal" fits 80

tui_resize 40 12
ok "40x12: redrawn after the resize" tui_wait "db01" 5
ok "40x12: no line is wider than the terminal" fits 40
like "$(tui_screen)" "connected$" "40x12: the host's row keeps its state"
like "$(tui_screen)" "db01 +shut off$" "40x12: a domain's row keeps its state"
like "$(tui_screen)" "^ virt-snaptree" "40x12: the title is still on top"

tui_keys '?'
ok "40x12: the help opens" tui_wait "Help" 5
tui_resize 100 30
ok "resizing while the help is open redraws it at the new size" tui_wait "Moving around" 5
ok "100x30: no line is wider than the terminal" fits 100
tui_resize 20 6
ok "20x6: says the terminal is too small" tui_wait "Terminal too small" 5
tui_resize 80 24
tui_keys Escape
ok "back to 80x24, the help closes" tui_wait_gone "Moving around" 5
ok "and the tree is back" tui_wait "test2" 5

# Resizing while a form is open: the focused field stays in view.
tui_keys / ; tui_type "test2"; tui_keys Enter s
ok "s opens the create form" tui_wait "New snapshot" 5
tui_keys Down Down Enter # the kind: with memory, two more rows
ok "the memory kind adds its rows" tui_wait "Memory file" 3
tui_resize 40 12
ok "40x12: the form is redrawn" tui_wait "New snapshot" 5
ok "40x12 with the form: no line is wider than the terminal" fits 40
tui_keys Down Down Down Down
ok "40x12: the focused [ Show the plan ] scrolls into view" tui_wait "[ Show the plan ]" 3
like "$(tui_screen)" "4-7 of 7  Up/Down scroll" "and the frame says which rows are shown"
like "$(tui_screen)" "Esc cancels" "the form's hint wraps instead of being cut"
tui_resize 100 30
ok "100x30: the whole form again" tui_wait "Name           " 5
unlike "$(tui_screen)" "of 7  Up/Down scroll" "100x30: every row fits, no marker"
tui_keys Up Up Enter Down Down Down Down Enter # back to disk-only, then the plan
ok "the plan screen opens" tui_wait "Type yes and press Enter to start, Esc cancels:" 5

# Resizing while a plan is open: the prompt wraps and the typed word stays visible.
tui_resize 40 12
ok "40x12: the plan is redrawn with its prompt wrapped" tui_wait "start, Esc cancels:" 5
ok "40x12 with the plan: no line is wider than the terminal" fits 40
tui_type "ye"
ok "40x12: the typed word shows after the prompt" tui_wait "Esc cancels: ye" 3
tui_resize 100 30
ok "100x30: the prompt is one line again, the word kept" \
    tui_wait "Type yes and press Enter to start, Esc cancels: ye" 5
tui_keys Escape Escape

# A picker's hint wraps at 40 columns rather than being cut.
tui_resize 40 12
tui_keys / ; tui_type "net-tools.q"; tui_keys Enter c
ok "40x12: the commit picker opens, its hint wrapped rather than cut" \
    tui_wait "goes into the layer you" 5
like "$(tui_screen)" "Its data and that of every" "the hint's first line is there too"
tui_keys Escape
tui_resize 80 24
tui_keys q
ok "q quits" tui_wait "__EXITED__ 0" 5
done_testing
