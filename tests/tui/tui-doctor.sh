#!/bin/bash
# The chain doctor in the interface: its findings marked on the tree's rows and listed in the
# detail pane, with the admin's depth limit from the configuration file and the compaction it
# offers. (The article's test host: test2's chain has 6 layers; with max-chain-depth = 4 its disk
# is too deep.)
. "$(dirname "$0")/tui-lib.sh"
tui_client_only "the test:// driver"
tui_init
HOST="test://$top_srcdir/tests/tui/hosts/article.xml"
export LANG=C.UTF-8
plan 9

mkdir -p "$XDG_CONFIG_HOME/virt-snaptree"
echo "max-chain-depth = 4" >"$XDG_CONFIG_HOME/virt-snaptree/config"
tui_start 120 30 -c "$HOST"
ok "the tree appears" tui_wait "test2_lsof" 10
like "$(tui_screen)" "^│  ├─ ▾ vda \\[warning: its chain has 6 layers, more …  disk virtio qcow2│" \
    "the too deep disk's row says so, cut where the row ends"
tui_keys / ; tui_type "test2"; tui_keys Enter Down
ok "its details list the finding" tui_wait "Doctor       warning: its chain has 6 layers," 3
s=$(tui_screen)
like "$s" "│              more than 4 \\(merging some$" "whole, wrapped"
like "$s" "│              shortens it\\) \\[fix: compact the$" "then its fix"
like "$s" "│              test2_test.qcow2 \\(a commit plan\\)\\]$" "to its end"
unlike "$(tui_screen)" "test2_lsof\\.qcow2.*\\[warning" "its layers carry no mark of the disk's"
tui_keys q
tui_wait "__EXITED__" 5
tui_stop

# The default limit (16): nothing to say.
rm "$XDG_CONFIG_HOME/virt-snaptree/config"
tui_start 120 30 -c "$HOST"
ok "without the limit, the tree appears" tui_wait "test2_lsof" 10
unlike "$(tui_screen)" "\\[warning" "and no row is marked"
tui_keys q
tui_wait "__EXITED__" 5
done_testing
