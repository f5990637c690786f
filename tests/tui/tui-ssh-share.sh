#!/bin/bash
# One ssh login per connection over qemu+ssh:// (the lab's own sshd): the host's virt-snaptree
# (--read-chains, VIRT_SNAPTREE_REMOTE naming this build) runs over the connection libvirt's ssh
# holds open, its control socket in a private folder of the program's that is gone after it; so
# the chains read again on later refreshes cost no login either. The logins are counted in the
# sshd's log. A user's ssh config that sets ControlMaster itself changes none of it.
. "${top_srcdir:-.}/tests/lab/lab.sh"
. "$top_srcdir/tests/lab/ssh-lib.sh"
. "$top_srcdir/tests/tui/tui-lib.sh"
lab_init
lab_ssh_need
tui_init
plan 19
export LANG=C.UTF-8
BINABS=$(realpath "$BIN")
export VIRT_SNAPTREE_REMOTE=$BINABS

uri=$(lab_daemon_start "$LAB_TMP/d") || bail_out "no daemon"
K=$LAB_TMP/ssh
lab_sshd_start "$K" || bail_out "no sshd"
suri=$(lab_ssh_uri "$K" "$uri")
G=$LAB_TMP/golden V=$LAB_TMP/vms
lab_chain "$G" gold-base.qcow2 && lab_chain --from "$G/gold-base.qcow2" "$V" app.qcow2 ||
    bail_out "images"
lab_domain_define "$uri" app --disk "vda=$V/app.qcow2" || bail_out "domain app"
lab_virsh "$uri" dumpxml app >"$LAB_TMP/app.xml" || bail_out "dumpxml"

logins() { grep -c "Accepted publickey for root" "$K/sshd.log"; }
shares="$XDG_RUNTIME_DIR/virt-snaptree/ssh"
# The private folders of running programs (none once they ended).
folders() { find "$shares" -mindepth 1 -maxdepth 1 2>/dev/null; }
reads() { grep -c "discover-remote host=0 asked=1 status=0 .* ok=1" "$LAB_TMP/trace" 2>/dev/null; }
json() { VIRT_SNAPTREE_TRACE=$LAB_TMP/trace timeout 60 "$BIN" -c "$suri" --json; }

# --json: one connection, the chains read over it.
rm -f "$LAB_TMP/trace"
n=$(logins)
out=$(json)
like "$out" "gold-base.qcow2" "--json: the shut-off chain, read by the host's virt-snaptree"
is "$(reads)" 1 "in one run of it"
is "$(($(logins) - n))" 1 "one ssh login for libvirt's connection and the chain reader together"
is "$(folders)" "" "the private folder of the control socket is gone after the program"

# A runtime folder mounted noexec (as /run often is): the wrapper is a link to the program.
rm -f "$LAB_TMP/trace"
n=$(logins)
# shellcheck disable=SC2016 # for the inner shell
out=$(VIRT_SNAPTREE_TRACE=$LAB_TMP/trace timeout 60 unshare -m sh -c 'mount --make-rprivate / &&
    mount -t tmpfs -o noexec,mode=700 vst-noexec "$XDG_RUNTIME_DIR" && exec "$@"' sh \
    "$BIN" -c "$suri" --json)
like "$out" "gold-base.qcow2" "runtime folder noexec: the chain is read"
is "$(($(logins) - n))" 1 "in one login all the same"

# A user's ssh config with connection sharing of its own (a master that would outlive us).
cp "$K/ssh_config" "$K/ssh_config.orig"
sed -i '/^Control/d' "$K/ssh_config"
printf 'ControlMaster auto\nControlPath %s/user-%%C\nControlPersist 60\n' "$K" >>"$K/ssh_config"
rm -f "$LAB_TMP/trace"
n=$(logins)
out=$(json)
like "$out" "gold-base.qcow2" "with ControlMaster in the user's ssh config: the chain is read"
is "$(($(logins) - n))" 1 "still in one login"
is "$(find "$K" -name 'user-*')" "" "through the program's own socket, not the config's"
is "$(pgrep -f "ControlPath=$shares" | tr '\n' ' ')" "" "no ssh of it is left running"
cp "$K/ssh_config.orig" "$K/ssh_config"

# The interface: the chains are read again after a domain changes (an event), each time over the
# same connection. Logins: libvirt's connection and the sentinel's (a connection of its own, which
# watches the host).
rm -f "$LAB_TMP/trace"
n=$(logins)
T_ENV="VIRT_SNAPTREE_TRACE=$LAB_TMP/trace" tui_start 200 40 -c "$suri"
ok "the interface shows the remote shut-off chain" tui_wait "gold-base.qcow2" 30 ||
    diag "$(tui_screen)"
pid=$(tui_pid)
folder=$(folders)
is "$(stat -c %a "$folder" 2>&1)" 700 "the control socket's folder is private"
ok "and holds the control socket" eval 'test -S "$(find "$folder" -name control | head -n1)"'
for i in 1 2; do
    lab_virsh "$uri" define "$LAB_TMP/app.xml" >/dev/null || bail_out "define"
    ok "after change $i the chains are read again" tui_until 20 eval "[ \"\$(reads)\" -ge $((i + 1)) ]"
done
is "$(($(logins) - n))" 2 "three reads, two logins: the connection's and the sentinel's"
sshs=$(pgrep -P "$pid" -x ssh)
tui_keys q
ok "q quits" tui_wait "__EXITED__ 0" 10
left=""
for p in $sshs; do lab__alive "$p" && left+="$p "; done
is "$left" "" "no ssh of the interface is left"
is "$(folders)" "" "and its private folder is gone"
tui_stop
done_testing
