#!/bin/bash
# Helpers shared by the snapshot tests (sourced after lab.sh and tui-lib.sh).

# On a timeout the screen is the evidence: it goes into the failing test's diagnostics.
wait_for() {
    tui_wait "$1" "${2:-15}" && return 0
    tui_screen | tee -a "${TUI_DUMP:-/dev/null}"
    return 1
}
screen_has() { tui_screen | grep -qF -- "$1"; }
screen_matches() { tui_screen | grep -qE -- "$1"; }
# Select a row by incremental search: TEXT, then n until the detail pane shows WANT (if given).
select_row() {
    local i
    tui_keys Escape
    tui_keys /
    tui_type "$1"
    tui_keys Enter
    [ -n "${2:-}" ] || return 0
    for ((i = 0; i < 8; i++)); do
        tui_wait "$2" 1 && return 0
        tui_keys n
    done
    return 1
}
type_yes() {
    tui_type yes
    tui_keys Enter
}
