#!/bin/bash
# Commit through the interface on a real libvirtd, every result checked byte for byte: the
# article's "merge snapshots 2-3 into 1", an active commit with pivot and with keep, an abort in
# the middle of a bandwidth-limited commit, and a commit into a shared base refused.
. "${top_srcdir:-.}/tests/lab/lab.sh"
. "$top_srcdir/tests/tui/tui-lib.sh"
. "$top_srcdir/tests/tui/merge-lib.sh"
lab_init
tui_init
plan 48
export LANG=C.UTF-8

uri=$(lab_daemon_start "$LAB_TMP/d") || bail_out "no daemon"
A=$LAB_TMP/art
lab_article_chain "$uri" "$A" running || bail_out "article chain"
lab_shared_base "$uri" "$LAB_TMP/sh" running || bail_out "shared base"
B=$LAB_TMP/ab
lab_chain --patterns "$B" ab-base.qcow2 ab-mid.qcow2 ab-top.qcow2 >/dev/null || bail_out "chain"
lab_io_write "$B/ab-mid.qcow2" 0xd3 8M 8M || bail_out "write"
lab_domain_define "$uri" ab --disk "vda=$B/ab-top.qcow2" --running || bail_out "define"
# The job on DOM's vda, as libvirt counts it: "CUR END".
job_bytes() { lab_virsh "$uri" blockjob "$1" vda --raw 2>/dev/null |
    sed -n 's/^ *\(cur\|end\)=//p' | tr '\n' ' ' | sed 's/ $//'; }
# Part way: something done and short of the end. (A rate-limited active commit counts nearly
# all at once and reaches the end only when READY: there, short of the end means not ready.)
part_way() { local b; b=($(job_bytes "$1")); [ "${#b[@]}" = 2 ] && [ "${b[0]}" -gt 0 ] &&
    [ "${b[0]}" -lt "${b[1]}" ]; }
golden_sum=$(sha256sum <"$LAB_TMP/sh/golden.qcow2")
tui_start 130 45 -c "$uri"
ok "the article's chain is shown" tui_wait "test2_lsof" 20

# 1. The article: select test2_net-tools, press c, pick test2_test.
select_node "net-tools.qcow2"
tui_keys c
# (The size between is what the file occupies, which depends on the file system.)
ok "c opens the base picker, the layer directly below first" \
    tui_wait_line "test2_nmap.qcow2  qcow2  " "(directly below)" 5
tui_keys Down Enter
ok "the plan screen opens" tui_wait "Commit test2_net-tools.qcow2 into test2_test.qcow2" 10
s=$(tui_screen)
like "$s" "Files that leave the chain" "the plan lists the files that leave the chain"
like "$s" "test2_nmap.qcow2" "test2_nmap is among them"
like "$s" "virsh equivalent: virsh blockcommit test2 vda --base $A/test2_test.qcow2" \
    "the plan shows the equivalent virsh command"
like "$s" "Snapshots nmap, net-tools" "the plan warns about the snapshots whose point in time is lost"
tui_type "no"; tui_keys Enter
ok "anything but yes does not start" tui_wait "type yes (the whole word) to start" 5
is "$(live_chain "$uri" test2)" "test2_lsof.qcow2 test2_net-tools.qcow2 test2_nmap.qcow2 test2_test.qcow2 test2.qcow2 centos.qcow2" \
    "nothing changed yet"
confirm_yes
ok "the tree shows the new chain without a refresh key" \
    wait_output 30 "test2_lsof.qcow2 test2_test.qcow2 test2.qcow2 centos.qcow2" live_chain "$uri" test2
ok "the interface shows it too" tui_wait_gone "test2_nmap.qcow2" 10
ok "every layer's data reads back through the new chain" lab_pattern_verify -d "$uri" test2 vda 6

# 2. Active commit with pivot: the active layer down into test2.qcow2.
select_node "test2_lsof.qcow2"
tui_keys c
tui_wait "Commit test2_lsof.qcow2 down into which layer?" 5
tui_keys Down Enter
ok "an active commit plan" tui_wait "READY" 10
confirm_yes
ok "when READY the status line says so" tui_wait "vda of test2 ready: P to pivot/keep" 60
tui_keys P
ok "P offers pivot or keep" tui_wait "is ready" 10
like "$(tui_screen)" "p  Pivot: the disk then runs on test2.qcow2" "pivot is explained"
like "$(tui_screen)" "k  Keep the overlay: abort without pivot; the disk stays on test2_lsof.qcow2" \
    "keep is explained"
tui_keys p
ok "after pivot the disk runs on test2.qcow2" \
    wait_output 30 "test2.qcow2 centos.qcow2" live_chain "$uri" test2
ok "every layer's data reads back after the pivot" lab_pattern_verify -d "$uri" test2 vda 6

# 3. Active commit with keep: a new overlay on top, committed, then kept.
lab_snapshot_external "$uri" test2 again vda "$A/test2_again.qcow2" >/dev/null ||
    bail_out "snapshot"
lab_pattern_layer -d "$uri" test2 vda 6 || bail_out "pattern"
ok "a new active layer on top" wait_output 10 "test2_again.qcow2 test2.qcow2 centos.qcow2" \
    live_chain "$uri" test2
# No event announces a snapshot taken elsewhere: the periodic refresh shows it.
ok "the interface shows it within the refresh interval" tui_wait "test2_again.qcow2 ◀ you are here" 10
select_node "test2_again.qcow2"
tui_keys c
tui_wait "down into which layer?" 5
tui_keys Enter
confirm_yes
tui_wait "vda of test2 ready: P to pivot/keep" 60
tui_keys P
tui_wait "is ready" 10
tui_keys k
ok "keep leaves the disk on its overlay" tui_wait "job on test2/vda cancelled" 20
is "$(live_chain "$uri" test2)" "test2_again.qcow2 test2.qcow2 centos.qcow2" "the chain is as before"
ok "and the data is intact" lab_pattern_verify -d "$uri" test2 vda 7

# 4. Abort in the middle of a bandwidth-limited commit.
lab_io_write -d "$uri" test2 vda 0xd1 50M 12M || bail_out "write"
commit_plan "test2_again.qcow2" 2
ok "the plan shows the limit" tui_wait "3  bandwidth limit: 2 MiB/s" 5
confirm_yes
# The job's own line, not the domain's "running" (which is always on the screen).
ok "the job runs" tui_wait_line "active commit" "running" 20
s=$(tui_screen) # one screen: the two figures of one moment
disk_pct=$(grep -F "▾ vda" <<<"$s" | grep -o '[0-9]*%' | head -n1)
panel_pct=$(grep -F "test2/vda" <<<"$s" | grep -o '[0-9]*%' | head -n1)
is "$disk_pct" "$panel_pct" "the disk's line and the panel show the same percent"
select_node "test2_again.qcow2"
tui_keys b
ok "b asks for the job's new bandwidth" tui_wait "MiB/s (0 = unlimited)" 5
# Slower, not faster: the rest of the test must come before the commit is READY, also on a
# loaded machine.
tui_keys C-u; tui_type 1; tui_keys Enter
ok "the interface confirms the change" tui_wait "set to 1 MiB/s" 10
like "$(lab_virsh "$uri" blockjob test2 vda --raw 2>&1)" "bandwidth=1$" \
    "libvirt runs the job at 1 MiB/s now"
select_node "test2_again.qcow2"
ok "the job is part way ($(job_bytes test2))" part_way test2
tui_keys a
ok "a asks before aborting" tui_wait "Abort the job?" 5
tui_keys Down Enter
ok "the job is cancelled" tui_wait "cancelled" 20
is "$(live_chain "$uri" test2)" "test2_again.qcow2 test2.qcow2 centos.qcow2" \
    "the chain is as before the abort"
ok "every byte reads back as before" lab_pattern_verify -d "$uri" test2 vda 7 0xd1:50M:12M

# 4b. The same for a commit below the active layer; first, a yes typed for a plan that then
# changes is not a yes for the new one.
select_node "ab-mid.qcow2"
tui_keys c
tui_wait "down into which layer?" 5
tui_keys Enter
tui_wait "Type yes and press Enter" 10
tui_type yes
tui_keys 3
tui_wait "MiB/s (0 = unlimited)" 5
tui_keys C-u; tui_type 1; tui_keys Enter
ok "the changed plan shows the limit" tui_wait "3  bandwidth limit: 1 MiB/s" 5
like "$(tui_line "Type yes and press Enter")" "cancels: +│" "and the yes typed before is gone"
tui_keys Enter
ok "Enter alone does not start it" tui_wait "type yes (the whole word) to start" 5
is "$(job_bytes ab)" "" "no job runs"
confirm_yes
ok "the commit runs" tui_wait_line "ab/vda" "running" 20
select_node "ab-mid.qcow2"
ok "the job is part way ($(job_bytes ab))" part_way ab
tui_keys a
ok "a asks before aborting" tui_wait "Abort the job?" 5
tui_keys Down Enter
ok "the job is cancelled" tui_wait_line "ab/vda" "cancelled" 20
is "$(live_chain "$uri" ab)" "ab-top.qcow2 ab-mid.qcow2 ab-base.qcow2" "the chain is as before"
ok "every byte reads back as before" lab_pattern_verify -d "$uri" ab vda 3 0xd3:8M:8M

# 5. A commit into a base shared by two domains is refused, naming the other domain.
select_node "vm1.qcow2"
tui_keys c
tui_wait "down into which layer?" 5
tui_keys Enter
ok "the plan is refused" tui_wait "This plan is refused" 10
like "$(tui_screen)" "REFUSED: .*vm2" "the refusal names vm2"
tui_keys Escape
is "$(sha256sum <"$LAB_TMP/sh/golden.qcow2")" "$golden_sum" "the golden image is unchanged"
tui_keys q
tui_wait "__EXITED__" 5
done_testing
