# Sourced by e2e/run.sh and bench/*.sh: serve a directory on 127.0.0.1 with Python's static file
# server. `serve DIR LOG` starts it, sets $port, and stops it when the calling script exits.
# Every server started here (and any pid a caller adds to serve_pids) is stopped at exit.
serve_pids=()
trap 'for pid in "${serve_pids[@]}"; do kill "$pid" 2>/dev/null || true; done' EXIT
serve() {
  python3 -u -m http.server 0 --bind 127.0.0.1 --directory "$1" >"$2" 2>&1 &
  local pid=$!
  serve_pids+=("$pid")
  port=
  for _ in $(seq 100); do
    port=$(grep -oE 'port [0-9]+' "$2" | head -1 | cut -d' ' -f2 || true)
    [ -n "$port" ] && return 0
    sleep 0.1
  done
  echo "serve: the server for $1 did not start (see $2)" >&2
  return 1
}
