#!/bin/bash
# tests/bench/bench.sh — `make bench`: builds (or reuses) a lab, measures virt-snaptree against
# the baselines of issue 6 in the same run, prints the table and writes tests/bench/RESULTS.md.
# Not a test: nothing here fails on a slow figure; it fails only when it cannot measure.
#
# Environment (besides the lab's, see benchlib.sh):
#   BENCH_RUNS=10            runs of each of our commands (median reported)
#   BENCH_BASELINE_RUNS=3    runs of the scripted baseline (each takes tens of seconds)
#   BENCH_LINK_BASELINE_RUNS=1  the same over the slow link (minutes each)
#   BENCH_UI_NODES=10000     rows of the made-up tree for figure 5
#   BENCH_JOB_MIB=512        size of the layer with data that figure 7 commits
#   BENCH_JOB_RUNS=3         commits of each kind (ours, virsh), alternating
#   BENCH_FIGURES=all        or a comma list of: model,calls,running,paint,ui,rss,job,link
#   BENCH_RESULTS=FILE       where the Markdown goes (default tests/bench/RESULTS.md in the
#                            source tree; "-" for none)
#   BENCH_CALLGRIND=1        also count instructions of figure 5 with callgrind (0: skip)
set -u
: "${top_srcdir:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
export top_srcdir top_builddir
BIN=$top_builddir/ui/virt-snaptree
BENCH_BINDIR=$top_builddir/tests/bench
BENCH_RUNS=${BENCH_RUNS:-10}
BENCH_BASELINE_RUNS=${BENCH_BASELINE_RUNS:-3}
BENCH_LINK_BASELINE_RUNS=${BENCH_LINK_BASELINE_RUNS:-1}
BENCH_UI_NODES=${BENCH_UI_NODES:-10000}
BENCH_JOB_MIB=${BENCH_JOB_MIB:-512}
BENCH_JOB_RUNS=${BENCH_JOB_RUNS:-3}
BENCH_FIGURES=${BENCH_FIGURES:-all}
BENCH_RESULTS=${BENCH_RESULTS:-$top_srcdir/tests/bench/RESULTS.md}
BENCH_CALLGRIND=${BENCH_CALLGRIND:-1}
export LANG=C.UTF-8 LC_ALL=C.UTF-8
# The program's own libvirt logging goes nowhere; virsh's likewise (benchlib.sh).
export LIBVIRT_LOG_OUTPUTS="3:file:/dev/null"
# No user configuration may add hosts to our runs.
export XDG_CONFIG_HOME=/nonexistent

# shellcheck source=../lab/lab.sh
. "$top_srcdir/tests/lab/lab.sh"
# shellcheck source=benchlib.sh
. "$top_srcdir/tests/bench/benchlib.sh"

die() {
    bench_log "$*"
    exit 1
}

want() { [ "$BENCH_FIGURES" = all ] || [[ ",$BENCH_FIGURES," == *",$1,"* ]]; }

[ "$(id -u)" -eq 0 ] || die "needs root (a private libvirtd, QEMU, a network namespace)"
for t in virsh virt-admin libvirtd qemu-img qemu-io jq perl tmux unshare; do
    command -v "$t" >/dev/null || die "$t is missing (scripts/setup-debian installs it)"
done
for b in "$BIN" "$BENCH_BINDIR/ptyrun" "$BENCH_BINDIR/bench_ui" "$BENCH_BINDIR/delayproxy"; do
    [ -x "$b" ] || die "$b is not built (run make bench)"
done

RUN=$(mktemp -d /tmp/vstbench.XXXXXX) || die "mktemp"
LAB_TMP=$RUN/lab
mkdir -p "$LAB_TMP" && : >"$LAB_TMP/hosts"
export LAB_TMP
RES=$RUN/results
: >"$RES"
bench_exit() {
    bench_job_cleanup 2>/dev/null
    [ -n "${TMUX_SOCK:-}" ] && tmux -S "$TMUX_SOCK" kill-server 2>/dev/null
    bench_cleanup
    [ -n "${BENCH_KEEP:-}" ] || rm -rf "$RUN"
}
trap bench_exit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

put() { printf '%s=%s\n' "$1" "$2" >>"$RES"; } # KEY VALUE
get() { awk -F= -v k="$1" '$1 == k { v = substr($0, length(k) + 2) } END { print v }' "$RES"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a > 0 && b > 0) printf "%.1f", a / b; else print "-" }'; }
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR) print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }'; }

# Median wall time in seconds of RUNS runs of a command (after one warm-up run when WARM=1).
# hyperfine when present (it also reports the spread); otherwise a plain loop.
time_cmd() { # KEY RUNS WARM CMD...
    local key=$1 runs=$2 warm=$3 json
    shift 3
    if command -v hyperfine >/dev/null; then
        json=$RUN/$key.json
        hyperfine -N --style none --runs "$runs" --warmup "$warm" --export-json "$json" \
            -- "$(printf '%q ' "$@")" >/dev/null 2>"$RUN/$key.err" || {
            bench_log "hyperfine $key failed: $(tail -n 3 "$RUN/$key.err")"
            return 1
        }
        put "$key" "$(jq '.results[0].median' "$json")"
        put "$key.min" "$(jq '.results[0].min' "$json")"
        put "$key.max" "$(jq '.results[0].max' "$json")"
    else
        local i t0
        for ((i = 0; i < warm; i++)); do "$@" >/dev/null 2>&1; done
        for ((i = 0; i < runs; i++)); do
            t0=$(bench_now)
            "$@" >/dev/null 2>&1
            bench_since "$t0"
        done | median >"$RUN/$key.t"
        put "$key" "$(cat "$RUN/$key.t")"
    fi
}

# ---------------------------------------------------------------- model checks

# Counts in our JSON: domains, layers, snapshots, layers marked shared, chains not known.
json_counts() {
    jq -r '[.hosts[].domains[]] as $d | [($d | length), ([$d[].disks[].chain[]] | length),
        ([$d[].snapshots[]] | length), ([$d[].disks[].chain[] | select(.shared_with | length > 0)]
        | length), ([$d[].disks[] | select(.chain_unknown != null)] | length)] | @tsv' "$1"
}

# The same from the baseline's output: domains, layers (one "filename" per image in qemu-img's
# JSON), snapshots (names in the --tree drawing).
baseline_counts() {
    awk '
        /^== / { d++; snap = 0; next }
        /^## snapshots/ { snap = 1; next }
        snap { s_ = $0; gsub(/^[ |]*(\+- )?/, "", s_); if (s_ != "") s++; next }
        /^ *"filename": / { l++ }
        END { printf "%d\t%d\t%d\n", d, l, s }' "$1"
}

# ---------------------------------------------------------------- RPC counting
#
# libvirtd logs every call it dispatches (virNetServerProgramDispatch, category
# rpc.netserverprogram) at debug level; virt-admin switches that log on for one measured command
# and off again, so timing runs are not slowed by it. A call is a type=0 message of the remote or
# QEMU program (keepalives and virt-admin's own calls are other programs).

rpc_on() { # NAME
    local a
    a=$(bench_admin_uri)
    virt-admin -q -c "$a" daemon-log-filters "1:rpc.netserverprogram" >/dev/null &&
        virt-admin -q -c "$a" daemon-log-outputs "1:file:/var/log/libvirt/rpc-$1.log" >/dev/null
}

rpc_off() {
    local a
    a=$(bench_admin_uri)
    virt-admin -q -c "$a" daemon-log-outputs "3:file:/var/log/libvirt/libvirtd.log" >/dev/null
    virt-admin -q -c "$a" daemon-log-filters "" >/dev/null
}

rpc_lines() { # NAME: the dispatch lines of that capture
    grep -E 'virNetServerProgramDispatch:[0-9]+ : prog=53690381[45] ver=[0-9]+ type=0 ' \
        "$BENCH_HOST/log/rpc-$1.log" 2>/dev/null
}

rpc_count() { rpc_lines "$1" | wc -l; }

# Calls per procedure number, most frequent first ("count proc"), into $RUN/rpc-NAME.procs.
rpc_procs() {
    rpc_lines "$1" | sed -E 's/.* proc=([0-9]+).*/\1/' | sort -n | uniq -c | sort -rn \
        >"$RUN/rpc-$1.procs"
}

rpc_measure() { # NAME CMD...: count the calls CMD makes
    local name=$1
    shift
    rm -f "$BENCH_HOST/log/rpc-$name.log"
    rpc_on "$name" || return 1
    "$@" >/dev/null 2>&1
    rpc_off
    put "calls.$name" "$(rpc_count "$name")"
    rpc_procs "$name"
}

# ---------------------------------------------------------------- the interface on a pty

tui_run() { # KEY RUNS [ptyrun options]: median of each figure over RUNS runs
    local key=$1 runs=$2 i
    shift 2
    for ((i = 0; i < runs; i++)); do
        "$BENCH_BINDIR/ptyrun" --domains "$NDOMS" --layers "$NLAYERS" --snapshots "$NSNAPS" \
            "$@" >"$RUN/$key.$i"
    done
    for f in first_paint_ms model_paint_ms full_paint_ms maxrss_kib timeout; do
        put "$key.$f" "$(cat "$RUN/$key".* | awk -F= -v f="$f" '$1 == f { print $2 }' | median)"
    done
}

# ---------------------------------------------------------------- the lab

BENCH_T0=$(bench_now)
bench_lab_up || die "the lab could not be built or started"
URI=$(bench_uri)
NDOMS=$((BENCH_SHUTOFF + BENCH_RUNNING))
NLAYERS=$((NDOMS * BENCH_DISKS * BENCH_DEPTH))
NSNAPS=$((BENCH_SNAP_DOMAINS < BENCH_SHUTOFF ? BENCH_SNAP_DOMAINS * BENCH_SNAPSHOTS : BENCH_SHUTOFF * BENCH_SNAPSHOTS))
put lab.build "$BENCH_LAB_BUILD"
put lab.start_running "$BENCH_START_RUNNING"
put lab.link "$BENCH_LINK"
bench_log "lab ready ($BENCH_LAB_BUILD; running domains started in ${BENCH_START_RUNNING}s; link: $BENCH_LINK)"

# ---------------------------------------------------------------- figure 1: the complete model

if want model; then
    bench_log "figure 1: the complete model, ours vs the scripted baseline"
    "$BIN" -c "$URI" --json >"$RUN/ours.json" || die "virt-snaptree --json failed"
    put model.ours_counts "$(json_counts "$RUN/ours.json")"
    bash "$top_srcdir/tests/bench/baseline.sh" "$URI" >"$RUN/baseline.txt"
    put model.baseline_counts "$(baseline_counts "$RUN/baseline.txt")"
    time_cmd model.ours "$BENCH_RUNS" 1 "$BIN" -c "$URI" --json
    time_cmd model.baseline "$BENCH_BASELINE_RUNS" 0 bash "$top_srcdir/tests/bench/baseline.sh" "$URI"
fi

# ---------------------------------------------------------------- figure 2: libvirt calls

if want calls; then
    bench_log "figure 2: libvirt calls"
    rpc_measure ours "$BIN" -c "$URI" --json
    rpc_measure baseline bash "$top_srcdir/tests/bench/baseline.sh" "$URI"
    rpc_measure running "$BIN" -c "$URI" --json --running
    rpc_measure domstats virsh -q -c "$URI" domstats --block --backing --list-active
    # A steady refresh: the interface with a 1 s interval for a few seconds; calls are attributed
    # to refreshes by time (the trace's wall clock against the daemon log's).
    rm -f "$BENCH_HOST/log/rpc-tui.log"
    rpc_on tui
    "$BENCH_BINDIR/ptyrun" --domains "$NDOMS" --layers "$NLAYERS" --snapshots "$NSNAPS" \
        --stay 7 --trace-copy "$RUN/tui.trace" -- "$BIN" -c "$URI" --interval 1 >"$RUN/tui-calls.out"
    rpc_off
    put calls.tui_total "$(rpc_count tui)"
    # Per refresh: dispatch lines between refresh-begin and refresh-end, by seconds of the day.
    rpc_lines tui | awk '{ split($2, t, /[:+]/); printf "L %.3f\n", t[1] * 3600 + t[2] * 60 + t[3] }' \
        >"$RUN/tui.calls"
    awk '$3 ~ /^refresh-(begin|end)$/ { s = $2 / 1e9; s -= int(s / 86400) * 86400;
        printf "%s %.6f\n", ($3 == "refresh-begin" ? "B" : "E"), s }' "$RUN/tui.trace" >>"$RUN/tui.calls"
    # A refresh's calls: from its beginning to the next one's (jobs polls and event handling
    # in between would count there too; there are none in this lab).
    sort -k2,2g "$RUN/tui.calls" | awk '
        $1 == "B" { n++; c[n] = 0; next }
        $1 == "L" && n { c[n]++ }
        END { for (i = 1; i <= n; i++) printf "%d%s", c[i], (i < n ? " " : "\n") }' \
        >"$RUN/tui.per_refresh"
    put calls.per_refresh "$(cat "$RUN/tui.per_refresh")"
    # A plain refresh (the fewest after the first: every 5th adds the periodic probes and
    # listings) and the largest.
    put calls.refresh_median "$(tr ' ' '\n' <"$RUN/tui.per_refresh" | tail -n +2 | sort -n | head -n 1)"
    put calls.refresh_max "$(tr ' ' '\n' <"$RUN/tui.per_refresh" | tail -n +2 | sort -n | tail -n 1)"
fi

# ---------------------------------------------------------------- figure 3: running domains only

if want running; then
    bench_log "figure 3: --json --running vs virsh domstats"
    "$BIN" -c "$URI" --json --running >"$RUN/running.json" || die "--json --running failed"
    put running.counts "$(json_counts "$RUN/running.json")"
    time_cmd running.ours "$BENCH_RUNS" 1 "$BIN" -c "$URI" --json --running
    time_cmd running.floor "$BENCH_RUNS" 1 virsh -q -c "$URI" domstats --block --backing --list-active
fi

# ---------------------------------------------------------------- figures 4 and 6: paint, memory

if want paint; then
    bench_log "figure 4: time to first paint"
    tui_run paint 5 -- "$BIN" -c "$URI"
fi
if want rss; then
    bench_log "figure 6: peak memory"
    # The interface with a full model and five more refreshes; --json for comparison.
    tui_run rss 3 --stay 5 -- "$BIN" -c "$URI" --interval 1
    "$BENCH_BINDIR/ptyrun" --no-pty -- "$BIN" -c "$URI" --json >"$RUN/rss-json"
    put rss.json_kib "$(awk -F= '$1 == "maxrss_kib" { print $2 }' "$RUN/rss-json")"
fi

# ---------------------------------------------------------------- figure 5: redraw and keys

if want ui; then
    bench_log "figure 5: redraw and keypress at $BENCH_UI_NODES rows"
    "$BENCH_BINDIR/bench_ui" --nodes "$BENCH_UI_NODES" --iter 300 >"$RUN/ui.out" ||
        die "bench_ui failed"
    while IFS== read -r k v; do put "ui.$k" "$v"; done <"$RUN/ui.out"
    if [ "$BENCH_CALLGRIND" = 1 ] && command -v valgrind >/dev/null; then
        for op in redraw down toggle end search refresh; do
            n=20
            valgrind --tool=callgrind --callgrind-out-file="$RUN/cg.$op" \
                --toggle-collect=bench_measured "$BENCH_BINDIR/bench_ui" \
                --nodes "$BENCH_UI_NODES" --op "$op" --iter "$n" >/dev/null 2>"$RUN/cg.$op.err"
            ir=$(awk '/^summary:/ { print $2 }' "$RUN/cg.$op")
            put "ui.$op.instructions" "$(awk -v i="$ir" -v n="$n" 'BEGIN { printf "%.0f", i / n }')"
        done
    fi
fi

# ---------------------------------------------------------------- figure 7: commit throughput

if want job; then
    bench_log "figure 7: commit of a ${BENCH_JOB_MIB} MiB layer, ours vs virsh blockcommit --wait"
    # shellcheck source=jobbench.sh
    . "$top_srcdir/tests/bench/jobbench.sh"
    bench_job_figure
fi

# ---------------------------------------------------------------- figure 8: the slow link

if want link && [ -n "$BENCH_LINK_URI" ]; then
    bench_log "figure 8: the complete model over a ${BENCH_RTT_MS} ms RTT link ($BENCH_LINK)"
    "$BIN" -c "$BENCH_LINK_URI" --json >"$RUN/link.json" || bench_log "--json over the link failed"
    put link.ours_counts "$(json_counts "$RUN/link.json")"
    time_cmd link.ours 3 0 "$BIN" -c "$BENCH_LINK_URI" --json
    time_cmd link.baseline "$BENCH_LINK_BASELINE_RUNS" 0 \
        bash "$top_srcdir/tests/bench/baseline.sh" "$BENCH_LINK_URI"
    rpc_measure link "$BIN" -c "$BENCH_LINK_URI" --json
fi

put total_seconds "$(bench_since "$BENCH_T0")"

# ---------------------------------------------------------------- the table

# shellcheck source=report.sh
. "$top_srcdir/tests/bench/report.sh"
bench_report >"$RUN/table.md"
cat "$RUN/table.md"
if [ "$BENCH_RESULTS" != - ]; then
    bench_results_md "$RUN/table.md" >"$BENCH_RESULTS.new" && mv "$BENCH_RESULTS.new" "$BENCH_RESULTS"
    bench_log "wrote $BENCH_RESULTS"
fi
cp "$RES" "$BENCH_CACHE/last-results.txt"
