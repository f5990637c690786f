#!/bin/bash
# SIGHUP (a dropped SSH session), SIGTERM and SIGINT end the program with the terminal restored:
# the alternate screen left, the cursor shown, the status 128+signal.
. "$(dirname "$0")/tui-lib.sh"
tui_init
HOST="test://$top_srcdir/tests/tui/hosts/article.xml"
export LANG=C.UTF-8
plan 12

for sig in HUP TERM INT; do
    case $sig in HUP) num=1 ;; TERM) num=15 ;; INT) num=2 ;; esac
    tui_start 80 24 -c "$HOST"
    ok "SIG$sig: the program runs" tui_wait "test2" 10
    is "$(tmux -S "$T_SOCK" display -p -t t '#{alternate_on}')" 1 "SIG$sig: curses uses the alternate screen"
    pid=$(tui_pid)
    kill -s "$sig" "$pid"
    ok "SIG$sig: exits with status $((128 + num))" tui_wait "__EXITED__ $((128 + num))" 5
    is "$(tmux -S "$T_SOCK" display -p -t t '#{alternate_on} #{cursor_flag}')" "0 1" \
        "SIG$sig: the alternate screen is left and the cursor is visible again"
    tui_stop
done
done_testing
