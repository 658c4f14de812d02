#!/usr/bin/env bash
# The bootstrap's overhead, in one run, on the fixture toolchain (e2e/fixtures.sh):
#   1. xtask:  cargo xtask bootstrap --target wasi --python 3.13.5 in a fresh work dir, warm cache
#              (also checks: 0 bytes downloaded, deps not rebuilt)
#   2. manual: the same configure/make by hand, on the same installed SDK and dependency builds
#   3. no-op:  a second bootstrap with nothing changed
#   4. reproducibility: python.wasm of every xtask work dir compared byte for byte
# xtask and manual builds alternate, RUNS times each (default 2). The xtask's own overhead is its
# wall time minus the durations of the configure/make steps it ran, from its log.
#
#   bench/bootstrap.sh [SCRATCH_DIR]     (default /var/tmp/xtask-bench-bootstrap)
set -euo pipefail
cd "$(dirname "$0")/.."
scratch=$(realpath -m "${1:-/var/tmp/xtask-bench-bootstrap}")
runs=${RUNS:-2}
fixtures=/var/tmp/xtask-fixtures
jobs=$(nproc)
mkdir -p "$scratch"
[ -f "$fixtures/overlay.toml" ] || e2e/fixtures.sh "$fixtures"
cargo build --quiet -p xtask
xtask() {
  local sub=$1
  shift
  target/debug/xtask "$sub" --cache-dir "$scratch/cache" --overlay "$fixtures/overlay.toml" --progress lines "$@"
}
now() { date +%s.%N; }

echo "bench: warming the cache (downloads, toolchains, deps) with a first bootstrap" >&2
xtask bootstrap --target wasi --python 3.13.5 --mirror "$fixtures/mirror" --work-dir "$scratch/warm" >/dev/null 2>"$scratch/warm.log"
sdk=$(ls -d "$scratch"/cache/toolchains/wasi-sdk-24-*)
zlib=$(ls -d "$scratch"/cache/deps/wasm32-wasip1/zlib-*)
bzip2=$(ls -d "$scratch"/cache/deps/wasm32-wasip1/bzip2-*)
mpdec=$(ls -d "$scratch"/cache/deps/wasm32-wasip1/mpdecimal-*)
sqlite=$(ls -d "$scratch"/cache/deps/wasm32-wasip1/sqlite-*)
tarball=$(ls "$scratch"/cache/downloads/*/Python-3.13.5.tar.xz)

tool_run() { # N
  rm -rf "$scratch/fresh$1"
  local t0
  t0=$(now)
  xtask bootstrap --target wasi --python 3.13.5 --offline -j "$jobs" --work-dir "$scratch/fresh$1" 2>"$scratch/fresh$1.log"
  echo "$(now) - $t0" | bc
}

manual_run() { # N
  local dir=$scratch/manual$1 t0 sysroot=$sdk/share/wasi-sysroot
  rm -rf "$dir" && mkdir -p "$dir/build" "$dir/wasi"
  t0=$(now)
  (
    cd "$dir"
    tar -xJf "$tarball"
    touch Python-3.13.5/Modules/Setup.local
    cd build && ../Python-3.13.5/configure -C >../build.log 2>&1 && make -j"$jobs" >>../build.log 2>&1
    cd ../wasi
    env CONFIG_SITE=../Python-3.13.5/Tools/wasm/config.site-wasm32-wasi \
      CC="$sdk/bin/clang --sysroot=$sysroot" CPP="$sdk/bin/clang-cpp --sysroot=$sysroot" \
      CXX="$sdk/bin/clang++ --sysroot=$sysroot" AR="$sdk/bin/llvm-ar" RANLIB="$sdk/bin/ranlib" \
      PKG_CONFIG_PATH= PKG_CONFIG_LIBDIR="$sysroot/lib/pkgconfig" PKG_CONFIG_SYSROOT_DIR="$sysroot" \
      ZLIB_CFLAGS="-I$zlib/include" ZLIB_LIBS="-L$zlib/lib -lz" BZIP2_CFLAGS="-I$bzip2/include" BZIP2_LIBS="-L$bzip2/lib -lbz2" \
      LIBMPDEC_CFLAGS="-I$mpdec/include" LIBMPDEC_LIBS="-L$mpdec/lib -lmpdec" \
      LIBSQLITE3_CFLAGS="-I$sqlite/include" LIBSQLITE3_LIBS="-L$sqlite/lib -lsqlite3" \
      PATH="$sdk/bin:$PATH" \
      ../Python-3.13.5/configure -C --host=wasm32-wasip1 --build="$(../Python-3.13.5/config.guess)" \
      --with-build-python="$dir/build/python" --with-system-libmpdec >../wasi.log 2>&1
    make -j"$jobs" >>../wasi.log 2>&1
  )
  echo "$(now) - $t0" | bc
}

tool_times=()
manual_times=()
overheads=()
for i in $(seq "$runs"); do
  echo "bench: run $i: by hand" >&2
  manual_times+=("$(manual_run "$i")")
  echo "bench: run $i: xtask bootstrap in a fresh work dir, offline" >&2
  tool_times+=("$(tool_run "$i")")
  steps=$(grep -oE '^build: .* done in [0-9.]+s' "$scratch/fresh$i.log" | grep -oE '[0-9.]+s$' | tr -d s | paste -sd+ | bc)
  overheads+=("$(echo "${tool_times[-1]} - $steps" | bc)")
  downloads=$(grep -c '^fetch: .* from ' "$scratch/fresh$i.log" || true)
  dep_builds=$(grep -c '^deps: building' "$scratch/fresh$i.log" || true)
  echo "bench: run $i: by hand ${manual_times[-1]}s, xtask ${tool_times[-1]}s (steps ${steps}s), downloads $downloads, dep builds $dep_builds" >&2
done

echo "bench: no-op second bootstrap" >&2
t0=$(now)
xtask bootstrap --target wasi --python 3.13.5 --offline --work-dir "$scratch/fresh1" 2>"$scratch/noop.log"
noop=$(echo "$(now) - $t0" | bc)
grep -q '^build: nothing changed' "$scratch/noop.log" || { echo "bench: the second bootstrap rebuilt something" >&2; exit 1; }

sums=$(for d in "$scratch"/warm "$scratch"/fresh[0-9]*/; do sha256sum <"${d%/}/wasi/python.wasm" | cut -d' ' -f1; done | sort -u)
identical=no
[ "$(echo "$sums" | wc -l)" = 1 ] && identical=yes

mean() { printf '%s\n' "$@" | paste -sd+ | sed 's/^/(/; s/$/)/' | sed "s|\$|/$#|" | bc -l; }
m=$(mean "${manual_times[@]}")
t=$(mean "${tool_times[@]}")
o=$(mean "${overheads[@]}")
printf '| bootstrap wasi 3.13, fresh work dir, warm cache (mean of %s) | by hand %.1fs | xtask %.1fs | ratio %.3f | xtask own overhead %.1fs (%.2f%%) | downloads %s, dep builds %s |\n' \
  "$runs" "$m" "$t" "$(echo "$t / $m" | bc -l)" "$o" "$(echo "100 * $o / $t" | bc -l)" "$downloads" "$dep_builds"
printf '| no-op second bootstrap | %.2fs |\n' "$noop"
printf '| python.wasm bit-identical across %s work dirs | %s (%s) |\n' "$((runs + 1))" "$identical" "$(echo "$sums" | head -1)"
