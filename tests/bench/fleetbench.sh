#!/bin/bash
# tests/bench/fleetbench.sh — figure 9 of `make bench` (bench.sh runs it): the interface over a
# fleet of lab hosts (tests/lab/fleet-lib.sh), in tmux as an admin's SSH session shows it.
#
#   - peak memory (VmHWM) of the interface holding 20 hosts x 20 domains;
#   - key to redraw: ptyrun runs a second interface on a pty of its own and types keys on it, each
#     timed from its write to the end of the paint that answers it (the program's trace), while
#     idle and while a job's bar moves;
#   - bytes written to the terminal, from the pane's output stream (tmux pipe-pane: what an SSH
#     session would carry): idle, a full refresh of every host when nothing changed (the periodic
#     refreshes of the idle window, counted in the trace), and one live progress bar; htop's idle
#     figure is measured in the same run, in a pane of the same size, as the baseline.
#
# Prints key=value lines; with BENCH_RESULTS=FILE (not "-") also writes its section of that file.
# Environment: BENCH_FLEET_HOSTS=20, BENCH_FLEET_DOMAINS=20, BENCH_FLEET_WINDOW=10 (seconds of
# each byte count), BENCH_FLEET_KEYS=20 (keys per state, idle and with a job).
set -u
: "${top_srcdir:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
# shellcheck source=../lab/lab.sh
. "$top_srcdir/tests/lab/lab.sh"
# shellcheck source=../lab/fleet-lib.sh
. "$top_srcdir/tests/lab/fleet-lib.sh"
# shellcheck source=../tui/tui-lib.sh
. "$top_srcdir/tests/tui/tui-lib.sh"

N=${BENCH_FLEET_HOSTS:-20} DOMS=${BENCH_FLEET_DOMAINS:-20} WINDOW=${BENCH_FLEET_WINDOW:-10}
NKEYS=${BENCH_FLEET_KEYS:-20} RESULTS=${BENCH_RESULTS:--}
COLS=200 ROWS=50
log() { printf 'fleetbench: %s\n' "$*" >&2; }
declare -A FIG
put() {
    FIG[$1]=$2
    printf '%s=%s\n' "$1" "$2"
}
die() {
    log "$*"
    exit 1
}

lab_init
tui_init
export LANG=C.UTF-8

# ---------------------------------------------------------------- the fleet

t0=$(lab_now)
fleet_build "$N" "$DOMS" 0 >&2 || die "the fleet did not start"
# Host 1's first domain runs on a chain of its own with 48 MiB in its overlay: a commit of it at
# 1 MiB/s shows a bar for longer than a window.
JOBDIR=${FLEET_DIRS[1]}/img/vm01-01
rm -f "$JOBDIR"/*.qcow2
lab_chain --size 64M "$JOBDIR" base.qcow2 top.qcow2 >/dev/null || die "the job's chain"
lab_io_write "$JOBDIR/top.qcow2" 1 0 48M || die "the job's data"
lab_domain_start "${FLEET_URIS[1]}" vm01-01 >&2 || die "the job's domain did not start"
put build_s "$(lab_elapsed "$t0")"
fleet_config "$XDG_CONFIG_HOME/virt-snaptree/config"

# ---------------------------------------------------------------- measuring helpers

# Bytes the pane of session $1 writes in WINDOW seconds (the window is the measurement).
pane_bytes() {
    local f=$T_DIR/pipe.$1
    : >"$f"
    tmux -S "$T_SOCK" pipe-pane -o -t "$1" "cat >>$f"
    sleep "$WINDOW"
    tmux -S "$T_SOCK" pipe-pane -t "$1"
    stat -c %s "$f"
}

trace=$T_DIR/trace
paints() { grep -c ' paint ' "$trace" 2>/dev/null; }
# Waits (at most $1 s) until no paint came for 2 s: the screen has settled.
settle() {
    local end=$((SECONDS + $1)) n m
    n=$(paints)
    while [ $SECONDS -le $end ]; do
        sleep 2
        m=$(paints)
        [ "$m" = "$n" ] && return 0
        n=$m
    done
    return 1
}

# NKEYS keys (j and k in turn) typed on a pty of ptyrun's own once every host is painted, each
# timed from its write to the paint that answers it (the program's trace): KEY_$1_{MEDIAN,MAX}_MS.
pty_keys() {
    local out=$T_DIR/pty.$1
    "$top_builddir/tests/bench/ptyrun" --cols "$COLS" --rows "$ROWS" --domains $((N * DOMS)) \
        --layers $((N * DOMS * 2)) --stay 2 --key-latency "$NKEYS" --timeout 120 -- "$BIN" >"$out" ||
        die "ptyrun failed"
    grep -q "^keys=$NKEYS$" "$out" || die "ptyrun typed no keys: $(tr '\n' ' ' <"$out")"
    put "key_$1_median_ms" "$(sed -n 's/^key_median_ms=//p' "$out")"
    put "key_$1_max_ms" "$(sed -n 's/^key_max_ms=//p' "$out")"
}

# ---------------------------------------------------------------- htop, the baseline

if command -v htop >/dev/null; then
    T_SESSION=htop tmux -S "$T_SOCK" -f /dev/null new-session -d -s htop -x "$COLS" -y "$ROWS" \
        "env TERM=tmux-256color htop"
    T_SESSION=htop tui_wait "Load average" 20 || die "htop did not start"
    sleep 3 # its first refreshes (a settling time, not a measurement)
    put htop_idle_bytes "$(pane_bytes htop)"
    tmux -S "$T_SOCK" kill-session -t htop
else
    log "htop is not installed (scripts/setup-debian installs it): no baseline"
fi

# ---------------------------------------------------------------- ours

pty_keys idle

T_ENV="VIRT_SNAPTREE_TRACE=$trace" tui_start "$COLS" "$ROWS"
all_painted() { grep -qE " paint domains=$((N * DOMS)) " "$trace" 2>/dev/null; }
tui_until 120 all_painted || die "the fleet was not painted within 120 s"
# From the first frame to the first with every host's domains (the trace's monotonic stamps).
put paint_all_ms "$(awk -v n="domains=$((N * DOMS))" '$3 == "paint" && !f { f = $1 }
    $3 == "paint" && $4 == n { printf "%.0f", ($1 - f) / 1e6; exit }' "$trace")"
settle 30 || log "the screen did not settle within 30 s"
put window_s "$WINDOW"

refreshes() { grep -c ' refresh-end ' "$trace"; }
r0=$(refreshes)
put idle_bytes "$(pane_bytes t)"
put idle_refreshes "$(($(refreshes) - r0))"

lab_virsh "${FLEET_URIS[1]}" blockcommit vm01-01 vda --active --bandwidth 1 >/dev/null ||
    die "the commit did not start"
bar_shown() { tui_screen | grep -qE 'commit.*[0-9]+(\.[0-9])?%'; }
tui_until 30 bar_shown || die "no progress bar within 30 s: $(tui_screen | tail -n 12)"
settle 5 # no settling while a bar moves: this only lets the first frames of the job go
put bar_bytes "$(pane_bytes t)"
pty_keys job
lab_virsh "${FLEET_URIS[1]}" blockjob vm01-01 vda --abort >/dev/null

pid=$(tui_pid)
put rss_kib "$(awk '/^VmHWM:/ { print $2 }' "/proc/$pid/status")"
tui_keys q
tui_wait "__EXITED__" 30 || log "the interface did not quit"
tui_stop

# ---------------------------------------------------------------- RESULTS.md

per_s() { awk -v b="$1" -v w="$WINDOW" 'BEGIN { printf "%.1f", b / w }'; }
verdict() { awk -v v="$1" -v t="$2" 'BEGIN { print (v <= t ? "**met**" : "**missed**") }'; }

fleet_md() {
    local htop=${FIG[htop_idle_bytes]:-} idle=${FIG[idle_bytes]} bar=${FIG[bar_bytes]}
    local refreshes=${FIG[idle_refreshes]} full htop_s ratio
    # Every host refreshes every interval: the window held that many full refreshes of the tree.
    full=$(awk -v r="$refreshes" -v n="$N" 'BEGIN { printf "%.1f", r / n }')
    htop_s=$([ -n "$htop" ] && per_s "$htop" || echo "not measured")
    ratio=$(awk -v a="$idle" -v b="${htop:-0}" 'BEGIN { if (b > 0) printf "%.3f×", a / b; else print "-" }')
    echo "<!-- bench-fleet:begin (generated by tests/bench/fleetbench.sh; edits here are overwritten) -->"
    echo "Reproduce: \`BENCH_FIGURES=fleet make bench\` as root (settings at the top of tests/bench/fleetbench.sh)."
    echo
    echo "- Fleet: $N lab daemons × $DOMS domains (shut off on 2-layer qcow2 chains, one running), built in ${FIG[build_s]} s; the interface in tmux at ${COLS}×${ROWS}, hosts from the configuration file"
    echo "- Date: $(date -u '+%Y-%m-%d %H:%M UTC'); load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo
    echo "| # | figure | virt-snaptree | baseline (same run) | ratio | target | |"
    echo "|---|---|---|---|---|---|---|"
    echo "| 9a | first frame to every host's domains painted | ${FIG[paint_all_ms]} ms | | | < 1000 ms | $(verdict "${FIG[paint_all_ms]}" 999) |"
    echo "| 9b | peak memory (VmHWM) of the interface at $N hosts × $DOMS domains | $(awk -v k="${FIG[rss_kib]}" 'BEGIN { printf "%.1f MiB", k / 1024 }') | | | < 60 MiB | $(verdict "${FIG[rss_kib]}" $((60 * 1024))) |"
    echo "| 9c | key to redraw, $NKEYS keys on a pty, idle: median / max | ${FIG[key_idle_median_ms]} ms / ${FIG[key_idle_max_ms]} ms | | | < 50 ms | $(verdict "${FIG[key_idle_max_ms]}" 49.99) |"
    echo "| 9d | key to redraw, $NKEYS keys on a pty, a job's bar moving: median / max | ${FIG[key_job_median_ms]} ms / ${FIG[key_job_max_ms]} ms | | | < 50 ms | $(verdict "${FIG[key_job_max_ms]}" 49.99) |"
    echo "| 9e | bytes to the terminal, idle ($WINDOW s window) | $(per_s "$idle") B/s | htop: $htop_s B/s | $ratio | 0 B/s | $(verdict "$idle" 0) |"
    echo "| 9f | bytes of a full refresh of the $N-host tree, nothing changed ($refreshes host refreshes in the idle window: $full of the whole tree) | $idle B in all | | | 0 B | $(verdict "$idle" 0) |"
    echo "| 9g | bytes to the terminal, one live progress bar ($WINDOW s window) | $(per_s "$bar") B/s | | | ≤ 200 B/s | $(verdict "$(per_s "$bar")" 200) |"
    echo
    echo "A key is timed by \`ptyrun\` (tests/bench/ptyrun.c), which owns the interface's terminal: from its write of the key to the end of curses' \`refresh()\` of the first paint after the interface read it (the program's trace), waiting in the terminal and in the program included. Bytes are the pane's output stream (\`tmux pipe-pane\`), what an SSH session carries."
    echo "<!-- bench-fleet:end -->"
}

if [ "$RESULTS" != - ]; then
    gen=$(fleet_md)
    if [ -f "$RESULTS" ] && grep -q '^<!-- bench-fleet:begin' "$RESULTS"; then
        awk -v gen="$gen" '
            /^<!-- bench-fleet:begin/ { print gen; skip = 1; next }
            /^<!-- bench-fleet:end/ { skip = 0; next }
            !skip { print }' "$RESULTS" >"$RESULTS.new"
    else
        { cat "$RESULTS" 2>/dev/null; printf '\n## A fleet in one interface\n\n%s\n' "$gen"; } >"$RESULTS.new"
    fi
    mv "$RESULTS.new" "$RESULTS"
    log "wrote $RESULTS"
fi
