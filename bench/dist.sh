#!/usr/bin/env bash
# What `dist` and `verify` cost, in one run, against the bare tools on the same files:
#   1. dist:     cargo xtask dist --target wasi (layout, rewrite, SBOM, provenance, SHA256SUMS,
#                tar.xz written byte for byte)
#   2. baseline: the same unpacked tree archived as CPython's own `package` step does it (GNU tar
#                --sort=name --mtime --owner=0 --numeric-owner --pax-option=delete=atime,ctime,
#                xz -6 single-threaded) plus sha256sum of every file
#   3. verify:   cargo xtask verify of the archive, against tar -xJf + sha256sum -c
# Each RUNS times (default 3), alternating; prints the medians and the ratios.
#
#   bench/dist.sh WORK_DIR CACHE_DIR [SCRATCH]   (WORK_DIR: a work dir bootstrap built wasi in)
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(realpath "$1")
cache=$(realpath "$2")
scratch=$(realpath -m "${3:-/var/tmp/xtask-bench-dist}")
runs=${RUNS:-3}
rm -rf "$scratch" && mkdir -p "$scratch"
cargo build --quiet -p xtask
now() { date +%s.%N; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

target/debug/xtask dist --target wasi --work-dir "$work" --cache-dir "$cache" --out "$scratch/x" >/dev/null 2>&1
archive=$(ls "$scratch"/x/*.tar.xz)
top=$(basename "$archive" .tar.xz)
mkdir -p "$scratch/tree" && tar -xJf "$archive" -C "$scratch/tree"
epoch=@$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["predicate"]["buildDefinition"]["externalParameters"]["sourceDateEpoch"])' "$scratch/tree/$top/provenance.intoto.json")

for i in $(seq "$runs"); do
  t0=$(now)
  target/debug/xtask dist --target wasi --work-dir "$work" --cache-dir "$cache" --out "$scratch/x" >/dev/null 2>&1
  t1=$(now)
  (cd "$scratch/tree/$top" && find . -type f ! -name SHA256SUMS -printf '%P\n' | sort | xargs -d '\n' sha256sum >/dev/null)
  tar -c -C "$scratch/tree" --sort=name --mtime="$epoch" --clamp-mtime --owner=0 --group=0 --numeric-owner \
    --pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime --mode=go+u,go-w "$top" | xz -6 -T1 >"$scratch/baseline.tar.xz"
  t2=$(now)
  target/debug/xtask verify "$archive" >/dev/null 2>&1
  t3=$(now)
  rm -rf "$scratch/check" && mkdir "$scratch/check" && tar -xJf "$archive" -C "$scratch/check" && (cd "$scratch/check/$top" && sha256sum -c --quiet SHA256SUMS)
  t4=$(now)
  echo "$t0 $t1 $t2 $t3 $t4" >>"$scratch/times"
done
d=$(awk '{print $2-$1}' "$scratch/times" | median)
b=$(awk '{print $3-$2}' "$scratch/times" | median)
v=$(awk '{print $4-$3}' "$scratch/times" | median)
c=$(awk '{print $5-$4}' "$scratch/times" | median)
printf 'files: %s, archive %s bytes (baseline %s bytes)\n' "$(wc -l <"$scratch/tree/$top/SHA256SUMS")" "$(stat -c %s "$archive")" "$(stat -c %s "$scratch/baseline.tar.xz")"
printf 'dist    %6.2f s   tar+xz+sha256sum     %6.2f s   ratio %.2f\n' "$d" "$b" "$(echo "$d / $b" | bc -l)"
printf 'verify  %6.2f s   tar -x + sha256sum -c %6.2f s   ratio %.2f\n' "$v" "$c" "$(echo "$v / $c" | bc -l)"
