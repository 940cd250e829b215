"""How late capture's event loop runs beside its index threads while the cores are busy.

    .venv/bin/python bench/hub/index_priority.py [--seconds 15]
                                                 [--out bench/results/index_priority.json]

The setting ``ZENITH_CAPTURE_INDEX_IDLE`` puts the hub's index threads under
the idle scheduling policy. They share the process's interpreter lock with
capture's event loop, so one preempted while it holds the lock stops the loop
until it gets a core again. This measures that: for each of the two ways
(niced by 10, the default; the idle policy), an :class:`IndexPool` of two
threads runs work that, like indexing, mixes Python with NumPy, while one
busy process per core keeps the machine loaded, and the event loop measures how late
its 10 ms sleeps wake (p50, p99, max). Results go to
``bench/results/index_priority.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from zenith_capture.uploads import IndexPool

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import write_result  # type: ignore[import-not-found,unused-ignore]

RESULT = Path(__file__).resolve().parents[1] / "results" / "index_priority.json"
TICK_S = 0.01


def index_like(stop: list[bool]) -> None:
    """Python and NumPy in turns until ``stop[0]``."""
    pixels = np.random.default_rng(1).random((300, 300))
    while not stop[0]:
        for _ in range(200):
            _ = [i * i for i in range(50)]  # holds the interpreter lock
        np.sort(pixels, axis=None)  # releases it


async def lateness(pool: IndexPool, seconds: float) -> dict[str, Any]:
    stop = [False]
    running = [asyncio.ensure_future(pool.run(lambda: index_like(stop)))
               for _ in range(pool.workers)]
    hogs = [await asyncio.create_subprocess_exec(sys.executable, "-c", "while True: pass")
            for _ in range(os.cpu_count() or 2)]
    late: list[float] = []
    try:
        end = time.perf_counter() + seconds
        while time.perf_counter() < end:
            asked = time.perf_counter()
            await asyncio.sleep(TICK_S)
            late.append(time.perf_counter() - asked - TICK_S)
    finally:
        for hog in hogs:
            hog.kill()
            await hog.wait()
        stop[0] = True
        await asyncio.gather(*running)
        pool.close()
    late.sort()
    return {"ticks": len(late), "p50_ms": round(1000 * late[len(late) // 2], 2),
            "p99_ms": round(1000 * late[int(0.99 * (len(late) - 1))], 2),
            "max_ms": round(1000 * late[-1], 2)}


async def run(seconds: float) -> dict[str, Any]:
    return {
        "machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0]},
        "load": f"{os.cpu_count()} busy processes, 2 index threads, {seconds:.0f} s each",
        "niced_10": await lateness(IndexPool(2, 10), seconds),
        "idle_policy": await lateness(IndexPool(2, 0, idle=True), seconds),
        "note": "how late the event loop's 10 ms sleeps woke; ticks: how many it managed",
    }


def main() -> int:
    if not sys.platform.startswith("linux"):
        raise SystemExit("a thread's own scheduling policy: Linux only")
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--out", type=Path, default=RESULT)
    args = parser.parse_args()
    write_result(args.out, asyncio.run(run(args.seconds)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
