#!/bin/bash
# What guards a merge, through the interface: Esc at every step (the base picker, the plan, the
# delete question, the bandwidth input, the pull picker) changes nothing, chain and checksums
# as before; DELETE is asked a second time and then really removes the merged file; a commit
# into a base that a shut-off domain reads is refused and the base stays byte for byte.
. "${top_srcdir:-.}/tests/lab/lab.sh"
. "$top_srcdir/tests/tui/tui-lib.sh"
. "$top_srcdir/tests/tui/merge-lib.sh"
lab_init
tui_init
plan 27
export LANG=C.UTF-8

uri=$(lab_daemon_start "$LAB_TMP/d") || bail_out "no daemon"
E=$LAB_TMP/es
lab_chain --patterns "$E" es-base.qcow2 es-mid.qcow2 es-top.qcow2 >/dev/null || bail_out "chain"
lab_domain_define "$uri" es --disk "vda=$E/es-top.qcow2" --running || bail_out "define"
lab_shared_base "$uri" "$LAB_TMP/sh" running >/dev/null || bail_out "shared base"
lab_domain_destroy "$uri" vm2 || bail_out "destroy vm2"

# The backing files QEMU only reads: their bytes must not change while nothing is done.
sums() { sha256sum "$E/es-base.qcow2" "$E/es-mid.qcow2" | cut -d' ' -f1 | tr '\n' ' '; }
no_job() { lab_virsh "$uri" blockjob es vda --info 2>&1 | grep -q "No current block job"; }
# After an Esc: no job, the same chain, the same bytes.
unchanged() {
    ok "$1: no job started" no_job
    is "$(live_chain "$uri" es)" "es-top.qcow2 es-mid.qcow2 es-base.qcow2" "$1: the chain as before"
    is "$(sums)" "$before" "$1: the backing files byte for byte as before"
}
before=$(sums)

tui_start 130 45 -c "$uri"
ok "the chains are shown" tui_wait "es-mid.qcow2" 20
select_node "es-mid.qcow2"
tui_keys c
tui_wait "down into which layer?" 5
tui_keys Escape
ok "Esc closes the base picker" tui_wait_gone "down into which layer?" 5
unchanged "picker"

tui_keys c
tui_wait "down into which layer?" 5
tui_keys Enter
tui_wait "Type yes and press Enter" 10
tui_keys 2
ok "2 asks about deleting" tui_wait "Delete the merged files? (asked twice)" 5
tui_keys Escape
ok "Esc on the delete question keeps the files" tui_wait "2  delete the merged files afterwards: no" 5
tui_keys 3
tui_wait "MiB/s (0 = unlimited)" 5
tui_type 5
tui_keys Escape
ok "Esc on the bandwidth input keeps the limit" tui_wait "3  bandwidth limit: unlimited" 5
tui_keys Escape
ok "Esc closes the plan" tui_wait_gone "Type yes and press Enter" 5
unchanged "plan, delete question, bandwidth input"

select_node "es-top.qcow2"
tui_keys p
tui_wait "down to which base?" 5
tui_keys Escape
ok "Esc closes the pull picker" tui_wait_gone "down to which base?" 5
unchanged "pull picker"

# DELETE: the first answer (Enter: no) keeps the files; yes the second time deletes them.
select_node "es-mid.qcow2"
tui_keys c
tui_wait "down into which layer?" 5
tui_keys Enter
tui_wait "Type yes and press Enter" 10
tui_keys 2
tui_wait "Delete the merged files? (asked twice)" 5
tui_keys Enter
ok "Enter on the question answers no" tui_wait "2  delete the merged files afterwards: no" 5
tui_keys 2
tui_wait "Delete the merged files? (asked twice)" 5
tui_keys Down Enter
ok "yes the second time" tui_wait "2  delete the merged files afterwards: yes" 5
like "$(tui_screen)" "libvirt flags: RELATIVE \| DELETE" "the commit carries DELETE"
confirm_yes
ok "the commit completes" wait_output 30 "es-top.qcow2 es-base.qcow2" live_chain "$uri" es
ok "libvirt removes the merged file" wait_true 15 test ! -e "$E/es-mid.qcow2"
ok "every byte reads back through the new chain" lab_pattern_verify -d "$uri" es vda 3

# A base that a shut-off domain reads.
golden=$(sha256sum <"$LAB_TMP/sh/golden.qcow2")
select_node "vm1.qcow2"
tui_keys c
tui_wait "down into which layer?" 5
tui_keys Enter
ok "the commit into the shared base is refused" tui_wait "This plan is refused" 10
like "$(tui_screen)" "REFUSED: golden.qcow2 is also read by vm2" "naming the shut-off domain"
tui_keys Escape
is "$(lab_domain_state "$uri" vm2)" "shut off" "vm2 is shut off"
is "$(sha256sum <"$LAB_TMP/sh/golden.qcow2")" "$golden" "the base is byte for byte as before"
ok "vm1 reads its data as before" lab_pattern_verify -d "$uri" vm1 vda 2 0xc1:56M:64K
tui_keys q
tui_wait "__EXITED__" 5
done_testing
