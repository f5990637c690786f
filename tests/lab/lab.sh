# shellcheck shell=bash
# tests/lab/lab.sh: hermetic libvirt hosts with real QEMU for virt-snaptree's tests.
#
# Source it from a bash test script (it uses arrays and local):
#     . "${top_srcdir:-.}/tests/lab/lab.sh"
#     lab_init                     # skips the whole test unless root with libvirt + QEMU
#     plan 3
#     uri=$(lab_daemon_start "$LAB_TMP/d1")
#     ...
#
# Nothing here touches the machine's libvirt: a private daemon runs in its own mount namespace
# with its own /etc/libvirt, /run/libvirt, /var/{lib,cache,log}/libvirt bound over the real ones,
# and an embedded driver keeps everything under its root folder.  Every folder lives in the
# test's $LAB_TMP, and an EXIT trap destroys and undefines the test's domains, stops its daemons
# by pid and removes $LAB_TMP, also when the test fails or is interrupted.
#
# Environment:
#   top_srcdir, top_builddir  set by `make check`; default to the tree this file is in.
#   LAB_STACK        the libvirt and QEMU the lab's daemons run (default bookworm):
#                    bookworm  this machine's (Debian 12: libvirt 9.0, QEMU 7.2);
#                    trixie    Debian 13's (libvirt 11.3, QEMU 10.0) from a root folder that
#                              tests/lab/stack-root builds once, outside the source tree.  Each
#                              libvirtd runs chrooted into it; its socket, folders and images are
#                              where they are on bookworm (the test's folder is bound into the
#                              root at its own path).  The tests' qemu-img and qemu-io are the
#                              root's too (first in PATH after lab_init): the tools that read and
#                              write the images are the QEMU that opens them, and what the daemon's
#                              QEMU writes is checked by its own version.  The clients stay this
#                              machine's: virsh, the program and the program's own qemu-img
#                              (offline merges), and so does everything that runs inside a client
#                              process: the embedded driver (lab_embed: libvirt 9.0 with QEMU 7.2
#                              whatever LAB_STACK says) and the test:// driver.
#   LAB_STACK_CACHE  where tests/lab/stack-root keeps the roots (default /var/cache/virt-snaptree-lab).
#   LAB_CACHE_DIR    caches shared by the tests of one build tree: QEMU capabilities (one per
#                    stack, in LAB_CACHE_DIR/STACK), the guest's kernel (default
#                    $top_builddir/tests/.lab-cache; not under tests/lab, which is distributed).
#   LAB_KEEP=1       keep $LAB_TMP after the test (processes are still stopped) for debugging.
#   LAB_DAEMON_TIMEOUT  seconds to wait for a daemon's socket (default 90: a cold start probes
#                    QEMU, ~10 s here, much longer under valgrind or on a loaded CI host).
#
# TAP helpers (stdout is the TAP stream; diagnostics are "# " lines):
#   plan N                    print the plan "1..N".
#   ok DESC CMD [ARG...]      run CMD; "ok" if it exits 0, else "not ok" plus its output as diag.
#   is GOT EXPECTED DESC      string equality; prints expected vs got (a diff when multi-line).
#   like GOT ERE DESC         some line of GOT matches the extended regex ERE.
#   unlike GOT ERE DESC       no line of GOT matches ERE.
#   fails_one_line DESC ERE CMD [ARG...]  three results: CMD exits non-zero, its stderr matches
#                             ERE, and its stderr is exactly one line (stdout is ignored).
#   skip DESC REASON          an "ok N - DESC # SKIP REASON" line.
#   diag MSG...               each line of each MSG as a "# " line.
#   skip_all REASON           "1..0 # SKIP REASON" and exit 0 (before any plan).
#   bail_out REASON           "Bail out! REASON" and exit 1 (cleanup still runs).
#   done_testing              print the plan if none was given; status 1 if anything failed.
#   lab_now / lab_elapsed T0  wall clock in seconds; seconds since T0 (3 decimals).
#
# Lab life cycle:
#   lab_init                  skip_all unless root with the tools; make $LAB_TMP; set the traps.
#   lab_on_cleanup CMD...     run CMD first when cleaning up (a test's own processes).
#   lab_cleanup               destroy+undefine all domains of the test's hosts, stop its daemons,
#                             kill leftover QEMU of its hosts by pid file, remove $LAB_TMP.
#                             Idempotent; the EXIT trap calls it.
#   lab_caps_warm             make sure $LAB_CAPS_DIR holds a QEMU capabilities cache valid for
#                             the stack's libvirt and QEMU (one cold daemon start per build
#                             tree and stack, under a lock); hosts get a copy so they start in
#                             ~0.1 s.
#
# Stacks:
#   lab_stack_only STACK REASON   skip_all with REASON unless LAB_STACK is STACK: for a test about
#                             one version, or whose hosts all run inside the client (test://,
#                             the embedded driver), which would repeat the same run elsewhere.
#   lab_stack_host DIR        a host of the stack under test on this machine for a test that
#                             wants one without a daemon's traits, e.g. shut-off domains read
#                             from their images: on bookworm lab_embed DIR (as before), on trixie
#                             lab_daemon_start DIR (an embedded driver would be libvirt 9.0).
#   lab_daemon_version URI    the libvirt version of the host's daemon, e.g. 11.3.0.
#   lab_daemon_at_least URI VERSION   whether that is VERSION or later: a test of behaviour that
#                             differs between libvirt versions asserts the host's own side.
#   lab_stack_run CMD [ARG...]  run CMD inside the stack's root (chroot, private mount namespace,
#                             /proc /sys /dev and $LAB_TMP bound in at their own paths); on
#                             bookworm just run it.
#
# Hosts (DIR must be absolute, free of spaces, and short: QEMU's monitor socket lives under it):
#   lab_embed DIR             prepare an embedded driver root; print qemu:///embed?root=DIR.
#                             Only one process may open a root at a time: run virsh calls one
#                             after another ("virsh -c URI 'cmd1; cmd2'" runs several in one).
#   lab_daemon_start DIR      (with LAB_DAEMON_TCP_PORT=N also on qemu+tcp://127.0.0.1:N/system;
#                             LAB_DAEMON_CONF: more libvirtd.conf lines)
#                             start a private libvirtd, wait for `virsh version` to answer
#                             (bounded); print qemu+unix:///system?socket=DIR/run/libvirt-sock.
#   lab_daemon_pid DIR|URI    pid of that libvirtd (SIGSTOP/SIGCONT it to simulate a hung host).
#   lab_daemon_stop DIR|URI   SIGCONT+SIGTERM, wait, SIGKILL if needed.  Its QEMUs keep running.
#   lab_daemon_kill DIR|URI   SIGKILL at once (a crash, an upgrade gone wrong), wait until it is
#                             gone.  Its QEMUs keep running; its socket and pid file stay behind.
#   lab_daemon_restart DIR|URI  start the daemon again on the same folder after a stop or a kill
#                             (it reconnects to the QEMUs that kept running); print the same URI.
#   lab_host_dir URI          the folder behind a lab URI.
#   lab_virsh URI ARG...      virsh -c URI ARG... with libvirt's client logging kept off stderr.
#   lab_timing NAME           last measured time of daemon_start, caps_warm, domain_start...
#
# Domains (tiny: type qemu, 64 MiB, 1 vcpu, no graphics, serial on a pty, virtio qcow2 disks):
#   lab_domain_define URI NAME [--disk TARGET=FILE[:FMT]]... [--running|--shutoff]
#                             define a persistent domain (and start it with --running).
#   lab_domain_agent_channel URI NAME  add the guest agent's virtio channel to the (shut-off)
#                             domain's definition; no agent ever answers on it (no OS).
#   lab_domain_start URI NAME start and wait until libvirt reports it running.
#   lab_domain_state URI NAME "running", "shut off", ...
#   lab_domain_destroy URI NAME  destroy and wait until shut off; copes with the embed driver's
#                             reconnect race (a destroy right after a reopen kills QEMU but fails).
#   lab_domain_undefine URI NAME  undefine with snapshot and checkpoint metadata.
#   lab_domain_pid URI NAME   pid of its QEMU, from the host's pid file.
#   lab_domain_log URI NAME   its QEMU log (where HMP qemu-io prints).
#   lab_disk_source URI NAME TARGET  the image the disk points at now (domblklist).
#   lab_disk_qom URI NAME TARGET     QOM path of the disk's block backend for HMP qemu-io -d.
#   lab_snapshot_external URI NAME SNAP TARGET FILE
#                             the article's `snapshot-create-as --disk-only --diskspec
#                             TARGET,snapshot=external,file=FILE --atomic`, checked afterwards.
#   lab_snapshot_tree URI NAME  `snapshot-list --tree` without trailing blanks.
#
# Images:
#   lab_chain [--absolute] [--size SIZE] [--patterns] [--from FILE] DIR NAME...
#                             qcow2 chain in DIR, each NAME an overlay on the one before (the first
#                             on --from FILE, or a new base of SIZE, default 64M); backing names
#                             relative to DIR unless --absolute; always with -F.  --patterns
#                             writes layer i's standard pattern into each new image.  Never
#                             overwrites a file.
#   lab_image_format FILE     format from qemu-img info.
#   lab_image_backing FILE    the backing name exactly as stored in FILE's header ("" if none).
#   lab_image_chain FILE      absolute file names of the chain, top first, one per line.
#   lab_image_depth FILE      number of images in the chain.
#   lab_image_depth_at FILE OFFSET  depth (0 = FILE) of the layer holding OFFSET, "-" if none.
#
# Data patterns.  A TARGET is either FILE (qemu-io on the image and its chain; read with -U, so
# not the active image of a running domain) or `-d URI DOMAIN DISK` (HMP qemu-io inside the
# running QEMU: the guest's view of the disk).  Sizes take K/M/G suffixes (binary).
#   Layer i of a chain (i = 0 for the base) writes byte 0x10+i over [i MiB, +64K) ("own") and
#   byte 0x80+i over [48M + i*4K, +64K) ("shared": each layer partly overwrites the one below at
#   sub-cluster granularity, so the upper layers' versions must win byte for byte).  An N-layer
#   chain must then show: own regions of layers 0..N-1, each followed by 4K of zeros; shared
#   stairs 4K of 0x80+j for j < N-1, then 64K of 0x80+N-1 and 4K of zeros; zeros at [63M, +64K).
#   At most 47 layers.  EXTRA arguments are BYTE:OFF:LEN regions (use bytes 0xc0..0xff; keep
#   them in [50M, 63M)) written after the layer's pattern and expected on top of the map.
#   lab_pattern_layer TARGET I [EXTRA...]    write layer I's pattern (and EXTRAs).
#   lab_pattern_expect N [EXTRA...]          print the expected map, "BYTE OFFSET LENGTH" lines.
#   lab_pattern_verify TARGET N [EXTRA...]   check the visible data against the map of an N-layer
#                             chain byte for byte (and for a FILE, the whole disk against a
#                             reference image with qemu-img compare).
#   lab_pattern_placement FILE N             each layer's own region lives in that layer (qemu-img
#                             map), i.e. nothing was written into the wrong layer.
#   lab_io_write TARGET BYTE OFF LEN [BYTE OFF LEN]...   qemu-io write -P, batched.
#   lab_io_verify TARGET BYTE OFF LEN [BYTE OFF LEN]...  qemu-io read -P, batched; on mismatch it
#                             prints expected vs got (the first differing byte, how many differ).
#
# Scenarios (the seed article's chains; DIR gets the images, MODE is running or shutoff):
#   lab_article_chain URI DIR [MODE]
#       centos.qcow2 (64 MiB base) <- test2.qcow2 <- test2_test <- test2_nmap <- test2_net-tools
#       <- test2_lsof, domain test2, snapshots test nmap net-tools lsof made with the article's
#       virsh command; layer i gets pattern i while it is the active layer (HMP qemu-io when
#       running, qemu-io on the file when shut off; a shut-off test2 is never started).
#   lab_article_pull_chain URI DIR [MODE]
#       the same for the blockpull example: snapshots test lsof vim htop.
#   lab_shared_base URI DIR [MODE]
#       golden.qcow2 (layer 0) <- vm1.qcow2 and <- vm2.qcow2 (layer 1 each, plus 0xc1 / 0xc2 over
#       [56M, +64K)) for domains vm1 and vm2: one base image that two domains read.

if [ -z "${BASH_VERSION:-}" ]; then
    echo "lab.sh: needs bash" >&2
    # shellcheck disable=SC2317 # reached only when sourced by another shell
    return 1 2>/dev/null || exit 1
fi
if [ -n "${LAB_SH_LOADED:-}" ]; then
    return 0
fi
LAB_SH_LOADED=1

LAB_SRCDIR=${top_srcdir:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
LAB_BUILDDIR=${top_builddir:-$LAB_SRCDIR}
LAB_CACHE_DIR=${LAB_CACHE_DIR:-$LAB_BUILDDIR/tests/.lab-cache}
LAB_STACK=${LAB_STACK:-bookworm}
# Each stack probes its own QEMU: one capabilities cache per stack.
LAB_CAPS_DIR=$LAB_CACHE_DIR/$LAB_STACK
# The root of the stack's libvirtd and QEMU: empty for this machine's own (set by lab_init).
LAB_STACK_ROOT=
LAB_DAEMON_TIMEOUT=${LAB_DAEMON_TIMEOUT:-90}

LAB_ARTICLE_SNAPS=(test nmap net-tools lsof)
LAB_ARTICLE_PULL_SNAPS=(test lsof vim htop)

# Pattern geometry (see the comment block above).
LAB_MIB=$((1 << 20))
LAB_PAT_OWN_LEN=65536
LAB_PAT_GAP_LEN=4096
LAB_PAT_SHARED_OFF=$((48 << 20))
LAB_PAT_STEP=4096
LAB_PAT_SHARED_LEN=65536
LAB_PAT_ZERO_OFF=$((63 << 20))
LAB_PAT_ZERO_LEN=65536
LAB_PAT_MAX_LAYERS=47

LAB_TAP_COUNT=0
LAB_TAP_FAILED=0
LAB_TAP_PLANNED=
LAB__CLEANUP_HOOKS=()

# ---------------------------------------------------------------- TAP

plan() {
    LAB_TAP_PLANNED=$1
    echo "1..$1"
}

diag() {
    local msg line
    for msg in "$@"; do
        while IFS= read -r line; do
            printf '# %s\n' "$line"
        done <<<"$msg"
    done
}

# STATUS DESC [DIRECTIVE]: one TAP result line.  "#" would start a directive, so escape it.
lab__tap_result() {
    local desc=${2//#/\\#}
    LAB_TAP_COUNT=$((LAB_TAP_COUNT + 1))
    if [ "$1" -eq 0 ]; then
        echo "ok $LAB_TAP_COUNT - $desc${3:+ # $3}"
    else
        LAB_TAP_FAILED=$((LAB_TAP_FAILED + 1))
        echo "not ok $LAB_TAP_COUNT - $desc"
    fi
}

ok() {
    local desc=$1 out rc
    shift
    # The command's output is noise when it passes and the evidence when it fails.
    out=$(mktemp "${LAB_TMP:-${TMPDIR:-/tmp}}/ok.XXXXXX") || return 1
    "$@" >"$out" 2>&1
    rc=$?
    lab__tap_result "$rc" "$desc"
    if [ "$rc" -ne 0 ]; then
        diag "command: $*" "exit status: $rc" "$(cat "$out")"
    fi
    if [ -n "${LAB_LOG:-}" ]; then
        { echo "== ok $LAB_TAP_COUNT: $* (rc=$rc)"; cat "$out"; } >>"$LAB_LOG"
    fi
    rm -f "$out"
    return "$rc"
}

is() {
    if [ "$1" = "$2" ]; then
        lab__tap_result 0 "$3"
        return 0
    fi
    lab__tap_result 1 "$3"
    if [ "${1//$'\n'/}" = "$1" ] && [ "${2//$'\n'/}" = "$2" ]; then
        diag "expected: '$2'" "     got: '$1'"
    else
        diag "--- expected / +++ got" \
            "$(diff -u <(printf '%s\n' "$2") <(printf '%s\n' "$1") | tail -n +3)"
    fi
    return 1
}

like() {
    if printf '%s\n' "$1" | grep -Eq -- "$2"; then
        lab__tap_result 0 "$3"
        return 0
    fi
    lab__tap_result 1 "$3"
    diag "expected a line matching: $2" "got:" "$1"
    return 1
}

unlike() {
    if ! printf '%s\n' "$1" | grep -Eq -- "$2"; then
        lab__tap_result 0 "$3"
        return 0
    fi
    lab__tap_result 1 "$3"
    diag "expected no line matching: $2" "got:" "$1"
    return 1
}

fails_one_line() {
    local desc=$1 re=$2 err rc
    shift 2
    err=$("$@" 2>&1 >/dev/null)
    rc=$?
    ok "$desc: exits non-zero" test "$rc" -ne 0
    like "$err" "$re" "$desc: says why"
    is "$(printf '%s\n' "$err" | wc -l)" 1 "$desc: in one line"
}

skip() {
    lab__tap_result 0 "$1" "SKIP $2"
}

skip_all() {
    echo "1..0 # SKIP $1"
    exit 0
}

bail_out() {
    echo "Bail out! $1"
    exit 1
}

done_testing() {
    if [ -z "$LAB_TAP_PLANNED" ]; then
        echo "1..$LAB_TAP_COUNT"
    elif [ "$LAB_TAP_PLANNED" -ne "$LAB_TAP_COUNT" ]; then
        diag "planned $LAB_TAP_PLANNED tests but ran $LAB_TAP_COUNT"
        return 1
    fi
    if [ "$LAB_TAP_FAILED" -ne 0 ]; then
        diag "failed $LAB_TAP_FAILED of $LAB_TAP_COUNT"
        return 1
    fi
    return 0
}

lab_now() {
    date +%s.%N
}

lab_elapsed() {
    awk -v a="$1" -v b="$(lab_now)" 'BEGIN { printf "%.3f\n", b - a }'
}

# ---------------------------------------------------------------- small helpers

lab__err() {
    echo "lab: $*" >&2
}

# SIZE with an optional K/M/G suffix (binary) or 0x prefix -> bytes.
lab__bytes() {
    local v=$1 mult=1
    case $v in
    *[kK]) mult=1024 v=${v%?} ;;
    *[mM]) mult=$LAB_MIB v=${v%?} ;;
    *[gG]) mult=$((1 << 30)) v=${v%?} ;;
    esac
    case $v in
    '' | *[!0-9xXa-fA-F]*)
        lab__err "not a size: $1"
        return 1
        ;;
    esac
    echo $((v * mult))
}

lab__hexbyte() {
    printf '0x%02x' "$(($1))"
}

# A process that exists and is not a zombie: a daemon started from this shell stays a zombie
# until reaped, and kill -0 would call it alive.
lab__alive() {
    local pid=$1 stat
    case $pid in '' | *[!0-9]*) return 1 ;; esac
    stat=$(cat "/proc/$pid/stat" 2>/dev/null) || return 1
    stat=${stat##*) }
    [ "${stat%% *}" != Z ]
}

# Wait up to SECONDS for PID to end.
lab__wait_gone() {
    local pid=$1 n=$(($2 * 20))
    while lab__alive "$pid"; do
        n=$((n - 1))
        [ "$n" -gt 0 ] || return 1
        sleep 0.05
    done
    # Reap it if it is our own child; harmless otherwise.
    wait "$pid" 2>/dev/null
    return 0
}

# Paths end up in URIs, XML, HMP command strings and unix socket names: keep them plain.
lab__check_path() {
    case $1 in
    /*) ;;
    *)
        lab__err "path must be absolute: $1"
        return 1
        ;;
    esac
    case $1 in
    *[!A-Za-z0-9._/+-]*)
        lab__err "path has characters the lab does not quote: $1"
        return 1
        ;;
    esac
}

lab__check_name() {
    case $1 in
    '' | *[!A-Za-z0-9._-]*)
        lab__err "bad name: '$1'"
        return 1
        ;;
    esac
}

lab__need_tmp() {
    if [ -z "${LAB_TMP:-}" ] || [ ! -d "$LAB_TMP" ]; then
        lab__err "call lab_init first"
        return 1
    fi
}

lab__timing() {
    [ -n "${LAB_TMP:-}" ] && printf '%s %s\n' "$1" "$2" >>"$LAB_TMP/timings"
}

lab_timing() {
    [ -n "${LAB_TMP:-}" ] && [ -f "$LAB_TMP/timings" ] &&
        awk -v n="$1" '$1 == n { v = $2 } END { if (v != "") print v; else exit 1 }' "$LAB_TMP/timings"
}

lab__xml_escape() {
    local s=$1
    s=${s//&/&amp;}
    s=${s//</&lt;}
    s=${s//>/&gt;}
    s=${s//\'/&apos;}
    s=${s//\"/&quot;}
    printf '%s' "$s"
}

# ---------------------------------------------------------------- life cycle

lab__missing_requirements() {
    local missing="" t m
    for t in virsh libvirtd qemu-system-x86_64 qemu-img qemu-io jq unshare timeout flock awk; do
        command -v "$t" >/dev/null 2>&1 || missing="$missing $t"
    done
    # The private daemon binds its folders over these; scripts/setup-debian creates them.
    for m in /etc/libvirt /run/libvirt /var/lib/libvirt /var/cache/libvirt /var/log/libvirt; do
        [ -d "$m" ] || missing="$missing $m"
    done
    printf '%s' "$missing"
}

lab_init() {
    local missing
    if [ "$(id -u)" -ne 0 ]; then
        skip_all "the lab needs root (private libvirtd in a mount namespace, QEMU as root)"
    fi
    missing=$(lab__missing_requirements)
    if [ -n "$missing" ]; then
        skip_all "missing:$missing (run scripts/setup-debian)"
    fi
    # Short on purpose: QEMU's monitor socket of an embedded root lives under it and unix
    # socket paths stop at 107 bytes.
    LAB_TMP=$(mktemp -d "${TMPDIR:-/tmp}/lab.XXXXXX") || bail_out "mktemp failed"
    LAB_LOG=$LAB_TMP/lab.log
    : >"$LAB_TMP/hosts"
    : >"$LAB_LOG"
    export LAB_TMP
    trap 'lab_cleanup' EXIT
    trap 'exit 129' HUP
    trap 'exit 130' INT
    trap 'exit 143' TERM
    lab__stack_init
}

lab_on_cleanup() {
    LAB__CLEANUP_HOOKS+=("$*")
}

lab__register() {
    # A daemon started again on its folder is one host.
    grep -qxF -- "$(printf '%s\t%s\t%s' "$1" "$2" "$3")" "$LAB_TMP/hosts" && return 0
    printf '%s\t%s\t%s\n' "$1" "$2" "$3" >>"$LAB_TMP/hosts"
}

# KEY (a host folder or URI) -> FIELD (1 kind, 2 dir, 3 uri) of its registry line.
lab__host_field() {
    [ -n "${LAB_TMP:-}" ] && [ -f "$LAB_TMP/hosts" ] || return 1
    awk -F '\t' -v k="$1" -v f="$2" '$2 == k || $3 == k { v = $f } END { if (v == "") exit 1; print v }' \
        "$LAB_TMP/hosts"
}

lab_host_dir() {
    lab__host_field "$1" 2 || {
        lab__err "not a lab host: $1"
        return 1
    }
}

lab_virsh() {
    local uri=$1
    shift
    # The embedded driver logs warnings ("tainted: high-privileges") from inside virsh; keep
    # them in the test's folder instead of the TAP stream.  A hung host must not hang the test
    # run forever; --foreground keeps ^C working.
    LIBVIRT_LOG_OUTPUTS="3:file:${LAB_TMP:-/tmp}/libvirt-client.log" \
        timeout --foreground "${LAB_VIRSH_TIMEOUT:-300}" virsh -c "$uri" "$@"
}

# A read-only virsh call, retried when virsh dies from a signal: a process that closes an
# embedded connection can segfault at exit (seen 1 in 40 with a running domain).
lab__virsh_q() {
    local out rc n=3
    while :; do
        out=$(lab_virsh "$@" 2>>"${LAB_LOG:-/dev/null}")
        rc=$?
        if [ "$rc" -lt 128 ] || [ "$n" -le 1 ]; then
            break
        fi
        echo "lab: virsh $* died with status $rc; retrying" >>"${LAB_LOG:-/dev/null}"
        n=$((n - 1))
    done
    printf '%s\n' "$out"
    return "$rc"
}

lab_cleanup() {
    local hook kind dir uri dom pid jobs
    [ -n "${LAB_TMP:-}" ] && [ -d "$LAB_TMP" ] || return 0
    [ -z "${LAB__CLEANING:-}" ] || return 0
    LAB__CLEANING=1
    # A second ^C must not leave half the hosts running; every step below is bounded.
    trap '' HUP INT TERM
    for hook in "${LAB__CLEANUP_HOOKS[@]}"; do
        eval "$hook" >>"$LAB_LOG" 2>&1
    done
    # Newest host first, so a host a test made on top of another goes first.  The list comes on
    # fd 3 so that nothing in the loop can eat it from stdin.
    while IFS=$'\t' read -r -u 3 kind dir uri; do
        [ -n "$kind" ] || continue
        pid="" jobs=()
        if [ "$kind" = daemon ]; then
            pid=$(cat "$dir/lab-daemon.pid" 2>/dev/null)
            lab__alive "$pid" || pid=
            # A test may have left it stopped to simulate a hung host.
            [ -z "$pid" ] || kill -CONT "$pid" 2>/dev/null
        fi
        if [ "$kind" = embed ] || [ -n "$pid" ]; then
            for dom in $(LAB_VIRSH_TIMEOUT=20 lab__virsh_q "$uri" list --all --name); do
                if [ "$kind" = daemon ]; then
                    # A daemon takes concurrent clients, and each destroy waits for a QEMU to
                    # be reaped (seconds where PID 1 reaps orphans lazily): overlap them.
                    lab__destroy_undefine "$uri" "$dom" &
                    jobs+=("$!")
                else
                    lab__destroy_undefine "$uri" "$dom"
                fi
            done
            # Only these: the test may have background jobs of its own.
            [ "${#jobs[@]}" -eq 0 ] || wait "${jobs[@]}"
        fi
        [ "$kind" != daemon ] || lab_daemon_stop "$dir" >>"$LAB_LOG" 2>&1
        lab__kill_leftover_qemu "$dir"
    done 3< <(tac "$LAB_TMP/hosts")
    if [ -n "${LAB_KEEP:-}" ]; then
        diag "LAB_KEEP: kept $LAB_TMP"
    elif grep -qF " $LAB_TMP/" /proc/self/mountinfo; then
        diag "something is mounted under $LAB_TMP; not removing it"
    else
        case $LAB_TMP in
        "${TMPDIR:-/tmp}"/lab.*) rm -rf "$LAB_TMP" ;;
        *) diag "refusing to remove unexpected LAB_TMP=$LAB_TMP" ;;
        esac
    fi
    # Later TAP helpers must not write into the folder that is gone.
    LAB_TMP="" LAB_LOG=""
    LAB__CLEANING=
    trap 'exit 129' HUP
    trap 'exit 130' INT
    trap 'exit 143' TERM
}

lab__destroy_undefine() {
    lab_domain_destroy "$1" "$2" >>"$LAB_LOG" 2>&1
    lab_domain_undefine "$1" "$2" >>"$LAB_LOG" 2>&1
}

# QEMU processes outlive libvirtd and virsh; end the ones whose pid file our host wrote and that
# still run the guest it names (a recycled pid would not).
lab__kill_leftover_qemu() {
    local dir=$1 f name pid sig
    for f in "$dir"/run/qemu/*.pid; do
        [ -f "$f" ] || continue
        name=$(basename "$f" .pid)
        pid=$(cat "$f" 2>/dev/null)
        lab__alive "$pid" || continue
        tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "-name guest=$name," || continue
        for sig in TERM KILL; do
            kill -"$sig" "$pid" 2>/dev/null
            lab__wait_gone "$pid" 5 && break
        done
        diag "killed leftover QEMU $pid of domain $name"
    done
}

# ---------------------------------------------------------------- stacks

# The stack's root and tools.  A stack asked for by name and not available fails the test: a skip
# would pass a CI run that never ran the stack.
lab__stack_init() {
    case $LAB_STACK in
    bookworm) return 0 ;;
    trixie) ;;
    *) bail_out "LAB_STACK=$LAB_STACK: the lab's stacks are bookworm and trixie" ;;
    esac
    LAB_STACK_ROOT=$("$LAB_SRCDIR/tests/lab/stack-root" "$LAB_STACK") ||
        bail_out "no $LAB_STACK root (tests/lab/stack-root says why above)"
    lab__stack_tools "$LAB_TMP/stack-bin" || bail_out "cannot set up the $LAB_STACK image tools"
    PATH=$LAB_TMP/stack-bin:$PATH
    export PATH
}

# DIR: qemu-img and qemu-io of the stack's root, run by the root's own dynamic loader and
# libraries (no chroot: they name files by this machine's paths, like the tools they stand for).
lab__stack_tools() {
    local dir=$1 lib=$LAB_STACK_ROOT/usr/lib/x86_64-linux-gnu tool
    mkdir -p "$dir" || return 1
    for tool in qemu-img qemu-io; do
        [ -x "$LAB_STACK_ROOT/usr/bin/$tool" ] || return 1
        # QEMU_MODULE_DIR: this machine's block modules are another QEMU's.
        printf '#!/bin/sh\nQEMU_MODULE_DIR=%s/qemu exec %s/ld-linux-x86-64.so.2 --library-path %s %s "$@"\n' \
            "$lib" "$lib" "$lib" "$LAB_STACK_ROOT/usr/bin/$tool" >"$dir/$tool" &&
            chmod +x "$dir/$tool" || return 1
    done
}

lab_daemon_version() {
    lab_virsh "$1" version --daemon 2>/dev/null | sed -n 's/^Running against daemon: //p'
}

lab_daemon_at_least() {
    local v
    v=$(lab_daemon_version "$1")
    [ -n "$v" ] && [ "$(printf '%s\n%s\n' "$v" "$2" | sort -V | head -n1)" = "$2" ]
}

lab_stack_only() {
    [ "$LAB_STACK" = "$1" ] || skip_all "only on LAB_STACK=$1 (this is $LAB_STACK): $2"
}

lab_stack_host() {
    if [ "$LAB_STACK" = bookworm ]; then
        lab_embed "$1"
    else
        lab_daemon_start "$1"
    fi
}

# sh code for `unshare -m`: the root $R gets /proc, /sys and /dev, a private /tmp and /run, and
# the lab folder $L at its own path, with what a test mounted inside it (a small tmpfs to fill
# up).  Everything is mounted in the new namespace only: the root itself is never written to
# (when $L is not under /tmp, its mount point is made in the root).
# shellcheck disable=SC2016 # expanded by that shell
LAB__STACK_MOUNTS='mount --make-rprivate / &&
    mount --bind /proc "$R/proc" && mount --rbind /sys "$R/sys" && mount --rbind /dev "$R/dev" &&
    mount -t tmpfs -o mode=1777 lab-tmp "$R/tmp" && mount -t tmpfs -o mode=755 lab-run "$R/run" &&
    mkdir -p "$R/run/libvirt" "$R/run/lock" "$R$L" && mount --rbind "$L" "$R$L"'
LAB__STACK_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export LAB__STACK_PATH

lab_stack_run() {
    lab__need_tmp || return 1
    if [ -z "$LAB_STACK_ROOT" ]; then
        "$@"
        return
    fi
    # shellcheck disable=SC2016 # for the inner shell
    R=$LAB_STACK_ROOT L=$LAB_TMP unshare -m sh -c "$LAB__STACK_MOUNTS"' &&
        exec chroot "$R" env PATH="$LAB__STACK_PATH" "$@"' lab-stack-run "$@"
}

# ---------------------------------------------------------------- capabilities cache

lab__qemu_driver_module() {
    local f
    for f in "$LAB_STACK_ROOT"/usr/lib/*/libvirt/connection-driver/libvirt_driver_qemu.so \
        "$LAB_STACK_ROOT"/usr/lib*/libvirt/connection-driver/libvirt_driver_qemu.so; do
        [ -e "$f" ] && echo "$f" && return 0
    done
}

# libvirt revalidates a cached entry by the QEMU binary's ctime, its own version and the ctime of
# its binaries and modules (plus host details such as the kernel); stamp the same inputs so a
# stale shared cache is rebuilt instead of copied into every host and reprobed there.
lab__caps_stamp() {
    local f daemon=/usr/sbin/libvirtd
    if [ -n "$LAB_STACK_ROOT" ]; then
        # The versions the root was made with.
        cat "$LAB_STACK_ROOT/.virt-snaptree-stack"
    else
        libvirtd --version
        daemon=$(command -v libvirtd)
    fi
    uname -r
    for f in "$LAB_STACK_ROOT"/usr/bin/qemu-system-* "$LAB_STACK_ROOT$daemon" "$(lab__qemu_driver_module)"; do
        [ -e "$f" ] && stat -Lc '%n %Z %s' "$f"
    done
}

lab__caps_fresh() {
    [ -f "$LAB_CAPS_DIR/stamp" ] &&
        [ "$(cat "$LAB_CAPS_DIR/stamp")" = "$1" ] &&
        compgen -G "$LAB_CAPS_DIR/capabilities/*.xml" >/dev/null
}

lab_caps_warm() {
    local stamp
    lab__need_tmp || return 1
    mkdir -p "$LAB_CAPS_DIR" || return 1
    stamp=$(lab__caps_stamp)
    lab__caps_fresh "$stamp" && return 0
    (
        # Tests of one tree may run in parallel (make -j check): one warms, the others wait.
        flock -w 600 9 || exit 1
        lab__caps_fresh "$stamp" && exit 0
        t0=$(lab_now)
        d=$(mktemp -d "$LAB_TMP/warm.XXXXXX") || exit 1
        # A daemon probes every emulator when it starts: one start fills the cache.
        LAB__WARMING=1 lab_daemon_start "$d" >/dev/null || exit 1
        lab_daemon_stop "$d" || exit 1
        rm -rf "$LAB_CAPS_DIR/capabilities.new" "$LAB_CAPS_DIR/capabilities.old"
        cp -a "$d/cache/qemu/capabilities" "$LAB_CAPS_DIR/capabilities.new" || exit 1
        if [ -d "$LAB_CAPS_DIR/capabilities" ]; then
            mv "$LAB_CAPS_DIR/capabilities" "$LAB_CAPS_DIR/capabilities.old"
        fi
        mv "$LAB_CAPS_DIR/capabilities.new" "$LAB_CAPS_DIR/capabilities" &&
            printf '%s\n' "$stamp" >"$LAB_CAPS_DIR/stamp" || exit 1
        rm -rf "$LAB_CAPS_DIR/capabilities.old" "$d"
        lab__timing caps_warm "$(lab_elapsed "$t0")"
    ) 9>"$LAB_CAPS_DIR/lock"
}

# Copy the shared cache into a host's cache folder (DIR/cache for both kinds of host).
lab__caps_install() {
    local cachedir=$1
    [ -z "${LAB__WARMING:-}" ] || return 0
    lab_caps_warm || return 1
    mkdir -p "$cachedir/qemu" || return 1
    (
        flock -s -w 600 9 || exit 1
        cp -a "$LAB_CAPS_DIR/capabilities" "$cachedir/qemu/"
    ) 9>"$LAB_CAPS_DIR/lock"
}

# ---------------------------------------------------------------- hosts

lab__write_qemu_conf() {
    # QEMU runs as root so that no file in $LAB_TMP needs chown; "file" keeps virtlogd out of it.
    # remember_owner = 0: no trusted.libvirt.security.* xattrs on the images, so a domain killed
    # uncleanly (or an image shared by two lab hosts) does not leave ownership records that make
    # the next start refuse or warn.
    cat >"$1/qemu.conf" <<'EOF'
user = "root"
group = "root"
stdio_handler = "file"
remember_owner = 0
EOF
    # In a chroot QEMU cannot make its own mount namespace ("Failed disable mount propagation out
    # of the root filesystem"); the daemon's namespace keeps the machine's mounts apart already.
    [ -z "$LAB_STACK_ROOT" ] || echo 'namespaces = []' >>"$1/qemu.conf"
}

lab_embed() {
    local dir=$1
    # The embedded driver is the client's libvirt (this machine's) in the calling process,
    # whatever LAB_STACK says: it gets this machine's QEMU settings and capabilities.
    local LAB_STACK=bookworm LAB_STACK_ROOT="" LAB_CAPS_DIR=$LAB_CACHE_DIR/bookworm
    lab__need_tmp && lab__check_path "$dir" || return 1
    if [ "${#dir}" -gt 60 ]; then
        lab__err "embed root too long for QEMU's monitor socket path: $dir"
        return 1
    fi
    mkdir -p "$dir/etc" && lab__write_qemu_conf "$dir/etc" || return 1
    lab__caps_install "$dir/cache" || return 1
    lab__register embed "$dir" "qemu:///embed?root=$dir"
    echo "qemu:///embed?root=$dir"
}

lab_daemon_start() {
    local dir=$1 uri sock pid t0 waited sub
    lab__need_tmp && lab__check_path "$dir" || return 1
    sock=$dir/run/libvirt-sock
    if [ "${#sock}" -gt 100 ]; then
        lab__err "socket path too long: $sock"
        return 1
    fi
    for sub in etc run lib cache log; do
        mkdir -p "$dir/$sub" || return 1
    done
    lab__write_qemu_conf "$dir/etc" || return 1
    cat >"$dir/etc/libvirtd.conf" <<'EOF'
auth_unix_rw = "none"
auth_unix_ro = "none"
unix_sock_group = "root"
unix_sock_rw_perms = "0770"
listen_tls = 0
EOF
    # A host seen "from elsewhere": libvirtd on TCP at 127.0.0.1 (no TLS, no auth: a private lab).
    local listen=""
    if [ -n "${LAB_DAEMON_TCP_PORT:-}" ]; then
        printf 'listen_tcp = 1\nauth_tcp = "none"\ntcp_port = "%s"\nlisten_addr = "127.0.0.1"\n' \
            "$LAB_DAEMON_TCP_PORT" >>"$dir/etc/libvirtd.conf"
        listen=--listen
    else
        echo "listen_tcp = 0" >>"$dir/etc/libvirtd.conf"
    fi
    [ -z "${LAB_DAEMON_CONF:-}" ] || printf '%s\n' "$LAB_DAEMON_CONF" >>"$dir/etc/libvirtd.conf"
    lab__caps_install "$dir/cache" || return 1
    uri="qemu+unix:///system?socket=$sock"
    t0=$(lab_now)
    # Every step is chained with &&: libvirtd must never start with the machine's own folders.
    # The pid of the background job is libvirtd's own (unshare, sh and chroot exec), which lets
    # the lab signal it (SIGSTOP tests) and stop it without looking it up by name.  Another
    # stack's libvirtd gets the same folders bound over its root's ($R), and runs chrooted.
    local mounts=: run=libvirtd
    if [ -n "$LAB_STACK_ROOT" ]; then
        mounts=$LAB__STACK_MOUNTS
        # Not the test's PATH: its qemu-img (libvirt runs one for internal snapshots of shut-off
        # domains) works outside the root only.
        # shellcheck disable=SC2016 # for the inner shell
        run='chroot "$R" env PATH="$LAB__STACK_PATH" /usr/sbin/libvirtd'
    fi
    # shellcheck disable=SC2016 # $1, $2 and $R are for the inner shell
    (cd / && R=$LAB_STACK_ROOT L=$LAB_TMP exec unshare -m sh -c "$mounts"' &&
        mount --make-rprivate / &&
        mount --bind "$1/etc" "$R/etc/libvirt" &&
        mount --bind "$1/run" "$R/run/libvirt" &&
        mount --bind "$1/lib" "$R/var/lib/libvirt" &&
        mount --bind "$1/cache" "$R/var/cache/libvirt" &&
        mount --bind "$1/log" "$R/var/log/libvirt" &&
        exec '"$run"' --pid-file "$1/run/libvirtd.pid" $2' lab-libvirtd "$dir" "$listen") \
        </dev/null >"$dir/libvirtd.log" 2>&1 &
    pid=$!
    echo "$pid" >"$dir/lab-daemon.pid"
    lab__register daemon "$dir" "$uri"
    # The first answer comes after QEMU probing: seconds when the cache is cold.
    until LAB_VIRSH_TIMEOUT=10 lab_virsh "$uri" version >/dev/null 2>&1; do
        if ! lab__alive "$pid"; then
            lab__err "libvirtd exited while starting; its log:"
            tail -n 20 "$dir/libvirtd.log" >&2
            return 1
        fi
        waited=$(lab_elapsed "$t0")
        if [ "${waited%.*}" -ge "$LAB_DAEMON_TIMEOUT" ]; then
            lab__err "libvirtd did not answer within ${LAB_DAEMON_TIMEOUT}s"
            lab_daemon_stop "$dir"
            return 1
        fi
        sleep 0.05
    done
    lab__timing daemon_start "$(lab_elapsed "$t0")"
    echo "$uri"
}

lab_daemon_pid() {
    local dir pid
    dir=$(lab_host_dir "$1") || return 1
    pid=$(cat "$dir/lab-daemon.pid" 2>/dev/null)
    lab__alive "$pid" || {
        lab__err "no libvirtd running for $1"
        return 1
    }
    echo "$pid"
}

lab_daemon_stop() {
    local dir pid sig
    dir=$(lab_host_dir "$1") || return 1
    pid=$(cat "$dir/lab-daemon.pid" 2>/dev/null)
    lab__alive "$pid" || return 0
    # A stopped process only acts on SIGTERM once continued.
    kill -CONT "$pid" 2>/dev/null
    for sig in TERM KILL; do
        kill -"$sig" "$pid" 2>/dev/null
        lab__wait_gone "$pid" 15 && return 0
    done
    lab__err "libvirtd $pid did not end"
    return 1
}

lab_daemon_kill() {
    local dir pid
    dir=$(lab_host_dir "$1") || return 1
    pid=$(lab_daemon_pid "$dir") || return 1
    kill -KILL "$pid" 2>/dev/null
    lab__wait_gone "$pid" 15 || {
        lab__err "libvirtd $pid did not end"
        return 1
    }
}

lab_daemon_restart() {
    local dir
    dir=$(lab_host_dir "$1") || return 1
    if lab_daemon_pid "$dir" >/dev/null 2>&1; then
        lab__err "libvirtd of $dir still runs"
        return 1
    fi
    lab_daemon_start "$dir"
}

# ---------------------------------------------------------------- domains

lab_domain_define() {
    local uri=$1 name=$2 state=shutoff spec tgt file fmt xml out disks=""
    shift 2
    lab__need_tmp && lab__check_name "$name" || return 1
    while [ $# -gt 0 ]; do
        case $1 in
        --disk)
            spec=$2
            shift
            tgt=${spec%%=*}
            file=${spec#*=}
            fmt=qcow2
            case $file in
            *:qcow2 | *:raw)
                fmt=${file##*:}
                file=${file%:*}
                ;;
            esac
            case $tgt in
            vd[a-z] | vd[a-z][a-z]) ;;
            *)
                lab__err "only virtio targets (vdX): $tgt"
                return 1
                ;;
            esac
            case $file in /*) ;; *) file=$PWD/$file ;; esac
            disks+="    <disk type='file' device='disk'>
      <driver name='qemu' type='$fmt'/>
      <source file='$(lab__xml_escape "$file")'/>
      <target dev='$tgt' bus='virtio'/>
    </disk>
"
            ;;
        --running) state=running ;;
        --shutoff) state=shutoff ;;
        *)
            lab__err "lab_domain_define: unknown option $1"
            return 1
            ;;
        esac
        shift
    done
    mkdir -p "$LAB_TMP/xml" || return 1
    xml=$(mktemp "$LAB_TMP/xml/$name.XXXXXX") || return 1
    # No graphics at all (type='none' is invalid), no USB and no balloon: less to start and stop.
    cat >"$xml" <<EOF
<domain type='qemu'>
  <name>$name</name>
  <memory unit='MiB'>64</memory>
  <vcpu>1</vcpu>
  <os>
    <type arch='x86_64' machine='pc'>hvm</type>
  </os>
  <devices>
$disks    <controller type='usb' model='none'/>
    <memballoon model='none'/>
    <serial type='pty'/>
    <console type='pty'/>
  </devices>
</domain>
EOF
    out=$(lab_virsh "$uri" define "$xml" 2>&1)
    # A crash of virsh at exit leaves the status unreliable: ask libvirt instead.
    lab__virsh_q "$uri" dominfo "$name" >/dev/null || {
        lab__err "could not define $name from $xml: $out"
        return 1
    }
    [ "$state" = shutoff ] || lab_domain_start "$uri" "$name"
}

lab_domain_agent_channel() {
    local xml=$LAB_TMP/xml/$2-agent.xml
    lab__virsh_q "$1" dumpxml "$2" --inactive |
        sed "s|</devices>|<channel type='unix'><target type='virtio' name='org.qemu.guest_agent.0'/></channel></devices>|" \
            >"$xml" || return 1
    lab_virsh "$1" define "$xml" >>"${LAB_LOG:-/dev/null}" 2>&1
    lab__virsh_q "$1" dumpxml "$2" --inactive | grep -q "name='org.qemu.guest_agent.0'"
}

lab_domain_state() {
    local out
    out=$(lab__virsh_q "$1" domstate "$2") || return 1
    printf '%s\n' "${out%%$'\n'*}"
}

# Poll until NAME's state is STATE, up to SECONDS.
lab__wait_state() {
    local uri=$1 name=$2 want=$3 t0
    t0=$(lab_now)
    while [ "$(lab_domain_state "$uri" "$name")" != "$want" ]; do
        awk -v e="$(lab_elapsed "$t0")" -v m="$4" 'BEGIN { exit !(e < m) }' || return 1
        sleep 0.1
    done
}

lab_domain_start() {
    local t0 rc out
    t0=$(lab_now)
    out=$(lab_virsh "$1" start "$2" 2>&1)
    rc=$?
    # A failed start is final; a crash of virsh at exit (rc >= 128) may have started it.
    if [ "$rc" -ne 0 ] && [ "$rc" -lt 128 ]; then
        lab__err "virsh start $2 failed: $out"
        lab__err "the end of its QEMU log:"
        tail -n 5 "$(lab_domain_log "$1" "$2")" >&2
        return 1
    fi
    lab__wait_state "$1" "$2" running 30 || {
        lab__err "$2 did not start; its log:"
        tail -n 5 "$(lab_domain_log "$1" "$2")" >&2
        return 1
    }
    lab__timing domain_start "$(lab_elapsed "$t0")"
}

lab_domain_destroy() {
    local uri=$1 name=$2 n=20 state
    while state=$(lab_domain_state "$uri" "$name") && [ "$state" != "shut off" ]; do
        [ "$n" -gt 0 ] || {
            lab__err "$name does not stop"
            return 1
        }
        n=$((n - 1))
        # After an embedded root is reopened, libvirt reconnects to each QEMU in a thread that
        # holds a domain job; destroy kills QEMU first and then fails with "domain is not
        # running" when that job ends.  domstats --block waits for the job (domstate does not),
        # so the destroy that follows in the same process acts on a settled domain.
        lab_virsh "$uri" "domstats --block $name; destroy $name" >>"${LAB_LOG:-/dev/null}" 2>&1
    done
    [ "$state" = "shut off" ]
}

lab_domain_undefine() {
    lab_virsh "$1" undefine "$2" --snapshots-metadata --checkpoints-metadata \
        >>"${LAB_LOG:-/dev/null}" 2>&1
    ! lab_virsh "$1" dominfo "$2" >/dev/null 2>&1
}

lab_domain_pid() {
    local dir pid
    dir=$(lab_host_dir "$1") || return 1
    pid=$(cat "$dir/run/qemu/$2.pid" 2>/dev/null)
    lab__alive "$pid" || return 1
    echo "$pid"
}

lab_domain_log() {
    local dir
    dir=$(lab_host_dir "$1") || return 1
    # The daemon's /var/log/libvirt is DIR/log; an embedded root logs under ROOT/log.
    echo "$dir/log/qemu/$2.log"
}

lab_disk_source() {
    lab__virsh_q "$1" domblklist "$2" | awk -v t="$3" '$1 == t { print $2; f = 1 } END { exit !f }'
}

# QEMU 7.2 under libvirt 9.0 uses -blockdev: the qdev id (virtio-disk0) names the virtio-blk-pci
# proxy, which has no block backend ("Device does not have a block device backend"); the
# backend hangs off its virtio-backend child.  libvirt names it virtio-disk<N>, N the index of
# the target name (vda 0, vdb 1); take it from the live XML rather than guess.
lab_disk_qom() {
    local alias
    alias=$(lab__virsh_q "$1" dumpxml "$2" | awk -v t="$3" '
        /<disk / { d = 1; tg = ""; al = "" }
        d && /<target / { if (match($0, /dev=.[^"'\'']*/)) tg = substr($0, RSTART + 5, RLENGTH - 5) }
        d && /<alias / { if (match($0, /name=.[^"'\'']*/)) al = substr($0, RSTART + 6, RLENGTH - 6) }
        /<\/disk>/ { if (d && tg == t && al != "") print al; d = 0 }')
    if [ -z "$alias" ]; then
        lab__err "no disk $3 with an alias in the live XML of $2 (is it running?)"
        return 1
    fi
    echo "/machine/peripheral/$alias/virtio-backend"
}

lab_snapshot_external() {
    local uri=$1 dom=$2 snap=$3 tgt=$4 file=$5 out
    # Exactly the article's command line.
    out=$(lab_virsh "$uri" snapshot-create-as --domain "$dom" --name "$snap" --disk-only \
        --diskspec "$tgt,snapshot=external,file=$file" --atomic 2>&1)
    # Check the effect rather than the status (see lab__virsh_q).
    [ "$(lab_disk_source "$uri" "$dom" "$tgt")" = "$file" ] || {
        lab__err "snapshot $snap of $dom: $tgt is not on $file: $out"
        return 1
    }
    lab__virsh_q "$uri" snapshot-info "$dom" "$snap" >/dev/null
}

lab_snapshot_tree() {
    lab__virsh_q "$1" snapshot-list "$2" --tree | sed -e 's/[[:space:]]*$//' | sed -e '/^$/d'
}

# ---------------------------------------------------------------- images

lab__img_json() {
    qemu-img info -U --output=json "$@"
}

lab_image_format() {
    lab__img_json "$1" | jq -r '.format'
}

lab_image_backing() {
    lab__img_json "$1" | jq -r '."backing-filename" // ""'
}

lab_image_chain() {
    lab__img_json --backing-chain "$(realpath "$1")" | jq -r '.[].filename'
}

lab_image_depth() {
    lab__img_json --backing-chain "$1" | jq 'length'
}

lab_image_depth_at() {
    local off
    off=$(lab__bytes "$2") || return 1
    qemu-img map -U --output=json "$1" | jq -r --argjson o "$off" '
        [.[] | select(.start <= $o and $o < .start + .length)][0]
        | if . == null or .data != true then "-" else .depth end'
}

lab_chain() {
    local abs="" size=64M patterns="" from="" dir prev idx name f backing fmt
    while [ $# -gt 0 ]; do
        case $1 in
        --absolute) abs=1 ;;
        --size)
            size=$2
            shift
            ;;
        --patterns) patterns=1 ;;
        --from)
            from=$2
            shift
            ;;
        --*)
            lab__err "lab_chain: unknown option $1"
            return 1
            ;;
        *) break ;;
        esac
        shift
    done
    dir=$1
    shift
    lab__check_path "$dir" && mkdir -p "$dir" || return 1
    prev="" idx=0
    if [ -n "$from" ]; then
        prev=$(realpath "$from") || return 1
        idx=$(lab_image_depth "$prev") || return 1
    fi
    for name in "$@"; do
        f=$dir/$name
        if [ -e "$f" ]; then
            lab__err "refusing to overwrite $f"
            return 1
        fi
        if [ -z "$prev" ]; then
            qemu-img create -q -f qcow2 "$f" "$size" || return 1
        else
            fmt=$(lab_image_format "$prev") || return 1
            if [ -n "$abs" ]; then
                backing=$prev
            else
                # qemu resolves a relative backing name against the overlay's folder.
                backing=$(realpath -s --relative-to="$dir" "$prev") || return 1
            fi
            qemu-img create -q -f qcow2 -b "$backing" -F "$fmt" "$f" || return 1
        fi
        if [ -n "$patterns" ]; then
            lab_pattern_layer "$f" "$idx" || return 1
        fi
        prev=$f
        idx=$((idx + 1))
    done
}

# ---------------------------------------------------------------- qemu-io

# Parse TARGET: sets LAB__T (file or dom), LAB__T_FILE / LAB__T_URI LAB__T_DOM LAB__T_DISK and
# LAB__T_N, the number of arguments it took.
lab__target() {
    if [ "$1" = -d ]; then
        LAB__T=dom LAB__T_URI=$2 LAB__T_DOM=$3 LAB__T_DISK=$4 LAB__T_N=4
        lab__check_name "$3" || return 1
    else
        LAB__T=file LAB__T_FILE=$1 LAB__T_N=1
        [ -e "$1" ] || {
            lab__err "no such image: $1"
            return 1
        }
        LAB__T_FMT=$(lab_image_format "$1") || return 1
    fi
}

# One line per finished qemu-io read or write.
LAB__IO_DONE='^((read|wrote) [0-9]+/[0-9]+ bytes at offset|(read|write) failed)'

# MODE (rw or ro) then qemu-io commands; prints qemu-io's output.  For a domain the output is
# in QEMU's stdout, which is the domain's log file: HMP qemu-io prints nothing to the monitor.
lab__qemu_io() {
    local mode=$1 c log size vcmd="" out want n
    shift
    if [ "$LAB__T" = file ]; then
        local args=()
        for c in "$@"; do args+=(-c "$c"); done
        if [ "$mode" = ro ]; then
            qemu-io -r -U -f "$LAB__T_FMT" "${args[@]}" "$LAB__T_FILE" 2>&1
        else
            qemu-io -f "$LAB__T_FMT" "${args[@]}" "$LAB__T_FILE" 2>&1
        fi
        return
    fi
    local qom
    qom=$(lab_disk_qom "$LAB__T_URI" "$LAB__T_DOM" "$LAB__T_DISK") || return 1
    log=$(lab_domain_log "$LAB__T_URI" "$LAB__T_DOM") || return 1
    size=$(stat -c %s "$log" 2>/dev/null || echo 0)
    for c in "$@"; do
        vcmd+="qemu-monitor-command $LAB__T_DOM --hmp 'qemu-io -d $qom \"$c\"'; "
    done
    out=$(lab_virsh "$LAB__T_URI" "$vcmd" 2>&1)
    # Each command answers with an empty line; anything else is an error from HMP or virsh.
    if [ -n "$(printf '%s' "$out" | tr -d '[:space:]')" ]; then
        lab__err "HMP qemu-io on $LAB__T_DOM $LAB__T_DISK: $(grep -m 1 . <<<"$out")"
        return 1
    fi
    # Output normally lands before the monitor replies; allow a moment for buffering anyway.
    want=$# n=50
    while :; do
        out=$(tail -c +"$((size + 1))" "$log")
        [ "$(grep -cE "$LAB__IO_DONE" <<<"$out")" -lt "$want" ] || break
        n=$((n - 1))
        [ "$n" -gt 0 ] || break
        sleep 0.1
    done
    printf '%s\n' "$out"
}

lab_io_write() {
    local cmds=() out n b o l
    lab__target "$@" || return 1
    shift "$LAB__T_N"
    while [ $# -ge 3 ]; do
        b=$(lab__hexbyte "$1") && o=$(lab__bytes "$2") && l=$(lab__bytes "$3") || return 1
        cmds+=("write -P $b $o $l")
        shift 3
    done
    out=$(lab__qemu_io rw "${cmds[@]}") || {
        printf '%s\n' "$out" >&2
        return 1
    }
    n=$(grep -cE '^wrote [0-9]+/[0-9]+ bytes' <<<"$out")
    if [ "$n" -ne "${#cmds[@]}" ] || grep -q 'failed' <<<"$out"; then
        lab__err "qemu-io writes: $n of ${#cmds[@]} done"
        printf '%s\n' "$out" >&2
        return 1
    fi
}

lab_io_verify() {
    local cmds=() exp=() out n bad off b o l i dump
    lab__target "$@" || return 1
    shift "$LAB__T_N"
    while [ $# -ge 3 ]; do
        b=$(lab__hexbyte "$1") && o=$(lab__bytes "$2") && l=$(lab__bytes "$3") || return 1
        cmds+=("read -P $b $o $l")
        exp+=("$b $o $l")
        shift 3
    done
    # qemu-io exits non-zero when a pattern does not match: judge by its output.
    out=$(lab__qemu_io ro "${cmds[@]}")
    n=$(grep -cE '^read [0-9]+/[0-9]+ bytes' <<<"$out")
    bad=$(grep -E '^Pattern verification failed at offset' <<<"$out")
    if [ "$n" -eq "${#cmds[@]}" ] && [ -z "$bad" ] && ! grep -q 'failed' <<<"$out"; then
        return 0
    fi
    if [ "$n" -ne "${#cmds[@]}" ]; then
        echo "qemu-io: $n of ${#cmds[@]} reads done"
        grep -v -E "$LAB__IO_DONE"'|^[0-9.]+ [KMG]?i?B, ' <<<"$out" | head -n 5
    fi
    grep 'failed' <<<"$out" | grep -v '^Pattern verification' | head -n 5
    # Expected vs got for each region that failed, from a hex dump of the region.
    while read -r _ _ _ _ _ off _; do
        off=${off%,}
        for i in "${!exp[@]}"; do
            read -r b o l <<<"${exp[$i]}"
            [ "$o" = "$off" ] || continue
            dump=$(lab__qemu_io ro "read -v $o $l" | lab__first_diff "$b")
            echo "region [$o, +$l) should be all $b: $dump"
        done
    done <<<"$bad"
    return 1
}

# stdin: a qemu-io "read -v" dump; prints where it first differs from the byte 0xNN.
lab__first_diff() {
    awk -v want="${1#0x}" '
        function hex(s,   i, v) {
            v = 0
            for (i = 1; i <= length(s); i++)
                v = v * 16 + index("0123456789abcdef", substr(s, i, 1)) - 1
            return v
        }
        /^[0-9a-f]+:/ {
            a = hex(substr($1, 1, length($1) - 1))
            for (i = 2; i <= 17 && $i ~ /^[0-9a-f][0-9a-f]$/; i++)
                if ($i != want) {
                    if (!bad) { first = a + i - 2; got = $i }
                    bad++
                }
        }
        END {
            if (bad)
                printf "got 0x%s at offset %d, the first of %d differing bytes\n", got, first, bad
            else
                print "no differing byte in the dump"
        }'
}

# ---------------------------------------------------------------- patterns

# EXTRA (BYTE:OFF:LEN) -> "BYTE OFF LEN".
lab__extra() {
    local b o l
    IFS=: read -r b o l <<<"$1"
    [ -n "$l" ] || {
        lab__err "bad extra region '$1' (want BYTE:OFF:LEN)"
        return 1
    }
    echo "$(lab__hexbyte "$b") $(lab__bytes "$o") $(lab__bytes "$l")"
}

# Layer I's writes, "BYTE OFF LEN" lines.
lab__pattern_writes() {
    local i=$1
    echo "$(lab__hexbyte $((0x10 + i))) $((i * LAB_MIB)) $LAB_PAT_OWN_LEN"
    echo "$(lab__hexbyte $((0x80 + i))) $((LAB_PAT_SHARED_OFF + i * LAB_PAT_STEP)) $LAB_PAT_SHARED_LEN"
}

lab__check_layers() {
    case $1 in '' | *[!0-9]*) lab__err "not a layer count: $1" && return 1 ;; esac
    if [ "$1" -ge "$LAB_PAT_MAX_LAYERS" ] || [ "$1" -lt "$2" ]; then
        lab__err "layer number $1 out of range"
        return 1
    fi
}

lab_pattern_expect() {
    local n=$1 i top e
    lab__check_layers "$n" 1 || return 1
    shift
    for ((i = 0; i < n; i++)); do
        echo "$(lab__hexbyte $((0x10 + i))) $((i * LAB_MIB)) $LAB_PAT_OWN_LEN"
        echo "0x00 $((i * LAB_MIB + LAB_PAT_OWN_LEN)) $LAB_PAT_GAP_LEN"
    done
    for ((i = 0; i < n - 1; i++)); do
        echo "$(lab__hexbyte $((0x80 + i))) $((LAB_PAT_SHARED_OFF + i * LAB_PAT_STEP)) $LAB_PAT_STEP"
    done
    top=$((LAB_PAT_SHARED_OFF + (n - 1) * LAB_PAT_STEP))
    echo "$(lab__hexbyte $((0x80 + n - 1))) $top $LAB_PAT_SHARED_LEN"
    echo "0x00 $((top + LAB_PAT_SHARED_LEN)) $LAB_PAT_GAP_LEN"
    echo "0x00 $LAB_PAT_ZERO_OFF $LAB_PAT_ZERO_LEN"
    for e in "$@"; do
        lab__extra "$e" || return 1
    done
}

lab_pattern_layer() {
    local tgt=() i e w
    lab__target "$@" || return 1
    tgt=("${@:1:$LAB__T_N}")
    shift "$LAB__T_N"
    i=$1
    shift
    lab__check_layers "$i" 0 || return 1
    w=$(lab__pattern_writes "$i") || return 1
    for e in "$@"; do
        w+=$'\n'$(lab__extra "$e") || return 1
    done
    # shellcheck disable=SC2086 # w is a list of numbers
    lab_io_write "${tgt[@]}" $w
}

# A one-layer image with the visible content an N-layer chain must have (made once per test).
lab__pattern_reference() {
    local n=$1 ref i w="" e
    shift
    ref=$LAB_TMP/ref/ref-$n$(printf '%s' "$*" | tr -c '0-9A-Za-z' _).qcow2
    if [ -f "$ref" ]; then
        echo "$ref"
        return 0
    fi
    mkdir -p "$LAB_TMP/ref" || return 1
    qemu-img create -q -f qcow2 "$ref.new" 64M || return 1
    for ((i = 0; i < n; i++)); do
        w+=$(lab__pattern_writes "$i")$'\n'
    done
    for e in "$@"; do
        w+=$(lab__extra "$e")$'\n' || return 1
    done
    # shellcheck disable=SC2086 # w is a list of numbers
    lab_io_write "$ref.new" $w >/dev/null && mv "$ref.new" "$ref" || return 1
    echo "$ref"
}

lab_pattern_verify() {
    local tgt=() n map ref out rc=0
    lab__target "$@" || return 1
    tgt=("${@:1:$LAB__T_N}")
    shift "$LAB__T_N"
    n=$1
    shift
    map=$(lab_pattern_expect "$n" "$@") || return 1
    # shellcheck disable=SC2086 # map is a list of numbers
    lab_io_verify "${tgt[@]}" $map || rc=1
    if [ "$LAB__T" = file ]; then
        # The regions above are what tests reason about; this catches a stray write anywhere.
        ref=$(lab__pattern_reference "$n" "$@") || return 1
        out=$(qemu-img compare -U -f qcow2 -F "$LAB__T_FMT" "$ref" "${tgt[0]}" 2>&1) || {
            echo "qemu-img compare with the expected content: $out"
            rc=1
        }
    fi
    return "$rc"
}

lab_pattern_placement() {
    local file=$1 n=$2 got want
    lab__check_layers "$n" 1 || return 1
    # One map of the whole chain; for each own region (at i MiB) the depth of its extent.
    got=$(qemu-img map -U --output=json "$file" | jq -r --argjson n "$n" --argjson m "$LAB_MIB" '
        . as $map | range($n) | . as $i
        | [$map[] | select(.start <= $i * $m and $i * $m < .start + .length)][0]
        | if . == null or .data != true then "-" else .depth end') || return 1
    want=$(for ((i = n - 1; i >= 0; i--)); do echo "$i"; done)
    [ "$got" = "$want" ] && return 0
    echo "depth of each layer's own region, layer 0 first: expected ${want//$'\n'/ }, got ${got//$'\n'/ }"
    return 1
}

# ---------------------------------------------------------------- scenarios

# URI DIR MODE SNAP...: the article's way of growing test2's chain.
lab__article_build() {
    local uri=$1 dir=$2 mode=${3:-running} snap idx
    shift 3
    case $mode in
    running | shutoff) ;;
    *)
        lab__err "mode must be running or shutoff: $mode"
        return 1
        ;;
    esac
    lab__check_path "$dir" || return 1
    lab_chain --patterns "$dir" centos.qcow2 || return 1
    lab_chain --from "$dir/centos.qcow2" "$dir" test2.qcow2 || return 1
    lab_domain_define "$uri" test2 --disk "vda=$dir/test2.qcow2" "--$mode" || return 1
    idx=1
    lab__article_write "$uri" "$dir/test2.qcow2" "$mode" "$idx" || return 1
    for snap in "$@"; do
        lab_snapshot_external "$uri" test2 "$snap" vda "$dir/test2_$snap.qcow2" || return 1
        idx=$((idx + 1))
        lab__article_write "$uri" "$dir/test2_$snap.qcow2" "$mode" "$idx" || return 1
    done
}

# Pattern I into the active layer FILE of test2: through QEMU when it runs.
lab__article_write() {
    if [ "$3" = running ]; then
        lab_pattern_layer -d "$1" test2 vda "$4"
    else
        lab_pattern_layer "$2" "$4"
    fi
}

lab_article_chain() {
    lab__article_build "$1" "$2" "${3:-running}" "${LAB_ARTICLE_SNAPS[@]}"
}

lab_article_pull_chain() {
    lab__article_build "$1" "$2" "${3:-running}" "${LAB_ARTICLE_PULL_SNAPS[@]}"
}

lab_shared_base() {
    local uri=$1 dir=$2 mode=${3:-running} vm n=0
    lab__check_path "$dir" || return 1
    lab_chain --patterns "$dir" golden.qcow2 || return 1
    for vm in vm1 vm2; do
        n=$((n + 1))
        lab_chain --from "$dir/golden.qcow2" "$dir" "$vm.qcow2" || return 1
        lab_domain_define "$uri" "$vm" --disk "vda=$dir/$vm.qcow2" "--$mode" || return 1
        if [ "$mode" = running ]; then
            lab_pattern_layer -d "$uri" "$vm" vda 1 "0xc$n:56M:64K" || return 1
        else
            lab_pattern_layer "$dir/$vm.qcow2" 1 "0xc$n:56M:64K" || return 1
        fi
    done
}
