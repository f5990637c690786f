#!/bin/bash
# tests/lab/lab-private.sh: every file an action creates, or has libvirt create, holds guest data
# and is readable by its owner alone (mode 0600), whatever the umask: the overlays of external
# snapshots of a shut-off and of a running domain, a memory file, a save file, the new overlay of
# a revert (by branching on libvirt 9.0, libvirt's own on 9.9 and later). Each action's new files
# are found by listing the image folder before and after it, so that a file nobody thought of is
# checked too. A private libvirtd of whichever stack the lab runs (LAB_STACK); TAP; root.
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
# The umask admins have: files made with it are readable by everyone.
umask 022

URI=$(lab_daemon_start "$LAB_TMP/d") || bail_out "no libvirtd"
D=$LAB_TMP/img
LV=$(lab_daemon_version "$URI")
diag "the host runs libvirt $LV"

listing() { find "$D" -maxdepth 1 -type f -printf '%f\n' | sort; }
# new_files CMD...: runs CMD; NEW lists the files it made in $D, one a line.
new_files() {
    local before rc
    before=$(listing)
    "$@"
    rc=$?
    NEW=$(comm -13 <(printf '%s\n' "$before") <(listing))
    printf '%s\n' "== new files:" "$NEW" >>"$LAB_LOG"
    return "$rc"
}
# private N: the action made N files (or more), each of mode 0600.
private() {
    local f m n=0 bad=""
    while IFS= read -r f; do
        [ -n "$f" ] || continue
        n=$((n + 1))
        m=$(stat -c %a "$D/$f")
        [ "$m" = 600 ] || bad+=" $f:$m"
    done <<<"$NEW"
    [ -z "$bad" ] || diag "not private:$bad"
    [ -z "$bad" ] && [ "$n" -ge "$1" ]
}

# ---- a shut-off domain: libvirt runs qemu-img create for the overlay ----
lab_chain --patterns "$D" po.qcow2 || bail_out "images"
lab_domain_define "$URI" po --disk "vda=$D/po.qcow2" || bail_out "domain po"
ok "external snapshot s1 of the shut-off domain" new_files sb create po s1 disk-only
is "$NEW" "po_s1.qcow2" "it made the overlay"
ok "which is mode 0600" private 1
ok "write layer 1 into it" lab_pattern_layer "$D/po_s1.qcow2" 1

# ---- the revert makes a new overlay (by branching, or libvirt's own) ----
ok "revert to s1" new_files sb revert po s1
ok "the new overlay is mode 0600" private 1
SRC=$(lab_disk_source "$URI" po vda)
like "$NEW" "^$(basename "$SRC")\$" "it is the one the disk runs on now"
ok "which reads as at s1" lab_pattern_verify "$SRC" 1

# ---- a running domain: libvirt makes the overlays and the memory file itself ----
lab_chain --patterns "$D" pr.qcow2 || bail_out "images"
lab_domain_define "$URI" pr --disk "vda=$D/pr.qcow2" --running || bail_out "domain pr"
ok "external disk-only snapshot d1 of the running domain" new_files sb create pr d1 disk-only
is "$NEW" "pr_d1.qcow2" "it made the overlay"
ok "which is mode 0600" private 1
ok "snapshot m1 with memory" new_files sb create pr m1 memory
is "$(printf '%s\n' "$NEW" | wc -l)" 2 "it made an overlay and a memory file"
ok "both are mode 0600" private 2
ok "save the domain" new_files sb save pr "$D/pr.save"
is "$NEW" "pr.save" "it made the save file"
ok "which is mode 0600" private 1

diag "lab-private ($LV): $(lab_elapsed "$T_ALL") s"
done_testing
