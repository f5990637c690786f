#!/bin/bash
# The scripted baseline of figures 1 and 8: what admins run today to see every domain's disks,
# backing chains and snapshot trees, one command after another, as issue 6 describes it:
#   virsh list --all, then per domain virsh domblklist, qemu-img info --backing-chain -U
#   --output=json per disk, virsh snapshot-list --tree.
# Usage: baseline.sh URI > model.txt   (everything it learns goes to stdout, with "== DOMAIN",
# "-- TARGET" and "## snapshots" marker lines so that tests/bench/bench.sh can count it)
set -u
uri=$1
export LIBVIRT_LOG_OUTPUTS="3:file:/dev/null"
for dom in $(virsh -q -c "$uri" list --all --name); do
    echo "== $dom"
    # domblklist prints "Target Source"; an empty cdrom shows "-".
    virsh -q -c "$uri" domblklist "$dom" | while read -r target source; do
        [ -n "$source" ] && [ "$source" != "-" ] || continue
        echo "-- $target"
        qemu-img info --backing-chain -U --output=json "$source"
    done
    echo "## snapshots"
    virsh -q -c "$uri" snapshot-list "$dom" --tree
done
