#!/bin/bash
# qemu+ssh:// in the interface: ssh must never ask for a password or a host key on the terminal
# that curses holds. A stand-in ssh first in PATH records how libvirt runs it and refuses, as a
# real ssh that needs a password does in batch mode.
. "${top_srcdir:-.}/tests/tui/tui-lib.sh"
tui_client_only "a stand-in ssh"
tui_init
plan 10
export LANG=C.UTF-8

fake=$T_DIR/bin
mkdir -p "$fake"
cat >"$fake/ssh" <<EOF
#!/bin/sh
printf '%s\n' "\$*" >>"$T_DIR/ssh-args"
echo "root@kvm2.invalid: Permission denied (publickey,password)." >&2
exit 255
EOF
chmod +x "$fake/ssh"
host=qemu+ssh://root@kvm2.invalid/system

T_ENV="PATH=$fake:$PATH" tui_start 200 30 -c "$host"
ok "the connection fails with ssh's reason" tui_wait "Permission denied" 15 ||
    diag "$(tui_screen)"
ok "and the admin is told how to log in instead" tui_wait "log in with a key or ssh-agent" 5
like "$(cat "$T_DIR/ssh-args")" "-o BatchMode=yes" "libvirt ran ssh in batch mode: it cannot prompt"
like "$(cat "$T_DIR/ssh-args")" " -l root -T -e none" "as the URI's user, without a terminal"
like "$(cat "$T_DIR/ssh-args")" \
    "^-o ControlMaster=auto -o ControlPath=$T_DIR/run/virt-snaptree/ssh/[0-9]+-[A-Za-z0-9]+/0/control " \
    "as the master of a control socket in the program's own folder (options before libvirt's)"
tui_keys q
tui_wait "__EXITED__" 10
tui_stop

# no_tty chosen in the URI stands, whatever its value.
rm -f "$T_DIR/ssh-args"
T_ENV="PATH=$fake:$PATH" tui_start 200 30 -c "$host?no_tty=0"
ok "with no_tty=0 in the URI the connection is tried as asked" tui_wait "Permission denied" 15
unlike "$(cat "$T_DIR/ssh-args")" "BatchMode" "and ssh is run as the admin asked"
unlike "$(tui_screen)" "log in with a key" "without the advice, which would not be true"
tui_keys q
tui_wait "__EXITED__" 10
tui_stop

# A report runs on a plain terminal, where ssh may ask.
rm -f "$T_DIR/ssh-args"
PATH=$fake:$PATH "$BIN" --list -c "$host" >/dev/null 2>&1
ok "--list runs ssh too" test -s "$T_DIR/ssh-args"
unlike "$(cat "$T_DIR/ssh-args")" "BatchMode" "and leaves it free to ask on the terminal"
done_testing
