#!/bin/bash
# The first start of --demo in a terminal: while it builds, it says so, step by step; once the
# interface is up, the tree fills at once, without a long "connecting" or a "not responding"
# for the embedded driver (whose first answer about the host took seconds).
. "${top_srcdir:-.}/tests/tui/tui-lib.sh"
for tool in virsh qemu-img qemu-io qemu-system-x86_64; do
    command -v "$tool" >/dev/null 2>&1 || skip_all "$tool is not installed"
done
tui_init
plan 7
export LANG=C.UTF-8
# The demo's running domains outlive the program: stopped when the test ends, however it ends.
# The program may still be letting go of the demo's root (only one process may hold it) when the
# cleanup starts: --demo-stop is tried again for a while, and what still runs of this test's own
# root is stopped by the pids its driver keeps.
demo_cleanup() {
    local i f
    for ((i = 0; i < 50; i++)); do
        "$BIN" --demo-stop >/dev/null 2>&1 && break
        sleep 0.2
    done
    for f in "$XDG_CACHE_HOME"/virt-snaptree/demo/run/qemu/*.pid; do
        [ -f "$f" ] && [ "${f##*/}" != driver.pid ] && kill "$(cat "$f")" 2>/dev/null
    done
    return 0
}
T_EXTRA_CLEANUP=demo_cleanup
trace=$T_DIR/trace
T_ENV="VIRT_SNAPTREE_TRACE=$trace"

tui_start 120 40 --demo
ok "the build says what it does" tui_wait "Building the demo lab in $XDG_CACHE_HOME/virt-snaptree/demo, in 5 steps" 30
ok "step by step" tui_wait "[1/5] test2: the article's chain" 30
ok "up to the host's capabilities" tui_wait "[5/5] libvirt: reading the host's capabilities, once" 60
# Every screen until the title counts the domains: none may call the host hung. (The build's
# own lines name them too.)
hung=""
filled() {
    local s
    s=$(tui_screen)
    grep -q "not responding" <<<"$s" && hung=1
    grep -Eq "^ virt-snaptree .* 5 domains" <<<"$s"
}
ok "the interface shows the demo's domains" tui_until 60 filled
# From the interface's first paint to the first with domains: the connection and one refresh.
first=$(awk '$3 == "paint" { print $1; exit }' "$trace")
full=$(awk '$3 == "paint" && $4 != "domains=0" { print $1; exit }' "$trace")
ms=$(((full - first) / 1000000))
ok "the tree is filled within 2 s of the interface's start (${ms} ms)" test "$ms" -lt 2000
is "$hung" "" "the demo's host never seemed hung"
tui_keys q
ok "q quits" tui_wait "__EXITED__ 0" 10
done_testing
