# Sourced by e2e/fixtures.sh: an emsdk-shaped emscripten release, assembled from Debian's packages,
# for the emscripten targets.
#
# The release layout it imitates (emsdk's wasm-binaries.tar.xz): a top directory `install/` with
#   bin/        clang, wasm-ld, llvm-* and binaryen's wasm-opt and friends
#   emscripten/ emcc, its JS library, system/ sources and cache/ (the prebuilt sysroot)
# Here bin/ holds scripts: the LLVM tools run bookworm's clang 19; binaryen 120 (trixie) runs
# through trixie's own loader and libraries, packed under lib/binaryen-rt. emscripten/ is trixie's
# emscripten 3.1.69 with acorn from npm (its JS optimizer imports it). The cache keeps the plain
# and PIC libraries and drops the threaded, GL and sanitizer variants (emcc builds any variant it
# lacks from system/). The emscripten version is written to .version for the overlay.

# The pinned files (e2e/fixtures.toml) the recipe reads.
emsdk_inputs=(emscripten_3.1.69+dfsg-3_all.deb binaryen_120-4_amd64.deb libc6_2.41-12+deb13u5_amd64.deb
  libstdc++6_14.2.0-19_amd64.deb libgcc-s1_14.2.0-19_amd64.deb acorn-8.12.1.tgz)

emsdk_recipe() {
  local dest=$1 files=$2 tmp=$3
  local d=$tmp/install debs=$tmp/debs
  mkdir -p "$d/bin" "$d/lib/binaryen-rt" "$debs"
  dpkg-deb --fsys-tarfile "$files/emscripten_3.1.69+dfsg-3_all.deb" | tar -x -C "$debs" \
    --exclude=./usr/share/emscripten/test --exclude=./usr/share/emscripten/docs \
    --exclude='./usr/share/emscripten/cache/sysroot/lib/wasm32-emscripten/lto*'
  mv "$debs/usr/share/emscripten" "$d/emscripten"
  local cache=$d/emscripten/cache
  rm -rf "$d/emscripten/.emscripten" "$d/emscripten/node_modules" "$cache/ports" "$cache/ports-builds" \
    "$cache/symbol_lists" "$cache"/*.lock "$cache/sanity.txt"
  find "$cache/sysroot/lib" \( -name '*-mt*' -o -name '*-ww*' -o -name 'libGL*' -o -name '*san*' \) -delete
  mkdir -p "$d/emscripten/node_modules/acorn"
  tar -xzf "$files/acorn-8.12.1.tgz" -C "$d/emscripten/node_modules/acorn" --strip-components=1

  for tool in clang clang++ wasm-ld llvm-ar llvm-nm llvm-ranlib llvm-objcopy llvm-dwarfdump llvm-strip \
    llvm-symbolizer llvm-readobj; do
    wrap "$d/bin/$tool" "/usr/bin/$tool-19"
  done
  wrap "$d/bin/clang-cpp" "/usr/bin/clang-cpp-19"

  local rt=$d/lib/binaryen-rt deb
  for deb in binaryen_120-4_amd64.deb libc6_2.41-12+deb13u5_amd64.deb libstdc++6_14.2.0-19_amd64.deb \
    libgcc-s1_14.2.0-19_amd64.deb; do
    dpkg-deb -x "$files/$deb" "$debs/rt"
  done
  mv "$debs/rt/usr/lib/x86_64-linux-gnu" "$rt/lib"
  mv "$debs/rt/usr/bin" "$rt/bin"
  local tool
  for tool in "$rt"/bin/wasm*; do
    tool=$(basename "$tool")
    cat >"$d/bin/$tool" <<EOS
#!/bin/sh
rt=\$(dirname "\$(readlink -f "\$0")")/../lib/binaryen-rt
exec "\$rt/lib/ld-linux-x86-64.so.2" --library-path "\$rt/lib" "\$rt/bin/$tool" "\$@"
EOS
    chmod +x "$d/bin/$tool"
  done
  "$d/bin/wasm-opt" --version >&2
  tr -d '"\n' <"$d/emscripten/emscripten-version.txt" >"$dest/.version"
  pack "$dest/wasm-binaries.tar.xz" "$tmp" install "xz -T2 -1"
}
