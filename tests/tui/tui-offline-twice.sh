#!/bin/bash
# Two interfaces confirm the same offline merge (a shut-off domain, qemu-img) at the same
# instant: exactly one helper runs it; the other interface refuses at once, plainly, naming the
# image and the helper that merges it, before anything runs (not with qemu-img's lock error half
# way). The helper started by hand on the same record refuses the same way and leaves the
# record alone. The merge completes; every byte is checked.
. "${top_srcdir:-.}/tests/lab/lab.sh"
. "$top_srcdir/tests/tui/tui-lib.sh"
. "$top_srcdir/tests/tui/merge-lib.sh"
lab_init
# The lock and the helpers are this machine's whatever the daemon; on the trixie lab the two
# confirmations were not seen to overlap (the first merge ended before the second began), and
# the checks after them assume they did: known, left open in the two-stack issue.
lab_stack_only bookworm "the lock is client-side; on trixie the two confirmations did not overlap, which the later checks assume"
tui_init
plan 15
export LANG=C.UTF-8

uri=$(lab_daemon_start "$LAB_TMP/d") || bail_out "no daemon"
I=$LAB_TMP/img
lab_chain --patterns "$I" tw-base.qcow2 tw-mid.qcow2 tw-top.qcow2 >/dev/null || bail_out "chain"
lab_io_write "$I/tw-mid.qcow2" 0xd7 8M 12M || bail_out "write"
lab_domain_define "$uri" twice --disk "vda=$I/tw-top.qcow2" --shutoff || bail_out "define"
J=$XDG_RUNTIME_DIR/virt-snaptree/jobs
REFUSAL="$I/tw-base.qcow2 is being merged by another virt-snaptree \(pid [0-9]+, started [0-9]{2}:[0-9]{2}\)"

# Both instances share the records folder, as two logins of one admin do.
tui_start 200 40 -c "$uri"
T_SESSION=u tui_start 200 40 -c "$uri"
wait_in() { T_SESSION=$1 tui_wait "$2" "$3"; }
for s in t u; do
    ok "instance $s shows the chain" wait_in "$s" "tw-mid.qcow2" 20
done
for s in t u; do
    T_SESSION=$s commit_plan tw-mid.qcow2 1
    T_SESSION=$s tui_wait "Type yes and press Enter" 10 || bail_out "no plan in $s"
    T_SESSION=$s tui_type yes
done
# The same instant: one tmux command presses Enter in both.
tmux -S "$T_SOCK" send-keys -t t Enter \; send-keys -t u Enter

started() { T_SESSION=$1 tui_screen | grep -q "offline merge of twice/vda started"; }
refused() { T_SESSION=$1 tui_screen | tr -s ' \n' ' ' | grep -Eq "$REFUSAL"; }
answered() { { started t || refused t; } && { started u || refused u; }; }
ok "both instances answer" tui_until 20 answered ||
    diag "$(T_SESSION=t tui_screen)" "$(T_SESSION=u tui_screen)"
if started t; then runs=t other=u; else runs=u other=t; fi
ok "one instance started the merge ($runs)" started "$runs"
ok "the other refused it, naming the image and the helper" refused "$other" ||
    diag "$(T_SESSION=$other tui_screen)"
unlike "$(T_SESSION=$other tui_screen)" "offline merge of twice/vda started" "and started nothing"
unlike "$(T_SESSION=$other tui_screen)" "qemu-img" "no word from qemu-img"
records=("$J"/*.job)
is "${#records[@]}" 1 "one job record"
rec=${records[0]}
hp=$(sed -n 's/^pid=//p' "$rec")
like "$(T_SESSION=$other tui_screen | tr -s ' \n' ' ')" "\(pid $hp, started" \
    "the pid named is the helper's, as its record says"
is "$(pgrep -fc "qemu-img commit .*$I/tw-mid.qcow2")" 1 "one qemu-img runs"

# The helper started by hand on the same record.
before=$(sed -n 's/^pid=//p' "$rec")
out=$("$BIN" --offline-job "$rec" 2>&1 >/dev/null)
is "$?" 3 "the helper started twice refuses (status 3)"
like "$out" "^$REFUSAL\$" "saying why in the same words"
is "$(sed -n 's/^pid=//p' "$rec")" "$before" "and leaves the record to the helper that runs"

ok "the merge completes" wait_output 60 "tw-top.qcow2 tw-base.qcow2" file_chain "$I/tw-top.qcow2"
ok "every byte reads back through the new chain" lab_pattern_verify "$I/tw-top.qcow2" 3 0xd7:8M:12M
tui_keys q
T_SESSION=u tui_keys q
tui_wait "__EXITED__" 5
done_testing
