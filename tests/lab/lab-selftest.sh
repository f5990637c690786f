#!/bin/bash
# tests/lab/lab-selftest.sh: checks that the lab builds what the seed article describes, on a
# private libvirtd (domain running) and on a second host (domain shut off: an embedded driver
# root on bookworm, another private libvirtd on other stacks, see lab_stack_host), that the data
# patterns survive byte for byte, that a SIGSTOPped daemon looks hung, and that cleanup leaves
# nothing behind.  Speaks TAP; needs root (skips otherwise).

# The library is bash; `sh lab-selftest.sh` should work too.
if [ -z "${BASH_VERSION:-}" ]; then
    exec bash "$0" "$@"
fi

top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
# shellcheck source=tests/lab/lab.sh
. "$top_srcdir/tests/lab/lab.sh"

lab_init
T_ALL=$(lab_now)
diag "lab folder: $LAB_TMP"

fails() {
    ! "$@"
}

# The snapshot tree `virsh snapshot-list --tree` draws for a straight line of snapshots.
tree_of() {
    local k=0 s pad
    for s in "$@"; do
        if [ "$k" -eq 0 ]; then
            echo "$s"
        else
            pad=$(printf '%*s' $((2 + 4 * (k - 1))) '')
            echo "$pad|"
            echo "$pad+- $s"
        fi
        k=$((k + 1))
    done
}

# FILE: "file<TAB>backing name as stored<TAB>backing format<TAB>virtual size", top first.
chain_table() {
    qemu-img info -U --backing-chain --output=json "$1" |
        jq -r '.[] | [.filename, ."backing-filename" // "", ."backing-filename-format" // "",
                      ."virtual-size"] | @tsv'
}

# URI DOM: the block.N.path values of domstats --backing, in N order.
domstats_paths() {
    lab_virsh "$1" domstats --block --backing "$2" 2>/dev/null |
        sed -n 's/^ *block\.[0-9]*\.path=//p'
}

# URI DIR MODE SNAP...: everything the article says about test2's chain, and the data in it.
check_article() {
    local uri=$1 dir=$2 mode=$3 what files=() s i n want got top
    shift 3
    what="$mode article chain ($*)"
    files=("$dir/centos.qcow2" "$dir/test2.qcow2")
    for s in "$@"; do files+=("$dir/test2_$s.qcow2"); done
    n=${#files[@]}
    top=${files[n - 1]}

    is "$(lab_disk_source "$uri" test2 vda)" "$top" "$what: domblklist shows vda on the last overlay"
    is "$(lab_domain_state "$uri" test2)" "$([ "$mode" = running ] && echo running || echo 'shut off')" \
        "$what: test2 is $mode"
    is "$(lab_snapshot_tree "$uri" test2)" "$(tree_of "$@")" "$what: snapshot-list --tree"
    is "$(lab_virsh "$uri" snapshot-list test2 --external --name --topological 2>/dev/null | sed '/^$/d')" \
        "$(printf '%s\n' "$@")" "$what: all snapshots are external"
    # A disk-only snapshot of a shut-off domain is in state "shutoff", not "disk-snapshot" (so
    # snapshot-list --disk-only does not list it).
    want=$([ "$mode" = running ] && echo disk-snapshot || echo shutoff)
    is "$(lab_virsh "$uri" snapshot-list test2 2>/dev/null | awk 'NR > 2 && NF { print $1, $NF }' | sort)" \
        "$(for s in "$@"; do echo "$s $want"; done | sort)" "$what: snapshot states are $want"
    # Each snapshot's <disk> names the overlay it created; its <domain> the image before it.
    want="" got=""
    for s in "$@"; do
        want+="$dir/test2_$s.qcow2 "
        got+="$(lab_virsh "$uri" snapshot-dumpxml test2 "$s" 2>/dev/null |
            sed -n "s/^ *<source file='\([^']*\)'.*/\1/p" | head -n 1) "
    done
    is "$got" "$want" "$what: each snapshot's XML names its overlay"
    is "$(lab_virsh "$uri" snapshot-current test2 --name 2>/dev/null)" "${*: -1}" \
        "$what: the current snapshot is the last one"

    # Backing names as the article's commands leave them: libvirt 9.0 writes the absolute path
    # of the previous image into every overlay it creates, running or not; test2.qcow2 keeps the
    # relative name qemu-img was given.
    want=""
    for ((i = n - 1; i >= 0; i--)); do
        case $i in
        0) want+="${files[0]}"$'\t\t\t'67108864$'\n' ;;
        1) want+="${files[1]}"$'\t'centos.qcow2$'\t'qcow2$'\t'67108864$'\n' ;;
        *) want+="${files[i]}"$'\t'"${files[i - 1]}"$'\t'qcow2$'\t'67108864$'\n' ;;
        esac
    done
    is "$(chain_table "$top")" "${want%$'\n'}" "$what: qemu-img info --backing-chain"

    if [ "$mode" = running ]; then
        want=$(for ((i = n - 1; i >= 0; i--)); do echo "${files[i]}"; done)
        is "$(domstats_paths "$uri" test2)" "$want" "$what: domstats --backing lists the whole chain"
        ok "$what: the guest sees every layer's pattern, the top's shared data winning" \
            lab_pattern_verify -d "$uri" test2 vda "$n"
        # The layers under the active one are read-only now; check each as a chain top.
        for ((i = 1; i < n; i++)); do
            if ! lab_pattern_verify "${files[i - 1]}" "$i" ||
                ! lab_pattern_placement "${files[i - 1]}" "$i"; then
                diag "layer $i: ${files[i - 1]}"
                break
            fi
        done
        ok "$what: every backing layer holds exactly its patterns" test "$i" -eq "$n"
    else
        is "$(domstats_paths "$uri" test2)" "$top" "$what: domstats of a shut-off domain shows only the top"
        for ((i = 1; i <= n; i++)); do
            if ! lab_pattern_verify "${files[i - 1]}" "$i" ||
                ! lab_pattern_placement "${files[i - 1]}" "$i"; then
                diag "layer $i: ${files[i - 1]}"
                break
            fi
        done
        ok "$what: every layer holds exactly its patterns, byte for byte" test "$i" -gt "$n"
        ok "$what: test2 was never started" test ! -e "$(lab_domain_log "$uri" test2)"
    fi
}

# ---------------------------------------------------------------- the QEMU capabilities cache

t=$(lab_now)
ok "QEMU capabilities cache for this build tree" lab_caps_warm
if cold=$(lab_timing caps_warm); then
    diag "cache was cold: a daemon probing QEMU took ${cold}s (warm-up total $(lab_elapsed "$t")s)"
fi

# ---------------------------------------------------------------- private daemon, running domain

D=$LAB_TMP/d
uri=$(lab_daemon_start "$D")
ok "private libvirtd answers on its socket" test -n "$uri" || bail_out "no daemon"
diag "daemon start with the copied cache: $(lab_timing daemon_start)s"
dpid=$(lab_daemon_pid "$uri")
# /proc/PID/root resolves paths in the daemon's mount namespace.
ok "the daemon reads its own /etc/libvirt" cmp "$D/etc/libvirtd.conf" "/proc/$dpid/root/etc/libvirt/libvirtd.conf"
ok "this namespace's /etc/libvirt is not the daemon's" fails cmp -s "$D/etc/libvirtd.conf" /etc/libvirt/libvirtd.conf
# A reprobe would rewrite the files: look at their times, then at what changed. With KVM
# present, libvirt 9.0 also rewrites an entry whose host CPU data differs, and CPUID leaf 0x1f
# reports the x2APIC ID of whichever CPU the probing thread ran on: such a rewrite differs from
# the copy in <cpuid> lines only, and is not a sign of a cache that failed to be used.
caps_kept() { # DIR REF DESC: no entry of DIR rewritten since REF with more than CPUID changed
    local f bad="" cpuid=""
    while read -r f; do
        if diff -q <(grep -v '<cpuid ' "$LAB_CAPS_DIR/capabilities/${f##*/}") \
            <(grep -v '<cpuid ' "$f") >/dev/null 2>&1; then
            cpuid="$cpuid${f##*/} rewritten with only its host CPUID data changed"$'\n'
        else
            bad="$bad$f"$'\n'
        fi
    done < <(find "$1" -name '*.xml' -newer "$2")
    is "$bad" "" "$3"
    [ -z "$cpuid" ] || diag "$cpuid"
}
caps_kept "$D/cache/qemu/capabilities" "$D/etc/libvirtd.conf" \
    "the daemon kept the copied capabilities cache"

A=$LAB_TMP/art
t=$(lab_now)
ok "article chain built on the daemon, test2 running" lab_article_chain "$uri" "$A" running ||
    bail_out "cannot build the article chain"
diag "running article chain built in $(lab_elapsed "$t")s (domain start $(lab_timing domain_start)s)"
check_article "$uri" "$A" running "${LAB_ARTICLE_SNAPS[@]}"
diag "domstats backingIndex top to base: $(lab_virsh "$uri" domstats --block --backing test2 2>/dev/null |
    sed -n 's/^ *block\.[0-9]*\.backingIndex=//p' | tr '\n' ' ')"

# ---------------------------------------------------------------- two domains, one golden image

S=$LAB_TMP/shared
ok "two running domains on one golden image" lab_shared_base "$uri" "$S" running
is "$(lab_image_chain "$S/vm1.qcow2" | tail -n 1)" "$(lab_image_chain "$S/vm2.qcow2" | tail -n 1)" \
    "vm1 and vm2 share their base"
ok "vm1 sees golden's data under its own" lab_pattern_verify -d "$uri" vm1 vda 2 0xc1:56M:64K
ok "vm2 sees golden's data under its own" lab_pattern_verify -d "$uri" vm2 vda 2 0xc2:56M:64K
ok "golden image unchanged" lab_pattern_verify "$S/golden.qcow2" 1

# ---------------------------------------------------------------- a hung host

kill -STOP "$dpid"
t=$(lab_now)
timeout 3 virsh -c "$uri" -k 0 list >/dev/null 2>&1
is "$?" 124 "a SIGSTOPped daemon makes 'virsh -k 0 list' hang"
kill -CONT "$dpid"
out=$(lab_virsh "$uri" list --name 2>&1)
is "$(sort <<<"$out" | sed '/^$/d' | tr '\n' ' ')" "test2 vm1 vm2 " "after SIGCONT the daemon answers, domains still running"

# ---------------------------------------------------------------- a second host, domains shut off

if [ "$LAB_STACK" = bookworm ]; then
    EKIND="embedded root"
else
    EKIND="second daemon"
fi
E=$LAB_TMP/e
euri=$(lab_stack_host "$E")
t=$(lab_now)
ok "$EKIND opens" lab_virsh "$euri" version
diag "first open of a fresh $EKIND (copied cache): $(lab_elapsed "$t")s"

# Two disks: HMP qemu-io must reach vdb through virtio-disk1.
K=$LAB_TMP/disks
lab_chain --patterns "$K" a0.qcow2 && lab_chain --patterns "$K" b0.qcow2 b1.qcow2
t=$(lab_now)
ok "a running domain with two disks on the $EKIND" \
    lab_domain_define "$euri" twodisk --disk "vda=$K/a0.qcow2" --disk "vdb=$K/b1.qcow2" --running
diag "$EKIND: domain define+start: $(lab_elapsed "$t")s"
caps_kept "$E/cache/qemu/capabilities" "$E/etc/qemu.conf" \
    "the $EKIND kept the copied capabilities cache"
is "$(lab_disk_qom "$euri" twodisk vdb)" /machine/peripheral/virtio-disk1/virtio-backend "vdb is virtio-disk1"
ok "HMP qemu-io reads vda's chain" lab_pattern_verify -d "$euri" twodisk vda 1
ok "HMP qemu-io reads vdb's chain" lab_pattern_verify -d "$euri" twodisk vdb 2
ok "HMP qemu-io writes into vdb" lab_io_write -d "$euri" twodisk vdb 0xc5 56M 64K
ok "a wrong pattern is caught" fails lab_io_verify -d "$euri" twodisk vdb 0xc6 56M 64K
t=$(lab_now)
ok "destroy right after a reopen of the $EKIND" lab_domain_destroy "$euri" twodisk
diag "$EKIND: domain destroy: $(lab_elapsed "$t")s"
ok "the write landed in vdb's top image only" lab_pattern_verify "$K/b1.qcow2" 2 0xc5:56M:64K
ok "vdb's base untouched" lab_pattern_verify "$K/b0.qcow2" 1
ok "vda untouched" lab_pattern_verify "$K/a0.qcow2" 1

B=$LAB_TMP/art-off
t=$(lab_now)
ok "article chain built on the $EKIND, test2 shut off" lab_article_chain "$euri" "$B" shutoff
diag "shut-off article chain built in $(lab_elapsed "$t")s"
check_article "$euri" "$B" shutoff "${LAB_ARTICLE_SNAPS[@]}"

E2=$LAB_TMP/e2
euri2=$(lab_stack_host "$E2")
P=$LAB_TMP/pull
ok "the article's blockpull chain, shut off" lab_article_pull_chain "$euri2" "$P" shutoff
check_article "$euri2" "$P" shutoff "${LAB_ARTICLE_PULL_SNAPS[@]}"

# ---------------------------------------------------------------- cleanup leaves nothing

pids=("$dpid")
for dom in test2 vm1 vm2; do
    p=$(lab_domain_pid "$uri" "$dom") && pids+=("$p")
done
ok "found the QEMU of each running domain" test "${#pids[@]}" -eq 4
# The second hosts, where they are daemons.
for h in "$euri" "$euri2"; do
    p=$(lab_daemon_pid "$h" 2>/dev/null) && pids+=("$p")
done
tmp=$LAB_TMP
t=$(lab_now)
lab_cleanup
diag "cleanup took $(lab_elapsed "$t")s"
left=""
for p in "${pids[@]}"; do
    lab__alive "$p" && left+=" $p"
done
is "$left" "" "no daemon or QEMU of ours is left"
# The pattern comes from a file so that grep's own command line does not match it.
stray=$(grep -lsF -f <(echo "$tmp/") /proc/[0-9]*/cmdline)
is "$stray" "" "no process names the test folder"
ok "the test folder is gone" test ! -e "$tmp"

diag "self-test took $(lab_elapsed "$T_ALL")s"
done_testing
