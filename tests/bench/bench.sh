#!/bin/bash
# tests/bench/bench.sh — `make bench`: builds (or reuses) a lab, measures virt-snaptree against
# the baselines of issue 6 in the same run, prints the table and writes tests/bench/RESULTS.md.
# Not a test: nothing here fails on a slow figure; it fails only when it cannot measure.
#
# Environment (besides the lab's, see benchlib.sh):
#   BENCH_RUNS=10            runs of each of our commands (median reported)
#   BENCH_BASELINE_RUNS=3    runs of the scripted baseline (each takes tens of seconds)
#   BENCH_LINK_RUNS=3        runs of ours over the slow link (min, median and max reported)
#   BENCH_LINK_BASELINE_RUNS=3  the baseline over the slow link (minutes each)
#   BENCH_SMALL=1            figure 2 counts the calls again on a second lab of half the size
#                            (shut-off, running and snapshot domains halved; 0: skip)
#   BENCH_UI_NODES=10000     rows of the made-up tree for figure 5
#   BENCH_JOB_MIB=512        size of the layer with data that figure 7 commits
#   BENCH_JOB_RUNS=5         commits of each kind (ours, virsh), alternating
#   BENCH_JOB_CACHE=none     the job domain's disk cache mode (none: O_DIRECT, the copy reads and
#                            writes the disk, not the page cache; "default": libvirt's default)
#   BENCH_FIGURES=all        or a comma list of: model,calls,running,paint,ui,rss,job,link,fleet,
#                            doctor (fleet alone: its own lab only; fleet or doctor alone: the
#                            main table left as it is)
#   BENCH_RESULTS=FILE       where the Markdown goes (default tests/bench/RESULTS.md in the
#                            source tree; "-" for none)
#   BENCH_CALLGRIND=1        also count instructions of figure 5 with callgrind (0: skip)
#   BENCH_KEEP=              non-empty: keep the run's folder (/tmp/vstbench.*) for a look
#   LAB_STACK=bookworm       the lab's libvirtd and QEMU (see tests/lab/lab.sh); each stack has
#                            its own lab in the cache and its own part of RESULTS.md
# It fails (exit 1, after writing the table) when our model and the baseline's disagree.
set -u
: "${top_srcdir:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
export top_srcdir top_builddir
BIN=$top_builddir/ui/virt-snaptree
BENCH_BINDIR=$top_builddir/tests/bench

# shellcheck source=../lab/lab.sh
. "$top_srcdir/tests/lab/lab.sh"
# shellcheck source=benchlib.sh
. "$top_srcdir/tests/bench/benchlib.sh"
# shellcheck source=report.sh
. "$top_srcdir/tests/bench/report.sh"

bench_setting BENCH_RUNS 10
bench_setting BENCH_BASELINE_RUNS 3
bench_setting BENCH_LINK_RUNS 3
bench_setting BENCH_LINK_BASELINE_RUNS 3
bench_setting BENCH_SMALL 1
bench_setting BENCH_UI_NODES 10000
bench_setting BENCH_JOB_MIB 512
bench_setting BENCH_JOB_RUNS 5
bench_setting BENCH_JOB_CACHE none
bench_setting BENCH_FIGURES all
bench_setting BENCH_RESULTS "$top_srcdir/tests/bench/RESULTS.md"
bench_setting BENCH_CALLGRIND 1
bench_setting BENCH_KEEP ""
export LANG=C.UTF-8 LC_ALL=C.UTF-8
# The program's own libvirt logging goes nowhere; virsh's likewise (benchlib.sh).
export LIBVIRT_LOG_OUTPUTS="3:file:/dev/null"
# No user configuration may add hosts to our runs.
export XDG_CONFIG_HOME=/nonexistent

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
# The stack's root and its qemu-img and qemu-io first in PATH (the baseline's qemu-img is the
# QEMU that the daemon runs, as in the lab tests).
lab__stack_init
[ "$LAB_STACK" = bookworm ] || BENCH_CHANGED=("LAB_STACK=$LAB_STACK" "${BENCH_CHANGED[@]}")
bench_exit() {
    bench_job_cleanup 2>/dev/null
    declare -F bench_ssh_down >/dev/null && bench_ssh_down
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

# Median, min and max wall time in seconds of RUNS runs of a command (after WARM warm-up runs),
# as KEY, KEY.min, KEY.max and KEY.n. hyperfine when present; otherwise time_runs.
time_cmd() { # KEY RUNS WARM CMD...
    local key=$1 runs=$2 warm=$3 json i
    shift 3
    if ! command -v hyperfine >/dev/null; then
        for ((i = 0; i < warm; i++)); do "$@" >/dev/null 2>&1; done
        time_runs "$key" "$runs" /dev/null "$@"
        return
    fi
    json=$RUN/$key.json
    hyperfine -N --style none --runs "$runs" --warmup "$warm" --export-json "$json" \
        -- "$(printf '%q ' "$@")" >/dev/null 2>"$RUN/$key.err" || {
        bench_log "hyperfine $key failed: $(tail -n 3 "$RUN/$key.err")"
        return 1
    }
    put "$key" "$(jq '.results[0].median' "$json")"
    put "$key.min" "$(jq '.results[0].min' "$json")"
    put "$key.max" "$(jq '.results[0].max' "$json")"
    put "$key.n" "$(jq '.results[0].times | length' "$json")"
}

# The same with a plain loop, keeping the last run's output in OUT (the slow link's figures count
# what was seen in a timed run rather than in one more of minutes). Failed runs are not timed.
time_runs() { # KEY RUNS OUT CMD...
    local key=$1 runs=$2 out=$3 i t0
    shift 3
    : >"$RUN/$key.times"
    for ((i = 0; i < runs; i++)); do
        t0=$(bench_now)
        "$@" >"$out" 2>>"$RUN/$key.err" && bench_since "$t0" >>"$RUN/$key.times"
    done
    put "$key" "$(median <"$RUN/$key.times")"
    put "$key.min" "$(sort -g "$RUN/$key.times" | head -n 1)"
    put "$key.max" "$(sort -g "$RUN/$key.times" | tail -n 1)"
    put "$key.n" "$(grep -c . "$RUN/$key.times")"
}

# ---------------------------------------------------------------- model checks

# Counts in our JSON: domains, layers, snapshots, layers marked shared, chains not known.
json_counts() {
    jq -r '[.hosts[].domains[]] as $d | [($d | length), ([$d[].disks[].chain[]] | length),
        ([$d[].snapshots[]] | length), ([$d[].disks[].chain[] | select(.shared_with | length > 0)]
        | length), ([$d[].disks[] | select(.chain_unknown != null)] | length)] | @tsv' "$1"
}

# Whether our domains, layers and snapshots (the first three fields) are the baseline's: a model
# that saw less would be faster for nothing. A disagreement is flagged in the table and fails the
# run once the table is written.
BENCH_FAILED=()
counts_check() { # KEY OUR_COUNTS BASELINE_COUNTS
    local ok=yes
    awk -v a="$2" -v b="$3" 'BEGIN { split(a, x, "\t"); split(b, y, "\t")
        exit !(x[1] == y[1] && x[2] == y[2] && x[3] == y[3]) }' || ok=no
    put "$1.counts_agree" "$ok"
    [ "$ok" = yes ] ||
        BENCH_FAILED+=("$1: ours saw $(echo "$2" | cut -f1-3 | tr '\t' ' ') (domains, layers, snapshots), the baseline $(echo "$3" | tr '\t' ' ')")
}

# The same from the baseline's output: domains, layers (one "filename" per image in qemu-img's
# JSON, at the images' own depth: QEMU 10.0 (not 7.2) also names each image's protocol layer, deeper
# under "children"), snapshots (names in the --tree drawing).
baseline_counts() {
    awk '
        /^== / { d++; snap = 0; next }
        /^## snapshots/ { snap = 1; next }
        snap { s_ = $0; gsub(/^[ |]*(\+- )?/, "", s_); if (s_ != "") s++; next }
        /^        "filename": / { l++ }
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

# The calls of a capture by kind (report.sh's proc_kind): "chain definition snapshot jobs other".
rpc_kinds() { # NAME
    local count proc chain=0 def=0 snap=0 jobs=0 other=0
    while read -r count proc; do
        case $(proc_kind "$proc") in
        chain) chain=$((chain + count)) ;;
        definition) def=$((def + count)) ;;
        snapshot) snap=$((snap + count)) ;;
        jobs) jobs=$((jobs + count)) ;;
        *) other=$((other + count)) ;;
        esac
    done <"$RUN/rpc-$1.procs"
    echo "$chain $def $snap $jobs $other"
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
    put "calls.$name.kinds" "$(rpc_kinds "$name")"
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
    put "$key.n" "$runs"
}

# ---------------------------------------------------------------- the lab

bench_nsnaps() {
    echo $((BENCH_SNAP_DOMAINS < BENCH_SHUTOFF ? BENCH_SNAP_DOMAINS * BENCH_SNAPSHOTS : BENCH_SHUTOFF * BENCH_SNAPSHOTS))
}

# ---------------------------------------------------------------- figure 9: a fleet

# 20 hosts in one interface (tests/bench/fleetbench.sh): a lab of its own, a section of
# RESULTS.md of its own.
if want fleet; then
    bench_log "figure 9: a fleet of hosts in one interface: memory, keys, bytes to the terminal"
    BENCH_RESULTS=$BENCH_RESULTS bash "$top_srcdir/tests/bench/fleetbench.sh" >"$RUN/fleet.out" ||
        die "the fleet could not be measured"
    cat "$RUN/fleet.out"
fi
[ "$BENCH_FIGURES" != fleet ] || exit 0

BENCH_T0=$(bench_now)
bench_lab_up || die "the lab could not be built or started"
URI=$(bench_uri)
NDOMS=$((BENCH_SHUTOFF + BENCH_RUNNING))
NLAYERS=$((NDOMS * BENCH_DISKS * BENCH_DEPTH))
NSNAPS=$(bench_nsnaps)
put lab.build "$BENCH_LAB_BUILD"
put lab.start_running "$BENCH_START_RUNNING"
put lab.link "$BENCH_LINK"
# What the daemon itself runs, whichever stack (11.3.0, 10.0.13...).
VERSIONS=$(virsh -q -c "$URI" version --daemon 2>/dev/null)
put lab.libvirtd "$(sed -n 's/^Running against daemon: //p' <<<"$VERSIONS")"
put lab.qemu "$(sed -n 's/^Running hypervisor: QEMU //p' <<<"$VERSIONS")"
bench_log "lab ready ($BENCH_LAB_BUILD; running domains started in ${BENCH_START_RUNNING}s; link: $BENCH_LINK)"

# ---------------------------------------------------------------- figure 1: the complete model

if want model; then
    bench_log "figure 1: the complete model, ours vs the scripted baseline"
    "$BIN" -c "$URI" --json >"$RUN/ours.json" || die "virt-snaptree --json failed"
    put model.ours_counts "$(json_counts "$RUN/ours.json")"
    bash "$top_srcdir/tests/bench/baseline.sh" "$URI" >"$RUN/baseline.txt"
    put model.baseline_counts "$(baseline_counts "$RUN/baseline.txt")"
    counts_check model "$(get model.ours_counts)" "$(get model.baseline_counts)"
    time_cmd model.ours "$BENCH_RUNS" 1 "$BIN" -c "$URI" --json
    time_cmd model.baseline "$BENCH_BASELINE_RUNS" 0 bash "$top_srcdir/tests/bench/baseline.sh" "$URI"
fi

# ---------------------------------------------------------------- figure 2: libvirt calls

# The interface with a 1 s interval for at least 7 s and 8 refreshes (the 5th probes running disks
# for block jobs, the 6th lists snapshots again): its calls given to refreshes by time (the
# trace's wall clock against the daemon log's), from one refresh's start to the next (jobs polls
# and event handling in between would count there too; there are none in this lab). One line
# per refresh: "total chain definition snapshot jobs other".
tui_refresh_calls() {
    rm -f "$BENCH_HOST/log/rpc-tui.log"
    rpc_on tui
    "$BENCH_BINDIR/ptyrun" --domains "$NDOMS" --layers "$NLAYERS" --snapshots "$NSNAPS" \
        --stay 7 --refreshes 8 --timeout 120 --trace-copy "$RUN/tui.trace" -- "$BIN" -c "$URI" \
        --interval 1 >"$RUN/tui-calls.out"
    rpc_off
    put calls.tui_total "$(rpc_count tui)"
    rpc_lines tui | awk '{ split($2, t, /[:+]/); p = $NF; sub(/^proc=/, "", p)
        printf "L %.3f %s\n", t[1] * 3600 + t[2] * 60 + t[3], p }' | while read -r l t p; do
        echo "$l $t $(proc_kind "$p")"
    done >"$RUN/tui.calls"
    awk '$3 ~ /^refresh-(begin|end)$/ { s = $2 / 1e9; s -= int(s / 86400) * 86400;
        printf "%s %.6f\n", ($3 == "refresh-begin" ? "B" : "E"), s }' "$RUN/tui.trace" >>"$RUN/tui.calls"
    sort -k2,2g "$RUN/tui.calls" | awk '
        function out() { if (n) printf "%d %d %d %d %d %d\n", c["all"], c["chain"], c["definition"],
            c["snapshot"], c["jobs"], c["other"] }
        $1 == "B" { out(); n++; split("", c); c["all"] = 0; next }
        $1 == "L" && n { c["all"]++; c[$3]++ }
        END { out() }' >"$RUN/tui.refreshes"
    put calls.per_refresh "$(cut -d' ' -f1 "$RUN/tui.refreshes" | paste -sd ' ')"
}

# What the refreshes after the first cost: the median, the fewest (a plain refresh) and the most
# with their kinds, and over all of them the refreshes that made snapshot calls and job probes
# (every 5th lists snapshots again and probes running disks for jobs).
tui_refresh_summary() {
    local later=$RUN/tui.later
    tail -n +2 "$RUN/tui.refreshes" >"$later"
    put calls.refresh_n "$(grep -c . "$later")"
    put calls.refresh_median "$(cut -d' ' -f1 "$later" | median)"
    put calls.refresh_plain "$(sort -n "$later" | head -n 1)"
    put calls.refresh_max "$(sort -n "$later" | tail -n 1)"
    put calls.refresh_sum "$(awk '{ for (i = 1; i <= NF; i++) s[i] += $i }
        END { for (i = 1; i <= 6; i++) printf "%d%s", s[i], (i < 6 ? " " : "\n") }' "$later")"
    put calls.refresh_with_snap "$(awk '$4 > 0' "$later" | grep -c .)"
    put calls.refresh_with_jobs "$(awk '$5 > 0' "$later" | grep -c .)"
}

# A second lab of half the size (shut-off, running and snapshot domains halved) next to the
# first, for the calls of the cold model: two sizes tell how each kind of call grows. Its daemon
# listens on TCP too, without delay (the remote path, counted only); it stops afterwards.
bench_small_calls() {
    (
        # shellcheck disable=SC2030,SC2034 # the second lab's settings, read by benchlib.sh
        BENCH_SHUTOFF=$((BENCH_SHUTOFF / 2)) BENCH_RUNNING=$((BENCH_RUNNING / 2))
        BENCH_SNAP_DOMAINS=$((BENCH_SNAP_DOMAINS / 2)) BENCH_TCP_PORT=$((BENCH_TCP_PORT + 2))
        # shellcheck disable=SC2030,SC2034
        BENCH_LINK=tcp BENCH_NETNS=0 BENCH_LISTEN_ADDR=127.0.0.1 BENCH_NO_LINK=1
        # shellcheck disable=SC2317 # called by the trap
        small_stop() {
            bench_destroy_running
            bench_daemon_stop
            lab__kill_leftover_qemu "$BENCH_HOST" >&2
        }
        trap small_stop EXIT
        trap 'exit 130' INT
        trap 'exit 143' TERM
        bench_lab_up || exit 1
        put small.sizes "$((BENCH_SHUTOFF + BENCH_RUNNING)) $(bench_nsnaps) $BENCH_SHUTOFF"
        rpc_measure small "$BIN" -c "$(bench_uri)" --json
        rpc_measure small_remote "$BIN" -c "qemu+tcp://127.0.0.1:$BENCH_TCP_PORT/system" --json
    ) || bench_log "the second lab could not be measured"
}

if want calls; then
    bench_log "figure 2: libvirt calls"
    rpc_measure ours "$BIN" -c "$URI" --json
    rpc_measure baseline bash "$top_srcdir/tests/bench/baseline.sh" "$URI"
    rpc_measure running "$BIN" -c "$URI" --json --running
    rpc_measure domstats virsh -q -c "$URI" domstats --block --backing --list-active
    # The remote path (storage pools for shut-off chains) on the same daemon, without the delay.
    [ -n "$BENCH_DIRECT_URI" ] && rpc_measure remote "$BIN" -c "$BENCH_DIRECT_URI" --json
    tui_refresh_calls
    tui_refresh_summary
    if [ "$BENCH_SMALL" = 1 ]; then
        bench_log "figure 2: the same calls on a lab of half the size"
        bench_small_calls
    fi
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
    # shellcheck disable=SC2031 # the main lab's link (the second lab's is its own)
    bench_log "figure 8: the complete model over a ${BENCH_RTT_MS} ms RTT link ($BENCH_LINK)"
    # Both sides run the same number of times by default; what each saw is counted from its last
    # timed run, and checked against the other's.
    time_runs link.ours "$BENCH_LINK_RUNS" "$RUN/link.json" "$BIN" -c "$BENCH_LINK_URI" --json
    put link.ours_counts "$(json_counts "$RUN/link.json" 2>/dev/null)"
    time_runs link.baseline "$BENCH_LINK_BASELINE_RUNS" "$RUN/link-baseline.txt" \
        bash "$top_srcdir/tests/bench/baseline.sh" "$BENCH_LINK_URI"
    put link.baseline_counts "$(baseline_counts "$RUN/link-baseline.txt")"
    counts_check link "$(get link.ours_counts)" "$(get link.baseline_counts)"
    rpc_measure link "$BIN" -c "$BENCH_LINK_URI" --json
    bench_log "figure 8b: the complete model over the same link through ssh, against the local one"
    # shellcheck source=sshbench.sh
    . "$top_srcdir/tests/bench/sshbench.sh"
    bench_ssh_figure
fi

# ---------------------------------------------------------------- figure 10: doctor, orphans

if want doctor; then
    bench_log "figure 10: --doctor and --orphans against qemu-img check on every layer"
    # shellcheck source=doctorbench.sh
    . "$top_srcdir/tests/bench/doctorbench.sh"
    bench_doctor_figure
    if [ "$BENCH_FIGURES" = doctor ]; then # its own section only, the main table left as it is
        for f in "${BENCH_FAILED[@]}"; do bench_log "disagree: $f"; done
        [ "${#BENCH_FAILED[@]}" -eq 0 ]
        exit
    fi
fi

put total_seconds "$(bench_since "$BENCH_T0")"

# ---------------------------------------------------------------- the table

bench_report >"$RUN/table.md"
cat "$RUN/table.md"
echo
bench_summary
if [ "$BENCH_RESULTS" != - ]; then
    bench_results_md "$RUN/table.md" >"$BENCH_RESULTS.new" && mv "$BENCH_RESULTS.new" "$BENCH_RESULTS"
    bench_log "wrote $BENCH_RESULTS"
fi
cp "$RES" "$BENCH_CACHE/last-results.txt"
if [ "${#BENCH_FAILED[@]}" -gt 0 ]; then
    for f in "${BENCH_FAILED[@]}"; do bench_log "counts disagree: $f"; done
    exit 1
fi
