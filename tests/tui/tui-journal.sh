#!/bin/bash
# The journal on the plan screens, on libvirt's test driver: where no entry can be written (a
# file stands where its folder should be), a merge's plan and a snapshot plan are refused before
# any typed yes, saying why, and option 9 goes on without a journal (the plan then warns); a
# merge's plan says it is not undoable and names a snapshot to take first; where
# one can, the action's entry keeps the plan as the admin saw it, with the option chosen; L
# shows the entries of a domain, and of a host, in the interface.
. "$(dirname "$0")/tui-lib.sh"
# shellcheck source=tests/tui/snap-tui-lib.sh
. "$(dirname "$0")/snap-tui-lib.sh"
tui_client_only "libvirt's test driver"
tui_init
HOST="test://$top_srcdir/tests/tui/hosts/article.xml"
export LANG=C.UTF-8

# The screen's text as one line: what a dialog wraps reads as a sentence again.
joined() { tui_screen | sed 's/│//g' | tr -d '\n' | tr -s ' '; }
# The whole plan's text, page by page from its top (what scrolls shows on one page or another).
plan_all() {
    local i
    tui_keys PPage PPage PPage PPage
    for ((i = 0; i < 5; i++)); do
        joined
        tui_keys NPage
    done
}
# The whole plan's text, scrolled to its end (a refusal comes after the plan's hazards).
plan_end() {
    tui_keys NPage NPage NPage NPage
    joined
}

: >"$T_DIR/blocked"
export XDG_STATE_HOME=$T_DIR/blocked/state
tui_start 120 40 -c "$HOST"
tui_wait "test2_lsof" 10

# ---- a merge ----
select_row test2_net-tools
tui_keys c
tui_wait "down into which layer?" 5
tui_keys Enter
tui_wait "Commit test2_net-tools.qcow2 into test2_nmap.qcow2" 10
ALL=$(plan_all)
like "$ALL" "Warning: Not undoable: the journal records this commit but cannot give it back" \
    "the plan says before the typed yes that the merge is not undoable"
like "$ALL" "take a snapshot first \\(s\\), such as +([^ ]+ +)*before-commit-[0-9]{8}-[0-9]{6}\\." \
    "and names a snapshot to take first"
TEXT=$(plan_end)
like "$TEXT" "REFUSED: the journal cannot be written, so this action could not be recorded or undone" \
    "the commit's plan is refused: no journal can be written"
like "$TEXT" "journal folder $T_DIR/blocked: Not a directory" "it names the folder and why"
ok "option 9 is offered" tui_wait "9  go on without a journal: no" 5
ok "no typed yes is taken" tui_wait "This plan is refused (see above): the options shown" 5
tui_keys 9
tui_wait "9  go on without a journal: yes" 5
like "$(plan_end)" "Warning: no journal: this action will not be recorded" "9: the plan can run, and warns"
ok "the choice shows" tui_wait "9  go on without a journal: yes" 5
ok "yes is asked for" tui_wait "Type yes and press Enter to start" 5
tui_keys Escape
tui_wait_gone "Type yes and press Enter" 5

# ---- a snapshot plan ----
select_row lsof "Snapshot     lsof"
tui_keys d
ok "d opens the delete plan" tui_wait "Delete snapshot lsof of test2" 10
like "$(plan_end)" "REFUSED: the journal cannot be written" "refused for the journal too"
ok "with option 9 next to its own" tui_wait "9  go on without a journal: no" 5
tui_keys 9
tui_wait "9  go on without a journal: yes" 5
TEXT=$(plan_end)
like "$TEXT" "Warning: no journal: this action will not be recorded" "9 lifts that refusal"
unlike "$TEXT" "REFUSED: the journal" "no refusal of the journal is left"
tui_keys Escape
tui_stop

# ---- a folder that takes it: the entry keeps the plan as shown ----
export XDG_STATE_HOME=$T_DIR/state
tui_start 120 40 -c "$HOST"
tui_wait "test2_lsof" 10
select_row lsof "Snapshot     lsof"
tui_keys d
tui_wait "Delete snapshot lsof of test2" 10
unlike "$(plan_end)" "journal" "the plan says nothing of a journal that works"
tui_keys 2
tui_wait "2  metadata only (keep every file): yes" 5
tui_wait "Type yes and press Enter" 5
tui_type yes
tui_keys Enter
# The test driver has no metadata-only delete: libvirt's refusal is the outcome to record.
ok "the delete ran and libvirt answered" tui_wait "libvirt did not delete the snapshot" 10
ENTRY=$("$BIN" --journal --json -c "$HOST" test2)
is "$(jq -r '.action + " " + .after.outcome + " " + (.request.flags | join(","))' <<<"$ENTRY")" \
    "snapshot-delete failed metadata-only" "its entry: the action, the outcome, the option chosen"
like "$(jq -r .after.message <<<"$ENTRY")" "unsupported flags" "with libvirt's answer"
like "$(jq -r .plan <<<"$ENTRY")" "What will run:" "the plan as shown is kept"
like "$(jq -r .plan <<<"$ENTRY")" "  2  metadata only \\(keep every file\\): yes" \
    "with the options as they were set"

# ---- L: the journal in the interface ----
tui_keys Escape
select_row test2_net-tools
tui_keys L
ok "L opens the domain's journal" tui_wait " Journal of test2 " 5
ok "newest first, its head line: what, where, by whom, the outcome" \
    tui_wait "snapshot-delete  test2  $HOST  by $(id -un)" 5
like "$(joined)" "failed in [0-9.]+ s" "the outcome and how long it took"
like "$(tui_line "test2_lsof.qcow2 (qcow2)")" \
    "images/test2_lsof\.qcow2 \(qcow2\) +/var/lib/libvirt/images/test2_lsof\.qcow2 \(qcow2\)" \
    "the chain before and after side by side"
ok "it says how many entries" tui_wait "1 entry, newest first" 5
tui_keys Escape
tui_wait_gone " Journal of test2 " 5
tui_keys g L
ok "on the host row: the journal of all its domains" tui_wait " Journal of " 5
like "$(tui_screen)" "snapshot-delete  test2" "with test2's entry"
tui_keys q
tui_wait_gone " Journal of " 5

# ---- u: undo from the journal view ----
select_row test2_net-tools
tui_keys L
tui_wait " Journal of test2 " 5
ok "the newest entry is marked" tui_wait "│>20" 5
tui_keys u
ok "u on a failed action: its undo plan" tui_wait " Undo snapshot-delete of test2 " 5
like "$(joined)" "NOT UNDOABLE: the action did not succeed: there is nothing to give back" \
    "says there is nothing to give back"
ok "and takes no yes" tui_wait "This entry cannot be given back (see above): Esc goes back." 5
tui_keys Escape Escape
tui_wait_gone " Journal of test2 " 5
tui_stop
done_testing
