# shellcheck shell=bash
# tests/lab/guest.sh: a tiny Linux guest that writes numbered records to its disk, for lab tests
# that must prove that a guest writing through a snapshot, an active commit or a pivot loses
# nothing it was told is on disk.
#
# Source it after lab.sh:
#     . "$top_srcdir/tests/lab/lab.sh"
#     . "$top_srcdir/tests/lab/guest.sh"
#     lab_init
#     uri=$(lab_daemon_start "$LAB_TMP/d")
#     qemu-img create -f qcow2 "$LAB_TMP/g.qcow2" 64M
#     lab_guest_define "$uri" g "$LAB_TMP/g.qcow2" --records 500 --end idle
#     lab_guest_wait "$uri" g "all written 500"
#     lab_domain_destroy "$uri" g
#     lab_guest_verify "$LAB_TMP/g.qcow2" 500 8M
#
# The guest is the Debian cloud kernel plus an initramfs of busybox-static, the virtio modules
# it needs and tests/lab/guest-init as /init (see that file for the kernel command line and
# the console protocol).  It boots under TCG in about 2 s and writes each record with its own
# dd + fsync, so "written k" on its console means records 1..k are durable in the image.
#
# Record k (k = 1..N) is the 4 KiB block at OFFSET + k*4K: "REC%012d\n" then 4080 bytes of
# (k mod 251) + 1; the records fill [OFFSET + 4K, OFFSET + (N+1)*4K).  lab.sh's patterns use
# [i MiB, +68K) for layer i and most of [48M, 64M): a test that mixes both wants a bigger disk
# and the records above 64M (e.g. --offset 64M on a 128M image).
#
# Environment:
#   LAB_GUEST_KVER     kernel version to boot (default: the newest /boot/vmlinuz-*-cloud-*
#                      with modules in /lib/modules, else the newest with modules).
#   LAB_GUEST_MODULES  modules to load, dependencies added (default: virtio_pci virtio_blk).
#
# Functions:
#   lab_guest_build DIR       make sure the build tree's cache ($LAB_CACHE_DIR/guest, built once
#                             under a lock, keyed by kernel version and a hash of the inputs)
#                             holds the kernel and initramfs; copy them to DIR/vmlinuz and
#                             DIR/initrd.img; print those two paths, one a line.
#   lab_guest_define URI NAME DISK [--records N] [--interval-ms M] [--offset O]
#                    [--end halt|idle] [--memory MIB] [--no-start]
#                             define (persistent) and start a TCG domain booting that guest with
#                             DISK (qcow2 or raw, absolute path) as vda and its serial console
#                             written to a file.  Defaults: 100 records, no pause, offset 8M,
#                             power off when done, 128 MiB.  --no-start only defines it.
#   lab_guest_console URI NAME    path of the console log.
#   lab_guest_wait URI NAME TEXT [SECS]
#                             wait (default 60 s) until a complete console line contains TEXT;
#                             fails at once when the guest reports an error or is not running.
#   lab_guest_wait_written URI NAME K [SECS]   wait until the guest confirmed record K.
#   lab_guest_last_written URI NAME   highest k the guest confirmed ("written k"), 0 if none.
#   lab_guest_verify TARGET N OFFSET
#                             records 1..N are all there byte for byte.  TARGET is FILE (the
#                             image and its backing chain, read with qemu-img -U: not the active
#                             image of a running domain) or `-d URI DOMAIN DISK` (HMP qemu-io:
#                             what the running guest sees).  On failure prints which records
#                             differ and how.
#   lab_guest_records FILE MAX OFFSET   how many records, counting from 1, are intact in FILE's
#                             chain before the first one that is not (0..MAX).
#   lab_guest_layers FILE N OFFSET
#                             which layer of FILE's chain holds each record 1..N, as runs
#                             "DEPTH FIRST LAST" (depth 0 = FILE, "-" = nowhere: reads zeros).
#                             qcow2 allocates whole clusters, so the first record written into
#                             an overlay drags its cluster's neighbours along (copy-on-write).

if [ -z "${LAB_SH_LOADED:-}" ]; then
    echo "guest.sh: source lab.sh first" >&2
    # shellcheck disable=SC2317 # reached only when sourced before lab.sh
    return 1 2>/dev/null || exit 1
fi
if [ -n "${LAB_GUEST_SH_LOADED:-}" ]; then
    return 0
fi
LAB_GUEST_SH_LOADED=1

LAB_GUEST_INIT=$LAB_SRCDIR/tests/lab/guest-init
LAB_GUEST_MODULES=${LAB_GUEST_MODULES:-virtio_pci virtio_blk}
LAB_GUEST_REC=4096
# Bump when the layout of the initramfs changes in a way the hashed inputs do not show.
LAB_GUEST_FORMAT=1

# ---------------------------------------------------------------- building

lab__guest_kver() {
    local f v all=() cloud=()
    if [ -n "${LAB_GUEST_KVER:-}" ]; then
        echo "$LAB_GUEST_KVER"
        return 0
    fi
    for f in /boot/vmlinuz-*; do
        [ -f "$f" ] || continue
        v=${f#/boot/vmlinuz-}
        [ -f "/lib/modules/$v/modules.dep" ] || continue
        all+=("$v")
        case $v in *-cloud-*) cloud+=("$v") ;; esac
    done
    [ "${#cloud[@]}" -eq 0 ] || all=("${cloud[@]}")
    if [ "${#all[@]}" -eq 0 ]; then
        lab__err "no /boot/vmlinuz-* with modules in /lib/modules (install linux-image-cloud-amd64)"
        return 1
    fi
    printf '%s\n' "${all[@]}" | sort -V | tail -n 1
}

# KVER NAME: append NAME's module file and, before it, those of its dependencies to LAB__GMODS
# (load order), once each; modules built into the kernel are skipped.
lab__guest_mod_add() {
    local kver=$1 name=${2//-/_} f deps d
    case " $LAB__GSEEN " in *" $name "*) return 0 ;; esac
    LAB__GSEEN+=" $name"
    f=$(modinfo -k "$kver" -F filename "$name" 2>/dev/null) || {
        lab__err "kernel $kver has no module $name"
        return 1
    }
    case $f in '(builtin)' | '') return 0 ;; esac
    deps=$(modinfo -k "$kver" -F depends "$name") || return 1
    for d in ${deps//,/ }; do
        lab__guest_mod_add "$kver" "$d" || return 1
    done
    LAB__GMODS+=("$f")
}

# KVER: the module files to load, in order.
lab__guest_modules() {
    local m
    LAB__GMODS=() LAB__GSEEN=""
    for m in $LAB_GUEST_MODULES; do
        lab__guest_mod_add "$1" "$m" || return 1
    done
    [ "${#LAB__GMODS[@]}" -eq 0 ] || printf '%s\n' "${LAB__GMODS[@]}"
}

# A busybox that needs no shared libraries (busybox-static); the dynamic one would need libc in
# the initramfs.
lab__guest_busybox() {
    local bb
    bb=$(command -v busybox) || {
        lab__err "no busybox (install busybox-static)"
        return 1
    }
    if ldd "$bb" >/dev/null 2>&1; then
        lab__err "$bb is dynamically linked (install busybox-static)"
        return 1
    fi
    echo "$bb"
}

# KVER BUSYBOX MODULE...: the cache key, "KVER-HASH" of everything the initramfs is made of.
lab__guest_key() {
    local kver=$1 bb=$2 sum
    shift 2
    sum=$({
        echo "format $LAB_GUEST_FORMAT"
        sha256sum "$LAB_GUEST_INIT" "$bb" "/boot/vmlinuz-$kver" "$@" | awk '{ print $1 }'
    } | sha256sum) || return 1
    echo "$kver-${sum:0:12}"
}

# OUT KVER BUSYBOX MODULE...: build the cache entry OUT/{vmlinuz,initrd.img}.
lab__guest_make() {
    local out=$1 kver=$2 bb=$3 st a m base
    shift 3
    st=$out/stage
    mkdir -p "$st"/{bin,dev,proc,sys,tmp,lib/modules} || return 1
    cp "$bb" "$st/bin/busybox" || return 1
    for a in $("$bb" --list); do
        [ "$a" = busybox ] || ln -s busybox "$st/bin/$a" || return 1
    done
    # The kernel opens /dev/console of the initramfs for init's stdio before init can mount
    # anything; without the node init starts with no console at all.
    mknod "$st/dev/console" c 5 1 && mknod "$st/dev/null" c 1 3 || return 1
    : >"$st/lib/modules/load-order"
    for m in "$@"; do
        base=$(basename "$m")
        # busybox insmod reads plain ELF only: decompress here.
        case $m in
        *.ko.xz) xz -dc "$m" >"$st/lib/modules/${base%.xz}" && base=${base%.xz} ;;
        *.ko.zst) zstd -qdc "$m" >"$st/lib/modules/${base%.zst}" && base=${base%.zst} ;;
        *.ko.gz) gzip -dc "$m" >"$st/lib/modules/${base%.gz}" && base=${base%.gz} ;;
        *.ko) cp "$m" "$st/lib/modules/$base" ;;
        *) lab__err "unexpected module file $m" && false ;;
        esac || return 1
        echo "$base" >>"$st/lib/modules/load-order"
    done
    cp "$LAB_GUEST_INIT" "$st/init" && chmod 755 "$st/init" || return 1
    # Sorted names, root ownership and one fixed time: the same inputs give the same archive.
    find "$st" -exec touch -h -d @0 {} + || return 1
    (cd "$st" && find . -print0 | LC_ALL=C sort -z | cpio --null -o -H newc -R 0:0 --reproducible --quiet) |
        gzip -9n >"$out/initrd.img" || return 1
    cp "/boot/vmlinuz-$kver" "$out/vmlinuz" || return 1
    printf '%s\n' "$@" >"$out/modules"
    rm -rf "$st"
}

lab_guest_build() {
    local dir=$1 kver bb list mods=() key cache t0
    lab__need_tmp && lab__check_path "$dir" || return 1
    kver=$(lab__guest_kver) && bb=$(lab__guest_busybox) || return 1
    [ -f "/boot/vmlinuz-$kver" ] || {
        lab__err "no /boot/vmlinuz-$kver"
        return 1
    }
    # Not mapfile < <(...): a failure inside would go unnoticed and give a guest with no disk.
    list=$(lab__guest_modules "$kver") || return 1
    [ -z "$list" ] || mapfile -t mods <<<"$list"
    key=$(lab__guest_key "$kver" "$bb" "${mods[@]}") || return 1
    if [ "$(cat "$dir/key" 2>/dev/null)" = "$key" ]; then
        printf '%s\n' "$dir/vmlinuz" "$dir/initrd.img"
        return 0
    fi
    cache=$LAB_CACHE_DIR/guest
    mkdir -p "$cache" "$dir" || return 1
    if [ ! -f "$cache/$key/initrd.img" ]; then
        (
            # Tests of one tree may run in parallel (make -j check): one builds, the others wait.
            flock -w 600 9 || exit 1
            [ ! -f "$cache/$key/initrd.img" ] || exit 0
            t0=$(lab_now)
            rm -rf "$cache/$key.new"
            lab__guest_make "$cache/$key.new" "$kver" "$bb" "${mods[@]}" || exit 1
            mv "$cache/$key.new" "$cache/$key" || exit 1
            # Entries for an older kernel or init are of no use any more.  Nobody reads them:
            # readers copy under the shared lock.
            find "$cache" -mindepth 1 -maxdepth 1 -type d ! -name "$key" -exec rm -rf {} +
            lab__timing guest_build "$(lab_elapsed "$t0")"
        ) 9>"$cache/lock" || {
            lab__err "could not build the guest's initramfs"
            return 1
        }
    fi
    (
        # A copy per test: a running domain never reads a file that the cache may replace.
        flock -s -w 600 9 || exit 1
        cp "$cache/$key/vmlinuz" "$cache/$key/initrd.img" "$dir/"
    ) 9>"$cache/lock" || return 1
    echo "$key" >"$dir/key"
    printf '%s\n' "$dir/vmlinuz" "$dir/initrd.img"
}

# ---------------------------------------------------------------- the domain

lab__guest_uint() {
    case $2 in
    '' | *[!0-9]*)
        lab__err "$1 must be a number: '$2'"
        return 1
        ;;
    esac
}

lab_guest_console() {
    local dir
    lab__check_name "$2" && dir=$(lab_host_dir "$1") || return 1
    echo "$dir/guest/$2.console.log"
}

lab_guest_define() {
    local uri=$1 name=$2 disk=$3 records=100 interval=0 offset=8M end=halt mem=128 start=1
    local fmt log xml kernel initrd cmdline
    shift 3 || {
        lab__err "usage: lab_guest_define URI NAME DISK [options]"
        return 1
    }
    while [ $# -gt 0 ]; do
        case $1 in
        --records) records=$2 && shift ;;
        --interval-ms) interval=$2 && shift ;;
        --offset) offset=$2 && shift ;;
        --end) end=$2 && shift ;;
        --memory) mem=$2 && shift ;;
        --no-start) start="" ;;
        *)
            lab__err "lab_guest_define: unknown option $1"
            return 1
            ;;
        esac
        shift
    done
    lab__need_tmp && lab__check_name "$name" && lab__check_path "$disk" || return 1
    lab__guest_uint --records "$records" && lab__guest_uint --interval-ms "$interval" &&
        lab__guest_uint --memory "$mem" && offset=$(lab__bytes "$offset") || return 1
    [ $((offset % LAB_GUEST_REC)) -eq 0 ] || {
        lab__err "--offset must be a multiple of 4K: $offset"
        return 1
    }
    case $end in halt | idle) ;; *)
        lab__err "--end must be halt or idle: $end"
        return 1
        ;;
    esac
    fmt=$(lab_image_format "$disk") || return 1
    log=$(lab_guest_console "$uri" "$name") || return 1
    mkdir -p "${log%/*}" "$LAB_TMP/xml" || return 1
    { read -r kernel && read -r initrd; } < <(lab_guest_build "$LAB_TMP/guest") || return 1
    # quiet loglevel=3: only critical kernel messages, so that little can land in the middle of
    # a "written k" line.  panic=-1 with on_reboot=destroy: a broken guest ends instead of
    # hanging until the test's timeout.
    cmdline="console=ttyS0 quiet loglevel=3 panic=-1 lab.records=$records"
    cmdline+=" lab.interval_ms=$interval lab.offset=$offset lab.end=$end"
    xml=$(mktemp "$LAB_TMP/xml/$name.XXXXXX") || return 1
    # <acpi/>: poweroff -f needs it (without it libvirt passes -no-acpi and the guest only halts).
    # The disk keeps libvirt's default cache mode: QEMU then honours the guest's flushes, which
    # is what makes "written k" mean "in the image".
    cat >"$xml" <<EOF
<domain type='qemu'>
  <name>$name</name>
  <memory unit='MiB'>$mem</memory>
  <vcpu>1</vcpu>
  <os>
    <type arch='x86_64' machine='pc'>hvm</type>
    <kernel>$(lab__xml_escape "$kernel")</kernel>
    <initrd>$(lab__xml_escape "$initrd")</initrd>
    <cmdline>$cmdline</cmdline>
  </os>
  <features>
    <acpi/>
  </features>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>destroy</on_reboot>
  <on_crash>destroy</on_crash>
  <devices>
    <disk type='file' device='disk'>
      <driver name='qemu' type='$fmt'/>
      <source file='$(lab__xml_escape "$disk")'/>
      <target dev='vda' bus='virtio'/>
    </disk>
    <controller type='usb' model='none'/>
    <memballoon model='none'/>
    <serial type='file'>
      <source path='$(lab__xml_escape "$log")'/>
      <target port='0'/>
    </serial>
  </devices>
</domain>
EOF
    lab_virsh "$uri" define "$xml" >>"$LAB_LOG" 2>&1
    # A crash of virsh at exit leaves the status unreliable: ask libvirt instead.
    lab__virsh_q "$uri" dominfo "$name" >/dev/null || {
        lab__err "could not define $name (see $xml)"
        return 1
    }
    [ -n "$start" ] || return 0
    # A log of an earlier run would satisfy lab_guest_wait before this guest printed anything.
    rm -f "$log"
    lab_domain_start "$uri" "$name"
}

# LOG: its complete lines without the serial line's carriage returns.  A line still being
# transmitted may be the prefix of another ("all written 50" of "all written 500").
lab__guest_lines() {
    [ -s "$1" ] || return 0
    if [ "$(tail -c 1 "$1" | od -An -c | tr -d ' ')" = '\n' ]; then
        tr -d '\r' <"$1"
    else
        tr -d '\r' <"$1" | sed '$d'
    fi
}

lab_guest_last_written() {
    local log
    log=$(lab_guest_console "$1" "$2") || return 1
    lab__guest_lines "$log" | awk '/^written [0-9]+$/ { if ($2 + 0 > m) m = $2 + 0 } END { print m + 0 }'
}

# URI NAME SECS WHAT PREDICATE...: poll until PREDICATE (given the log's complete lines on
# stdin) succeeds.  Fails at once on an error reported by the guest, and when the domain is no
# longer running and the predicate still fails on the final log.
lab__guest_poll() {
    local uri=$1 name=$2 secs=$3 what=$4 log t0 lines n=0 bad
    shift 4
    log=$(lab_guest_console "$uri" "$name") || return 1
    t0=$(lab_now)
    while :; do
        lines=$(lab__guest_lines "$log")
        "$@" <<<"$lines" && return 0
        bad=$(grep -E '^(write failed [0-9]+|lab-guest: error: .*)$' <<<"$lines" | head -n 1)
        if [ -n "$bad" ]; then
            lab__err "$name: $bad (waiting for $what)"
            return 1
        fi
        # Every second or so (a virsh call costs tens of ms): a guest that powered off or died
        # will not print anything more.
        n=$((n + 1))
        if [ $((n % 10)) -eq 0 ] && [ "$(lab_domain_state "$uri" "$name")" != running ]; then
            "$@" < <(lab__guest_lines "$log") && return 0
            lab__err "$name is $(lab_domain_state "$uri" "$name") and never printed $what; console:"
            tail -n 5 "$log" >&2
            return 1
        fi
        awk -v e="$(lab_elapsed "$t0")" -v m="$secs" 'BEGIN { exit !(e < m) }' || {
            lab__err "$name: no $what within ${secs}s; console ends with:"
            tail -n 5 "$log" >&2
            return 1
        }
        sleep 0.1
    done
}

lab__guest_has_text() {
    grep -qF -- "$1"
}

lab__guest_has_written() {
    awk -v k="$1" '/^written [0-9]+$/ && $2 + 0 >= k + 0 { f = 1 } END { exit !f }'
}

lab_guest_wait() {
    lab__guest_poll "$1" "$2" "${4:-60}" "'$3'" lab__guest_has_text "$3"
}

lab_guest_wait_written() {
    lab__guest_uint K "$3" || return 1
    lab__guest_poll "$1" "$2" "${4:-60}" "'written $3'" lab__guest_has_written "$3"
}

# ---------------------------------------------------------------- checking the records

# N OFFSET: the expected bytes of records 1..N, back to back.
lab__guest_expected() {
    # C locale: printf "%c" must give one byte, not a UTF-8 sequence.
    LC_ALL=C awk -v n="$1" 'BEGIN {
        for (k = 1; k <= n; k++) {
            c = k % 251 + 1
            if (!(c in fill)) {
                s = sprintf("%c", c)
                while (length(s) < 4080) s = s s
                fill[c] = substr(s, 1, 4080)
            }
            printf "REC%012d\n%s", k, fill[c]
        }
    }'
}

# FILE N OFFSET OUT: records 1..N as the chain of FILE shows them, into OUT (raw).
lab__guest_dump() {
    local file=$1 n=$2 off=$3 out=$4 fmt json
    fmt=$(lab_image_format "$file") || return 1
    # A raw window over the image (the raw driver's offset and size options) copies just the
    # records.  Not qemu-img dd: in QEMU 7.2 its count= includes the skipped blocks.
    json=$(jq -cn --arg f "$(realpath "$file")" --arg fmt "$fmt" --argjson o $((off + LAB_GUEST_REC)) \
        --argjson s $((n * LAB_GUEST_REC)) \
        '{driver: "raw", offset: $o, size: $s, file: {driver: $fmt, file: {driver: "file", filename: $f}}}') ||
        return 1
    rm -f "$out"
    qemu-img convert -U -O raw "json:$json" "$out" || return 1
    if [ "$(stat -c %s "$out")" -ne $((n * LAB_GUEST_REC)) ]; then
        lab__err "copy of records 1..$n of $file has $(stat -c %s "$out") bytes"
        return 1
    fi
}

# FILE N OFFSET: prints the first record of 1..N that differs (nothing if none); with a second
# line, a description of the damage.  Leaves the two dumps in $LAB_TMP/guest-cmp.*.
lab__guest_first_bad() {
    local file=$1 n=$2 off=$3 w=$LAB_TMP/guest-cmp byte k got
    [ "$n" -gt 0 ] || return 0
    lab__guest_dump "$file" "$n" "$off" "$w.got" || return 1
    lab__guest_expected "$n" >"$w.want" || return 1
    byte=$(cmp "$w.want" "$w.got" 2>/dev/null | sed -n 's/.* differ: byte \([0-9]*\),.*/\1/p')
    if [ -z "$byte" ]; then
        cmp -s "$w.want" "$w.got" && return 0
        lab__err "cannot compare $w.want and $w.got"
        return 1
    fi
    k=$(((byte - 1) / LAB_GUEST_REC + 1))
    echo "$k"
    got=$(tail -c +$(((k - 1) * LAB_GUEST_REC + 1)) "$w.got" | head -c 16 | od -An -c | tr -s ' ')
    echo "record $k (at $((off + k * LAB_GUEST_REC))) differs from byte $(((byte - 1) % LAB_GUEST_REC));" \
        "its first 16 bytes:$got"
}

lab_guest_records() {
    local file=$1 max=$2 off out
    lab__guest_uint MAX "$max" && off=$(lab__bytes "$3") || return 1
    out=$(lab__guest_first_bad "$file" "$max" "$off") || return 1
    if [ -z "$out" ]; then
        echo "$max"
    else
        echo $((${out%%$'\n'*} - 1))
    fi
}

lab_guest_verify() {
    local n off out bad
    lab__target "$@" || return 1
    if [ "$LAB__T" = dom ]; then
        lab__guest_verify_dom "$@"
        return
    fi
    n=$2
    lab__guest_uint N "$n" && off=$(lab__bytes "$3") || return 1
    out=$(lab__guest_first_bad "$1" "$n" "$off") || return 1
    [ -n "$out" ] || return 0
    # How much is wrong: one differing byte per line, one record per 4 KiB.
    bad=$(cmp -l "$LAB_TMP/guest-cmp.want" "$LAB_TMP/guest-cmp.got" 2>/dev/null |
        awk -v r="$LAB_GUEST_REC" '{ k = int(($1 - 1) / r) + 1; if (!(k in s)) { s[k]; c++; l = k } }
            END { print c + 0, l + 0 }')
    echo "$1: ${out#*$'\n'}"
    echo "$1: ${bad% *} of $n records differ, the last of them record ${bad#* }"
    return 1
}

# -d URI DOM DISK N OFFSET: through HMP qemu-io, each record's 16-byte header as a hex dump and
# its fill with read -P; in slices, since virsh gets all of a slice's commands as one argument
# (at most 128 KiB on Linux).
lab__guest_verify_dom() {
    local n=$5 off k c o cmds=() out res errs="" done=0 want
    lab__guest_uint N "$n" && off=$(lab__bytes "$6") || return 1
    for ((k = 1; k <= n; k++)); do
        printf -v c '0x%02x' $((k % 251 + 1))
        o=$((off + k * LAB_GUEST_REC))
        cmds+=("read -v $o 16" "read -P $c $((o + 16)) 4080")
        if [ "${#cmds[@]}" -ge 400 ] || [ "$k" -eq "$n" ]; then
            out=$(lab__qemu_io ro "${cmds[@]}") || return 1
            res=$(awk -v off="$off" -v r="$LAB_GUEST_REC" '
                function hex(s,   i, v) {
                    v = 0
                    for (i = 1; i <= length(s); i++)
                        v = v * 16 + index("0123456789abcdef", substr(s, i, 1)) - 1
                    return v
                }
                BEGIN {
                    for (i = 0; i < 10; i++) ord[i ""] = sprintf("%02x", 48 + i)
                    ord["R"] = "52"; ord["E"] = "45"; ord["C"] = "43"
                }
                /^read [0-9]+\/[0-9]+ bytes/ { reads++ }
                # A hex dump line of a header: "00801000:  52 45 43 ... 0a  REC000000000001."
                /^[0-9a-f]+:  / {
                    k = (hex(substr($1, 1, length($1) - 1)) - off) / r
                    want = sprintf("REC%012d", k)
                    w = ""
                    for (i = 1; i <= 15; i++) w = w ord[substr(want, i, 1)]
                    w = w "0a"
                    got = ""
                    for (i = 2; i <= 17; i++) got = got $i
                    if (got != w) print "record " k ": header " got ", expected " w
                }
                /^Pattern verification failed at offset/ {
                    o = $6; sub(/,.*/, "", o)
                    # qemu-io names the offset of the read, not of the first wrong byte.
                    print "record " int((o - off) / r) ": fill at offset " o " differs"
                }
                / failed/ && !/^Pattern verification/ { print "qemu-io: " $0 }
                END { print "reads " reads + 0 }
            ' <<<"$out")
            want=${#cmds[@]}
            if [ "${res##*reads }" != "$want" ]; then
                errs+="qemu-io did ${res##*reads } of $want reads"$'\n'
            fi
            errs+=$(sed '$d' <<<"$res")
            [ -z "$(sed '$d' <<<"$res")" ] || errs+=$'\n'
            done=$k
            cmds=()
        fi
    done
    [ -z "$errs" ] && [ "$done" -eq "$n" ] && return 0
    printf '%s\n' "$errs" | head -n 20
    return 1
}

lab_guest_layers() {
    local file=$1 n=$2 off
    lab__guest_uint N "$n" && off=$(lab__bytes "$3") || return 1
    qemu-img map -U --output=json "$file" | jq -r --argjson n "$n" --argjson off "$off" \
        --argjson r "$LAB_GUEST_REC" '
        [.[] | select(.data)] as $m
        | range(1; $n + 1) | . as $k | ($off + $k * $r) as $o
        | [$k, ([$m[] | select(.start <= $o and $o < .start + .length)][0]
                | if . == null then "-" else .depth end)] | @tsv' |
        awk -F '\t' '
            $2 != d || NR == 1 { if (NR > 1) print d, f, l; d = $2; f = $1 }
            { l = $1 }
            END { if (NR) print d, f, l }'
}
