#!/bin/bash
# --list and --json narrowed to the domains named on the command line, against libvirt's test
# driver (a host file of tests/tui/hosts): only those domains, a layer they share with a domain
# left out still says so, a name no host has is an error, and the interface refuses names.
set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
prog=$top_builddir/ui/virt-snaptree
host="test://$top_srcdir/tests/tui/hosts/article.xml"
export LC_ALL=C.UTF-8
unset LANGUAGE

. "$top_srcdir/tests/unit/tap.sh"
echo "1..6"
# name: layer basenames, each with the domains it is shared with.
shape() {
    python3 -c '
import json, os, sys
for h in json.load(sys.stdin)["hosts"]:
    for d in sorted(h["domains"], key=lambda d: d["name"]):
        print(d["name"] + ":", " ".join(os.path.basename(l["path"]) + "".join("+" + s for s in l["shared_with"])
                                        for l in d["disks"][0]["chain"]))'
}

out=$("$prog" -c "$host" --json web01 2>&1)
is "$?: $(printf '%s' "$out" | shape)" "0: web01: web01.qcow2 golden-debian12.qcow2+web02" \
    "--json web01: that domain only; its base still says it is shared with web02"
is "$("$prog" -c "$host" --list test2 web01 | grep -c '^[├└]─ ')" 2 "--list with two names: two domains"
is "$("$prog" -c "$host" --list web02 web01 | sed -n 's/^[├└]─ \([^ ]*\) .*/\1/p' | tr '\n' ' ')" \
    "web01 web02 " "in the host's order, whatever the order of the names"
out=$("$prog" -c "$host" --json web01 nope 2>&1 >/dev/null)
is "$?: $out" "1: virt-snaptree: no domain named nope" "a name no host has: said, exit 1"
is "$("$prog" -c "$host" --json nope 2>/dev/null | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["hosts"][0]["domains"]))')" \
    0 "and the JSON is still whole, with no domain"
out=$("$prog" -c "$host" web01 </dev/null 2>&1)
is "$?: $out" "2: virt-snaptree: unexpected argument: web01 (domain names need --list or --json)" \
    "the interface takes no domain names"
tap_done
