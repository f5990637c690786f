#!/bin/bash
# tests/installed.sh: an installed virt-snaptree, run from where it was installed and from no
# build tree: it prints its version, speaks Chinese under LANG=zh_CN.UTF-8 from the installed
# catalogs, its man page and bash completion are in place and the completion works with it
# (tests/unit/complete.sh against the installed files), and --demo builds the embedded-driver
# demo and lists its domains and backing chains as JSON.
#
# Run by `make installcheck` (and so by `make distcheck`) with the paths it installed to, and by
# the Debian package's autopkgtest (debian/tests/smoke) with the installed ones:
#   BINDIR MANDIR COMPLETIONSDIR LOCALEDIR  (default /usr/bin, /usr/share/man, ...)
# The demo needs root or not, QEMU (qemu-system-x86_64, qemu-img, qemu-io) and libvirt's QEMU
# driver; INSTALLED_DEMO=skip skips it where those are missing on purpose (a plain build's
# installcheck), INSTALLED_DEMO=require (the autopkgtest) makes their absence a failure. TAP.
set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
BINDIR=${BINDIR:-/usr/bin}
MANDIR=${MANDIR:-/usr/share/man}
COMPLETIONSDIR=${COMPLETIONSDIR:-/usr/share/bash-completion/completions}
LOCALEDIR=${LOCALEDIR:-/usr/share/locale}
INSTALLED_DEMO=${INSTALLED_DEMO:-auto}
prog=$BINDIR/virt-snaptree

. "$top_srcdir/tests/unit/tap.sh"

tmp=$(mktemp -d /tmp/vst-installed.XXXXXX) || exit 1
demo_started=
cleanup() {
    if [ -n "$demo_started" ]; then
        XDG_CACHE_HOME=$tmp "$prog" --demo-stop >/dev/null 2>&1
    fi
    rm -rf "$tmp"
}
trap cleanup EXIT
# Nothing of a build tree may help: the catalogs must be the installed ones.
unset VIRT_SNAPTREE_LOCALEDIR LIBVIRT_DEFAULT_URI
export HOME=$tmp XDG_CONFIG_HOME=$tmp/config

echo "1..7"

version=$("$prog" --version 2>&1)
ok $? "$prog --version runs" "$version"

want=$(sed -n 's/^msgstr "\(用法：\)%s.*/\1/p' "$top_srcdir/po/zh_CN.po" | head -n1)
if ! locale -a 2>/dev/null | grep -qix 'zh_CN.utf-\?8'; then
    skip "Chinese UI under LANG=zh_CN.UTF-8" "no zh_CN.UTF-8 locale"
else
    out=$(env -u LANGUAGE -u LC_ALL -u LC_MESSAGES LANG=zh_CN.UTF-8 "$prog" --help 2>&1)
    case $out in
    "${want}virt-snaptree"*) ok 0 "Chinese UI under LANG=zh_CN.UTF-8, from $LOCALEDIR" ;;
    *) ok 1 "Chinese UI under LANG=zh_CN.UTF-8, from $LOCALEDIR" "$(printf '%s\n' "$out" | head -n2)" ;;
    esac
fi
mo=$LOCALEDIR/zh_CN/LC_MESSAGES/virt-snaptree.mo
[ -f "$mo" ]
ok $? "the zh_CN catalog is installed ($mo)"

man=$MANDIR/man1/virt-snaptree.1
[ -f "$man" ] || [ -f "$man.gz" ]
ok $? "the man page is installed ($man)"

script=$COMPLETIONSDIR/virt-snaptree
if [ ! -f "$script" ]; then
    ok 1 "the bash completion is installed ($script)"
else
    out=$(VIRT_SNAPTREE=$prog VIRT_SNAPTREE_COMPLETION=$script bash "$top_srcdir/tests/unit/complete.sh" 2>&1)
    ok $? "the installed completion and program complete together (tests/unit/complete.sh)" \
        "$(printf '%s\n' "$out" | grep -v '^ok')"
fi

# ---- the demo ----
missing=
for tool in qemu-system-x86_64 qemu-img qemu-io; do
    command -v "$tool" >/dev/null 2>&1 || missing="$missing $tool"
done
if [ "$INSTALLED_DEMO" = skip ] || { [ -n "$missing" ] && [ "$INSTALLED_DEMO" = auto ]; }; then
    skip "--demo --json from the installed program" "${missing:-INSTALLED_DEMO=skip}"
    skip "--demo-stop stops the demo's domains" "${missing:-INSTALLED_DEMO=skip}"
else
    demo_started=1
    LC_ALL=C.UTF-8 XDG_CACHE_HOME=$tmp "$prog" --demo --json >"$tmp/demo.json" 2>"$tmp/demo.err"
    rc=$?
    # Domain: state: the chain of its first disk (basenames, top first).
    got=$(python3 - "$tmp/demo.json" <<'PY'
import json, os, sys
doc = json.load(open(sys.argv[1]))
for h in doc["hosts"]:
    for d in sorted(h["domains"], key=lambda d: d["name"]):
        chain = [os.path.basename(l["path"]) for l in d["disks"][0]["chain"]]
        print(d["name"], d["state"], " ".join(chain))
PY
    )
    want=$(printf '%s\n' \
        "db01 shutoff db01.qcow2" \
        "test2 running test2_lsof.qcow2 test2_net-tools.qcow2 test2_nmap.qcow2 test2_test.qcow2 test2.qcow2 centos.qcow2" \
        "web01 shutoff web01_pre-upgrade.qcow2 web01.qcow2 golden-debian12.qcow2" \
        "web02 running web02.qcow2 golden-debian12.qcow2" \
        "测试虚拟机 shutoff 测试-快照1.qcow2 测试-overlay.qcow2 测试-base.qcow2")
    [ "$rc" = 0 ] && [ "$got" = "$want" ]
    ok $? "--demo --json from the installed program: the demo's domains and chains" \
        "exit $rc; expected:" "$want" "got:" "$got" "stderr:" "$(cat "$tmp/demo.err")" \
        "demo.log:" "$(tail -n 30 "$tmp/virt-snaptree/demo/demo.log" 2>/dev/null)"
    out=$(LC_ALL=C.UTF-8 XDG_CACHE_HOME=$tmp "$prog" --demo-stop 2>&1)
    [ "$(printf '%s\n' "$out" | sort)" = "$(printf '%s\n' 'Stopped test2.' 'Stopped web02.')" ]
    ok $? "--demo-stop stops the demo's domains" "$out"
    demo_started=
fi
tap_done
