#!/bin/bash
# The scripted baseline of the doctor's figure: what an admin runs today to find corrupt images
# and leaked clusters, qemu-img check on every layer, one after another (-U on the layers a
# running domain holds). Prints one line for each image with a finding, sorted:
#   PATH CORRUPTIONS LEAKS
#
# Usage: qemu-img-check.sh [-U PATH]... PATH...   (each layer once)
#        qemu-img-check.sh --doctor JSON          the same lines from `virt-snaptree --doctor
#                                                 --json`'s qemu-img-check findings, to compare
set -u
if [ "${1:-}" = --doctor ]; then
    jq -r '[.findings[] | select(.check == "qemu-img-check" and .path != null)] | group_by(.path)[]
        | [.[0].path,
           ([.[] | .text | capture("(?<n>[0-9]+) corruptions?") | .n | tonumber] | add // 0),
           ([.[] | .text | capture("(?<n>[0-9]+) leaked clusters?") | .n | tonumber] | add // 0)]
        | map(tostring) | join(" ")' "$2" | sort
    exit
fi
export LIBVIRT_LOG_OUTPUTS="3:file:/dev/null"
while [ $# -gt 0 ]; do
    u=()
    if [ "$1" = -U ]; then
        u=(-U)
        shift
    fi
    # Parsed in the shell: a jq started per layer would cost the baseline more than qemu-img.
    json=$(qemu-img check "${u[@]}" --output=json "$1" 2>/dev/null)
    c=0 l=0
    [[ $json =~ \"corruptions\":\ *([0-9]+) ]] && c=${BASH_REMATCH[1]}
    [[ $json =~ \"leaks\":\ *([0-9]+) ]] && l=${BASH_REMATCH[1]}
    [ "$c" != 0 ] || [ "$l" != 0 ] && echo "$1 $c $l"
    shift
done | sort
