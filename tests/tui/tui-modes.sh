#!/bin/bash
# Drawing modes: ASCII (--ascii, or a locale that is not UTF-8), no colour (--no-color, NO_COLOR),
# and read-only (-r) where no action is offered; which host opens without -c (virsh's order:
# -c, then LIBVIRT_DEFAULT_URI, then the config file).
. "$(dirname "$0")/tui-lib.sh"
tui_client_only "the test:// driver"
tui_init
# Its URI is always cut on screen: the cut must be drawn in ASCII too.
HOST=$(tui_long_host)
plan 26

quit() { tui_keys q; tui_wait "__EXITED__" 5; tui_stop; }
# SGR colour parameters 30-38 and 40-48 (39/49 are tmux's resets to the default colours).
colour_re=$'\e\\[([0-9]*;)*(3[0-8]|4[0-8])[;m]'

export LANG=C.UTF-8
tui_start 100 30 -c "$HOST"
ok "UTF-8: the tree appears" tui_wait "test2" 10
like "$(tui_screen)" "├─ ▾ test2" "UTF-8: box-drawing guides"
like "$(tui_screen_escapes)" "$colour_re" "UTF-8: colours are used by default"
quit

tui_start 100 30 --ascii -c "$HOST"
ok "--ascii: the tree appears" tui_wait "test2" 10
s=$(tui_screen)
like "$s" '\|- - test2' "--ascii: ASCII guides"
unlike "$s" '[│├└─▾▸◀…┌┐█░•]' "--ascii: no box-drawing or other non-ASCII glyph"
tui_keys G
tui_wait "Description  安装中文输入法之前的状态" 5
like "$(tui_screen)" '测试虚拟机  +shut off' "--ascii in a UTF-8 locale: a CJK name is still shown, the row aligned"
quit

LANG=C tui_start 100 30 -c "$HOST"
ok "LANG=C: the tree appears" tui_wait "test2" 10
s=$(tui_screen)
like "$s" '\|- - test2' "LANG=C: ASCII guides without being asked"
tui_keys G
tui_wait "Description  ????????" 5
like "$(tui_screen)" '\?\?\?\?\?  +shut off' "LANG=C: the CJK name is replaced by ? (one per character)"
quit

T_ENV="NO_COLOR=1" tui_start 100 30 -c "$HOST"
ok "NO_COLOR: the tree appears" tui_wait "test2" 10
unlike "$(tui_screen_escapes)" "$colour_re" "NO_COLOR: no colour at all"
quit
tui_start 100 30 --no-color -c "$HOST"
tui_wait "test2" 10
unlike "$(tui_screen_escapes)" "$colour_re" "--no-color: no colour at all"
quit

tui_start 100 30 -r -c "$HOST"
ok "-r: the title says read-only" tui_wait "[read-only]" 10
tui_keys / ; tui_type "net-tools.q"; tui_keys Enter c
ok "-r: an action key says actions are not available" \
    tui_wait "read-only connection: actions are not available" 5
# The help is longer than 30 rows now: its end, where the actions would be, is scrolled to
# (once it is drawn: before that it knows no length to scroll).
tui_keys '?'
tui_wait "Help: keys" 5
tui_keys End
ok "-r: the help hides the actions" tui_wait "Actions are hidden: the connection is read-only" 5
quit

mkdir -p "$XDG_CONFIG_HOME/virt-snaptree"
printf '# hosts\nconnect = test:///default\n' >"$XDG_CONFIG_HOME/virt-snaptree/config"
# The first word of each host line of --list (host lines are the ones not drawn as a tree).
hosts_of() { "$BIN" --list "$@" | awk '/^[^ |`│├└(]/ { print $1 }'; }
is "$(hosts_of)" "test:///default" "without -c or LIBVIRT_DEFAULT_URI: the config file's host"
is "$(LIBVIRT_DEFAULT_URI=$HOST hosts_of)" "$HOST" "LIBVIRT_DEFAULT_URI wins over the config file"
is "$(LIBVIRT_DEFAULT_URI=$HOST hosts_of -c test:///default)" "test:///default" \
    "-c wins over LIBVIRT_DEFAULT_URI"
T_ENV="LIBVIRT_DEFAULT_URI=$HOST" tui_start 100 30
ok "the interface opens LIBVIRT_DEFAULT_URI's host too" tui_wait "test2_lsof" 10
unlike "$(tui_screen)" "test:///default" "and not the config file's"
quit

# A line the config file does not understand is said, not skipped in silence.
printf 'conect = %s\nconnect = test:///default\n' "$HOST" >"$XDG_CONFIG_HOME/virt-snaptree/config"
tui_start 160 30
ok "a misspelt config line is named in the status line" \
    tui_wait "config, line 1: not understood (only \"connect = URI [label=NAME] [group=NAME]\" lines are read): conect" 10 ||
    diag "$(tui_screen)"
ok "the lines it understands still count" tui_wait "test:///default" 5
quit
like "$("$BIN" --list 2>&1 >/dev/null)" "line 1: not understood" "--list says so on stderr"
err=$("$BIN" --demo -c "$HOST" 2>&1)
is "$?" 2 "--demo with -c is a usage error"
like "$err" "no -c, -r or --config" "that says why"
done_testing
