#!/bin/bash
# tests/lab/guest-selftest.sh: the lab's tiny writing guest (tests/lab/guest.sh) on a private
# libvirtd: it boots, confirms each record only once it is in the image, the records are found
# byte for byte afterwards (and a damaged one is caught), an external disk-only snapshot taken
# while it writes splits the records between base and overlay with nothing lost, and an active
# commit with pivot while it writes (driven with virsh, as a reference for the TUI's test)
# leaves every record in the base.  Speaks TAP; needs root (skips otherwise).

if [ -z "${BASH_VERSION:-}" ]; then
    exec bash "$0" "$@"
fi

top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
# shellcheck source=tests/lab/lab.sh
. "$top_srcdir/tests/lab/lab.sh"
# shellcheck source=tests/lab/guest.sh
. "$top_srcdir/tests/lab/guest.sh"

lab_init
T_ALL=$(lab_now)
OFF=8M
OFFB=$((8 << 20))
REC=4096

fails() {
    ! "$@"
}

# URI NAME: the "written k" numbers of the console, space-separated.
written_seq() {
    lab__guest_lines "$(lab_guest_console "$1" "$2")" | awk '/^written [0-9]+$/ { printf "%s ", $2 }'
}

# N: "1 2 ... N ".
seq_line() {
    seq -s ' ' 1 "$1" | sed 's/$/ /'
}

# ---------------------------------------------------------------- the guest itself

t=$(lab_now)
G=$LAB_TMP/guest
{ read -r kernel && read -r initrd; } < <(lab_guest_build "$G")
ok "guest kernel and initramfs built or taken from the cache" test -s "$kernel" -a -s "$initrd" ||
    bail_out "no guest"
if cold=$(lab_timing guest_build); then
    diag "cache was cold: building the initramfs took ${cold}s"
fi
diag "guest: kernel $(cat "$G/key"), initramfs $(stat -c %s "$initrd") bytes ($(lab_elapsed "$t")s)"
contents=$(gzip -dc "$initrd" | cpio -t --quiet 2>/dev/null | LC_ALL=C sort)
want=$(printf '%s\n' init bin/busybox bin/dd bin/insmod dev/console lib/modules/load-order | LC_ALL=C sort)
is "$(LC_ALL=C comm -13 <(printf '%s\n' "$contents") <(printf '%s\n' "$want"))" "" \
    "initramfs has /init, busybox with its applets, /dev/console and a module load order"
order=$(gzip -dc "$initrd" | cpio -i --to-stdout --quiet lib/modules/load-order 2>/dev/null | tr '\n' ' ')
like "$order" 'virtio_blk\.ko $' "virtio_blk is loaded last, after its dependencies ($order)"
like "$order" '^virtio_ring\.ko ' "virtio_ring, which everything needs, first"

uri=$(lab_daemon_start "$LAB_TMP/d")
ok "private libvirtd answers" test -n "$uri" || bail_out "no daemon"
D=$LAB_TMP/img
mkdir -p "$D"

# ---------------------------------------------------------------- 500 records, then destroy

qemu-img create -q -f qcow2 "$D/g1.qcow2" 64M
t=$(lab_now)
ok "g1 defined and started (500 records, stays up)" \
    lab_guest_define "$uri" g1 "$D/g1.qcow2" --records 500 --end idle
ok "g1 confirms its first record" lab_guest_wait_written "$uri" g1 1 30
boot=$(lab_elapsed "$t")
t=$(lab_now)
ok "g1 confirms all of them" lab_guest_wait "$uri" g1 "all written 500" 60
secs=$(lab_elapsed "$t")
up=$(lab__guest_lines "$(lab_guest_console "$uri" g1)" | sed -n 's/^lab-guest: writing .*, uptime //p')
diag "g1: define+start to first confirmed record ${boot}s (virsh start $(lab_timing domain_start)s," \
    "guest kernel uptime at its first write ${up}s); 499 more in ${secs}s" \
    "($(awk -v s="$secs" 'BEGIN { printf "%.0f", 499 / s }') records/s, each a 4 KiB dd with fsync)"
is "$(lab_guest_last_written "$uri" g1)" 500 "the last record the console confirms is 500"
is "$(written_seq "$uri" g1)" "$(seq_line 500)" "the console confirms records 1..500, once each, in order"
is "$(lab_domain_state "$uri" g1)" running "with --end idle the guest stays up"
t=$(lab_now)
ok "the running guest sees all 500 records (HMP qemu-io)" lab_guest_verify -d "$uri" g1 vda 500 "$OFF"
diag "HMP verification of 500 records: $(lab_elapsed "$t")s"
ok "g1 destroyed" lab_domain_destroy "$uri" g1
t=$(lab_now)
ok "all 500 records are in g1.qcow2 byte for byte" lab_guest_verify "$D/g1.qcow2" 500 "$OFF"
diag "file verification of 500 records: $(lab_elapsed "$t")s"
is "$(lab_guest_records "$D/g1.qcow2" 600 "$OFF")" 500 "no record after 500 was written"
out=$(lab_guest_verify "$D/g1.qcow2" 501 "$OFF")
like "$out" 'record 501 ' "a record that was never written is reported missing"
# Damage the fill of record 250 and the header of record 260 ('0' -> '1' in its last digit).
lab_io_write "$D/g1.qcow2" 0x00 $((OFFB + 250 * REC + 100)) 1 0x31 $((OFFB + 260 * REC + 14)) 1 >/dev/null
out=$(lab_guest_verify "$D/g1.qcow2" 500 "$OFF")
like "$out" '^[^ ]*: record 250 .*differs from byte 100;' "a damaged byte is caught in its record"
like "$out" ': 2 of 500 records differ, the last of them record 260$' "a damaged header too, and nothing else"
# The same damage seen by a running guest: one that writes nothing and stays up.
ok "g1v boots on the damaged image and writes nothing" \
    lab_guest_define "$uri" g1v "$D/g1.qcow2" --records 0 --end idle
ok "g1v is up" lab_guest_wait "$uri" g1v "all written 0" 30
out=$(lab_guest_verify -d "$uri" g1v vda 500 "$OFF")
like "$out" "^record 250: fill at offset $((OFFB + 250 * REC + 16)) differs$" \
    "HMP verification catches the damaged fill"
like "$out" "^record 260: header $(printf 'REC%012d\n' 261 | od -An -tx1 | tr -d ' \n'), expected " \
    "and the damaged header"

# ---------------------------------------------------------------- a snapshot while it writes

# FILE S: the first record that a write after the snapshot put into overlay FILE drags along:
# qcow2 copies the rest of a cluster from the backing file when it first writes into it.
first_in_overlay() {
    local cs c b
    cs=$(qemu-img info -U --output=json "$1" | jq '."cluster-size"')
    c=$(((OFFB + ($2 + 1) * REC) / cs * cs))
    b=$(((c - OFFB + REC - 1) / REC))
    echo $((b < 1 ? 1 : b))
}

# Then the plug is pulled: what "written k" is worth is that QEMU killed in the middle of the
# writes loses none of the records it confirmed.
N2=2000
qemu-img create -q -f qcow2 "$D/g2.qcow2" 64M
ok "g2 defined and started ($N2 records, as fast as it can)" \
    lab_guest_define "$uri" g2 "$D/g2.qcow2" --records "$N2"
ok "g2 confirms record 100" lab_guest_wait_written "$uri" g2 100 30
before=$(lab_guest_last_written "$uri" g2)
t=$(lab_now)
ok "external disk-only snapshot of g2 while it writes" \
    lab_snapshot_external "$uri" g2 s1 vda "$D/g2-s1.qcow2"
after=$(lab_guest_last_written "$uri" g2)
diag "snapshot took $(lab_elapsed "$t")s; g2 had confirmed $before records before it, $after after"
ok "g2 writes on into the overlay" lab_guest_wait_written "$uri" g2 $((after + 150)) 30
ok "g2 destroyed while it writes" lab_domain_destroy "$uri" g2
k=$(lab_guest_last_written "$uri" g2)
ok "the overlay's chain holds every record g2 confirmed (1..$k) byte for byte" \
    lab_guest_verify "$D/g2-s1.qcow2" "$k" "$OFF"
n=$(lab_guest_records "$D/g2-s1.qcow2" "$N2" "$OFF")
ok "and at most the one in flight beyond them ($n records intact)" test "$n" -le $((k + 1))
s=$(lab_guest_records "$D/g2.qcow2" "$N2" "$OFF")
ok "the base holds every record confirmed before the snapshot ($before <= $s)" test "$s" -ge "$before"
# Slack for a record in flight and for the console trailing the disk (the tty sends the line
# after dd returned; 3 records behind was seen): about 0.1 s of writes.
ok "and none written well after the snapshot returned ($s <= $after + 10)" test "$s" -le $((after + 10))
ok "the base reads zeros where the later records are" \
    lab_io_verify "$D/g2.qcow2" 0 $((OFFB + (s + 1) * REC)) $(((N2 - s) * REC))
b=$(first_in_overlay "$D/g2-s1.qcow2" "$s")
is "$(lab_guest_layers "$D/g2-s1.qcow2" "$k" "$OFF")" "1 1 $((b - 1))"$'\n'"0 $b $k" \
    "records 1..$((b - 1)) live in the base, $b..$k in the overlay ($((s + 1 - b)) copied with their cluster)"
is "$(lab_guest_records "$D/g2.qcow2" 0 "$OFF")" 0 "counting zero records finds zero"

# ---------------------------------------------------------------- an active commit while it writes

# What the TUI test will do through the program, here with virsh: snapshot, then commit the
# overlay back into the base while the guest writes, and pivot after more records.
N3=400
qemu-img create -q -f qcow2 "$D/g3.qcow2" 64M
ok "g3 defined and started ($N3 records, 2 ms apart, then power off)" \
    lab_guest_define "$uri" g3 "$D/g3.qcow2" --records "$N3" --interval-ms 2
ok "g3 confirms record 50" lab_guest_wait_written "$uri" g3 50 30
ok "snapshot of g3 while it writes" lab_snapshot_external "$uri" g3 s1 vda "$D/g3-s1.qcow2"
k=$(lab_guest_last_written "$uri" g3)
ok "g3 writes on into the overlay" lab_guest_wait_written "$uri" g3 $((k + 50)) 30
k=$(lab_guest_last_written "$uri" g3)
t=$(lab_now)
# --wait without --pivot returns once the job is ready and leaves it mirroring.
ok "active commit of g3 reaches ready while it writes" \
    lab_virsh "$uri" blockcommit g3 vda --active --wait
diag "commit ready after $(lab_elapsed "$t")s; g3 had confirmed $k, now $(lab_guest_last_written "$uri" g3)"
ok "g3 writes on while the commit mirrors" lab_guest_wait_written "$uri" g3 $((k + 100)) 30
k=$(lab_guest_last_written "$uri" g3)
ok "pivot to the base while it writes" lab_virsh "$uri" blockjob g3 vda --pivot
is "$(lab_disk_source "$uri" g3 vda)" "$D/g3.qcow2" "vda is on the base again (pivot after record $k)"
ok "g3 confirms all $N3" lab_guest_wait "$uri" g3 "all written $N3" 60
ok "g3 powers itself off" lab__wait_state "$uri" g3 "shut off" 30
ok "the base alone holds all $N3 records byte for byte" lab_guest_verify "$D/g3.qcow2" "$N3" "$OFF"
is "$(lab_image_backing "$D/g3.qcow2")" "" "and has no backing file"

# ---------------------------------------------------------------- cleanup leaves nothing

pids=("$(lab_daemon_pid "$uri")")
p=$(lab_domain_pid "$uri" g1v) && pids+=("$p")
ok "found the daemon and the QEMU of g1v, still up" test "${#pids[@]}" -eq 2
tmp=$LAB_TMP
lab_cleanup
left=""
for p in "${pids[@]}"; do
    lab__alive "$p" && left+=" $p"
done
is "$left" "" "no daemon or QEMU of ours is left"
stray=$(grep -lsF -f <(echo "$tmp/") /proc/[0-9]*/cmdline)
is "$stray" "" "no process names the test folder"
ok "the test folder is gone" test ! -e "$tmp"

diag "guest self-test took $(lab_elapsed "$T_ALL")s"
done_testing
