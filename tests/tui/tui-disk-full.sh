#!/bin/bash
# A filesystem that fills up under merges, on a small tmpfs that holds the bases and a guest's
# active layer. Free space is checked again at `yes` (the plan had enough, a file took it
# meanwhile: refused with the numbers). A commit during which the disk fills up fails with the
# cause named (the filesystem and its free space) and what to do, in the jobs panel and the
# status line, and the domain runs on. A guest that cannot write is paused by QEMU: the
# interface says why and what to do, and a job that fails then says to resume the domain too.
# After freeing space and resuming, the commit runs again and completes. Nothing the guest was
# told is on disk, and nothing of the layers, is lost.
. "${top_srcdir:-.}/tests/lab/lab.sh"
. "$top_srcdir/tests/lab/guest.sh"
. "$top_srcdir/tests/tui/tui-lib.sh"
. "$top_srcdir/tests/tui/merge-lib.sh"
lab_init
tui_init
plan 32
export LANG=C.UTF-8
OFF=8M

# Mounted before the daemon starts: its mount namespace (and its QEMUs') is a copy of ours then.
S=$LAB_TMP/small
mkdir -p "$S" && mount -t tmpfs -o size=16M tmpfs "$S" || bail_out "no tmpfs"
lab_on_cleanup "umount -l $S"
uri=$(lab_daemon_start "$LAB_TMP/d") || bail_out "no daemon"
B=$LAB_TMP/big
mkdir -p "$B"

# BASE (small) <- MID (elsewhere, with DATA) <- TOP (on TOPDIR)
chain3() { # NAME TOPDIR DATA...
    local n=$1 topdir=$2
    shift 2
    qemu-img create -q -f qcow2 "$S/$n-base.qcow2" 64M &&
        qemu-img create -q -f qcow2 -b "$S/$n-base.qcow2" -F qcow2 "$B/$n-mid.qcow2" &&
        lab_io_write "$B/$n-mid.qcow2" "$@" &&
        qemu-img create -q -f qcow2 -b "$B/$n-mid.qcow2" -F qcow2 "$topdir/$n-top.qcow2"
}
# Fills the small filesystem up, or up to all but MiB.
fill() { # [MiB]
    rm -f "$S/filler"
    dd if=/dev/zero of="$S/filler" bs=1M count=64 status=none 2>/dev/null
    [ -z "${1:-}" ] || truncate -s "-$1M" "$S/filler"
}
# The screen as one line, and the detail pane (right of the last frame line) as one line.
said() { tui_screen | tr -s ' \n' ' ' | grep -qF -- "$1"; }
detail() { tui_screen | sed -n 's/^.*│//p' | tr -s ' \n' ' ' | grep -qF -- "$1"; }

# p: a domain with no OS, all of whose writes are the commit's. w: a guest writing records
# from 8M on, ten a second, into its active layer on the small filesystem.
chain3 p "$B" 0xd7 24M 4M || bail_out "chain p"
lab_domain_define "$uri" p --disk "vda=$B/p-top.qcow2" --running || bail_out "define p"
chain3 g "$S" 0xd6 24M 4M || bail_out "chain g"
lab_guest_define "$uri" w "$S/g-top.qcow2" --records 3000 --interval-ms 100 --offset "$OFF" \
    --end idle || bail_out "guest"
lab_guest_wait_written "$uri" w 20 60 || bail_out "the guest does not write"

tui_start 220 45 -c "$uri"
ok "the chains are shown" tui_wait "g-mid.qcow2" 30

# ---- the plan had the space; a file takes it before the yes
commit_plan p-mid.qcow2 1
ok "the plan does not refuse: the space is there" tui_wait "Type yes and press Enter" 10
fill 2
confirm_yes
ok "yes is refused: the free space is checked again" \
    tui_until 10 said "not started: the merge needs up to 4."
ok "with the numbers" tui_until 1 said "MiB in $S, and only 2."
unlike "$(tui_screen)" "p/vda +commit" "no job started"
is "$(file_chain "$B/p-top.qcow2")" "p-top.qcow2 p-mid.qcow2 p-base.qcow2" "the chain is as it was"
tui_keys Escape # an error stays until dismissed, over the jobs panel

# ---- a guest that cannot write is paused
fill
ok "QEMU pauses the guest, which could not write" \
    wait_output 30 "paused" lab_domain_state "$uri" w
ok "the interface says why and what to do" tui_until 15 said \
    "w is paused: its disk vda could not be written, no space left on the filesystem at $S ("
ok "what to do" tui_until 1 said "Free space there, then resume it (virsh resume w)"
tui_keys Escape
k=$(lab_guest_last_written "$uri" w)
ok "the guest sees every record it was told is written ($k)" \
    lab_guest_verify -d "$uri" w vda "$k" "$OFF"

# ---- the disk fills while a commit runs: the job fails, the domain runs on
fill 6
commit_plan p-mid.qcow2 1
confirm_yes
ok "the commit runs" tui_wait_line "p/vda" "running" 20
fill
ok "the status line says the commit failed and names the cause" tui_until 30 said \
    "commit on p/vda failed: no space left on the filesystem at $S ("
ok "and what to do" tui_until 1 said "free of 16.0 MiB): free space there, then start the merge again"
tui_keys Escape
ok "the jobs panel shows the job failed" tui_wait_line "p/vda" "failed" 5
ok "with the cause" tui_wait_line "p/vda" "no space left on the filesystem at $S (" 5
unlike "$(tui_screen)" "libvirt gave no reason" "no 'no reason'"
is "$(lab_domain_state "$uri" p)" "running" "the domain runs on"
is "$(file_chain "$B/p-top.qcow2")" "p-top.qcow2 p-mid.qcow2 p-base.qcow2" "the chain is as it was"
ok "the guest's view of the disk is whole" lab_io_verify -d "$uri" p vda 0xd7 24M 4M

# ---- a commit that fails while its domain is paused on the error says to resume it too
fill 6
commit_plan g-mid.qcow2 1
confirm_yes
ok "a commit of the paused guest's disk runs" tui_wait_line "w/vda" "running" 20
fill
ok "it fails for want of space" tui_until 30 said "commit on w/vda failed: no space left"
ok "and says to free space, resume the domain, merge again" tui_until 1 said \
    "free space there, resume w (virsh resume w), then start the merge again"
tui_keys Escape
select_node "g-top.qcow2"
tui_keys Up # its disk
ok "the disk's detail gives the whole reason" tui_until 5 detail \
    "free of 16.0 MiB): free space there, resume w (virsh resume w), then start the merge again"
is "$(file_chain "$S/g-top.qcow2")" "g-top.qcow2 g-mid.qcow2 g-base.qcow2" "the chain is as it was"
ok "the guest's records are all there" lab_guest_verify -d "$uri" w vda "$k" "$OFF"
ok "and the middle layer's data" lab_io_verify -d "$uri" w vda 0xd6 24M 4M

# ---- what the message said: free space, resume, merge again
rm -f "$S/filler"
lab_virsh "$uri" resume w >/dev/null || bail_out "resume"
ok "the guest writes on" lab_guest_wait_written "$uri" w $((k + 20)) 60
commit_plan g-mid.qcow2 0
confirm_yes
ok "the commit completes now" wait_output 60 "g-top.qcow2 g-base.qcow2" live_chain "$uri" w
k=$(lab_guest_last_written "$uri" w)
lab_domain_destroy "$uri" w >/dev/null
ok "every record the guest confirmed reads back from the new chain ($k)" \
    lab_guest_verify "$S/g-top.qcow2" "$k" "$OFF"
ok "and the committed data from the base" lab_io_verify "$S/g-base.qcow2" 0xd6 24M 4M
commit_plan p-mid.qcow2 0
confirm_yes
ok "p's commit completes too" wait_output 60 "p-top.qcow2 p-base.qcow2" live_chain "$uri" p
ok "with every byte" lab_io_verify -d "$uri" p vda 0xd7 24M 4M
tui_keys q
tui_wait "__EXITED__" 5
done_testing
