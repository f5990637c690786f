# shellcheck shell=bash
# tests/bench/report.sh: the table of tests/bench/bench.sh, from its results file (get KEY), the
# verdicts, and the line that sums them up.

# Seconds → "1.23 s" or "45.6 ms".
fmt_s() {
    awk -v s="$1" 'BEGIN { if (s == "") print "-"; else if (s >= 1) printf "%.2f s", s;
        else printf "%.1f ms", s * 1000 }'
}
fmt_ms() { awk -v s="$1" 'BEGIN { if (s == "" || s == 0) print "-"; else printf "%.0f ms", s }'; }
fmt_us() { awk -v s="$1" 'BEGIN { if (s == "") print "-"; else printf "%.0f µs", s }'; }
fmt_mib() { awk -v s="$1" 'BEGIN { if (s == "") print "-"; else printf "%.1f MiB", s / 1024 }'; }
fmt_n() { awk -v s="$1" 'BEGIN { if (s == "") print "-"; else printf "%\047d", s }'; }
# min / median / max of KEY, in seconds.
fmt_spread() { echo "$(fmt_s "$(get "$1.min")") / $(fmt_s "$(get "$1")") / $(fmt_s "$(get "$1.max")")"; }
# Field N (1-based) of a space-separated value.
field() { echo "$1" | awk -v n="$2" '{ print $n }'; }
# a / b with D decimals, "-" when either is missing or zero.
div() { awk -v a="$1" -v b="$2" -v d="${3:-2}" 'BEGIN { if (a != "" && b > 0) printf "%.*f", d, a / b; else print "-" }'; }

# ---------------------------------------------------------------- the calls, by procedure

# Procedure numbers of libvirt's remote_protocol.x (checked against libvirtd's log of single
# virsh commands), by what they read. "chain": the bulk statistics (the states and the block
# statistics with backing chains are one procedure), block info, and every storage pool and
# volume call (71-100 and the later ones: how a remote client follows a shut-off chain);
# "definition": a domain's XML; "snapshot": listings, snapshot XML, parents and the current
# snapshot; "jobs": block job probes; "other": connecting, the domain lists, lookups, callbacks.
RPC_CHAIN="344 194 $(seq -s ' ' 71 100) 125 165 208 209 259 260 281 282"
RPC_DEFINITION="14"
RPC_SNAPSHOT="185 186 187 188 189 190 191 244 246 247 271 272 274 275"
RPC_JOBS="238"

proc_kind() {
    local p=" $1 "
    if [[ " $RPC_CHAIN " == *"$p"* ]]; then
        echo chain
    elif [[ " $RPC_DEFINITION " == *"$p"* ]]; then
        echo definition
    elif [[ " $RPC_SNAPSHOT " == *"$p"* ]]; then
        echo snapshot
    elif [[ " $RPC_JOBS " == *"$p"* ]]; then
        echo jobs
    else
        echo other
    fi
}

proc_name() {
    case $1 in
    1) echo open ;; 2) echo close ;; 3) echo get-type ;; 4) echo get-version ;;
    7) echo get-capabilities ;; 14) echo domain-get-xml ;; 23) echo domain-lookup-by-name ;;
    59) echo get-hostname ;; 60) echo supports-feature ;; 66) echo auth-list ;;
    83) echo pool-refresh ;; 84) echo pool-lookup-by-name ;; 86) echo pool-lookup-by-volume ;;
    87) echo pool-get-info ;; 88) echo pool-get-xml ;;
    97) echo vol-lookup-by-path ;; 98) echo vol-get-info ;; 99) echo vol-get-xml ;;
    110) echo get-uri ;; 157) echo get-lib-version ;;
    167) echo event-register-any ;; 168) echo event-deregister-any ;;
    186) echo snapshot-get-xml ;; 189) echo snapshot-lookup ;; 190) echo has-current-snapshot ;;
    191) echo snapshot-current ;; 238) echo get-block-job-info ;; 244) echo snapshot-get-parent ;;
    273) echo list-all-domains ;; 274) echo list-all-snapshots ;; 290) echo block-commit ;;
    281) echo list-all-pools ;; 282) echo pool-list-all-volumes ;; 344) echo get-all-domain-stats ;;
    360) echo register-close-callback ;; 361) echo unregister-close-callback ;;
    *) echo "proc $1" ;;
    esac
}

procs_line() { # FILE: "count × name" for the commonest procedures
    head -n "${2:-8}" "$1" 2>/dev/null | while read -r count proc; do
        printf '%s × %s, ' "$count" "$(proc_name "$proc")"
    done | sed 's/, $//'
}

# "chain definition snapshot jobs other" → "C chain, D definitions, S snapshot, J jobs, O other".
kinds_line() {
    echo "$1" | awk '{ printf "%d chain, %d definition, %d snapshot, %d job probe, %d other", $1, $2, $3, $4, $5 }'
}

# ---------------------------------------------------------------- verdicts

# Each figure with a target leaves its verdict in VERDICT[n] (met, missed, not established, not
# measured, counts disagree) and, unless met, how far off in HOW[n]; bench_summary sums them up.
declare -A VERDICT HOW
verdict_set() { # FIGURE VERDICT [HOW]
    VERDICT[$1]=$2
    HOW[$1]=${3:-}
}

# Met or missed by comparison: FIGURE VALUE OP LIMIT HOW (OP: ge, le, lt).
verdict_cmp() {
    local v
    v=$(awk -v v="$2" -v op="$3" -v l="$4" 'BEGIN {
        if (v == "" || v == "-") { print "not measured"; exit }
        ok = op == "ge" ? v + 0 >= l + 0 : op == "le" ? v + 0 <= l + 0 : v + 0 < l + 0
        print ok ? "met" : "missed" }')
    verdict_set "$1" "$v" "$([ "$v" = missed ] && echo "$5")"
}

# The cell of the table for a figure's verdict.
verdict_cell() { case ${VERDICT[$1]:-not measured} in met | missed) echo "**${VERDICT[$1]}**" ;; *) echo "${VERDICT[$1]:-not measured}" ;; esac; }

# ---------------------------------------------------------------- figure 2 in words

# How one kind of call grows between the two labs: SIZE_BIG CALLS_BIG SIZE_SMALL CALLS_SMALL UNIT
# → "the same at both sizes" or "x per UNIT".
growth() {
    awk -v n1="$1" -v c1="$2" -v n2="$3" -v c2="$4" -v u="$5" 'BEGIN {
        if (c1 == c2) { printf "the same (%d) at both sizes", c1; exit }
        if (n1 == n2) { print "-"; exit }
        printf "%d → %d: %.2f per %s", c2, c1, (c1 - c2) / (n1 - n2), u }'
}

# The kinds of the cold model at both sizes, and what they say: the text of the table's cell for
# figure 2, and its verdict.
calls_verdict() {
    local k ks sz nd_s ns_s off_s c d s cs ds ss kr krs layers layers_s chains defs snaps remote
    k=$(get calls.ours.kinds) ks=$(get calls.small.kinds) sz=$(get small.sizes)
    nd_s=$(field "$sz" 1) ns_s=$(field "$sz" 2) off_s=$(field "$sz" 3)
    c=$(field "$k" 1) d=$(field "$k" 2) s=$(field "$k" 3)
    cs=$(field "$ks" 1) ds=$(field "$ks" 2) ss=$(field "$ks" 3)
    if [ -n "$ks" ]; then
        chains="chain calls $(growth "$NDOMS" "$c" "$nd_s" "$cs" domain) ($nd_s and $NDOMS domains)"
        defs="definitions $ds → $d ($(div "$ds" "$nd_s") and $(div "$d" "$NDOMS") per domain)"
        snaps="snapshot calls $ss → $s for $ns_s → $NSNAPS snapshots ($(div "$ss" "$ns_s") and $(div "$s" "$NSNAPS") per snapshot)"
    else
        chains="chain calls $c for $NDOMS domains (one size only)"
        defs="definitions $d ($(div "$d" "$NDOMS") per domain)"
        snaps="snapshot calls $s for $NSNAPS snapshots ($(div "$s" "$NSNAPS") per snapshot)"
    fi
    kr=$(get calls.remote.kinds) krs=$(get calls.small_remote.kinds)
    layers=$((BENCH_SHUTOFF * BENCH_DISKS * BENCH_DEPTH)) layers_s=$((off_s * BENCH_DISKS * BENCH_DEPTH))
    # Per shut-off layer: the growth between the sizes, or the ratio at one size.
    REMOTE_PER_LAYER=$(div "$(field "$kr" 1)" "$layers")
    if [ -n "$kr" ] && [ -n "$krs" ]; then
        remote="remote (TCP, same daemon): chain calls $(growth "$layers" "$(field "$kr" 1)" "$layers_s" "$(field "$krs" 1)" "shut-off layer") ($layers_s and $layers shut-off layers)"
        REMOTE_PER_LAYER=$(div "$(($(field "$kr" 1) - $(field "$krs" 1)))" "$((layers - layers_s))")
    elif [ -n "$kr" ]; then
        remote="remote (TCP, same daemon): $(field "$kr" 1) chain calls for $layers shut-off layers ($REMOTE_PER_LAYER per layer)"
    fi
    CALLS_TEXT="local: $chains; $defs; $snaps${remote:+; $remote}"
    calls_judge "$c" "$cs" "$d" "$ds" "$nd_s" "$s" "$ss" "$ns_s" "$kr" "$krs" "$layers"
}

# The verdict of figure 2 from the counts (no thresholds: O(1) is the same count at both sizes,
# "one per domain" is as many definitions as domains at both, O(snapshots) is the same calls per
# snapshot at both).
calls_judge() { # C CS D DS ND_S S SS NS_S KINDS_REMOTE KINDS_SMALL_REMOTE LAYERS
    local c=$1 cs=$2 d=$3 ds=$4 nd_s=$5 s=$6 ss=$7 ns_s=$8 kr=$9 krs=${10} layers=${11} local_v remote_v
    local plain_defs
    plain_defs=$(field "$(get calls.refresh_sum)" 3)
    if [ -z "$cs" ]; then
        local_v="not established (one lab size)"
    elif [ "$c" = "$cs" ] && [ "$d" = "$NDOMS" ] && [ "$ds" = "$nd_s" ] && [ "${plain_defs:-x}" = 0 ]; then
        local_v="chains: O(1) calls + one definition per domain on first sight, cached (0 on the refreshes after it)"
    elif [ "$c" = "$cs" ]; then
        local_v="chains: O(1) calls; definitions $ds → $d"
    else
        local_v="chains grow with the domains"
    fi
    if [ -n "$cs" ] && [ $((s * ns_s)) -eq $((ss * NSNAPS)) ]; then
        local_v="$local_v; snapshots: O(snapshots), $(div "$s" "$NSNAPS") calls per snapshot"
    fi
    CALLS_LOCAL_VERDICT=$local_v
    if [ -n "$kr" ] && [ "$(field "$kr" 1)" != "$(field "$krs" 1)" ]; then
        remote_v="missed remotely: shut-off chains cost $(field "$kr" 1) calls, $REMOTE_PER_LAYER per shut-off layer: O(layers) (vol-get-xml: libvirt has no bulk call for the backing chains of volumes)"
        verdict_set 2 missed "remotely $(fmt_n "$(field "$kr" 1)") chain calls for $(fmt_n "$layers") shut-off layers, $REMOTE_PER_LAYER per layer, O(layers) where O(1) was the target: libvirt has no bulk volume-backing call; locally O(1) chain calls, but one definition per domain on first sight"
    elif [[ $local_v == chains:\ O\(1\)* ]]; then
        verdict_set 2 met
    else
        verdict_set 2 "not established" "$local_v"
    fi
    CALLS_REMOTE_VERDICT=${remote_v:-}
}

# ---------------------------------------------------------------- the rows

row_model() {
    local o b r agree flag=""
    o=$(get model.ours) b=$(get model.baseline) agree=$(get model.counts_agree)
    r=$(ratio "$b" "$o")
    verdict_cmp 1 "$r" ge 50 "${r}× where 50× was the target"
    if [ "$agree" = no ]; then
        flag=" **counts disagree**"
        verdict_set 1 "counts disagree" "ours saw $(get model.ours_counts | cut -f1-3 | tr '\t' '/'), the baseline $(get model.baseline_counts | tr '\t' '/') (domains/layers/snapshots)"
    fi
    echo "| 1 | complete model: $NDOMS domains, $NLAYERS layers, $NSNAPS snapshots ($(get model.ours_counts | awk '{ printf "%d domains, %d layers, %d snapshots, %d shared layers", $1, $2, $3, $4 }') seen; baseline saw $(get model.baseline_counts | awk '{ printf "%d, %d, %d", $1, $2, $3 }')$flag) | $(fmt_s "$o") | $(fmt_s "$b") scripted virsh + qemu-img | ${r}× faster | ≥ 50× | $(verdict_cell 1) |"
}

row_calls() {
    local o b
    o=$(get calls.ours) b=$(get calls.baseline)
    calls_verdict
    echo "| 2 | libvirt calls for that model, cold start, by kind: $(kinds_line "$(get calls.ours.kinds)"); baseline: $(kinds_line "$(get calls.baseline.kinds)"). $CALLS_TEXT | $(fmt_n "$o") | $(fmt_n "$b") | $(ratio "$b" "$o")× fewer | chains O(1)/host, snapshots O(snapshots) | $(verdict_cell 2): $CALLS_LOCAL_VERDICT${CALLS_REMOTE_VERDICT:+; $CALLS_REMOTE_VERDICT} |"
}

# 2b: no target of its own; what the refreshes after the first cost, by kind.
row_refresh() {
    local n sum plain max
    n=$(get calls.refresh_n) sum=$(get calls.refresh_sum)
    plain=$(get calls.refresh_plain) max=$(get calls.refresh_max)
    echo "| 2b | libvirt calls per periodic refresh of the interface (1 s interval, $n refreshes after the first; each in turn: $(get calls.per_refresh)): median $(get calls.refresh_median); fewest $(field "$plain" 1) ($(kinds_line "$(echo "$plain" | cut -d' ' -f2-)")); most $(field "$max" 1) ($(kinds_line "$(echo "$max" | cut -d' ' -f2-)")); all $n together: $(kinds_line "$(echo "$sum" | cut -d' ' -f2-)") | — | — | | (as figure 2) | plain refresh: $(field "$plain" 3) definitions, $(field "$plain" 4) snapshot calls, $(field "$plain" 2) chain calls (bulk statistics): O(1); $(periodic_text "$(get calls.refresh_with_snap)" "$(field "$sum" 4)" "$BENCH_SNAP_DOMAINS" "snapshots listed again" "domain with snapshots" "domains with snapshots"); $(periodic_text "$(get calls.refresh_with_jobs)" "$(field "$sum" 5)" "$((BENCH_RUNNING * BENCH_DISKS))" "block jobs probed" "running disk" "running disks") |"
}

# What the periodic refreshes did of one kind: REFRESHES CALLS UNITS WHAT UNIT UNITS_NAME.
periodic_text() {
    local each
    if [ "${1:-0}" = 0 ]; then
        echo "$4: in none of these refreshes"
        return
    fi
    each=$(div "$2" "$1" 0)
    echo "$4 in $1 of them, $each calls each time, $(div "$each" "$3") per $5: O($6)"
}

row_running() {
    local o b r
    o=$(get running.ours) b=$(get running.floor)
    r=$(ratio "$o" "$b")
    verdict_cmp 3 "$r" le 1.5 "${r}× the floor where 1.5× was the limit"
    echo "| 3 | \`--json --running\` ($BENCH_RUNNING running domains) | $(fmt_s "$o"), $(fmt_n "$(get calls.running)") calls | $(fmt_s "$b") \`virsh domstats --block --backing --list-active\`, $(fmt_n "$(get calls.domstats)") calls | ${r}× the floor | ≤ 1.5× | $(verdict_cell 3) |"
}

row_paint() {
    local o
    o=$(get paint.model_paint_ms)
    verdict_cmp 4 "$o" lt 200 "$(fmt_ms "$o"), $(awk -v o="$o" 'BEGIN { printf "%.0f", o - 200 }') ms over"
    echo "| 4 | first paint of the interface with every domain and chain, median of $(get paint.n) (first frame: $(fmt_ms "$(get paint.first_paint_ms)"); snapshot trees filled: $(fmt_ms "$(get paint.full_paint_ms)")) | $(fmt_ms "$o") | — | | < 200 ms | $(verdict_cell 4) |"
}

ui_what() {
    case $1 in
    redraw) echo "redraw, nothing changed" ;;
    down) echo "keypress Down + redraw" ;;
    toggle) echo "keypress Space (collapse/expand: the domain's rows spliced) + redraw" ;;
    end) echo "keypress End + redraw" ;;
    search) echo "one letter of incremental search + redraw" ;;
    refresh) echo "a new host model arrives (every refresh) + redraw" ;;
    esac
}

# Figure 5: the target holds at the 90th percentile (a keypress that is slow one time in ten is
# felt), so the verdict is on p90; the median is shown next to it.
rows_ui() {
    local n p90 over="" v
    for n in redraw down toggle end search refresh; do
        p90=$(get "ui.${n}_us_p90")
        if [ "$n" = refresh ]; then
            v=""
        else
            v=$(awk -v p="$p90" 'BEGIN { if (p == "") print "not measured"; else print (p <= 2000 ? "**met**" : "**missed**") }')
            [ "$v" = "**missed**" ] && over+="$n p90 $(fmt_us "$p90") ($(awk -v p="$p90" 'BEGIN { printf "%.0f", p - 2000 }') µs over), "
        fi
        echo "| 5 | $(ui_what "$n") at $(get ui.rows) rows | $(fmt_us "$p90") p90, $(fmt_us "$(get "ui.${n}_us_median")") median; $(fmt_n "$(get "ui.$n.instructions")") instructions | — | | $([ "$n" = refresh ] && echo "(no target)" || echo "< 2 ms at p90") | $v |"
    done
    if [ -z "$(get ui.redraw_us_p90)" ]; then
        verdict_set 5 "not measured"
    elif [ -n "$over" ]; then
        verdict_set 5 missed "${over%, }"
    else
        verdict_set 5 met
    fi
}

row_rss() {
    local o mib
    o=$(get rss.maxrss_kib)
    mib=$(awk -v k="$o" 'BEGIN { if (k != "") printf "%.2f", k / 1024 }')
    verdict_cmp 6 "$mib" lt 30 "$(fmt_mib "$o"), $(awk -v m="$mib" 'BEGIN { printf "%.1f", m - 30 }') MiB over"
    echo "| 6 | peak RSS of the interface, full lab, 5 refreshes, median of $(get rss.n) (\`--json\`: $(fmt_mib "$(get rss.json_kib)")) | $(fmt_mib "$o") | — | | < 30 MiB | $(verdict_cell 6) |"
}

mibs() { awk -v v="$1" 'BEGIN { if (v == "") print "-"; else printf "%.0f MiB/s", v }'; }

row_job() {
    local o b r
    o=$(get job.ours_mibs) b=$(get job.virsh_mibs)
    r=$(awk -v a="$o" -v b="$b" 'BEGIN { if (a > 0 && b > 0) printf "%.3f", a / b; else print "-" }')
    verdict_cmp 7 "$r" ge 0.97 "${r}× where 0.97× was the target"
    echo "| 7 | commit of a ${BENCH_JOB_MIB} MiB layer with data (disk cache: $(get job.cache)), progress shown; the job's own time, libvirtd's dispatch of BlockCommit to the COMPLETED event at a watching client, median of $(get job.ours_n) and $(get job.virsh_n) trials | $(mibs "$o") ($(fmt_s "$(get job.ours_min)") / $(fmt_s "$(get job.ours_s)") / $(fmt_s "$(get job.ours_max)"); request to the frame showing it done: $(fmt_s "$(get job.ours_e2e)")) | $(mibs "$b") ($(fmt_s "$(get job.virsh_min)") / $(fmt_s "$(get job.virsh_s)") / $(fmt_s "$(get job.virsh_max)"); the whole command: $(fmt_s "$(get job.virsh_e2e)")) \`virsh blockcommit --wait --verbose\` | ${r}× | ≥ 0.97× | $(verdict_cell 7) |"
}

# Figure 8: the ratio over the link against the local one, each as the range its runs allow
# (slowest baseline over fastest ours, and the reverse); where the ranges overlap, the runs do
# not say whether the ratio grew.
row_link() {
    local o b r lr lo hi llo lhi flag=""
    o=$(get link.ours) b=$(get link.baseline)
    r=$(ratio "$b" "$o") lr=$(ratio "$(get model.baseline)" "$(get model.ours)")
    lo=$(div "$(get link.baseline.min)" "$(get link.ours.max)" 1) hi=$(div "$(get link.baseline.max)" "$(get link.ours.min)" 1)
    llo=$(div "$(get model.baseline.min)" "$(get model.ours.max)" 1) lhi=$(div "$(get model.baseline.max)" "$(get model.ours.min)" 1)
    if [ "$r" = - ] || [ "$lr" = - ] || [ "$lo" = - ] || [ "$llo" = - ]; then
        verdict_set 8 "not measured"
    elif awk -v a="$lo" -v b="$lhi" 'BEGIN { exit !(a > b) }'; then
        verdict_set 8 met
    elif awk -v a="$hi" -v b="$llo" 'BEGIN { exit !(a < b) }'; then
        verdict_set 8 missed "the ratio shrank: ${lo}-${hi}× over the link against ${llo}-${lhi}× locally"
    else
        verdict_set 8 "not established" "the ratio over the link (${lo}-${hi}×) overlaps the local one (${llo}-${lhi}×)"
    fi
    if [ "$(get link.counts_agree)" = no ]; then
        flag=" **counts disagree** (baseline saw $(get link.baseline_counts | tr '\t' '/'))"
        verdict_set 8 "counts disagree" "over the link ours saw $(get link.ours_counts | cut -f1-3 | tr '\t' '/'), the baseline $(get link.baseline_counts | tr '\t' '/')"
    fi
    echo "| 8 | figure 1 over a ${BENCH_RTT_MS} ms RTT link ($(get lab.link); $(get link.ours_counts | awk '{ printf "%d domains, %d layers, %d snapshots", $1, $2, $3 }') seen$flag; $(fmt_n "$(get calls.link)") calls); min / median / max of $(get link.ours.n) and $(get link.baseline.n) runs | $(fmt_spread link.ours) | $(fmt_spread link.baseline) | ${r}× faster, ${lo}-${hi}× from the spreads (local: ${lr}×, ${llo}-${lhi}×) | ratio grows | $(verdict_cell 8) |"
}

# Figure 8b: through ssh over the same link, against the local figure of the same loop (not one
# of the eight targets of the summary).
row_link_ssh() {
    local r counts verdict
    r=$(div "$(get link.ssh)" "$(get link.ssh_local)" 2)
    counts=$(get link.ssh_counts)
    if [ "$r" = - ]; then
        verdict="not measured"
    elif [ "$(echo "$counts" | cut -f1-3)" != "$(get link.ssh_local_counts | cut -f1-3)" ]; then
        verdict="**counts disagree** (local saw $(get link.ssh_local_counts | cut -f1-3 | tr '\t' '/'))"
    elif awk -v a="$r" 'BEGIN { exit !(a <= 2) }'; then
        verdict="**met**"
    else
        verdict="**missed**"
    fi
    echo "| 8b | figure 1 over the same link through ssh (qemu+ssh://, shut-off chains read by the host's virt-snaptree in one round trip; $(echo "$counts" | awk '{ printf "%d domains, %d layers, %d snapshots seen, %d chains unknown", $1, $2, $3, $5 }')); min / median / max of $(get link.ssh.n) runs, against the local socket in the same loop | $(fmt_spread link.ssh) | $(fmt_spread link.ssh_local) (local) | ${r}× the local time | ≤ 2× | $verdict |"
}

bench_report() {
    echo "| # | figure | virt-snaptree | baseline (same run) | ratio | target | |"
    echo "|---|---|---|---|---|---|---|"
    want model && row_model
    want calls && row_calls && row_refresh
    want running && row_running
    want paint && row_paint
    want ui && rows_ui
    want rss && row_rss
    want job && row_job
    if want link && [ -n "$(get link.ours)" ]; then row_link; fi
    if want link && [ -n "$(get link.ssh)" ]; then row_link_ssh; fi
}

# One sentence from the verdicts: how many of the eight targets are met, and each one that is not,
# with how far off.
# A run of some figures (BENCH_FIGURES) is summed up over those.
bench_summary() {
    local f met=0 n=0 rest="" names=(- model calls running paint ui rss job link)
    for f in 1 2 3 4 5 6 7 8; do
        want "${names[$f]}" || continue
        n=$((n + 1))
        case ${VERDICT[$f]:-not measured} in
        met) met=$((met + 1)) ;;
        *) rest+=" Figure $f: ${VERDICT[$f]:-not measured}${HOW[$f]:+ (${HOW[$f]})}." ;;
        esac
    done
    if [ "$met" = 8 ]; then
        echo "All eight targets are met in this run."
    elif [ "$met" = "$n" ]; then
        echo "The $n targets of the figures measured in this run are met."
    else
        echo "Targets met in this run: $met of $n.$rest"
    fi
}

# ---------------------------------------------------------------- RESULTS.md

bench_machine() {
    local cpu
    cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
    echo "- Machine: ${cpu:-unknown CPU}, $(nproc) cores, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo) RAM, kernel $(uname -r)"
    local os rev
    os=$(. /etc/os-release && echo "$PRETTY_NAME")
    rev=$(git -C "$top_srcdir" describe --always --dirty 2>/dev/null || echo '?')
    if [ -z "$LAB_STACK_ROOT" ]; then
        echo "- Software: $os, libvirt $(libvirtd --version | awk '{ print $NF }'), $(qemu-system-x86_64 --version | head -n 1 | sed 's/ (.*//'), virt-snaptree $rev"
    else
        echo "- Software: the $LAB_STACK lab stack (\`LAB_STACK=$LAB_STACK\`): libvirtd $(get lab.libvirtd) and QEMU $(get lab.qemu) from $(. "$LAB_STACK_ROOT/etc/os-release" && echo "$PRETTY_NAME"), chrooted on $os; the clients (virt-snaptree $rev, virsh) are this machine's, libvirt $(virsh --version)"
    fi
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

# The command that reproduces the run: every setting that differs from its default.
bench_reproduce() {
    local env=""
    [ "${#BENCH_CHANGED[@]}" -gt 0 ] && env="$(printf '%q ' "${BENCH_CHANGED[@]}")"
    echo "Reproduce: \`./autogen.sh && ./configure && make -j2 && ${env}make bench\` as root (the"
    echo "settings and their defaults are at the top of tests/bench/bench.sh and tests/bench/benchlib.sh)."
}

# "WHAT: count × name, ..." and a blank line, for a capture this run made (a run of some
# figures only has not made them all).
calls_para() { # WHAT NAME
    [ -s "$RUN/rpc-$2.procs" ] || return 0
    echo
    echo "$1: $(procs_line "$RUN/rpc-$2.procs" 10)."
}

# The markers of the stack's generated part: "bench" (the default stack's, as before there were
# two), "bench-trixie"...
bench_marker() {
    if [ "$LAB_STACK" = bookworm ]; then echo bench; else echo "bench-$LAB_STACK"; fi
}

# RESULTS.md with the stack's generated part (between its markers) replaced; the hand-written
# analysis around it and the other stacks' parts are kept. A stack without a part yet gets one
# at the end, under a heading of its own.
bench_results_md() { # TABLE_FILE
    local table=$1 gen m
    m=$(bench_marker)
    gen=$(
        echo "<!-- $m:begin (generated by tests/bench/bench.sh; edits here are overwritten) -->"
        bench_reproduce
        echo
        bench_machine
        echo
        cat "$table"
        echo
        bench_summary
        calls_para "Calls of our cold model (figure 2)" ours
        calls_para "Calls of the baseline" baseline
        calls_para "Calls of \`--json --running\`" running
        calls_para "Calls over the slow link" link
        echo "<!-- $m:end -->"
    )
    if [ -f "$BENCH_RESULTS" ] && grep -q "^<!-- $m:begin" "$BENCH_RESULTS"; then
        awk -v gen="$gen" -v b="<!-- $m:begin" -v e="<!-- $m:end" '
            index($0, b) == 1 { print gen; skip = 1; next }
            index($0, e) == 1 { skip = 0; next }
            !skip { print }' "$BENCH_RESULTS"
    elif [ -f "$BENCH_RESULTS" ]; then
        cat "$BENCH_RESULTS"
        printf '\n## On the %s lab stack\n\n%s\n' "$LAB_STACK" "$gen"
    else
        echo "# Benchmark results"
        echo
        echo "$gen"
    fi
}
