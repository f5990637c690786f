# shellcheck shell=bash
# UEFI guests for the lab (sourced after lab.sh): Debian's OVMF in pflash, booting to its
# firmware with no OS. Skips the test without the firmware. Needs $URI (the host) and $D (the
# image folder); the daemon of another stack sees the lab folder, firmware included, at the same
# path.

OVMF=/usr/share/OVMF
[ -r "$OVMF/OVMF_CODE_4M.fd" ] && [ -r "$OVMF/OVMF_VARS_4M.fd" ] ||
    skip_all "no UEFI firmware: install Debian's ovmf (scripts/setup-debian does)"

# uefi_define NAME [qcow2]: a q35 guest on NAME.qcow2 (layer 0) with OVMF in pflash and its own
# NVRAM, raw (NAME_VARS.fd, a copy of OVMF's template) or qcow2 (NAME_VARS.qcow2).
uefi_define() {
    local nv="<nvram>$D/$1_VARS.fd</nvram>"
    mkdir -p "$D" || return 1
    [ -e "$D/code.fd" ] || cp "$OVMF/OVMF_CODE_4M.fd" "$D/code.fd" || return 1
    if [ "${2:-}" = qcow2 ]; then
        qemu-img convert -q -f raw -O qcow2 "$OVMF/OVMF_VARS_4M.fd" "$D/$1_VARS.qcow2" || return 1
        nv="<nvram format='qcow2'>$D/$1_VARS.qcow2</nvram>"
    else
        cp "$OVMF/OVMF_VARS_4M.fd" "$D/$1_VARS.fd" || return 1
    fi
    lab_chain --patterns "$D" "$1.qcow2" && cat >"$LAB_TMP/$1.xml" <<EOF
<domain type='qemu'><name>$1</name><memory unit='MiB'>128</memory><vcpu>1</vcpu>
<os><type arch='x86_64' machine='q35'>hvm</type>
<loader readonly='yes' type='pflash'>$D/code.fd</loader>$nv</os><features><acpi/></features>
<devices><disk type='file' device='disk'><driver name='qemu' type='qcow2'/>
<source file='$D/$1.qcow2'/><target dev='vda' bus='virtio'/></disk>
<controller type='usb' model='none'/><memballoon model='none'/><serial type='pty'/></devices></domain>
EOF
    lab_virsh "$URI" define "$LAB_TMP/$1.xml" >>"$LAB_LOG" 2>&1
}

# The lab's cleanup undefines without --nvram, which libvirt refuses for these.
uefi_undefine() {
    local n
    for n in "$@"; do
        lab_virsh "$URI" undefine "$n" --snapshots-metadata --keep-nvram >>"$LAB_LOG" 2>&1
    done
}
