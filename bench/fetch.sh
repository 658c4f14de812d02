#!/usr/bin/env bash
# Fetch + extract of a >= 200 MB .tar.xz from a loopback server, in one run:
#   xtask:    cargo xtask fetch NAME --install   (download with streaming sha256, then extract)
#   baseline: curl -o f URL && sha256sum f && tar xJf f
# Prints the median wall times of 3 alternating runs, their ratio, and xtask's peak RSS.
#
#   bench/fetch.sh [SCRATCH_DIR]     (default /var/tmp/xtask-bench-fetch)
set -euo pipefail
cd "$(dirname "$0")/.."
. e2e/serve.sh
scratch=$(realpath -m "${1:-/var/tmp/xtask-bench-fetch}")
mkdir -p "$scratch/mirror/big"
archive=$scratch/mirror/big/big-1.0.tar.xz
if [ ! -f "$archive" ]; then
  echo "bench: making a 230 MiB incompressible payload as a single-stream .tar.xz (once)" >&2
  rm -rf "$scratch/big-1.0" && mkdir -p "$scratch/big-1.0"
  head -c 230M /dev/urandom >"$scratch/big-1.0/payload.bin"
  printf 'a small text file\n' >"$scratch/big-1.0/README"
  tar -C "$scratch" -cf - big-1.0 | xz -0 -T1 >"$archive.tmp" && mv "$archive.tmp" "$archive"
  rm -rf "$scratch/big-1.0"
fi

serve "$scratch/mirror" "$scratch/server.log"
url=http://127.0.0.1:$port/big/big-1.0.tar.xz
cat >"$scratch/manifest.toml" <<TOML
schema = 1
[[artifact]]
name = "big"
version = "1.0"
url = "$url"
sha256 = "$(sha256sum "$archive" | cut -d' ' -f1)"
size = $(stat -c %s "$archive")
strip = "big-1.0"
TOML

cargo build --quiet -p xtask   # the profile `cargo xtask` runs
xtask=target/debug/xtask
now() { date +%s.%N; }

baseline() {
  rm -rf "$scratch/base" && mkdir -p "$scratch/base/out"
  local t0; t0=$(now)
  curl -sf -o "$scratch/base/big-1.0.tar.xz" "$url" && sha256sum "$scratch/base/big-1.0.tar.xz" >/dev/null &&
    tar -xJf "$scratch/base/big-1.0.tar.xz" -C "$scratch/base/out"
  echo "$(now) - $t0" | bc
}

tool() {
  rm -rf "$scratch/cache"
  local t0; t0=$(now)
  /usr/bin/time -f %M -o "$scratch/rss" "$xtask" fetch big --install --manifest "$scratch/manifest.toml" \
    --cache-dir "$scratch/cache" --progress quiet >/dev/null
  echo "$(now) - $t0" | bc
}

base_times=(); tool_times=()
for i in 1 2 3; do
  base_times+=("$(baseline)"); tool_times+=("$(tool)")
  rss=$(cat "$scratch/rss")
  echo "bench: run $i: baseline ${base_times[-1]}s, xtask ${tool_times[-1]}s, xtask peak RSS ${rss} KiB" >&2
done
median() { printf '%s\n' "$@" | sort -n | sed -n 2p; }
b=$(median "${base_times[@]}"); t=$(median "${tool_times[@]}")
size_mib=$(( $(stat -c %s "$archive") / 1048576 ))
printf '| fetch+extract %s MiB .tar.xz | curl+sha256sum+tar %.2fs | xtask %.2fs | ratio %.3f | xtask peak RSS %d MiB |\n' \
  "$size_mib" "$b" "$t" "$(echo "$t / $b" | bc -l)" "$(( rss / 1024 ))"
