# shellcheck shell=bash
# Shared by the backend snapshot tests (sourced after lab.sh): drives tests/lab/snap-backend
# against $URI and keeps its output in $OUT for the checks that follow; a few one-line checks.

SB=$top_builddir/tests/lab/snap-backend
[ -x "$SB" ] || skip_all "$SB is not built (make check builds it)"

sb() {
    OUT=$("$SB" "$URI" "$@" 2>&1)
    local rc=$?
    printf '%s\n' "== sb $* (rc=$rc)" "$OUT" >>"$LAB_LOG"
    return "$rc"
}
fails() { ! "$@"; }
snaps() { lab__virsh_q "$URI" snapshot-list "$1" --name | sed '/^$/d' | tr '\n' ' '; }
exists() { [ -e "$1" ]; }
# The internal snapshots qcow2 itself lists in FILE (read with -U: the domain may run).
img_snaps() { qemu-img snapshot -l -U "$1" | awk 'NR > 2 { print $2 }' | tr '\n' ' '; }
absent() { [ ! -e "$1" ]; }
