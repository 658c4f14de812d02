#!/usr/bin/env bash
# The bootstrap's overhead, in one run, on the fixture toolchain (e2e/fixtures.sh):
#   1. xtask:  cargo xtask bootstrap --target wasi --python 3.13 in a fresh work dir, warm cache
#              (also checks: 0 bytes downloaded, deps not rebuilt)
#   2. manual: the same configure/make by hand, on the same installed SDK and dependency builds
#   3. no-op:  a second bootstrap with nothing changed
#   4. reproducibility: python.wasm of the warm-up and the fresh work dir compared byte for byte
#
#   bench/bootstrap.sh [SCRATCH_DIR]     (default /var/tmp/xtask-bench-bootstrap)
set -euo pipefail
cd "$(dirname "$0")/.."
scratch=$(realpath -m "${1:-/var/tmp/xtask-bench-bootstrap}")
fixtures=/var/tmp/xtask-fixtures
jobs=$(nproc)
mkdir -p "$scratch"
[ -f "$fixtures/overlay.toml" ] || e2e/fixtures.sh "$fixtures"
cargo build --quiet -p xtask
xtask() { target/debug/xtask "$@" --cache-dir "$scratch/cache" --overlay "$fixtures/overlay.toml" --progress lines; }
now() { date +%s.%N; }

echo "bench: warming the cache (downloads, toolchains, deps) with a first bootstrap" >&2
xtask bootstrap --target wasi --python 3.13 --mirror "$fixtures/mirror" --work-dir "$scratch/warm" >/dev/null 2>"$scratch/warm.log"

echo "bench: xtask bootstrap in a fresh work dir, offline" >&2
rm -rf "$scratch/fresh"
t0=$(now)
xtask bootstrap --target wasi --python 3.13 --offline -j "$jobs" --work-dir "$scratch/fresh" 2>"$scratch/fresh.log"
tool=$(echo "$(now) - $t0" | bc)
downloads=$(grep -c '^fetch: .* from ' "$scratch/fresh.log" || true)
dep_builds=$(grep -c '^deps: building' "$scratch/fresh.log" || true)

echo "bench: the same configure/make by hand" >&2
sdk=$(ls -d "$scratch"/cache/toolchains/wasi-sdk-24-*)
zlib=$(ls -d "$scratch"/cache/deps/wasm32-wasip1/zlib-*)
bzip2=$(ls -d "$scratch"/cache/deps/wasm32-wasip1/bzip2-*)
tarball=$(ls "$scratch"/cache/downloads/*/Python-3.13.5.tar.xz)
rm -rf "$scratch/manual" && mkdir -p "$scratch/manual/build" "$scratch/manual/wasi"
t0=$(now)
(
  cd "$scratch/manual"
  tar -xJf "$tarball"
  touch Python-3.13.5/Modules/Setup.local
  cd build && ../Python-3.13.5/configure -C >../build.log 2>&1 && make -j"$jobs" >>../build.log 2>&1
  cd ../wasi
  sysroot=$sdk/share/wasi-sysroot
  env CONFIG_SITE=../Python-3.13.5/Tools/wasm/config.site-wasm32-wasi \
    CC="$sdk/bin/clang --sysroot=$sysroot" CPP="$sdk/bin/clang-cpp --sysroot=$sysroot" \
    CXX="$sdk/bin/clang++ --sysroot=$sysroot" AR="$sdk/bin/llvm-ar" RANLIB="$sdk/bin/ranlib" \
    PKG_CONFIG_PATH= PKG_CONFIG_LIBDIR="$sysroot/lib/pkgconfig" PKG_CONFIG_SYSROOT_DIR="$sysroot" \
    ZLIB_CFLAGS="-I$zlib/include" ZLIB_LIBS="-L$zlib/lib -lz" BZIP2_CFLAGS="-I$bzip2/include" BZIP2_LIBS="-L$bzip2/lib -lbz2" \
    PATH="$sdk/bin:$PATH" \
    ../Python-3.13.5/configure -C --host=wasm32-wasip1 --build="$(../Python-3.13.5/config.guess)" \
    --with-build-python="$scratch/manual/build/python" >../wasi.log 2>&1
  make -j"$jobs" >>../wasi.log 2>&1
)
manual=$(echo "$(now) - $t0" | bc)

echo "bench: no-op second bootstrap" >&2
t0=$(now)
xtask bootstrap --target wasi --python 3.13 --offline --work-dir "$scratch/fresh" 2>"$scratch/noop.log"
noop=$(echo "$(now) - $t0" | bc)
grep -q '^build: nothing changed' "$scratch/noop.log" || { echo "bench: the second bootstrap rebuilt something" >&2; exit 1; }

warm_sum=$(sha256sum <"$scratch/warm/wasi/python.wasm" | cut -d' ' -f1)
fresh_sum=$(sha256sum <"$scratch/fresh/wasi/python.wasm" | cut -d' ' -f1)
identical=no
[ "$warm_sum" = "$fresh_sum" ] && identical=yes

printf '| bootstrap wasi 3.13, fresh work dir, warm cache | by hand %.1fs | xtask %.1fs | ratio %.3f | downloads %s, dep builds %s |\n' \
  "$manual" "$tool" "$(echo "$tool / $manual" | bc -l)" "$downloads" "$dep_builds"
printf '| no-op second bootstrap | %.2fs |\n' "$noop"
printf '| python.wasm bit-identical across two work dirs | %s (%s) |\n' "$identical" "$fresh_sum"
