#!/bin/bash
# The layers of the source tree (doc/ARCHITECTURE.md), checked from the include lines:
#   src/base < src/core < src/backend < src/demo < ui/view < ui/flows < ui
# A file includes headers of its own folder and of folders below it, never above, so no
# circle can form across folders. Besides:
# - libvirt and libxml2 only in src/backend and src/demo (the demo builds a lab through libvirt);
# - curses only under ui/, never in src/;
# - outside src/backend, only the backend's public headers (below), never its internals;
# - the public headers themselves hold no libvirt type.
set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/unit/tap.sh"
cd "$top_srcdir" || exit 1

public="backend/backend.h backend/domstate.h backend/domain_names.h backend/offline.h
backend/savelist.h backend/since.h backend/doctor.h backend/orphans.h"

rank() { # rank FOLDER: the layer's place from the bottom; empty for a folder with no layer
    case $1 in
    src/base) echo 0 ;; src/core) echo 1 ;; src/backend) echo 2 ;; src/demo) echo 3 ;;
    ui/view) echo 4 ;; ui/flows) echo 5 ;; ui) echo 6 ;;
    esac
}

# The folder a quoted include names, from the including file's folder: "base/x.h" and the like
# under src/, "view/x.h" and "flows/x.h" under ui/, a plain name in the including folder.
target_folder() { # target_folder FROM-FOLDER INCLUDE
    case $2 in
    base/* | core/* | backend/* | demo/*) echo "src/${2%%/*}" ;;
    view/* | flows/*) echo "ui/${2%%/*}" ;;
    config.h) echo config ;;
    */*) echo unknown ;;
    *) echo "$1" ;;
    esac
}

sources=$(git ls-files 'src/*.[ch]' 'ui/*.[ch]' 2>/dev/null || find src ui -name '*.[ch]')
upward=() unknown=() internal=()
for f in $sources; do
    dir=${f%/*}
    me=$(rank "$dir")
    [ -z "$me" ] && { unknown+=("$f: folder $dir has no layer"); continue; }
    while read -r inc; do
        to=$(target_folder "$dir" "$inc")
        [ "$to" = config ] && continue
        there=$(rank "$to")
        if [ -z "$there" ] || [ ! -e "$to/${inc##*/}" ]; then
            unknown+=("$f includes \"$inc\", which is in no layer")
        elif [ "$there" -gt "$me" ]; then
            upward+=("$f ($dir) includes \"$inc\" ($to, a layer above)")
        elif [ "$to" = src/backend ] && [ "$dir" != src/backend ] &&
            [[ " $(echo $public) " != *" backend/${inc##*/} "* ]]; then
            internal+=("$f includes the backend's internal \"$inc\"")
        fi
    done < <(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$f")
done
ok "${#unknown[@]}" "every source file is in a layer and names its includes by layer" "${unknown[@]}"
ok "${#upward[@]}" "no file includes a header of a layer above its own" "${upward[@]}"
ok "${#internal[@]}" "outside the backend, only its public headers are included" "${internal[@]}"

system_includes() { # system_includes PATTERN FILES...: "file: line" for each match
    grep -HnE "^[[:space:]]*#[[:space:]]*include[[:space:]]*<($1)" "${@:2}" 2>/dev/null
}
not_backend=$(printf '%s\n' $sources | grep -vE '^src/(backend|demo)/')
bad=$(system_includes 'libvirt/|libxml/' $not_backend)
ok "$([ -z "$bad" ]; echo $?)" "libvirt and libxml2 are included only in src/backend and src/demo" "$bad"
bad=$(system_includes 'n?curses|term\.h|panel\.h' $(printf '%s\n' $sources | grep '^src/'))
ok "$([ -z "$bad" ]; echo $?)" "nothing under src/ includes curses" "$bad"
bad=$(system_includes 'libvirt/|libxml/' $(for h in $public; do echo "src/$h"; done))
ok "$([ -z "$bad" ]; echo $?)" "the backend's public headers hold no libvirt or libxml2 type" "$bad"

echo "1..$tap_n"
tap_done
