#!/bin/bash
# --doctor against a real host with one domain per finding: a clean chain, a backing file named
# without its format, an image others may read, leaked clusters, a corruption, the dirty and the
# corrupt header bits, a relative backing name that means another file from the current folder,
# a chain past the admin's depth, a running domain whose inactive definition names an image that
# is gone, and snapshot metadata whose file is gone. The text and the JSON are checked byte for
# byte, then --fix makes the safe fixes after a typed yes, and the data is the same afterwards.
. "${top_srcdir:-.}/tests/lab/lab.sh"
BIN=$(realpath "${top_builddir:-.}/ui/virt-snaptree")
lab_init
command -v jq >/dev/null || skip_all "jq is not installed"
plan 23
export LC_ALL=C.UTF-8
unset LANGUAGE
# Images are made private (as the program's own are); one is opened to others on purpose.
umask 077

# Edits a qcow2 header or refcount in place: nofmt (drop the backing format extension), dirty,
# corrupt (the incompatible bits), leak (cluster 3 counted twice), unref (cluster 3 counted 0).
qcow2_edit() {
    python3 - "$1" "$2" <<'EOF'
import struct, sys
op, path = sys.argv[1], sys.argv[2]
f = open(path, 'r+b')
h = f.read(112)
if op == 'nofmt':
    off = struct.unpack('>I', h[100:104])[0]
    while True:
        f.seek(off)
        t, l = struct.unpack('>II', f.read(8))
        if t == 0:
            sys.exit('no backing format extension')
        if t == 0xE2792ACA:
            f.seek(off)
            f.write(struct.pack('>I', 0x0BADF00D))  # an extension qemu ignores
            break
        off += 8 + (l + 7) // 8 * 8
elif op in ('dirty', 'corrupt'):
    v = struct.unpack('>Q', h[72:80])[0] | (1 if op == 'dirty' else 2)
    f.seek(72)
    f.write(struct.pack('>Q', v))
else:
    f.seek(struct.unpack('>Q', h[48:56])[0])
    rb = struct.unpack('>Q', f.read(8))[0]
    f.seek(rb + 2 * 3)
    f.write(struct.pack('>H', 2 if op == 'leak' else 0))
EOF
}

D=$LAB_TMP/d
I=$LAB_TMP/img
uri=$(lab_daemon_start "$D") || bail_out "no daemon"
one() { # one NAME EDIT...: a two-layer chain in I/NAME, the top edited, a shut-off domain on it
    local name=$1 rel=--absolute
    shift
    [ "$name" = h-rel ] && rel=
    lab_chain $rel --patterns "$I/$name" base.qcow2 top.qcow2 || return 1
    for e in "$@"; do qcow2_edit "$e" "$I/$name/top.qcow2" || return 1; done
    lab_domain_define "$uri" "$name" --disk "vda=$I/$name/top.qcow2" --shutoff
}
one a-clean || bail_out "a-clean"
one b-nofmt nofmt || bail_out "b-nofmt"
one c-mode || bail_out "c-mode"
chmod 0644 "$I/c-mode/top.qcow2"
one d-leak leak || bail_out "d-leak"
one e-unref unref || bail_out "e-unref"
one f-dirty dirty || bail_out "f-dirty"
one g-corrupt corrupt || bail_out "g-corrupt"
one h-rel || bail_out "h-rel"
# From the folder the program runs in, the name base.qcow2 is another file.
W=$LAB_TMP/here
mkdir -p "$W" && qemu-img create -q -f qcow2 "$W/base.qcow2" 1M || bail_out "decoy"
lab_chain --absolute "$I/i-deep" l0.qcow2 l1.qcow2 l2.qcow2 l3.qcow2 l4.qcow2 || bail_out "deep chain"
lab_domain_define "$uri" i-deep --disk "vda=$I/i-deep/l4.qcow2" --shutoff || bail_out "i-deep"
# A running domain whose definition was changed to an image that is not there.
lab_chain --absolute "$I/j-moved" base.qcow2 top.qcow2 || bail_out "j-moved chain"
lab_domain_define "$uri" j-moved --disk "vda=$I/j-moved/top.qcow2" --running || bail_out "j-moved"
lab_virsh "$uri" dumpxml --inactive j-moved | sed "s|$I/j-moved/top.qcow2|$I/j-moved/gone.qcow2|" \
    >"$LAB_TMP/j.xml" && lab_virsh "$uri" define "$LAB_TMP/j.xml" >/dev/null || bail_out "redefine"
# A snapshot whose overlay was dropped: the disk put back on its base, the overlay removed.
lab_chain "$I/k-snap" base.qcow2 || bail_out "k-snap chain"
lab_domain_define "$uri" k-snap --disk "vda=$I/k-snap/base.qcow2" --shutoff || bail_out "k-snap"
lab_virsh "$uri" snapshot-create-as k-snap s1 --disk-only \
    --diskspec "vda,snapshot=external,file=$I/k-snap/s1.qcow2" >/dev/null || bail_out "snapshot"
lab_virsh "$uri" dumpxml --inactive k-snap | sed "s|$I/k-snap/s1.qcow2|$I/k-snap/base.qcow2|" \
    >"$LAB_TMP/k.xml" && lab_virsh "$uri" define "$LAB_TMP/k.xml" >/dev/null || bail_out "k back"
rm -f "$I/k-snap/s1.qcow2"

# The admin's limit from the configuration file (the hosts come from -c).
export XDG_CONFIG_HOME=$LAB_TMP/config
mkdir -p "$XDG_CONFIG_HOME/virt-snaptree"
echo "max-chain-depth = 4" >"$XDG_CONFIG_HOME/virt-snaptree/config"

out=$(cd "$W" && "$BIN" -c "$uri" --doctor)
rc=$?
is "$rc" 2 "--doctor exits 2 when there are errors"
expected="warning: b-nofmt vda $I/b-nofmt/top.qcow2: its backing file $I/b-nofmt/base.qcow2 is named without a format: QEMU guesses it [fix: qemu-img rebase -u -b $I/b-nofmt/base.qcow2 -F qcow2 $I/b-nofmt/top.qcow2]
warning: c-mode vda $I/c-mode/top.qcow2: others may read it (mode 0644): it holds guest data [fix: chmod 0600 $I/c-mode/top.qcow2]
warning: d-leak vda $I/d-leak/top.qcow2: qemu-img check: 1 leaked cluster (space lost, data safe)
error: e-unref vda $I/e-unref/top.qcow2: qemu-img check: 1 corruption
warning: f-dirty vda $I/f-dirty/top.qcow2: marked dirty in its header: it was not closed cleanly (qemu-img check -r all repairs its counts)
error: g-corrupt vda $I/g-corrupt/top.qcow2: marked corrupt in its header: QEMU opens it read-only at best
warning: h-rel vda $I/h-rel/top.qcow2: its relative backing name base.qcow2 means $I/h-rel/base.qcow2 to QEMU but $W/base.qcow2 from the current folder
warning: i-deep vda: its chain has 5 layers, more than 4 (merging some shortens it) [fix: compact the chain of i-deep/vda: commit l3.qcow2 down into l2.qcow2 (a commit plan)]
error: j-moved vda: runs on $I/j-moved/top.qcow2, but its definition names $I/j-moved/gone.qcow2, which is gone: the next start fails
error: k-snap: snapshot s1 names files that are gone: $I/k-snap/s1.qcow2 [fix: delete the metadata of snapshot s1 of k-snap (virsh snapshot-delete --metadata)]
11 chains checked: 4 errors, 6 warnings"
is "$out" "$expected" "--doctor names each finding, byte for byte"

json=$(cd "$W" && "$BIN" -c "$uri" --doctor --json --max-depth 5)
is "$?" 2 "--doctor --json exits 2 too"
is "$(jq -r '[.chains, .status, (.findings | length)] | map(tostring) | join(" ")' <<<"$json")" \
    "11 2 9" "--max-depth 5 wins over the file: the 5-layer chain is not reported"
is "$(jq -r '.findings[] | "\(.level) \(.check) \(.domain) \(.fix)"' <<<"$json")" \
    "warning backing-format b-nofmt rebase-format
warning mode c-mode chmod
warning qemu-img-check d-leak null
error qemu-img-check e-unref null
warning dirty f-dirty null
error corrupt g-corrupt null
warning relative-backing h-rel null
error inactive-source j-moved null
error snapshot-files k-snap snapshot-metadata" "the JSON names each check and its fix"

healthy=$("$BIN" -c "$uri" --doctor a-clean)
is "$?" 0 "a healthy chain: exit 0"
is "$healthy" "1 chain checked: healthy" "and it says so"
warn=$("$BIN" -c "$uri" --doctor a-clean c-mode >/dev/null)
is "$?" 1 "warnings only: exit 1"

# --fix: the plan, then nothing without a typed yes.
no=$(cd "$W" && echo no | "$BIN" -c "$uri" --doctor --fix b-nofmt c-mode k-snap | sed -n '/^The doctor/,$p')
is "$no" "The doctor's plan: 3 fixes
  1. qemu-img rebase -u -b $I/b-nofmt/base.qcow2 -F qcow2 $I/b-nofmt/top.qcow2
  2. chmod 0600 $I/c-mode/top.qcow2
  3. delete the metadata of snapshot s1 of k-snap (virsh snapshot-delete --metadata)
Type yes to make these fixes: 
Nothing was changed." "--fix shows the plan and changes nothing without yes"
is "$(stat -c %a "$I/c-mode/top.qcow2")" 644 "the mode is as it was"
yes=$(cd "$W" && echo yes | "$BIN" -c "$uri" --doctor --fix b-nofmt c-mode k-snap | sed -n '/^done\|^failed/p')
is "$yes" "done: qemu-img rebase -u -b $I/b-nofmt/base.qcow2 -F qcow2 $I/b-nofmt/top.qcow2
done: chmod 0600 $I/c-mode/top.qcow2
done: delete the metadata of snapshot s1 of k-snap (virsh snapshot-delete --metadata)" \
    "a typed yes makes each fix"
is "$(stat -c %a "$I/c-mode/top.qcow2")" 600 "the image is private now"
is "$(lab_image_backing "$I/b-nofmt/top.qcow2")" "$I/b-nofmt/base.qcow2" "the backing name is kept"
is "$(qemu-img info --output=json "$I/b-nofmt/top.qcow2" | jq -r '."backing-filename-format"')" \
    qcow2 "and its format is named"
ok "the rebased chain reads the same data" lab_pattern_verify "$I/b-nofmt/top.qcow2" 2
is "$(lab_virsh "$uri" snapshot-list k-snap --name | sed '/^$/d')" "" "the dead snapshot's metadata is gone"
ok "its base image is still there" test -f "$I/k-snap/base.qcow2"
after=$(cd "$W" && "$BIN" -c "$uri" --doctor b-nofmt c-mode k-snap)
is "$?" 0 "afterwards the doctor finds them healthy"
is "$after" "3 chains checked: healthy" "and says so"

# Nothing fixable: said, nothing asked. Read-only: the findings, and no fix.
none=$("$BIN" -c "$uri" --doctor --fix d-leak </dev/null | tail -1)
is "$none" "Nothing the doctor can fix." "nothing fixable: said, nothing asked"
chmod 0644 "$I/a-clean/top.qcow2"
ro=$(echo yes | "$BIN" -r -c "$uri" --doctor --fix a-clean | tail -1)
is "$ro" "Read-only (-r): no fix is made." "read-only: no fix is offered"
is "$(stat -c %a "$I/a-clean/top.qcow2")" 644 "nor made"
ok "the clean chain's data is untouched" lab_pattern_verify "$I/a-clean/top.qcow2" 2
