#!/bin/bash
# The plan screen of a merge, on libvirt's test driver (the plan is made from the model alone;
# nothing is run): a plan taller than the screen scrolls above its options and the typed
# confirmation, which stay in view, and says how much more there is; the commit picker marks a
# layer that other domains also read, with their names; a refused plan offers only the options
# that can lift the refusal, and when none can, says so and offers none.
. "$(dirname "$0")/tui-lib.sh"
tui_init
HOST="test://$top_srcdir/tests/tui/hosts/article.xml"
export LANG=C.UTF-8
plan 22

select_node() {
    tui_keys g /
    tui_type "$1"
    tui_keys Enter
}
# The screen's rows from the first one holding TEXT on (empty when none does).
from_line() { tui_screen | sed -n "/$1/,\$p"; }

tui_start 120 40 -c "$HOST"
tui_wait "test2_lsof" 10

# ---- a plan taller than the screen: test2's whole chain into its base ----
select_node test2_lsof
tui_keys c
tui_wait "down into which layer?" 5
tui_keys End Enter
ok "120x40: the plan of a commit of six layers is shown" \
    tui_wait "Active commit of test2_lsof.qcow2 into centos.qcow2" 10
ok "the typed confirmation is in view" tui_wait "Type yes and press Enter to start" 5
s=$(tui_screen)
like "$s" "│ +[0-9]+ more lines below: PgDn scrolls +│" "it says how many lines are below"
opts=$(from_line "more lines below")
like "$opts" "Options \\(press the number to change\\):" "the options are in view, below the plan"
like "$opts" "2  delete the merged files afterwards" "option 2"
# The active layer moves onto the base: no layer gets a new backing name to keep relative.
unlike "$opts" "keep backing names relative" "no option 1 where no backing name is written"
like "$opts" "3  bandwidth limit: unlimited" "option 3"
tui_keys Down
ok "a line down: lines above and below are counted" \
    tui_wait "1 line above, " 5
like "$(tui_screen)" "3  bandwidth limit: unlimited" "the options stay in view while the plan scrolls"
tui_keys NPage NPage NPage
ok "at the end: only lines above" tui_wait "lines above: PgUp scrolls back" 5
like "$(tui_screen)" "Note: Active commit: the job copies until it is READY" "the plan's last lines are shown"
tui_keys 3
tui_wait "MiB/s (0 = unlimited)" 5
tui_keys C-u
tui_type 7
tui_keys Enter
ok "an option set while scrolled down shows at once" tui_wait "3  bandwidth limit: 7 MiB/s" 5
tui_keys Escape
tui_wait_gone "Type yes and press Enter" 5

# ---- the picker marks a shared layer; no option can lift a commit into it ----
select_node web01.qcow2
tui_keys c
tui_wait "down into which layer?" 5
like "$(tui_line "[1] golden-debian12.qcow2")" "\\[shared with web02\\]" \
    "the picker marks the shared base, naming the domain that shares it"
tui_keys Enter
ok "the commit into it is refused" tui_wait "REFUSED: golden-debian12.qcow2 is also read by web02" 10
s=$(tui_screen)
unlike "$s" "Options \\(press the number" "a refusal no option lifts: no options offered"
like "$s" "no option changes that: Esc goes back" "the footer says that only going back is left"
unlike "$s" "change an option" "and offers no option"
# Keys are taken in order: once the Down after them has scrolled, 2 and 3 have been taken.
tui_resize 120 30
tui_wait "more lines below: PgDn" 5
tui_keys 2 3 Down
tui_wait "1 line above" 5
unlike "$(tui_screen)" "Delete the merged files\\?|MiB/s \\(0 = unlimited\\)" "their keys do nothing"
tui_keys Escape
tui_wait_gone "REFUSED" 5

# ---- a refusal an option lifts: a shut-off domain on a host that is not this machine ----
select_node "测试-快照1"
tui_keys c
tui_wait "down into which layer?" 5
tui_keys Enter
tui_wait "REFUSED: 测试虚拟机 is shut off" 10
s=$(tui_screen)
like "$s" "4  start the domain paused for the job: no" "the option that lifts the refusal is offered"
unlike "$s" "3  bandwidth limit|1  keep backing names" "the others are not"
like "$s" "the options shown can lift it" "the footer says so"
tui_keys 4
ok "with it the plan can run, and every option is offered again" \
    tui_wait "3  bandwidth limit: unlimited" 5
tui_keys Escape q
tui_wait "__EXITED__" 5
done_testing
