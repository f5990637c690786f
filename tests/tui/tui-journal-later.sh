#!/bin/bash
# A merge's journal entry says "started" while its job runs; when the interface ends first
# (SIGHUP: a dropped SSH session), the next start completes it from what can be known, marked as
# completed by that later run: --journal from the chain (a commit that completed, one aborted
# meanwhile: not known whether failed or cancelled), leaving jobs still running alone; a new
# interface from an offline merge's record (with its duration and data moved) and, for a job
# still running, from the job's end it then sees. Field by field, and byte for byte.
. "${top_srcdir:-.}/tests/lab/lab.sh"
. "$top_srcdir/tests/tui/tui-lib.sh"
. "$top_srcdir/tests/tui/merge-lib.sh"
lab_init
tui_init
plan 49
export LANG=C.UTF-8

uri=$(lab_daemon_start "$LAB_TMP/d") || bail_out "no daemon"
# vm1 completes while no interface runs, vm3 is aborted then, vm2 runs on into a new interface;
# cold is shut off: an offline commit, which ends while no interface runs.
for vm in vm1 vm2 vm3 cold; do
    I=$LAB_TMP/$vm
    lab_chain --patterns "$I" "$vm-base.qcow2" "$vm-mid.qcow2" "$vm-top.qcow2" >/dev/null ||
        bail_out "chain"
    state=--running
    [ $vm = cold ] && state=--shutoff
    # Started in the order cold, vm2, vm3, vm1 at 1 MiB/s: vm1 ends first, after the interface.
    case $vm in
    vm2) mib=40 ;;
    cold) mib=24 ;;
    *) mib=12 ;;
    esac
    lab_io_write "$I/$vm-mid.qcow2" 0xd3 4M "${mib}M" || bail_out "write"
    lab_domain_define "$uri" $vm --disk "vda=$I/$vm-top.qcow2" $state || bail_out "define"
done
JR=$XDG_STATE_HOME/virt-snaptree/journal
entry() { find "$JR" -path "*/$1/*-commit.json" | head -n1; }
# A field of domain $1's entry (jq path $2), raw.
field() { jq -r "$2" "$(entry "$1")"; }
outcome() { field "$1" .after.outcome; }
# The chain an entry recorded after, as file names (top first).
after_chain() { field "$1" '[.after.chains[] | select(.disk == "vda") | .layers[].path] | join(" ")' |
    tr ' ' '\n' | xargs -n1 basename | tr '\n' ' ' | sed 's/ $//'; }
block_job_gone() { ! lab_virsh "$uri" blockjob "$1" vda --info 2>&1 | grep -q "Block Commit"; }
record_done() { grep -qx 'phase=completed' "$XDG_RUNTIME_DIR"/virt-snaptree/jobs/*.job; }

tui_start 200 50 -c "$uri"
ok "the chains are shown" tui_wait "cold-mid.qcow2" 20
for vm in cold vm2 vm3 vm1; do
    commit_plan "$vm-mid.qcow2" 1
    confirm_yes
    tui_wait_line "$vm/vda" "running" 20 || echo "# $vm's commit did not show running"
done
ok "all four run" tui_wait_line "vm1/vda" "running" 5
is "$(outcome vm1)" started "the entry says started while the job runs"
kill -HUP "$(tui_pid)"
ok "SIGHUP ends the interface" tui_wait "__EXITED__ 129" 5
tui_stop
t_gone=$(date +%s)
lab_virsh "$uri" blockjob vm3 vda --abort >/dev/null || bail_out "abort vm3"
ok "vm1's job completes with no interface" \
    wait_output 60 "vm1-top.qcow2 vm1-base.qcow2" live_chain "$uri" vm1
ok "vm3's job is gone" wait_true 20 block_job_gone vm3
is "$(outcome vm1)" started "vm1's entry still says started"

# ---- --journal: completes what the chain tells ----
out=$("$BIN" --journal -c "$uri" 2>&1)
like "$out" "commit  vm1 .* completed" "--journal prints vm1's merge as completed"
is "$(outcome vm1)" completed "vm1: outcome completed, from the chain"
is "$(field vm1 .after.ok)" true "vm1: ok"
like "$(field vm1 .after.message)" "the chain is the one the plan leads to" "vm1: the message says how it is known"
is "$(field vm1 '.after.duration')" null "vm1: duration not known (no interface saw the end)"
is "$(field vm1 '.after.finished')" null "vm1: nor the end's time"
is "$(field vm1 '.after.bytes_moved')" null "vm1: nor the data moved"
is "$(field vm1 .after.completed_by.from)" chain "vm1: completed from the chain"
is "$(field vm1 .after.completed_by.user)" "$(id -un)" "vm1: by this user"
is "$(field vm1 .after.completed_by.uid)" "$(id -u)" "vm1: uid"
at=$(field vm1 .after.completed_by.at_unix)
ok "vm1: at the later run's time" test "$at" -ge "$t_gone" -a "$at" -le "$(date +%s)"
is "$(field vm1 .after.completed_by.at)" "$(date -u -d "@$at" +%Y-%m-%dT%H:%M:%SZ)" "vm1: at, as UTC ISO 8601"
is "$(after_chain vm1)" "vm1-top.qcow2 vm1-base.qcow2" "vm1: the chain as it became"
is "$(field vm1 '.after.chains[0].layers[0].backing_name')" "vm1-base.qcow2" \
    "vm1: the top's backing name as written in its header"
like "$out" "completed by a later run: $(id -un)" "the text says who completed it later"
is "$(outcome vm3)" unknown "vm3 (aborted): outcome unknown"
is "$(field vm3 .after.ok)" false "vm3: not ok"
like "$(field vm3 .after.message)" "the chain is as it was: the merge did not complete, but whether it failed or was cancelled is not known" \
    "vm3: the message says why it is not known"
is "$(after_chain vm3)" "vm3-top.qcow2 vm3-mid.qcow2 vm3-base.qcow2" "vm3: the chain as it stayed"
is "$(outcome vm2)" started "vm2's job runs on: its entry is left as it is"
if record_done; then
    skip "cold's merge already ended (a slow machine)" 1
else
    is "$(outcome cold)" started "cold's offline merge runs on: its entry is left as it is"
fi

# ---- a new interface: an offline record, and a job that still runs ----
ok "cold's offline merge completes" wait_true 60 record_done
ok "vm2's job still runs" lab_virsh "$uri" blockjob vm2 vda --info
tui_start 200 50 -c "$uri"
ok "the new interface shows vm2's job" tui_wait_line "vm2/vda" "commit" 20
ok "it completes cold's entry" wait_output 20 completed outcome cold
is "$(field cold .after.ok)" true "cold: ok"
is "$(field cold .after.completed_by.from)" "job record" "cold: from the offline merge's record"
rec=$(ls "$XDG_RUNTIME_DIR"/virt-snaptree/jobs/*.job)
ended=$(sed -n 's/^ended=//p' "$rec")
d=$(field cold .after.duration)
ok "cold: the duration runs from the entry's start to the record's end ($d s)" \
    awk -v d="$d" -v e="$ended" -v s="$(field cold .started_unix)" \
    'BEGIN { x = d - (e - s); exit !(x > -0.05 && x < 0.05) }'
is "$(field cold .after.finished)" "$(date -u -d "@${ended%.*}" +%Y-%m-%dT%H:%M:%SZ)" \
    "cold: finished when the record says"
ok "cold: the data moved (24 MiB or more)" test "$(field cold .after.bytes_moved)" -ge $((24 << 20))
is "$(after_chain cold)" "cold-top.qcow2 cold-base.qcow2" "cold: the chain as it became"
is "$(outcome vm2)" started "vm2: still started while its job runs"
ok "vm2's job completes" wait_output 90 "vm2-top.qcow2 vm2-base.qcow2" live_chain "$uri" vm2
ok "the interface completes vm2's entry at the job's end" wait_output 20 completed outcome vm2
is "$(field vm2 .after.completed_by.from)" "job end" "vm2: from the job's end, seen"
d=$(field vm2 .after.duration)
ok "vm2: its duration counts from the entry's start ($d s)" \
    awk -v d="$d" 'BEGIN { exit !(d >= 30 && d < 300) }'
is "$(after_chain vm2)" "vm2-top.qcow2 vm2-base.qcow2" "vm2: the chain as it became"
is "$(field vm1 .after.completed_by.from)" chain "vm1's entry is not completed twice"
tui_keys q
tui_wait "__EXITED__" 5

ok "every byte of vm1 reads back" lab_pattern_verify -d "$uri" vm1 vda 3 0xd3:4M:12M
ok "every byte of vm2" lab_pattern_verify -d "$uri" vm2 vda 3 0xd3:4M:40M
ok "every byte of vm3 (aborted: the chain as it was)" lab_pattern_verify -d "$uri" vm3 vda 3 0xd3:4M:12M
ok "every byte of cold" lab_pattern_verify "$LAB_TMP/cold/cold-top.qcow2" 3 0xd3:4M:24M
done_testing
