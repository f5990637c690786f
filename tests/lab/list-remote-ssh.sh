#!/bin/bash
# Shut-off chains of a host reached over qemu+ssh:// whose images lie in plain folders that no
# storage pool holds: the host's own virt-snaptree (--read-chains), run over the same ssh, reads
# every chain in one round trip. The "remote" host is this machine through the lab's own sshd.
# Which remote program the ssh session runs is chosen on the client with VIRT_SNAPTREE_REMOTE
# (the command line the session runs, before " --read-chains"): this build (installed), a path
# that does not exist (not installed: the pool fallback, and the reason in the tree), or hostile
# stand-ins (garbage, a huge line, too much, silence), which are refused without harm.
. "${top_srcdir:-.}/tests/lab/lab.sh"
. "${top_srcdir:-.}/tests/lab/ssh-lib.sh"
BIN=$(realpath "${top_builddir:-.}/ui/virt-snaptree")
lab_init
lab_ssh_need
command -v jq >/dev/null || skip_all "jq is not installed"
plan 25

uri=$(lab_daemon_start "$LAB_TMP/d") || bail_out "no daemon"
lab_sshd_start "$LAB_TMP/ssh" || bail_out "no sshd"
suri=$(lab_ssh_uri "$LAB_TMP/ssh" "$uri")

# Three folders, none of them a pool, with relative backing names across them.
G=$LAB_TMP/golden L=$LAB_TMP/layers V=$LAB_TMP/vms
lab_chain "$G" base.qcow2 && lab_chain --from "$G/base.qcow2" "$L" mid.qcow2 &&
    lab_chain --from "$L/mid.qcow2" "$V" web.qcow2 web-2.qcow2 || bail_out "web chain"
lab_chain --size 32M "$G" db-base.qcow2 && lab_chain --from "$G/db-base.qcow2" "$V" db.qcow2 &&
    qemu-img create -q -f raw "$V/db-data.raw" 16M || bail_out "db chain"
lab_domain_define "$uri" web --disk "vda=$V/web-2.qcow2" || bail_out "web"
lab_domain_define "$uri" db --disk "vda=$V/db.qcow2" --disk "vdb=$V/db-data.raw:raw" || bail_out "db"
sums() { md5sum "$G"/* "$L"/* "$V"/*; }
before=$(sums)

# "path format virtual allocation physical" per layer of every disk of every domain.
layers() { jq -r '.hosts[0].domains | sort_by(.name)[] | .name as $d | .disks[] |
    .chain[] | "\($d) \(.path) \(.format) \(.virtual_size) \(.allocation) \(.physical)"' <<<"$1"; }
# The same with each path spelled lexically ("a/../b" as "b"): pools name backing files their way.
lexical() { while read -r d p rest; do echo "$d $(realpath -ms "$p") $rest"; done; }
valid_json() { jq -e . >/dev/null <<<"$1"; }
unknown() { jq -r ".hosts[0].domains[] | select(.name==\"$2\") | .disks[0].chain_unknown" <<<"$1"; }
json_with() { # json_with REMOTE-COMMAND: --json over ssh with that remote program
    VIRT_SNAPTREE_REMOTE=$1 VIRT_SNAPTREE_TRACE=$LAB_TMP/trace timeout 60 "$BIN" -c "$suri" --json
}
local_json=$("$BIN" -c "$uri" --json)
is "$(jq -r '.hosts[0].domains[] | select(.name=="web") | .disks[0].chain | length' \
    <<<"$local_json")" 4 "locally: web's chain has four layers, read from the headers"

# Installed: every chain, whole, as the local view reads it, in one ssh round trip.
rm -f "$LAB_TMP/trace"
json=$(json_with "$BIN")
ok "--json over ssh exits 0" test $? -eq 0
is "$(layers "$json")" "$(layers "$local_json")" \
    "over ssh, shut off, no pool: every layer of every disk with format and sizes as read locally"
is "$(unknown "$json" web)" null "nothing unknown for web"
is "$(unknown "$json" db)" null "nor for db"
like "$(jq -r '.hosts[0].domains[] | select(.name=="web") | .disks[0].chain[-1].path' \
    <<<"$json")" "golden/base.qcow2\$" "web's base is the golden image in another folder"
is "$(grep -c ' discover-remote host=0 asked=3 status=0 .* ok=1' "$LAB_TMP/trace")" 1 \
    "the three disks were read in one round trip"
text=$(VIRT_SNAPTREE_REMOTE=$BIN "$BIN" -c "$suri" --list)
like "$text" "\\[3\\] .*golden/base.qcow2  qcow2" "--list shows web's base at depth 3"
unlike "$text" "chain not known" "and no unknown chain"

# Not installed: the pools, and the reason where they do not help.
json=$(json_with /nonexistent/virt-snaptree)
is "$(jq -r '.hosts[0].domains[] | select(.name=="web") | .disks[0].chain | length' <<<"$json")" \
    1 "not installed, no pool: web's chain is its top layer only"
like "$(unknown "$json" web)" "^virt-snaptree not installed on 127.0.0.1, and no storage pool" \
    "and the tree says why the rest is unknown"
text=$(VIRT_SNAPTREE_REMOTE=/nonexistent/virt-snaptree "$BIN" -c "$suri" --list)
like "$text" "chain not known: virt-snaptree not installed on 127.0.0.1" "--list says it too"
for d in "$G" "$L" "$V"; do
    lab_virsh "$uri" pool-create-as "$(basename "$d")" dir --target "$d" >/dev/null ||
        bail_out "pool $d"
done
json=$(json_with /nonexistent/virt-snaptree)
is "$(layers "$json" | lexical)" "$(layers "$local_json" | lexical)" \
    "not installed, images in pools: the pools give every chain whole"
is "$(unknown "$json" web)" null "and nothing is unknown"
for d in "$G" "$L" "$V"; do
    lab_virsh "$uri" pool-destroy "$(basename "$d")" >/dev/null || bail_out "pool $d"
done

# Hostile answers: refused as a whole, the pools then, the reason in the tree; never a hang.
H=$LAB_TMP/hostile
mkdir -p "$H"
cat >"$H/garbage" <<'EOS'
#!/bin/sh
printf 'virt-snaptree-chains 1\nL\t0\t/etc/passwd\tqcow2\t\t\t1\t1\t1\t-\t\n\033]0;pwned\007\n'
head -c 4096 /dev/urandom
EOS
cat >"$H/hugeline" <<'EOS'
#!/bin/sh
printf 'virt-snaptree-chains 1\nL\t0\t'
head -c 1000000 /dev/zero | tr '\0' x
printf '\n'
EOS
cat >"$H/flood" <<'EOS'
#!/bin/sh
echo virt-snaptree-chains 1
exec yes 'L	0	/x	qcow2			1	1	1	-	'
EOS
cat >"$H/silent" <<EOS
#!/bin/sh
echo \$\$ >"$H/silent.pid"
exec sleep 120
EOS
chmod +x "$H"/*
# The session's sleep outlives the ssh that was killed: end it by the pid it wrote.
silent_stop() { [ -s "$H/silent.pid" ] && kill "$(cat "$H/silent.pid")" 2>/dev/null; true; }
lab_on_cleanup silent_stop
for h in garbage hugeline flood; do
    json=$(json_with "$H/$h")
    ok "$h: --json still gives valid JSON" valid_json "$json"
    is "$(jq -r '.hosts[0].domains[] | select(.name=="web") | .disks[0].chain | length' \
        <<<"$json")" 1 "$h: nothing of the answer is taken (web's top layer only)"
done
like "$(unknown "$json" web)" "virt-snaptree on 127.0.0.1 answered too much, and no storage pool" \
    "flood: the reason says so"
start=$(lab_now)
json=$(json_with "$H/silent")
ok "silent: --json ends on its own" test $? -eq 0
like "$(unknown "$json" web)" "virt-snaptree on 127.0.0.1 did not answer within 20 s" \
    "silent: given up at the deadline, and said so"
ok "silent: within the deadline and a margin" awk -v t="$(lab_elapsed "$start")" 'BEGIN { exit !(t < 40) }'
is "$(sums)" "$before" "no image was changed by any of it"
done_testing
