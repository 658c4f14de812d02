"""The report of bench/fleet.sh for one target: times as ratios of the cold bootstrap, the make
steps' compile hit rate and the configure times (from the runs' events), and the interpreter of
each build compared byte for byte.

    python3 bench/fleet_report.py SCRATCH TARGET REDIS_KEYS
"""
import hashlib
import json
import pathlib
import sys

scratch, target, redis_keys = pathlib.Path(sys.argv[1]), sys.argv[2], sys.argv[3]
times = dict(line.split() for line in (scratch / f"{target}-times.txt").read_text().splitlines())
works = {"cold": "a1", "fresh": "a2", "second": "b1", "noop": "b1", "stopped": "c1"}
runs = [name for name in works if name in times]


def events(name):
    lines = (scratch / f"{target}-{name}.jsonl").read_text().splitlines()
    return [json.loads(line) for line in lines if line.startswith("{")]


def interpreter(name):
    build = scratch / f"{target}-{works[name]}" / target
    digest = hashlib.sha256()
    for module in sorted(build.glob("*.wasm")):
        digest.update(module.name.encode() + b"\0" + module.read_bytes())
    return digest.hexdigest()[:16]


cold = float(times["cold"])
print(f"\n{target}: {'run':<7} {'seconds':>8} {'of cold':>8}  {'make hits':>10}  {'remote':>6}  configure (s, seeded)")
for name in runs:
    run = events(name)
    caches = [e for e in run if e["event"] == "compiler-cache" and e["step"].startswith("make")]
    hits, misses = sum(e["hits"] for e in caches), sum(e["misses"] for e in caches)
    remote = sum(e["remote_hits"] for e in caches)
    errors = sum(e["remote_errors"] for e in run if e["event"] == "compiler-cache")
    rate = f"{100 * hits / (hits + misses):.1f} %" if hits + misses else "-"
    seeds = {e["step"]: e["seeded"] for e in run if e["event"] == "configure-seed"}
    configure = [
        f"{e['step'].removeprefix('configure ')} {e['seconds']:.1f}{' seeded' if seeds.get(e['step']) else ''}"
        for e in run
        if e["event"] == "step-finished" and e["step"].startswith("configure")
    ]
    seconds = float(times[name])
    down = f", remote errors {errors}" if errors else ""
    print(f"{target}: {name:<7} {seconds:8.1f} {100 * seconds / cold:7.1f} %  {rate:>10}  {remote:>6}  {', '.join(configure) or '-'}{down}")
digests = {name: interpreter(name) for name in runs if name != "noop"}
same = len(set(digests.values())) == 1
print(f"{target}: interpreter (*.wasm) sha256 {'/'.join(digests)}: {' '.join(digests.values())} ({'identical' if same else 'DIFFERENT'})")
# The seeded configure (fresh) against the cold one: pyconfig.h and the Makefile, each work dir's
# path written as WORK.
for build in ["build-python", target]:
    for name in ["pyconfig.h", "Makefile"]:
        texts = []
        for run in ["cold", "fresh"]:
            work = scratch / f"{target}-{works[run]}"
            texts.append((work / build / name).read_text().replace(str(work), "WORK"))
        verdict = "identical" if texts[0] == texts[1] else "DIFFERENT"
        same = same and texts[0] == texts[1]
        print(f"{target}: {build}/{name} of the seeded configure and the cold one: {verdict}")
print(f"{target}: keys in the shared Redis: {redis_keys}")
sys.exit(0 if same else 1)
