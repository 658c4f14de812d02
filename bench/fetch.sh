#!/usr/bin/env bash
# Fetch + extract of two >= 200 MB .tar.xz archives from a loopback server, in one run:
#   xtask:    cargo xtask fetch NAME --install   (download with streaming sha256, then extract)
#   baseline: curl -o f URL && sha256sum f && tar xJf f
# Prints the median wall times of 3 alternating runs, their ratio, and xtask's peak RSS.
#
#   bench/fetch.sh [SCRATCH_DIR]     (default /var/tmp/xtask-bench-fetch)
set -euo pipefail
cd "$(dirname "$0")/.."
. e2e/serve.sh
scratch=$(realpath -m "${1:-/var/tmp/xtask-bench-fetch}")
mkdir -p "$scratch/mirror/random" "$scratch/mirror/tree"
# Two archives, each >= 200 MB: incompressible data (transfer, hashing and writing dominate), and
# real binaries (/usr/lib/llvm-19 and /usr/lib/x86_64-linux-gnu; xz decoding dominates). Made once.
if [ ! -f "$scratch/mirror/random/random-1.0.tar.xz" ]; then
  echo "bench: making a 230 MiB incompressible payload as a .tar.xz (once)" >&2
  rm -rf "$scratch/random-1.0" && mkdir -p "$scratch/random-1.0"
  head -c 230M /dev/urandom >"$scratch/random-1.0/payload.bin"
  tar -C "$scratch" -cf - random-1.0 | xz -0 -T1 >"$scratch/tmp.tar.xz"
  mv "$scratch/tmp.tar.xz" "$scratch/mirror/random/random-1.0.tar.xz"
  rm -rf "$scratch/random-1.0"
fi
if [ ! -f "$scratch/mirror/tree/tree-1.0.tar.xz" ]; then
  echo "bench: packing /usr/lib/llvm-19 and /usr/lib/x86_64-linux-gnu as a .tar.xz (once, a few minutes)" >&2
  # Regular files only: the system tree's absolute symlinks are (rightly) refused on extraction.
  (cd / && find usr/lib/llvm-19 usr/lib/x86_64-linux-gnu -type f -print0 | sort -z) |
    tar -C / --null -T - --transform 's,^usr/lib,tree-1.0,' -cf - 2>/dev/null | xz -3 -T2 >"$scratch/tmp.tar.xz"
  mv "$scratch/tmp.tar.xz" "$scratch/mirror/tree/tree-1.0.tar.xz"
fi

serve "$scratch/mirror" "$scratch/server.log"
{
  echo "schema = 1"
  for name in random tree; do
    archive=$scratch/mirror/$name/$name-1.0.tar.xz
    printf '[[artifact]]\nname = "%s"\nversion = "1.0"\nurl = "http://127.0.0.1:%s/%s/%s-1.0.tar.xz"\n' "$name" "$port" "$name" "$name"
    printf 'sha256 = "%s"\nsize = %s\nstrip = "%s-1.0"\n' "$(sha256sum "$archive" | cut -d' ' -f1)" "$(stat -c %s "$archive")" "$name"
  done
} >"$scratch/manifest.toml"

cargo build --quiet -p xtask   # the profile `cargo xtask` runs
xtask=target/debug/xtask
now() { date +%s.%N; }

baseline() { # NAME
  rm -rf "$scratch/base" && mkdir -p "$scratch/base/out"
  local t0 url=http://127.0.0.1:$port/$1/$1-1.0.tar.xz
  t0=$(now)
  curl -sf -o "$scratch/base/$1.tar.xz" "$url" && sha256sum "$scratch/base/$1.tar.xz" >/dev/null &&
    tar -xJf "$scratch/base/$1.tar.xz" -C "$scratch/base/out"
  echo "$(now) - $t0" | bc
}

tool() { # NAME
  rm -rf "$scratch/cache"
  local t0
  t0=$(now)
  /usr/bin/time -q -f %M -o "$scratch/rss" "$xtask" fetch "$1" --install --manifest "$scratch/manifest.toml" \
    --cache-dir "$scratch/cache" --progress quiet >/dev/null
  echo "$(now) - $t0" | bc
}

median() { printf '%s\n' "$@" | sort -n | sed -n 2p; }
for name in random tree; do
  base_times=()
  tool_times=()
  peak=0
  for i in 1 2 3; do
    base_times+=("$(baseline "$name")")
    tool_times+=("$(tool "$name")")
    rss=$(cat "$scratch/rss")
    [ "$rss" -gt "$peak" ] && peak=$rss
    echo "bench: $name run $i: baseline ${base_times[-1]}s, xtask ${tool_times[-1]}s, peak RSS ${rss} KiB" >&2
  done
  b=$(median "${base_times[@]}")
  t=$(median "${tool_times[@]}")
  size_mib=$(($(stat -c %s "$scratch/mirror/$name/$name-1.0.tar.xz") / 1048576))
  printf '| %s | %s MiB | curl+sha256sum+tar %.2fs | xtask %.2fs | ratio %.3f | xtask peak RSS %d MiB |\n' \
    "$name" "$size_mib" "$b" "$t" "$(echo "$t / $b" | bc -l)" "$((peak / 1024))"
done
