#!/usr/bin/env python3
"""The soak: seeded runs of the fault-free scenarios and the smoke scenarios, in every mode,
counting verdicts other than expected (docs/detection.md, "Zero false alarms").

Each round runs one scenario in one mode (`faultline run --mode`) with a new seed (base seed +
round): the mode with the fewest counted runs so far, and the next scenario in turn among those
that run in that mode, until every mode has --runs runs or --minutes have passed; a run still
going at the deadline finishes. So the modes fill evenly although most scenarios are
exactly-once only. A run's verdict counts against its scenario's expectation for its mode;
scenarios that expect `any` there do not count. Every run keeps its store entry (history,
results, report, node logs); one that is not valid also keeps its data (input, output,
checkpoints), so an unexpected verdict explains itself. With --load N, N busy
processes share the cores for the whole soak (the machine CI runs on is shared).

Writes <store>/soak.json and prints a summary. Exit status: 0 every counted run as expected,
1 some were not, 2 a set-up error. Run through scripts/soak.sh.
"""

import argparse
import json
import os
import signal
import subprocess
import sys
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MODES = ["at-most-once", "at-least-once", "exactly-once"]
RUN_TIMEOUT_S = 900  # a scenario's own deadlines are far shorter; this only stops a hang


def log(msg):
    print(f"soak: {msg}", file=sys.stderr, flush=True)


def suite_files(suite):
    with open(suite, encoding="utf-8") as f:
        listed = json.load(f)["scenarios"]
    return [os.path.join(os.path.dirname(suite), name) for name in listed]


def scenario_modes(path):
    """The modes `path` runs in, as `faultline run` reads its "mode" (one or a list)."""
    with open(path, encoding="utf-8") as f:
        mode = json.load(f).get("mode", MODES)
    return [mode] if isinstance(mode, str) else list(mode)


def run_dirs(store, before):
    """Run directories (holding results.json) under `store` that were not in `before`."""
    found = set()
    for root, _, files in os.walk(store):
        if "results.json" in files and "scenario.json" in files:
            found.add(root)
    return sorted(found - before)


def judge(run_dir):
    with open(os.path.join(run_dir, "results.json"), encoding="utf-8") as f:
        results = json.load(f)
    with open(os.path.join(run_dir, "scenario.json"), encoding="utf-8") as f:
        scenario = json.load(f)
    mode = results.get("mode")
    expected = scenario.get("expect", {}).get(mode, "valid")
    valid = results.get("valid")
    verdict = "unknown" if valid == "unknown" else ("valid" if valid else "invalid")
    return {"run": run_dir, "scenario": scenario.get("name"), "seed": scenario.get("seed"),
            "mode": mode, "expected": expected, "verdict": verdict,
            "as_expected": expected == "any" and verdict != "unknown" or verdict == expected,
            "counted": expected != "any",
            "unknown_reasons": results.get("unknown_reasons", []),
            "failing": sorted(name for name, c in results.get("checkers", {}).items()
                              if isinstance(c, dict) and c.get("failing"))}


def start_load(n):
    return [subprocess.Popen([sys.executable, "-c", "while True: pass"], start_new_session=True)
            for _ in range(n)]


def stop(procs):
    for p in procs:
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        p.wait()


def summary(runs, seconds, load):
    lines = [f"soak: {len(runs)} runs in {seconds / 60:.1f} min"
             + (f" with {load} busy processes" if load else "")]
    lines.append(f"{'mode':<15}{'counted':>8}{'as expected':>13}{'invalid':>9}{'unknown':>9}"
                 f"{'not counted':>13}")
    for mode in MODES:
        mine = [r for r in runs if r["mode"] == mode]
        counted = [r for r in mine if r["counted"]]
        wrong = [r for r in counted if not r["as_expected"]]
        lines.append(f"{mode:<15}{len(counted):>8}{len(counted) - len(wrong):>13}"
                     f"{sum(r['verdict'] == 'invalid' for r in wrong):>9}"
                     f"{sum(r['verdict'] == 'unknown' for r in wrong):>9}"
                     f"{len(mine) - len(counted):>13}")
    for r in runs:
        if r["counted"] and not r["as_expected"]:
            why = ("; ".join(r["unknown_reasons"])
                   or ("failing: " + ", ".join(r["failing"]) if r["failing"] else
                       "no run recorded: the harness's error is in soak.log"))
            lines.append(f"  {r['verdict']} (expected {r['expected']}): {r['scenario']} seed "
                         f"{r['seed']} {r['mode']}: {why}\n    {r['run']}")
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(prog="scripts/soak.sh", description=__doc__.split("\n")[0])
    parser.add_argument("--suite", default="scenarios/soak.json")
    parser.add_argument("--runs", type=int, default=100, help="runs per mode to reach")
    parser.add_argument("--minutes", type=float, default=120, help="time budget")
    parser.add_argument("--seed", type=int, default=None, help="base seed (default: the clock)")
    parser.add_argument("--load", type=int, default=0, help="busy processes beside the runs")
    parser.add_argument("--store", default="", help="default: a new directory in /tmp")
    parser.add_argument("--binary", default="build/release/bin/faultline")
    args = parser.parse_args()
    os.chdir(REPO)
    if not os.access(args.binary, os.X_OK):
        log(f"{args.binary} is not built (cmake --preset release && cmake --build --preset "
            "release)")
        return 2
    try:
        scenarios = suite_files(args.suite)
        by_mode = {m: [s for s in scenarios if m in scenario_modes(s)] for m in MODES}
    except (OSError, ValueError, KeyError, AttributeError) as e:
        log(f"{args.suite}: expected a JSON object with a \"scenarios\" list of scenario "
            f"files: {e}")
        return 2
    modes = [m for m in MODES if by_mode[m]]  # a suite may cover some modes only
    if not modes:
        log(f"{args.suite}: no scenario names a mode")
        return 2
    base_seed = args.seed if args.seed is not None else int(time.time()) % 1_000_000
    store = args.store or f"/tmp/faultline-soak-{time.strftime('%Y%m%dT%H%M%S')}"
    os.makedirs(store, exist_ok=True)
    log(f"base seed {base_seed}; store {store}; {len(scenarios)} scenarios; target {args.runs} "
        f"runs per mode within {args.minutes:g} min")
    load = start_load(args.load)
    runs = []
    t0 = time.monotonic()
    deadline = t0 + args.minutes * 60
    round_no = 0
    turn = {m: 0 for m in modes}
    try:
        while time.monotonic() < deadline:
            counted = {m: sum(r["mode"] == m and r["counted"] for r in runs) for m in modes}
            if all(n >= args.runs for n in counted.values()):
                break
            mode = min(modes, key=lambda m: counted[m])
            scenario = by_mode[mode][turn[mode] % len(by_mode[mode])]
            turn[mode] += 1
            seed = base_seed + round_no
            round_no += 1
            before = set(run_dirs(store, set()))
            cmd = [args.binary, "run", scenario, "--seed", str(seed), "--mode", mode,
                   "--store", store]
            with open(os.path.join(store, "soak.log"), "a", encoding="utf-8") as out:
                out.write(f"\n$ {' '.join(cmd)}\n")
                out.flush()
                proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT,
                                        start_new_session=True)
                try:
                    rc = proc.wait(timeout=RUN_TIMEOUT_S)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait()
                    rc = -1
            new = [judge(d) for d in run_dirs(store, before)]
            if not new:
                # A harness error before any run was made: it counts against every mode named.
                runs.append({"run": store, "scenario": os.path.basename(scenario), "seed": seed,
                             "mode": mode, "expected": "valid", "verdict": f"error (exit {rc})",
                             "as_expected": False, "counted": True, "unknown_reasons": [],
                             "failing": []})
                log(f"{os.path.basename(scenario)} seed {seed} {mode}: no run recorded "
                    f"(exit {rc}); see {store}/soak.log")
            for r in new:
                runs.append(r)
                mark = "ok" if r["as_expected"] or not r["counted"] else "UNEXPECTED"
                log(f"{r['scenario']} seed {seed} {r['mode']}: {r['verdict']} ({mark})")
            with open(os.path.join(store, "soak.json"), "w", encoding="utf-8") as f:
                json.dump({"base_seed": base_seed, "load": args.load, "runs": runs,
                           "seconds": round(time.monotonic() - t0)}, f, indent=1)
    finally:
        stop(load)
    text = summary(runs, time.monotonic() - t0, args.load)
    print(text)
    with open(os.path.join(store, "summary.txt"), "w", encoding="utf-8") as f:
        f.write(text + "\n")
    return 0 if all(r["as_expected"] or not r["counted"] for r in runs) else 1


if __name__ == "__main__":
    sys.exit(main())
