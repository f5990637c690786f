#!/bin/bash
# Hosts named in the configuration file: a label names the host in the tree, the details and the
# status line (two hosts of the same URI path are told apart by it), and a group filters the
# tree (--group, and f to go through the groups). --list with --group reads that group's hosts;
# --json gives each host's label and group.
. "$(dirname "$0")/tui-lib.sh"
tui_client_only "the test:// driver"
tui_init
export LANG=C.UTF-8
plan 15

# Two folders, the same file name: both URIs end in article.xml.
mkdir -p "$T_DIR/a" "$T_DIR/b"
cp "$top_srcdir/tests/tui/hosts/article.xml" "$T_DIR/a/article.xml"
cp "$top_srcdir/tests/tui/hosts/article.xml" "$T_DIR/b/article.xml"
CFG=$XDG_CONFIG_HOME/virt-snaptree/config
mkdir -p "${CFG%/*}"
cat >"$CFG" <<CONF
connect = test://$T_DIR/a/article.xml label=kvm-east group=prod
connect = test://$T_DIR/b/article.xml group=lab label=kvm-west
connect = test://$T_DIR/a/article.xml
CONF

host_rows() { tui_screen | grep -E '^[▾▸] ' | sed -E 's/^[▾▸] ([^ ]+).*/\1/' | tr '\n' ' '; }
rows_are() { [ "$(host_rows)" = "$1" ]; }

tui_start 120 30
tui_wait "15 domains" 10
tui_keys Left Down Left Down Left g
ok "the tree names the hosts by label, the one without by its URI" \
    tui_until 10 rows_are "kvm-east kvm-west test://$T_DIR/a/article.xml "
ok "the status line tells them apart by label" \
    tui_wait "kvm-east: connected  kvm-west: connected  article.xml: connected" 10
like "$(tui_screen)" "Host +kvm-east" "the details name the host by its label"
like "$(tui_screen)" "URI +test:///" "and give its URI"
like "$(tui_screen)" "Group +prod" "and its group"

tui_keys f
ok "f: the first group's hosts only" tui_until 5 rows_are "kvm-east "
like "$(tui_screen | head -n1)" "\\[group prod\\]" "the title says which group"
tui_keys f
ok "f again: the next group" tui_until 5 rows_are "kvm-west "
tui_keys f
ok "after the last group: every host" tui_until 5 rows_are "kvm-east kvm-west test://$T_DIR/a/article.xml "
unlike "$(tui_screen | head -n1)" "\\[group" "and the title names no group"
tui_stop

tui_start 120 30 --group=lab
ok "--group: that group's hosts only, from the start" tui_until 20 rows_are "kvm-west " ||
    diag "$(tui_screen)"
tui_stop

out=$(timeout -s KILL 20 "$BIN" --list --group=prod 2>&1)
is "$(grep -c '^test://' <<<"$out")" 1 "--list --group: that group's host only"
json=$(timeout -s KILL 20 "$BIN" --json 2>/dev/null)
is "$(jq -r '[.hosts[] | "\(.label)/\(.group)"] | join(" ")' <<<"$json")" \
    "kvm-east/prod kvm-west/lab null/null" "--json: each host's label and group (null: none)"
err=$(timeout -s KILL 10 "$BIN" --list --group=nowhere 2>&1 >/dev/null)
is "$?: $err" "2: virt-snaptree: no host of the configuration file is in the group nowhere" \
    "a group no host is in: a usage error"
printf 'connect = test:///default label=x label=y\n' >"$CFG"
like "$(timeout -s KILL 10 "$BIN" --list 2>&1 >/dev/null)" \
    "line 1: not understood .*: connect = test:///default label=x label=y" \
    "a label given twice: the line is not read, and said"
done_testing
