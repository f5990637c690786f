#!/bin/bash
# tests/lab/lab-journal-merge-undo.sh: undo of the definition an offline merge changed, through
# the backend API (tests/lab/snap-backend) on a real host. A commit of a shut-off domain's active
# layer into the layer below moves the domain onto that layer; the entry records, at the
# merge's end, each remaining image's identity (size, mtime in ns, a checksum of its L1 and
# refcount tables, computed here independently). Undo puts the recorded definition back only
# while the old top is there with its recorded header and the merge's target was not written
# since: byte for byte through the chain it restores; refused, naming the file and what changed,
# once the target was written (qemu-io) or the merged file was removed (--delete). TAP; root.
if [ -z "${BASH_VERSION:-}" ]; then
    exec bash "$0" "$@"
fi
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
# shellcheck source=tests/lab/lab.sh
. "$top_srcdir/tests/lab/lab.sh"
# shellcheck source=tests/lab/snap-lib.sh
. "$top_srcdir/tests/lab/snap-lib.sh"
lab_init
T_ALL=$(lab_now)
export XDG_STATE_HOME=$LAB_TMP/state
plan 30

URI=$(lab_stack_host "$LAB_TMP/e") || bail_out "no host"
D=$LAB_TMP/img
J=$XDG_STATE_HOME/virt-snaptree/journal
newest() { find "$J" -path "*/$1/*-$2.json" | sort | tail -n 1; }
field() { jq -r "$2" "$1"; }
canon() { xmllint --c14n - | xmllint --format - 2>/dev/null; }
source_of() { lab_disk_source "$URI" "$1" vda; }
# An image's identity as the journal defines it: size, mtime in ns, FNV-1a 64 over its L1
# table then its refcount table (offsets and sizes from the qcow2 header).
identity() {
    python3 - "$1" <<'EOF'
import os, struct, sys
p = sys.argv[1]
st = os.stat(p)
with open(p, 'rb') as f:
    h = f.read(64)
    bits = struct.unpack('>I', h[20:24])[0]
    l1_size, = struct.unpack('>I', h[36:40])
    l1_off, rt_off = struct.unpack('>QQ', h[40:56])
    rt_clusters, = struct.unpack('>I', h[56:60])
    f.seek(l1_off)
    data = f.read(l1_size * 8)
    f.seek(rt_off)
    data += f.read(rt_clusters << bits)
s = 14695981039346656037
for b in data:
    s = ((s ^ b) * 1099511628211) & 0xFFFFFFFFFFFFFFFF
print('%d %d fnv1a64:%016x' % (st.st_size, st.st_mtime_ns, s))
EOF
}
recorded_identity() { # ENTRY PATH
    jq -r --arg p "$2" '.after.chains[] | select(.disk == "vda") | .layers[] | select(.path == $p) |
        .identity | "\(.size) \(.mtime_ns) \(.meta_sum)"' "$1"
}

# ---- files kept: undo puts the domain back on its old top ----
lab_chain --patterns "$D" kbase.qcow2 kmid.qcow2 ktop.qcow2 >/dev/null || bail_out "images"
lab_domain_define "$URI" jk --disk "vda=$D/ktop.qcow2" || bail_out "domain jk"
DEF=$(lab__virsh_q "$URI" dumpxml jk --inactive | canon)
ok "commit ktop into kmid (offline, files kept)" sb commit jk vda 0 1 || diag "$OUT"
E=$(newest jk commit)
is "$(field "$E" '.before.state + " " + .after.outcome')" "shut off completed" \
    "the entry: an offline merge that completed"
is "$(source_of jk)" "$D/kmid.qcow2" "the domain is on kmid now"
is "$(recorded_identity "$E" "$D/kmid.qcow2")" "$(identity "$D/kmid.qcow2")" \
    "the entry recorded kmid's identity at the merge's end (size, mtime, L1 and refcount tables)"
is "$(recorded_identity "$E" "$D/kbase.qcow2")" "$(identity "$D/kbase.qcow2")" \
    "and kbase's"
ok "ktop is kept" exists "$D/ktop.qcow2"
ok "undo the merge's definition" sb undo jk "$E" || diag "$OUT"
like "$OUT" "the entry's commit is undone" "it says so"
is "$(source_of jk)" "$D/ktop.qcow2" "the disk is back on ktop"
is "$(lab__virsh_q "$URI" dumpxml jk --inactive | canon)" "$DEF" "the definition is the recorded one"
ok "every byte reads back through ktop (layers 0..2)" lab_pattern_verify "$D/ktop.qcow2" 3
ok "and kmid holds what was merged (layers 0..2)" lab_pattern_verify "$D/kmid.qcow2" 3
is "$(field "$(newest jk undo)" '.action + " " + .after.outcome')" "undo done" "the undo's own entry"

# ---- the target written since the merge: refused ----
ok "commit ktop into kmid again" sb commit jk vda 0 1 || diag "$OUT"
E2=$(newest jk commit)
isnt() { [ "$1" != "$2" ]; }
ok "a new entry" isnt "$E2" "$E"
SIZE=$(stat -c %s "$D/kmid.qcow2")
# An allocated cluster of kmid (layer 1's pattern) overwritten: its size stays, its mtime not.
ok "another tool writes into kmid where it holds data" lab_io_write "$D/kmid.qcow2" 0xe1 1M 64K
is "$(stat -c %s "$D/kmid.qcow2")" "$SIZE" "kmid's size did not change"
ok "the undo is refused" fails sb undo jk "$E2"
like "$OUT" "not undone: the images changed since the entry: $D/kmid\\.qcow2 was written since the merge: modified at [0-9]+ ns since the epoch, was [0-9]+" \
    "naming kmid and its modification time"
is "$(source_of jk)" "$D/kmid.qcow2" "the domain stays on kmid"
ok "with the data as written (0xe1 over layer 1), and layer 2 merged" \
    lab_io_verify "$D/kmid.qcow2" 0xe1 1M 64K 0x12 2M 64K 0x10 0 64K
# A new cluster: the file grows.
ok "another write allocates a new cluster in kmid" lab_io_write "$D/kmid.qcow2" 0xe2 40M 1M
ok "refused again" fails sb undo jk "$E2"
like "$OUT" "$D/kmid\\.qcow2 was written since the merge: its size is [0-9]+ bytes, was $SIZE" \
    "naming kmid's size"

# ---- the merged file removed: gone ----
lab_chain --patterns "$D" rbase.qcow2 rmid.qcow2 rtop.qcow2 >/dev/null || bail_out "images"
lab_domain_define "$URI" jr --disk "vda=$D/rtop.qcow2" || bail_out "domain jr"
ok "commit rtop into rmid, deleting it afterwards" sb commit jr vda 0 1 --delete || diag "$OUT"
ok "rtop is removed" absent "$D/rtop.qcow2"
ok "the undo is refused" fails sb undo jr "$(newest jr commit)"
like "$OUT" "not undone: the images changed since the entry: $D/rtop\\.qcow2 is gone" \
    "naming the file that is gone"
is "$(source_of jr)" "$D/rmid.qcow2" "the domain stays on rmid"
ok "every byte reads back through rmid (layers 0..2)" lab_pattern_verify "$D/rmid.qcow2" 3

lab_timing "lab-journal-merge-undo" "$T_ALL"
done_testing
