#!/usr/bin/env bash
# The web bundle's stdlib step against CPython's own, in one run, on a built 3.13 browser target:
#   1. xtask:    the `web bundle` step (select, compile with the build Python, deterministic zip,
#                assemble the bundle), forced by removing its stamp; its time from the step's log line
#   2. upstream: `make wasm_stdlib` in the same build dir (CPython 3.13's Tools/wasm/wasm_assets.py:
#                PyZipFile of the stdlib, timestamp .pyc), forced with -W on the script. PyZipFile
#                reuses the .pyc it left in the source's Lib/**/__pycache__, so those are removed
#                before each run (cold, like the xtask step, which compiles into its own scratch):
#                run it on a work dir's extracted release, not on a checkout you care about
# alternating, RUNS times each (default 3); prints each time and the ratio of the means.
#
#   bench/web-bundle.sh WORK_DIR -- BOOTSTRAP ARGS…
# WORK_DIR holds a 3.13 emscripten-browser build; BOOTSTRAP ARGS are the flags it was built with
# (for example --python 3.13.5 --offline --overlay F --cache-dir C).
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(realpath "$1")
shift
[ "${1:-}" = "--" ] && shift
runs=${RUNS:-3}
build=$work/emscripten-browser
[ -f "$build/Makefile" ] || { echo "bench: no emscripten-browser build in $work" >&2; exit 1; }
src=$(sed -n 's/^srcdir=[[:space:]]*//p' "$build/Makefile")
script=$src/Tools/wasm/wasm_assets.py
grep -q '^wasm_stdlib:' "$build/Makefile" && [ -f "$build/$script" ] ||
  { echo "bench: the build's Makefile has no wasm_stdlib rule (3.13 only)" >&2; exit 1; }
cargo build --quiet -p xtask
now() { date +%s.%N; }
xtask_times=() upstream_times=()
for i in $(seq "$runs"); do
  rm -f "$work/stamps/emscripten-browser/web-bundle.stamp"
  target/debug/xtask bootstrap --target emscripten-browser --work-dir "$work" --no-test --progress lines "$@" \
    >"$work/bench-web.log" 2>&1
  t=$(grep -oE '^build: web bundle done in [0-9.]+s' "$work/bench-web.log" | grep -oE '[0-9.]+' | head -1)
  [ -n "$t" ] || { echo "bench: the web bundle step did not run (see $work/bench-web.log)" >&2; exit 1; }
  xtask_times+=("$t")
  (cd "$build" && find "$src/Lib" -name __pycache__ -type d -prune -exec rm -rf {} +)
  start=$(now)
  (cd "$build" && make -s -W "$script" wasm_stdlib >"$work/bench-upstream.log" 2>&1)
  upstream_times+=("$(echo "$(now) - $start" | bc)")
  grep -q '^Created .*python313\.zip' "$work/bench-upstream.log" ||
    { echo "bench: make wasm_stdlib did not write the zip (see $work/bench-upstream.log)" >&2; exit 1; }
  echo "run $i: xtask web bundle ${xtask_times[-1]} s, upstream wasm_stdlib ${upstream_times[-1]} s"
done
mean() { printf '%s\n' "$@" | awk '{ s += $1 } END { printf "%.2f", s / NR }'; }
x=$(mean "${xtask_times[@]}") u=$(mean "${upstream_times[@]}")
echo "mean: xtask $x s (select, compile, zip, copy module and wasm, page), upstream $u s (zip only); ratio $(echo "scale=3; $x / $u" | bc)"
