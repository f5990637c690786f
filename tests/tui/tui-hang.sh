#!/bin/bash
# A host hung for longer than the keepalive (SIGSTOP on its libvirtd), with calls in flight on
# several threads, then back (SIGCONT). libvirt 9.0's RPC client crashes or prints GLib noise
# when keepalive closes a connection that several threads wait on (src/backend/sentinel.h): here no
# keepalive runs on the worker's connection, the host's sentinel finds it gone, a new worker
# takes the host over and waits for it; after SIGCONT the old worker's calls return and it ends,
# the host is connected again, and after q nothing but the terminal comes back.
. "${top_srcdir:-.}/tests/lab/lab.sh"
. "$top_srcdir/tests/tui/tui-lib.sh"
lab_init
tui_init
plan 9
export LANG=C.UTF-8

uri=$(lab_daemon_start "$LAB_TMP/d") || bail_out "no daemon"
img=$LAB_TMP/img
lab_chain "$img" base.qcow2 hung.qcow2 >/dev/null || bail_out "chain"
lab_domain_define "$uri" hungvm --disk "vda=$img/hung.qcow2" --running >/dev/null ||
    bail_out "define"
trace=$LAB_TMP/trace
T_ENV="VIRT_SNAPTREE_TRACE=$trace" tui_start 110 32 -c "$uri"
ok "the domain appears" tui_wait "hungvm" 20
pid=$(lab_daemon_pid "$LAB_TMP/d")
kill -STOP "$pid"
lab_on_cleanup "kill -CONT $pid 2>/dev/null"
tui_keys F5 # calls in flight to the stopped daemon, on several threads
ok "the host is not responding" tui_wait "not responding" 15
# Keepalive gives up after 5 s x (3 + 1) without an answer; 45 s in flight is well past it. The
# time counts from the first call that hung, across the takeover.
hung_for() { tui_line "system: not responding (" | grep -qE "not responding \((4[5-9]|[5-9][0-9]|[0-9]{3,})s\)"; }
# On failure the trace says what the workers did (takeover, refreshes) besides the screen.
ok "it stays so past the keepalive's limit" tui_until 120 hung_for ||
    diag "$(tui_screen)" "trace:" "$(cut -d' ' -f3- "$trace" | grep -v '^paint')"
like "$(cat "$trace")" "host-lost host=0 retired=1" "meanwhile a new worker took the host over"
kill -CONT "$pid"
ok "after SIGCONT the host is connected again" tui_wait_line "system: " "connected" 60 ||
    diag "$(tui_screen)"
retired() { grep -q "worker-retired host=0" "$trace"; }
ok "the old worker's calls returned and it ended" tui_until 30 retired
lab_domain_destroy "$uri" hungvm >/dev/null
ok "events flow: hungvm is shown shut off" tui_wait_line "hungvm " "shut off" 15
tui_keys q
ok "q quits with status 0" tui_wait "__EXITED__ 0" 30 || diag "$(tui_screen)"
unlike "$(tui_screen)" "GLib-CRITICAL|g_main_loop_quit|Segmentation" \
    "no libvirt noise after the terminal is restored"
done_testing
