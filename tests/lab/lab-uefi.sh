#!/bin/bash
# tests/lab/lab-uefi.sh: snapshots of a real UEFI guest (Debian's OVMF, booting to its firmware
# with no OS) keep a copy of its NVRAM (the firmware variables) beside it, readable by its owner
# alone, and a revert puts it back byte for byte after the NVRAM was changed: by branching on
# libvirt 9.0, by libvirt's own revert on 9.9 and later; of a shut-off and of a running guest.
# Where the stacks differ, both sides: libvirt 10.9 and later take internal snapshots of UEFI
# guests (the copy comes back with them; a qcow2 NVRAM is held by the snapshot itself, so no copy
# is made), 9.0 refuses them. A private libvirtd of whichever stack the lab runs; TAP; root.
if [ -z "${BASH_VERSION:-}" ]; then
    exec bash "$0" "$@"
fi
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
# shellcheck source=tests/lab/lab.sh
. "$top_srcdir/tests/lab/lab.sh"
# shellcheck source=tests/lab/snap-lib.sh
. "$top_srcdir/tests/lab/snap-lib.sh"
# shellcheck source=tests/lab/uefi-lib.sh
. "$top_srcdir/tests/lab/uefi-lib.sh"
lab_init
T_ALL=$(lab_now)
export XDG_STATE_HOME=$LAB_TMP/state
umask 022

URI=$(lab_daemon_start "$LAB_TMP/d") || bail_out "no libvirtd"
D=$LAB_TMP/img
LV=$(lab_daemon_version "$URI")
diag "the host runs libvirt $LV"
sha() { sha256sum "$1" | cut -d' ' -f1; }
# What a guest does to its variables between snapshot and revert (a new boot entry, say): 4 KiB
# of other bytes in the variable store.
change_nvram() { head -c 4096 /dev/urandom | dd of="$1" bs=4096 seek=1 conv=notrunc status=none; }
mode() { stat -c %a "$1"; }
isnt() { [ "$1" != "$2" ]; }

# ---- a shut-off guest that ran its firmware once ----
uefi_define ue || bail_out "domain ue"
lab_domain_start "$URI" ue >>"$LAB_LOG" 2>&1 || bail_out "start ue (UEFI)"
ok "the UEFI guest runs its firmware" lab__wait_state "$URI" ue running 10
lab_domain_destroy "$URI" ue >>"$LAB_LOG" 2>&1
NV=$D/ue_VARS.fd
COPY=$NV.snapshot-s1
ok "the plan of a disk-only snapshot" sb plan-create ue s1 disk-only
like "$OUT" "^step the NVRAM \(UEFI variables\) $NV is copied to $COPY, readable by its owner alone: a revert to this snapshot puts it back\$" \
    "says the NVRAM is copied and put back by a revert"
AT_S1=$(sha "$NV")
ok "take it" sb create ue s1 disk-only
ok "the copy is there" exists "$COPY"
is "$(mode "$COPY")" 600 "readable by its owner alone"
is "$(sha "$COPY")" "$AT_S1" "and holds the NVRAM as it was"
change_nvram "$NV"
ok "write layer 1 after s1" lab_pattern_layer "$D/ue_s1.qcow2" 1
ok "the NVRAM changed since" isnt "$(sha "$NV")" "$AT_S1"
ok "the revert plan" sb plan-revert ue s1
like "$OUT" "^step the NVRAM \(UEFI variables\) $NV is put back from $COPY, as it was when s1 was taken" \
    "says the NVRAM is put back"
ok "revert to s1" sb revert ue s1
like "$OUT" "the NVRAM is back as it was at s1" "the result says so"
ok "the NVRAM is as it was at s1, byte for byte" cmp -s "$NV" "$COPY"
is "$(sha "$NV")" "$AT_S1" "(its checksum too)"
ok "the disk reads as at s1" lab_pattern_verify "$(lab_disk_source "$URI" ue vda)" 1
ok "the guest starts on it" lab_domain_start "$URI" ue
lab_domain_destroy "$URI" ue >>"$LAB_LOG" 2>&1

# ---- a running guest's snapshot; reverted after it was shut off ----
uefi_define ur || bail_out "domain ur"
lab_domain_start "$URI" ur >>"$LAB_LOG" 2>&1 || bail_out "start ur"
NV=$D/ur_VARS.fd
ok "disk-only snapshot r1 of the running guest" sb create ur r1 disk-only
AT_R1=$(sha "$NV.snapshot-r1")
is "$(mode "$NV.snapshot-r1")" 600 "its NVRAM copy is readable by its owner alone"
lab_domain_destroy "$URI" ur >>"$LAB_LOG" 2>&1
change_nvram "$NV"
ok "revert to r1" sb revert ur r1
is "$(sha "$NV")" "$AT_R1" "the NVRAM is as it was at r1, byte for byte"

ok "the delete plan of r1" sb plan-delete ur r1
like "$OUT" "^left $NV\.snapshot-r1\$" "offers to remove the NVRAM copy afterwards"
ok "delete r1 (its metadata)" sb delete ur r1 --metadata
like "$OUT" "^$NV\.snapshot-r1\$" "the result names the NVRAM copy left behind"
ok "remove it, as the interface offers" sb remove-files ur "$NV.snapshot-r1"
ok "it is gone" absent "$NV.snapshot-r1"
ok "the NVRAM itself stays" exists "$NV"

# ---- internal snapshots: where the stacks differ ----
uefi_define ui || bail_out "domain ui"
NV=$D/ui_VARS.fd
if lab_daemon_at_least "$URI" 10.9.0; then
    ok "internal snapshot i1 of the shut-off guest (libvirt $LV takes it)" sb create ui i1 internal
    AT_I1=$(sha "$NV")
    is "$(sha "$NV.snapshot-i1")" "$AT_I1" "the raw NVRAM, which it does not hold, is copied"
    change_nvram "$NV"
    ok "revert to i1" sb revert ui i1
    is "$(sha "$NV")" "$AT_I1" "the NVRAM is as it was at i1, byte for byte"
    uefi_define uq qcow2 || bail_out "domain uq"
    lab_domain_start "$URI" uq >>"$LAB_LOG" 2>&1 || bail_out "start uq"
    ok "internal snapshot q1 of the running guest with a qcow2 NVRAM" sb create uq q1 internal
    ok "no copy: the snapshot holds the NVRAM itself" absent "$D/uq_VARS.qcow2.snapshot-q1"
    is "$(img_snaps "$D/uq_VARS.qcow2")" "q1 " "inside the NVRAM image"
    lab_domain_destroy "$URI" uq >>"$LAB_LOG" 2>&1
else
    ok "the plan of an internal snapshot" sb plan-create ui i1 internal
    like "$OUT" "^refused 1 " "is refused on libvirt $LV"
    ok "and nothing was copied" absent "$NV.snapshot-i1"
fi

uefi_undefine ue ur ui uq
diag "lab-uefi ($LV): $(lab_elapsed "$T_ALL") s"
done_testing
