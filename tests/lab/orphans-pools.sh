#!/bin/bash
# tests/lab/orphans-pools.sh: the orphan finder reads every storage pool of a host. An orphan that
# lies only in a pool's folder (no domain has a file there) is found on a local host by scanning
# the folder, and on a remote host (qemu+tcp: its images are not on this machine) through the
# pool's volumes as the pool lists them, classified by what the host's domains name, never
# offered for removal from here. A pool that is not active is named as not scanned. Text and JSON
# byte for byte; nothing is removed, and the chain's data is unchanged.
. "${top_srcdir:-.}/tests/lab/lab.sh"
BIN=$(realpath "${top_builddir:-.}/ui/virt-snaptree")
lab_init
# The daemon's TCP port: the remote host's URI.
port=$((16700 + $$ % 200))
command -v jq >/dev/null || skip_all "jq is not installed"
plan 9
export LC_ALL=C.UTF-8 XDG_CONFIG_HOME=$LAB_TMP/config XDG_STATE_HOME=$LAB_TMP/state
unset LANGUAGE
uri=$(LAB_DAEMON_TCP_PORT=$port lab_daemon_start "$LAB_TMP/d") || bail_out "no daemon"
turi="qemu+tcp://127.0.0.1:$port/system"
# A remote host is named by the host name it reports.
rname=$(lab_virsh "$turi" hostname) || bail_out "remote host name"
I=$LAB_TMP/img
P=$LAB_TMP/pool
Q=$LAB_TMP/idle
lab_chain --absolute --patterns "$I" base.qcow2 top.qcow2 || bail_out "chain"
lab_domain_define "$uri" d --disk "vda=$I/top.qcow2" --shutoff || bail_out "domain"
# The pool's folder holds a chain of a domain's disk and an orphan; a second pool is not active.
mkdir -p "$P" "$Q" || bail_out "pool folders"
lab_chain --absolute --patterns "$P" pbase.qcow2 ptop.qcow2 || bail_out "pool chain"
lab_domain_define "$uri" p --disk "vda=$P/ptop.qcow2" --shutoff || bail_out "pool domain"
qemu-img create -q -f qcow2 "$P/lone.qcow2" 1M || bail_out "orphan"
lab_virsh "$uri" pool-create-as pool dir --target "$P" >/dev/null || bail_out "pool"
lab_virsh "$uri" pool-define-as idle dir --target "$Q" >/dev/null || bail_out "inactive pool"
lone_bytes=$(($(stat -c %b "$P/lone.qcow2") * 512))

local_json=$("$BIN" -c "$uri" --orphans --json)
is "$(jq -r '.files[] | select(.path | startswith("'"$P"'/")) | "\(.path | ltrimstr("'"$P"'/")) \(.class) \(.removable) \(.host)"' <<<"$local_json")" \
    "lone.qcow2 orphan true null
pbase.qcow2 backing false null
ptop.qcow2 in-use false null" "local host: the pool's folder is scanned, its orphan found"
is "$(jq -r '.not_scanned[]' <<<"$local_json")" "$uri: storage pool idle: not active: its volumes are not listed" \
    "the pool that is not active is named as not scanned"

remote=$("$BIN" -c "$turi" --orphans)
is "$?" 0 "--orphans on a remote host: exit 0"
expected_lone=$("$BIN" -c "$uri" --orphans | grep "^orphan: $P/lone.qcow2 " |
    sed "s#, [0-9]* days\\? old, #, a volume of $rname, #")
is "$(grep "^orphan: " <<<"$remote")" "$expected_lone" \
    "remote host: the pool's orphan, its size from the volume, its host instead of an age"
is "$(sed -n '/^not scanned: /p;$p' <<<"$remote")" "not scanned: $rname: storage pool idle: not active: its volumes are not listed
not scanned: $rname: its images are not on this machine: only the volumes of its active storage pools were listed, and nothing is removed there
3 files found in 0 folders: 0 could be removed (0 B)" "what was not scanned, and that nothing is removable from here"
json=$("$BIN" -c "$turi" --orphans --json)
is "$(jq -r '.files[] | "\(.path | ltrimstr("'"$P"'/")) \(.class) \(.removable) \(.bytes) \(.age_days) \(.referenced_by | join(","))"' <<<"$json")" \
    "lone.qcow2 orphan false $lone_bytes null 
pbase.qcow2 backing false $(($(stat -c %b "$P/pbase.qcow2") * 512)) null p vda
ptop.qcow2 in-use false $(($(stat -c %b "$P/ptop.qcow2") * 512)) null p vda" \
    "the JSON: classes from the remote domains' chains, sizes from the volumes, not removable"
no=$(echo yes | "$BIN" -c "$turi" --orphans --fix | tail -n 1)
ok "--fix on the remote host removes nothing" test -f "$P/lone.qcow2"
diag "$no"
ok "the pool's chain reads the same data" lab_pattern_verify "$P/ptop.qcow2" 2
ok "the other chain too" lab_pattern_verify "$I/top.qcow2" 2
