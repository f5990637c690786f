#!/bin/bash
# Two interfaces confirm the same offline merge (a shut-off domain, qemu-img), the second before
# it has seen the first one's (as two confirmations at the same instant have not): exactly one
# helper runs it; the other interface refuses at once, plainly, naming the image and the helper
# that merges it, before anything runs (not with qemu-img's lock error half way). The helper
# started by hand on the same record refuses the same way and leaves the record alone. The merge
# completes; every byte is checked.
#
# The order is the test's own: the second interface refreshes once an hour, so it plans and
# confirms without knowing of the first merge whenever its Enter comes; the first merge's helper
# (and the qemu-img commit it leads) is stopped with SIGSTOP once its copy has begun (at 1 MiB/s
# the 12 MiB take 12 s: it is found well before they end) and continued after the second
# confirmed, so that the merge holds its lock however fast the machine copies.
. "${top_srcdir:-.}/tests/lab/lab.sh"
. "$top_srcdir/tests/tui/tui-lib.sh"
. "$top_srcdir/tests/tui/merge-lib.sh"
lab_init
tui_init
plan 18
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
T_SESSION=u tui_start 200 40 -c "$uri" --interval 3600
wait_in() { T_SESSION=$1 tui_wait "$2" "$3"; }
for s in t u; do
    ok "instance $s shows the chain" wait_in "$s" "tw-mid.qcow2" 20
done
for s in t u; do
    T_SESSION=$s commit_plan tw-mid.qcow2 1
    T_SESSION=$s tui_wait "Type yes and press Enter" 10 || bail_out "no plan in $s"
    T_SESSION=$s tui_type yes
done

started() { T_SESSION=$1 tui_screen | grep -q "offline merge of twice/vda started"; }
refused() { T_SESSION=$1 tui_screen | tr -s ' \n' ' ' | grep -Eq "$REFUSAL"; }
# The helper's pid, once its record names it (it leads its session: it and its qemu-img).
helper_pid() {
    local r
    r=$(compgen -G "$J/*.job" | head -n 1)
    [ -n "$r" ] && sed -n 's/^pid=\([1-9][0-9]*\)$/\1/p' "$r" | grep .
}
# The copy itself has begun (the helper checks both images with qemu-img first).
copying() { pgrep -f "qemu-img commit .*$I/tw-mid.qcow2" >/dev/null; }
held() { # PID: stopped, and its record says it still runs
    [ "$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null)" = T ] &&
        grep -qx 'phase=running' "$(compgen -G "$J/*.job" | head -n 1)"
}

# The prompt shows what was typed: the plan is open and its word complete when Enter comes.
waits_for_yes() { T_SESSION=$1 tui_screen | grep -q "Esc cancels: yes"; }
ok "instance t's plan waits, yes typed" waits_for_yes t || diag "$(tui_screen)"
tui_keys Enter
ok "instance t starts the merge" tui_until 20 started t || diag "$(tui_screen)"
tui_until 10 helper_pid >/dev/null || bail_out "no helper pid in the record"
hp=$(helper_pid)
tui_until 10 copying || bail_out "the helper's qemu-img commit did not start"
lab_on_cleanup "kill -CONT -- -$hp 2>/dev/null"
kill -STOP -- "-$hp"
ok "its helper is held before the merge ends" tui_until 5 held "$hp"
unlike "$(T_SESSION=u tui_screen)" "offline commit|A job is already running" \
    "instance u has not seen that merge"
ok "its plan still waits, yes typed" waits_for_yes u || diag "$(T_SESSION=u tui_screen)"

T_SESSION=u tui_keys Enter
ok "instance u refuses, naming the image and the helper" tui_until 20 refused u ||
    diag "$(T_SESSION=u tui_screen)"
unlike "$(T_SESSION=u tui_screen)" "offline merge of twice/vda started" "and started nothing"
unlike "$(T_SESSION=u tui_screen)" "qemu-img" "no word from qemu-img"
records=("$J"/*.job)
is "${#records[@]}" 1 "one job record"
rec=${records[0]}
like "$(T_SESSION=u tui_screen | tr -s ' \n' ' ')" "\(pid $hp, started" \
    "the pid named is the helper's, as its record says"
is "$(pgrep -fc "qemu-img commit .*$I/tw-mid.qcow2")" 1 "one qemu-img runs"

# The helper started by hand on the same record.
out=$("$BIN" --offline-job "$rec" 2>&1 >/dev/null)
is "$?" 3 "the helper started twice refuses (status 3)"
like "$out" "^$REFUSAL\$" "saying why in the same words"
is "$(sed -n 's/^pid=//p' "$rec")" "$hp" "and leaves the record to the helper that runs"

kill -CONT -- "-$hp"
ok "the merge completes" wait_output 60 "tw-top.qcow2 tw-base.qcow2" file_chain "$I/tw-top.qcow2"
ok "every byte reads back through the new chain" lab_pattern_verify "$I/tw-top.qcow2" 3 0xd7:8M:12M
tui_keys q
T_SESSION=u tui_keys q
tui_wait "__EXITED__" 5
done_testing
