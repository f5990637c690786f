# shellcheck shell=bash
# tests/lab/ssh-lib.sh: a private OpenSSH server in front of a lab host, for tests of libvirt's
# ssh transport (qemu+ssh://).  Source it after lab.sh and call lab_init first:
#     uri=$(lab_daemon_start "$LAB_TMP/d")
#     lab_sshd_start "$LAB_TMP/ssh" || bail_out "no sshd"
#     suri=$(lab_ssh_uri "$LAB_TMP/ssh" "$uri")
#
# Nothing here touches the machine's own sshd or anyone's ~/.ssh.  The test's sshd runs from
# /usr/sbin/sshd with a config, host key and authorized_keys of its own, on 127.0.0.1 at a free
# port, in a mount namespace with a private /run (sshd wants /run/sshd, which only the machine's
# own sshd service makes).  Its session runs `nc -U SOCKET` (libvirt's remote end when the URI
# names a socket), which reaches the lab daemon's socket on this machine's file system: the
# daemon may be either stack's.  The client side is always this machine's libvirt, which runs
# `ssh`: libvirt 9.0 passes the URI's keyfile= on (-i) but not known_hosts= (that one is for
# its libssh transports only), and ssh would read and write /root/.ssh/known_hosts.  So the URI
# names, with command=, a wrapper that runs ssh with a config file of the test's own (its
# known_hosts, no agent, no other config).  What libvirt adds itself (BatchMode=yes with no_tty=1)
# is left to libvirt and the program: the wrapper adds nothing that would keep ssh off the
# terminal.
#
#   lab_ssh_need              skip_all unless sshd and nc are installed (call before plan).
#   lab_sshd_start DIR        make DIR's keys and config, start sshd (bounded wait until it
#                             accepts a login with the client key); stopped by pid at cleanup.
#                             DIR gets: client_key (authorized), stranger_key (not authorized),
#                             known_hosts (the server's key), known_hosts.wrong (another key
#                             under the same name), ssh (the wrapper), port, sshd.log.
#   lab_sshd_restart DIR      start DIR's sshd again after lab_sshd_stop (same port and keys).
#   lab_sshd_port DIR         the port it listens on.
#   lab_sshd_pid DIR          pid of its listening sshd.
#   lab_sshd_sessions DIR     pids of its session processes (one per connection), one a line.
#   lab_sshd_stop DIR         end its sessions and the sshd (SIGTERM, then SIGKILL), by pid.
#   lab_ssh_uri DIR URI [PARAM...]  the qemu+ssh:// URI for the lab host URI (a qemu+unix one)
#                             through DIR's sshd: socket=, keyfile=DIR/client_key, command=DIR/ssh,
#                             then each PARAM (e.g. keyfile=..., no_tty=0) appended; a PARAM
#                             keyfile= replaces the default one, and `keyfile=` alone drops it.
#   lab_ssh_client_pid PID    pid of the ssh client that process PID started (its child).

lab__sshd_free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# DIR: keys, known_hosts files, sshd_config, the client's config and its wrapper.
lab__sshd_files() {
    local dir=$1 port=$2 k
    for k in host_key other_host_key client_key stranger_key; do
        ssh-keygen -q -t ed25519 -N '' -C "lab-$k" -f "$dir/$k" || return 1
    done
    cp "$dir/client_key.pub" "$dir/authorized_keys" || return 1
    printf '[127.0.0.1]:%s %s\n' "$port" "$(cut -d' ' -f1,2 "$dir/host_key.pub")" >"$dir/known_hosts"
    printf '[127.0.0.1]:%s %s\n' "$port" "$(cut -d' ' -f1,2 "$dir/other_host_key.pub")" \
        >"$dir/known_hosts.wrong"
    # Password logins are offered (root's password is never right): a client without a key is
    # then one that ssh would ask for a password.  StrictModes off: the files sit under /tmp.
    cat >"$dir/sshd_config" <<EOF
Port $port
ListenAddress 127.0.0.1
HostKey $dir/host_key
AuthorizedKeysFile $dir/authorized_keys
PidFile none
PermitRootLogin yes
PubkeyAuthentication yes
PasswordAuthentication yes
KbdInteractiveAuthentication yes
UsePAM no
StrictModes no
UseDNS no
PrintMotd no
PrintLastLog no
X11Forwarding no
AllowTcpForwarding no
Subsystem sftp internal-sftp
EOF
    cat >"$dir/ssh_config" <<EOF
UserKnownHostsFile $dir/known_hosts
GlobalKnownHostsFile /dev/null
IdentityAgent none
IdentitiesOnly yes
ControlMaster no
ControlPath none
EOF
    printf '#!/bin/sh\nexec ssh -F %s "$@"\n' "$dir/ssh_config" >"$dir/ssh" && chmod +x "$dir/ssh"
}

lab_ssh_need() {
    if [ ! -x /usr/sbin/sshd ] || ! command -v ssh-keygen >/dev/null; then
        skip_all "no sshd (openssh-server: run scripts/setup-debian)"
    fi
    # libvirt runs it on the remote end when the URI names a socket.
    command -v nc >/dev/null || skip_all "no nc (netcat-openbsd: run scripts/setup-debian)"
}

lab_sshd_start() {
    local dir=$1 port
    lab__need_tmp && lab__check_path "$dir" || return 1
    mkdir -p "$dir" && chmod 700 "$dir" || return 1
    port=$(lab__sshd_free_port) || return 1
    echo "$port" >"$dir/port"
    lab__sshd_files "$dir" "$port" || return 1
    lab_on_cleanup lab_sshd_stop "$dir"
    lab__sshd_launch "$dir"
}

lab_sshd_restart() {
    if lab_sshd_pid "$1" >/dev/null; then
        lab__err "the sshd of $1 still runs"
        return 1
    fi
    lab__sshd_launch "$1"
}

# DIR: start its sshd and wait until it takes a login.
lab__sshd_launch() {
    local dir=$1 pid n=100
    # shellcheck disable=SC2016 # for the inner shell
    (cd / && exec unshare -m sh -c 'mount --make-rprivate / &&
        mount -t tmpfs -o mode=755 lab-sshd-run /run && mkdir -m 755 /run/sshd &&
        exec /usr/sbin/sshd -D -e -f "$1"' lab-sshd "$dir/sshd_config") \
        </dev/null >>"$dir/sshd.log" 2>&1 &
    pid=$!
    echo "$pid" >"$dir/sshd.pid"
    # Up when a login with the client key runs a command.
    until [ "$(lab__ssh "$dir" -i "$dir/client_key" -o BatchMode=yes -- echo up 2>/dev/null)" = up ]; do
        if ! lab__alive "$pid" || [ "$n" -le 0 ]; then
            lab__err "sshd did not start; its log:"
            tail -n 20 "$dir/sshd.log" >&2
            return 1
        fi
        n=$((n - 1))
        sleep 0.1
    done
}

# DIR OPTION... -- COMMAND...: the wrapper to DIR's sshd as root.
lab__ssh() {
    local dir=$1 opts=()
    shift
    while [ $# -gt 0 ] && [ "$1" != -- ]; do
        opts+=("$1")
        shift
    done
    shift
    timeout 10 "$dir/ssh" -p "$(cat "$dir/port")" -l root "${opts[@]}" 127.0.0.1 "$@"
}

lab_sshd_port() {
    cat "$1/port"
}

lab_sshd_pid() {
    local pid
    pid=$(cat "$1/sshd.pid" 2>/dev/null)
    lab__alive "$pid" || return 1
    echo "$pid"
}

lab_sshd_sessions() {
    local pid
    pid=$(lab_sshd_pid "$1") || return 0
    pgrep -P "$pid"
}

lab_sshd_stop() {
    local dir=$1 pid p sig
    pid=$(lab_sshd_pid "$dir") || return 0
    # A test may have left it stopped to simulate a hung host.
    kill -CONT "$pid" 2>/dev/null
    for sig in TERM KILL; do
        for p in $(lab_sshd_sessions "$dir") $pid; do
            kill -"$sig" "$p" 2>/dev/null
        done
        lab__wait_gone "$pid" 5 && return 0
    done
    lab__err "sshd $pid did not end"
    return 1
}

lab_ssh_uri() {
    local dir=$1 uri=$2 sock p key q=""
    shift 2
    key=keyfile=$dir/client_key
    sock=${uri#*socket=}
    sock=${sock%%&*}
    [ "$sock" != "$uri" ] || {
        lab__err "not a lab daemon's URI: $uri"
        return 1
    }
    for p in "$@"; do
        case $p in
        keyfile=) key="" ;;
        keyfile=*) key=$p ;;
        *) q+="&$p" ;;
        esac
    done
    echo "qemu+ssh://root@127.0.0.1:$(lab_sshd_port "$dir")/system?socket=$sock${key:+&$key}&command=$dir/ssh$q"
}

lab_ssh_client_pid() {
    pgrep -P "$1" -x ssh | head -n1
}
