#!/bin/bash
# Shell completion: what `virt-snaptree --complete -- WORD...` offers (options, host URIs, the
# domain names of hosts given with -c, nothing that hangs on a host that does not answer), then
# the bash completion script itself, sourced into bash with bash-completion, filling COMPREPLY
# from the words of a command line as bash would split them. No terminal, no root, no daemon:
# domain names come from libvirt's test driver (a host file of tests/tui/hosts).
set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
prog=${VIRT_SNAPTREE:-$top_builddir/ui/virt-snaptree}
script=${VIRT_SNAPTREE_COMPLETION:-$top_srcdir/completion/virt-snaptree}
bash_completion=${BASH_COMPLETION:-/usr/share/bash-completion/bash_completion}
host="test://$top_srcdir/tests/tui/hosts/article.xml"

. "$top_srcdir/tests/unit/tap.sh"
echo "1..25"
lines() { printf '%s\n' "$@"; }

tmp=$(mktemp -d /tmp/vst-complete.XXXXXX) || exit 1
listener=
cleanup() {
    [ -n "$listener" ] && kill "$listener" 2>/dev/null && wait "$listener" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT
# No config file, no default host but what a case sets.
export XDG_CONFIG_HOME=$tmp/config HOME=$tmp
unset LIBVIRT_DEFAULT_URI
complete_() { "$prog" --complete -- "$@" 2>&1; }

# ---- the program's answers ----

options="--connect= --readonly --ascii --no-color --no-colour --interval= --timeout= --list --json
--running --demo --demo-stop --config= --group= --journal --doctor --fix --max-depth= --orphans --version --help"
is "$(complete_ --)" "$(lines $options)" "'--' offers every option, values marked with '=', no hidden one"
is "$(complete_ --li)" "--list" "a prefix offers the options it starts"
is "$(complete_ -r --interval '')" "" "no guess for a number of seconds"

mkdir -p "$XDG_CONFIG_HOME/virt-snaptree"
printf '%s\n' '# hosts' 'connect = qemu+ssh://root@kvm1/system' 'connect = qemu:///system' \
    >"$XDG_CONFIG_HOME/virt-snaptree/config"
is "$(LIBVIRT_DEFAULT_URI=qemu+tls://kvm2/system complete_ -c '')" \
    "$(lines qemu+ssh://root@kvm1/system qemu:///system qemu+tls://kvm2/system qemu:///session)" \
    "-c offers the config file's hosts, LIBVIRT_DEFAULT_URI and the local ones, each once"
is "$(complete_ --list --connect=qemu:///s)" "$(lines --connect=qemu:///system --connect=qemu:///session)" \
    "--connect=PREFIX offers whole words with the option in front"
is "$(complete_ --conn qemu+)" "qemu+ssh://root@kvm1/system" "an abbreviated --conn takes a URI too"
cfg=$XDG_CONFIG_HOME/virt-snaptree/config
cp "$cfg" "$cfg.hosts"
printf '%s\n' 'connect = qemu:///system label=a group=prod' 'connect = qemu:///session group=lab' \
    'connect = test:///default group=prod' >"$cfg"
is "$(complete_ --group '')" "$(lines prod lab)" "--group offers the config file's groups, each once"
is "$(complete_ --list --group=p)" "--group=prod" "--group=PREFIX too, with the option in front"
mv "$cfg.hosts" "$cfg"

# Domain names come in libvirt's order, which is no order: they are compared sorted.
is "$(complete_ -c "$host" --list we | LC_ALL=C sort)" "$(lines web01 web02)" "domain names of the host given with -c"
is "$(complete_ -rc"$host" --json --running '' | grep -v '^--' | LC_ALL=C sort)" \
    "$(lines db01 test2 web01 web02 测试虚拟机 | LC_ALL=C sort)" \
    "grouped -rcURI names the host; an empty word offers options and every domain"
is "$(complete_ --list we)" "" "no host given: no connection is made, nothing is offered"

# A host that accepts the connection and never answers: the TAB gives up, and leaves nothing behind.
python3 -c '
import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(8)
print(s.getsockname()[1], flush=True); time.sleep(60)' >"$tmp/port" &
listener=$!
for _ in $(seq 50); do [ -s "$tmp/port" ] && break; sleep 0.1; done
t0=$(date +%s%N)
got=$(complete_ -c "qemu+tcp://127.0.0.1:$(cat "$tmp/port")/system" --list w)
ms=$((($(date +%s%N) - t0) / 1000000))
is "$got $([ "$ms" -lt 3500 ] && echo bounded)" " bounded" \
    "a host that never answers costs at most the 2 s bound (took $ms ms), offering nothing"
# A ^C on the shell (SIGINT) ends that wait at once. (Job control on, as in an interactive shell:
# without it a background job starts with SIGINT ignored.)
set -m
"$prog" --complete -- -c "qemu+tcp://127.0.0.1:$(cat "$tmp/port")/system" --list w &
pid=$!
set +m
sleep 0.3
t0=$(date +%s%N)
kill -INT "$pid"
wait "$pid"
st=$?
ms=$((($(date +%s%N) - t0) / 1000000))
is "$st $([ "$ms" -lt 1000 ] && echo quick)" "130 quick" "SIGINT ends the wait for a host (exit $st after $ms ms)"

# ---- the bash script ----

# COMP_WORDS as bash splits a line: at blanks, and around each run of COMP_WORDBREAKS characters
# (as bash-completion leaves them: it takes '@' out), not inside quotes or after a backslash.
split_line() {
    local line=$1 i c w="" brk=0 q
    words=()
    for ((i = 0; i < ${#line}; i++)); do
        c=${line:i:1}
        if [[ $c == [\"\'\\] ]]; then
            [ -n "$w" ] && [ "$brk" = 1 ] && words+=("$w") && w=""
            brk=0 q=$c
            [[ $q == \\ ]] && q=""
            w+=$c
            if [ -z "$q" ]; then
                i=$((i + 1))
                w+=${line:i:1}
            else
                while ((++i < ${#line})) && [[ ${line:i:1} != "$q" ]]; do w+=${line:i:1}; done
                ((i < ${#line})) && w+=$q
            fi
        elif [[ $c == " " ]]; then
            [ -n "$w" ] && words+=("$w")
            w="" brk=0
        elif [[ $COMP_WORDBREAKS == *"$c"* ]]; then
            [ -n "$w" ] && [ "$brk" = 0 ] && words+=("$w") && w=""
            w+=$c brk=1
        else
            [ -n "$w" ] && [ "$brk" = 1 ] && words+=("$w") && w=""
            w+=$c brk=0
        fi
    done
    words+=("$w")
}
# The COMPREPLY for the line (its first word becomes the program's path) with the cursor at its
# end, one per line, from a bash that has loaded bash-completion and the script.
reply() {
    bash -c "$(declare -f split_line)"'
        source "$1" && source "$2" || exit 1
        line=$3${4#virt-snaptree}
        split_line "$line"
        COMP_LINE=$line COMP_POINT=${#line} COMP_WORDS=("${words[@]}") COMP_CWORD=$((${#words[@]} - 1))
        _virt_snaptree "$3" "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}" 2>/dev/null
        printf "%s\n" "${COMPREPLY[@]}"' \
        reply "$bash_completion" "$script" "$prog" "$1"
}
tab() { reply "$1"; }

if [ ! -f "$bash_completion" ]; then
    echo "Bail out! $bash_completion is missing (Debian: apt-get install bash-completion)"
    exit 1
fi
is "$(tab 'virt-snaptree --js')" "--json" "bash: an option"
is "$(tab 'virt-snaptree --conn')" "--connect=" "bash: an option's value follows its '='"
is "$(tab 'virt-snaptree -c qemu:///se')" "///session" \
    "bash: a URI past its ':' (readline keeps what is before the word break)"
is "$(tab 'virt-snaptree --connect=qemu+ssh://root@k')" "//root@kvm1/system" \
    "bash: --connect=URI past its last ':'"
is "$(tab "virt-snaptree -c $host --list web" | LC_ALL=C sort)" "$(lines web01 web02)" "bash: domain names"
is "$(tab "virt-snaptree -c $host --list 测")" "测试虚拟机" "bash: a domain name in Chinese"
is "$(tab 'virt-snaptree --list --interval 2 --ti')" "--timeout=" "bash: an option after a value"
is "$(tab 'virt-snaptree --nothing-like-this')" "" "bash: nothing for an unknown word"
# A domain name with a space is inserted quoted; options and URIs are not (readline's file name
# quoting, -o filenames, would insert --connect\=).
cat >"$tmp/spaced.xml" <<'XML'
<node>
  <domain type='test'>
    <name>web 03</name>
    <memory>65536</memory>
    <os><type>hvm</type></os>
  </domain>
</node>
XML
is "$(tab "virt-snaptree -c test://$tmp/spaced.xml --list web")" 'web\ 03' "bash: a name with a space comes quoted"
is "$(tab "virt-snaptree -c test://$tmp/spaced.xml --list web\\ 0")" 'web\ 03' "bash: also after a typed backslash"
is "$(tab "virt-snaptree -c test://$tmp/spaced.xml --list \"web 0")" 'web 03' "bash: inside a typed quote, as it is"
is "$(bash -c 'source "$1" && source "$2" && complete -p virt-snaptree' x "$bash_completion" "$script")" \
    "complete -o default -F _virt_snaptree virt-snaptree" "bash: no file name quoting of options and URIs"
tap_done
