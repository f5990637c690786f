#!/bin/bash
# Block statistics never crash a domain that runs a pull. QEMU before 8.2 dies (a segmentation
# fault, the guest gone) when libvirt asks it for block statistics while a pull it ran has ended
# but is not dismissed yet; the interface asks for them on every refresh to see chains other
# tools changed. On such a QEMU the refresh leaves the domain with a job out (the trace says so),
# and each of several pulls, refreshed four times a second, leaves its domain running with every
# byte in place. On QEMU 10.0 the refresh asks about every domain, job or not.
. "${top_srcdir:-.}/tests/lab/lab.sh"
. "$top_srcdir/tests/tui/tui-lib.sh"
. "$top_srcdir/tests/tui/merge-lib.sh"
lab_init
tui_init
ROUNDS=8
plan $((ROUNDS * 3 + 3))
export LANG=C.UTF-8

uri=$(lab_daemon_start "$LAB_TMP/d") || bail_out "no daemon"
qemu=$(lab_virsh "$uri" version | sed -n 's/.*hypervisor: QEMU \([0-9.]*\).*/\1/p')
I=$LAB_TMP/img
for n in $(seq 1 "$ROUNDS"); do
    lab_chain --patterns "$I" "n$n-0.qcow2" "n$n-1.qcow2" "n$n-2.qcow2" "n$n-3.qcow2" >/dev/null ||
        bail_out "chain $n"
    lab_domain_define "$uri" "pl$n" --disk "vda=$I/n$n-3.qcow2" --running || bail_out "define $n"
done
# Another running domain, without a job: its statistics are still asked for.
lab_chain --patterns "$I" q0.qcow2 q1.qcow2 >/dev/null || bail_out "chain q"
lab_domain_define "$uri" quiet --disk "vda=$I/q1.qcow2" --running || bail_out "define quiet"

trace=$LAB_TMP/trace
T_ENV="VIRT_SNAPTREE_TRACE=$trace" tui_start 200 60 -c "$uri" --interval 0.25
ok "the chains are shown" tui_wait "n$ROUNDS-3.qcow2" 20

for n in $(seq 1 "$ROUNDS"); do
    select_node "n$n-3.qcow2"
    tui_keys p
    tui_wait "down to which base?" 5
    tui_keys End Up Enter # none, [2] p1, [3] p0
    ok "pull $n: the plan" tui_wait "virsh blockpull pl$n vda --base $I/n$n-1.qcow2" 10
    confirm_yes
    ok "pull $n: done, the domain still runs" \
        wait_output 30 "n$n-3.qcow2 n$n-1.qcow2 n$n-0.qcow2" live_chain "$uri" "pl$n" ||
        diag "state: $(lab_domain_state "$uri" "pl$n")" \
            "$(tail -n 3 "$(lab_domain_log "$uri" "pl$n")" 2>&1)"
    ok "pull $n: every byte reads back" lab_pattern_verify -d "$uri" "pl$n" vda 4
    # The next refreshes, after the grace, ask about the domain again.
    tui_wait_gone "n$n-2.qcow2" 10 >/dev/null
done

if awk -v v="$qemu" 'BEGIN { split(v, a, "."); exit !(a[1] * 1000 + a[2] < 8002) }'; then
    ok "QEMU $qemu: refreshes during a pull left its domain out" \
        grep -qE "block-stats host=0 asked=[0-9]+ left-out=1" "$trace"
    ok "and still asked about the others" grep -qE "block-stats host=0 asked=[1-9][0-9]* left-out=1" "$trace"
else
    ok "QEMU $qemu: every domain is asked about" eval "! grep -q 'block-stats' '$trace'"
    ok "(nothing left out)" true
fi
tui_keys q
tui_wait "__EXITED__" 5
done_testing
