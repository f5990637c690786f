#!/bin/bash
# Jobs over a libvirtd that is killed and started again (a crash, an upgrade): QEMU keeps running
# the commit while the daemon is gone. A job that ended meanwhile is shown as ended, with the
# outcome its chain shows, and its disk takes a new plan; a job that still runs is followed live
# again, as often as before. The interface is back within seconds of the daemon, however long
# the daemon was away. The same when the daemon hangs (SIGSTOP) past the keepalive and a new
# connection takes the host over. Byte for byte.
. "${top_srcdir:-.}/tests/lab/lab.sh"
. "$top_srcdir/tests/tui/tui-lib.sh"
. "$top_srcdir/tests/tui/merge-lib.sh"
lab_init
tui_init
plan 27
export LANG=C.UTF-8

uri=$(lab_daemon_start "$LAB_TMP/d") || bail_out "no daemon"
I=$LAB_TMP/img
# ended: 8 MiB to commit at 1 MiB/s, done while the daemon is away. going: 12 MiB, still
# running when the daemon is back.
lab_chain --patterns "$I" en-base.qcow2 en-mid.qcow2 en-top.qcow2 >/dev/null || bail_out "chain"
lab_io_write "$I/en-mid.qcow2" 0xd6 50M 8M || bail_out "write"
lab_domain_define "$uri" ended --disk "vda=$I/en-top.qcow2" --running || bail_out "define"
lab_chain --patterns "$I" go-base.qcow2 go-mid.qcow2 go-top.qcow2 >/dev/null || bail_out "chain 2"
lab_io_write "$I/go-mid.qcow2" 0xd7 50M 12M || bail_out "write 2"
lab_domain_define "$uri" going --disk "vda=$I/go-top.qcow2" --running || bail_out "define 2"
lab_chain --patterns "$I" hu-base.qcow2 hu-mid.qcow2 hu-top.qcow2 >/dev/null || bail_out "chain 3"
lab_io_write "$I/hu-mid.qcow2" 0xd8 50M 8M || bail_out "write 3"
lab_domain_define "$uri" hung --disk "vda=$I/hu-top.qcow2" --running || bail_out "define 3"

# The amount copied so far on the job row of WHO ("4.00 MiB" of "4.00 MiB/12.0 MiB").
copied() { tui_line "$1" | grep -oE '[0-9.]+ (B|KiB|MiB|GiB)/[0-9]' | head -n1 | sed 's/[0-9]$//'; }

# Succeeds once the job row of WHO has shown N different amounts copied (sampled every 0.1 s).
SEEN=""
moves() {
    local c
    c=$(copied "$1")
    [ -z "$c" ] || printf '%s\n' "$SEEN" | grep -qxF -- "$c" || SEEN=$(printf '%s\n%s' "$SEEN" "$c")
    [ "$(printf '%s\n' "$SEEN" | grep -c .)" -ge "$2" ]
}

trace=$LAB_TMP/trace
T_ENV="VIRT_SNAPTREE_TRACE=$trace" tui_start 200 40 -c "$uri"
ok "the chains are shown" tui_wait "go-mid.qcow2" 20

# ---- a job that ends while the daemon is away
commit_plan en-mid.qcow2 1
confirm_yes
ok "the commit runs" tui_wait_line "ended/vda" "running" 20
t_kill=$(lab_now)
lab_daemon_kill "$LAB_TMP/d" || bail_out "kill"
ok "QEMU finishes the commit while libvirtd is away" \
    wait_output 60 "en-top.qcow2 en-base.qcow2" file_chain "$I/en-top.qcow2"
# The daemon stays away 35 s: a backoff that doubles up to 30 s (as it did) would then bring the
# interface back up to 30 s after the daemon.
sleep "$(awk -v e="$(lab_elapsed "$t_kill")" 'BEGIN { d = 35 - e; print (d > 0 ? d : 0) }')"
ok "the interface sees the daemon gone" tui_wait_gone "system: connected" 1
uri2=$(lab_daemon_restart "$LAB_TMP/d") || bail_out "restart"
is "$uri2" "$uri" "the daemon is back on its folder, at the same address"
ok "the interface is back within 5 s of the daemon" tui_wait "system: connected" 5
ok "the job is shown completed: its top left the chain" \
    tui_wait_line "ended/vda" "completed" 10
unlike "$(tui_screen)" "jobs? running" "nothing is counted as running"
ok "the tree shows the new chain" tui_wait_gone "en-mid.qcow2" 10
commit_plan en-top.qcow2 0
ok "the disk takes a new plan" tui_wait "Type yes and press Enter" 15
unlike "$(tui_screen)" "A job is already running" "the plan does not call the disk busy"
tui_keys Escape
ok "every byte reads back through the new chain" \
    lab_pattern_verify -d "$uri" ended vda 3 0xd6:50M:8M

# ---- a job that still runs when the daemon is back
commit_plan go-mid.qcow2 1
confirm_yes
ok "the second commit runs" tui_wait_line "going/vda" "running" 20
lab_daemon_kill "$LAB_TMP/d" || bail_out "kill 2"
ok "the loss is seen" tui_wait_gone "system: connected" 10
uri2=$(lab_daemon_restart "$LAB_TMP/d") || bail_out "restart 2"
ok "the interface is back within 5 s" tui_wait "system: connected" 5
ok "the job is followed live again: 5 amounts within 4 s" tui_until 4 moves "going/vda" 5
diag "amounts seen:$SEEN"
ok "it completes" wait_output 60 "go-top.qcow2 go-base.qcow2" live_chain "$uri" going
ok "the panel says so" tui_wait_line "going/vda" "completed" 10
ok "every byte of the second domain reads back" \
    lab_pattern_verify -d "$uri" going vda 3 0xd7:50M:12M

# ---- a job that ends while the daemon hangs past the keepalive
commit_plan hu-mid.qcow2 1
confirm_yes
ok "the third commit runs" tui_wait_line "hung/vda" "running" 20
pid=$(lab_daemon_pid "$LAB_TMP/d")
kill -STOP "$pid"
lab_on_cleanup "kill -CONT $pid 2>/dev/null"
ok "QEMU finishes it while libvirtd hangs" \
    wait_output 60 "hu-top.qcow2 hu-base.qcow2" file_chain "$I/hu-top.qcow2"
took_over() { grep -q "host-lost host=0" "$trace"; }
ok "a new connection takes the host over once keepalive gives up" tui_until 60 took_over
kill -CONT "$pid"
ok "the host is connected again within 5 s" tui_wait_line "system: " "connected" 5
ok "the job is shown completed" tui_wait_line "hung/vda" "completed" 10
commit_plan hu-top.qcow2 0
ok "its disk takes a new plan" tui_wait "Type yes and press Enter" 15
unlike "$(tui_screen)" "A job is already running" "nothing refuses the disk as busy"
tui_keys Escape
ok "every byte of the third domain reads back" \
    lab_pattern_verify -d "$uri" hung vda 3 0xd8:50M:8M
tui_keys q
tui_wait "__EXITED__" 5
done_testing
