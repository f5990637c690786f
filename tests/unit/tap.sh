# TAP helpers for the shell tests that need no lab (sourced): is and ok count the cases, and
# `tap_done` ends the script with the status make check expects.
tap_n=0
tap_failed=0
is() { # is GOT EXPECTED DESC
    tap_n=$((tap_n + 1))
    if [ "$1" = "$2" ]; then
        echo "ok $tap_n - $3"
    else
        tap_failed=$((tap_failed + 1))
        echo "not ok $tap_n - $3"
        printf '%s\n' "expected:" "$2" "got:" "$1" | sed 's/^/# /'
    fi
}
ok() { # ok STATUS DESC [DIAGNOSTIC...]: STATUS 0 passes
    tap_n=$((tap_n + 1))
    if [ "$1" = 0 ]; then
        echo "ok $tap_n - $2"
    else
        tap_failed=$((tap_failed + 1))
        echo "not ok $tap_n - $2"
        shift 2
        [ $# -gt 0 ] && printf '%s\n' "$@" | sed 's/^/# /'
    fi
    return 0
}
skip() { tap_n=$((tap_n + 1)); echo "ok $tap_n - $1 # SKIP $2"; }
tap_done() { [ "$tap_failed" -eq 0 ]; }
