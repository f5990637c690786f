#!/bin/bash
# The figures of a job's line on a real libvirtd: a commit limited to 1 MiB/s through a sparse
# layer never shows a rate above its limit nor an ETA of 0:00 half way, and its total is the
# disk's virtual size said as such beside the data the plan counted; a new interface never shows
# 0 B/s for a job that moves, and a rate once it has watched it long enough; a job killed with its
# domain shows how far it got and no rate; a snapshot that reports no progress says done, not
# 100% of 0 B. Every byte is checked after the commit.
. "${top_srcdir:-.}/tests/lab/lab.sh"
. "$top_srcdir/tests/tui/tui-lib.sh"
. "$top_srcdir/tests/tui/merge-lib.sh"
lab_init
tui_init
plan 22
export LANG=C.UTF-8

uri=$(lab_daemon_start "$LAB_TMP/d") || bail_out "no daemon"
I=$LAB_TMP/img
# 6 MiB of data in three places of a 128 MiB disk: the commit leaps over what lies between.
lab_chain --size 128M "$I" sp-base.qcow2 sp-mid.qcow2 sp-top.qcow2 >/dev/null || bail_out "chain"
lab_io_write "$I/sp-mid.qcow2" 0xa1 0 2M 0xa2 60M 2M 0xa3 120M 2M || bail_out "write"
lab_chain --size 128M "$I" nw-base.qcow2 nw-mid.qcow2 nw-top.qcow2 >/dev/null || bail_out "chain"
lab_io_write "$I/nw-mid.qcow2" 0xb1 0 24M || bail_out "write"
lab_domain_define "$uri" sp --disk "vda=$I/sp-top.qcow2" --running || bail_out "define sp"
lab_domain_define "$uri" nw --disk "vda=$I/nw-top.qcow2" --running || bail_out "define nw"
lab_chain --size 16M "$I" off.qcow2 >/dev/null || bail_out "image"
lab_domain_define "$uri" off --disk "vda=$I/off.qcow2" || bail_out "define off"

# Bytes per second of a rate as the line shows it ("1.00 MiB/s"); nothing when none.
rate_bytes() {
    grep -oE '[0-9.]+ (B|KiB|MiB|GiB|TiB)/s' <<<"$1" | head -n1 | awk '{
        m = 1; if ($2 ~ /^KiB/) m = 1024; if ($2 ~ /^MiB/) m = 1048576
        if ($2 ~ /^GiB/) m = 1073741824; if ($2 ~ /^TiB/) m = 1099511627776
        printf "%.0f\n", $1 * m }'
}
# The jobs panel's line of WHO (the panel is below the tree).
panel_line() { tui_screen | grep -E -- "^ $1 " | tail -n1; }
# Watches the jobs panel's line of WHO until it holds UNTIL (at most SECS), keeping every line
# seen in $LINES_SEEN.
watch_line() { # WHO UNTIL SECS
    local end=$((SECONDS + $3)) l
    LINES_SEEN=""
    while [ $SECONDS -le $end ]; do
        l=$(panel_line "$1")
        [ -n "$l" ] && LINES_SEEN+="$l"$'\n'
        grep -qF -- "$2" <<<"$l" && return 0
        sleep 0.1
    done
    return 1
}
# The lines of $LINES_SEEN whose rate is above BYTES per second.
rates_above() {
    local l r
    while IFS= read -r l; do
        r=$(rate_bytes "$l")
        [ -n "$r" ] && [ "$r" -gt "$1" ] && echo "$l"
    done <<<"$LINES_SEEN"
}

tui_start 220 40 -c "$uri"
ok "the chain is shown" tui_wait "sp-mid.qcow2" 20

# 1. The plan's data and the bar's total agree, and say what each counts.
commit_plan sp-mid.qcow2 1
s=$(tui_screen)
data=$(grep -oE 'Data to copy: up to [0-9.]+ [KMG]iB' <<<"$s" | sed 's/.*up to //')
like "$s" "Data to copy: up to $data \(the job's progress counts the disk's whole virtual size, 128 MiB" \
    "the plan says the progress counts the virtual size ($data of data)"
confirm_yes
ok "the commit completes" watch_line "sp/vda" "completed" 60
running=$(grep -F "running" <<<"$LINES_SEEN")
like "$running" "128 MiB virtual, ~$data data" "the job's line says its total is virtual, beside the plan's data"
is "$(rates_above 1048576)" "" "no rate above the 1 MiB/s limit was shown"
unlike "$(grep -E ' ([0-8]?[0-9])%' <<<"$running")" "ETA 0:00" "no ETA of 0:00 half way"
unlike "$running" "ETA --:--" "no empty ETA: none until it means something"
like "$running" "[0-9.]+ [KM]iB/s  ETA (at most )?[0-9]+:[0-9]{2}" "a rate and an ETA once it had moved long enough"
like "$(panel_line "sp/vda")" "completed +done: 128 MiB virtual, ~$data data" "the completed line says done, of what"
ok "the new chain" wait_output 30 "sp-top.qcow2 sp-base.qcow2" live_chain "$uri" sp
ok "every byte reads back through it" \
    eval 'lab_io_verify -d "$uri" sp vda 0xa1 0 2M 0xa2 60M 2M 0xa3 120M 2M &&
        lab_io_verify -d "$uri" sp vda 0x00 2M 58M'
tui_keys q
tui_wait "__EXITED__" 5
tui_stop

# 2. A commit started elsewhere, met by a new interface: no 0 B/s, a rate once it is known.
lab_virsh "$uri" blockcommit nw vda --top "$I/nw-mid.qcow2" --base "$I/nw-base.qcow2" \
    --bandwidth 1 >/dev/null ||
    bail_out "virsh blockcommit"
tui_start 220 40 -c "$uri"
ok "the new interface finds the job" tui_wait_line "nw/vda" "running" 20
ok "it shows a rate once it has watched the job long enough" watch_line "nw/vda" "MiB/s  ETA" 15
unlike "$LINES_SEEN" " 0 B/s|ETA --:--" "never 0 B/s nor an empty ETA for a job that moves"
is "$(rates_above 1048576)" "" "nor a rate above the limit"

# 3. The domain is killed under the job: how far it got, no rate.
pct=$(panel_line "nw/vda" | grep -oE ' [0-9]+%' | head -n1 | tr -d ' %')
lab_domain_destroy "$uri" nw || bail_out "destroy"
ok "the job shows failed" tui_wait_line "nw/vda" "failed" 30
l=$(panel_line "nw/vda")
like "$l" "failed +stopped at [0-9]+%: [0-9.]+ [KM]iB/[0-9.]+ MiB virtual" "how far it got (was $pct%)"
unlike "$l" "/s|ETA" "and no rate"

# 4. A snapshot reports no progress: done, not 100% of 0 B.
select_node off
tui_keys s
tui_wait "New snapshot" 10
tui_keys Down Down Down Down Enter
ok "the snapshot's plan" tui_wait "Snapshot " 10
confirm_yes
ok "the snapshot is taken" tui_wait "of off taken" 30
l=$(panel_line off)
like "$l" "snapshot +completed +done" "its line says done"
unlike "$l" "100%|0 B/0 B|B/s" "not a fake 100% of nothing"
tui_keys q
tui_wait "__EXITED__" 5
done_testing
