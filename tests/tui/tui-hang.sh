#!/bin/bash
# A host hung for longer than the keepalive (SIGSTOP on its libvirtd until the connection is
# declared dead), then back (SIGCONT): the interface reconnects, and after q nothing but the
# terminal comes back; in particular not libvirt 9.0's GLib noise about g_main_loop_quit, which
# this scenario makes its RPC client print (see st_libvirt_log_noise). The same libvirt bug can
# crash the process instead; then the terminal must still be restored (see below).
. "${top_srcdir:-.}/tests/lab/lab.sh"
. "$top_srcdir/tests/tui/tui-lib.sh"
lab_init
tui_init
plan 6
export LANG=C.UTF-8

uri=$(lab_daemon_start "$LAB_TMP/d") || bail_out "no daemon"
img=$LAB_TMP/img
lab_chain "$img" base.qcow2 hung.qcow2 >/dev/null || bail_out "chain"
lab_domain_define "$uri" hungvm --disk "vda=$img/hung.qcow2" --running >/dev/null ||
    bail_out "define"
tui_start 110 32 -c "$uri"
ok "the domain appears" tui_wait "hungvm" 20
pid=$(lab_daemon_pid "$LAB_TMP/d")
kill -STOP "$pid"
lab_on_cleanup "kill -CONT $pid 2>/dev/null"
tui_keys F5 # calls in flight to the stopped daemon, on several threads
ok "the host is not responding" tui_wait "not responding" 15
# Keepalive gives up after 5 s x (3 + 1) without an answer; 45 s in flight is well past it.
hung_for() { tui_line "system: not responding (" | grep -qE "not responding \((4[5-9]|[5-9][0-9]|[0-9]{3,})s\)"; }
ok "it stays so past the keepalive's limit" tui_until 120 hung_for
kill -CONT "$pid"
# libvirt 9.0 itself can crash here (1 run in 5 on this machine): the socket watch it left
# attached, with a pointer into a stack frame that is gone, fires in another thread's event
# loop (core: SIGSEGV in virNetClientIOEventLoop's g_main_loop_run, under
# virConnectGetAllDomainStats, three more calls queued on the connection). That is reported as a
# TODO (expected failure), not hidden; every other outcome is checked as usual.
back_or_crashed() { tui_screen | grep -qE "system: +connected|__EXITED__ 139"; }
tui_until 60 back_or_crashed
if tui_screen | grep -q "__EXITED__ 139"; then
    todo="# TODO libvirt 9.0 crashed (stale socket watch in its RPC client)"
    for d in "after SIGCONT the host is connected again" "q quits with status 0"; do
        echo "not ok $((LAB_TAP_COUNT += 1)) - $d $todo"
    done
    is "$(tmux -S "$T_SOCK" display -p -t t '#{alternate_on} #{cursor_flag}')" "0 1" \
        "after the crash the terminal is given back (alternate screen left, cursor shown)"
else
    ok "after SIGCONT the host is connected again" tui_wait_line "system: " "connected" 5 ||
        diag "$(tui_screen)"
    tui_keys q
    ok "q quits with status 0" tui_wait "__EXITED__ 0" 30 || diag "$(tui_screen)"
    unlike "$(tui_screen)" "GLib-CRITICAL|g_main_loop_quit" "no GLib noise after the terminal is restored"
fi
done_testing
