# shellcheck shell=bash
# tests/bench/doctorbench.sh — figure 10 of `make bench` (bench.sh sources it once the lab is up):
# --doctor and --orphans on the whole lab against the scripted baseline, qemu-img check on every
# layer one after another (tests/bench/qemu-img-check.sh, -U on the layers of running domains).
# The baseline is handed the list of layers (made from our model before timing): it is timed for
# its checks only, which flatters it. Both must report the same corruptions and leaked clusters,
# image by image, or the figure fails the run; so that the comparison is not vacuous, a few
# shut-off domains' layers get findings planted (a leaked cluster, a cluster counted nowhere, a
# dirty bit with a leak), which are taken out again afterwards. Writes its own section of
# RESULTS.md (between bench-doctor markers), the main table left as it is.

# doctor_ref IMAGE CLUSTER COUNT / doctor_dirty IMAGE 0|1: edits a layer's refcount or dirty bit.
doctor_ref() {
    python3 - "$@" <<'EOF'
import struct, sys
path, cl, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
f = open(path, 'r+b')
h = f.read(104)
cs = 1 << struct.unpack('>I', h[20:24])[0]
f.seek(struct.unpack('>Q', h[48:56])[0] + 8 * (cl // (cs // 2)))
f.seek(struct.unpack('>Q', f.read(8))[0] + 2 * (cl % (cs // 2)))
f.write(struct.pack('>H', count))
EOF
}
doctor_dirty() {
    python3 - "$@" <<'EOF'
import struct, sys
f = open(sys.argv[1], 'r+b')
f.seek(72)
v = struct.unpack('>Q', f.read(8))[0]
f.seek(72)
f.write(struct.pack('>Q', (v | 1) if sys.argv[2] == '1' else (v & ~1)))
EOF
}

# The planted findings: shut-off domains' own layers (never a golden base, which others share).
# Cluster 3 of these images is their L1 table, counted once.
DOCTOR_PLANT=(off-0000-vda-5 off-0001-vdb-0 off-0002-vda-9 off-0003-vdb-4)
doctor_plant() { # 1: plant, 0: take out
    local v=$BENCH_LAB/img/vms
    doctor_ref "$v/${DOCTOR_PLANT[0]}.qcow2" 3 $((1 + $1)) &&       # a leaked cluster
        doctor_ref "$v/${DOCTOR_PLANT[1]}.qcow2" 3 $((1 - $1)) &&   # a corruption
        doctor_ref "$v/${DOCTOR_PLANT[2]}.qcow2" 3 $((1 + $1)) &&   # a leak, and
        doctor_dirty "$v/${DOCTOR_PLANT[2]}.qcow2" "$1" &&          # the dirty bit on it
        doctor_ref "$v/${DOCTOR_PLANT[3]}.qcow2" 3 $((1 + 2 * $1))  # two more references
}

bench_doctor_figure() {
    local layers=$RUN/doctor.layers
    command -v python3 >/dev/null || die "python3 is missing (it plants the findings)"
    doctor_plant 1 || die "the doctor's findings could not be planted"
    # Every layer once, -U before those of running domains (what the admin's script passes).
    "$BIN" -c "$URI" --json >"$RUN/doctor-model.json" || die "--json failed"
    jq -r '[.hosts[].domains[] | (.state == "running" or .state == "paused") as $r
        | .disks[].chain[] | select(.path != null) | [.path, $r]] | group_by(.[0])[]
        | (if any(.[]; .[1]) then "-U\n" else "" end) + .[0][0]' "$RUN/doctor-model.json" |
        sed '/^$/d' >"$layers"
    put doctor.layers "$(grep -vc '^-U$' "$layers")"
    # --doctor exits 2 on the planted corruption: through a shell that ends 0 (a few ms, as the
    # baseline's own shell costs it).
    time_cmd doctor.ours "$BENCH_RUNS" 1 bash -c '"$@" >/dev/null; exit 0' - "$BIN" -c "$URI" \
        --doctor --json
    time_cmd doctor.orphans "$BENCH_RUNS" 1 "$BIN" -c "$URI" --orphans --json
    # shellcheck disable=SC2046 # one word a layer or option
    time_runs doctor.baseline "$BENCH_BASELINE_RUNS" "$RUN/doctor-baseline.txt" \
        bash "$top_srcdir/tests/bench/qemu-img-check.sh" $(cat "$layers")
    "$BIN" -c "$URI" --doctor --json >"$RUN/doctor.json"
    bash "$top_srcdir/tests/bench/qemu-img-check.sh" --doctor "$RUN/doctor.json" >"$RUN/doctor-ours.txt"
    put doctor.findings "$(wc -l <"$RUN/doctor-ours.txt")"
    put doctor.dirty "$(jq -r '[.findings[] | select(.check == "dirty")] | length' "$RUN/doctor.json")"
    # Layers with internal snapshots, which the doctor leaves to qemu-img check (nb_snapshots).
    put doctor.snapshotted "$(grep -v '^-U$' "$layers" | python3 -c '
import struct, sys
print(sum(1 for p in sys.stdin.read().split("\n") if p and struct.unpack(">I", open(p, "rb").read(64)[60:64])[0]))')"
    put doctor.by_qemu_img "$(VIRT_SNAPTREE_TRACE=$RUN/doctor.trace "$BIN" -c "$URI" --doctor \
        >/dev/null; grep -c 'doctor-check by=qemu-img' "$RUN/doctor.trace")"
    local ok=yes
    cmp -s "$RUN/doctor-ours.txt" "$RUN/doctor-baseline.txt" || ok=no
    [ "$(wc -l <"$RUN/doctor-baseline.txt")" -eq 4 ] && [ "$(get doctor.dirty)" -eq 1 ] || ok=no
    put doctor.agree "$ok"
    [ "$ok" = yes ] || BENCH_FAILED+=("doctor: ours found $(paste -sd ';' "$RUN/doctor-ours.txt"), qemu-img check $(paste -sd ';' "$RUN/doctor-baseline.txt") (4 planted, 1 dirty bit; ours saw $(get doctor.dirty))")
    doctor_plant 0 || bench_log "the planted findings could not be taken out: rebuild the lab"
    bench_doctor_results
}

# RESULTS.md's section of this figure.
bench_doctor_results() {
    local gen ours orph base n ratio ratio_o verdict mark=bench-doctor-$LAB_STACK
    ours=$(printf '%.3f' "$(get doctor.ours)") orph=$(printf '%.3f' "$(get doctor.orphans)")
    base=$(printf '%.3f' "$(get doctor.baseline)")
    spread() { printf '%.3f–%.3f' "$(get "$1.min")" "$(get "$1.max")"; }
    n=$(get doctor.layers)
    ratio=$(ratio "$base" "$ours") ratio_o=$(ratio "$base" "$orph")
    verdict=$(awk -v r="$ratio" 'BEGIN { print (r + 0 >= 10 ? "**met**" : "**missed**") }')
    [ "$(get doctor.agree)" = yes ] || verdict="**failed**: the findings differ"
    gen=$(
        echo "<!-- $mark:begin (written by tests/bench/doctorbench.sh; edits here are overwritten) -->"
        echo
        echo "Run of $(date -u '+%Y-%m-%d %H:%M UTC') on the main lab ($BENCH_SHUTOFF shut-off + $BENCH_RUNNING running domains, $BENCH_DISKS disks each, chains $BENCH_DEPTH deep; \`LAB_STACK=$LAB_STACK\`, libvirt $(bench_virsh "$URI" version --daemon 2>/dev/null | sed -n 's/^Running against daemon: //p'), virt-snaptree $(git -C "$top_srcdir" rev-parse --short HEAD 2>/dev/null)): $n distinct layers; medians (min–max) of $(get doctor.ours.n) runs (ours) and $(get doctor.baseline.n) (baseline), in seconds, wall clock, on the machine of the table above."
        echo
        echo "| # | figure | ours | baseline | ratio | target | verdict |"
        echo "|---|---|---|---|---|---|---|"
        echo "| 10a | \`--doctor --json\`: every check on every chain, against \`qemu-img check\` on every layer | $ours ($(spread doctor.ours)) | $base ($(spread doctor.baseline)) | ${ratio}× | ≥ 10× | $verdict |"
        echo "| 10b | \`--orphans --json\`: the reference graph and every folder and pool scanned | $orph ($(spread doctor.orphans)) | $base | ${ratio_o}× | ≥ 10× | $(awk -v r="$ratio_o" 'BEGIN { print (r + 0 >= 10 ? "**met**" : "**missed**") }') |"
        echo
        echo "Findings compared image by image (corruptions, leaked clusters): $(get doctor.agree) — $(get doctor.findings) images with findings on each side (4 planted), and the planted dirty bit named by the doctor ($(get doctor.dirty)). $(get doctor.by_qemu_img) of the $n layers were left to \`qemu-img check\` by the doctor (layouts it does not judge itself: $(get doctor.snapshotted) layers of the lab hold internal snapshots); the rest were counted by its own reading of the refcounts."
        echo
        echo "The baseline is handed the list of layers (made from our model before it is timed), so its time is that of \`qemu-img check\` alone, one process a layer, $(awk -v b="$base" -v n="$n" 'BEGIN { printf "%.1f", b * 1000 / n }') ms each here; an admin's script that finds the layers itself (figure 1's baseline) takes longer. The doctor makes every one of its checks in its time (headers, modes, relative names, definitions, snapshot files, AppArmor), not only these counts. \`--orphans\` does other work than \`qemu-img check\` (the reference graph, a scan of every folder and pool); it is set against the same baseline because that is what admins run over their images today."
        echo
        echo "<!-- $mark:end -->"
    )
    printf '%s\n' "$gen"
    [ "$BENCH_RESULTS" != - ] || return 0
    if [ -f "$BENCH_RESULTS" ] && grep -q "^<!-- $mark:begin" "$BENCH_RESULTS"; then
        awk -v gen="$gen" -v m="$mark" '$0 ~ "^<!-- " m ":begin" { print gen; skip = 1; next }
            $0 ~ "^<!-- " m ":end" { skip = 0; next } !skip { print }' "$BENCH_RESULTS" >"$BENCH_RESULTS.new"
    else
        { cat "$BENCH_RESULTS" 2>/dev/null; printf '\n## The chain doctor and the orphan finder against qemu-img check (%s)\n\n%s\n' "$LAB_STACK" "$gen"; } >"$BENCH_RESULTS.new"
    fi
    mv "$BENCH_RESULTS.new" "$BENCH_RESULTS"
}
