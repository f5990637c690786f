#!/bin/bash
# A host behind a network path that silently drops everything: tests/lab/freeze-proxy.py freezes
# the connections open at that moment without closing them, so the calls in flight never return,
# not even with an error, while new connections get through. The sentinel's keepalive finds the
# host gone; a new worker takes the host over on a connection of its own; the request that hung
# is answered (no dialog waits for ever) and a queued one moves to the new worker; the interface
# is live again, events included. When the frozen line thaws, the old worker's call returns and
# that worker ends: a revert confirmed before the hang is not done late, what its refresh read is
# thrown away. Then q with the host hung again ends at once, stuck threads left behind.
. "${top_srcdir:-.}/tests/lab/lab.sh"
. "$top_srcdir/tests/tui/tui-lib.sh"
lab_init
tui_init
command -v python3 >/dev/null || skip_all "python3 is not installed"
plan 28
export LANG=C.UTF-8

# The daemon's own keepalive would close a frozen connection after 30 s, and the old worker's
# calls would then fail instead of returning what they asked: not what is tested here.
d_uri=$(LAB_DAEMON_CONF="keepalive_interval = -1" lab_daemon_start "$LAB_TMP/d") ||
    bail_out "no daemon"
proxy=$LAB_TMP/proxy.sock
python3 "$top_srcdir/tests/lab/freeze-proxy.py" "$proxy" "$LAB_TMP/d/run/libvirt-sock" \
    >"$LAB_TMP/proxy.out" 2>>"$LAB_LOG" &
proxy_pid=$!
lab_on_cleanup "kill $proxy_pid 2>/dev/null"
ready() { grep -q ready "$LAB_TMP/proxy.out"; }
tui_until 10 ready || bail_out "the proxy did not start"
# Sends the proxy SIGUSR1 (freeze) or SIGUSR2 (thaw) and waits until it has acted on it.
proxy_said() { [ "$(grep -c "$1" "$LAB_TMP/proxy.out")" -gt "$2" ]; }
proxy_signal() { # USR1|USR2
    local word=frozen n
    [ "$1" = USR2 ] && word=thawed
    n=$(grep -c "$word" "$LAB_TMP/proxy.out")
    kill -"$1" "$proxy_pid"
    tui_until 5 proxy_said "$word" "$n" || bail_out "the proxy did not act on SIG$1"
}
uri="qemu+unix:///system?socket=$proxy"
img=$LAB_TMP/img
lab_chain "$img" base.qcow2 cut.qcow2 >/dev/null || bail_out "chain"
lab_domain_define "$d_uri" cutvm --disk "vda=$img/cut.qcow2" --running >/dev/null ||
    bail_out "define"
# A shut-off domain with two internal snapshots, s2 the current one, for a revert that hangs.
lab_chain "$img" snap.qcow2 >/dev/null && lab_domain_define "$d_uri" snapvm --disk "vda=$img/snap.qcow2" \
    >/dev/null && lab_virsh "$d_uri" snapshot-create-as snapvm s1 >/dev/null &&
    lab_virsh "$d_uri" snapshot-create-as snapvm s2 >/dev/null || bail_out "snapshots"
current() { lab_virsh "$d_uri" snapshot-current --name snapvm 2>/dev/null; }
trace=$LAB_TMP/trace
# No periodic refresh: the worker is idle until the plan below asks the host something.
T_ENV="VIRT_SNAPTREE_TRACE=$trace" tui_start 110 32 --interval 3600 -c "$uri"
ok "the domain appears through the proxy" tui_wait "cutvm" 20

# The commit plan's question to the host (free space, running jobs) is the call that hangs.
proxy_signal USR1
tui_keys g / ; tui_type "cut.qcow2"; tui_keys Enter c
tui_wait "down into which layer?" 5
tui_keys Enter
ok "the plan asks the host" tui_wait "Checking the host" 5
ok "the host is shown as not responding" tui_wait_line "system: " "not responding" 15
# Keepalive gives up after 5 s x (3 + 1) without an answer.
ok "keepalive gives up; the request that hung is answered in the status line" \
    tui_wait "stopped answering while this ran" 60 || diag "$(tui_screen)"
ok "the dialog that waited for it is gone" tui_wait_gone "Checking the host" 5
ok "a new connection serves the host" tui_wait_line "system: " "connected" 30 ||
    diag "$(tui_screen)"
like "$(cat "$trace")" "host-lost host=0 retired=1 stuck=1" \
    "the trace shows one worker taken over, with one request stuck in it"

tui_keys Escape g / ; tui_type "cut.qcow2"; tui_keys Enter c
tui_wait "down into which layer?" 5
tui_keys Enter
ok "the same question now gets its answer: the plan opens" \
    tui_wait "commit of cut.qcow2 into base.qcow2 (cutvm/vda)" 15 || diag "$(tui_screen)"
tui_keys Escape
lab_domain_destroy "$d_uri" cutvm >/dev/null
ok "events flow on the new connection: cutvm is shown shut off" \
    tui_wait_line "cutvm " "shut off" 15 || diag "$(tui_screen)"

proxy_signal USR2
retired() { [ "$(grep -c "worker-retired host=0" "$trace")" -ge "$1" ]; }
ok "once the line thaws the old worker's call returns and the worker ends" tui_until 30 retired 1
ok "the host is still connected" tui_wait_line "system: " "connected" 1

# A confirmed revert that hangs before it began: answered as stuck; once the line thaws, the old
# worker, taken over meanwhile, does not go on with it (the admin may have asked again since).
refreshes() { echo "$(grep -c refresh-begin "$trace") $(grep -c refresh-end "$trace")"; }
idle() { local r; r=$(refreshes); [ "${r% *}" = "${r#* }" ] && sleep 2 && [ "$(refreshes)" = "$r" ]; }
tui_until 30 idle || diag "the worker did not come to rest"
tui_keys g / ; tui_type "s1"; tui_keys Enter r
ok "the revert plan opens" tui_wait "Revert snapvm to snapshot s1" 10 || diag "$(tui_screen)"
proxy_signal USR1
tui_type yes; tui_keys Enter
ok "the revert hangs, and is answered as stuck once keepalive gives up" \
    tui_wait "stopped answering while this ran" 60 || diag "$(tui_screen)"
like "$(cat "$trace")" "host-lost host=0 retired=2 stuck=1" "the trace shows the second takeover"
proxy_signal USR2
ok "the old worker ends once the line thaws" tui_until 30 retired 2
ok "and says it did not do the revert" \
    tui_wait "not done: the host stopped answering before it began" 10 || diag "$(tui_screen)"
is "$(current)" "s2" "snapvm is not reverted: s2 is still its current snapshot"

# Hung again, this time in the middle of a refresh (F5), with a plan's question queued behind
# it: the question moves to the new worker, which answers it; the old worker's model, which
# comes once the line thaws, goes nowhere.
lab_domain_start "$d_uri" cutvm >/dev/null || bail_out "start"
ok "cutvm is shown running again" tui_wait_line "cutvm " "running" 15
# Idle first (a refresh still under way would carry what it read before the line froze), then
# the refresh that hangs is asked for after the line froze: it reads the host after the thaw.
# (Idle for two seconds: starting the domain sends events, each of which asks for a refresh.)
tui_until 30 idle || diag "the worker did not come to rest"
proxy_signal USR1
tui_keys F5
tui_wait_line "system: " "not responding" 15
tui_keys g / ; tui_type "cut.qcow2"; tui_keys Enter c
tui_wait "down into which layer?" 5
tui_keys Enter
tui_wait "Checking the host" 5
ok "the queued question is answered by the new worker: the plan opens by itself" \
    tui_wait "commit of cut.qcow2 into base.qcow2 (cutvm/vda)" 60 || diag "$(tui_screen)"
like "$(cat "$trace")" "host-lost host=0 retired=3 stuck=0" \
    "the trace shows the third takeover, with nothing stuck but the refresh"
tui_keys Escape
# A change the old worker's refresh will see once the line thaws, so that it has a new model to
# send: the new worker shows it first.
lab_domain_destroy "$d_uri" cutvm >/dev/null
ok "the new worker shows cutvm shut off" tui_wait_line "cutvm " "shut off" 15
proxy_signal USR2
ok "the third old worker ends too once the line thaws" tui_until 30 retired 3
ok "what its refresh read was thrown away, not shown" grep -q "refresh-end host=0 taken-over" "$trace"
ok "cutvm is still shown shut off, the host connected" tui_wait_line "cutvm " "shut off" 1 &&
    tui_wait_line "system: " "connected" 1

# Hung a third time, with calls in flight, and q: the interface does not wait for them.
proxy_signal USR1
tui_keys F5
ok "hung again" tui_wait_line "system: " "not responding" 15
t0=$SECONDS
tui_keys q
ok "q quits with status 0 while calls hang" tui_wait "__EXITED__ 0" 15 || diag "$(tui_screen)"
ok "within the two seconds it gives stuck threads, not their calls' time" \
    test $((SECONDS - t0)) -le 5
unlike "$(tui_screen)" "GLib-CRITICAL|g_main_loop_quit" "no libvirt noise after the terminal is restored"
done_testing
