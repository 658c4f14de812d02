#!/usr/bin/env bash
# A buildbot fleet, in one run per target, on the fixture toolchain (e2e/fixtures.sh) with a real
# Redis (Debian's redis-server on a free loopback port, data in the scratch dir):
#   1. cold:   buildbot A's first bootstrap: empty cache dir, empty work dir, empty Redis
#              (--compiler-cache ccache --compiler-cache-remote redis://…: it fills both)
#   2. fresh:  buildbot A again in a new work dir, with its cache dir (local ccache objects,
#              configure seeds, downloads, toolchains, libraries); no remote
#   3. second: buildbot B: a new cache dir and a new work dir; only the Redis is shared
#   4. no-op:  buildbot B's bootstrap again
#   5. stopped (WASI only): buildbot C, a new cache and work dir, with the Redis stopped as its
#              `make build python` starts: the build must go on and make the same bytes
# Each is the whole `bootstrap` (fetch from a loopback mirror, install, libraries, build Python,
# configure, make, smoke test). Prints the times as ratios of the cold one, the compile hit rate
# of the make steps (from the compiler-cache events), the configure seconds, and compares the
# interpreter the three builds made byte for byte.
#
#   bench/fleet.sh [SCRATCH_DIR]     (default /var/tmp/xtask-bench-fleet; TARGETS="wasi emscripten-node")
set -euo pipefail
cd "$(dirname "$0")/.."
. e2e/serve.sh
scratch=$(realpath -m "${1:-/var/tmp/xtask-bench-fleet}")
targets=${TARGETS:-wasi emscripten-node}
fixtures=/var/tmp/xtask-fixtures
rm -rf "$scratch"
mkdir -p "$scratch/redis"
[ -f "$fixtures/overlay.toml" ] || e2e/fixtures.sh "$fixtures"
cargo build --quiet -p xtask

serve "$fixtures/mirror" "$scratch/mirror.log"
mirror=http://127.0.0.1:$port
redis_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
start_redis() {
  redis-server --port "$redis_port" --bind 127.0.0.1 --dir "$scratch/redis" --save '' --appendonly no \
    --logfile "$scratch/redis/redis.log" &
  serve_pids+=($!)
  for _ in $(seq 50); do redis-cli -p "$redis_port" ping >/dev/null 2>&1 && break; sleep 0.1; done
}
start_redis
remote=redis://127.0.0.1:$redis_port

now() { date +%s.%N; }
# run NAME CACHE WORK [FLAGS…]: one bootstrap, its events in NAME.jsonl and its log in NAME.log.
run() {
  local name=$1 cache=$2 work=$3
  shift 3
  local started
  started=$(now)
  target/debug/xtask bootstrap --target "$target" --python 3.13.5 --mirror "$mirror" \
    --overlay "$fixtures/overlay.toml" --cache-dir "$cache" --work-dir "$work" --progress lines \
    --message-format json "$@" >"$scratch/$target-$name.jsonl" 2>"$scratch/$target-$name.log" ||
    { echo "bench: $target $name failed; see $scratch/$target-$name.log" >&2; exit 1; }
  echo "$name $(echo "$(now) - $started" | bc)" >>"$scratch/$target-times.txt"
  echo "bench: $target $name done" >&2
}

for target in $targets; do
  redis-cli -p "$redis_port" flushall >/dev/null
  rm -f "$scratch/$target-times.txt"
  cached=(--compiler-cache ccache)
  a=$scratch/$target-a-cache
  b=$scratch/$target-b-cache
  run cold "$a" "$scratch/$target-a1" "${cached[@]}" --compiler-cache-remote "$remote"
  run fresh "$a" "$scratch/$target-a2" "${cached[@]}"
  run second "$b" "$scratch/$target-b1" "${cached[@]}" --compiler-cache-remote "$remote"
  run noop "$b" "$scratch/$target-b1" "${cached[@]}" --compiler-cache-remote "$remote"
  keys=$(redis-cli -p "$redis_port" dbsize)
  if [ "$target" = wasi ]; then
    (
      until grep -q '^build: make build python (log' "$scratch/$target-stopped.log" 2>/dev/null; do sleep 0.2; done
      redis-cli -p "$redis_port" shutdown nosave >/dev/null 2>&1 || true
    ) &
    run stopped "$scratch/$target-c-cache" "$scratch/$target-c1" "${cached[@]}" --compiler-cache-remote "$remote"
    start_redis
  fi
  python3 bench/fleet_report.py "$scratch" "$target" "$keys"
done
