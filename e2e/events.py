#!/usr/bin/env python3
"""Reads `cargo xtask --message-format json` output: checks each event against
docs/events.schema.json (Debian's python3-jsonschema), charts steps, and answers the questions the
real-build tier asks, so it asserts on events instead of on sentences.

  e2e/events.py noop FILE [TARGETS]   a no-op run: nothing fetched, extracted, installed or built
  e2e/events.py suite FILE RESULT [LEFT_OUT]   the suite's result (and known failures left out)
  e2e/events.py chart FILE            the steps as a table
  e2e/events.py hits FILE MIN_RATE    the make steps' compile hit rate (compiler-cache events) is at least MIN_RATE
  e2e/events.py seeded FILE           every configure step that ran started from a seed (configure-seed events)
"""

import json
import pathlib
import sys

import jsonschema

SCHEMA = json.loads((pathlib.Path(__file__).parent.parent / "docs/events.schema.json").read_text())
BUSY = {"fetch", "source", "toolchain", "deps", "build"}


def read(text):
    """The events of one run's stdout, each checked against the schema; the run ends in `result`."""
    events = []
    for line in text.splitlines():
        event = json.loads(line)
        jsonschema.validate(event, SCHEMA)
        events.append(event)
    if not events or events[0]["event"] != "start" or events[-1]["event"] != "result":
        raise SystemExit(f"events: a run starts with `start` and ends with `result`: {text[-500:]}")
    return events


def steps(events):
    """(stage, step, target, status, seconds) per step, in order."""
    rows = []
    for event in events:
        kind = event["event"]
        if kind.startswith("step-") and kind != "step-started":
            status = kind.removeprefix("step-")
            rows.append((event["stage"], event["step"], event["target"] or "", status, event.get("seconds")))
    return rows


def chart(events):
    lines = [f"{'stage':10} {'step':44} {'target':20} {'status':9} seconds"]
    for stage, step, target, status, seconds in steps(events):
        shown = "" if seconds is None else f"{seconds:8.3f}"
        lines.append(f"{stage:10} {step[:44]:44} {target:20} {status:9} {shown}")
    result = events[-1]
    lines.append(f"result: {result['command']} exit {result['exit_code']} ({result['failure'] or 'ok'}) in {result['seconds']} s")
    return "\n".join(lines)


def noop(events, targets=1):
    busy = [e for e in events if e["event"] == "step-started" and e["stage"] in BUSY]
    if busy:
        raise SystemExit(f"events: a no-op run started {[(e['stage'], e['step']) for e in busy]}")
    built = [e for e in events if e["event"] == "step-skipped" and e["stage"] == "build"]
    if len({e["target"] for e in built}) != targets or not events[-1]["ok"]:
        raise SystemExit(f"events: expected {targets} target(s) all up to date, ok: {chart(events)}")


def suite(events, result, left_out=None):
    found = [e for e in events if e["event"] == "suite"]
    if len(found) != 1 or found[0]["result"] != result:
        raise SystemExit(f"events: expected one suite with result {result}: {found}")
    if left_out is not None and found[0]["left_out"] != left_out:
        raise SystemExit(f"events: expected {left_out} known failures left out: {found[0]}")


def hits(events, min_rate):
    makes = [e for e in events if e["event"] == "compiler-cache" and e["step"].startswith("make")]
    for e in makes:
        print(f"{e['target'] or '':8} {e['step']:20} {e['hits']:5} hits ({e['remote_hits']} remote) {e['misses']:5} misses, remote {e['remote']}")
    hit, missed = sum(e["hits"] for e in makes), sum(e["misses"] for e in makes)
    if not makes or hit + missed == 0 or hit / (hit + missed) < min_rate:
        raise SystemExit(f"events: the make steps' hit rate is below {min_rate}: {hit} hits, {missed} misses")
    print(f"make steps: {hit} hits, {missed} misses: {100 * hit / (hit + missed):.1f} %")


def seeded(events):
    seeds = [e for e in events if e["event"] == "configure-seed"]
    if not seeds or not all(e["seeded"] for e in seeds):
        raise SystemExit(f"events: expected every configure seeded: {seeds}")
    print(f"seeded: {', '.join(e['step'] for e in seeds)}")


if __name__ == "__main__":
    command, path, *rest = sys.argv[1:]
    seen = read(pathlib.Path(path).read_text())
    if command == "noop":
        noop(seen, int(rest[0]) if rest else 1)
    elif command == "suite":
        suite(seen, rest[0], int(rest[1]) if len(rest) > 1 else None)
    elif command == "seeded":
        seeded(seen)
    elif command == "hits":
        hits(seen, float(rest[0]))
    elif command == "chart":
        print(chart(seen))
    else:
        raise SystemExit(f"events: unknown command {command}")
