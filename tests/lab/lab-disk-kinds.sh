#!/bin/bash
# tests/lab/lab-disk-kinds.sh: disks that are not plain files, on a private libvirtd:
# - a qcow2 written straight onto a block device (a loop device here: oVirt keeps images on LVs,
#   and this kernel has no device-mapper for LVM), under file overlays: the tree shows what the
#   image takes on the device (qemu-img check's image end offset); a merge into it is planned
#   against the device's room, refused on a thin device with the numbers, and run on one that
#   holds the whole image, checked byte for byte on the device;
# - an NBD disk served by qemu-nbd over a Unix socket: its chain is shown (network layer
#   named, sizes not read), an external snapshot of the shut-off domain is refused in the plan
#   (libvirt refuses it), a live one puts a file overlay over the network base, and a merge
#   back into the network base writes through NBD, checked byte for byte in the served image;
# - a pool volume (type='volume'): its chain is read like a file's, shut off and running.
# TAP; root.
if [ -z "${BASH_VERSION:-}" ]; then
    exec bash "$0" "$@"
fi
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
# shellcheck source=tests/lab/lab.sh
. "$top_srcdir/tests/lab/lab.sh"
lab_init
command -v losetup >/dev/null || skip_all "losetup is needed"
command -v qemu-nbd >/dev/null || skip_all "qemu-nbd is needed"
export XDG_STATE_HOME=$LAB_TMP/state
SB=$top_builddir/tests/lab/snap-backend
BIN=$top_builddir/ui/virt-snaptree
URI=$(lab_daemon_start "$LAB_TMP/d") || bail_out "no libvirtd"
D=$LAB_TMP/img
mkdir -p "$D"
MiB=1048576

# A loop device over a sparse file of SIZE, in LOOP (the caller's variable: a command substitution
# would register the cleanup in a subshell, and the device would outlive the test).
loop_device() { # NAME SIZE
    local file=$D/$1
    LOOP=""
    truncate -s "$2" "$file" || return 1
    LOOP=$(losetup -f --show "$file") || return 1
    lab_on_cleanup losetup -d "$LOOP"
}

# A domain whose vda is given as a libvirt <disk> element.
define_with_disk() { # NAME DISK-XML
    cat >"$LAB_TMP/$1.xml" <<EOF
<domain type='qemu'><name>$1</name><memory unit='MiB'>64</memory><vcpu>1</vcpu>
<os><type arch='x86_64' machine='pc'>hvm</type></os><devices>
$2
<controller type='usb' model='none'/><memballoon model='none'/>
<serial type='pty'/><console type='pty'/></devices></domain>
EOF
    lab_virsh "$URI" define "$LAB_TMP/$1.xml" >>"$LAB_LOG" 2>&1
}

json_layer() { # DOMAIN DEPTH FIELD: a field of a layer of vda in --json
    "$BIN" -c "$URI" --json 2>/dev/null | python3 -c '
import json, sys
dom, depth, field = sys.argv[1], int(sys.argv[2]), sys.argv[3]
for h in json.load(sys.stdin)["hosts"]:
    for d in h["domains"]:
        if d["name"] == dom:
            v = d["disks"][0]["chain"][depth][field]
            print("null" if v is None else v)' "$@"
}
json_disk() { # DOMAIN FIELD: a field of vda in --json
    "$BIN" -c "$URI" --json 2>/dev/null | python3 -c '
import json, sys
for h in json.load(sys.stdin)["hosts"]:
    for d in h["domains"]:
        if d["name"] == sys.argv[1]:
            v = d["disks"][0][sys.argv[2]]
            print(len(v) if isinstance(v, list) else ("null" if v is None else v))' "$@"
}
end_offset() { qemu-img check -U --output=json "$1" 2>/dev/null | sed -n 's/.*"image-end-offset": *\([0-9]*\).*/\1/p'; }

# ---- a qcow2 on a block device under file overlays ----
loop_device big.lv 96M || bail_out "no loop device"
BIG=$LOOP
qemu-img create -q -f qcow2 "$BIG" 64M && lab_io_write "$BIG" 0x11 0 4M >>"$LAB_LOG" 2>&1 ||
    bail_out "qcow2 on $BIG"
define_with_disk blk "<disk type='block' device='disk'><driver name='qemu' type='qcow2'/>
<source dev='$BIG'/><target dev='vda' bus='virtio'/></disk>" || bail_out "define blk"
is "$(json_layer blk 0 allocation)" "$(end_offset "$BIG")" \
    "shut off: the qcow2 on the block device takes up to its image end offset, as qemu-img check says"
is "$(json_layer blk 0 path)" "$BIG" "shut off: the chain is the block device"
lab_domain_start "$URI" blk || bail_out "start blk"
lab_snapshot_external "$URI" blk s1 vda "$D/blk-mid.qcow2" >>"$LAB_LOG" 2>&1 || bail_out "s1"
lab_io_write -d "$URI" blk vda 0x22 8M 36M >>"$LAB_LOG" 2>&1 || bail_out "write mid"
lab_snapshot_external "$URI" blk s2 vda "$D/blk-top.qcow2" >>"$LAB_LOG" 2>&1 || bail_out "s2"
lab_io_write -d "$URI" blk vda 0x33 60M 1M >>"$LAB_LOG" 2>&1 || bail_out "write top"
is "$(json_disk blk chain)" 3 "running: overlay, overlay, block device"
is "$(json_layer blk 2 path)" "$BIG" "running: the base is the block device"

out=$("$SB" "$URI" plan-commit blk vda 1 2)
like "$out" "^refused 0" "commit into a device that holds the whole image: planned"
like "$out" "^hazard 0 $BIG is a block device of 96.0 MiB: it holds the whole image" \
    "the plan says the device holds the whole image"
out=$("$SB" "$URI" commit blk vda 1 2)
like "$out" "^result ok" "the commit into the block device ran"
diag "$out"
for _ in $(seq 100); do
    [ "$(lab_image_depth "$D/blk-top.qcow2")" = 2 ] && break
    sleep 0.2
done
is "$(lab_image_chain "$D/blk-top.qcow2" | tr '\n' ' ')" "$D/blk-top.qcow2 $BIG " \
    "the chain is the top overlay on the block device"
ok "the guest sees every byte it wrote" lab_io_verify -d "$URI" blk vda 0x11 0 4M 0x22 8M 36M 0x33 60M 1M
ok "the block device holds the merged data itself" lab_io_verify "$BIG" 0x11 0 4M 0x22 8M 36M 0 60M 1M

# A thin device (smaller than the image's virtual size) that cannot take what the merge writes.
loop_device thin.lv 32M || bail_out "no loop device"
THIN=$LOOP
qemu-img create -q -f qcow2 "$THIN" 64M && lab_io_write "$THIN" 0x44 0 4M >>"$LAB_LOG" 2>&1 &&
    qemu-img create -q -f qcow2 -b "$THIN" -F qcow2 "$D/thin-top.qcow2" &&
    lab_io_write "$D/thin-top.qcow2" 0x55 8M 36M >>"$LAB_LOG" 2>&1 || bail_out "thin chain"
lab_domain_define "$URI" thin --disk "vda=$D/thin-top.qcow2" || bail_out "define thin"
out=$("$SB" "$URI" plan-commit thin vda 0 1)
like "$out" "^refused 1" "commit into a thin device without room: refused"
like "$out" "Not enough room on the block device $THIN: the merge needs up to 36.[0-9] MiB, and the image can grow by only 2[0-9].[0-9] MiB more \\(the device holds 32.0 MiB\\). Grow the device \\(lvextend\\) first." \
    "the refusal gives the numbers and what to do"
ok "nothing was written to the thin device" lab_io_verify "$THIN" 0x44 0 4M 0 8M 36M

# ---- NBD over a Unix socket ----
qemu-img create -q -f qcow2 "$D/nbd-base.qcow2" 64M &&
    lab_io_write "$D/nbd-base.qcow2" 0x66 0 1M >>"$LAB_LOG" 2>&1 || bail_out "nbd image"
qemu-nbd --fork --persistent --shared=4 -f qcow2 -k "$D/nbd.sock" --pid-file="$D/nbd.pid" \
    "$D/nbd-base.qcow2" >>"$LAB_LOG" 2>&1 || bail_out "qemu-nbd"
lab_on_cleanup kill "$(cat "$D/nbd.pid")"
NBD="nbd+unix:///?socket=$D/nbd.sock"
NBD_RE=$(printf '%s' "$NBD" | sed 's/[][\\.*^$?+(){}|]/\\&/g') # for like's regular expressions
define_with_disk net "<disk type='network' device='disk'><driver name='qemu' type='raw'/>
<source protocol='nbd'><host transport='unix' socket='$D/nbd.sock'/></source>
<target dev='vda' bus='virtio'/></disk>" || bail_out "define net"
is "$(json_layer net 0 path)" "$NBD" "shut off: the network disk is named as QEMU names it"
is "$(json_disk net chain_unknown)" null "a raw network disk has no unknown chain below it"
like "$("$BIN" -c "$URI" --list 2>/dev/null | grep -F "$NBD")" "raw  sizes not known here" \
    "its sizes are said to be unknown, not 0 B"
out=$("$SB" "$URI" plan-create net off1 disk-only)
like "$out" "^refused 1" "an external snapshot of the shut-off network disk is refused in the plan"
like "$out" "vda is a network disk \\($NBD_RE\\): libvirt takes an external snapshot of it only while net runs" \
    "with the reason"
lab_domain_start "$URI" net || bail_out "start net"
out=$("$SB" "$URI" create net s1 disk-only --disk "vda=external:$D/net-s1.qcow2")
like "$out" "^result ok" "running: an external snapshot puts a file overlay over the network base"
lab_io_write -d "$URI" net vda 0x77 2M 1M >>"$LAB_LOG" 2>&1 || bail_out "write s1"
out=$("$SB" "$URI" create net s2 disk-only --disk "vda=external:$D/net-s2.qcow2")
like "$out" "^result ok" "a second overlay"
is "$(json_disk net chain)" 3 "running: overlay, overlay, network base"
is "$(json_layer net 2 path)" "$NBD" "the network base is named"
out=$("$SB" "$URI" commit net vda 1 2)
like "$out" "^hazard 1 The data lands in the network image $NBD_RE: its room cannot be checked from here" \
    "the plan says the network image's room cannot be checked"
like "$out" "^result ok" "the commit into the network base ran"
for _ in $(seq 150); do
    [ "$(json_disk net chain)" = 2 ] && break
    sleep 0.2
done
is "$(json_disk net chain)" 2 "the merged overlay left the chain"
ok "the guest sees every byte" lab_io_verify -d "$URI" net vda 0x66 0 1M 0x77 2M 1M
# Read through the server, as the guest's base is read: qemu-nbd may hold the image's newest
# tables in memory.
nbd_verify() {
    local out
    out=$(qemu-io -r -f raw -c 'read -P 0x66 0 1M' -c 'read -P 0x77 2M 1M' -c 'read -P 0 3M 1M' \
        "$NBD" 2>&1)
    printf '%s\n' "$out"
    ! grep -qi 'fail\|error' <<<"$out" && [ "$(grep -c '^read ' <<<"$out")" = 3 ]
}
ok "the served image holds the merged data" nbd_verify

# ---- a pool volume ----
mkdir -p "$D/pool"
lab_virsh "$URI" pool-define-as vols dir --target "$D/pool" >>"$LAB_LOG" 2>&1 &&
    lab_virsh "$URI" pool-start vols >>"$LAB_LOG" 2>&1 || bail_out "pool"
lab_chain --patterns "$D/pool" vbase.qcow2 vtop.qcow2 >>"$LAB_LOG" 2>&1 || bail_out "pool chain"
lab_virsh "$URI" pool-refresh vols >>"$LAB_LOG" 2>&1
define_with_disk vol "<disk type='volume' device='disk'><driver name='qemu' type='qcow2'/>
<source pool='vols' volume='vtop.qcow2'/><target dev='vda' bus='virtio'/></disk>" ||
    bail_out "define vol"
is "$(json_disk vol chain)" 2 "shut off: the volume's chain is read from its path"
is "$(json_layer vol 1 path)" "$D/pool/vbase.qcow2" "down to the base"
is "$(json_layer vol 0 virtual_size)" $((64 * MiB)) "with its sizes"
lab_domain_start "$URI" vol || bail_out "start vol"
is "$(json_disk vol chain)" 2 "running: the same chain"
define_with_disk gone "<disk type='volume' device='disk'><driver name='qemu' type='qcow2'/>
<source pool='vols' volume='nosuch.qcow2'/><target dev='vda' bus='virtio'/></disk>" ||
    bail_out "define gone"
like "$(json_disk gone chain_unknown)" "volume nosuch.qcow2 of pool vols: the host gives no path" \
    "a volume the host does not know is said so, not shown as an empty drive"
done_testing
