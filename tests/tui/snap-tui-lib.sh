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
# Waits until the plan shows TEXT and asks for yes at once: a plan is made again when the host's
# facts or a newer model arrive, and a refused one (a domain the model still shows running, a
# file a remote host has not read yet) takes no yes: Enter closes it.
plan_asks() { # TEXT [SECS]
    local text=$1
    both() { screen_has "$text" && screen_has "Type yes and press Enter to start"; }
    tui_until "${2:-30}" both && return 0
    tui_screen | tee -a "${TUI_DUMP:-/dev/null}"
    return 1
}
type_yes() {
    tui_type yes
    tui_keys Enter
}

# The lab every snapshot tmux test starts from: a private libvirtd of the stack LAB_STACK names,
# reached at $URI, images in $D, the host's libvirt version in $LV and NATIVE=1 where the host
# reverts to external snapshots itself (9.9 and later). Skips the test without tmux or a build.
snap_tui_lab() {
    command -v tmux >/dev/null || skip_all "tmux is not installed"
    [ -x "$BIN" ] || skip_all "$BIN is not built"
    lab_init
    tui_init
    T_ALL=$(lab_now)
    export XDG_STATE_HOME=$LAB_TMP/state
    T_ENV="XDG_STATE_HOME=$XDG_STATE_HOME LANG=C.UTF-8"
    URI=$(lab_daemon_start "$LAB_TMP/d") || bail_out "no libvirtd"
    D=$LAB_TMP/img
    LV=$(lab_daemon_version "$URI")
    NATIVE=$(lab_daemon_at_least "$URI" 9.9.0 && echo 1)
}
