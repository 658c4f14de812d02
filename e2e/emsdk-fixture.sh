# Sourced by e2e/fixtures.sh: an emsdk-shaped emscripten release and a Node release, assembled
# from Debian's packages, for the emscripten targets.
#
# The release layout it imitates (emsdk's wasm-binaries.tar.xz): a top directory `install/` with
#   bin/        clang, wasm-ld, llvm-* and binaryen's wasm-opt and friends
#   emscripten/ emcc, its JS library, system/ sources and cache/ (the prebuilt sysroot)
# Here bin/ holds scripts: the LLVM tools run bookworm's clang 19; binaryen 120 (trixie) runs
# through trixie's own loader and libraries, packed under lib/binaryen-rt. emscripten/ is trixie's
# emscripten 3.1.69 with acorn from npm (its JS optimizer imports it). The cache keeps the plain
# and PIC libraries and drops the threaded, GL and sanitizer variants (emcc builds any variant it
# lacks from system/).
#
# Node: the machine's own node (installed from Debian if missing), packed like nodejs.org's
# node-vX-linux-x64.tar.gz.

emsdk_fixture_script=$(realpath "${BASH_SOURCE[0]}")

emsdk_fetch() {
  cd "$work"
  ls emscripten_*_all.deb >/dev/null 2>&1 ||
    suite_apt trixie download emscripten binaryen libc6 libstdc++6 libgcc-s1 >&2
  command -v node >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -q nodejs npm >&2
  command -v npm >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -q npm >&2
}

make_emsdk() {
  local d=$work/emsdk/install
  rm -rf "$work/emsdk" "$work/emsdk-debs"
  mkdir -p "$d/bin" "$d/lib/binaryen-rt" "$work/emsdk-debs"
  dpkg-deb --fsys-tarfile "$work"/emscripten_*_all.deb | tar -x -C "$work/emsdk-debs" \
    --exclude=./usr/share/emscripten/test --exclude=./usr/share/emscripten/docs \
    --exclude='./usr/share/emscripten/cache/sysroot/lib/wasm32-emscripten/lto*'
  mv "$work/emsdk-debs/usr/share/emscripten" "$d/emscripten"
  local cache=$d/emscripten/cache
  rm -rf "$d/emscripten/.emscripten" "$d/emscripten/node_modules" "$cache/ports" "$cache/ports-builds" \
    "$cache/symbol_lists" "$cache"/*.lock "$cache/sanity.txt"
  find "$cache/sysroot/lib" \( -name '*-mt*' -o -name '*-ww*' -o -name 'libGL*' -o -name '*san*' \) -delete
  (cd "$d/emscripten" && npm install --silent --no-save --no-package-lock --no-audit --no-fund acorn@8.12.1 >&2)
  rm -rf "$d/emscripten/node_modules/.bin"

  for tool in clang clang++ wasm-ld llvm-ar llvm-nm llvm-ranlib llvm-objcopy llvm-dwarfdump llvm-strip \
    llvm-symbolizer llvm-readobj; do
    wrap "$d/bin/$tool" "/usr/bin/$tool-19"
  done
  wrap "$d/bin/clang-cpp" "/usr/bin/clang-cpp-19"

  local rt=$d/lib/binaryen-rt
  for deb in binaryen libc6 libstdc++6 libgcc-s1; do
    dpkg-deb -x "$work"/"${deb}"_*.deb "$work/emsdk-debs/rt"
  done
  mv "$work/emsdk-debs/rt/usr/lib/x86_64-linux-gnu" "$rt/lib"
  mv "$work/emsdk-debs/rt/usr/bin" "$rt/bin"
  local tool
  for tool in "$rt"/bin/wasm*; do
    tool=$(basename "$tool")
    cat >"$d/bin/$tool" <<EOF
#!/bin/sh
rt=\$(dirname "\$(readlink -f "\$0")")/../lib/binaryen-rt
exec "\$rt/lib/ld-linux-x86-64.so.2" --library-path "\$rt/lib" "\$rt/bin/$tool" "\$@"
EOF
    chmod +x "$d/bin/$tool"
  done
  "$d/bin/wasm-opt" --version >&2
  rm -rf "$work/emsdk-debs"
  mkdir -p "$out/mirror/emscripten"
  tar -C "$work/emsdk" --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 -cf - install |
    xz -T2 -1 >"$out/mirror/emscripten/wasm-binaries.tar.xz.tmp"
  mv "$out/mirror/emscripten/wasm-binaries.tar.xz.tmp" "$out/mirror/emscripten/wasm-binaries.tar.xz"
  emsdk_version=$(tr -d '"\n' <"$d/emscripten/emscripten-version.txt")
}

make_node() {
  node_version=$(node --version | tr -d v)
  local name=node-v$node_version-linux-x64
  rm -rf "${work:?}/$name"
  mkdir -p "$work/$name/bin"
  install -m 755 "$(readlink -f "$(command -v node)")" "$work/$name/bin/node"
  mkdir -p "$out/mirror/node"
  tar -C "$work" --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 -czf \
    "$out/mirror/node/$name.tar.gz" "$name"
}

# Skips the slow rebuild when the mirror already holds both archives from the same inputs.
emsdk_fixtures() {
  local stamp=$out/mirror/emscripten/.inputs inputs
  emsdk_fetch
  inputs=$(cd "$work" && sha256sum emscripten_*_all.deb binaryen_*.deb "$emsdk_fixture_script" 2>/dev/null | cut -c1-64 | tr '\n' ' ')
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$inputs" ] && [ -f "$out/mirror/emscripten/wasm-binaries.tar.xz" ]; then
    emsdk_version=$(cat "$out/mirror/emscripten/.version")
  else
    log "assembling an emsdk-shaped emscripten release (a few minutes)"
    make_emsdk
    echo "$emsdk_version" >"$out/mirror/emscripten/.version"
    echo "$inputs" >"$stamp"
  fi
  make_node
}
