#!/bin/bash
# Offline merges (a shut-off domain on this machine, qemu-img) belong to a detached helper, not
# to the terminal: the interface is killed with SIGHUP in the middle of a rate-limited commit,
# and qemu-img, the rebase of the layer above (or the new domain definition) and the removal of
# the merged files all still happen; a new interface shows the job running and how it ended.
# A helper that dies is reported as such. Every chain, header and byte is checked.
. "${top_srcdir:-.}/tests/lab/lab.sh"
. "$top_srcdir/tests/tui/tui-lib.sh"
. "$top_srcdir/tests/tui/merge-lib.sh"
lab_init
tui_init
plan 32
export LANG=C.UTF-8

uri=$(lab_daemon_start "$LAB_TMP/d") || bail_out "no daemon"
I=$LAB_TMP/img
lab_chain --patterns "$I" cold-base.qcow2 cold-mid.qcow2 cold-top.qcow2 >/dev/null ||
    bail_out "chain"
lab_io_write "$I/cold-mid.qcow2" 0xd7 8M 6M || bail_out "write"
lab_domain_define "$uri" cold --disk "vda=$I/cold-top.qcow2" --shutoff || bail_out "define"
J=$XDG_RUNTIME_DIR/virt-snaptree/jobs

# On a commit plan: ask for the merged files to be deleted (the second question says yes).
ask_delete() {
    tui_keys 2
    tui_wait "Delete the merged files? (asked twice)" 5
    tui_keys Down Enter
    tui_wait "2  delete the merged files afterwards: yes" 5
}
# The percent the jobs panel shows for cold/vda.
panel_pct() { tui_line "cold/vda" | grep -o '[0-9]*%' | head -n1 | tr -d %; }
helper_pid() { sed -n 's/^pid=//p' "$J"/*.job | tail -n1; }
qemu_img_runs() { pgrep -f "qemu-img commit .*$I/$1" >/dev/null; }

# 1. The middle layer into the base, at 1 MiB/s, deleting it afterwards; SIGHUP half way.
tui_start 200 40 -c "$uri"
ok "the shut-off chain is shown" tui_wait "cold-mid.qcow2" 20
commit_plan cold-mid.qcow2 1
ask_delete
confirm_yes
ok "the offline commit runs" tui_wait_line "cold/vda" "running" 20
pct_at_least() { [ "$(panel_pct)" -ge "$1" ] 2>/dev/null; }
ok "the percent grows" wait_true 20 pct_at_least 10
pct=$(panel_pct)
# qemu-img says 100% within a fraction of a second under a rate limit; 6 MiB take 6 s here.
ok "it follows the data written, not qemu-img's early figure ($pct%)" test "${pct:-100}" -lt 90
ok "a rate and an ETA once it has run long enough" tui_wait_line "cold/vda" "MiB/s  ETA " 10
unlike "$(tui_line "cold/vda")" "ETA (0:00|--:--)" "a real ETA"
like "$(tui_line "cold/vda")" "/6\.[0-9]+ MiB" "out of the data to copy"
kill -HUP "$(tui_pid)"
ok "SIGHUP ends the interface" tui_wait "__EXITED__ 129" 5
ok "qemu-img goes on without it" qemu_img_runs cold-mid.qcow2
tui_stop
ok "the layer above is rebased onto the base" \
    wait_output 60 "cold-top.qcow2 cold-base.qcow2" file_chain "$I/cold-top.qcow2"
ok "the merged file is removed" wait_true 30 test ! -e "$I/cold-mid.qcow2"
is "$(lab_image_backing "$I/cold-top.qcow2")" "cold-base.qcow2" "the backing name stays relative"
ok "every byte reads back through the new chain" lab_pattern_verify "$I/cold-top.qcow2" 3 0xd7:8M:6M
tui_start 200 40 -c "$uri"
ok "a new interface shows the job and how it ended" tui_wait_line "cold/vda" "completed" 20
like "$(tui_line "cold/vda")" "offline commit" "as an offline commit"
ok "and the new chain" tui_wait_gone "cold-mid.qcow2" 10

# 2. The active layer into the base: the helper points the domain at the base itself. A new
# interface started while it runs follows it.
lab_io_write "$I/cold-top.qcow2" 0xd8 16M 6M || bail_out "write"
tui_keys F5
commit_plan cold-top.qcow2 1
ok "the plan says the definition changes" tui_wait "the domain definition is updated" 5
ask_delete
confirm_yes
ok "the second offline commit runs" tui_wait_line "cold/vda" "running" 20
kill -HUP "$(tui_pid)"
ok "SIGHUP ends the interface again" tui_wait "__EXITED__ 129" 5
tui_stop
tui_start 200 40 -c "$uri"
ok "a new interface finds the job running" tui_wait_line "cold/vda" "running" 20
ok "the helper points the domain at the base" \
    wait_output 60 "$I/cold-base.qcow2" lab_disk_source "$uri" cold vda
ok "and removes the old active layer" wait_true 30 test ! -e "$I/cold-top.qcow2"
ok "the interface shows the end" tui_wait_line "cold/vda" "completed" 20
ok "and the disk on the base" tui_wait "cold-base.qcow2 ◀ you are here" 15
ok "every byte reads back from the base" \
    lab_pattern_verify "$I/cold-base.qcow2" 3 0xd7:8M:6M 0xd8:16M:6M
is "$(lab_domain_state "$uri" cold)" "shut off" "the domain was never started"

# 3. A helper that dies is reported, and the chain it left is as before.
lab_chain --from "$I/cold-base.qcow2" "$I" cold-new.qcow2 >/dev/null || bail_out "chain"
lab_io_write "$I/cold-new.qcow2" 0xd9 24M 8M || bail_out "write"
xml=$(lab_virsh "$uri" dumpxml --inactive cold | sed "s|$I/cold-base.qcow2|$I/cold-new.qcow2|")
lab_virsh "$uri" define /dev/stdin <<<"$xml" >/dev/null || bail_out "redefine"
tui_keys F5
ok "the new overlay is shown" tui_wait "cold-new.qcow2 ◀ you are here" 15
commit_plan cold-new.qcow2 1
confirm_yes
ok "the third offline commit runs" tui_wait_line "cold/vda" "running" 20
hp=$(helper_pid)
kill -KILL -- "-$hp"
ok "the interface reports the helper's death" tui_wait_line "cold/vda" "failed" 15
like "$(tui_line "cold/vda")" "the helper process stopped" "saying so"
is "$(lab_disk_source "$uri" cold vda)" "$I/cold-new.qcow2" "the domain still runs on its top"
ok "whose data reads back as before" \
    lab_pattern_verify "$I/cold-new.qcow2" 3 0xd7:8M:6M 0xd8:16M:6M 0xd9:24M:8M
tui_keys q
tui_wait "__EXITED__" 5
done_testing
