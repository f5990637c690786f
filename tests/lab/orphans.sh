#!/bin/bash
# --orphans against a real host whose folders hold each kind of file: chains in use (a running
# and a shut-off domain), a snapshot's image, a save file this tool recorded, an image nothing
# references, an orphan with its own chain below it, an overlay nobody uses on a base in use, a
# save file nothing names, a qcow2 cut short, and an image a running QEMU still holds under a
# new name. The text and the JSON are checked byte for byte, then --fix removes exactly what it
# offered after a typed yes, and the chains in use read the same data afterwards.
. "${top_srcdir:-.}/tests/lab/lab.sh"
BIN=$(realpath "${top_builddir:-.}/ui/virt-snaptree")
lab_init
command -v jq >/dev/null || skip_all "jq is not installed"
plan 13
export LC_ALL=C.UTF-8
unset LANGUAGE
umask 077
export XDG_STATE_HOME=$LAB_TMP/state

# --list's and the program's size units (st_fmt_bytes) for the bytes a file occupies.
size_of() {
    awk -v b="$(($(stat -c %b "$1") * 512))" 'BEGIN {
        if (b < 1024) { print b " B"; exit }
        split("B KiB MiB GiB TiB PiB EiB", u, " ")
        for (i = 1; b >= 1024 && i < 7; i++) b /= 1024
        printf(b < 10 ? "%.2f %s\n" : b < 100 ? "%.1f %s\n" : "%.0f %s\n", b, u[i])
    }'
}
save_file() { # a file with the header libvirt writes at the start of a save or memory file
    { printf 'LibvirtQemudSave'; head -c 4080 /dev/zero; } >"$1"
}

D=$LAB_TMP/d
I=$LAB_TMP/img
uri=$(lab_daemon_start "$D") || bail_out "no daemon"
lab_chain --absolute --patterns "$I" base.qcow2 top.qcow2 || bail_out "chain"
lab_domain_define "$uri" off --disk "vda=$I/top.qcow2" --shutoff || bail_out "off"
lab_virsh "$uri" snapshot-create-as off s1 --disk-only \
    --diskspec "vda,snapshot=external,file=$I/s1.qcow2" >/dev/null || bail_out "snapshot"
lab_chain --absolute "$I" run.qcow2 || bail_out "run chain"
lab_domain_define "$uri" run --disk "vda=$I/run.qcow2" --running || bail_out "run"
# The running domain's image, moved while its QEMU holds it: libvirt still names the old path.
mv "$I/run.qcow2" "$I/moved.qcow2"
qemu-img create -q -f qcow2 "$I/lone.qcow2" 1M || bail_out "lone"
lab_chain --absolute "$I" o-base.qcow2 o-top.qcow2 || bail_out "orphan chain"
qemu-img create -q -f qcow2 -b "$I/base.qcow2" -F qcow2 "$I/stray.qcow2" || bail_out "stray"
save_file "$I/old.save"
save_file "$I/kept.save"
mkdir -p "$XDG_STATE_HOME/virt-snaptree"
printf '1700000000\t0\toff\t%s\n' "$I/kept.save" >"$XDG_STATE_HOME/virt-snaptree/saves"
head -c 100 "$I/lone.qcow2" >"$I/half.qcow2"
# A storage pool's folder that no domain uses: scanned too.
P=$LAB_TMP/pool
mkdir -p "$P" && qemu-img create -q -f qcow2 "$P/vol.qcow2" 1M || bail_out "pool image"
lab_virsh "$uri" pool-create-as p dir --target "$P" >/dev/null || bail_out "pool"
echo "not an image" >"$I/notes.txt"
now=$(date +%s)
touch -d "@$((now - 3 * 86400 - 60))" "$I"/* "$P"/*

s() { size_of "$I/$1"; }
expected="backing file: $I/base.qcow2  $(s base.qcow2), 3 days old, by off vda
leftover: $I/half.qcow2  $(s half.qcow2), 3 days old, truncated qcow2 header
referenced: $I/kept.save  $(s kept.save), 3 days old, by a save of off
orphan: $I/lone.qcow2  $(s lone.qcow2), 3 days old, nothing references it
orphan: $I/moved.qcow2  $(s moved.qcow2), 3 days old, nothing references it; open by a running QEMU
orphan's chain: $I/o-base.qcow2  $(s o-base.qcow2), 3 days old, below $I/o-top.qcow2
orphan: $I/o-top.qcow2  $(s o-top.qcow2), 3 days old, nothing references it
memory or save file: $I/old.save  $(s old.save), 3 days old, nothing references it
in use: $I/s1.qcow2  $(s s1.qcow2), 3 days old, by off vda, snapshot s1 of off
orphan: $I/stray.qcow2  $(s stray.qcow2), 3 days old, nothing references it
backing file: $I/top.qcow2  $(s top.qcow2), 3 days old, by off vda, snapshot s1 of off
orphan: $P/vol.qcow2  $(size_of "$P/vol.qcow2"), 3 days old, nothing references it"
out=$("$BIN" -c "$uri" --orphans)
is "$?" 0 "--orphans exits 0"
body=$(sed '$d' <<<"$out")
is "$body" "$expected" "each file, its class, size, age and references, by path"
rm_bytes=$((($(stat -c %b "$I/half.qcow2" "$I/lone.qcow2" "$I/o-base.qcow2" "$I/o-top.qcow2" \
    "$I/old.save" "$I/stray.qcow2" "$P/vol.qcow2" | paste -sd+)) * 512))
is "$(tail -1 <<<"$out")" \
    "12 files found in 2 folders: 7 could be removed ($(awk -v b=$rm_bytes 'BEGIN {
        split("B KiB MiB GiB", u, " "); for (i = 1; b >= 1024 && i < 4; i++) b /= 1024
        printf(b < 10 ? "%.2f %s" : b < 100 ? "%.1f %s" : "%.0f %s", b, u[i]) }'))" \
    "the count and what removal would free"

json=$("$BIN" -c "$uri" --orphans --json)
is "$(jq -r '.files[] | "\(.path | ltrimstr("'"$LAB_TMP"'/")) \(.class) \(.removable) \(.open)"' <<<"$json")" \
    "img/base.qcow2 backing false false
img/half.qcow2 leftover true false
img/kept.save referenced false false
img/lone.qcow2 orphan true false
img/moved.qcow2 orphan false true
img/o-base.qcow2 orphan-chain true false
img/o-top.qcow2 orphan true false
img/old.save save true false
img/s1.qcow2 in-use false false
img/stray.qcow2 orphan true false
img/top.qcow2 backing false false
pool/vol.qcow2 orphan true false" "the JSON classes, what is removable and what a QEMU holds"
is "$(jq -r '[.removable, .removable_bytes, .folders] | map(tostring) | join(" ")' <<<"$json")" \
    "7 $rm_bytes 2" "the JSON's totals"
is "$(jq -r '.files[] | select(.path | endswith("lone.qcow2")) | "\(.bytes) \(.age_days)"' <<<"$json")" \
    "$(($(stat -c %b "$I/lone.qcow2") * 512)) 3" "a file's bytes are what it occupies (du), its age in days"

# Removal: the plan lists each file and the bytes; nothing happens without yes.
no=$(echo no | "$BIN" -c "$uri" --orphans --fix | sed -n '/^The plan/,$p')
like "$no" "^The plan: remove 7 files \\(" "the plan counts the files"
like "$no" "^  7\\. $P/vol\\.qcow2  $(size_of "$P/vol.qcow2")$" "and lists each with its size"
ok "without yes nothing is removed" test -f "$I/lone.qcow2" -a -f "$I/o-base.qcow2"
yes=$(echo yes | "$BIN" -c "$uri" --orphans --fix | grep -c '^removed: ')
is "$yes" 7 "a typed yes removes the seven"
is "$(cd "$I" && ls | LC_ALL=C sort | paste -sd' ')" \
    "base.qcow2 kept.save moved.qcow2 notes.txt s1.qcow2 top.qcow2" \
    "exactly what was offered is gone; what is referenced or open stays"
ok "the snapshot's chain reads the same data" lab_pattern_verify "$I/s1.qcow2" 2
is "$("$BIN" -c "$uri" --orphans | tail -1 | sed 's/(.*)/(X)/')" \
    "5 files found in 2 folders: 0 could be removed (X)" "afterwards nothing is offered"
