#!/bin/bash
# tests/lab/demo-test.sh: `virt-snaptree --demo --list` builds the demo lab in a private
# XDG_CACHE_HOME and lists what src/demo/demo.c promises (domains, chains in order, the shared golden
# image, snapshots); a second run reuses the lab instead of rebuilding it; the program says on
# exit that the demo's domains keep running, and --demo-stop stops them. Afterwards the lab's
# running domains (if any are left) are destroyed with virsh, one process at a time (only one process may hold an
# embed root, and the program has exited by then), and the folder is removed, also on failure.
#
# TAP on stdout; diagnostics as "# " lines. Self-contained: needs bash, awk, sed, coreutils,
# virsh, qemu-img, qemu-io and qemu-system-x86_64. DEMO_TEST_KEEP=1 keeps the folder (its QEMU
# processes are still stopped) for a look after a failure.
set -u
# The demo is an embedded driver inside the program: this machine's libvirt 9.0 and QEMU 7.2,
# whatever stack tests/lab/lab.sh's LAB_STACK names.
if [ "${LAB_STACK:-bookworm}" != bookworm ]; then
    echo "1..0 # SKIP only on LAB_STACK=bookworm (this is $LAB_STACK): the demo runs inside the program, on this machine's libvirt 9.0 and QEMU 7.2"
    exit 0
fi

top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
prog=$top_builddir/ui/virt-snaptree

# ---- TAP ----

n_tests=0
n_failed=0
plan() { echo "1..$1"; }
diag() {
    local m
    for m in "$@"; do printf '%s\n' "$m" | sed 's/^/# /'; done
}
result() { # result STATUS DESC
    n_tests=$((n_tests + 1))
    if [ "$1" = 0 ]; then
        echo "ok $n_tests - $2"
    else
        n_failed=$((n_failed + 1))
        echo "not ok $n_tests - $2"
    fi
}
is() { # is GOT EXPECTED DESC
    if [ "$1" = "$2" ]; then
        result 0 "$3"
    else
        result 1 "$3"
        diag "expected:" "$2" "got:" "$1"
    fi
}
like() { # like GOT ERE DESC: some line of GOT matches ERE
    if printf '%s\n' "$1" | grep -Eq -- "$2"; then
        result 0 "$3"
    else
        result 1 "$3"
        diag "no line matches: $2" "in:" "$1"
    fi
}
skip_all() {
    echo "1..0 # SKIP $1"
    exit 0
}
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.3f", b - a }'; }

# ---- requirements ----

[ -x "$prog" ] || skip_all "$prog is not built"
for tool in virsh qemu-img qemu-io qemu-system-x86_64; do
    command -v "$tool" >/dev/null 2>&1 || skip_all "$tool is not installed"
done
locale -a 2>/dev/null | grep -Eqi '^c\.utf-?8$' || skip_all "no C.UTF-8 locale"

# A short folder: QEMU's monitor socket lives under it and UNIX socket paths are short.
tmp=$(mktemp -d /tmp/vst-demo.XXXXXX) || skip_all "cannot make a temporary folder"
demo=$tmp/virt-snaptree/demo
images=$demo/images
uri="qemu:///embed?root=$demo"

# The lab's QEMU processes, from the pid files libvirt keeps beside the driver.
lab_qemu_pids() {
    local f
    for f in "$demo"/run/qemu/*.pid; do
        [ -f "$f" ] || continue
        [ "$(basename "$f")" = driver.pid ] && continue
        cat "$f"
        echo
    done
}
alive() { # a zombie is as good as gone: its reaping is the init system's business
    [ -d "/proc/$1" ] && [ "$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null)" != Z ]
}

# Destroys the running domains, one virsh at a time, and removes the folder. Returns 1 when a
# QEMU outlived its destroy (it is then killed by pid: it is this test's own lab).
cleaned=
cleanup() {
    [ -n "$cleaned" ] && return 0
    cleaned=1
    local pids pid f name status=0 i
    pids=$(lab_qemu_pids)
    for f in "$demo"/run/qemu/*.pid; do
        [ -f "$f" ] || continue
        name=$(basename "$f" .pid)
        [ "$name" = driver ] && continue
        # Right after a reopen the state can be stale and destroy can report "not running" for a
        # QEMU it just stopped: judge by the process, not by virsh's status.
        LIBVIRT_LOG_OUTPUTS="4:file:$tmp/virsh.log" virsh -q -c "$uri" destroy "$name" \
            >>"$tmp/virsh.out" 2>&1
    done
    for pid in $pids; do
        for ((i = 0; i < 150; i++)); do
            alive "$pid" || break
            sleep 0.1
        done
        if alive "$pid"; then
            diag "QEMU $pid survived virsh destroy; killing it"
            kill -9 "$pid" 2>/dev/null
            status=1
        fi
    done
    if [ -n "${DEMO_TEST_KEEP:-}" ]; then diag "kept $tmp"; else rm -rf "$tmp"; fi
    return $status
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

# ---- the listing, normalised ----

# Turns --list text into tab-separated records, one per line:
#   D name state | K dom target rest | L dom target index path rest | S dom indent name rest
# Guides are made ASCII first, so that depth is a count of 3-character columns.
normalise() {
    sed -e 's/├─ /|- /g' -e 's/└─ /`- /g' -e 's/│  /|  /g' -e 's/• /* /g' | awk '
    BEGIN { OFS = "\t" }
    NR == 1 { next }
    match($0, /^[| ]*\* /) {
        n = split(substr($0, RLENGTH + 1), f, "  ")
        rest = substr($0, RLENGTH + 1 + length(f[1]) + 2)
        print "S", dom, RLENGTH, f[1], rest
        next
    }
    match($0, /^[| ]*[|`]- /) {
        depth = (RLENGTH - 3) / 3
        c = substr($0, RLENGTH + 1)
        n = split(c, f, "  ")
        if (depth == 0) {
            dom = f[1]
            print "D", dom, f[2]
        } else if (depth == 1 && c !~ /^[0-9]+ snapshots?/) {
            disk = f[1]
            print "K", dom, disk, substr(c, length(f[1]) + 3)
        } else if (depth == 2 && c ~ /^\[[0-9]+\] /) {
            i = substr(c, 2, index(c, "]") - 2)
            p = substr(f[1], index(f[1], "] ") + 2)
            print "L", dom, disk, i, p, substr(c, length(f[1]) + 3)
        }
    }'
}

# The chain of DOM's disk TARGET, top first, one path per line.
chain() { awk -F '\t' -v d="$2" -v t="$3" '$1 == "L" && $2 == d && $3 == t { print $5 }' "$1"; }
# A layer's record (rest of the line) by path.
layer() { awk -F '\t' -v d="$2" -v p="$3" '$1 == "L" && $2 == d && $5 == p { print $6 }' "$1"; }
# Snapshots of DOM: "indent name rest", in listed order.
snaps() { awk -F '\t' -v d="$2" '$1 == "S" && $2 == d { print $3 "\t" $4 "\t" $5 }' "$1"; }

# Snapshot names in order, and whether each one is nested deeper than the one before.
snap_shape() {
    snaps "$1" "$2" | awk -F '\t' '{ printf "%s%s", (NR > 1 ? ($1 > prev ? " > " : " , ") : ""), $2; prev = $1 } END { print "" }'
}

run_demo() { # run_demo N: stdout in out.N, stderr in err.N, normalised in norm.N; sets rc, secs
    local t0
    t0=$(now)
    env -u LIBVIRT_LOG_OUTPUTS -u LANGUAGE LC_ALL=C.UTF-8 XDG_CACHE_HOME="$tmp" \
        "$prog" --demo --list >"$tmp/out.$1" 2>"$tmp/err.$1"
    rc=$?
    secs=$(elapsed "$t0")
    normalise <"$tmp/out.$1" >"$tmp/norm.$1"
}

inode_list() { (cd "$images" && stat -c '%i %n' -- * 2>/dev/null | sort); }

plan 30

# ---- first run: build ----

# The interface without a terminal is refused before the demo builds or starts anything.
env -u LIBVIRT_LOG_OUTPUTS XDG_CACHE_HOME="$tmp" "$prog" --demo </dev/null >"$tmp/out.0" 2>"$tmp/err.0"
is "$?" 2 "--demo without a terminal is refused (exit 2)"
is "$(ls -A "$tmp" | tr '\n' ' ')" "err.0 out.0 " "and nothing was built or started first"
run_demo 1
rc_1=$rc t_1=$secs
is "$rc_1" 0 "first --demo --list exits 0"
[ "$rc_1" = 0 ] || diag "stderr:" "$(cat "$tmp/err.1")" "demo.log tail:" "$(tail -20 "$demo/demo.log" 2>/dev/null)"
like "$(cat "$tmp/err.1")" '^Building the demo lab in ' "first run builds the lab"
is "$(head -1 "$tmp/out.1" | awk '{ print $1 }')" "$uri" "the host is the demo's embed URI"

is "$(awk -F '\t' '$1 == "D" { print $2 " | " $3 }' "$tmp/norm.1" | LC_ALL=C sort)" \
    "$(printf '%s\n' 'db01 | shut off' 'test2 | running' 'web01 | shut off' 'web02 | running' \
        '测试虚拟机 | shut off' | LC_ALL=C sort)" \
    "five domains, test2 and web02 running"

is "$(chain "$tmp/norm.1" test2 vda)" \
    "$(printf "$images/%s\n" test2_lsof.qcow2 test2_net-tools.qcow2 test2_nmap.qcow2 \
        test2_test.qcow2 test2.qcow2 centos.qcow2)" \
    "test2: the article's chain, top first"
is "$(chain "$tmp/norm.1" web01 vda)" \
    "$(printf "$images/%s\n" web01_pre-upgrade.qcow2 web01.qcow2 golden-debian12.qcow2)" \
    "web01: pre-upgrade overlay on web01 on the golden image"
is "$(chain "$tmp/norm.1" web02 vda)" \
    "$(printf "$images/%s\n" web02.qcow2 golden-debian12.qcow2)" \
    "web02: on the golden image"
like "$(layer "$tmp/norm.1" web01 "$images/golden-debian12.qcow2")" 'shared with: web02' \
    "web01's golden image is shown shared with web02"
like "$(layer "$tmp/norm.1" web02 "$images/golden-debian12.qcow2")" 'shared with: web01' \
    "web02's golden image is shown shared with web01"
is "$(chain "$tmp/norm.1" db01 vda; chain "$tmp/norm.1" db01 vdb)" \
    "$(printf "$images/%s\n" db01.qcow2 db01-data.raw)" \
    "db01: a qcow2 system disk and a raw data disk"
like "$(awk -F '\t' '$1 == "K" && $2 == "db01" && $3 == "vdb" { print $4 }' "$tmp/norm.1")" \
    'raw.*read-only' "db01's vdb is raw and read-only"
is "$(chain "$tmp/norm.1" 测试虚拟机 vda)" \
    "$(printf "$images/%s\n" 测试-快照1.qcow2 测试-overlay.qcow2 测试-base.qcow2)" \
    "测试虚拟机: a three-layer chain with Chinese file names"

is "$(snap_shape "$tmp/norm.1" test2)" "test > nmap > net-tools > lsof" \
    "test2: four snapshots, each the child of the one before"
is "$(snaps "$tmp/norm.1" test2 | awk -F '\t' '$3 ~ /^external, disk only  disk-snapshot/' | wc -l)" 4 \
    "test2: all four external, disk only, state disk-snapshot"
like "$(snaps "$tmp/norm.1" test2 | awk -F '\t' '$2 == "lsof" { print $3 }')" '<- current' \
    "test2: lsof is the current snapshot"
like "$(snaps "$tmp/norm.1" web01)" $'^[0-9]+\tpre-upgrade\texternal, disk only  shutoff' \
    "web01: pre-upgrade, external, taken shut off"
is "$(snap_shape "$tmp/norm.1" db01)" "before-migration > after-migration" \
    "db01: two nested snapshots"
like "$(snaps "$tmp/norm.1" db01 | awk -F '\t' '$2 == "after-migration" { print $3 }')" \
    '^internal, disk only.*<- current' "db01: internal snapshots, after-migration current"
like "$(snaps "$tmp/norm.1" 测试虚拟机)" '快照1.*"安装中文输入法之前的状态"' \
    "测试虚拟机: snapshot 快照1 with its Chinese description"

# Read-only and shared: the running test2 holds its chain; qemu-io -U only reads.
patterns=$(qemu-io -U -r -f qcow2 -c 'read -P 0xc0 0 4M' -c 'read -P 0x72 4M 2M' \
    "$images/test2_lsof.qcow2" 2>&1; qemu-io -r -f qcow2 -c 'read -P 0x03 9M 1M' \
    -c 'read -P 0x01 8M 1M' -c 'read -P 0xde 0 8M' "$images/web01_pre-upgrade.qcow2" 2>&1)
if ! printf '%s\n' "$patterns" | grep -Eqi 'fail|error'; then result 0 "layers hold their data"; else
    result 1 "layers hold their data"
    diag "$patterns"
fi

# ---- second run: reuse ----

stamp_before=$(stat -c '%Y %i' "$demo/demo.ok" 2>/dev/null)
inodes_before=$(inode_list)
run_demo 2
rc_2=$rc t_2=$secs
ok2=1
[ "$rc_2" = 0 ] || ok2=0
grep -q 'Building the demo lab' "$tmp/err.2" && ok2=0
[ "$(stat -c '%Y %i' "$demo/demo.ok" 2>/dev/null)" = "$stamp_before" ] || ok2=0
[ "$(inode_list)" = "$inodes_before" ] || ok2=0
# Allocation can change between runs; structure must not.
cut_alloc() { awk -F '\t' '$1 == "L" { sub(/  virtual .*/, "", $6) } { print }' OFS='\t' "$1"; }
[ "$(cut_alloc "$tmp/norm.2")" = "$(cut_alloc "$tmp/norm.1")" ] || ok2=0
if [ $ok2 = 1 ]; then result 0 "second run reuses the lab: same listing, no rebuild"; else
    result 1 "second run reuses the lab: same listing, no rebuild"
    diag "status $rc_2" "stderr:" "$(cat "$tmp/err.2")"
    diag "$(diff <(cut_alloc "$tmp/norm.1") <(cut_alloc "$tmp/norm.2"))"
fi
diag "first run ${t_1} s, second run ${t_2} s"
if awk -v a="$t_1" -v b="$t_2" 'BEGIN { exit !(b < a) }'; then result 0 "second run is faster"; else
    result 1 "second run is faster"
fi

# ---- the demo's domains outlive the program; --demo-stop stops them ----

like "$(cat "$tmp/err.2")" "keep running .*--demo-stop stops them" \
    "on exit the program says that the demo's domains keep running"
pids=$(lab_qemu_pids)
stop_out=$(env -u LIBVIRT_LOG_OUTPUTS LC_ALL=C.UTF-8 XDG_CACHE_HOME="$tmp" "$prog" --demo-stop 2>&1)
stop_rc=$?
is "$stop_rc $(printf '%s\n' "$stop_out" | grep -c '^Stopped ')" "0 2" \
    "--demo-stop exits 0 and names the two domains it stopped"
gone=1
for pid in $pids; do
    for ((i = 0; i < 150; i++)); do
        alive "$pid" || break
        sleep 0.1
    done
    alive "$pid" && gone=0
done
[ -n "$pids" ] || gone=0
if [ $gone = 1 ]; then result 0 "their QEMU processes are gone"; else
    result 1 "their QEMU processes are gone"
    diag "pids: $pids" "$stop_out"
fi
again=$(env -u LIBVIRT_LOG_OUTPUTS LC_ALL=C.UTF-8 XDG_CACHE_HOME="$tmp" "$prog" --demo-stop 2>&1)
is "$again" "No demo domain is running." "a second --demo-stop finds nothing to stop"

# ---- cleanup ----

pids=$(lab_qemu_pids)
cleanup
is "$?" 0 "running domains destroyed with virsh"
left=
for pid in $pids; do alive "$pid" && left="$left qemu:$pid"; done
[ -z "${DEMO_TEST_KEEP:-}" ] && [ -e "$tmp" ] && left="$left $tmp"
is "$left" "" "no QEMU of the lab left, folder removed"

[ "$n_failed" = 0 ]
