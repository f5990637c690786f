#!/bin/bash
# The backing name a merge writes never goes through a folder the chain then does not need:
# committing sub/deeper/mid.qcow2 of base.qcow2 ← sub/deeper/mid.qcow2 ← sub/top.qcow2 writes
# "../base.qcow2" into sub/top.qcow2, not "deeper/../../base.qcow2", so sub/deeper can go.
# Offline (qemu-img, shut-off domains): that layout, an overlay in a sibling folder, a base
# deeper than the overlay, and a pull; each time the plan shows the name written, the header
# holds it, sub/deeper is removed, and the chain still resolves with every byte in place.
# Live (libvirt's job): libvirt composes the name itself; the plan says which one, the folder it
# depends on and the command that writes the direct name once the domain is shut off; that
# command, then the folder removed, and the domain starts and reads every byte.
. "${top_srcdir:-.}/tests/lab/lab.sh"
. "$top_srcdir/tests/tui/tui-lib.sh"
. "$top_srcdir/tests/tui/merge-lib.sh"
lab_init
tui_init
plan 38
export LANG=C.UTF-8

uri=$(lab_daemon_start "$LAB_TMP/d") || bail_out "no daemon"
I=$LAB_TMP/img

# BASE MID TOP (paths below $I): a chain named as qemu-img create -b NAME writes relative names,
# layer i with the standard pattern i.
folder_chain() {
    local prev="" f i=0
    for f in "$@"; do
        mkdir -p "$(dirname "$I/$f")" || return 1
        if [ -z "$prev" ]; then
            qemu-img create -q -f qcow2 "$I/$f" 64M || return 1
        else
            qemu-img create -q -f qcow2 -F qcow2 \
                -b "$(realpath -s --relative-to="$(dirname "$I/$f")" "$I/$prev")" "$I/$f" ||
                return 1
        fi
        lab_pattern_layer "$I/$f" "$i" >/dev/null || return 1
        prev=$f i=$((i + 1))
    done
}
folder_chain A/a-base.qcow2 A/sub/deeper/a-mid.qcow2 A/sub/a-top.qcow2 &&
    folder_chain B/b-base.qcow2 B/a/b-mid.qcow2 B/b/b-top.qcow2 &&
    folder_chain C/d/e/c-base.qcow2 C/sub/deeper/c-mid.qcow2 C/sub/c-top.qcow2 &&
    folder_chain D/d-base.qcow2 D/sub/deeper/d-mid.qcow2 D/sub/d-top.qcow2 &&
    folder_chain L/l-base.qcow2 L/sub/deeper/l-mid.qcow2 L/sub/l-top.qcow2 || bail_out "chains"
is "$(lab_image_backing "$I/A/sub/a-top.qcow2") $(lab_image_backing "$I/A/sub/deeper/a-mid.qcow2")" \
    "deeper/a-mid.qcow2 ../../a-base.qcow2" "the names are relative, through the folders"
for x in a b c d; do
    top=$(cd "$I" && ls ./*/*/"$x"-top.qcow2) || bail_out "no $x-top"
    lab_domain_define "$uri" "dom$x" --disk "vda=$I/${top#./}" --shutoff || bail_out "define $x"
done
lab_domain_define "$uri" doml --disk "vda=$I/L/sub/l-top.qcow2" --running || bail_out "define l"

# The plan box's text (the box takes the width), wrapped lines joined by spaces.
plan_flat() {
    tui_screen | python3 -c '
import sys
print(" ".join(l[2:100].strip() for l in sys.stdin.read().split("\n")))' | tr -s ' '
}
tui_start 102 60 -c "$uri" --interval 600
ok "the chains are shown" tui_wait "d-top.qcow2" 20

# Offline commits of the middle layer into the base; NAME is what the plan promises.
offline_commit() { # WHAT MIDNAME TOP NAME FOLDER
    select_node "$2"
    tui_keys c
    tui_wait "down into which layer?" 5
    tui_keys Enter
    tui_wait "Type yes and press Enter" 10
    like "$(plan_flat)" "backing file: ${4//./\\.}\)" "$1: the plan shows the name written"
    like "$(plan_flat)" "qemu-img rebase -u -F qcow2 -b ${4//./\\.} " "$1: and rebases with it"
    confirm_yes
    ok "$1: the merge completes" wait_output 30 "2" sh -c "qemu-img info -U --backing-chain \
        --output=json '$3' | jq length"
    is "$(lab_image_backing "$3")" "$4" "$1: the header holds that name"
    rm -rf "$5"
    ok "$1: with $(basename "$5")/ removed, the chain still resolves" \
        qemu-img info -U --backing-chain "$3"
    ok "$1: every byte reads back" lab_pattern_verify "$3" 3
}
offline_commit "nested folder" a-mid.qcow2 "$I/A/sub/a-top.qcow2" ../a-base.qcow2 "$I/A/sub/deeper"
offline_commit "sibling folder" b-mid.qcow2 "$I/B/b/b-top.qcow2" ../b-base.qcow2 "$I/B/a"
offline_commit "base deeper" c-mid.qcow2 "$I/C/sub/c-top.qcow2" ../d/e/c-base.qcow2 \
    "$I/C/sub/deeper"

# An offline pull down to the base: the active layer gets the name.
select_node "d-base.qcow2"
tui_keys p
tui_wait "down to which base?" 5
tui_keys Enter
tui_wait "Type yes and press Enter" 10
like "$(plan_flat)" "qemu-img rebase -p -t none -F qcow2 -b \.\./d-base\.qcow2 " \
    "pull: the plan shows the name written"
confirm_yes
ok "pull: the merge completes" wait_output 30 "2" sh -c "qemu-img info -U --backing-chain \
    --output=json '$I/D/sub/d-top.qcow2' | jq length"
is "$(lab_image_backing "$I/D/sub/d-top.qcow2")" "../d-base.qcow2" "pull: the header holds that name"
rm -rf "$I/D/sub/deeper"
ok "pull: with deeper/ removed, the chain still resolves" \
    qemu-img info -U --backing-chain "$I/D/sub/d-top.qcow2"
ok "pull: every byte reads back" lab_pattern_verify "$I/D/sub/d-top.qcow2" 3

# Live: libvirt composes the name; the plan says so and how to write the direct one.
select_node "l-mid.qcow2"
tui_keys c
tui_wait "down into which layer?" 5
tui_keys Enter
tui_wait "Type yes and press Enter" 10
flat=$(plan_flat)
like "$flat" "libvirt flags: RELATIVE" "live: libvirt's RELATIVE"
like "$flat" "backing file: deeper/\.\./\.\./l-base\.qcow2\)" "live: the plan shows libvirt's name"
like "$flat" "goes through the folder ${I//./\\.}/L/sub/deeper, so the chain breaks" \
    "live: and the folder it depends on"
fix="qemu-img rebase -u -F qcow2 -b ../l-base.qcow2 $I/L/sub/l-top.qcow2"
like "$flat" "this writes the direct name: ${fix//./\\.}" "live: and the command for the direct name"
confirm_yes
ok "live: the commit completes" wait_output 30 "l-top.qcow2 l-base.qcow2" live_chain "$uri" doml
is "$(lab_image_backing "$I/L/sub/l-top.qcow2")" "deeper/../../l-base.qcow2" \
    "live: the header holds the name the plan said"
ok "live: every byte reads back in the guest" lab_pattern_verify -d "$uri" doml vda 3
tui_keys q
tui_wait "__EXITED__" 5
ok "live: the domain is shut off" lab_domain_destroy "$uri" doml
# shellcheck disable=SC2086 # the command as the plan showed it
ok "live: the plan's command writes the direct name" $fix
is "$(lab_image_backing "$I/L/sub/l-top.qcow2")" "../l-base.qcow2" "live: the direct name"
rm -rf "$I/L/sub/deeper"
ok "live: with deeper/ removed, the chain still resolves" \
    qemu-img info -U --backing-chain "$I/L/sub/l-top.qcow2"
ok "live: the domain starts" lab_domain_start "$uri" doml
ok "live: every byte reads back in the guest" lab_pattern_verify -d "$uri" doml vda 3
done_testing
