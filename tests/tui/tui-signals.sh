#!/bin/bash
# SIGHUP (a dropped SSH session), SIGTERM and SIGINT end the program with the terminal restored:
# the alternate screen left, the cursor shown, the status 128+signal.
. "$(dirname "$0")/tui-lib.sh"
tui_client_only "the test:// driver"
tui_init
HOST="test://$top_srcdir/tests/tui/hosts/article.xml"
export LANG=C.UTF-8
plan 18

# Every thread but the interface's blocks SIGHUP, SIGINT, SIGQUIT, SIGPIPE, SIGTERM and SIGWINCH
# (bits 0, 1, 2, 12, 14 and 27 of /proc's SigBlk); the interface's thread blocks none of them.
# Prints what is wrong, if anything.
ui_sigs=$((0x1 | 0x2 | 0x4 | 0x1000 | 0x4000 | 0x8000000))
check_masks() { # PID
    local f tid blk others=0 bad=""
    for f in /proc/"$1"/task/*/status; do
        tid=$(basename "$(dirname "$f")")
        blk=$((0x$(awk '/^SigBlk:/ { print $2 }' "$f")))
        if [ "$tid" = "$1" ]; then
            [ $((blk & ui_sigs)) = 0 ] || bad="$bad main:$(printf %x $blk)"
        else
            others=$((others + 1))
            [ $((blk & ui_sigs)) = $ui_sigs ] || bad="$bad $tid:$(printf %x $blk)"
        fi
    done
    [ "$others" -ge 2 ] || bad="$bad only $others other threads"
    echo "$bad"
}

tui_start 80 24 -c "$HOST"
ok "the program runs" tui_wait "test2" 10
pid=$(tui_pid)
# The worker starts its helpers as it discovers: look once the tree is drawn, and again later.
is "$(check_masks "$pid")" "" "backend threads block the interface's signals, the main thread takes them"
tui_keys F5
tui_wait_gone "refreshing" 10
is "$(check_masks "$pid")" "" "and so do the threads of a later refresh"
tui_stop

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

# A crash (SIGSEGV: a bug of ours or of a library) still gives the terminal back.
tui_start 80 24 -c "$HOST"
ok "SIGSEGV: the program runs" tui_wait "test2" 10
kill -s SEGV "$(tui_pid)"
ok "SIGSEGV: it dies of it (128+11)" tui_wait "__EXITED__ 139" 10
is "$(tmux -S "$T_SOCK" display -p -t t '#{alternate_on} #{cursor_flag}')" "0 1" \
    "SIGSEGV: the alternate screen is left and the cursor is visible again"
tui_stop
done_testing
