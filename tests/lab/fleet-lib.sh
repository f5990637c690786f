# shellcheck shell=bash
# tests/lab/fleet-lib.sh: a fleet of lab hosts for one interface, cheap enough for a 2-core
# machine: private libvirtd daemons (lab.sh's) holding mostly shut-off domains, each on a small
# qcow2 chain of its own (a base and an overlay, copies of one template pair: no qemu-img run per
# domain), defined with one virsh call per host. Source it after lab.sh, then call lab_init.
#
#   fleet_build N DOMS RUNNING   N daemons under $LAB_TMP/fleet (started in parallel), DOMS
#                           domains each; the first RUNNING hosts run one of their domains.
#                           Sets FLEET_URIS (index 1..N) and FLEET_DIRS; stops them all on
#                           cleanup, by pid, before lab.sh's cleanup would walk every domain.
#   fleet_config FILE [EXTRA_URI LABEL]...   writes a configuration file naming the fleet's
#                           hosts h01..hNN, in the groups rack-a (odd) and rack-b (even), then the
#                           extra hosts given (label, group "rack-x").
#   fleet_hang I            SIGSTOP host I's daemon (SIGCONT again on cleanup).

FLEET_URIS=()
FLEET_DIRS=()

# One domain's definition, as lab_domain_define writes it (tiny: no graphics, no USB, no balloon).
fleet__xml() {
    cat <<EOF
<domain type='qemu'>
  <name>$1</name>
  <memory unit='MiB'>64</memory>
  <vcpu>1</vcpu>
  <os>
    <type arch='x86_64' machine='pc'>hvm</type>
  </os>
  <devices>
    <disk type='file' device='disk'>
      <driver name='qemu' type='qcow2'/>
      <source file='$2'/>
      <target dev='vda' bus='virtio'/>
    </disk>
    <controller type='usb' model='none'/>
    <memballoon model='none'/>
    <serial type='pty'/>
    <console type='pty'/>
  </devices>
</domain>
EOF
}

# Host I's domains: images copied from the template chain (its backing name is relative, so a copy
# in another folder reads the base next to it), definitions in one virsh call.
fleet__domains() {
    local i=$1 doms=$2 tmpl=$3 dir=${FLEET_DIRS[$1]} d name cmds=""
    for ((d = 1; d <= doms; d++)); do
        name=$(printf 'vm%02d-%02d' "$i" "$d")
        mkdir -p "$dir/img/$name" || return 1
        cp "$tmpl/base.qcow2" "$tmpl/top.qcow2" "$dir/img/$name/" || return 1
        fleet__xml "$name" "$dir/img/$name/top.qcow2" >"$dir/img/$name.xml" || return 1
        cmds+="define $dir/img/$name.xml; "
    done
    lab_virsh "${FLEET_URIS[$i]}" "$cmds" >/dev/null 2>&1
    [ "$(lab__virsh_q "${FLEET_URIS[$i]}" list --all --name | grep -c .)" -eq "$doms" ] || {
        lab__err "fleet host $i: $doms domains were not all defined"
        return 1
    }
}

fleet_build() {
    local n=$1 doms=$2 running=$3 i pids=() tmpl=$LAB_TMP/fleet/template
    lab_caps_warm || return 1
    lab_on_cleanup fleet_stop
    lab_chain --size 16M "$tmpl" base.qcow2 top.qcow2 >/dev/null || return 1
    for ((i = 1; i <= n; i++)); do
        FLEET_DIRS[i]=$(printf '%s/fleet/h%02d' "$LAB_TMP" "$i")
        (lab_daemon_start "${FLEET_DIRS[i]}" >"${FLEET_DIRS[i]}.uri") &
        pids+=("$!")
    done
    for ((i = 1; i <= n; i++)); do
        wait "${pids[i - 1]}" || {
            lab__err "fleet host $i did not start"
            return 1
        }
        FLEET_URIS[i]=$(cat "${FLEET_DIRS[i]}.uri")
    done
    pids=()
    for ((i = 1; i <= n; i++)); do
        fleet__domains "$i" "$doms" "$tmpl" &
        pids+=("$!")
    done
    for ((i = 1; i <= n; i++)); do
        wait "${pids[i - 1]}" || return 1
    done
    for ((i = 1; i <= running; i++)); do
        lab_domain_start "${FLEET_URIS[i]}" "$(printf 'vm%02d-01' "$i")" || return 1
    done
}

# Running domains are destroyed (their QEMU would outlive the daemon), then every daemon is
# stopped by its pid: nothing is left for lab_cleanup's walk over each domain.
fleet_stop() {
    local i dom
    for i in "${!FLEET_URIS[@]}"; do
        # A hung host (fleet_hang) answers again first.
        kill -CONT "$(cat "${FLEET_DIRS[i]}/lab-daemon.pid" 2>/dev/null)" 2>/dev/null
        for dom in $(LAB_VIRSH_TIMEOUT=20 lab__virsh_q "${FLEET_URIS[i]}" list --name); do
            lab_domain_destroy "${FLEET_URIS[i]}" "$dom"
        done
        lab_daemon_stop "${FLEET_DIRS[i]}"
    done
}

fleet_hang() {
    local pid
    pid=$(lab_daemon_pid "${FLEET_DIRS[$1]}") || return 1
    kill -STOP "$pid" && lab_on_cleanup "kill -CONT $pid 2>/dev/null"
}

fleet_config() {
    local file=$1 i
    shift
    mkdir -p "${file%/*}" || return 1
    {
        for i in "${!FLEET_URIS[@]}"; do
            printf 'connect = %s label=h%02d group=rack-%s\n' "${FLEET_URIS[i]}" "$i" \
                "$([ $((i % 2)) = 1 ] && echo a || echo b)"
        done
        while [ $# -ge 2 ]; do
            printf 'connect = %s label=%s group=rack-x\n' "$1" "$2"
            shift 2
        done
    } >"$file"
}
