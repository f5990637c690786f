#!/bin/bash
# tests/lab/lab-space.sh: what a merge frees and adds, told from the images' maps, on a private
# libvirtd, with patterned data written by qemu-io at known offsets. The planner's figures are
# checked against `qemu-img map --output=json` (byte for byte: the new guest ranges, in the
# receiver's clusters) and against `du` of the files after the real merge (within one cluster:
# the receiver's tables may take one more), and the data after it byte for byte:
# - a commit of a middle layer into the base of a running domain: ranges the middle layer
#   rewrites move nothing, a zero range over the base's data writes none;
# - a pull into the active layer: only what the active layer does not map lands in it;
# - a shut-off domain's commit into a base on a small filesystem: planned and run when the room
#   there takes the growth though not the copied file's size; refused with the numbers when it
#   does not take the growth.
# TAP; root.
if [ -z "${BASH_VERSION:-}" ]; then
    exec bash "$0" "$@"
fi
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
# shellcheck source=tests/lab/lab.sh
. "$top_srcdir/tests/lab/lab.sh"
lab_init
export XDG_STATE_HOME=$LAB_TMP/state
SB=$top_builddir/tests/lab/snap-backend
BIN=$top_builddir/ui/virt-snaptree
# Mounted before the daemon starts: its mount namespace (and its QEMUs') is a copy of ours then.
S=$LAB_TMP/small
mkdir -p "$S" && mount -t tmpfs -o size=16M tmpfs "$S" || bail_out "no tmpfs"
lab_on_cleanup "umount -l $S"
URI=$(lab_daemon_start "$LAB_TMP/d") || bail_out "no libvirtd"
D=$LAB_TMP/img
mkdir -p "$D"
CLUSTER=65536

# What a merge adds to the receiver, from `qemu-img map` of the images: the guest ranges whose
# data the copied layers (upper first) show, less what the receiver maps (a pull: data or
# zeros; a commit: data), widened to the receiver's clusters, less the clusters it holds.
map_grows() { # commit|pull RECEIVER COPIED...
    python3 - "$@" <<'EOF'
import json, subprocess, sys
kind, rcv, copied = sys.argv[1], sys.argv[2], sys.argv[3:]
C = 65536
def own(img):
    out = subprocess.run(["qemu-img", "map", "-U", "--output=json", img], check=True,
                         capture_output=True, text=True).stdout
    data, zero = set(), set()
    for e in json.loads(out):
        if e["depth"] != 0:
            continue
        for c in range(e["start"] // C, (e["start"] + e["length"] + C - 1) // C):
            (data if e["data"] else zero if e["zero"] else set()).add(c)
    return data, zero
covered, lands = set(), set()
for img in copied:
    data, zero = own(img)
    lands |= data - covered
    covered |= data | zero
rdata, rzero = own(rcv)
if kind == "pull":
    lands -= rdata | rzero
print(len(lands - rdata) * C)
EOF
}
du_bytes() { du -B1 "$1" | cut -f1; }
json_grows() { # DOMAIN: merge_grows of each layer of vda in --json, top first
    "$BIN" -c "$URI" --json 2>/dev/null | python3 -c '
import json, sys
for h in json.load(sys.stdin)["hosts"]:
    for d in h["domains"]:
        if d["name"] == sys.argv[1]:
            print(" ".join(str(l["merge_grows"]) for l in d["disks"][0]["chain"]))' "$1"
}
figure() { sed -n "s/^$1 //p" <<<"$2"; } # NAME PLAN-OUTPUT
# Whether $1 is within one cluster above $2 (the receiver's tables may take one more).
within_cluster() { [ "$1" -ge "$2" ] && [ "$1" -le $(($2 + CLUSTER)) ]; }

# ---- a commit of the middle layer into the base, running ----
qemu-img create -q -f qcow2 "$D/r-base.qcow2" 64M &&
    lab_io_write "$D/r-base.qcow2" 0xa1 0 4M 0xa2 16M 2M >>"$LAB_LOG" 2>&1 &&
    qemu-img create -q -f qcow2 -b "$D/r-base.qcow2" -F qcow2 "$D/r-mid.qcow2" &&
    lab_io_write "$D/r-mid.qcow2" 0xb1 2M 4M 0xb2 32M 1M >>"$LAB_LOG" 2>&1 &&
    qemu-io -f qcow2 -c "write -z 16M 1M" "$D/r-mid.qcow2" >>"$LAB_LOG" 2>&1 &&
    qemu-img create -q -f qcow2 -b "$D/r-mid.qcow2" -F qcow2 "$D/r-top.qcow2" &&
    lab_io_write "$D/r-top.qcow2" 0xc1 40M 512K >>"$LAB_LOG" 2>&1 || bail_out "chain r"
lab_domain_define "$URI" r --disk "vda=$D/r-top.qcow2" --running || bail_out "define r"

want=$(map_grows commit "$D/r-base.qcow2" "$D/r-mid.qcow2")
is "$want" $((3 * 1048576)) "qemu-img map: the middle layer adds 3 MiB to the base (4M-6M, 32M-33M)"
is "$(json_grows r)" "$(map_grows commit "$D/r-mid.qcow2" "$D/r-top.qcow2") $want None" \
    "--json: what committing each layer into the one below adds there, none for the base"
mid_du=$(du_bytes "$D/r-mid.qcow2")
base_du=$(du_bytes "$D/r-base.qcow2")
out=$("$SB" "$URI" plan-commit r vda 1 2)
diag "$out"
is "$(figure grows "$out")" "$want" "the plan's growth is qemu-img map's, byte for byte"
is "$(figure frees "$out")" "$mid_du" "it frees what du says the middle layer occupies"
is "$(figure peak "$out")" "$want" "the peak is the growth"
like "$out" "space Space: frees [0-9.]+ MiB, r-base.qcow2 grows by 3.00 MiB, net [0-9.]+ [KM]iB freed" \
    "the plan says it in words"
like "$out" "space Peak: 3.00 MiB more where the data lands \\(r-base.qcow2 grows before any file leaves\\)" \
    "and the peak"
out=$("$SB" "$URI" commit r vda 1 2)
like "$out" "^result ok" "the commit ran"
after=$(du_bytes "$D/r-base.qcow2")
ok "du: the base grew by the growth, within a cluster ($base_du -> $after)" \
    within_cluster $((after - base_du)) "$want"
ok "the guest sees every byte" lab_io_verify -d "$URI" r vda 0xa1 0 2M 0xb1 2M 4M 0 16M 1M \
    0xa2 17M 1M 0xb2 32M 1M 0xc1 40M 512K
ok "the base holds the merged data itself" lab_io_verify "$D/r-base.qcow2" 0xa1 0 2M 0xb1 2M 4M \
    0 16M 1M 0xa2 17M 1M 0xb2 32M 1M 0 40M 512K

# ---- a pull into the active layer, running ----
qemu-img create -q -f qcow2 "$D/p-base.qcow2" 64M &&
    lab_io_write "$D/p-base.qcow2" 0xd1 0 8M >>"$LAB_LOG" 2>&1 &&
    qemu-img create -q -f qcow2 -b "$D/p-base.qcow2" -F qcow2 "$D/p-mid.qcow2" &&
    lab_io_write "$D/p-mid.qcow2" 0xd2 4M 2M 0xd3 20M 3M >>"$LAB_LOG" 2>&1 &&
    qemu-img create -q -f qcow2 -b "$D/p-mid.qcow2" -F qcow2 "$D/p-top.qcow2" &&
    lab_io_write "$D/p-top.qcow2" 0xd4 21M 1M >>"$LAB_LOG" 2>&1 &&
    qemu-io -f qcow2 -c "write -z 5M 512K" "$D/p-top.qcow2" >>"$LAB_LOG" 2>&1 || bail_out "chain p"
lab_domain_define "$URI" p --disk "vda=$D/p-top.qcow2" --running || bail_out "define p"
want=$(map_grows pull "$D/p-top.qcow2" "$D/p-mid.qcow2" "$D/p-base.qcow2")
is "$want" $((9 * 1048576 + 524288)) \
    "qemu-img map: the pull adds 9.5 MiB to the active layer (not what it maps itself)"
out=$("$SB" "$URI" plan-pull p vda none)
diag "$out"
is "$(figure grows "$out")" "$want" "the plan's growth is qemu-img map's, byte for byte"
is "$(figure frees "$out")" $(($(du_bytes "$D/p-mid.qcow2") + $(du_bytes "$D/p-base.qcow2"))) \
    "it frees what du says the pulled files occupy"
top_du=$(du_bytes "$D/p-top.qcow2")
lab_virsh "$URI" blockpull p vda --wait >>"$LAB_LOG" 2>&1
is "$(lab_image_depth "$D/p-top.qcow2")" 1 "the pull ran: the active layer stands alone"
after=$(du_bytes "$D/p-top.qcow2")
ok "du: the active layer grew by the growth, within a cluster ($top_du -> $after)" \
    within_cluster $((after - top_du)) "$want"
ok "the guest sees every byte" lab_io_verify -d "$URI" p vda 0xd1 0 4M 0xd2 4M 1M 0 5M 512K \
    0xd2 5632K 512K 0xd1 6M 2M 0xd3 20M 1M 0xd4 21M 1M 0xd3 22M 1M

# ---- a shut-off domain's commit into a base on a small filesystem ----
qemu-img create -q -f qcow2 "$S/s-base.qcow2" 64M &&
    lab_io_write "$S/s-base.qcow2" 0xe1 0 6M >>"$LAB_LOG" 2>&1 &&
    qemu-img create -q -f qcow2 -b "$S/s-base.qcow2" -F qcow2 "$D/s-top.qcow2" &&
    lab_io_write "$D/s-top.qcow2" 0xe2 0 6M 0xe3 8M 2M >>"$LAB_LOG" 2>&1 || bail_out "chain s"
lab_domain_define "$URI" s --disk "vda=$D/s-top.qcow2" || bail_out "define s"
# Room for the 2 MiB the base grows by, not for the 8 MiB the top occupies.
free_now=$(($(stat -f -c '%a*%S' "$S")))
dd if=/dev/zero of="$S/filler" bs=1M count=$((free_now / 1048576 - 4)) status=none
out=$("$SB" "$URI" plan-commit s vda 0 1)
diag "$out"
is "$(figure grows "$out")" $((2 * 1048576)) "the base grows by the 2 MiB it does not hold"
like "$out" "^refused 0" "4 MiB free takes the growth: planned, although the top occupies 8 MiB"
out=$("$SB" "$URI" commit s vda 0 1)
like "$out" "^result ok" "the commit ran"
ok "the base holds the merged data" lab_io_verify "$S/s-base.qcow2" 0xe2 0 6M 0 6M 2M 0xe3 8M 2M

qemu-img create -q -f qcow2 -b "$S/s-base.qcow2" -F qcow2 "$D/s-top2.qcow2" &&
    lab_io_write "$D/s-top2.qcow2" 0xe4 16M 3M >>"$LAB_LOG" 2>&1 || bail_out "s-top2"
lab_virsh "$URI" detach-disk s vda --config >>"$LAB_LOG" 2>&1
lab_virsh "$URI" attach-disk s "$D/s-top2.qcow2" vda --subdriver qcow2 --config >>"$LAB_LOG" 2>&1
out=$("$SB" "$URI" plan-commit s vda 0 1)
diag "$out"
free_now=$(stat -f -c '%a*%S' "$S")
like "$out" "^refused 1" "less room than the 3 MiB growth: refused"
like "$out" "hazard 2 Not enough free space: s-base.qcow2 grows by 3.00 MiB in $S before any merged file is removed, and [0-9.]+ [KM]iB is free there." \
    "with the numbers"
ok "nothing was written to the base" lab_io_verify "$S/s-base.qcow2" 0 16M 3M
done_testing
