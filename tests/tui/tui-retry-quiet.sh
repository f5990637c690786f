#!/bin/bash
# A host that cannot be reached is tried again and again (after 1, 2, 4... s) without its row
# flipping between "connecting" and "failed" at every try: its label stays "failed", with the
# reason, and while it is retried not a byte goes to the terminal (what an SSH session would
# carry). Each try here takes 0.6 s: the host's socket accepts, reads what it is sent and hangs up
# without a word.
. "${top_srcdir:-.}/tests/tui/tui-lib.sh"
tui_init
plan 5
export LANG=C.UTF-8
command -v python3 >/dev/null || skip_all "python3 is not installed"

sock=$T_DIR/mute.sock
python3 -c '
import socket, sys, time
s = socket.socket(socket.AF_UNIX)
s.bind(sys.argv[1]); s.listen(8)
while True:
    c, _ = s.accept()
    end = time.time() + 0.6
    try:
        while time.time() < end:
            c.settimeout(end - time.time())
            if not c.recv(65536):
                break
    except OSError:
        pass
    c.close()' "$sock" &
mute=$!
T_EXTRA_CLEANUP="kill $mute 2>/dev/null"
trace=$T_DIR/trace
T_ENV="VIRT_SNAPTREE_TRACE=$trace" tui_start 160 30 -c "qemu+unix:///system?socket=$sock"
failed_shown() { tui_screen | tail -n 1 | grep -q ": failed"; }
ok "the host is marked failed" tui_until 15 failed_shown || diag "$(tui_screen)"
tries() { grep -c " connect host=0" "$trace"; }
retried() { [ "$(tries)" -ge "$1" ]; }
# (The first try's reason can read otherwise than the next ones': libvirt's first words.)
tui_until 20 retried 2
sleep 1
quiet=$T_DIR/pane.bytes
: >"$quiet"
tmux -S "$T_SOCK" pipe-pane -o -t t "cat >>$quiet"
ok "it is tried twice more" tui_until 20 retried "$(($(tries) + 2))"
# The second try ends (failed again) 0.6 s after it began.
sleep 1
tmux -S "$T_SOCK" pipe-pane -t t
is "$(stat -c %s "$quiet")" 0 "while it is retried, not a byte is written to the terminal" ||
    diag "$(cat -v "$quiet" | head -c 600)"
ok "it still reads failed" failed_shown
tui_keys q
ok "q quits" tui_wait "__EXITED__ 0" 5
done_testing
