# shellcheck shell=bash
# tests/bench/report.sh: the table of tests/bench/bench.sh, from its results file (get KEY).

# Seconds → "1.23 s" or "45.6 ms".
fmt_s() {
    awk -v s="$1" 'BEGIN { if (s == "") print "-"; else if (s >= 1) printf "%.2f s", s;
        else printf "%.1f ms", s * 1000 }'
}
fmt_ms() { awk -v s="$1" 'BEGIN { if (s == "" || s == 0) print "-"; else printf "%.0f ms", s }'; }
fmt_us() { awk -v s="$1" 'BEGIN { if (s == "") print "-"; else printf "%.0f µs", s }'; }
fmt_mib() { awk -v s="$1" 'BEGIN { if (s == "") print "-"; else printf "%.1f MiB", s / 1024 }'; }
fmt_n() { awk -v s="$1" 'BEGIN { if (s == "") print "-"; else printf "%\047d", s }'; }
# Met, missed or not measured: VALUE OP LIMIT (OP is ge or le).
verdict() {
    awk -v v="$1" -v op="$2" -v l="$3" 'BEGIN {
        if (v == "" || v == "-") { print "not measured"; exit }
        ok = (op == "ge") ? (v + 0 >= l + 0) : (v + 0 <= l + 0)
        print ok ? "**met**" : "**missed**" }'
}

bench_report() {
    local o b r n
    echo "| # | figure | virt-snaptree | baseline (same run) | ratio | target | |"
    echo "|---|---|---|---|---|---|---|"
    o=$(get model.ours) b=$(get model.baseline)
    r=$(ratio "$b" "$o")
    echo "| 1 | complete model: $NDOMS domains, $NLAYERS layers, $NSNAPS snapshots ($(get model.ours_counts | awk '{ printf "%d domains, %d layers, %d snapshots, %d shared layers", $1, $2, $3, $4 }') seen; baseline saw $(get model.baseline_counts | awk '{ printf "%d, %d, %d", $1, $2, $3 }')) | $(fmt_s "$o") | $(fmt_s "$b") scripted virsh + qemu-img | ${r}× faster | ≥ 50× | $(verdict "$r" ge 50) |"
    o=$(get calls.ours) b=$(get calls.baseline)
    echo "| 2 | libvirt calls for that model (cold start) | $(fmt_n "$o") | $(fmt_n "$b") | $(ratio "$b" "$o")× fewer | chains O(1)/host, snapshots O(snapshots) | see below |"
    echo "| 2b | libvirt calls per periodic refresh of the interface: plain (largest) | $(get calls.refresh_median) ($(get calls.refresh_max)); each refresh in turn: $(get calls.per_refresh) | — | | O(1) | $(verdict "$(get calls.refresh_median)" le 8) (plain) |"
    o=$(get running.ours) b=$(get running.floor)
    r=$(ratio "$o" "$b")
    echo "| 3 | \`--json --running\` ($BENCH_RUNNING running domains) | $(fmt_s "$o"), $(fmt_n "$(get calls.running)") calls | $(fmt_s "$b") \`virsh domstats --block --backing --list-active\`, $(fmt_n "$(get calls.domstats)") calls | ${r}× the floor | ≤ 1.5× | $(verdict "$r" le 1.5) |"
    o=$(get paint.model_paint_ms)
    echo "| 4 | first paint of the interface with every domain and chain (first frame: $(fmt_ms "$(get paint.first_paint_ms)"); snapshot trees filled: $(fmt_ms "$(get paint.full_paint_ms)")) | $(fmt_ms "$o") | — | | < 200 ms | $(verdict "$o" le 200) |"
    for n in redraw down toggle end search refresh; do
        o=$(get "ui.${n}_us_median")
        local what
        case $n in
        redraw) what="redraw, nothing changed" ;;
        down) what="keypress Down + redraw" ;;
        toggle) what="keypress Space (collapse/expand: rows rebuilt) + redraw" ;;
        end) what="keypress End + redraw" ;;
        search) what="one letter of incremental search + redraw" ;;
        refresh) what="a new host model arrives (every refresh) + redraw" ;;
        esac
        local target="< 2 ms" v
        v=$(verdict "$o" le 2000)
        [ "$n" = refresh ] && target="(no target)" v=""
        echo "| 5 | $what at $(get ui.rows) rows | $(fmt_us "$o") median, $(fmt_us "$(get "ui.${n}_us_p90")") p90; $(fmt_n "$(get "ui.$n.instructions")") instructions | — | | $target | $v |"
    done
    o=$(get rss.maxrss_kib)
    echo "| 6 | peak RSS of the interface, full lab, 5 refreshes (\`--json\`: $(fmt_mib "$(get rss.json_kib)")) | $(fmt_mib "$o") | — | | < 30 MiB | $(verdict "$(awk -v k="$o" 'BEGIN { if (k != "") print k / 1024 }')" le 30) |"
    o=$(get job.ours_mibs) b=$(get job.virsh_mibs)
    r=$(awk -v a="$o" -v b="$b" 'BEGIN { if (a > 0 && b > 0) printf "%.3f", a / b; else print "-" }')
    echo "| 7 | commit throughput, ${BENCH_JOB_MIB} MiB layer with data, progress shown (median of $BENCH_JOB_RUNS) | $(awk -v v="$o" 'BEGIN { if (v == "") print "-"; else printf "%.0f MiB/s", v }') ($(fmt_s "$(get job.ours_s)")) | $(awk -v v="$b" 'BEGIN { if (v == "") print "-"; else printf "%.0f MiB/s", v }') ($(fmt_s "$(get job.virsh_s)")) \`virsh blockcommit --wait --verbose\` | ${r}× | ≥ 0.97× | $(verdict "$r" ge 0.97) |"
    o=$(get link.ours) b=$(get link.baseline)
    r=$(ratio "$b" "$o")
    echo "| 8 | figure 1 over a ${BENCH_RTT_MS} ms RTT link ($(get lab.link); $(get link.ours_counts | awk '{ printf "%d domains, %d layers, %d snapshots", $1, $2, $3 }') seen; $(fmt_n "$(get calls.link)") calls) | $(fmt_s "$o") | $(fmt_s "$b") | ${r}× faster (local: $(ratio "$(get model.baseline)" "$(get model.ours)")×) | ratio grows | $(verdict "$r" ge "$(ratio "$(get model.baseline)" "$(get model.ours)")") |"
}

bench_machine() {
    local cpu
    cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
    echo "- Machine: ${cpu:-unknown CPU}, $(nproc) cores, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo) RAM, kernel $(uname -r)"
    echo "- Software: $(. /etc/os-release && echo "$PRETTY_NAME"), libvirt $(libvirtd --version | awk '{ print $NF }'), $(qemu-system-x86_64 --version | head -n 1 | sed 's/ (.*//'), virt-snaptree $(git -C "$top_srcdir" describe --always --dirty 2>/dev/null || echo '?')"
    echo "- Date: $(date -u '+%Y-%m-%d %H:%M UTC'); load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
    local built
    built=$(get lab.build)
    if [ "$built" = cached ]; then
        built="reused from the cache (built in $(cat "$BENCH_LAB/build-seconds" 2>/dev/null || echo '?') s)"
    else
        built="built in $built s"
    fi
    echo "- Lab: $BENCH_SHUTOFF shut-off + $BENCH_RUNNING running (paused) domains, $BENCH_DISKS disks each, chains $BENCH_DEPTH deep, $BENCH_GOLDEN golden bases, $BENCH_SNAPSHOTS snapshots on each of $BENCH_SNAP_DOMAINS domains; $built; running domains started in $(get lab.start_running) s; slow link: $(get lab.link), ${BENCH_RTT_MS} ms RTT"
    echo "- Whole run: $(get total_seconds) s"
}

# Names of the remote procedures seen here (numbers from libvirt's remote_protocol.x, checked
# against libvirtd's log of single virsh commands).
proc_name() {
    case $1 in
    1) echo open ;; 2) echo close ;; 3) echo get-type ;; 4) echo get-version ;;
    7) echo get-capabilities ;; 14) echo domain-get-xml ;; 23) echo domain-lookup-by-name ;;
    60) echo supports-feature ;; 66) echo auth-list ;; 99) echo vol-get-xml ;;
    186) echo snapshot-get-xml ;; 189) echo snapshot-lookup ;; 190) echo has-current-snapshot ;;
    191) echo snapshot-current ;; 238) echo get-block-job-info ;; 244) echo snapshot-get-parent ;;
    273) echo list-all-domains ;; 274) echo list-all-snapshots ;; 344) echo get-all-domain-stats ;;
    281) echo list-all-pools ;; 282) echo pool-list-all-volumes ;;
    360) echo register-close-callback ;; 361) echo unregister-close-callback ;;
    *) echo "proc $1" ;;
    esac
}

procs_line() { # FILE: "count × name" for the commonest procedures
    head -n "${2:-8}" "$1" 2>/dev/null | while read -r count proc; do
        printf '%s × %s, ' "$count" "$(proc_name "$proc")"
    done | sed 's/, $//'
}

# RESULTS.md with the generated part (between the markers) replaced; the hand-written analysis
# around it is kept.
bench_results_md() { # TABLE_FILE
    local table=$1 gen
    gen=$(
        echo "<!-- bench:begin (generated by tests/bench/bench.sh; edits here are overwritten) -->"
        echo "Reproduce: \`./autogen.sh && ./configure && make -j2 && make bench\` as root (see"
        echo "the top of tests/bench/bench.sh and tests/bench/benchlib.sh for the sizes)."
        echo
        bench_machine
        echo
        cat "$table"
        echo
        echo "Calls of our cold model (figure 2): $(procs_line "$RUN/rpc-ours.procs" 10)."
        echo
        echo "Calls of the baseline: $(procs_line "$RUN/rpc-baseline.procs" 10)."
        echo
        echo "Calls of \`--json --running\`: $(procs_line "$RUN/rpc-running.procs" 10)."
        echo
        echo "Calls over the slow link: $(procs_line "$RUN/rpc-link.procs" 10)."
        echo "<!-- bench:end -->"
    )
    if [ -f "$BENCH_RESULTS" ] && grep -q '^<!-- bench:begin' "$BENCH_RESULTS"; then
        awk -v gen="$gen" '
            /^<!-- bench:begin/ { print gen; skip = 1; next }
            /^<!-- bench:end/ { skip = 0; next }
            !skip { print }' "$BENCH_RESULTS"
    else
        echo "# Benchmark results"
        echo
        echo "$gen"
    fi
}
