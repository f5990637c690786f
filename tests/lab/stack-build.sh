#!/bin/bash
# tests/lab/stack-build.sh: the program builds inside the stack's root, against that libvirt's
# headers, with -Werror (./configure --enable-werror), and its unit tests pass there; the program
# built there (the stack's libvirt as its client library too) reads a host of the stack the way
# this machine's build does.  On bookworm the build tree that runs this test is that build
# already: it skips.  The source is the tree's tracked files as they are in the work tree (a git
# checkout is needed).  TAP; root.
# shellcheck source=tests/lab/lab.sh
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lab/lab.sh"
BIN=$LAB_BUILDDIR/ui/virt-snaptree
[ "$LAB_STACK" != bookworm ] ||
    skip_all "on bookworm the build that runs this test is the build on this machine's libvirt"
lab_init
command -v jq >/dev/null || skip_all "jq is not installed"
git -C "$LAB_SRCDIR" rev-parse --git-dir >/dev/null 2>&1 ||
    skip_all "$LAB_SRCDIR is not a git checkout: which files make the source is not known"

# The unit tests, as .ci/sanitizer-tests lists them, and the man page's key list.
units=()
for c in "$LAB_SRCDIR"/tests/unit/test_*.c; do
    c=${c#"$LAB_SRCDIR"/}
    units+=("${c%.c}")
done
units+=(tests/unit/man-keys.sh)

S=$LAB_TMP/src
mkdir -p "$S" || bail_out "mkdir"
(cd "$LAB_SRCDIR" && git ls-files -z | xargs -0 tar -c --ignore-failed-read 2>/dev/null) |
    tar -x -C "$S" || bail_out "cannot copy the source"
# In the root: a clean environment (not make check's: its MAKEFLAGS name this make's jobserver).
in_root() {
    lab_stack_run env -i PATH="$LAB__STACK_PATH" HOME="$LAB_TMP" LANG=C.UTF-8 TMPDIR="$LAB_TMP" \
        XDG_CONFIG_HOME="$LAB_TMP/config" XDG_CACHE_HOME="$LAB_TMP/cache" \
        XDG_RUNTIME_DIR="$LAB_TMP/xdg" XDG_STATE_HOME="$LAB_TMP/state" sh -c "cd '$S' && $1"
}
mkdir -m 700 "$LAB_TMP/xdg"
want=$(sed -n 's/^version libvirt-dev \([0-9.]*\).*/\1/p' \
    "$LAB_STACK_ROOT/.virt-snaptree-stack")
is "$(in_root 'pkg-config --modversion libvirt')" "$want" "the root's libvirt headers are $want"

t=$(lab_now)
ok "./autogen.sh && ./configure --enable-werror in the root" \
    in_root './autogen.sh >/dev/null 2>&1 && ./configure --enable-werror -q'
diag "configured in $(lab_elapsed "$t") s"
t=$(lab_now)
ok "make with -Werror in the root" in_root 'make -j2 >make.out 2>&1 || { tail -n 40 make.out; exit 1; }'
diag "built in $(lab_elapsed "$t") s"

# Each unit test program is one result here (its own cases are in its log in the root), plus one
# skip for each case that skipped itself on this stack ("# SKIP REASON" in its log).
t=$(lab_now)
in_root "make -j2 check TESTS='${units[*]}' >check.out 2>&1" >/dev/null
diag "unit tests ran in $(lab_elapsed "$t") s"
for u in "${units[@]}"; do
    trs=$S/${u%.sh}.trs
    res=$(sed -n 's/^:test-result: *\([A-Z]*\).*/\1/p' "$trs" 2>/dev/null | sort | uniq -c |
        awk '{ printf "%s%s %s", (NR > 1 ? ", " : ""), $1, $2 }')
    if [ -f "$trs" ] && ! grep -qE '^:test-result: *(FAIL|ERROR|XPASS)' "$trs"; then
        ok "$u in the root ($res)" true
    else
        ok "$u in the root ($res)" sh -c "cat '${trs%.trs}.log' 2>/dev/null | tail -n 40; exit 1"
    fi
    while IFS= read -r why; do
        skip "$u in the root: a case skipped itself" "${why#\# SKIP }"
    done < <(grep '^# SKIP ' "${trs%.trs}.log" 2>/dev/null)
done

# The program built there, libvirt 11.3 on both ends, against this build on the same host.
uri=$(lab_daemon_start "$LAB_TMP/d") || bail_out "no daemon"
lab_article_chain "$uri" "$LAB_TMP/art" shutoff || bail_out "article chain"
mine=$("$BIN" -c "$uri" --json | jq -S '.hosts[0].domains')
theirs=$(in_root "ui/virt-snaptree -c '$uri' --json" | jq -S '.hosts[0].domains')
like "$(jq -r '.[].name' <<<"$theirs")" '^test2$' "the program built in the root lists the host"
is "$theirs" "$mine" "its --json of the domains is this machine's build's"
done_testing
