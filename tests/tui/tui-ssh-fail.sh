#!/bin/bash
# qemu+ssh:// when ssh fails, through a real OpenSSH server of the test's own
# (tests/lab/ssh-lib.sh): a host key that changed, a key the host refuses, a host that would ask
# for a password, and a connection that drops. Each ends within seconds with the host marked
# failed and one line saying why, ssh's own verdict rather than all it printed; nothing of ssh's
# ever reaches the screen curses draws, and no ssh is left waiting on the terminal. An sshd that
# hangs makes the host "not responding", never the interface.
. "${top_srcdir:-.}/tests/lab/lab.sh"
. "$top_srcdir/tests/lab/ssh-lib.sh"
. "$top_srcdir/tests/tui/tui-lib.sh"
lab_init
lab_ssh_need
tui_init
plan 31
export LANG=C.UTF-8

# Whatever ssh does here, the admin's own files stay as they were.
admin_ssh() { stat -c '%n %s %Y' /root/.ssh /root/.ssh/* 2>&1; }
admin_before=$(admin_ssh)
uri=$(lab_daemon_start "$LAB_TMP/d") || bail_out "no daemon"
K=$LAB_TMP/ssh
lab_sshd_start "$K" || bail_out "no sshd"
lab_chain --patterns "$LAB_TMP/img" vm.qcow2 >/dev/null || bail_out "image"
lab_domain_define "$uri" vm --disk "vda=$LAB_TMP/img/vm.qcow2" --running || bail_out "define"
cp "$K/known_hosts" "$K/known_hosts.right"

# The detail pane's text (right of its border) as one line: a message wrapped there reads whole.
pane() { tui_screen | sed -n 's/^.*│//p' | tr -s ' \n' '  '; }
pane_has() { pane | grep -qF -- "$1"; }
host_failed() { tui_screen | tail -n 1 | grep -q "127.0.0.1: failed"; }
no_ssh_left() { [ -z "$(lab_ssh_client_pid "$(tui_pid)")" ]; }
# Starts the interface on URI; it must mark the host failed within 20 s.
start_failing() {
    tui_start 200 40 -c "$1"
    ok "$2: the host is marked failed" tui_until 20 host_failed || diag "$(tui_screen)"
}
quit() {
    tui_keys q
    tui_wait "__EXITED__" 5
    tui_stop
}

# A host key that changed: known_hosts holds another key under the host's name.
cp "$K/known_hosts.wrong" "$K/known_hosts"
start_failing "$(lab_ssh_uri "$K" "$uri")" "a changed host key"
ok "it says the host's key is not the one known_hosts holds" \
    tui_until 5 pane_has "ssh refused the host: its key is not the one known_hosts holds for it"
unlike "$(tui_screen)" "@@@|IT IS POSSIBLE|Someone could be" "none of ssh's banner is shown"
unlike "$(pane)" "log in with a key" "no advice to log in: the key is what is wrong"
ok "no ssh is left" tui_until 5 no_ssh_left
quit
cp "$K/known_hosts.right" "$K/known_hosts"

# A host whose key is not known yet: ssh would ask whether to accept it.
: >"$K/known_hosts"
start_failing "$(lab_ssh_uri "$K" "$uri")" "an unknown host key"
ok "ssh's verdict is shown" tui_until 5 pane_has "ssh: Host key verification failed."
ok "with the advice to accept the host's key in ssh first" \
    tui_until 5 pane_has "accept the host's key in ssh first"
quit
cp "$K/known_hosts.right" "$K/known_hosts"

# A key the host does not take.
start_failing "$(lab_ssh_uri "$K" "$uri" "keyfile=$K/stranger_key")" "a refused key"
ok "ssh's verdict is shown" tui_until 5 pane_has "ssh: root@127.0.0.1: Permission denied (publickey,"
unlike "$(pane)" "Connection reset by peer" "without libvirt's wrapping around it"
ok "with the advice to log in with a key" tui_until 5 pane_has "log in with a key or ssh-agent"
ok "no ssh is left" tui_until 5 no_ssh_left
quit

# No key at all: this sshd would take a password, which ssh would ask for on the terminal.
start_failing "$(lab_ssh_uri "$K" "$uri" keyfile=)" "a host that asks for a password"
unlike "$(tui_screen)" "[Pp]assword:" "no password prompt reaches the screen"
ok "the reason is the refused login" tui_until 5 pane_has "Permission denied"
ok "no ssh is left waiting for a password" tui_until 5 no_ssh_left
tui_keys Down
ok "the interface answers keys" tui_wait "Error" 5
quit
# The same through a report, which leaves ssh free to use a terminal: there is none here.
fails_one_line "--list without a key" "Permission denied" \
    timeout 20 "$BIN" --list -c "$(lab_ssh_uri "$K" "$uri" keyfile=)" </dev/null

# A connection that drops: the sshd and its session end while the interface is open, and come
# back later.
tui_start 200 40 -c "$(lab_ssh_uri "$K" "$uri")"
ok "connected over ssh" tui_wait "vm.qcow2" 30
lab_sshd_stop "$K"
ok "a dropped connection: the host is marked failed" tui_until 30 host_failed || diag "$(tui_screen)"
ok "ssh says why: nothing listens any more" tui_until 5 pane_has "Connection refused"
unlike "$(pane)" "log in with a key" "no advice to log in: the login was never the trouble"
tui_keys Down
ok "the interface answers keys" tui_until 5 pane_has "Domain"
lab_sshd_restart "$K" || bail_out "sshd does not start again"
ok "with sshd back, the host is connected again" tui_wait "vm.qcow2" 30
ok "and marked so" tui_until 5 eval 'tui_screen | tail -n 1 | grep -q "127.0.0.1: connected"'
quit

# An sshd that hangs (SIGSTOP) after taking the TCP connection: ssh waits for it, and so does
# the connection's thread, never the interface.
kill -STOP "$(lab_sshd_pid "$K")"
tui_start 200 40 -c "$(lab_ssh_uri "$K" "$uri")"
ok "a hung sshd: the host is shown not responding" \
    tui_until 15 eval 'tui_screen | tail -n 1 | grep -q "127.0.0.1: not responding"'
tui_keys q
ok "q quits within 3 s all the same" tui_wait "__EXITED__ 0" 3
tui_stop
kill -CONT "$(lab_sshd_pid "$K")"
is "$(admin_ssh)" "$admin_before" "the files in /root/.ssh are as they were"
done_testing
