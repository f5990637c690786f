#!/bin/bash
# --list and --json against real libvirt: the article's chain on a running domain (private
# libvirtd, the RPC path) and on a shut-off one (chain read from the headers; an embedded driver
# on bookworm, another libvirtd of the stack elsewhere: see lab_stack_host), a base image shared
# by two domains, a backing file whose name is not UTF-8, and a host that cannot be reached.
. "${top_srcdir:-.}/tests/lab/lab.sh"
BIN=${top_builddir:-.}/ui/virt-snaptree
lab_init
command -v jq >/dev/null || skip_all "jq is not installed"
plan 39
# English messages and UTF-8 guides, whatever the caller's locale.
export LC_ALL=C.UTF-8
unset LANGUAGE

# What --list must print for the chain of IMAGE: one line per layer as qemu-img sees it (order,
# paths, formats, virtual size and what each file occupies), sizes in --list's units.
expect_list_chain() {
    qemu-img info -U --backing-chain --output=json "$1" |
        jq -r '.[] | "\(.filename)\t\(.format)\t\(."virtual-size")\t\(."actual-size")"' |
        awk -F '\t' '
            function size(b,   u, i) {
                if (b < 1024) return b " B"
                split("B KiB MiB GiB TiB PiB EiB", u, " ")
                for (i = 1; b >= 1024 && i < 7; i++) b /= 1024
                return sprintf(b < 10 ? "%.2f %s" : b < 100 ? "%.1f %s" : "%.0f %s", b, u[i])
            }
            { printf "[%d] %s  %s  virtual %s, allocated %s%s\n", NR - 1, $1, $2, size($3),
                     size($4), NR == 1 ? "  <- you are here" : "" }'
}
# The chain section (layers and any "chain not known" line) of DOMAIN's disk in a --list TEXT,
# without the tree's guides.
list_chain() {
    awk -v dom="$2" '
        { line = $0; sub(/^[^[:alnum:][(]+/, "", line) }
        index(line, dom "  ") == 1 { inside = 1; next }
        inside && line ~ /^[0-9]+ snapshots?$/ { exit }
        inside && (line ~ /^\[[0-9]+\] / || index(line, "chain not known") == 1) { print line }
    ' <<<"$1"
}

D=$LAB_TMP/d
E=$LAB_TMP/e
uri=$(lab_daemon_start "$D") || bail_out "no daemon"
lab_article_chain "$uri" "$LAB_TMP/run" running || bail_out "running article chain"
lab_shared_base "$uri" "$LAB_TMP/shared" running || bail_out "shared base"
euri=$(lab_stack_host "$E") || bail_out "no second host"
lab_article_chain "$euri" "$LAB_TMP/off" shutoff || bail_out "shut-off article chain"

json=$("$BIN" -c "$uri" -c "$euri" --json)
ok "--json exits 0 with two reachable hosts" test $? -eq 0
is "$(jq -r '.hosts | length' <<<"$json")" 2 "one entry per -c, in order"
is "$(jq -r '[.hosts[].reachable] | map(tostring) | join(",")' <<<"$json")" "true,true" \
    "both hosts reachable"

run='.hosts[0].domains[] | select(.name=="test2")'
off='.hosts[1].domains[] | select(.name=="test2")'
want_files="test2_lsof.qcow2 test2_net-tools.qcow2 test2_nmap.qcow2 test2_test.qcow2 test2.qcow2 centos.qcow2"
expect_paths() { for f in $want_files; do printf '%s/%s\n' "$1" "$f"; done; }

is "$(jq -r "$run.state" <<<"$json")" running "running test2 is running"
is "$(jq -r "$run.disks[0].chain[].path" <<<"$json")" "$(expect_paths "$LAB_TMP/run")" \
    "running: the chain, active layer first, down to centos.qcow2"
is "$(jq -r "[$run.disks[0].chain[].format] | unique | join(\",\")" <<<"$json")" qcow2 \
    "running: every layer is qcow2 (format from the domain XML)"
is "$(jq -r "[$run.disks[0].chain[].virtual_size] | unique | join(\",\")" <<<"$json")" 67108864 \
    "running: every layer has the 64 MiB virtual size"
# backingIndex is libvirt's id for each layer: all distinct and present on a running domain.
is "$(jq -r "[$run.disks[0].chain[].backing_index] | map(select(. != null)) | unique | length" \
    <<<"$json")" 6 "running: six distinct backing indexes"
qi=$(qemu-img info -U --backing-chain --output=json "$LAB_TMP/run/test2_lsof.qcow2")
is "$(jq -r "[$run.disks[0].chain[].path] | join(\" \")" <<<"$json")" \
    "$(jq -r '[.[].filename] | join(" ")' <<<"$qi")" "running: same order as qemu-img info --backing-chain"
is "$(jq -r "[$run.disks[0].chain[].allocation] | join(\" \")" <<<"$json")" \
    "$(jq -r '[.[]."actual-size"] | join(" ")' <<<"$qi")" \
    "running: allocations are what each file occupies, as qemu-img says"

is "$(jq -r "$off.state" <<<"$json")" shutoff "shut-off test2 is shut off"
is "$(jq -r "$off.disks[0].chain[].path" <<<"$json")" "$(expect_paths "$LAB_TMP/off")" \
    "shut-off: the chain read from the qcow2 headers, in order"
qo=$(qemu-img info -U --backing-chain --output=json "$LAB_TMP/off/test2_lsof.qcow2")
is "$(jq -r "[$off.disks[0].chain[].virtual_size] | join(\" \")" <<<"$json")" \
    "$(jq -r '[.[]."virtual-size"] | join(" ")' <<<"$qo")" "shut-off: virtual sizes as qemu-img says"
is "$(jq -r "[$off.disks[0].chain[].allocation] | join(\" \")" <<<"$json")" \
    "$(jq -r '[.[]."actual-size"] | join(" ")' <<<"$qo")" "shut-off: allocations as qemu-img says"
is "$(jq -r "[$off.disks[0].chain[].format] | join(\" \")" <<<"$json")" \
    "$(jq -r '[.[].format] | join(" ")' <<<"$qo")" "shut-off: formats as qemu-img says"
is "$(jq -r "[$off.disks[0].chain[].broken] | map(select(. != null)) | length" <<<"$json")" 0 \
    "shut-off: no layer is broken"

snaps='[.snapshots[] | "\(.name)<\(.parent // "-")|\(.location)|\(.memory)|\(.state)|\(.current)"] | join(" ")'
want_snaps="test<-|external|false|disk-snapshot|false nmap<test|external|false|disk-snapshot|false net-tools<nmap|external|false|disk-snapshot|false lsof<net-tools|external|false|disk-snapshot|true"
is "$(jq -r "$run | $snaps" <<<"$json")" "$want_snaps" "running: the snapshot tree (parents, kinds, current)"
is "$(jq -r "$off | $snaps" <<<"$json" | sed 's/|shutoff|/|disk-snapshot|/g')" "$want_snaps" \
    "shut-off: the same snapshot tree"
like "$(jq -r "$run.snapshots[0].creation_time" <<<"$json")" '^[0-9]{10}$' "creation times are epoch seconds"

vm1='.hosts[0].domains[] | select(.name=="vm1") | .disks[0].chain'
vm2='.hosts[0].domains[] | select(.name=="vm2") | .disks[0].chain'
is "$(jq -r "$vm1[1].path" <<<"$json")" "$LAB_TMP/shared/golden.qcow2" "vm1's base is the golden image"
is "$(jq -c "$vm1[1].shared_with" <<<"$json")" '["vm2"]' "vm1's golden image is shared with vm2"
is "$(jq -c "$vm2[1].shared_with" <<<"$json")" '["vm1"]' "vm2's golden image is shared with vm1"
is "$(jq -c "$vm1[0].shared_with" <<<"$json")" '[]' "vm1's own overlay is not shared"

text=$("$BIN" -c "$uri" --list)
is "$(list_chain "$text" test2)" "$(expect_list_chain "$LAB_TMP/run/test2_lsof.qcow2")" \
    "--list, running: all six layers in order with formats and sizes, the active one marked"
is "$(list_chain "$("$BIN" -c "$euri" --list)" test2)" \
    "$(expect_list_chain "$LAB_TMP/off/test2_lsof.qcow2")" \
    "--list, shut off: all six layers in order with formats and sizes, the active one marked"
like "$text" "golden.qcow2 .*shared with: vm2" "--list says the golden image is shared"

# A backing file named with a byte that is not UTF-8: top <- mid <- b\xff.qcow2 <- base.
O=$LAB_TMP/odd
odd_name=$'b\xff.qcow2'
mkdir -p "$O" &&
    qemu-img create -q -f qcow2 "$O/base.qcow2" 64M &&
    qemu-img create -q -f qcow2 -b base.qcow2 -F qcow2 "$O/$odd_name" &&
    qemu-img create -q -f qcow2 -b "$odd_name" -F qcow2 "$O/mid.qcow2" &&
    qemu-img create -q -f qcow2 -b mid.qcow2 -F qcow2 "$O/top.qcow2" || bail_out "odd chain"
lab_domain_define "$euri" odd --disk "vda=$O/top.qcow2" --shutoff >/dev/null || bail_out "odd"
oj=$("$BIN" -c "$euri" --json)
ok "--json with a non-UTF-8 name is valid UTF-8" iconv -f UTF-8 -t UTF-8 -o /dev/null <<<"$oj"
odd='.hosts[0].domains[] | select(.name=="odd") | .disks[0].chain'
is "$(jq -r "[$odd[].path | split(\"/\") | last] | join(\" \")" <<<"$oj")" \
    "top.qcow2 mid.qcow2 "$'b\xef\xbf\xbd'".qcow2 base.qcow2" \
    "the whole chain, U+FFFD standing for the byte in \"path\""
is "$(jq -r "$odd[2].path_bytes_hex" <<<"$oj")" "$(printf '%s' "$O/$odd_name" | od -An -tx1 -v | tr -d ' \n')" \
    "path_bytes_hex carries the file's exact name"
is "$(jq -c "[$odd[].path_bytes_hex]" <<<"$oj")" "[null,null,\"$(jq -r "$odd[2].path_bytes_hex" <<<"$oj")\",null]" \
    "and is null for the names that are UTF-8"
like "$(jq -r "$odd[2].broken" <<<"$oj")" "^name is not valid UTF-8: libvirt cannot address this file" \
    "the layer is marked broken with the reason"
is "$(jq -r "$odd[3] | \"\(.broken) \(.virtual_size)\"" <<<"$oj")" "null 67108864" \
    "the walk goes on below it: the base is read"
SNAP_BACKEND=${top_builddir:-.}/tests/lab/snap-backend
# (The hazard names the path, whose byte no ".*" in a UTF-8 locale can cross.)
like "$("$SNAP_BACKEND" "$euri" plan-commit odd vda 1 2)" \
    "not valid UTF-8: libvirt cannot address this file \\(it cannot start the domain either\\)\\): nothing is merged" \
    "the planner refuses a commit into it, saying why"
like "$("$SNAP_BACKEND" "$euri" plan-commit odd vda 0 1)" "^refused 0" \
    "and allows a commit above it, which does not touch it"
# Why it is broken rather than merely odd: libvirt 9.0 cannot even start such a domain.
lab_virsh "$euri" start odd >/dev/null 2>&1
is "$(lab_domain_state "$euri" odd)" "shut off" "libvirt itself cannot start a domain whose chain holds it"

bad="qemu+unix:///system?socket=$LAB_TMP/nowhere/sock"
fails_one_line "an unreachable host" \
    "^virt-snaptree: cannot connect to qemu\\+unix:///system\\?socket=$LAB_TMP/nowhere/sock: " \
    "$BIN" -c "$bad" --list
bj=$("$BIN" -c "$uri" -c "$bad" --json 2>/dev/null)
is "$(jq -r '[.hosts[].reachable] | map(tostring) | join(",")' <<<"$bj")" "true,false" \
    "--json still lists the good host and marks the bad one unreachable"
done_testing
