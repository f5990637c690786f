#!/bin/bash
# tests/lab/doctor-check.sh: the doctor counts corruptions and leaked clusters of plain qcow2
# images itself (no qemu-img process per image) and must find exactly what qemu-img check finds.
# Images of every layout the lab can make (empty, written, an overlay, 512-byte and 2 MiB
# clusters, compat 0.10, preallocated metadata, discarded clusters, an internal snapshot and
# compressed clusters, which are left to qemu-img) and refcounts edited to make each kind of
# finding (a table counted twice or not at all, a data cluster counted twice, a cluster past the
# end of the metadata counted) are checked by both: the findings agree image by image, byte for
# byte, on a shut-off domain and on a running one (-U). Written data reads back the same.
. "${top_srcdir:-.}/tests/lab/lab.sh"
BIN=$(realpath "${top_builddir:-.}/ui/virt-snaptree")
lab_init
command -v jq >/dev/null || skip_all "jq is not installed"
command -v python3 >/dev/null || skip_all "python3 is not installed"
plan 6
export LC_ALL=C.UTF-8 XDG_CONFIG_HOME=$LAB_TMP/config XDG_STATE_HOME=$LAB_TMP/state
unset LANGUAGE
umask 077
CHECK=$top_srcdir/tests/bench/qemu-img-check.sh

# set_ref IMAGE CLUSTER COUNT: the image's stored refcount of a cluster (16-bit refcounts),
# growing the file by a cluster when CLUSTER is "end" (a cluster nothing uses, counted).
set_ref() {
    python3 - "$@" <<'EOF'
import os, struct, sys
path, which, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
f = open(path, 'r+b')
h = f.read(104)
cs = 1 << struct.unpack('>I', h[20:24])[0]
if which == 'end':
    size = os.fstat(f.fileno()).st_size
    n = (size + cs - 1) // cs
    f.truncate((n + 1) * cs)
    which = n
cl = int(which)
rt = struct.unpack('>Q', h[48:56])[0]
per = cs // 2
f.seek(rt + 8 * (cl // per))
rb = struct.unpack('>Q', f.read(8))[0]
if rb == 0:
    sys.exit('no refcount block for that cluster')
f.seek(rb + 2 * (cl % per))
f.write(struct.pack('>H', count))
EOF
}
# The file offset of the first data cluster of an image (its first written guest cluster).
first_data() {
    qemu-img map --output=json "$1" | jq -r '[.[] | select(.data and .offset != null)][0].offset'
}

I=$LAB_TMP/img
mkdir -p "$I" || bail_out "folder"
mk() { qemu-img create -q -f qcow2 "$@"; }
w() { qemu-io -f qcow2 -c "$2" "$1" >/dev/null; } # w IMAGE COMMAND
mk "$I/empty.qcow2" 1M || bail_out "empty"
mk "$I/data.qcow2" 8M && w "$I/data.qcow2" "write -P 0x41 0 3M" || bail_out "data"
mk -b "$I/data.qcow2" -F qcow2 "$I/over.qcow2" && w "$I/over.qcow2" "write -P 0x42 1M 64k" ||
    bail_out "overlay"
mk -o cluster_size=512 "$I/small.qcow2" 4M && w "$I/small.qcow2" "write -P 0x43 0 1M" ||
    bail_out "512-byte clusters"
mk -o cluster_size=2M "$I/big.qcow2" 16M && w "$I/big.qcow2" "write -P 0x44 2M 3M" ||
    bail_out "2 MiB clusters"
mk -o compat=0.10 "$I/v2.qcow2" 8M && w "$I/v2.qcow2" "write -P 0x45 0 1M" || bail_out "v2"
mk -o preallocation=metadata "$I/prealloc.qcow2" 4M || bail_out "preallocated"
mk "$I/discard.qcow2" 8M && w "$I/discard.qcow2" "write -P 0x46 0 2M" &&
    w "$I/discard.qcow2" "discard 0 1M" || bail_out "discarded"
mk "$I/snap.qcow2" 8M && w "$I/snap.qcow2" "write -P 0x47 0 1M" &&
    qemu-img snapshot -c s1 "$I/snap.qcow2" && w "$I/snap.qcow2" "write -P 0x48 0 64k" ||
    bail_out "internal snapshot"
mk "$I/src.qcow2" 8M && w "$I/src.qcow2" "write -P 0x49 0 2M" &&
    qemu-img convert -c -O qcow2 "$I/src.qcow2" "$I/compressed.qcow2" || bail_out "compressed"
# The findings, each on an image of its own.
mk "$I/leak.qcow2" 8M && w "$I/leak.qcow2" "write -P 0x4a 0 1M" && set_ref "$I/leak.qcow2" 3 2 ||
    bail_out "leak"
mk "$I/unref.qcow2" 8M && w "$I/unref.qcow2" "write -P 0x4b 0 1M" && set_ref "$I/unref.qcow2" 3 0 ||
    bail_out "unref"
mk "$I/twice.qcow2" 8M && w "$I/twice.qcow2" "write -P 0x4c 0 1M" &&
    set_ref "$I/twice.qcow2" $(($(first_data "$I/twice.qcow2") / 65536)) 2 || bail_out "twice"
mk "$I/end.qcow2" 8M && set_ref "$I/end.qcow2" end 1 && set_ref "$I/end.qcow2" end 1 ||
    bail_out "end"
mk -o cluster_size=512 "$I/small-leak.qcow2" 4M && w "$I/small-leak.qcow2" "write -P 0x4d 0 256k" &&
    set_ref "$I/small-leak.qcow2" 1 3 || bail_out "small leak"

uri=$(lab_daemon_start "$LAB_TMP/d") || bail_out "no daemon"
disks=() t=(a b c d e f g h i j k l m n o p)
n=0
for img in empty data small big v2 prealloc discard snap compressed leak unref twice end small-leak; do
    disks+=(--disk "vd${t[n]}=$I/$img.qcow2")
    n=$((n + 1))
done
lab_domain_define "$uri" off "${disks[@]}" --shutoff || bail_out "shut-off domain"
# A running domain's chain: read with -U by qemu-img, while QEMU holds it.
mk "$I/run-base.qcow2" 8M && w "$I/run-base.qcow2" "write -P 0x4e 0 1M" &&
    set_ref "$I/run-base.qcow2" 3 2 && mk -b "$I/run-base.qcow2" -F qcow2 "$I/run-top.qcow2" ||
    bail_out "running chain"
lab_domain_define "$uri" on --disk "vda=$I/run-top.qcow2" --disk "vdb=$I/over.qcow2" --running ||
    bail_out "running domain"

VIRT_SNAPTREE_TRACE=$LAB_TMP/trace "$BIN" -c "$uri" --doctor --json >"$LAB_TMP/doctor.json"
is "$(sed -n 's/.* doctor-check by=qemu-img path=//p' "$LAB_TMP/trace" | sort | paste -sd ' ')" \
    "$I/compressed.qcow2 $I/snap.qcow2" \
    "only the images with compressed clusters or internal snapshots were left to qemu-img"
ours=$(bash "$CHECK" --doctor "$LAB_TMP/doctor.json")
theirs=$(bash "$CHECK" "$I"/{empty,data,over,small,big,v2,prealloc,discard,snap,compressed}.qcow2 \
    "$I"/{leak,unref,twice,end,small-leak}.qcow2 -U "$I/run-base.qcow2" -U "$I/run-top.qcow2")
is "$ours" "$theirs" "the doctor's corruptions and leaks are qemu-img check's, image by image"
is "$theirs" "$I/end.qcow2 0 2
$I/leak.qcow2 0 1
$I/run-base.qcow2 0 1
$I/small-leak.qcow2 0 1
$I/twice.qcow2 1 1
$I/unref.qcow2 1 0" "and they are the planted ones (the comparison is not vacuous)"
is "$(jq -r '[.findings[] | select(.check == "qemu-img-check")] | length' "$LAB_TMP/doctor.json")" 7 \
    "seven findings: the doubly counted data cluster is a leak and a corruption (its copied flag)"
ok "the written data reads back the same (512-byte clusters)" \
    qemu-io -f qcow2 -r -c "read -P 0x43 0 1M" "$I/small.qcow2"
ok "and in the overlay" qemu-io -f qcow2 -r -U -c "read -P 0x42 1M 64k" "$I/over.qcow2"
