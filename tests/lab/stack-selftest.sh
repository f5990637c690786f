#!/bin/bash
# tests/lab/stack-selftest.sh: the stack the lab's daemons run is the one LAB_STACK names
# (tests/lab/lab.sh): the daemon reports that stack's libvirt through its socket, its domains run
# that stack's QEMU, the tests' qemu-img and qemu-io are that stack's, the daemon, the tests and
# the program name each image by one path, and a live active commit on it keeps every byte.
# TAP; root.
# shellcheck source=tests/lab/lab.sh
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lab/lab.sh"
BIN=$LAB_BUILDDIR/ui/virt-snaptree
lab_init
command -v jq >/dev/null || skip_all "jq is not installed"
plan 17
export LC_ALL=C.UTF-8

# The versions each stack stands for (README and the man page name them).
case $LAB_STACK in
bookworm) want_libvirt=9.0 want_qemu=7.2 want_debian=12 ;;
trixie) want_libvirt=11.3 want_qemu=10.0 want_debian=13 ;;
esac
ere() { printf '%s' "$1" | sed 's/[.]/\\./g'; }
diag "stack $LAB_STACK: libvirt $want_libvirt, QEMU $want_qemu, root ${LAB_STACK_ROOT:-/}"

uri=$(lab_daemon_start "$LAB_TMP/d") || bail_out "no daemon"
ver=$(lab_virsh "$uri" version --daemon 2>&1)
diag "$ver"
like "$ver" "^Running against daemon: $(ere "$want_libvirt")\.[0-9]+$" \
    "the daemon behind the socket is libvirt $want_libvirt"
like "$ver" "^Running hypervisor: QEMU $(ere "$want_qemu")\.[0-9]+$" "and it runs QEMU $want_qemu"
like "$ver" "^Using library: libvirt 9\.0\.[0-9]+$" "the client is this machine's libvirt 9.0"
like "$(lab_stack_run cat /etc/debian_version)" "^$want_debian\." \
    "commands run in the stack's root see Debian $want_debian"
like "$(qemu-img --version)" "^qemu-img version $(ere "$want_qemu")\." "the tests' qemu-img is QEMU $want_qemu's"
like "$(qemu-io --version)" "^qemu-io version $(ere "$want_qemu")\." "and so is their qemu-io"

# A running domain on the article's chain; QEMU itself says which it is.
A=$LAB_TMP/art
lab_article_chain "$uri" "$A" running || bail_out "cannot build the article chain"
like "$(lab_virsh "$uri" qemu-monitor-command test2 --hmp 'info version')" "^$(ere "$want_qemu")\." \
    "the domain's QEMU answers with version $want_qemu"
is "$(lab_disk_source "$uri" test2 vda)" "$A/test2_lsof.qcow2" \
    "the daemon names the active layer by the path the test made it at"
is "$(jq -r '.hosts[0].domains[] | select(.name == "test2") | .disks[0].chain[0].path' \
    <<<"$("$BIN" -c "$uri" --json)")" "$A/test2_lsof.qcow2" "and so does the program"
ok "the running guest sees all six layers byte for byte" lab_pattern_verify -d "$uri" test2 vda 6

# Live active commit of the three top layers into test2_nmap.qcow2, pivoting onto it.
ok "the guest writes 0xc3 into the active layer" lab_io_write -d "$uri" test2 vda 0xc3 56M 64K
ok "live active commit into test2_nmap.qcow2 with pivot" lab_virsh "$uri" blockcommit test2 vda \
    --base "$A/test2_nmap.qcow2" --active --pivot --wait
is "$(lab_disk_source "$uri" test2 vda)" "$A/test2_nmap.qcow2" "the disk is on test2_nmap.qcow2"
ok "the guest still sees every layer and its write, byte for byte" \
    lab_pattern_verify -d "$uri" test2 vda 6 0xc3:56M:64K
is "$(lab_image_chain "$A/test2_nmap.qcow2" | tr '\n' ' ')" \
    "$A/test2_nmap.qcow2 $A/test2_test.qcow2 $A/test2.qcow2 $A/centos.qcow2 " \
    "the chain under it is unchanged"
lab_domain_destroy "$uri" test2 >>"$LAB_LOG" 2>&1
ok "after the domain stops, the image holds all of it, byte for byte" \
    lab_pattern_verify "$A/test2_nmap.qcow2" 6 0xc3:56M:64K
ok "the layers below were not written to" lab_pattern_verify "$A/test2_test.qcow2" 3
done_testing
