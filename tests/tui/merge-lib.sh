#!/bin/bash
# Helpers shared by the merge tests (sourced after lab.sh and tui-lib.sh).

# Selects the first node whose name contains TEXT (searching from the top).
select_node() {
    tui_keys g /
    tui_type "$1"
    tui_keys Enter
}

# Opens the plan of a commit of NODE into the layer directly below it, with a bandwidth limit of
# BW MiB/s (0: unlimited), and waits until the plan shows the limit.
commit_plan() { # NODE BW
    select_node "$1"
    tui_keys c
    tui_wait "down into which layer?" 5
    tui_keys Enter
    tui_wait "3  bandwidth limit" 10
    set_bandwidth "$2"
}

# Sets the bandwidth limit of the plan shown to BW MiB/s (0: unlimited) and waits until it shows.
set_bandwidth() { # BW
    tui_keys 3
    tui_wait "MiB/s (0 = unlimited)" 5
    tui_keys C-u
    tui_type "$1"
    tui_keys Enter
    if [ "$1" = 0 ]; then
        tui_wait "3  bandwidth limit: unlimited" 10
    else
        tui_wait "3  bandwidth limit: $1 MiB/s" 10
    fi
}

# Types yes and Enter on a plan screen that is shown.
confirm_yes() {
    tui_wait "Type yes and press Enter" 10 || return 1
    tui_type yes
    tui_keys Enter
}

# The chain of a running domain's disks as libvirt reports it now: file names, top first, from
# the live XML. Not from `virsh domstats --block`: QEMU 7.2 dies when asked for block statistics
# just as a job ends (tui-pull-stats.sh), and a test polling them would kill the guest it waits on.
live_chain() { # URI DOMAIN
    lab_virsh "$1" dumpxml "$2" | python3 -c '
import os, sys, xml.etree.ElementTree as ET
def walk(e, out):
    src = e.find("source")
    if src is not None:
        p = src.get("file") or src.get("dev") or src.get("name")
        if p:
            out.append(os.path.basename(p))
    b = e.find("backingStore")
    if b is not None:
        walk(b, out)
out = []
for d in ET.parse(sys.stdin).getroot().iter("disk"):
    if d.get("device", "disk") == "disk":
        walk(d, out)
print(" ".join(out))'
}

# The chain read from the headers of an image on disk: file names, top first.
file_chain() { # FILE
    lab_image_chain "$1" | xargs -n1 basename | tr '\n' ' ' | sed 's/ $//'
}

# Waits until a command's output equals WANT.
wait_output() { # SECS WANT CMD...
    local secs=$1 want=$2 end
    shift 2
    end=$((SECONDS + secs))
    while [ $SECONDS -le $end ]; do
        [ "$("$@" 2>/dev/null)" = "$want" ] && return 0
        sleep 0.2
    done
    echo "last output: $("$@" 2>&1)"
    return 1
}

# Waits until CMD succeeds; shows its last output when it never does.
wait_true() { # SECS CMD...
    local secs=$1 end
    shift
    end=$((SECONDS + secs))
    while [ $SECONDS -le $end ]; do
        "$@" >/dev/null 2>&1 && return 0
        sleep 0.2
    done
    echo "last output: $("$@" 2>&1)"
    return 1
}
