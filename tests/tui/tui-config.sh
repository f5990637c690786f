#!/bin/bash
# What a person gives the program as text. The configuration file is read only when it is a
# regular file: a FIFO, a device, a folder or a symlink loop is refused at once, in one line on
# stderr with exit status 2 (a FIFO once hung the program where not even SIGTERM reached it, and
# /dev/zero spun at 100% CPU); a missing default file says nothing, a missing --config file is an
# error. A line is read whole however long it is (the tail of a long comment was once obeyed as a
# host line). Numbers of seconds and MiB/s take no "nan", no sign, nothing absurd.
. "$(dirname "$0")/tui-lib.sh"
tui_init
HOST="test://$top_srcdir/tests/tui/hosts/article.xml"
export LANG=C.UTF-8
plan 33

CFG=$XDG_CONFIG_HOME/virt-snaptree/config
mkdir -p "${CFG%/*}"
# Runs the program with a bound it should never need (SIGKILL: a hang must not hang the test).
run() { timeout -s KILL 10 "$BIN" "$@"; }
# The program's stderr and exit status for ARGS..., as "STATUS: STDERR".
outcome() {
    local err rc
    err=$(run "$@" 2>&1 >/dev/null)
    rc=$?
    echo "$rc: $err"
}

mkfifo "$CFG"
is "$(outcome --list)" \
    "2: virt-snaptree: the configuration file $CFG cannot be used: it is a named pipe (FIFO), not a regular file" \
    "a FIFO as the config file: refused at once, one line, status 2"
# The interactive mode reads the file before the terminal is set up, with signals blocked.
tui_start 200 30
ok "the interface refuses it too, before it starts" tui_wait "__EXITED__ 2" 10
like "$(tui_screen)" "cannot be used: it is a named pipe \\(FIFO\\)" "saying why"
tui_stop
rm "$CFG"

ln -s /dev/zero "$CFG"
is "$(outcome --list)" \
    "2: virt-snaptree: the configuration file $CFG cannot be used: it is a device, not a regular file" \
    "a link to /dev/zero: refused, not read forever"
rm "$CFG"
mkdir "$CFG"
like "$(outcome --list)" "^2: .*config cannot be used: it is a folder, not a regular file$" \
    "a folder: refused, not ignored in silence"
rmdir "$CFG"
ln -s "$CFG.loop" "$CFG" && ln -s "$CFG" "$CFG.loop"
like "$(outcome --list)" "^2: .*config cannot be used: Too many levels of symbolic links$" \
    "a symlink loop: refused, not ignored in silence"
rm "$CFG" "$CFG.loop"
head -c $((1024 * 1024 + 1)) /dev/zero | tr '\0' '#' >"$CFG"
like "$(outcome --list)" "^2: .*config cannot be used: it is larger than 1.00 MiB$" \
    "a file larger than the cap: refused"
rm "$CFG"

# A missing default file is no error; a file named with --config must be there.
out=$(run --list -c "$HOST" 2>&1)
is "$?" 0 "no config file: nothing said"
like "$out" "test2_lsof\\.qcow2" "and the host opens"
is "$(outcome --list --config "$T_DIR/none")" \
    "2: virt-snaptree: the configuration file $T_DIR/none cannot be used: No such file or directory" \
    "a missing --config file is an error"
printf 'connect = %s\n' "$HOST" >"$T_DIR/hosts.conf"
out=$(LIBVIRT_DEFAULT_URI=test:///default run --list --config "$T_DIR/hosts.conf" 2>&1)
like "$out" "^test://.*article\\.xml " "--config names the hosts, over LIBVIRT_DEFAULT_URI"
is "$(outcome --list -c "$HOST" --config "$T_DIR/hosts.conf")" \
    "2: virt-snaptree: -c and --config both name the hosts: give one of them" "-c with --config: a usage error"

# A comment longer than a line buffer of 4 KiB, whose tail past 4,095 bytes reads like a host line.
{
    printf '# '
    head -c 4093 /dev/zero | tr '\0' 'x'
    printf 'connect = test:///default\n'
    printf 'connect = %s\n' "$HOST"
} >"$CFG"
out=$(run --list 2>&1)
is "$?" 0 "a config file with a 4 KiB comment is read"
unlike "$out" "test:///default" "the comment's tail is not obeyed as a host line"
unlike "$out" "not understood" "nor reported as a line of its own"
like "$out" "article\\.xml" "the host line after it is read"
# A line not understood that is long is named by its number, quoted in part.
{
    printf 'connect = %s\n' "$HOST"
    printf 'conect = '
    head -c 6000 /dev/zero | tr '\0' 'y'
    printf '\n'
} >"$CFG"
err=$(run --list 2>&1 >/dev/null)
like "$err" "config, line 2: not understood .*: conect = y+\\.\\.\\.$" "a long line not understood: its number"
is "$(echo "$err" | wc -l)" 1 "in one line"
rm "$CFG"

# Numbers of seconds.
for bad in nan inf -1 1e3 0x10 " 2" 2s ""; do
    like "$(outcome --list -c "$HOST" --timeout "$bad")" \
        "^2: virt-snaptree: --timeout takes a number of seconds \\(such as 2 or 0.5\\), not \"$bad\"$" \
        "--timeout '$bad' is refused"
done
is "$(outcome --list -c "$HOST" --interval nan)" \
    "2: virt-snaptree: --interval takes a number of seconds (such as 2 or 0.5), not \"nan\"" \
    "--interval nan is refused"
is "$(outcome --list -c "$HOST" --interval 100000)" \
    "2: virt-snaptree: --interval takes from 0.1 to 3600 seconds, not 100000" \
    "an interval of more than an hour is refused"
is "$(outcome --list -c "$HOST" --timeout 0.5)" "0: " "--timeout 0.5 is taken"

# A bandwidth: a whole number of MiB/s, nothing absurd (a commit plan on the test host).
tui_start 120 40 -c "$HOST"
tui_wait "test2_lsof" 10
tui_keys g /
tui_type test2_lsof
tui_keys Enter c
tui_wait "down into which layer?" 5
tui_keys Enter
tui_wait "3  bandwidth limit" 10
bandwidth() {
    tui_keys 3
    tui_wait "MiB/s (0 = unlimited)" 5
    tui_keys C-u
    tui_type "$1"
    tui_keys Enter
}
bandwidth " -5"
ok "a negative bandwidth is refused" \
    tui_wait "not a whole number of MiB/s from 0 (unlimited) to 1048576:  -5" 5
bandwidth 99999999999
ok "an absurd one too" tui_wait "to 1048576: 99999999999" 5
like "$(tui_screen)" "3  bandwidth limit: unlimited" "the limit stays as it was"
bandwidth 25
ok "25 MiB/s is taken" tui_wait "3  bandwidth limit: 25 MiB/s" 5
tui_keys Escape q
tui_wait "__EXITED__" 5
done_testing
