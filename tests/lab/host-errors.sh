#!/bin/bash
# Host errors are one clear line and a non-zero exit: a user the daemon's socket refuses
# (permission denied), and a host whose libvirt is too old. The old host is the lab's libvirtd
# behind a proxy (tests/lab/rpc-version-proxy.py) that answers virConnectGetLibVersion with an
# older version, so the program meets it through the real protocol and its real check.
. "${top_srcdir:-.}/tests/lab/lab.sh"
BIN=${top_builddir:-.}/ui/virt-snaptree
lab_init
command -v jq >/dev/null || skip_all "jq is not installed"
command -v python3 >/dev/null || skip_all "python3 is not installed"
command -v setpriv >/dev/null || skip_all "setpriv is not installed"
id nobody >/dev/null 2>&1 || skip_all "no user nobody"
plan 14
export LC_ALL=C.UTF-8
unset LANGUAGE

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
uri=$(LAB_DAEMON_TCP_PORT=$port lab_daemon_start "$LAB_TMP/d") || bail_out "no daemon"
ere() { printf '%s' "$1" | sed 's/[][\.*^$?+(){}|/]/\\&/g'; }

# ---- permission denied: nobody may reach the socket, whose own mode (0770, root) refuses it.
chmod o+x "$LAB_TMP" "$LAB_TMP/d" "$LAB_TMP/d/run" || bail_out "chmod"
# The build tree may be one nobody cannot enter (CI's sanitizer build is in a mktemp -d folder,
# mode 0700): nobody runs a copy of the program from the lab's folder.
mkdir -p "$LAB_TMP/bin" && install -m 0755 "$BIN" "$LAB_TMP/bin/virt-snaptree" || bail_out "copy"
as_nobody() { setpriv --reuid=nobody --regid=nogroup --clear-groups env HOME=/nonexistent "$@"; }
fails_one_line "--list as a user the socket refuses" \
    "^virt-snaptree: cannot connect to $(ere "$uri"): .*Permission denied" \
    as_nobody "$LAB_TMP/bin/virt-snaptree" -c "$uri" --list
json=$(as_nobody "$LAB_TMP/bin/virt-snaptree" -c "$uri" --json 2>/dev/null)
is "$(jq -r '.hosts[0] | "\(.reachable) \(.error | test("Permission denied"))"' <<<"$json")" \
    "false true" "--json marks the host unreachable with the same reason"
ok "root, whom the socket lets in, lists the host" "$BIN" -c "$uri" --list

# ---- libvirt too old.
# Starts a proxy to the daemon's TCP port that reports VERSION and sets PROXY_URI to it. (Not in
# a command substitution: its cleanup hook must reach this shell.)
proxy() {
    local out=$LAB_TMP/proxy-$1 n=100
    python3 "$top_srcdir/tests/lab/rpc-version-proxy.py" "$port" "$1" >"$out" 2>>"$LAB_LOG" &
    lab_on_cleanup "kill $! 2>/dev/null"
    until [ -s "$out" ]; do
        n=$((n - 1))
        [ "$n" -gt 0 ] || return 1
        sleep 0.05
    done
    PROXY_URI="qemu+tcp://127.0.0.1:$(cat "$out")/system"
}
proxy 7009000 || bail_out "proxy"
old=$PROXY_URI
fails_one_line "--list of a host with libvirt 7.9.0" \
    "^virt-snaptree: libvirt 7\\.9\\.0 on [^ ]+ is too old: virt-snaptree needs 8\\.0 or later$" \
    "$BIN" -c "$old" --list
json=$("$BIN" -c "$old" --json 2>/dev/null)
is "$(jq -r '.hosts[0].reachable' <<<"$json")" false "--json marks it unreachable"
like "$(jq -r '.hosts[0].error' <<<"$json")" "is too old" "with the reason"
is "$(jq -r '.hosts[0].domains | length' <<<"$json")" 0 "and lists nothing from it"

# The same path with the oldest version that is supported: the proxy itself is transparent.
proxy 8000000 || bail_out "proxy"
new=$PROXY_URI
json=$("$BIN" -c "$new" --json)
ok "libvirt 8.0.0 through the same proxy is accepted" test $? -eq 0
is "$(jq -r '.hosts[0].libvirt_version' <<<"$json")" 8.0.0 "and reported as 8.0.0"
is "$(jq -r '.hosts[0].reachable' <<<"$json")" true "and reachable"
done_testing
