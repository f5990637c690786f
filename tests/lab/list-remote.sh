#!/bin/bash
# --json and --list of a remote host (the lab's libvirtd over TCP, which virt-snaptree treats as
# another machine) for the article's test2 while it runs (sizes must mean what they mean on
# this machine), and after it ran: external snapshots taken while running,
# then destroyed. libvirt's inactive XML then holds a partial chain (the snapshots' layers,
# without the image the domain was defined on and without an end marker). With the images in a
# storage pool the chain must be exact; without one it must say that it is not known below the
# last layer the XML names, never end there silently.
. "${top_srcdir:-.}/tests/lab/lab.sh"
BIN=${top_builddir:-.}/ui/virt-snaptree
lab_init
command -v jq >/dev/null || skip_all "jq is not installed"
plan 16

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
uri=$(LAB_DAEMON_TCP_PORT=$port lab_daemon_start "$LAB_TMP/d") || bail_out "no daemon"
turi="qemu+tcp://127.0.0.1:$port/system"
I=$LAB_TMP/run
lab_article_chain "$uri" "$I" running || bail_out "running article chain"

files="test2_lsof.qcow2 test2_net-tools.qcow2 test2_nmap.qcow2 test2_test.qcow2 test2.qcow2 centos.qcow2"
# The first N layers of the real chain as "path format virtual allocation" lines.
want_layers() { jq -r --argjson n "$1" '.[:$n][] | "\(.filename) \(.format) \(."virtual-size") \(."actual-size")"' <<<"$qi"; }
got_layers() { jq -r "$1"' | .disks[0].chain[] | "\(.path) \(.format) \(.virtual_size) \(.allocation)"' <<<"$2"; }
dom='.hosts[0].domains[] | select(.name=="test2")'

# Running: the remote chain comes from the block statistics, the local one from the headers;
# allocation must mean the same on both (what each file occupies), not QEMU's highest offset.
qi=$(qemu-img info -U --backing-chain --output=json "$I/test2_lsof.qcow2")
json=$("$BIN" -c "$turi" --json)
is "$(got_layers "$dom" "$json")" "$(want_layers 6)" \
    "running, remote: the whole chain with formats, virtual sizes and allocations as qemu-img says"
is "$(got_layers "$dom" "$json")" "$(got_layers "$dom" "$("$BIN" -c "$uri" --json)")" \
    "running: the remote view agrees with the local one"

lab_domain_destroy "$uri" test2 || bail_out "destroy"
qi=$(qemu-img info -U --backing-chain --output=json "$I/test2_lsof.qcow2")

is "$(lab_virsh "$uri" dumpxml --inactive test2 | grep -c '<backingStore/>')" 0 \
    "libvirt's inactive XML leaves the chain unterminated (the case under test)"

json=$("$BIN" -c "$turi" --json)
ok "--json of the remote host exits 0" test $? -eq 0
is "$(jq -r "$dom.state" <<<"$json")" shutoff "test2 is shut off"
is "$(got_layers "$dom" "$json")" "$(want_layers 5)" \
    "without a pool: the five layers the XML names, in order, with their real formats and sizes"
like "$(jq -r "$dom.disks[0].chain_unknown" <<<"$json")" "not in a storage pool" \
    "and the chain below them is said to be unknown, with the reason"
is "$(jq -r "[$dom.disks[0].chain[].broken] | map(select(. != null)) | length" <<<"$json")" 0 \
    "no layer is called broken for it"
text=$("$BIN" -c "$turi" --list)
like "$text" "\\[4\\] $I/test2.qcow2  qcow2" "--list shows the last layer the XML names"
like "$text" "chain not known: remote host and the image is not in a storage pool" \
    "--list says the chain below it is not known"

lab_virsh "$uri" pool-define-as images dir --target "$I" >/dev/null &&
    lab_virsh "$uri" pool-start images >/dev/null || bail_out "pool"
json=$("$BIN" -c "$turi" --json)
is "$(got_layers "$dom" "$json")" "$(want_layers 6)" \
    "with the images in a pool: the whole chain down to centos.qcow2, as qemu-img reads it"
is "$(jq -r "$dom.disks[0].chain_unknown" <<<"$json")" null "nothing is unknown"
is "$(jq -r "[$dom.disks[0].chain[].path | split(\"/\") | last] | join(\" \")" <<<"$json")" \
    "$files" "the article's names, active layer first"
local_json=$("$BIN" -c "$uri" --json)
is "$(got_layers "$dom" "$json")" "$(got_layers "$dom" "$local_json")" \
    "the remote view agrees with the local one read from the headers (allocation too)"
text=$("$BIN" -c "$turi" --list)
like "$text" "\\[5\\] $I/centos.qcow2  qcow2" "--list shows the base at depth 5"
unlike "$text" "chain not known" "and no unknown chain"
done_testing
