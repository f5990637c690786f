#!/bin/bash
# Drives the real virt-snaptree in a real terminal: a private tmux server per test (its own
# socket), keys sent with send-keys, screens read with capture-pane. Sourced by tests/tui/*.sh,
# which speak TAP through the helpers below.
#
#   tui_client_only WHAT     skip unless LAB_STACK=bookworm: the test's hosts (WHAT) run inside
#                            the program, so another stack would run the same thing again
#   tui_init                 temp folder, private tmux socket, cleanup trap
#   tui_start COLS ROWS ARGS...   runs the binary with ARGS in a new session of that size
#   tui_keys KEYS...         tmux send-keys (names like Down, Enter, Escape, C-l work)
#   tui_type TEXT            sends TEXT literally
#   tui_screen               prints the current screen (plain text)
#   tui_wait TEXT [SECS]     waits until TEXT is on screen; 1 on timeout
#   tui_wait_gone TEXT [SECS]
#   tui_resize COLS ROWS
#   tui_pid                  pid of the program in the pane
#   tui_stop                 ends the tmux server and waits until it is gone
#   tui_until SECS CMD...    polls until CMD succeeds; 1 on timeout
#   T_SESSION=NAME CMD...    a second instance of the program: tui_start and the helpers act on
#                            the tmux session NAME (default t) of the same server
#   TAP: lab.sh's plan / ok DESC CMD... / is GOT WANT DESC / like GOT ERE DESC / done_testing
#   With the lab: call lab_init first; tui_init then cleans up through lab_on_cleanup.

set -u
: "${top_srcdir:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
BIN=$top_builddir/ui/virt-snaptree

# TAP helpers (plan, ok DESC CMD..., is, like, unlike, diag, skip_all, done_testing) are lab.sh's.
# shellcheck source=../lab/lab.sh
. "$top_srcdir/tests/lab/lab.sh"

# A test whose hosts all run inside the program (the test:// driver, a stand-in ssh) runs the
# same code whatever LAB_STACK says: it runs on bookworm only and skips elsewhere, saying so.
tui_client_only() {
    lab_stack_only bookworm "its hosts ($1) run inside the program, on this machine's libvirt 9.0: \
no daemon of the stack is involved"
}

tui_init() {
    command -v tmux >/dev/null || skip_all "tmux is not installed"
    [ -x "$BIN" ] || skip_all "$BIN is not built"
    T_DIR=$(mktemp -d "${TMPDIR:-/tmp}/vst-tui.XXXXXX")
    T_SOCK=$T_DIR/tmux.sock
    export XDG_CONFIG_HOME=$T_DIR/config XDG_CACHE_HOME=$T_DIR/cache
    # The journal of what the program does (and its list of saves) stays the test's own.
    export XDG_STATE_HOME=$T_DIR/state
    # It would win over a test's config file (virsh's order): tests set it where they mean it.
    unset LIBVIRT_DEFAULT_URI
    # The records of offline merges (and their helpers) stay the test's own.
    export XDG_RUNTIME_DIR=$T_DIR/run
    mkdir -m 700 "$XDG_RUNTIME_DIR"
    if [ -n "${LAB_TMP:-}" ]; then
        lab_on_cleanup tui_cleanup
    else
        trap tui_cleanup EXIT
    fi
}

tui_cleanup() {
    tmux -S "$T_SOCK" kill-server 2>/dev/null
    # A test that failed half way may leave an offline merge's helper running: it leads its own
    # session (it and its qemu-img), whose id is the pid its record holds.
    local rec pid
    for rec in "$T_DIR"/run/virt-snaptree/jobs/*.job; do
        [ -f "$rec" ] || continue
        pid=$(sed -n 's/^pid=//p' "$rec")
        [ "${pid:-0}" -gt 0 ] && grep -q '^phase=running' "$rec" && kill -- "-$pid" 2>/dev/null
    done
    [ -n "${T_EXTRA_CLEANUP:-}" ] && eval "$T_EXTRA_CLEANUP"
    rm -rf "$T_DIR"
}

tui_start() {
    local cols=$1 rows=$2
    shift 2
    local cmd
    cmd=$(printf '%q ' "$BIN" "$@")
    # LANG etc. come from the caller: tests choose the locale on purpose.
    tmux -S "$T_SOCK" -f /dev/null new-session -d -s "${T_SESSION:-t}" -x "$cols" -y "$rows" \
        "env TERM=tmux-256color ${T_ENV:-} $cmd; echo __EXITED__ \$?; sleep 30"
    tmux -S "$T_SOCK" set-option -t "${T_SESSION:-t}" remain-on-exit on >/dev/null 2>&1
}

# Ends the tmux server (and what runs in it) and waits until it is gone: a tui_start that
# reaches a server still exiting fails ("server exited unexpectedly").
tui_stop() {
    local pid
    pid=$(tmux -S "$T_SOCK" display -p '#{pid}' 2>/dev/null)
    tmux -S "$T_SOCK" kill-server 2>/dev/null
    [ -z "$pid" ] || lab__wait_gone "$pid" 10
}

tui_keys() { tmux -S "$T_SOCK" send-keys -t "${T_SESSION:-t}" "$@"; }
tui_type() { tmux -S "$T_SOCK" send-keys -t "${T_SESSION:-t}" -l "$1"; }
tui_screen() { tmux -S "$T_SOCK" capture-pane -t "${T_SESSION:-t}" -p; }
tui_screen_escapes() { tmux -S "$T_SOCK" capture-pane -t "${T_SESSION:-t}" -p -e; }
tui_resize() { tmux -S "$T_SOCK" resize-window -t "${T_SESSION:-t}" -x "$1" -y "$2" 2>/dev/null ||
    tmux -S "$T_SOCK" resize-pane -t "${T_SESSION:-t}" -x "$1" -y "$2"; }
tui_pid() { tmux -S "$T_SOCK" list-panes -t "${T_SESSION:-t}" -F '#{pane_pid}' | head -n1 |
    xargs -I{} pgrep -P {} -f "$BIN" | head -n1; }

tui_wait() {
    local text=$1 secs=${2:-10} end
    end=$((SECONDS + secs))
    while [ $SECONDS -le $end ]; do
        tui_screen | grep -qF -- "$text" && return 0
        sleep 0.1
    done
    return 1
}

tui_wait_gone() {
    local text=$1 secs=${2:-10} end
    end=$((SECONDS + secs))
    while [ $SECONDS -le $end ]; do
        tui_screen | grep -qF -- "$text" || return 0
        sleep 0.1
    done
    return 1
}

# Waits until the line holding TEXT also holds WANT.
tui_wait_line() {
    local text=$1 want=$2 secs=${3:-10} end
    end=$((SECONDS + secs))
    while [ $SECONDS -le $end ]; do
        tui_screen | grep -F -- "$text" | grep -qF -- "$want" && return 0
        sleep 0.1
    done
    return 1
}

# The screen line holding TEXT (first match).
tui_line() { tui_screen | grep -F -- "$1" | head -n1; }


# Polls until CMD... succeeds, at most SECS seconds; 1 on timeout.
tui_until() {
    local secs=$1 end
    shift
    end=$((SECONDS + secs))
    while [ $SECONDS -le $end ]; do
        "$@" && return 0
        sleep 0.1
    done
    return 1
}

# Prints the URI of a copy of the test host tests/tui/hosts/article.xml in a folder whose name is
# longer than any screen is wide: where the URI is drawn it is always cut, wherever the source
# tree sits (a test of how cuts are drawn must not pass only because the tree's path is short).
tui_long_host() {
    local d
    d=$T_DIR/$(printf 'a-folder-name-longer-than-any-screen-%.0s' 1 2 3 4)
    mkdir -p "$d" && cp "$top_srcdir/tests/tui/hosts/article.xml" "$d/" &&
        echo "test://$d/article.xml"
}
