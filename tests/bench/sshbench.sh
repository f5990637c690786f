# shellcheck shell=bash
# tests/bench/sshbench.sh: figure 8b of tests/bench/bench.sh (sourced by it, after figure 8).
# The complete model over the same slow link, through SSH (qemu+ssh://) rather than TCP: a private
# sshd (tests/lab/ssh-lib.sh) behind a second delay proxy of the same one-way delay, its session
# running `nc -U` to the bench daemon's socket. The shut-off chains are read by the host's own
# virt-snaptree (--read-chains, VIRT_SNAPTREE_REMOTE naming this build, the "host" being this
# machine) in one round trip instead of one volume call per layer, as a session over the
# connection libvirt's ssh logged in with (its control socket: one login a run). Against the
# local figure (the same command on the daemon's socket), measured in the same loop; target:
# within 2×.

# shellcheck source=../lab/ssh-lib.sh disable=SC2154 # top_srcdir: set by bench.sh
. "$top_srcdir/tests/lab/ssh-lib.sh"

BENCH_SSH_DIR=""
BENCH_SSH_PROXY=""

# Starts the sshd and its delay proxy; sets BENCH_SSH_URI.
bench_ssh_up() {
    local half pport port known
    [ -x /usr/sbin/sshd ] && command -v nc >/dev/null || return 1
    half=$(awk -v r="$BENCH_RTT_MS" 'BEGIN { printf "%g", r / 2 }')
    BENCH_SSH_DIR=$LAB_TMP/ssh
    lab_sshd_start "$BENCH_SSH_DIR" || return 1
    port=$(lab_sshd_port "$BENCH_SSH_DIR")
    pport=$(lab__sshd_free_port) || return 1
    "$BENCH_BINDIR/delayproxy" 127.0.0.1 "$pport" 127.0.0.1 "$port" "$half" \
        </dev/null >"$RUN/ssh-delayproxy.log" 2>&1 &
    BENCH_SSH_PROXY=$!
    # The host key as known under the proxy's port too.
    known=$(sed "s/^\[127.0.0.1\]:$port /[127.0.0.1]:$pport /" "$BENCH_SSH_DIR/known_hosts") &&
        echo "$known" >>"$BENCH_SSH_DIR/known_hosts"
    BENCH_SSH_URI=$(lab_ssh_uri "$BENCH_SSH_DIR" "$URI" | sed "s/127.0.0.1:$port/127.0.0.1:$pport/")
}

bench_ssh_down() {
    if [ -n "$BENCH_SSH_PROXY" ] && lab__alive "$BENCH_SSH_PROXY"; then
        kill "$BENCH_SSH_PROXY" 2>/dev/null
        lab__wait_gone "$BENCH_SSH_PROXY" 5
    fi
    BENCH_SSH_PROXY=""
    [ -n "$BENCH_SSH_DIR" ] && lab_sshd_stop "$BENCH_SSH_DIR"
    BENCH_SSH_DIR=""
}

bench_ssh_figure() {
    if ! bench_ssh_up; then
        bench_log "figure 8b: no sshd or nc, skipped"
        bench_ssh_down
        return 0
    fi
    put link.ssh_uri "$BENCH_SSH_URI"
    # One untimed run: the first ssh login (and the page cache of the program) is not the figure.
    VIRT_SNAPTREE_REMOTE=$BIN "$BIN" -c "$BENCH_SSH_URI" --json >/dev/null 2>&1
    time_runs link.ssh "$BENCH_LINK_RUNS" "$RUN/link-ssh.json" \
        env VIRT_SNAPTREE_REMOTE="$BIN" "$BIN" -c "$BENCH_SSH_URI" --json
    time_runs link.ssh_local "$BENCH_LINK_RUNS" "$RUN/link-ssh-local.json" "$BIN" -c "$URI" --json
    put link.ssh_counts "$(json_counts "$RUN/link-ssh.json" 2>/dev/null)"
    put link.ssh_local_counts "$(json_counts "$RUN/link-ssh-local.json" 2>/dev/null)"
    bench_ssh_down
}
