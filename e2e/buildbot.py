#!/usr/bin/env python3
"""A buildbot-style driver: runs bootstrap, the smoke test and failing runs of the real WASI build
with --message-format json, charts the steps from the events alone (every event checked against
docs/events.schema.json) and tells the failures apart by exit code only.

  e2e/buildbot.py XTASK CACHE WORK OVERLAY
"""

import socket
import subprocess
import sys

import events

xtask, cache, work, overlay = sys.argv[1:]
SOURCE = ["--target", "wasi", "--python", "3.13.5", "--work-dir", work]
SHARED = ["--cache-dir", cache, "--overlay", overlay, "--offline", "--message-format", "json"]


def run(name, args, expected):
    """Runs one job; checks its exit code and that its `result` event says the same."""
    # The shared flags go before a `--`, whose arguments are regrtest's.
    cut = args.index("--") if "--" in args else len(args)
    command = [xtask, *args[:cut], *SHARED, *args[cut:]]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    seen = events.read(done.stdout)
    result = seen[-1]
    print(f"--- {name}: exit {done.returncode}")
    print(events.chart(seen))
    if done.returncode != expected or result["exit_code"] != expected:
        tail = done.stderr[-2000:]
        raise SystemExit(f"buildbot: {name}: expected exit {expected}, got {done.returncode}:\n{tail}")
    return seen


def closed_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


seen = run("bootstrap (no-op)", ["bootstrap", *SOURCE], 0)
events.noop(seen)
run("smoke test", ["test", *SOURCE], 0)
seen = run("a failing test", ["test", *SOURCE, "--suite", "full", "--", "test_xtask_no_such_test"], 6)
events.suite(seen, "FAILURE then FAILURE")
seen = run("a hung test", ["test", *SOURCE, "--suite", "full", "--step-timeout", "3s", "--", "test_decimal"], 124)
assert [e["failure"] for e in seen if e["event"] == "step-failed"] == ["timeout"], seen
run("a line with no release", ["bootstrap", "--target", "wasi", "--python", "3.16", "--work-dir", work], 3)
run("a typo", ["bootstrap", "--target", "wasi", "--python", "three"], 2)
mirror = f"http://127.0.0.1:{closed_port()}"
fetch = ["fetch", "--target", "wasi", "--python", "3.13.5", "--mirror", mirror, "--timeout", "2", "--overlay", overlay]
done = subprocess.run([xtask, *fetch, "--cache-dir", f"{cache}-buildbot-empty", "--message-format", "json"],
                      capture_output=True, text=True, check=False)
if done.returncode != 4:
    raise SystemExit(f"buildbot: a dead mirror: expected exit 4, got {done.returncode}: {done.stderr[-1000:]}")
events.read(done.stdout)
print("buildbot: exit codes 0, 0, 6 (test), 124 (timeout), 3 (input), 2 (usage), 4 (network): told apart")
