#!/bin/bash
# Undo from the journal view against a private libvirtd (either stack): a metadata-only delete
# of the current snapshot, done through the interface, is given back with u and a typed yes (the
# snapshot defined again from its recorded XML, current again, the XML the same after
# canonicalisation, the data untouched); an entry whose image header changed since (another
# tool) is shown stale in the view and its undo is refused, naming the image. TAP; root.
if [ -z "${BASH_VERSION:-}" ]; then
    exec bash "$0" "$@"
fi
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
# shellcheck source=tests/lab/lab.sh
. "$top_srcdir/tests/lab/lab.sh"
# shellcheck source=tests/tui/tui-lib.sh
. "$top_srcdir/tests/tui/tui-lib.sh"
# shellcheck source=tests/tui/snap-tui-lib.sh
. "$top_srcdir/tests/tui/snap-tui-lib.sh"
set +u

snap_tui_lab
canon() { xmllint --c14n - | xmllint --format - 2>/dev/null; }
# The newest journal entry of domain ju.
newest() { find "$XDG_STATE_HOME/virt-snaptree/journal" -path '*/ju/*.json' | sort | tail -n 1; }
lab_chain --patterns "$D" ua.qcow2 || bail_out "images"
lab_domain_define "$URI" ju --disk "vda=$D/ua.qcow2" || bail_out "domain ju"
lab_virsh "$URI" snapshot-create-as ju u1 --disk-only --atomic >>"$LAB_LOG" 2>&1 &&
    lab_virsh "$URI" snapshot-create-as ju u2 --disk-only --atomic >>"$LAB_LOG" 2>&1 ||
    bail_out "snapshots"
TOP=$(lab_disk_source "$URI" ju vda)
ok "write layer 1 into the active overlay" lab_pattern_layer "$TOP" 1
U2=$(lab__virsh_q "$URI" snapshot-dumpxml ju u2 | canon)

tui_start 140 45 -c "$URI"
wait_for "u2 ◀ current" 20

# ---- a metadata-only delete, given back ----
select_row u2 "Snapshot     u2"
tui_keys d
wait_for "Delete snapshot u2 of ju"
tui_keys 2
wait_for "Type yes and press Enter" 5
type_yes
ok "u2's metadata is deleted" wait_for "snapshot u2 of ju deleted" 30
is "$(lab__virsh_q "$URI" snapshot-list ju --name | sed '/^$/d' | tr '\n' ' ')" "u1 " \
    "libvirt has u1 only"
select_row ju
tui_keys L
ok "L: the domain's journal" wait_for " Journal of ju " 5
ok "the delete's entry comes first, marked" wait_for "│>20" 5
tui_keys u
ok "u: its undo plan" wait_for " Undo snapshot-delete of ju " 5
ok "u2 is defined again from its recorded XML, as current" \
    wait_for "virDomainSnapshotCreateXML(dom, <u2>, REDEFINE | REDEFINE_CURRENT)" 5
wait_for "Type yes and press Enter" 5
type_yes
ok "undone" wait_for "ju: the entry's snapshot-delete is undone" 20
tui_keys Escape
ok "the tree shows u2 current again" wait_for "u2 ◀ current" 20
is "$(lab__virsh_q "$URI" snapshot-current ju --name)" "u2" "libvirt's current snapshot is u2"
is "$(lab__virsh_q "$URI" snapshot-dumpxml ju u2 | canon)" "$U2" \
    "u2's XML is the recorded one (canonicalised)"
is "$(lab__virsh_q "$URI" snapshot-parent ju u2)" "u1" "under u1, as before"
ok "the data did not move (layers 0..1)" lab_pattern_verify "$TOP" 2
is "$(jq -r '.action + " " + .after.outcome' "$(newest)")" "undo done" "the undo's own entry"

# ---- a stale entry ----
select_row u1 "Snapshot     u1"
tui_keys r
wait_for "Revert ju to snapshot u1"
wait_for "Type yes and press Enter" 5
type_yes
ok "the revert is done and journaled" tui_until 30 eval \
    '[ "$(jq -r ".action + \" \" + .after.outcome" "$(newest)")" = "revert done" ]'
LEFT=$(jq -r '.before.chains[0].layers[0].path' "$(newest)")
is "$LEFT" "$TOP" "the revert's entry records the overlay it left"
ok "another tool rewrites that overlay's backing name (the same file, spelled another way)" \
    qemu-img rebase -u -F qcow2 -b "./$(basename "$(lab_image_backing "$TOP")")" "$TOP"
NOW=$(lab_disk_source "$URI" ju vda)
select_row ju
tui_keys L
wait_for " Journal of ju " 5
ok "the view marks the revert's entry stale" wait_for "stale: the images changed since the entry" 5
like "$(tui_screen | sed 's/│//g' | tr -d '\n' | tr -s ' ')" "the header of $TOP changed" \
    "naming the image whose header changed"
tui_keys u
ok "its undo plan says so" wait_for "STALE: the images changed since the entry" 5
ok "and takes no yes" wait_for "This entry cannot be given back (see above): Esc goes back." 5
tui_keys Escape Escape
is "$(lab_disk_source "$URI" ju vda)" "$NOW" "nothing was changed"

tui_keys q
tui_wait "__EXITED__" 10
lab_timing "tui-undo" "$T_ALL"
done_testing
