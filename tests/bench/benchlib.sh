# shellcheck shell=bash
# tests/bench/benchlib.sh: the benchmark lab, sourced by tests/bench/bench.sh.
#
# One private libvirtd (its own mount namespace, like tests/lab/lab.sh's hosts) serves every
# figure. It runs inside a network namespace joined to this one by a veth pair with a delay (see
# bench_link_up), and listens on its unix socket (no delay: the local figures) and on TCP across
# the veth pair (the slow-link figures). Images, domain definitions and snapshot metadata live in a cache folder
# keyed by the lab's parameters, so a second run only starts the daemon and the running domains.
#
# Parameters (environment; defaults are the issue's workload):
#   BENCH_SHUTOFF=200 BENCH_RUNNING=30   domains shut off / running (started paused)
#   BENCH_DISKS=2 BENCH_DEPTH=10         disks per domain, images per chain (base included)
#   BENCH_GOLDEN=4                       golden bases: disk 0 of domain i sits on golden i % N
#   BENCH_SNAP_DOMAINS=20 BENCH_SNAPSHOTS=20  shut-off domains with snapshots, snapshots each
#                                        (internal, a tree: a branch off the middle one)
#   BENCH_CACHE=$top_builddir/tests/.bench-cache   where labs are kept between runs
#   BENCH_RTT_MS=20                      round trip time of the slow link (half each way)
#   BENCH_JOBS=2                         parallel qemu-img / virsh while building
#   LAB_STACK=bookworm                   the libvirtd and QEMU the lab runs (tests/lab/lab.sh):
#                                        trixie chroots Debian 13's into its root, like the lab
#                                        tests; the clients (ours, virsh) stay this machine's

# Every setting with its default, in one place: bench_setting NAME DEFAULT sets NAME when it is
# unset and remembers it when it differs, so that RESULTS.md can say how to reproduce the run.
BENCH_CHANGED=()
bench_setting() { # NAME DEFAULT
    if [ -z "${!1+x}" ]; then
        printf -v "$1" '%s' "$2"
    elif [ "${!1}" != "$2" ]; then
        BENCH_CHANGED+=("$1=${!1}")
    fi
}

bench_setting BENCH_SHUTOFF 200
bench_setting BENCH_RUNNING 30
bench_setting BENCH_DISKS 2
bench_setting BENCH_DEPTH 10
bench_setting BENCH_GOLDEN 4
bench_setting BENCH_SNAP_DOMAINS 20
bench_setting BENCH_SNAPSHOTS 20
bench_setting BENCH_CACHE "$top_builddir/tests/.bench-cache"
bench_setting BENCH_RTT_MS 20
bench_setting BENCH_JOBS "$(nproc 2>/dev/null || echo 2)"

# Bump when the layout of a lab changes, so that old caches are rebuilt rather than misread.
BENCH_LAB_VERSION=3
# The network namespace, its veth pair and their /30, named after this run: another run on the
# same machine (another engineer's) neither meets nor deletes them.
BENCH_NS=vstbench$$
BENCH_VETH=vstb$$a
BENCH_VETH_PEER=vstb$$b
BENCH_HOST_ADDR=10.231.$((78 + $$ % 150)).1
BENCH_NS_ADDR=10.231.$((78 + $$ % 150)).2
BENCH_TCP_PORT=16599

bench_log() { printf '%s\n' "bench: $*" >&2; }

# Seconds since the epoch with nanoseconds, and differences: the figures are wall clock times.
bench_now() { date +%s.%N; }
bench_since() { awk -v a="$1" -v b="$(bench_now)" 'BEGIN { printf "%.3f\n", b - a }'; }

# Each stack keeps a lab of its own (its libvirtd's definitions and snapshot metadata); the
# default stack's key is what it was before there were two.
bench_lab_key() {
    {
        printf '%s\n' "$BENCH_LAB_VERSION" "$BENCH_SHUTOFF" "$BENCH_RUNNING" "$BENCH_DISKS" \
            "$BENCH_DEPTH" "$BENCH_GOLDEN" "$BENCH_SNAP_DOMAINS" "$BENCH_SNAPSHOTS"
        [ "$LAB_STACK" = bookworm ] || echo "$LAB_STACK"
    } | sha256sum | cut -c1-10
}

bench_target() { # disk index -> vda, vdb, ...
    local letters=abcdefghijklmnopqrstuvwxyz
    echo "vd${letters:$1:1}"
}

bench_domain_names() { # all domains, shut-off ones first
    local i
    for ((i = 0; i < BENCH_SHUTOFF; i++)); do printf 'off-%04d\n' "$i"; done
    for ((i = 0; i < BENCH_RUNNING; i++)); do printf 'run-%04d\n' "$i"; done
}

bench_running_names() {
    local i
    for ((i = 0; i < BENCH_RUNNING; i++)); do printf 'run-%04d\n' "$i"; done
}

# ---------------------------------------------------------------- images
#
# img/golden/gK.qcow2 are the golden bases; img/vms/DOM-TGT-I.qcow2 the domains' layers, I = 0
# the lowest (disk 0 has none: it sits on a golden base, named "../golden/gK.qcow2" as admins
# who keep bases in a folder of their own name them), I = DEPTH-1 the active layer. Both folders
# are libvirt storage pools, so a remote client can follow shut-off domains' chains too.
#
# qemu-img create costs ~15 ms an image; the lab copies template chains instead. A template's
# files and backing names carry a placeholder of the domain name's length, replaced in each
# copy (qcow2 does not checksum its header), which makes the whole lab a few seconds of I/O.

BENCH_PLACEHOLDER=DOMAINXX # as long as "off-0000"

bench__template() { # DIR TARGET BASE: a chain of DEPTH-1 overlays over BASE (own base if "")
    local dir=$1 tgt=$2 base=$3 i prev p=$BENCH_PLACEHOLDER
    mkdir -p "$dir" || return 1
    if [ -z "$base" ]; then
        qemu-img create -q -f qcow2 "$dir/$p-$tgt-0.qcow2" 16M || return 1
        prev=$p-$tgt-0.qcow2
    else
        prev=$base
    fi
    for ((i = 1; i < BENCH_DEPTH; i++)); do
        # -u with a size: the backing file need not exist where the template is made.
        (cd "$dir" && qemu-img create -q -u -f qcow2 -b "$prev" -F qcow2 "$p-$tgt-$i.qcow2" 16M) ||
            return 1
        prev=$p-$tgt-$i.qcow2
    done
}

bench__domain_xml() { # NAME GOLDEN
    local name=$1 g=$2 d tgt src
    printf '%s\n' "<domain type='qemu'>" "  <name>$name</name>" \
        "  <memory unit='MiB'>32</memory>" "  <vcpu>1</vcpu>" \
        "  <os><type arch='x86_64' machine='pc'>hvm</type></os>" "  <devices>"
    for ((d = 0; d < BENCH_DISKS; d++)); do
        tgt=$(bench_target "$d")
        src=$BENCH_LAB/img/vms/$name-$tgt-$((BENCH_DEPTH - 1)).qcow2
        if [ "$BENCH_DEPTH" -eq 1 ] && [ "$d" -eq 0 ]; then
            src=$BENCH_LAB/img/golden/g$g.qcow2
        fi
        printf '%s\n' "    <disk type='file' device='disk'>" \
            "      <driver name='qemu' type='qcow2'/>" "      <source file='$src'/>" \
            "      <target dev='$tgt' bus='virtio'/>" "    </disk>"
    done
    printf '%s\n' "    <controller type='usb' model='none'/>" "    <memballoon model='none'/>" \
        "  </devices>" "</domain>"
}

# Copies template files into OUT with the placeholder replaced by DOM, in names and contents.
# shellcheck disable=SC2016 # perl code
BENCH_COPY_PL='
my ($out, $dom, @files) = @ARGV;
for my $f (@files) {
    open(my $in, "<:raw", $f) or die "$f: $!";
    local $/;
    my $data = <$in>;
    close $in;
    $data =~ s/DOMAINXX/$dom/g;
    (my $name = $f) =~ s{.*/}{};
    $name =~ s/DOMAINXX/$dom/;
    open(my $o, ">:raw", "$out/$name") or die "$out/$name: $!";
    print $o $data;
    close $o or die "$out/$name: $!";
}'

bench__build_images() {
    local img=$BENCH_LAB/img k d i name pids=()
    mkdir -p "$img/golden" "$img/vms" "$img/tmpl" "$BENCH_LAB/xml" || return 1
    for ((k = 0; k < BENCH_GOLDEN; k++)); do
        qemu-img create -q -f qcow2 "$img/golden/g$k.qcow2" 16M || return 1
    done
    # The templates live in a sibling of vms/, so "../golden/" resolves the same from both.
    for ((k = 0; k < BENCH_GOLDEN; k++)); do
        bench__template "$img/tmpl/g$k" vda "../golden/g$k.qcow2" &
        pids+=("$!")
    done
    for ((d = 1; d < BENCH_DISKS; d++)); do
        bench__template "$img/tmpl/$(bench_target "$d")" "$(bench_target "$d")" "" &
        pids+=("$!")
    done
    # Only these: the delay proxy runs in the background too.
    wait "${pids[@]}"
    [ "$(find "$img/tmpl" -name '*.qcow2' | wc -l)" -eq \
        $((BENCH_GOLDEN * (BENCH_DEPTH - 1) + (BENCH_DISKS - 1) * BENCH_DEPTH)) ] || return 1
    i=0
    while read -r name; do
        k=$((i % BENCH_GOLDEN))
        {
            printf '%s\n' "$name" "$img/tmpl/g$k"/*.qcow2
            for ((d = 1; d < BENCH_DISKS; d++)); do
                printf '%s\n' "$img/tmpl/$(bench_target "$d")"/*.qcow2
            done
        } | paste -sd ' '
        bench__domain_xml "$name" "$k" >"$BENCH_LAB/xml/$name.xml"
        i=$((i + 1))
    done < <(bench_domain_names) |
        xargs -P "$BENCH_JOBS" -L 1 perl -e "$BENCH_COPY_PL" -- "$img/vms" || return 1
    # Spot checks: the copies are valid images with the chains they should have.
    name=$(bench_domain_names | tail -n 1)
    [ "$(qemu-img info -U --backing-chain --output=json \
        "$img/vms/$name-vda-$((BENCH_DEPTH - 1)).qcow2" | jq length)" -eq "$BENCH_DEPTH" ] ||
        return 1
    qemu-img check -q "$img/vms/$name-vda-$((BENCH_DEPTH - 1)).qcow2" || return 1
    rm -rf "$img/tmpl"
}

# ---------------------------------------------------------------- the daemon

bench_uri() { echo "qemu+unix:///system?socket=$BENCH_HOST/run/libvirt-sock"; }
bench_admin_uri() { echo "libvirtd:///system?socket=$BENCH_HOST/run/libvirt-admin-sock"; }

bench_virsh() { # URI ARGS...: virsh with libvirt's client logging kept off the terminal
    local uri=$1
    shift
    LIBVIRT_LOG_OUTPUTS="3:file:$BENCH_LAB/client.log" virsh -q -c "$uri" "$@"
}

# The slow link. libvirtd runs inside a network namespace joined to this one by a veth pair and
# listens on TCP there, as the issue describes; netem on both ends delays each direction by half
# the RTT. Where the kernel has no netem (sch_netem is a module that many cloud kernels lack, this
# one included), tests/bench/delayproxy on this end of the pair delays every byte the same way, so
# that only the queueing discipline differs; without a namespace, the proxy sits in front of
# libvirtd on loopback. Sets BENCH_LINK (netem, veth+proxy, proxy or none), BENCH_NETNS,
# BENCH_LISTEN_ADDR, BENCH_LINK_URI (the slow link) and BENCH_DIRECT_URI (the same daemon over
# TCP without the proxy: for counting calls only).
bench_link_up() {
    local half
    half=$(awk -v r="$BENCH_RTT_MS" 'BEGIN { printf "%g", r / 2 }')
    bench_link_down
    BENCH_LINK=none BENCH_NETNS=0 BENCH_LISTEN_ADDR=127.0.0.1 BENCH_LINK_URI='' BENCH_DIRECT_URI=''
    if bench__veth_up; then
        BENCH_NETNS=1 BENCH_LISTEN_ADDR=$BENCH_NS_ADDR
        BENCH_DIRECT_URI="qemu+tcp://$BENCH_NS_ADDR:$BENCH_TCP_PORT/system"
        if tc qdisc add dev "$BENCH_VETH" root netem delay "${half}ms" 2>/dev/null &&
            tc -n "$BENCH_NS" qdisc add dev "$BENCH_VETH_PEER" root netem delay "${half}ms" \
                2>/dev/null; then
            BENCH_LINK=netem BENCH_LINK_URI=$BENCH_DIRECT_URI
            return 0
        fi
        if bench__proxy_up "$BENCH_NS_ADDR" "$half"; then
            BENCH_LINK=veth+proxy
            return 0
        fi
        bench_link_down
        BENCH_NETNS=0 BENCH_LISTEN_ADDR=127.0.0.1
    fi
    BENCH_DIRECT_URI="qemu+tcp://127.0.0.1:$BENCH_TCP_PORT/system"
    if bench__proxy_up 127.0.0.1 "$half"; then
        BENCH_LINK=proxy
        return 0
    fi
    BENCH_DIRECT_URI=''
    bench_log "no netem and no delay proxy: the slow-link figures are skipped"
    return 1
}

bench__veth_up() {
    ip netns add "$BENCH_NS" 2>/dev/null &&
        ip link add "$BENCH_VETH" type veth peer name "$BENCH_VETH_PEER" &&
        ip link set "$BENCH_VETH_PEER" netns "$BENCH_NS" &&
        ip addr add "$BENCH_HOST_ADDR/30" dev "$BENCH_VETH" &&
        ip link set "$BENCH_VETH" up &&
        ip -n "$BENCH_NS" addr add "$BENCH_NS_ADDR/30" dev "$BENCH_VETH_PEER" &&
        ip -n "$BENCH_NS" link set "$BENCH_VETH_PEER" up &&
        ip -n "$BENCH_NS" link set lo up
}

bench__proxy_up() { # TARGET_ADDR ONE_WAY_MS: the proxy on 127.0.0.1, port + 1
    [ -x "$BENCH_BINDIR/delayproxy" ] || return 1
    "$BENCH_BINDIR/delayproxy" 127.0.0.1 $((BENCH_TCP_PORT + 1)) "$1" "$BENCH_TCP_PORT" "$2" \
        </dev/null >"$BENCH_CACHE/delayproxy.log" 2>&1 &
    echo $! >"$BENCH_CACHE/delayproxy.pid"
    BENCH_LINK_URI="qemu+tcp://127.0.0.1:$((BENCH_TCP_PORT + 1))/system"
}

bench_link_down() {
    local pid
    pid=$(cat "$BENCH_CACHE/delayproxy.pid" 2>/dev/null)
    if lab__alive "$pid"; then
        kill "$pid" 2>/dev/null
        lab__wait_gone "$pid" 5
    fi
    rm -f "$BENCH_CACHE/delayproxy.pid"
    ip netns del "$BENCH_NS" 2>/dev/null
    ip link del "$BENCH_VETH" 2>/dev/null
    return 0
}

# Starts libvirtd for $BENCH_HOST (inside the network namespace when $BENCH_NETNS is 1).
bench_daemon_start() {
    local dir=$BENCH_HOST sub pid t0 netns=()
    for sub in etc run lib cache log; do mkdir -p "$dir/$sub" || return 1; done
    lab__write_qemu_conf "$dir/etc" || return 1
    # The daemon's defaults (max_workers 20, max_client_requests 5) are kept: the figures are
    # for a stock host, not one tuned for this tool.
    cat >"$dir/etc/libvirtd.conf" <<EOF
auth_unix_rw = "none"
auth_unix_ro = "none"
unix_sock_group = "root"
unix_sock_rw_perms = "0770"
unix_sock_admin_perms = "0700"
listen_tls = 0
listen_tcp = $([ "$BENCH_LINK" = none ] && echo 0 || echo 1)
listen_addr = "$BENCH_LISTEN_ADDR"
tcp_port = "$BENCH_TCP_PORT"
auth_tcp = "none"
log_outputs = "3:file:/var/log/libvirt/libvirtd.log"
EOF
    lab__caps_install "$dir/cache" || return 1
    [ "${BENCH_NETNS:-0}" = 1 ] && netns=(ip netns exec "$BENCH_NS")
    # Another stack's libvirtd runs chrooted into its root ($R) as lab.sh runs it, with this run's
    # folder ($L: the job trials' files) and the cache ($C: the lab's images and the daemon's own
    # folders) bound in at their own paths, so that the daemon names every image as we do.
    local mounts=: run=libvirtd
    if [ -n "$LAB_STACK_ROOT" ]; then
        # shellcheck disable=SC2016 # for the inner shell
        mounts=$LAB__STACK_MOUNTS' && mkdir -p "$R$C" && mount --rbind "$C" "$R$C"'
        # shellcheck disable=SC2016 # for the inner shell
        run='chroot "$R" env PATH="$LAB__STACK_PATH" /usr/sbin/libvirtd'
    fi
    # As in lab.sh: the pid of the background job is libvirtd's own (every step execs).
    # shellcheck disable=SC2016 # $1, $2 and $R are for the inner shell
    (cd / && R=$LAB_STACK_ROOT L=$RUN C=$BENCH_CACHE exec "${netns[@]}" unshare -m sh -c \
        "$mounts"' &&
        mount --make-rprivate / &&
        mount --bind "$1/etc" "$R/etc/libvirt" &&
        mount --bind "$1/run" "$R/run/libvirt" &&
        mount --bind "$1/lib" "$R/var/lib/libvirt" &&
        mount --bind "$1/cache" "$R/var/cache/libvirt" &&
        mount --bind "$1/log" "$R/var/log/libvirt" &&
        exec '"$run"' $2 --pid-file "$1/run/libvirtd.pid"' bench-libvirtd "$dir" \
        "$([ "$BENCH_LINK" = none ] || echo --listen)") \
        </dev/null >"$dir/libvirtd.out" 2>&1 &
    pid=$!
    echo "$pid" >"$BENCH_LAB/daemon.pid"
    t0=$(bench_now)
    # Until it answers, and it is this daemon that answers (a leftover one holding the socket
    # would answer for it while this one exits).
    until LIBVIRT_LOG_OUTPUTS="3:file:/dev/null" timeout 10 virsh -c "$(bench_uri)" version \
        >/dev/null 2>&1 && lab__alive "$pid"; do
        if ! lab__alive "$pid"; then
            bench_log "libvirtd exited while starting:"
            tail -n 20 "$dir/libvirtd.out" "$dir/log/libvirtd.log" >&2
            return 1
        fi
        if [ "$(bench_since "$t0" | cut -d. -f1)" -ge 120 ]; then
            bench_log "libvirtd did not answer within 120 s"
            bench_daemon_stop
            return 1
        fi
        sleep 0.05
    done
}

bench_daemon_stop() {
    local pid sig
    pid=$(cat "$BENCH_LAB/daemon.pid" 2>/dev/null)
    lab__alive "$pid" || return 0
    kill -CONT "$pid" 2>/dev/null
    for sig in TERM KILL; do
        kill -"$sig" "$pid" 2>/dev/null
        lab__wait_gone "$pid" 15 && return 0
    done
    bench_log "libvirtd $pid did not end"
    return 1
}

# Starts the running domains paused, BENCH_JOBS (at least 4) at a time: libvirtd takes them
# concurrently and most of a start is QEMU initialising.
bench_start_running() {
    local uri p=$BENCH_JOBS
    uri=$(bench_uri)
    [ "$p" -ge 4 ] || p=4
    bench_running_names | xargs -P "$p" -I{} sh -c \
        'LIBVIRT_LOG_OUTPUTS="3:file:/dev/null" virsh -q -c "$0" domstate {} | grep -q running ||
         LIBVIRT_LOG_OUTPUTS="3:file:/dev/null" virsh -q -c "$0" start --paused {} >/dev/null' \
        "$uri"
    [ "$(bench_virsh "$uri" list --name --state-paused --state-running | grep -c .)" \
        -eq "$BENCH_RUNNING" ]
}

bench_destroy_running() {
    local uri
    uri=$(bench_uri)
    bench_virsh "$uri" list --name 2>/dev/null | grep . | xargs -r -P 8 -I{} sh -c \
        'LIBVIRT_LOG_OUTPUTS="3:file:/dev/null" virsh -q -c "$0" destroy {} >/dev/null 2>&1' "$uri"
}

# Everything this run started, in order: domains, daemon, leftover QEMUs, namespace.
bench_cleanup() {
    [ -n "${BENCH_HOST:-}" ] || return 0
    if lab__alive "$(cat "$BENCH_LAB/daemon.pid" 2>/dev/null)"; then
        bench_destroy_running
        bench_daemon_stop
    fi
    lab__kill_leftover_qemu "$BENCH_HOST" >&2
    bench_link_down
}

# ---------------------------------------------------------------- the lab

bench__define_all() {
    local uri=$1 cmds="" name pool
    # The image folders as pools (autostarted with the daemon): what a remote client reads.
    for pool in vms golden; do
        cmds+="pool-define-as bench-$pool dir --target $BENCH_LAB/img/$pool; "
        cmds+="pool-start bench-$pool; pool-autostart bench-$pool; "
    done
    while read -r name; do
        cmds+="define $BENCH_LAB/xml/$name.xml; "
    done < <(bench_domain_names)
    bench_virsh "$uri" "$cmds" >/dev/null
    [ "$(bench_virsh "$uri" list --all --name | grep -c .)" -eq $((BENCH_SHUTOFF + BENCH_RUNNING)) ]
}

# Internal snapshots of shut-off domains (libvirt runs qemu-img snapshot on each disk): a line
# of half of them, a revert to the middle one, then a branch with the rest.
bench__snapshots() {
    local uri=$1 i name
    for ((i = 0; i < BENCH_SNAP_DOMAINS && i < BENCH_SHUTOFF; i++)); do
        printf 'off-%04d\n' "$i"
    done | xargs -P "$BENCH_JOBS" -I{} bash -c '
        uri=$0 n=$1 half=$(( ($1 + 1) / 2 )) cmds=""
        for ((k = 1; k <= n; k++)); do
            cmds+="snapshot-create-as {} s$k --description \"bench snapshot $k of {}\"; "
            [ "$k" -eq "$half" ] && [ "$k" -gt 1 ] && [ "$k" -lt "$n" ] &&
                cmds+="snapshot-revert {} s$(( (half + 1) / 2 )); "
        done
        LIBVIRT_LOG_OUTPUTS="3:file:/dev/null" virsh -q -c "$uri" "$cmds" >/dev/null' \
        "$uri" "$BENCH_SNAPSHOTS"
    local want=$((BENCH_SNAPSHOTS)) got
    for ((i = 0; i < BENCH_SNAP_DOMAINS && i < BENCH_SHUTOFF; i++)); do
        name=$(printf 'off-%04d' "$i")
        got=$(bench_virsh "$uri" snapshot-list "$name" --name | grep -c .)
        [ "$got" -eq "$want" ] || {
            bench_log "$name has $got snapshots, not $want"
            return 1
        }
    done
}

# Sets BENCH_LAB and BENCH_HOST; builds the lab unless the cache holds one for these
# parameters; starts the daemon and the running domains.
bench_lab_up() {
    local key t0
    key=$(bench_lab_key)
    BENCH_LAB=$BENCH_CACHE/$key
    BENCH_HOST=$BENCH_LAB/host
    mkdir -p "$BENCH_CACHE" || return 1
    # A second lab next to the first (bench.sh's smaller one) leaves the link alone.
    [ "${BENCH_NO_LINK:-0}" = 1 ] || bench_link_up
    if [ -f "$BENCH_LAB/ready" ]; then
        BENCH_LAB_BUILD=cached
        bench_daemon_start || return 1
    else
        bench_log "building the lab in $BENCH_LAB"
        t0=$(bench_now)
        rm -rf "$BENCH_LAB"
        mkdir -p "$BENCH_LAB" || return 1
        bench__build_images || {
            bench_log "building images failed"
            return 1
        }
        bench_daemon_start || return 1
        bench__define_all "$(bench_uri)" || {
            bench_log "defining domains failed"
            return 1
        }
        bench__snapshots "$(bench_uri)" || return 1
        BENCH_LAB_BUILD=$(bench_since "$t0")
        echo "$BENCH_LAB_BUILD" >"$BENCH_LAB/build-seconds"
        touch "$BENCH_LAB/ready"
    fi
    t0=$(bench_now)
    bench_start_running || {
        bench_log "starting the running domains failed"
        return 1
    }
    BENCH_START_RUNNING=$(bench_since "$t0")
}
