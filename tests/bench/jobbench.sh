# shellcheck shell=bash
# tests/bench/jobbench.sh: figure 7 of tests/bench/bench.sh (sourced by it).
#
# A chain base.qcow2 <- mid.qcow2 <- top.qcow2 where mid holds BENCH_JOB_MIB MiB of random data
# (kept in the cache folder). Each trial copies it, starts a transient domain paused on top.qcow2
# and commits mid into base, alternately:
#   - through the real interface in tmux: the layer is found with the search, `c`, the layer
#     directly below, the plan, `yes`; the time runs from the submission of the request to the
#     first frame that shows the job completed (both stamped by the program, see src/trace.h),
#     while the interface shows the progress bar and refreshes the host as usual;
#   - with `virsh blockcommit DOM vda --base BASE --top MID --wait --verbose`, timed around the
#     whole command (connecting included, which favours us by a few milliseconds).
# Throughput is BENCH_JOB_MIB divided by the time; the medians of BENCH_JOB_RUNS trials compare.
# Every trial starts on a fresh copy with the page cache written back (sync).

bench_job_pristine() {
    local dir=$BENCH_CACHE/job-$BENCH_JOB_MIB
    if [ -f "$dir/ready" ]; then
        echo "$dir"
        return 0
    fi
    rm -rf "$dir"
    mkdir -p "$dir" || return 1
    (
        cd "$dir" &&
            qemu-img create -q -f qcow2 base.qcow2 "${BENCH_JOB_MIB}M" &&
            qemu-img create -q -f qcow2 -b base.qcow2 -F qcow2 mid.qcow2 &&
            head -c "$((BENCH_JOB_MIB << 20))" /dev/urandom >rand.raw &&
            qemu-img convert -n -f raw -O qcow2 rand.raw mid.qcow2 &&
            rm -f rand.raw &&
            qemu-img create -q -f qcow2 -b mid.qcow2 -F qcow2 top.qcow2
    ) || return 1
    [ "$(qemu-img info -U --output=json "$dir/mid.qcow2" | jq '."actual-size"')" -gt \
        $(((BENCH_JOB_MIB - 1) << 20)) ] || return 1
    touch "$dir/ready"
    echo "$dir"
}

# Copies the pristine chain into DIR and starts domain NAME paused on it.
bench_job_domain() { # NAME DIR
    local name=$1 dir=$2
    rm -rf "$dir" && mkdir -p "$dir" &&
        cp --reflink=auto --sparse=always "$BENCH_JOB_SRC"/*.qcow2 "$dir"/ || return 1
    # The copy leaves 512 MiB of dirty pages: written back now, they would throttle whichever
    # commit comes next (every other trial ran 4x slower without this).
    sync
    cat >"$dir/dom.xml" <<EOF
<domain type='qemu'>
  <name>$name</name>
  <memory unit='MiB'>32</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type></os>
  <devices>
    <disk type='file' device='disk'>
      <driver name='qemu' type='qcow2'/>
      <source file='$dir/top.qcow2'/>
      <target dev='vda' bus='virtio'/>
    </disk>
    <controller type='usb' model='none'/>
    <memballoon model='none'/>
  </devices>
</domain>
EOF
    bench_virsh "$URI" create --paused "$dir/dom.xml" >/dev/null
}

bench_job_cleanup() {
    local d
    for d in job-ours job-virsh; do
        bench_virsh "$URI" destroy "$d" >/dev/null 2>&1
    done
    return 0
}

TMUX_SOCK=
job_tmux() { tmux -S "$TMUX_SOCK" "$@"; }
job_screen() { job_tmux capture-pane -t j -p; }
job_wait() { # TEXT SECS [TEXT2]: a line with TEXT (and TEXT2)
    local end=$((SECONDS + $2))
    while [ $SECONDS -le $end ]; do
        job_screen | grep -F -- "$1" | grep -qF -- "${3:-$1}" && return 0
        sleep 0.05
    done
    bench_log "interface: \"$1\" ${3:+with \"$3\" }did not appear; the screen:"
    job_screen | sed 's/^/    /' >&2
    return 1
}

# One commit through the interface; prints the seconds it took.
bench_job_ours() {
    local dir=$1 t0 t1 done_before n
    bench_virsh "$URI" destroy job-ours >/dev/null 2>&1
    bench_job_domain job-ours "$dir" || return 1
    # The interface sees the new domain by its lifecycle event (its row, not the jobs panel's
    # lines of earlier trials).
    job_wait "job-ours" 20 "paused" || return 1
    # The newest of our jobs that completed so far (job ids only grow).
    done_before=$(awk '$3 == "paint" { for (i = 4; i <= NF; i++) if ($i ~ /^last_completed_ours=/) {
        split($i, a, "="); v = a[2] } } END { print v + 0 }' "$JOB_TRACE")
    job_tmux send-keys -t j g /
    job_tmux send-keys -t j -l "mid.qcow2"
    job_tmux send-keys -t j Enter
    # The detail pane shows the selected layer.
    job_wait "Path" 10 "$dir/mid.qcow2" || return 1
    job_tmux send-keys -t j c
    job_wait "(directly below)" 10 || return 1
    job_tmux send-keys -t j Enter
    job_wait "Type yes and press Enter" 20 || return 1
    job_tmux send-keys -t j -l yes
    job_tmux send-keys -t j Enter
    # Until a frame shows a newer job of ours completed.
    n=0
    while :; do
        t1=$(awk -v b="$done_before" '$3 == "paint" { for (i = 4; i <= NF; i++)
            if ($i ~ /^last_completed_ours=/) { split($i, a, "="); if (a[2] + 0 > b) { print $1; exit } } }' \
            "$JOB_TRACE")
        [ -n "$t1" ] && break
        n=$((n + 1))
        if [ "$n" -gt 6000 ]; then
            bench_log "the commit through the interface did not complete"
            job_screen | sed 's/^/    /' >&2
            return 1
        fi
        sleep 0.05
    done
    t0=$(awk '$3 == "submit" && $5 == "kind=2" { t = $1 } END { print t }' "$JOB_TRACE")
    bench_virsh "$URI" destroy job-ours >/dev/null 2>&1
    awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f\n", (b - a) / 1e9 }'
}

bench_job_virsh() {
    local dir=$1 t0 rc
    bench_virsh "$URI" destroy job-virsh >/dev/null 2>&1
    bench_job_domain job-virsh "$dir" || return 1
    t0=$(bench_now)
    bench_virsh "$URI" blockcommit job-virsh vda --base "$dir/base.qcow2" --top "$dir/mid.qcow2" \
        --wait --verbose >"$RUN/job-virsh.out" 2>&1
    rc=$?
    bench_since "$t0"
    bench_virsh "$URI" destroy job-virsh >/dev/null 2>&1
    return "$rc"
}

bench_job_figure() {
    local i t ours=() virsh=()
    BENCH_JOB_SRC=$(bench_job_pristine) || {
        bench_log "could not build the ${BENCH_JOB_MIB} MiB layer"
        return 1
    }
    TMUX_SOCK=$RUN/tmux.sock
    JOB_TRACE=$RUN/job.trace
    : >"$JOB_TRACE"
    job_tmux -f /dev/null new-session -d -s j -x 160 -y 50 \
        "env TERM=tmux-256color VIRT_SNAPTREE_TRACE=$JOB_TRACE $(printf '%q' "$BIN") -c $(printf '%q' "$URI"); sleep 30"
    job_wait "off-0000" 30 || return 1
    for ((i = 0; i < BENCH_JOB_RUNS; i++)); do
        # Alternate who goes first, so that neither always gets the warmer machine.
        # Each trial's files go before the next starts: a commit that ran next to the last one's
        # gigabyte of fresh files took four times as long, whoever ran it.
        if ((i % 2 == 0)); then
            t=$(bench_job_ours "$RUN/job-o$i") && ours+=("$t")
            rm -rf "$RUN/job-o$i"
            t=$(bench_job_virsh "$RUN/job-v$i") && virsh+=("$t")
            rm -rf "$RUN/job-v$i"
        else
            t=$(bench_job_virsh "$RUN/job-v$i") && virsh+=("$t")
            rm -rf "$RUN/job-v$i"
            t=$(bench_job_ours "$RUN/job-o$i") && ours+=("$t")
            rm -rf "$RUN/job-o$i"
        fi
    done
    job_tmux send-keys -t j q
    bench_job_cleanup
    put job.ours_all "${ours[*]}"
    put job.virsh_all "${virsh[*]}"
    if [ "${#ours[@]}" -gt 0 ] && [ "${#virsh[@]}" -gt 0 ]; then
        put job.ours_s "$(printf '%s\n' "${ours[@]}" | median)"
        put job.virsh_s "$(printf '%s\n' "${virsh[@]}" | median)"
        put job.ours_mibs "$(awk -v m="$BENCH_JOB_MIB" -v s="$(get job.ours_s)" 'BEGIN { printf "%.1f", m / s }')"
        put job.virsh_mibs "$(awk -v m="$BENCH_JOB_MIB" -v s="$(get job.virsh_s)" 'BEGIN { printf "%.1f", m / s }')"
    fi
}
