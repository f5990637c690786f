#!/bin/bash
# Jobs the interface did not start, and active commits that reach READY. A commit started with
# virsh before the interface is found at start and followed to its end; an active commit that
# becomes ready while the admin types "yes" on another plan is announced in the status line and
# never takes that Enter; P offers the choice with Enter and Esc leaving the job ready, and only
# p pivots; an active commit already ready at start is offered the same way and k keeps its
# overlay. Every chain and every byte is checked.
. "${top_srcdir:-.}/tests/lab/lab.sh"
. "$top_srcdir/tests/tui/tui-lib.sh"
. "$top_srcdir/tests/tui/merge-lib.sh"
lab_init
tui_init
plan 32
export LANG=C.UTF-8

uri=$(lab_daemon_start "$LAB_TMP/d") || bail_out "no daemon"
F=$LAB_TMP/fnd A=$LAB_TMP/act O=$LAB_TMP/oth
lab_chain --patterns "$F" fnd-base.qcow2 fnd-mid.qcow2 fnd-top.qcow2 >/dev/null || bail_out "chain"
lab_io_write "$F/fnd-mid.qcow2" 0xd3 50M 6M || bail_out "write"
lab_chain --patterns "$A" act-base.qcow2 act-top.qcow2 >/dev/null || bail_out "chain"
lab_io_write "$A/act-top.qcow2" 0xd4 50M 4M || bail_out "write"
lab_chain --patterns "$O" oth-base.qcow2 oth-mid.qcow2 oth-top.qcow2 >/dev/null || bail_out "chain"
for vm in fnd act oth; do
    lab_domain_define "$uri" "$vm" --disk "vda=$LAB_TMP/$vm/$vm-top.qcow2" --running ||
        bail_out "define $vm"
done

job_info() { lab_virsh "$uri" blockjob "$1" vda --info 2>&1; }
is_ready() { job_info "$1" | grep -q "Active Block Commit: \[100 %\]"; }
no_job() { job_info "$1" | grep -q "No current block job"; }

# 1. A commit started with virsh before the interface: found at start, followed to its end.
lab_virsh "$uri" blockcommit fnd vda --top "$F/fnd-mid.qcow2" --base "$F/fnd-base.qcow2" \
    --bandwidth 1 >/dev/null || bail_out "virsh blockcommit"
tui_start 130 45 -c "$uri"
ok "the interface finds the virsh job at start" tui_wait_line "fnd/vda" "running" 20
ok "the job completes" wait_output 60 "fnd-top.qcow2 fnd-base.qcow2" live_chain "$uri" fnd
ok "the panel shows it completed" tui_wait_line "fnd/vda" "completed" 15
ok "the tree shows the new chain by itself" tui_wait_gone "fnd-mid.qcow2" 15
ok "every byte of fnd reads back" lab_pattern_verify -d "$uri" fnd vda 3 0xd3:50M:6M

# 2. While the admin types yes on oth's plan, act's active commit (virsh) becomes ready.
select_node "oth-mid.qcow2"
tui_keys c
tui_wait "down into which layer?" 5
tui_keys Enter
ok "oth's plan is shown" tui_wait "Type yes and press Enter" 10
tui_type "ye"
lab_virsh "$uri" blockcommit act vda --active --base "$A/act-base.qcow2" >/dev/null ||
    bail_out "virsh blockcommit --active"
ok "act's commit is ready" wait_true 60 is_ready act
ok "the status line announces it under the plan" tui_wait "vda of act ready: P to pivot/keep" 20
like "$(tui_screen)" "Commit oth-mid.qcow2 into oth-base.qcow2" "the plan stays in front"
unlike "$(tui_screen)" "is ready" "no pivot offer is pushed over the plan"
tui_type "s"
tui_keys Enter
ok "yes and Enter start oth's commit" \
    wait_output 30 "oth-top.qcow2 oth-base.qcow2" live_chain "$uri" oth
ok "every byte of oth reads back" lab_pattern_verify -d "$uri" oth vda 3
ok "act's job is still ready: the Enter was not taken as pivot" is_ready act
is "$(lab_disk_source "$uri" act vda)" "$A/act-top.qcow2" "act still runs on its top layer"

# 3. P offers the choice; Enter and Esc leave the job ready, p pivots.
select_node "oth-top.qcow2"
tui_keys P
ok "P opens the choice for the job the status line names" tui_wait "Active commit of act/vda is ready" 10
like "$(tui_screen)" "p  Pivot: the disk then runs on act-base.qcow2" \
    "the base comes from the live XML's mirror (virsh started the job)"
like "$(tui_screen)" "k  Keep the overlay: abort without pivot; the disk stays on act-top.qcow2" \
    "the top layer comes from the chain"
like "$(tui_screen)" "Enter or Esc: l" "Enter and Esc leave it ready"
tui_keys Enter
ok "Enter leaves it ready" tui_wait "left ready" 5
ok "the job is still ready after Enter" is_ready act
tui_keys P
tui_wait "Active commit of act/vda is ready" 10
tui_keys Escape
ok "Esc closes the choice" tui_wait_gone "Active commit of act/vda is ready" 5
ok "the job is still ready after Esc" is_ready act
tui_keys P
tui_wait "Active commit of act/vda is ready" 10
tui_keys p
ok "p pivots act onto its base" wait_output 30 "act-base.qcow2" live_chain "$uri" act
ok "every byte of act reads back from the base" lab_pattern_verify -d "$uri" act vda 2 0xd4:50M:4M
ok "the notice is gone once nothing is ready" tui_wait_gone "P to pivot/keep" 15
tui_keys q
tui_wait "__EXITED__" 5
tui_stop

# 4. An active commit already ready when the interface starts: offered, and k keeps the overlay.
lab_io_write -d "$uri" fnd vda 0xd5 56M 1M || bail_out "write"
lab_virsh "$uri" blockcommit fnd vda --active --base "$F/fnd-base.qcow2" >/dev/null ||
    bail_out "virsh blockcommit --active"
wait_true 60 is_ready fnd || bail_out "not ready"
tui_start 130 45 -c "$uri"
ok "a ready job found at start is announced" tui_wait "vda of fnd ready: P to pivot/keep" 20
tui_keys P
ok "P offers pivot or keep for it" tui_wait "Active commit of fnd/vda is ready" 10
like "$(tui_screen)" "p  Pivot: the disk then runs on fnd-base.qcow2" "naming its base"
like "$(tui_screen)" "k  Keep the overlay: abort without pivot; the disk stays on fnd-top.qcow2" \
    "and its top layer"
tui_keys k
ok "k ends the job" wait_true 30 no_job fnd
is "$(live_chain "$uri" fnd)" "fnd-top.qcow2 fnd-base.qcow2" "the disk stays on its overlay"
ok "every byte of fnd reads back" lab_pattern_verify -d "$uri" fnd vda 3 0xd3:50M:6M 0xd5:56M:1M
tui_keys q
tui_wait "__EXITED__" 5
done_testing
