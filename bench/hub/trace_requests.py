"""Where a hub upload's time goes under load: every request of web, stage by stage.

    .venv/bin/python bench/hub/trace_requests.py [--seconds 40] [--rounds 4] [--rate 10]

Runs ``bench/hub/run.py``'s paced load (the real processes, the bare handler's
rounds between the hub's) with ``bench/hub/tracehook`` in web, which times
each upload's stages from the moment its handler asks for the key check
(``tracehook/sitecustomize.py`` says which). For each dialect it reports the
median (and quartiles) of when each stage happened, and per request:

- ``wait to start``: from a part's arrival to its check's thread running;
- ``check``: the largest part's check, wall time, its thread's CPU time and
  its time in the kernel's run queue (waiting for a core; the rest of the
  wall time is the GIL and the clock's resolution);
- ``to done``: from its check's and its file's end to the event loop hearing;
- ``stage`` and ``announce``: moving the parts to staging, and JetStream's
  acknowledgement of the event.

Tracing adds a little to every request: compare runs of this tool with each
other, not with ``run.py``'s figures. Results go to
``bench/results/hub_trace.json``; ``run.py``'s results stay as they were.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from run import write_result  # type: ignore[import-not-found,unused-ignore]

ROOT = Path(__file__).resolve().parents[2]
RESULT = ROOT / "bench" / "results" / "hub_trace.json"
LARGEST = {"image_upload": "fullhd", "frames": "frame"}  # the routes' largest parts


def quartiles(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    n = len(ordered)
    return {"p25": round(ordered[n // 4], 2), "p50": round(statistics.median(ordered), 2),
            "p75": round(ordered[3 * n // 4], 2), "n": n}


def summarize(rows: list[dict[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for route, largest in LARGEST.items():
        mine = [r for r in rows if route in r["path"]]
        if not mine:
            continue
        when: dict[str, list[float]] = {}
        derived: dict[str, list[float]] = {k: [] for k in (
            "wait to start", "check wall", "check cpu", "check run queue", "to done",
            "stage", "announce", "total")}
        for row in mine:
            first: dict[str, float] = {}
            details: dict[str, dict[str, float]] = {}
            for stage, at, extra in row["ev"]:
                first.setdefault(stage, at)
                when.setdefault(stage, []).append(at)
                if extra:
                    details[stage] = extra
            check, write = details.get("chk " + largest), details.get("wr " + largest)
            if check is None or "_publish" not in first:
                continue
            derived["wait to start"].append(first["chk " + largest] - first["ask " + largest])
            derived["check wall"].append(check["end"] - first["chk " + largest])
            derived["check cpu"].append(check["cpu"])
            derived["check run queue"].append(check["run_queue"])
            if write is not None and "done " + largest in first:
                derived["to done"].append(first["done " + largest]
                                          - max(check["end"], write["end"]))
            derived["stage"].append(first["stage"] - first["checked"])
            derived["announce"].append(first["_publish"] - first["stage"])
            derived["total"].append(first["_publish"])
        out[route] = {
            "uploads": len(mine),
            "stages_ms_since_start": {k: quartiles(v) for k, v in sorted(
                when.items(), key=lambda kv: statistics.median(kv[1]))},
            "per_request_ms": {k: quartiles(v) for k, v in derived.items() if v},
        }
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=40)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--rate", type=float, default=10)
    parser.add_argument("--out", type=Path, default=RESULT)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="zenith-bench-trace-") as tmp:
        trace = Path(tmp) / "trace.jsonl"
        env = {**os.environ, "ZENITH_BENCH_TRACE": str(trace),
               "PYTHONPATH": os.pathsep.join(filter(None, [
                   str(Path(__file__).resolve().parent / "tracehook"),
                   os.environ.get("PYTHONPATH")]))}
        subprocess.run([sys.executable, str(Path(__file__).with_name("run.py")),
                        "--loads", "paced", "--products-workers", "", "--seconds",
                        str(args.seconds), "--rounds", str(args.rounds), "--rate",
                        str(args.rate), "--out", str(Path(tmp) / "run.json")],
                       env=env, check=True, stdout=subprocess.DEVNULL)
        run = json.loads((Path(tmp) / "run.json").read_text())
        rows = [json.loads(line) for line in trace.read_text().splitlines()]
    if not rows:
        raise SystemExit("web wrote no trace: is bench/hub/tracehook on its PYTHONPATH?")
    result = {"paced": {"hub_p50_ms": run["paced"]["hub"]["p50_ms"],
                        "bare_p50_ms": run["paced"]["baseline_bare_aiohttp"]["p50_ms"],
                        "p50_ratio": run["paced"]["p50_ratio"]},
              "note": "traced: every request carries the trace's own small cost",
              **summarize(rows)}
    write_result(args.out, result)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
