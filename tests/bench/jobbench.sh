# shellcheck shell=bash
# tests/bench/jobbench.sh: figure 7 of tests/bench/bench.sh (sourced by it).
#
# A chain base.qcow2 <- mid.qcow2 <- top.qcow2 where mid holds BENCH_JOB_MIB MiB of random data
# (kept in the cache folder). Each trial copies it, starts a transient domain paused on top.qcow2
# (its disk with cache='none' by default: QEMU reads and writes the files with O_DIRECT, so the
# copy goes to the disk, not into the page cache; the run falls back to libvirt's default where
# the folder refuses O_DIRECT) and commits mid into base, alternately:
#   - through the real interface in tmux: the layer is found with the search, `c`, the layer
#     directly below, the plan, `yes`, while the interface shows the progress bar and refreshes
#     the host as usual;
#   - with `virsh blockcommit DOM vda --base BASE --top MID --wait --verbose`.
# Both are timed the same way, by the daemon and a third client: from libvirtd's dispatch of the
# BlockCommit call (its log of dispatched calls, on for this figure) to the COMPLETED event as a
# `virsh event --loop --timestamp` watcher receives it. That is the job's own time under each
# client; what each client adds around it (ours: from the request's submission to the frame that
# shows the job completed, both stamped by the program; virsh: the whole command, exec and
# connection included) is reported next to it, as latency. Throughput is BENCH_JOB_MIB divided by
# the job's time; the medians of BENCH_JOB_RUNS trials compare. Every trial starts on a fresh copy
# with the page cache written back (sync).

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

# cache='none' where the run's folder takes O_DIRECT (tmpfs does not); else libvirt's default.
bench_job_cache_attr() {
    [ "$BENCH_JOB_CACHE" = none ] || return 0
    if dd if=/dev/zero of="$RUN/odirect.test" bs=4096 count=1 oflag=direct 2>/dev/null; then
        echo " cache='none'"
    fi
    rm -f "$RUN/odirect.test"
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
      <driver name='qemu' type='qcow2'$JOB_CACHE_ATTR/>
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
    for d in $(bench_virsh "$URI" list --name 2>/dev/null | grep '^job-'); do
        bench_virsh "$URI" destroy "$d" >/dev/null 2>&1
    done
    if [ -n "${JOB_WATCHER:-}" ]; then
        kill "$JOB_WATCHER" 2>/dev/null
        wait "$JOB_WATCHER" 2>/dev/null
        JOB_WATCHER=
    fi
    return 0
}

# Seconds since the epoch of a daemon log or virsh event stamp ("2026-12-02 14:18:55.884+0000").
job_epoch() { date -u -d "${1%+0000}" +%s.%N; }

# The job's own time of the trial that began at T0 on domain NAME: from the first BlockCommit
# dispatched after T0 (procedure 290) to NAME's COMPLETED event (waited for a few seconds: the
# watcher may print it a moment after the client saw it).
job_own_time() { # T0 NAME
    local t0=$1 name=$2 line t t_disp="" t_done="" i=0
    while read -r line; do
        t=$(job_epoch "$(echo "$line" | cut -d' ' -f1-2 | sed 's/:$//')")
        if awk -v t="$t" -v t0="$t0" 'BEGIN { exit !(t >= t0) }'; then
            t_disp=$t
            break
        fi
    done < <(grep -E 'virNetServerProgramDispatch:[0-9]+ : prog=536903814 .* type=0 .* proc=290$' \
        "$BENCH_HOST/log/rpc-job.log" 2>/dev/null)
    while [ -z "$t_done" ] && [ $((i += 1)) -le 100 ]; do
        line=$(grep -F "event 'block-job-2' for domain '$name': Block Commit for vda completed" \
            "$RUN/job-events.log" | head -n 1)
        [ -n "$line" ] && t_done=$(job_epoch "$(echo "$line" | cut -d' ' -f1-2 | sed 's/:$//')")
        [ -n "$t_done" ] || sleep 0.1
    done
    [ -n "$t_disp" ] && [ -n "$t_done" ] || return 1
    awk -v a="$t_disp" -v b="$t_done" 'BEGIN { printf "%.3f\n", b - a }'
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

# One commit through the interface on a new domain NAME; prints the seconds from the request's
# submission to the first frame that shows the job completed.
bench_job_ours() { # DIR NAME
    local dir=$1 name=$2 t0 t1 done_before n
    bench_job_domain "$name" "$dir" || return 1
    # The interface sees the new domain by its lifecycle event (its row, not the jobs panel's
    # lines of earlier trials).
    job_wait "$name" 20 "paused" || return 1
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
    bench_virsh "$URI" destroy "$name" >/dev/null 2>&1
    awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f\n", (b - a) / 1e9 }'
}

# One commit with virsh on a new domain NAME; prints the seconds of the whole command.
bench_job_virsh() { # DIR NAME
    local dir=$1 name=$2 t0 rc
    bench_job_domain "$name" "$dir" || return 1
    t0=$(bench_now)
    bench_virsh "$URI" blockcommit "$name" vda --base "$dir/base.qcow2" --top "$dir/mid.qcow2" \
        --wait --verbose >"$RUN/job-virsh.out" 2>&1
    rc=$?
    bench_since "$t0"
    bench_virsh "$URI" destroy "$name" >/dev/null 2>&1
    return "$rc"
}

# One trial of KIND (ours or virsh) number I: appends the job's own time to JOB_OWN_<KIND> and the
# client's time to JOB_E2E_<KIND>. Its files go before the next trial starts: a commit that ran
# next to the last one's gigabyte of fresh files took four times as long, whoever ran it.
bench_job_trial() { # KIND I
    local kind=$1 i=$2 name dir t0 e2e own
    name=job-${kind:0:1}$i dir=$RUN/job-${kind:0:1}$i
    t0=$(bench_now)
    e2e=$("bench_job_$kind" "$dir" "$name") && own=$(job_own_time "$t0" "$name")
    rm -rf "$dir"
    [ -n "${own:-}" ] || {
        bench_log "figure 7: trial $i ($kind) gave no time"
        return 1
    }
    local -n own_list=JOB_OWN_$kind e2e_list=JOB_E2E_$kind
    own_list+=("$own")
    e2e_list+=("$e2e")
}

bench_job_results() { # KIND: medians, spread and throughput into the results
    local kind=$1
    local -n own=JOB_OWN_$kind e2e=JOB_E2E_$kind
    put "job.${kind}_all" "${own[*]}"
    put "job.${kind}_n" "${#own[@]}"
    [ "${#own[@]}" -gt 0 ] || return 0
    put "job.${kind}_s" "$(printf '%s\n' "${own[@]}" | median)"
    put "job.${kind}_min" "$(printf '%s\n' "${own[@]}" | sort -g | head -n 1)"
    put "job.${kind}_max" "$(printf '%s\n' "${own[@]}" | sort -g | tail -n 1)"
    put "job.${kind}_e2e" "$(printf '%s\n' "${e2e[@]}" | median)"
    put "job.${kind}_mibs" "$(awk -v m="$BENCH_JOB_MIB" -v s="$(get "job.${kind}_s")" \
        'BEGIN { printf "%.1f", m / s }')"
}

bench_job_figure() {
    local i
    # shellcheck disable=SC2034 # filled and read by name (bench_job_trial, bench_job_results)
    JOB_OWN_ours=() JOB_OWN_virsh=() JOB_E2E_ours=() JOB_E2E_virsh=()
    BENCH_JOB_SRC=$(bench_job_pristine) || {
        bench_log "could not build the ${BENCH_JOB_MIB} MiB layer"
        return 1
    }
    JOB_CACHE_ATTR=$(bench_job_cache_attr)
    put job.cache "$([ -n "$JOB_CACHE_ATTR" ] && echo none || echo default)"
    TMUX_SOCK=$RUN/tmux.sock
    JOB_TRACE=$RUN/job.trace
    : >"$JOB_TRACE"
    job_tmux -f /dev/null new-session -d -s j -x 160 -y 50 \
        "env TERM=tmux-256color VIRT_SNAPTREE_TRACE=$JOB_TRACE $(printf '%q' "$BIN") -c $(printf '%q' "$URI"); sleep 30"
    job_wait "off-0000" 30 || return 1
    LIBVIRT_LOG_OUTPUTS="3:file:/dev/null" virsh -q -c "$URI" event --event block-job-2 --loop \
        --timestamp >"$RUN/job-events.log" 2>&1 &
    JOB_WATCHER=$!
    rm -f "$BENCH_HOST/log/rpc-job.log"
    rpc_on job
    for ((i = 0; i < BENCH_JOB_RUNS; i++)); do
        # Alternate who goes first, so that neither always gets the warmer machine.
        if ((i % 2 == 0)); then
            bench_job_trial ours "$i"
            bench_job_trial virsh "$i"
        else
            bench_job_trial virsh "$i"
            bench_job_trial ours "$i"
        fi
    done
    rpc_off
    job_tmux send-keys -t j q
    bench_job_cleanup
    bench_job_results ours
    bench_job_results virsh
}
