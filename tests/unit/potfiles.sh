#!/bin/bash
# po/POTFILES.in names every source file with a translatable string (xgettext with the catalog's
# own keywords finds one), and no file that has none: a file left out would ship its messages
# untranslated, however complete po/zh_CN.po looks.
set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/unit/tap.sh"
cd "$top_srcdir" || exit 1
command -v xgettext >/dev/null || { skip "POTFILES.in is complete" "no xgettext"; echo "1..$tap_n"; exit 0; }
keywords=$(sed -n 's/^XGETTEXT_OPTIONS *= *//p' po/Makevars)
sources=$(git ls-files 'src/*.[ch]' 'ui/*.[ch]' 2>/dev/null || find src ui -name '*.[ch]')
have=$(for f in $sources; do
    # shellcheck disable=SC2086 # the options are words
    n=$(xgettext $keywords -o - "$f" 2>/dev/null | grep -c '^msgid ')
    [ "$n" -gt 1 ] && echo "$f" # the first msgid is the catalog's header
done | sort)
listed=$(grep -v '^#' po/POTFILES.in | sed '/^$/d' | sort)
is "$listed" "$have" "po/POTFILES.in lists exactly the files with translatable strings"
echo "1..$tap_n"
tap_done
