"""Benchmark the public pages of a hub full of history, next to a bare baseline.

    .venv/bin/python bench/pages/run.py [--cameras 100] [--days 365] [--rounds 200]
                                        [--data-dir DIR]

The history is ``zenith hub seed --cameras C --days D`` (registry entries,
three frames, a keogram, startrails and timelapse a night, monthly products,
sky metrics and hourly readings); a year of 100 cameras takes a while to seed
(4.3 min at nice 19 on 2 shared cores, 443,200 files), so ``--data-dir`` keeps and reuses a
seeded dir (its ``seeded.json`` says for what). The stack is the real one:
``zenith dev --hub`` on that dir (every hub service its own process, bus
credentials, SQLite stores; no simulated Zenith cameras, and dev's one
AllSkyKamera client uploading a frame a minute).

The baseline is a bare aiohttp handler in its own process answering a small
static HTML page. Each round requests every target once, the baseline
included, one request at a time (latency, not throughput), so both see the
same machine. Targets: home, the map's data, a camera page, a 3-month
calendar, a 30-day and a 1-year sensor chart page, and a latest-image URL.
Aim: every page p50 <= 10x the baseline's p50, the latest image <= 3x.
Results go to ``bench/results/pages.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

ROOT = Path(__file__).resolve().parents[2]
RESULT = ROOT / "bench" / "results" / "pages.json"
ZENITH = str(ROOT / ".venv" / "bin" / "zenith")
BARE_PAGE = ("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Bare"
             "</title></head><body><h1>Bare</h1><p>A small static page.</p></body></html>")
AIM = {"latest-image": 3.0}
DEFAULT_AIM = 10.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# -- the baseline -----------------------------------------------------------------------


async def bare_page(request: web.Request) -> web.Response:
    return web.Response(text=BARE_PAGE, content_type="text/html")


def serve_bare(port: int) -> None:
    app = web.Application()
    app.router.add_get("/", bare_page)
    web.run_app(app, host="127.0.0.1", port=port, print=None)


# -- the stack ----------------------------------------------------------------------------


def seed(data: Path, cameras: int, days: int) -> dict[str, Any]:
    marker = data / "seeded.json"
    wanted = {"cameras": cameras, "days": days}
    if marker.is_file():
        done = json.loads(marker.read_text())
        if {k: done.get(k) for k in wanted} == wanted:
            return {**done, "reused": True}
    if data.exists():
        shutil.rmtree(data)
    data.mkdir(parents=True)
    out = subprocess.run([ZENITH, "hub", "seed", "--cameras", str(cameras), "--days",
                          str(days), "--data-dir", str(data)], check=True,
                         capture_output=True, text=True)
    done = {**wanted, "output": out.stdout.strip()}
    marker.write_text(json.dumps(done))
    return {**done, "reused": False}


async def wait_for(url: str, ok: Any, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    async with aiohttp.ClientSession() as s:
        while True:
            try:
                async with s.get(url) as r:
                    if r.status == 200 and ok(await r.read()):
                        return
            except aiohttp.ClientError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"{url} did not answer as expected in {timeout} s")
            await asyncio.sleep(0.5)


# -- the measurement ----------------------------------------------------------------------


async def measure(targets: dict[str, str], rounds: int, warmup: int) -> dict[str, list[float]]:
    times: dict[str, list[float]] = {name: [] for name in targets}
    async with aiohttp.ClientSession(headers={"Accept": "text/html"}) as session:
        for n in range(warmup + rounds):
            for name, url in targets.items():
                started = time.perf_counter()
                async with session.get(url) as r:
                    body = await r.read()
                    if r.status != 200 or not body:
                        raise RuntimeError(f"{name}: {url} answered {r.status}")
                if n >= warmup:
                    times[name].append(time.perf_counter() - started)
    return times


def summary(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {"p50_ms": round(1000 * statistics.median(ordered), 2),
            "p99_ms": round(1000 * ordered[int(0.99 * (len(ordered) - 1))], 2),
            "mean_ms": round(1000 * statistics.fmean(ordered), 2)}


async def bench(base: str, bare_url: str, cameras: int, rounds: int, warmup: int
                ) -> dict[str, list[float]]:
    await wait_for(bare_url, lambda body: True)
    await wait_for(base + "/map/cameras.json",
                   lambda body: len(json.loads(body)["cameras"]) >= cameras)
    camera = "seed-000"
    # a hub's capture serves its index once it has the totals of every seeded night
    await wait_for(f"{base}/cameras/{camera}/latest/image.jpg", lambda body: bool(body))
    targets = {
        "bare": bare_url,
        "home": base + "/",
        "map-data": base + "/map/cameras.json",
        "camera": f"{base}/cameras/{camera}",
        "calendar-3-months": f"{base}/cameras/{camera}/calendar/keograms",
        "sensors-30d": f"{base}/cameras/{camera}/sensors?range=30d",
        "sensors-1y": f"{base}/cameras/{camera}/sensors?range=1y",
        "latest-image": f"{base}/cameras/{camera}/latest/image.jpg",
    }
    return await measure(targets, rounds, warmup)


def run(args: argparse.Namespace) -> dict[str, Any]:
    keep = args.data_dir is not None
    work = Path(args.data_dir) if keep else Path(tempfile.mkdtemp(prefix="zenith-bench-pages-"))
    data = work if keep else work / "data"
    seeded = seed(data, args.cameras, args.days)
    web_port, nats_port, bare_port = free_port(), free_port(), free_port()
    env = {**os.environ, "ZENITH_DATA_DIR": str(data), "ZENITH_HTTP_PORT": str(web_port),
           "ZENITH_NATS_PORT": str(nats_port), "ZENITH_DEV_HUB_CAMERAS": "0",
           "ZENITH_LOG_LEVEL": "WARNING"}
    stack = subprocess.Popen([ZENITH, "dev", "--hub"], env=env, stdout=subprocess.DEVNULL,
                             start_new_session=True)
    bare = subprocess.Popen([sys.executable, __file__, "--serve-bare", str(bare_port)])
    try:
        times = asyncio.run(bench(f"http://127.0.0.1:{web_port}",
                                  f"http://127.0.0.1:{bare_port}/", args.cameras,
                                  args.rounds, args.warmup))
    finally:
        bare.terminate()
        os.killpg(stack.pid, signal.SIGTERM)
        try:
            stack.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(stack.pid, signal.SIGKILL)
        bare.wait(timeout=10)
        if not keep:
            shutil.rmtree(work, ignore_errors=True)
    base_p50 = statistics.median(times["bare"])
    pages = {}
    for name, samples in times.items():
        if name == "bare":
            continue
        aim = AIM.get(name, DEFAULT_AIM)
        ratio = statistics.median(samples) / base_p50
        pages[name] = {**summary(samples), "p50_vs_bare": round(ratio, 2), "aim": aim,
                       "met": ratio <= aim}
    return {
        "benchmark": "pages", "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(),
                    "platform": platform.platform()},
        "seed": {"cameras": args.cameras, "days": args.days, "reused": seeded["reused"],
                 "output": seeded.get("output", "")},
        "rounds": args.rounds, "warmup": args.warmup, "camera": "seed-000",
        "baseline": {"what": "bare aiohttp handler, small static HTML page",
                     **summary(times["bare"])},
        "pages": pages,
        "all_met": all(p["met"] for p in pages.values()),
    }


def main() -> int:
    if len(sys.argv) == 3 and sys.argv[1] == "--serve-bare":
        serve_bare(int(sys.argv[2]))
        return 0
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cameras", type=int, default=100)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--rounds", type=int, default=200, help="requests per target")
    parser.add_argument("--warmup", type=int, default=10, help="rounds not counted")
    parser.add_argument("--data-dir", help="seed here and keep it (reused when it matches)")
    parser.add_argument("--out", default=str(RESULT), help="the JSON results file")
    args = parser.parse_args()
    result = run(args)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    return 0 if result["all_met"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
