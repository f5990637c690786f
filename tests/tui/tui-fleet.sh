#!/bin/bash
# A fleet in one interface: 20 lab daemons of 20 domains each (a few running), one of them hung
# (SIGSTOP) from the start, and one host that cannot be reached. Every reachable host is painted
# within a second of the first frame, the hung host delays no other (a change on another host
# shows while it still hangs), and each host's state reads at a glance on the status line (at 80
# columns: the hosts not connected by name, the others counted).
# --json for the whole fleet reads the hosts in parallel: two hung hosts cost one timeout, not two.
. "${top_srcdir:-.}/tests/lab/lab.sh"
. "$top_srcdir/tests/lab/fleet-lib.sh"
. "$top_srcdir/tests/tui/tui-lib.sh"
lab_init
tui_init
plan 16
export LANG=C.UTF-8

N=20 DOMS=20 HUNG=7
t0=$(lab_now)
fleet_build "$N" "$DOMS" 2 || bail_out "the fleet did not start"
diag "fleet of $N hosts x $DOMS domains built in $(lab_elapsed "$t0") s"
gone="qemu+unix:///system?socket=$LAB_TMP/nowhere/libvirt-sock"
fleet_config "$XDG_CONFIG_HOME/virt-snaptree/config" "$gone" gone
fleet_hang "$HUNG"
reachable=$(((N - 1) * DOMS)) # every host's domains but the hung one's

trace=$LAB_TMP/trace
T_ENV="VIRT_SNAPTREE_TRACE=$trace" tui_start 220 50
# The trace's paints: "MONO_NS REAL_NS paint domains=N ...".
painted_all() { grep -qE " paint domains=$reachable " "$trace" 2>/dev/null; }
ok "every reachable host's domains are painted" tui_until 60 painted_all ||
    diag "$(tui_screen)" "$(tail -n 3 "$trace")"
first=$(awk '$3 == "paint" { print $1; exit }' "$trace")
all=$(awk -v n="domains=$reachable" '$3 == "paint" && $4 == n { print $1; exit }' "$trace")
ms=$(((all - first) / 1000000))
diag "first frame to every reachable host painted: $ms ms"
# The target is a second (measured here: 0.15 to 0.6 s with the machine's load average at 16 on 2
# cores); an ASan+UBSan build runs the same paths 2 to 3 times slower (0.9 s seen), so it gets 3.
bound=1000
ldd "$BIN" 2>/dev/null | grep -q libasan && bound=3000
ok "within $bound ms of the first frame ($ms ms)" test "$ms" -lt "$bound"

status() { tui_screen | tail -n 1; }
states_shown() {
    local s
    s=$(status)
    for i in $(seq -w 1 "$N"); do
        [ "$i" = "$(printf %02d "$HUNG")" ] && continue
        [[ $s == *"h$i: ok"* ]] || return 1
    done
}
ok "the status line: every reachable host ok, by label" tui_until 10 states_shown ||
    diag "$(status)"
like "$(status)" "h$(printf %02d "$HUNG"): (conn|hung)" "the hung host: not ok"
like "$(status)" "gone: (failed|retry)" "the unreachable host: failed or retried"
unlike "$(status)" "h$(printf %02d "$HUNG"): ok" "the hung host is never shown as ok"
# At 80 columns the fleet does not fit in short words: the hosts not connected are named and the
# others counted, on the one line.
tui_resize 80 50
counted() {
    local s
    s=$(status)
    [[ $s == "h$(printf %02d "$HUNG"): "* && $s == *"  gone: "* && $s == *"  $((N - 1)) hosts ok"* ]]
}
ok "80 columns: the hung and the unreachable host by name, the others counted" \
    tui_until 10 counted || diag "$(status)"
tui_resize 220 50

# A change on host 1 while host HUNG still hangs: an event, painted without waiting for it.
lab_virsh "${FLEET_URIS[1]}" destroy vm01-01 >/dev/null
ok "an event of another host shows at once while one hangs" \
    tui_wait_line "vm01-01 " "shut off" 10 || diag "$(tui_screen)"
# The hung host answers again. Then nothing changes: every host refreshes twice over (the trace
# counts them) while the pane's output (what an SSH session carries) is recorded, and not a byte
# may go to the terminal. (While a host hangs, its seconds count on the status line.)
kill -CONT "$(lab_daemon_pid "${FLEET_DIRS[HUNG]}")"
ok "the hung host, continued, is ok again" tui_wait "h$(printf %02d "$HUNG"): ok" 60 ||
    diag "$(status)"
painted_fleet() { grep -qE " paint domains=$((N * DOMS)) " "$trace"; }
ok "and its domains are painted" tui_until 60 painted_fleet
refreshed() { [ "$(grep -c ' refresh-end ' "$trace")" -ge "$1" ]; }
quiet=$T_DIR/pane.bytes
: >"$quiet"
tmux -S "$T_SOCK" pipe-pane -o -t t "cat >>$quiet"
ok "every host refreshed twice, with the pane recorded" \
    tui_until 60 refreshed "$(($(grep -c ' refresh-end ' "$trace") + 2 * N))"
tmux -S "$T_SOCK" pipe-pane -t t
is "$(stat -c %s "$quiet")" 0 "nothing changed: not a byte written to the terminal" ||
    diag "$(cat -v "$quiet")" "$(status)"

fleet_hang "$HUNG"
tui_keys f
ok "f: one group of the fleet" tui_wait "[group rack-a]" 5
tui_keys q
ok "q quits at once, the hung host notwithstanding" tui_wait "__EXITED__ 0" 10 ||
    diag "$(tui_screen)"

# --json of the fleet with two hosts hung: the hosts are read in parallel, so both hung hosts
# together cost one --timeout; the others are all in the report.
fleet_hang 12
t0=$(lab_now)
out=$(timeout -s KILL 60 "$BIN" --json --timeout=4 2>/dev/null)
took=$(lab_elapsed "$t0")
diag "--json of $((N + 1)) hosts, two hung, one unreachable: $took s"
ok "--json with two hung hosts takes one timeout (4 s), not two (${took} s)" \
    test "${took%.*}" -lt 8
is "$(jq '[.hosts[] | select(.domains | length == '"$DOMS"')] | length' <<<"$out")" "$((N - 2))" \
    "and reports every other host's $DOMS domains"
done_testing
