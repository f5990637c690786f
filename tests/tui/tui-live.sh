#!/bin/bash
# Live and never frozen, on a real libvirtd: events refresh the tree while the selection and the
# expansion stay; a hung host (SIGSTOP) is shown as not responding while keys keep working; when
# it comes back (SIGCONT) the tree refreshes; several hosts at once from the config file.
. "${top_srcdir:-.}/tests/lab/lab.sh"
. "$top_srcdir/tests/tui/tui-lib.sh"
lab_init
tui_init
plan 20
export LANG=C.UTF-8

uri=$(lab_daemon_start "$LAB_TMP/d") || bail_out "no daemon"
img=$LAB_TMP/img
lab_chain "$img" base.qcow2 alpha.qcow2 >/dev/null || bail_out "chain"
lab_chain --from "$img/base.qcow2" "$img" beta.qcow2 >/dev/null || bail_out "chain 2"
lab_domain_define "$uri" alpha --disk "vda=$img/alpha.qcow2" --running || bail_out "alpha"
test_host="test://$top_srcdir/tests/tui/hosts/article.xml"
mkdir -p "$XDG_CONFIG_HOME/virt-snaptree"
printf '# hosts\nconnect = %s\nconnect = %s\n' "$uri" "$test_host" >"$XDG_CONFIG_HOME/virt-snaptree/config"

tui_start 110 32 --interval 60
ok "both hosts of the config file are shown" tui_wait "test2" 15
ok "the lab host's domain is there" tui_wait "alpha" 5
# Select alpha's base layer and collapse the test host: both must survive refreshes.
tui_keys g / ; tui_type "article.xml"; tui_keys Enter Left
ok "the test host is collapsed" tui_wait_gone "test2_lsof" 5
tui_keys g / ; tui_type "base.qcow2"; tui_keys Enter
ok "alpha's base layer is selected" tui_wait "Path         $img/base.qcow2" 5

# An event (the interval is 60 s, so only an event can refresh): define and start beta.
lab_domain_define "$uri" beta --disk "vda=$img/beta.qcow2" --running >/dev/null
ok "a domain started elsewhere appears through events" tui_wait "beta.qcow2 ◀ you are here" 10
like "$(tui_screen)" "Path         $img/base.qcow2" "the selection stayed on the same layer"
unlike "$(tui_screen)" "test2_lsof" "the collapsed host stayed collapsed"
like "$(tui_line 'alpha.qcow2')" "alpha.qcow2 ◀ you are here" "alpha's chain is still drawn"

pid=$(lab_daemon_pid "$LAB_TMP/d")
kill -STOP "$pid"
lab_on_cleanup "kill -CONT $pid 2>/dev/null"
# Ask for a refresh so that a call is in flight to the stopped daemon.
tui_keys F5
ok "a stopped daemon is shown as not responding" tui_wait "not responding" 15
ok "the status line says so first, while F5's refresh still waits" \
    tui_wait_line "system: not responding (" "article.xml: connected" 5
tui_keys g
ok "keys still work while the host hangs (Home moves to the first row)" \
    tui_wait "Host         $uri" 3
tui_keys '?'
ok "the help opens while the host hangs" tui_wait "Help: keys" 3
tui_keys Escape
kill -CONT "$pid"
ok "after SIGCONT the host is connected again" tui_wait_gone "not responding" 30
lab_domain_destroy "$uri" beta >/dev/null
ok "events flow again: beta is shown shut off" tui_wait_line "beta " "shut off" 10
tui_keys g / ; tui_type "beta"; tui_keys Enter
ok "its detail says so too, with libvirt's reason in words" \
    tui_wait "State        shut off (destroyed)" 10
tui_keys g / ; tui_type "alpha"; tui_keys Enter
ok "a domain started with virsh was booted" tui_wait "State        running (booted)" 10

# A daemon that goes away (a dropped connection): detected at once, retried with backoff.
lab_daemon_stop "$LAB_TMP/d" >/dev/null
ok "a stopped daemon is detected" tui_wait "reconnecting" 15
uri2=$(lab_daemon_start "$LAB_TMP/d") || bail_out "restart"
is "$uri2" "$uri" "the daemon is back at the same address"
ok "the interface reconnects by itself" tui_wait_gone "reconnecting" 40
ok "and shows the domains again" tui_wait "alpha" 10
tui_keys q
tui_wait "__EXITED__" 5
done_testing
