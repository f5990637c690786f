#!/bin/bash
# Quitting while the host hangs, over qemu+ssh:// (the lab's own sshd): the sshd processes of the
# program's sessions are stopped (SIGSTOP) after it connected, so that closing its connections
# never gets an answer. q must end the program within two seconds all the same, and no ssh it
# started may outlive it: an ssh left waiting on a hung host waits for ever.
. "${top_srcdir:-.}/tests/lab/lab.sh"
. "$top_srcdir/tests/lab/ssh-lib.sh"
. "$top_srcdir/tests/tui/tui-lib.sh"
lab_init
lab_ssh_need
tui_init
plan 6
export LANG=C.UTF-8

uri=$(lab_daemon_start "$LAB_TMP/d") || bail_out "no daemon"
K=$LAB_TMP/ssh
lab_sshd_start "$K" || bail_out "no sshd"
lab_chain "$LAB_TMP/img" vm.qcow2 >/dev/null || bail_out "image"
lab_domain_define "$uri" vm --disk "vda=$LAB_TMP/img/vm.qcow2" || bail_out "define"

# Every process of the sshd's sessions (each session's monitor, its child and the command).
session_tree() {
    local p
    for p in "$@"; do
        echo "$p"
        session_tree $(pgrep -P "$p")
    done
}
stopped="" sshs=""
# Whatever the outcome, the sessions go on and an ssh left behind is ended (by pid) at cleanup.
resume() {
    local p
    for p in $stopped; do kill -CONT "$p" 2>/dev/null; done
    for p in $sshs; do lab__alive "$p" && kill -KILL "$p" 2>/dev/null; done
    true
}
lab_on_cleanup resume

tui_start 200 40 -c "$(lab_ssh_uri "$K" "$uri")"
ok "connected over ssh" tui_wait "vm.qcow2" 30 || diag "$(tui_screen)"
pid=$(tui_pid)
sshs=$(pgrep -P "$pid" -x ssh | tr '\n' ' ')
like "$sshs" "[0-9]" "the program runs ssh (libvirt's transport)"
stopped=$(session_tree $(lab_sshd_sessions "$K") | tr '\n' ' ')
like "$stopped" "[0-9]" "the sshd has sessions"
# shellcheck disable=SC2086 # one pid a word
kill -STOP $stopped 2>/dev/null
start=$(lab_now)
tui_keys q
ok "q ends the program" tui_until 10 eval '! lab__alive "$pid"'
took=$(lab_elapsed "$start")
ok "within 2 s (took $took s)" \
    awk -v t="$took" 'BEGIN { exit !(t < 2) }'
left=""
for p in $sshs; do lab__alive "$p" && left+="$p "; done
is "$left" "" "no ssh the program started is left running"
tui_stop
done_testing
