#!/bin/bash
# tests/lab/lab-journal.sh: the journal of actions driven through the backend API
# (tests/lab/snap-backend) on a real host: each action writes one entry before it runs and
# completes it after, checked field by field against what libvirt and the image headers said
# (definitions, snapshot XML, chains, header checksums computed here independently), files and
# folders private; a folder that cannot take an entry (a small full tmpfs, a file in the way)
# refuses the action before anything runs unless the admin chose to go on without a journal;
# --journal prints the entries newest first, as text and as JSON lines; undo gives back a
# metadata-only delete and a revert exactly as recorded, and refuses a stale entry and a merge.
# TAP; root.
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
PROG=$top_builddir/ui/virt-snaptree

URI=$(lab_stack_host "$LAB_TMP/e") || bail_out "no host"
D=$LAB_TMP/img
J=$XDG_STATE_HOME/virt-snaptree/journal

# A name as a folder name, the way the program encodes it: bytes other than [A-Za-z0-9_-], and
# a leading '.', as %XX.
enc() {
    python3 -c 'import sys
b = sys.argv[1].encode()
print("".join(chr(c) if chr(c).isascii() and (chr(c).isalnum() or chr(c) in "_-" or (chr(c) == "." and i))
              else "%%%02X" % c for i, c in enumerate(b)))' "$1"
}
HOST_DIR=$J/$(enc "$URI")
# Up to SECONDS for a command to succeed.
until_true() {
    local t0
    t0=$(lab_now)
    until "${@:2}"; do
        awk -v e="$(lab_elapsed "$t0")" -v m="$1" 'BEGIN { exit !(e < m) }' || return 1
        sleep 0.1
    done
}
# The newest entry of domain $1, and how many there are.
newest() { find "$HOST_DIR/$(enc "$1")" -maxdepth 1 -name '*.json' | sort | tail -n 1; }
count() { find "$HOST_DIR/$(enc "$1")" -maxdepth 1 -name '*.json' 2>/dev/null | wc -l; }
# A field of entry $1 (jq path $2), raw.
field() { jq -r "$2" "$1"; }
# The header checksum as the journal defines it: FNV-1a 64 over a qcow2 image's first cluster.
header_sum() {
    python3 - "$1" <<'EOF'
import struct, sys
with open(sys.argv[1], 'rb') as f:
    head = f.read(24)
    bits = struct.unpack('>I', head[20:24])[0]
    f.seek(0)
    data = f.read(1 << bits)
h = 14695981039346656037
for b in data:
    h = ((h ^ b) * 1099511628211) & 0xFFFFFFFFFFFFFFFF
print('fnv1a64:%016x' % h)
EOF
}
# One layer as "path|format|virtual size|backing name as written|header sum", from the headers.
layer_facts() {
    local info
    info=$(qemu-img info -U --output=json "$1") || return 1
    printf '%s|%s|%s|%s|%s\n' "$1" "$(jq -r '.format' <<<"$info")" \
        "$(jq -r '."virtual-size"' <<<"$info")" \
        "$(jq -r '."backing-filename" // "null"' <<<"$info")" "$(header_sum "$1")"
}
# The same from an entry's chain (jq path to a chain object).
entry_layers() {
    jq -r "$2.layers[] | [.path, .format, .virtual_size, (.backing_name // \"null\"),
        .header_sum] | map(tostring) | join(\"|\")" "$1"
}

# ---- a snapshot create: the entry written before it ran, completed after ----
lab_chain --patterns "$D" jbase.qcow2 jtop.qcow2 || bail_out "images"
lab_domain_define "$URI" jd --disk "vda=$D/jtop.qcow2" || bail_out "domain jd"
XML_BEFORE=$(lab__virsh_q "$URI" dumpxml jd --inactive)
CHAIN_BEFORE=$(layer_facts "$D/jtop.qcow2" && layer_facts "$D/jbase.qcow2")
ok "external snapshot s1 of the shut-off domain" sb create jd s1 disk-only
is "$(count jd)" 1 "one entry for the action"
E=$(newest jd)
like "$(basename "$E")" '^[0-9]{8}T[0-9]{6}\.[0-9]{9}Z-snapshot-create\.json$' \
    "named by its UTC start time and the action"
is "$(stat -c %a "$E") $(stat -c %a "$HOST_DIR/jd") $(stat -c %a "$HOST_DIR") $(stat -c %a "$J")" \
    "600 700 700 700" "the entry is 0600, its folders 0700"
is "$(wc -l <"$E")" 1 "one JSON document on one line"
is "$(field "$E" '[.format, .version, .host, .domain, .action] | map(tostring) | join(" ")')" \
    "virt-snaptree-journal 1 $URI jd snapshot-create" "format, host, domain, action"
is "$(field "$E" '.request.snapshot')" "s1" "the request's snapshot name"
is "$(field "$E" '.who.user') $(field "$E" '.who.uid')" "$(id -un) $(id -u)" "who ran it"
is "$(field "$E" '.who.ssh_client')" "null" "no SSH_CLIENT: no address"
like "$(field "$E" '.started')" '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$' \
    "started, UTC"
is "$(field "$E" '.before.state')" "shut off" "the domain's state before"
is "$(field "$E" '.before.xml_inactive')" "$XML_BEFORE" \
    "the inactive definition before, as libvirt gave it"
is "$(field "$E" '.before.xml_active')" "null" "no live definition of a shut-off domain"
is "$(field "$E" '.before.snapshots | length')" 0 "no snapshots before"
is "$(entry_layers "$E" '.before.chains[0]')" "$CHAIN_BEFORE" \
    "the chain before: paths, formats, sizes, backing names and header sums as the headers say"
is "$(field "$E" '.before.chains[0].disk')" "vda" "of disk vda"
is "$(field "$E" '.after.outcome') $(field "$E" '.after.ok') $(field "$E" '.after.bytes_moved')" \
    "done true 0" "the outcome: done, no data moved"
is "$(entry_layers "$E" '.after.chains[0]')" \
    "$(layer_facts "$D/jd_s1.qcow2" && layer_facts "$D/jtop.qcow2" && layer_facts "$D/jbase.qcow2")" \
    "the chain as it became: the new overlay on top, each header as it is now"
is "$(field "$E" '.after.duration | (type == "number" and . > 0)')" true "how long it took"

# ---- a metadata-only delete: the snapshot's XML and current flag kept ----
SNAP_XML=$(lab__virsh_q "$URI" snapshot-dumpxml jd s1)
ok "delete s1's metadata only" sb delete jd s1 --metadata
is "$(count jd)" 2 "a second entry"
E=$(newest jd)
is "$(field "$E" '.action') $(field "$E" '.request.flags | join(",")')" \
    "snapshot-delete metadata-only" "the action and its flags"
is "$(field "$E" '.before.snapshots | map(.name + ":" + (.current | tostring)) | join(" ")')" \
    "s1:true" "the snapshot, current, as it was"
is "$(field "$E" '.before.snapshots[0].xml')" "$SNAP_XML" "its XML as libvirt gave it"
is "$(snaps jd)" "" "libvirt has no snapshot left"
is "$(field "$E" '.after.outcome')" "done" "done"

# ---- an offline commit: completed when its job ends, with the data it moved ----
lab_chain --patterns "$D" cbase.qcow2 cmid.qcow2 ctop.qcow2 || bail_out "images"
lab_domain_define "$URI" jc --disk "vda=$D/ctop.qcow2" || bail_out "domain jc"
ok "commit ctop into cmid (offline: qemu-img)" sb commit jc vda 0 1 || diag "$OUT"
E=$(newest jc)
is "$(field "$E" '.action') $(field "$E" '.request.top') $(field "$E" '.request.base')" \
    "commit $D/ctop.qcow2 $D/cmid.qcow2" "the commit's top and base"
like "$(field "$E" '.plan')" "ctop" "the plan shown is kept"
ok "the entry is completed once the job ended" \
    until_true 30 eval '[ "$(jq -r .after.outcome "$(newest jc)")" = completed ]'
E=$(newest jc)
ok "bytes moved: the plan's figure of the data copied" \
    eval '[ "$(field "$E" .after.bytes_moved)" -gt 0 ]'
is "$(field "$E" '.after.chains[0].layers | map(.path) | join(" ")')" \
    "$(jq -r '.[].filename' < <(qemu-img info -U --backing-chain --output=json "$(lab_disk_source "$URI" jc vda)") | tr '\n' ' ' | sed 's/ $//')" \
    "the chain after is the one the images now form"
ok "the data is whole: layers 0..2 read back" \
    lab_pattern_verify "$(lab_disk_source "$URI" jc vda)" 3

# ---- a folder that cannot take an entry: refused before anything runs ----
FULL=$LAB_TMP/full
mkdir -p "$FULL"
mount -t tmpfs -o size=256k lab-journal-full "$FULL" || bail_out "tmpfs"
lab_on_cleanup umount -l "$FULL"
head -c 1M /dev/zero >"$FULL/filler" 2>/dev/null
N=$(count jd)
ok "a snapshot with the journal on a full disk is refused" \
    fails env XDG_STATE_HOME="$FULL" "$SB" "$URI" create jd s2 disk-only
OUT=$(env XDG_STATE_HOME="$FULL" "$SB" "$URI" create jd s2 disk-only 2>&1)
like "$OUT" "journal cannot be written.*nearly full" "and says why"
ok "nothing ran: no overlay" absent "$D/jd_s2.qcow2"
is "$(snaps jd)" "" "and no snapshot"
: >"$LAB_TMP/not-a-folder"
OUT=$(env XDG_STATE_HOME="$LAB_TMP/not-a-folder" "$SB" "$URI" create jd s2 disk-only 2>&1)
like "$OUT" "result failed.*journal cannot be written.*Not a directory" \
    "a file where its folder should be is refused too"
ok "going on without a journal is the admin's choice" \
    env XDG_STATE_HOME="$FULL" "$SB" "$URI" create jd s2 disk-only --no-journal
is "$(snaps jd)" "s2 " "the snapshot was taken"
is "$(count jd)" "$N" "and no entry written anywhere"

# ---- --journal ----
TEXT=$("$PROG" --journal jd 2>&1)
is "$(grep -c '^20' <<<"$TEXT")" 2 "--journal DOMAIN: one head line per entry"
HEAD=$(head -n 1 <<<"$TEXT")
is "${HEAD#* }" "$(printf ' snapshot-delete  jd  %s  by %s  done in %s s, 0 B moved' "$URI" \
    "$(id -un)" "$(printf '%.1f' "$(jq -r .after.duration "$(newest jd)")")")" \
    "newest first: what, the domain, the host, who, the outcome"
like "$TEXT" "    before:"$'\n'"      $D/jtop.qcow2 \(qcow2\)" "the chain before"
LINES=$("$PROG" --journal --json -c "$URI" 2>&1)
is "$(wc -l <<<"$LINES")" 3 "--json -c URI: one JSON line per entry of the host"
is "$(jq -r '.domain + " " + .action' <<<"$LINES" | tr '\n' ',')" \
    "jc commit,jd snapshot-delete,jd snapshot-create," "newest first"
is "$(head -n 1 <<<"$LINES")" "$(cat "$(newest jc)")" "each line is the entry's document"
is "$("$PROG" --journal -c qemu:///nowhere | wc -c)" 0 "a host with no journal prints nothing"

# ---- undo: snapshot metadata removed is defined again, current flag included ----
# XML compared after canonicalisation (attribute order, empty elements, whitespace between tags).
canon() { xmllint --c14n - | xmllint --format - 2>/dev/null; }
lab_chain --patterns "$D" ubase.qcow2 || bail_out "images"
lab_domain_define "$URI" ju --disk "vda=$D/ubase.qcow2" || bail_out "domain ju"
ok "two snapshots, u2 on u1" eval 'sb create ju u1 disk-only && sb create ju u2 disk-only'
ok "write layer 1 into u2's overlay" lab_pattern_layer "$D/ju_u2.qcow2" 1
U1=$(lab__virsh_q "$URI" snapshot-dumpxml ju u1 | canon)
U2=$(lab__virsh_q "$URI" snapshot-dumpxml ju u2 | canon)
ok "delete u1 and its child, metadata only" sb delete ju u1 --children --metadata
is "$(snaps ju)" "" "no snapshot is left"
E=$(newest ju)
ok "undo the delete" sb undo ju "$E"
like "$OUT" "the entry's snapshot-delete is undone" "it says so"
is "$(snaps ju)" "u1 u2 " "both snapshots are defined again"
is "$(lab__virsh_q "$URI" snapshot-current ju --name)" "u2" "u2 is current again"
is "$(lab__virsh_q "$URI" snapshot-dumpxml ju u1 | canon)" "$U1" "u1's XML is what was recorded"
is "$(lab__virsh_q "$URI" snapshot-dumpxml ju u2 | canon)" "$U2" "u2's XML is what was recorded"
is "$(lab__virsh_q "$URI" snapshot-parent ju u2)" "u1" "the tree is as it was"
ok "the data did not move (layers 0..1)" lab_pattern_verify "$D/ju_u2.qcow2" 2
is "$(field "$(newest ju)" '.action + " " + .after.outcome')" "undo done" \
    "the undo has its own entry"
ok "undoing it again is refused: nothing to give back" fails sb undo ju "$E"
like "$OUT" "not undone: every snapshot the entry saw is defined" "and says why"

# ---- undo: a revert puts the disk back on the branch it left ----
lab_chain --patterns "$D" rbase.qcow2 || bail_out "images"
lab_domain_define "$URI" jr --disk "vda=$D/rbase.qcow2" || bail_out "domain jr"
ok "snapshot r1" sb create jr r1 disk-only
ok "write layer 1 into its overlay" lab_pattern_layer "$D/jr_r1.qcow2" 1
DEF=$(lab__virsh_q "$URI" dumpxml jr --inactive | canon)
ok "revert to r1" sb revert jr r1
NEW=$(lab_disk_source "$URI" jr vda)
isnt() { [ "$1" != "$2" ]; }
ok "the disk left the overlay" isnt "$NEW" "$D/jr_r1.qcow2"
R=$(newest jr)
is "$(field "$R" .action)" "revert" "the revert's entry"
ok "undo the revert" sb undo jr "$R"
is "$(lab_disk_source "$URI" jr vda)" "$D/jr_r1.qcow2" "the disk is back on the overlay it left"
is "$(lab__virsh_q "$URI" dumpxml jr --inactive | canon)" "$DEF" \
    "the definition is the recorded one"
ok "with the data written there (layers 0..1)" lab_pattern_verify "$D/jr_r1.qcow2" 2
is "$(lab__virsh_q "$URI" snapshot-current jr --name)" "r1" "r1 is current"

# ---- a stale entry is refused, naming the difference ----
# A second revert within the same second found the first one's overlay under the name it wanted:
# both the program's branches (9.0) and libvirt's own overlays (11.3: IMAGE.SECONDS) are named by
# the second. Here the names of this second and the next are taken (the branches' of the next
# few): the program numbers its branch, and waits for a free second before libvirt's revert.
t=$(date +%s)
for i in 0 1 2 3 4; do
    : >"$D/jr_r1.branch-$(date -d "@$((t + i))" +%Y%m%d-%H%M%S).qcow2"
done
: >"$D/rbase.$t"
: >"$D/rbase.$((t + 1))"
ok "revert to r1 again" sb revert jr r1 || diag "$OUT"
R2=$(newest jr)
NEW=$(lab_disk_source "$URI" jr vda)
if [ "${LAB_STACK:-bookworm}" = bookworm ]; then
    like "$NEW" "jr_r1\.branch-[0-9]{8}-[0-9]{6}-2\.qcow2$" "its branch is numbered: its stamped name was taken"
else
    like "$NEW" "/rbase\.[0-9]+$" "libvirt's overlay has a name of its own"
    free_name() { [ "$NEW" != "$D/rbase.$t" ] && [ "$NEW" != "$D/rbase.$((t + 1))" ]; }
    ok "not one of the names taken" free_name
fi
ok "another tool rewrites the overlay's backing name" \
    qemu-img rebase -u -F qcow2 -b "./rbase.qcow2" "$D/jr_r1.qcow2"
ok "the undo is refused" fails sb undo jr "$R2"
like "$OUT" "not undone: the images changed since the entry: the header of $D/jr_r1\.qcow2 changed" \
    "and names the image whose header changed"
is "$(lab_disk_source "$URI" jr vda)" "$NEW" "nothing was changed"

# ---- a merge's undo: refused once the image it merged into was written since ----
ok "another tool writes into cmid, the image the commit merged into" \
    lab_io_write "$D/cmid.qcow2" 0xe3 40M 64K
ok "the commit's undo is refused" fails sb undo jc "$(find "$HOST_DIR/jc" -name '*-commit.json')"
like "$OUT" "not undone: the images changed since the entry: $D/cmid\\.qcow2 was written since the merge" \
    "naming the image written since"

lab_timing "lab-journal" "$T_ALL"
done_testing
