#!/bin/bash
# tests/lab/lab-snap-native.sh: revert and delete of external snapshots as the host's own libvirt
# does them, on a private daemon of whichever stack the lab runs (LAB_STACK). libvirt 9.9 and
# later revert to external snapshots themselves and remove the overlay that held what was written
# since; this tool keeps it by default (byte for byte, shown as a detached branch) and, when the
# admin discards it, first names the files and the bytes written into them. On 9.0 the same steps
# show 9.0's behaviour: the revert by branching (the same kept overlay), no discard option, and
# the deletes 9.0 cannot do refused before libvirt. Internal snapshots of a UEFI guest: refused
# before 10.9, taken after (of a running guest with a qcow2 NVRAM). TAP; root.
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

URI=$(lab_daemon_start "$LAB_TMP/d") || bail_out "no libvirtd"
D=$LAB_TMP/img
LV=$(lab_daemon_version "$URI")
[ -n "$LV" ] || bail_out "the daemon did not say its version"
# 9.9.0 and later revert to external snapshots themselves.
NATIVE=$(lab_daemon_at_least "$URI" 9.9.0 && echo 1)
native() { [ -n "$NATIVE" ]; }
diag "the host runs libvirt $LV"

# The guest data an image holds by itself, as qemu-img map counts it (its own extents only).
own_bytes() { qemu-img map -U --output=json "$1" | jq '[.[] | select(.depth == 0) | .length] | add // 0'; }
sha() { sha256sum "$1" | cut -d' ' -f1; }
# A shut-off domain on base.qcow2 (layer 0), then s1 and s2, each overlay with its layer.
two_snapshots() {
    lab_chain --patterns "$D" "$1.qcow2" && lab_domain_define "$URI" "$1" --disk "vda=$D/$1.qcow2" &&
        sb create "$1" s1 disk-only && lab_pattern_layer "$D/${1}_s1.qcow2" 1 &&
        sb create "$1" s2 disk-only && lab_pattern_layer "$D/${1}_s2.qcow2" 2
}
no_keep_names() { ! compgen -G "$D/*.virt-snaptree-keep" >/dev/null; }

# ---- revert to s1 of a shut-off domain: the overlay of s2 is kept ----
two_snapshots k || bail_out "domain k"
SUM=$(sha "$D/k_s2.qcow2")
ok "the revert plan" sb plan-revert k s1
if native; then
    like "$OUT" "^native 1 branching 0\$" "libvirt $LV reverts itself"
    like "$OUT" "^removed $D/k_s2\.qcow2\$" "the plan names the overlay libvirt removes"
    like "$OUT" "^kept $D/k_s2\.qcow2\$" "and keeps it by default"
    like "$OUT" "^step vda: libvirt removes $D/k_s2\.qcow2 \(.* written since s2\); it is kept" \
        "saying what it holds"
    like "$OUT" "^call link\($D/k_s2\.qcow2, $D/k_s2\.qcow2\.virt-snaptree-keep\)\$" \
        "with the calls that keep it"
else
    like "$OUT" "^native 0 branching 1\$" "libvirt $LV has no external revert: by branching"
    unlike "$OUT" "^removed " "and libvirt removes nothing"
fi
ok "revert to s1" sb revert k s1
SRC=$(lab_disk_source "$URI" k vda)
if native; then
    like "$SRC" "^$D/k\.[0-9]+\$" "vda runs on libvirt's new overlay (named after the image)"
else
    like "$SRC" "^$D/k_s1\.branch-[0-9]{8}-[0-9]{6}\.qcow2\$" "vda runs on the branch's overlay"
fi
is "$(lab_image_backing "$SRC")" "$D/k.qcow2" "made on s1's image"
ok "the reverted disk reads the snapshot's data (layer 0 only)" lab_pattern_verify "$SRC" 1
ok "the old overlay is still there" exists "$D/k_s2.qcow2"
is "$(sha "$D/k_s2.qcow2")" "$SUM" "byte for byte (sha256sum unchanged)"
ok "its data reads back: layers 0..2 through its chain" lab_pattern_verify "$D/k_s2.qcow2" 3
ok "no second name is left behind" no_keep_names
sb model k
like "$OUT" "^branch vda $D/k_s2\.qcow2 snapshot=s1 chain=3\$" "the model shows it as a detached branch"
like "$OUT" "^snap s1	parent=- external=1 memory=0 current=1\$" "s1 is the current snapshot"

# ---- an overlay libvirt would remove that is gone already: nothing to keep, no refusal ----
if native; then
    two_snapshots g || bail_out "domain g"
    rm "$D/g_s2.qcow2"
    ok "revert g to s1 with s2's overlay gone" sb revert g s1
    like "$OUT" "^result ok detail=0: g reverted to snapshot s1\$" "libvirt reverts, nothing is said kept"
    ok "the disk reads the snapshot's data" lab_pattern_verify "$(lab_disk_source "$URI" g vda)" 1
    ok "no second name is left behind" no_keep_names
fi

# ---- the same revert, discarding what libvirt removes ----
two_snapshots x || bail_out "domain x"
BYTES=$(own_bytes "$D/x_s2.qcow2")
XSUM=$(sha "$D/x_s2.qcow2")
diag "x_s2.qcow2 holds $BYTES bytes of its own (qemu-img map)"
ok "the discard plan" sb plan-revert x s1 --discard
if native; then
    like "$OUT" "^refused 0 " "is not refused"
    like "$OUT" "^removed $D/x_s2\.qcow2\$" "it names the file libvirt removes"
    like "$OUT" "^step vda: libvirt removes $D/x_s2\.qcow2: .* \($BYTES bytes\) written since s2\$" \
        "and the bytes written into it since s2, as qemu-img map counts them"
    like "$OUT" "^lost vda: .* \($BYTES bytes\) written since s2, in $D/x_s2\.qcow2, which libvirt removes\$" \
        "under what is lost"
    unlike "$OUT" "^kept " "nothing is kept"
    like "$OUT" "^call virDomainRevertToSnapshot\(s1, 0\)\$" "libvirt reverts"
    ok "revert, discarding" sb revert x s1 --discard
    ok "libvirt removed the overlay" absent "$D/x_s2.qcow2"
    ok "the disk reads the snapshot's data" lab_pattern_verify "$(lab_disk_source "$URI" x vda)" 1
    sb model x
    unlike "$OUT" "^branch " "and no branch is recorded"
else
    like "$OUT" "^native 0 branching 1\$" "libvirt $LV offers no discard: the plan branches"
    ok "revert (the discard flag changes nothing on $LV)" sb revert x s1 --discard
    is "$(sha "$D/x_s2.qcow2")" "$XSUM" "the old overlay stays, byte for byte"
    ok "with its data" lab_pattern_verify "$D/x_s2.qcow2" 3
fi

# ---- a disk left out of the snapshot ----
lab_chain --patterns "$D" oa.qcow2 && lab_chain --patterns "$D" ob.qcow2 &&
    lab_domain_define "$URI" o --disk "vda=$D/oa.qcow2" --disk "vdb=$D/ob.qcow2" ||
    bail_out "domain o"
ok "external snapshot n1 with vdb left out" sb create o n1 disk-only --disk vdb=no
ok "write layer 1 into vda's overlay and into vdb's image" \
    eval 'lab_pattern_layer "$D/o_n1_vda.qcow2" 1 && lab_pattern_layer "$D/ob.qcow2" 1'
ok "the revert plan" sb plan-revert o n1
if native; then
    like "$OUT" "^step vdb was not part of n1: libvirt puts a new overlay on $D/ob\.qcow2 too, and its data stays\$" \
        "says libvirt $LV gives the left-out disk a new overlay too"
fi
ok "revert to n1" sb revert o n1
ok "vda reads as at n1" lab_pattern_verify "$(lab_disk_source "$URI" o vda)" 1
ok "vdb keeps what was written since (layers 0..1)" \
    lab_pattern_verify "$(lab_disk_source "$URI" o vdb)" 2
sb model o
like "$OUT" "^branch vda $D/o_n1_vda\.qcow2 snapshot=n1 chain=2\$" "vda's old overlay is a detached branch"
unlike "$OUT" "^branch vdb " "vdb has none: its image is below its new overlay, not left"

# ---- a running domain ----
lab_chain --patterns "$D" r.qcow2 || bail_out "images"
lab_domain_define "$URI" r --disk "vda=$D/r.qcow2" --running || bail_out "domain r"
ok "external snapshot s1 of the running domain" sb create r s1 disk-only
ok "the guest writes 0xc1 after s1" lab_io_write -d "$URI" r vda 0xc1 50M 64K
ok "external snapshot s2" sb create r s2 disk-only
ok "the guest writes 0xc2 after s2" lab_io_write -d "$URI" r vda 0xc2 52M 64K
if native; then
    ok "revert to s1, running afterwards" sb revert r s1 --running
    is "$(lab_domain_state "$URI" r)" "running" "the domain runs"
    ok "the guest reads s1's data: layer 0, and zeros where it wrote since" \
        eval 'lab_pattern_verify -d "$URI" r vda 1 && lab_io_verify -d "$URI" r vda 0x00 50M 64K 0x00 52M 64K'
    ok "the overlay the guest wrote into since s2 is kept" exists "$D/r_s2.qcow2"
    ok "with what it wrote, and s1's overlay below it" \
        lab_io_verify "$D/r_s2.qcow2" 0xc2 52M 64K 0xc1 50M 64K
    ok "no second name is left behind" no_keep_names
else
    ok "revert to an external snapshot of a running domain is refused before libvirt" \
        fails sb revert r s1 --running
    like "$OUT" "libvirt $LV cannot revert to an external snapshot \(libvirt 9\.9\.0 can\)" \
        "naming the version that does it"
    ok "the guest still reads what it wrote" lab_io_verify -d "$URI" r vda 0xc1 50M 64K 0xc2 52M 64K
fi

# ---- a memory snapshot's delete: its memory file ----
ok "an external snapshot with memory" sb create r m1 memory
ok "its memory file exists" exists "$D/r_m1.mem"
ok "the delete plan" sb plan-delete r m1
if native; then
    like "$OUT" "^removed $D/r_m1\.mem\$" "libvirt $LV removes the memory file, the plan says"
else
    like "$OUT" "^left $D/r_m1\.mem\$" "libvirt $LV leaves the memory file, the plan says"
fi
ok "delete m1" sb delete r m1
if native; then
    ok "the memory file is gone" absent "$D/r_m1.mem"
else
    ok "the memory file is left, as the plan said" exists "$D/r_m1.mem"
fi
lab_domain_destroy "$URI" r >>"$LAB_LOG" 2>&1

# ---- deletes that differ by version ----
two_snapshots n || bail_out "domain n"
if native; then
    ok "deleting s1 of the shut-off domain (it has a child) works on $LV" sb delete n s1
    is "$(snaps n)" "s2 " "s2 is left"
    ok "the disk reads layers 0..2 as before" \
        lab_pattern_verify "$(lab_disk_source "$URI" n vda)" 3
else
    ok "deleting s1 of the shut-off domain (it has a child) is refused before libvirt" \
        fails sb delete n s1
    like "$OUT" "libvirt $LV cannot delete it \(9\.1 can" "saying why and which version can"
    is "$(snaps n)" "s1 s2 " "both snapshots are still there"
fi
ok "deleting with children is refused on $LV" fails sb delete n s2 --children
like "$OUT" "libvirt $LV deletes external snapshots one at a time" "saying why"

if native; then
    # After the kept revert: s2's overlay is a branch over s2's image (k_s1.qcow2), which libvirt
    # would remove for a leaf that is not the current snapshot.
    ok "deleting s2 of k after the kept revert is refused before libvirt" fails sb delete k s2
    like "$OUT" "libvirt would remove $D/k_s1\.qcow2 .* which the detached branch k_s2\.qcow2 of k still needs" \
        "the branch still needs the image libvirt would remove"
    ok "metadata only is possible" sb delete k s2 --metadata
    ok "and the branch reads as before" lab_pattern_verify "$D/k_s2.qcow2" 3
    is "$(sha "$D/k_s2.qcow2")" "$SUM" "byte for byte"
    # After the discarding revert: s1 is current with a child, s2 a leaf nothing uses.
    ok "deleting s1 of x, the current snapshot with a child, is refused before libvirt" \
        fails sb delete x s1
    like "$OUT" "s1 is the current snapshot and has children" "saying why"
    ok "the plan of deleting s2" sb plan-delete x s2
    like "$OUT" "^removed $D/x_s1\.qcow2\$" "names the image s2 was taken of, which libvirt removes"
    ok "delete s2" sb delete x s2
    ok "libvirt removed it" absent "$D/x_s1.qcow2"
    ok "the disk still reads s1's data" lab_pattern_verify "$(lab_disk_source "$URI" x vda)" 1
fi

# ---- internal snapshots of a guest with UEFI firmware in pflash ----
# libvirt decides from the definition: blank firmware files do (the guest never boots anything).
# efiq has its NVRAM in qcow2 (libvirt 9.0 does not know the format and takes it for raw).
uefi_define() { # NAME NVRAM-ELEMENT
    lab_chain --patterns "$D" "$1.qcow2" && truncate -s 2M "$D/$1_code.fd" &&
        cat >"$LAB_TMP/$1.xml" <<EOF
<domain type='qemu'><name>$1</name><memory unit='MiB'>64</memory><vcpu>1</vcpu>
<os><type arch='x86_64' machine='q35'>hvm</type>
<loader readonly='yes' type='pflash'>$D/$1_code.fd</loader>$2</os><features><acpi/></features>
<devices><disk type='file' device='disk'><driver name='qemu' type='qcow2'/>
<source file='$D/$1.qcow2'/><target dev='vda' bus='virtio'/></disk>
<controller type='usb' model='none'/><memballoon model='none'/></devices></domain>
EOF
    lab_virsh "$URI" define "$LAB_TMP/$1.xml" >>"$LAB_LOG" 2>&1
}
truncate -s 2M "$D/efir_vars.fd" && uefi_define efir "<nvram>$D/efir_vars.fd</nvram>" ||
    bail_out "domain efir"
ok "the plan of an internal snapshot of the shut-off UEFI guest" sb plan-create efir i1 internal
if lab_daemon_at_least "$URI" 10.9.0; then
    like "$OUT" "^refused 0 " "is not refused on $LV"
    like "$OUT" "the NVRAM \(UEFI variables\) is raw: it is not part of the snapshot" \
        "and says the raw NVRAM is not part of it"
    ok "libvirt takes it" sb create efir i1 internal
    is "$(img_snaps "$D/efir.qcow2")" "i1 " "inside the disk's image"
    lab_domain_start "$URI" efir >>"$LAB_LOG" 2>&1 || bail_out "start efir"
    ok "a second one while it runs, with a raw NVRAM, is refused before libvirt" \
        fails sb create efir i2 internal
    like "$OUT" "only when its NVRAM \(UEFI variables\) is a qcow2 image" "saying why"
    lab_domain_destroy "$URI" efir >>"$LAB_LOG" 2>&1
    qemu-img create -q -f qcow2 "$D/efiq_vars.qcow2" 2M &&
        uefi_define efiq "<nvram format='qcow2'>$D/efiq_vars.qcow2</nvram>" &&
        lab_domain_start "$URI" efiq >>"$LAB_LOG" 2>&1 || bail_out "domain efiq"
    ok "with a qcow2 NVRAM, the running guest's internal snapshot is taken" \
        sb create efiq i1 internal
    is "$(img_snaps "$D/efiq_vars.qcow2")" "i1 " "and the NVRAM holds it too"
    lab_domain_destroy "$URI" efiq >>"$LAB_LOG" 2>&1
else
    like "$OUT" "^refused 1 " "is refused on $LV"
    like "$OUT" "libvirt before 10\.9 takes no internal snapshot of a guest whose UEFI firmware is in pflash" \
        "saying why"
    ok "libvirt $LV refuses it too (virsh)" fails lab_virsh "$URI" snapshot-create-as efir i1
fi
# The lab's cleanup undefines without --nvram, which libvirt refuses for these.
for n in efir efiq; do
    lab_virsh "$URI" undefine "$n" --snapshots-metadata --keep-nvram >>"$LAB_LOG" 2>&1
done

diag "lab-snap-native ($LV): $(lab_elapsed "$T_ALL") s"
done_testing
