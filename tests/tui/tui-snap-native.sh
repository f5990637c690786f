#!/bin/bash
# `r` on an external snapshot through the real TUI in tmux, against a private libvirtd of
# whichever stack the lab runs. On libvirt 9.9 and later the plan says libvirt reverts itself and
# removes the overlay holding what was written since, names it with the bytes written into it,
# keeps it by default (the tree then shows it as a detached branch, unchanged byte for byte), and
# offers discarding it as option 3; discarding removes it. On 9.0 the plan is the revert by
# branching, with no such option, and the same overlay is kept. TAP (lab.sh helpers).
if [ -z "${BASH_VERSION:-}" ]; then
    exec bash "$0" "$@"
fi
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
# shellcheck source=tests/lab/lab.sh
. "$top_srcdir/tests/lab/lab.sh"
# tmux driving from tui-lib.sh (its TAP helpers are lab.sh's).
. "$top_srcdir/tests/tui/tui-lib.sh"
. "$top_srcdir/tests/tui/snap-tui-lib.sh"
set +u

snap_tui_lab
diag "the host runs libvirt $LV"

# Two shut-off domains, each base <- NAME_s1.qcow2 <- NAME_s2.qcow2 with snapshots s1 and s2 and
# each layer's pattern (the snapshots as the article's virsh command takes them).
for n in kp dc; do
    lab_chain --patterns "$D" "$n.qcow2" && lab_domain_define "$URI" "$n" --disk "vda=$D/$n.qcow2" &&
        lab_snapshot_external "$URI" "$n" s1 vda "$D/${n}_s1.qcow2" &&
        lab_pattern_layer "$D/${n}_s1.qcow2" 1 &&
        lab_snapshot_external "$URI" "$n" s2 vda "$D/${n}_s2.qcow2" &&
        lab_pattern_layer "$D/${n}_s2.qcow2" 2 || bail_out "domain $n"
done
# What the overlay holds by itself, as qemu-img map counts it.
BYTES=$(qemu-img map -U --output=json "$D/dc_s2.qcow2" | jq '[.[] | select(.depth == 0) | .length] | add')
SUM=$(sha256sum "$D/kp_s2.qcow2" | cut -d' ' -f1)

tui_start 200 50 -c "$URI"
ok "the tree shows the domains" wait_for "kp_s2.qcow2" 20

# ---- keep (the default) ----
# The search goes on from the domain: the next snapshot s1 is its own (the plan's title says).
select_row "kp" "Domain       kp"
ok "s1 of kp is selected" select_row "s1" "Snapshot     s1"
tui_keys r
ok "r opens kp's revert plan" wait_for "Revert kp to snapshot s1"
if [ -n "$NATIVE" ]; then
    ok "the plan says libvirt reverts itself" \
        screen_has "libvirt $LV reverts to the external snapshot itself"
    ok "it names the file libvirt removes, with what it holds (measured by the host)" \
        wait_for "vda: libvirt removes $D/kp_s2.qcow2 (" 10
    ok "and keeps it" screen_has "it is kept: $D/kp_s2.qcow2.virt-snaptree-keep names it"
    ok "the option to discard is offered" screen_has "3  what libvirt removes: keep it (shown as a detached branch)"
    tui_keys 3
    ok "3 switches to discarding it" wait_for "3  what libvirt removes: discard it (libvirt removes the files)" 5
    ok "the plan then says what is lost" wait_for "written since s2, in $D/kp_s2.qcow2, which" 3
    tui_keys 3
    ok "3 again keeps it" wait_for "3  what libvirt removes: keep it" 5
else
    ok "the plan is the revert by branching" screen_has "no external revert: a new overlay is created"
    unlike "$(tui_screen)" "3  what libvirt removes" "libvirt $LV offers no discarding"
fi
ok "nothing is deleted, the plan says" screen_has "nothing is deleted: "
type_yes
if [ -n "$NATIVE" ]; then
    ok "the revert is done, the old overlay kept" \
        wait_for "kp reverted to snapshot s1; what libvirt removed is kept as detached branches" 30
else
    ok "the revert is done by branching" wait_for "kp reverted to s1 by branching" 30
fi
ok "the tree shows the old overlay as a detached branch" wait_for "kp_s2.qcow2 (detached branch)" 10
is "$(sha256sum "$D/kp_s2.qcow2" | cut -d' ' -f1)" "$SUM" "the old overlay is unchanged byte for byte"
ok "and reads back layers 0..2" lab_pattern_verify "$D/kp_s2.qcow2" 3
ok "the disk reads the snapshot's data (layer 0)" lab_pattern_verify "$(lab_disk_source "$URI" kp vda)" 1

# ---- discard ----
select_row "dc" "Domain       dc"
ok "s1 of dc is selected" select_row "s1" "Snapshot     s1"
tui_keys r
ok "r opens dc's revert plan" wait_for "Revert dc to snapshot s1"
if [ -n "$NATIVE" ]; then
    tui_keys 3
    ok "discarding: the plan names the file and the bytes written since s2" \
        wait_for "vda: libvirt removes $D/dc_s2.qcow2: " 10
    like "$(tui_screen)" "\($BYTES bytes\) written since s2" "as many bytes as qemu-img map counts"
    type_yes
    ok "the revert is done" wait_for "dc reverted to snapshot s1" 30
    ok "libvirt removed the overlay" test ! -e "$D/dc_s2.qcow2"
    ok "the tree shows no branch for dc" tui_wait_gone "dc_s2.qcow2 (detached branch)" 10
    # s2's metadata still names the overlay libvirt removed: the doctor says so on dc's row.
    ok "the doctor marks s2's files as gone" \
        tui_wait "snapshot s2 names files that are gone: $D/dc_s2.qcow2" 10
else
    tui_keys 3
    ok "3 changes nothing on $LV: the plan still branches" \
        screen_has "no external revert: a new overlay is created"
    type_yes
    ok "the revert is done by branching" wait_for "dc reverted to s1 by branching" 30
    ok "the old overlay is kept" test -e "$D/dc_s2.qcow2"
fi
ok "the disk reads the snapshot's data" lab_pattern_verify "$(lab_disk_source "$URI" dc vda)" 1

tui_keys Escape q
ok "q quits" wait_for "__EXITED__ 0" 10
diag "tui-snap-native ($LV): $(lab_elapsed "$T_ALL") s"
done_testing
