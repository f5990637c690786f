#!/bin/bash
# The man page's KEYS section lists exactly the key table (ui/view/keys.c): the same contexts (the
# tree's and every dialog's), keys written as the help writes them, and the same words, in the
# same order. And on every screen each key does what the table says.
set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
prog=$top_builddir/tests/unit/keys_list
man=$top_srcdir/doc/virt-snaptree.1
echo "1..3"
if [ ! -x "$prog" ]; then
    echo "not ok 1 - $prog is built"
    echo "not ok 2 - # SKIP no key list"
    echo "not ok 3 - # SKIP no key list"
    exit 1
fi
# roff to text: the groups (.SS), then each .B line and the text line after it.
from_man() {
    awk '/^\.SH / { keys = ($2 == "KEYS") ; next }
        keys && /^\.SS / { print "## " substr($0, 5); next }
        keys && /^\.B / { k = substr($0, 4); getline; print k "\t" $0 }' "$man" |
        sed -e 's/\\-/-/g' -e 's/\\(em/—/g' -e 's/\\e/\\/g'
}
want=$(LC_ALL=C LANGUAGE= "$prog")
got=$(from_man)
if [ "$got" = "$want" ]; then
    echo "ok 1 - the man page's KEYS section matches the key table"
else
    echo "not ok 1 - the man page's KEYS section matches the key table"
    diff <(printf '%s\n' "$want") <(printf '%s\n' "$got") | sed 's/^/# /'
fi
# Every request of the table is reachable: no entry without a key.
if printf '%s\n' "$want" | awk -F '\t' '!/^## / && $1 == "" { bad = 1 } END { exit bad }'; then
    echo "ok 2 - every entry of the key table has a key"
else
    echo "not ok 2 - every entry of the key table has a key"
fi
# On every screen, every key of the contexts it uses reaches its request (no two bindings of one
# key meet on a screen, unless the screen's own context binds it or takes it as text).
if clash=$("$prog" --check); then
    echo "ok 3 - every key does on every screen what the key table says"
else
    echo "not ok 3 - every key does on every screen what the key table says"
    printf '%s\n' "$clash" | sed 's/^/# /'
fi
