"""Benchmark ``POST /gpio/digital`` end to end, next to a bare aiohttp baseline.

    .venv/bin/python bench/gpio_http/run.py [--requests 2000] [--clients 4] [--rounds 3]

The stack is the real one, as ``zenith dev`` runs it: nats-server, then
``zenith run auth``, ``zenith run gpio`` (mock pins) and ``zenith run web``
as separate processes. Each request goes HTTP -> web -> NATS -> gpio -> NATS
-> web -> HTTP, from 127.0.0.1 so no token is needed (the local rule).

The baseline is a bare aiohttp server in its own process whose handler
parses the same JSON body and answers the same JSON reply, without the
bus: the ratio is what Zenith's web layer, the bus hop and the gpio
service cost on top of plain HTTP on this machine.

Each round measures the baseline and the stack one after the other, with a
fixed number of requests from a few concurrent keep-alive clients on
loopback; the medians over the rounds go to ``bench/results/gpio_http.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

ROOT = Path(__file__).resolve().parents[2]
RESULT = ROOT / "bench" / "results" / "gpio_http.json"
PIN = 17


# -- the baseline server --------------------------------------------------------------


async def bare_handler(request: web.Request) -> web.Response:
    body = await request.json()
    state = "on" if body.get("state") == "on" else "off"
    return web.json_response({"pin": int(body["pin"]), "state": state})


def serve_bare(port: int) -> None:
    app = web.Application()
    app.router.add_post("/gpio/digital", bare_handler)
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None)


# -- processes ------------------------------------------------------------------------


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def spawn(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    out = log.open("wb")
    return subprocess.Popen(args, env=env, stdout=out, stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL, start_new_session=True)


def stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


async def wait_ready(url: str, timeout: float = 60.0) -> None:
    """Until a local POST answers 200 (every process up and connected)."""
    deadline = time.monotonic() + timeout
    async with aiohttp.ClientSession() as session:
        while time.monotonic() < deadline:
            try:
                async with session.post(url, json={"pin": PIN, "state": "off"}) as resp:
                    if resp.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.2)
    raise RuntimeError(f"{url} did not answer 200 within {timeout:.0f}s")


@contextmanager
def stack(work: Path) -> Iterator[str]:
    """nats-server, auth, gpio (mock pins) and web as separate processes."""
    from zenith.cli.nats_server import NatsServer

    nats = NatsServer(work / "nats", free_port())
    nats.start()
    port = free_port()
    env = dict(os.environ, ZENITH_NATS_URL=nats.url, ZENITH_DATA_DIR=str(work / "data"),
               ZENITH_CAMERA="bench", ZENITH_HTTP_HOST="127.0.0.1", ZENITH_HTTP_PORT=str(port),
               ZENITH_GPIO_PIN_FACTORY="mock", ZENITH_AUTH_CREATE_ADMIN="false",
               ZENITH_LOG_LEVEL="WARNING", PYTHONUNBUFFERED="1")
    procs = [spawn([sys.executable, "-m", "zenith", "run", name], env, work / f"{name}.log")
             for name in ("auth", "gpio", "web")]
    try:
        yield f"http://127.0.0.1:{port}/gpio/digital"
    finally:
        for proc in reversed(procs):
            stop(proc)
        nats.stop()


@contextmanager
def bare(work: Path) -> Iterator[str]:
    port = free_port()
    proc = spawn([sys.executable, __file__, "--serve-bare", str(port)], dict(os.environ),
                 work / "bare.log")
    try:
        yield f"http://127.0.0.1:{port}/gpio/digital"
    finally:
        stop(proc)


# -- the load -------------------------------------------------------------------------


async def measure(url: str, requests: int, clients: int, warmup: int) -> dict[str, float]:
    """``requests`` POSTs from ``clients`` keep-alive clients; latency percentiles and rate."""
    latencies: list[float] = []
    connector = aiohttp.TCPConnector(limit=clients)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def one(i: int, keep: bool) -> None:
            body = {"pin": PIN, "state": "on" if i % 2 else "off"}
            started = time.perf_counter()
            async with session.post(url, json=body) as resp:
                reply = await resp.json()
                if resp.status != 200 or reply != {"pin": PIN, "state": body["state"]}:
                    raise RuntimeError(f"unexpected answer {resp.status}: {reply}")
            if keep:
                latencies.append(time.perf_counter() - started)

        async def client(offset: int, count: int, keep: bool) -> None:
            for i in range(count):
                await one(offset + i, keep)

        share = warmup // clients
        await asyncio.gather(*(client(c * share, share, False) for c in range(clients)))
        share = requests // clients
        started = time.perf_counter()
        await asyncio.gather(*(client(c * share, share, True) for c in range(clients)))
        elapsed = time.perf_counter() - started
    latencies.sort()
    return {
        "p50_ms": round(statistics.median(latencies) * 1000, 3),
        "p99_ms": round(latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000,
                        3),
        "requests_per_s": round(len(latencies) / elapsed, 1),
        "requests": len(latencies),
    }


def medians(rounds: list[dict[str, float]]) -> dict[str, Any]:
    keys = ("p50_ms", "p99_ms", "requests_per_s")
    out: dict[str, Any] = {k: round(statistics.median(r[k] for r in rounds), 3) for k in keys}
    out["rounds"] = rounds
    return out


async def bench(args: argparse.Namespace) -> dict[str, Any]:
    stack_rounds: list[dict[str, float]] = []
    bare_rounds: list[dict[str, float]] = []
    with tempfile.TemporaryDirectory(prefix="zenith-bench-") as tmp:
        work = Path(tmp)
        with stack(work) as stack_url, bare(work) as bare_url:
            await wait_ready(bare_url)
            await wait_ready(stack_url)
            for n in range(args.rounds):
                bare_rounds.append(await measure(bare_url, args.requests, args.clients,
                                                 args.warmup))
                stack_rounds.append(await measure(stack_url, args.requests, args.clients,
                                                  args.warmup))
                print(f"round {n + 1}: bare {bare_rounds[-1]}  stack {stack_rounds[-1]}",
                      flush=True)
    zen, base = medians(stack_rounds), medians(bare_rounds)
    return {
        "benchmark": "gpio_http",
        "what": "POST /gpio/digital, local request (no token): HTTP -> web -> NATS -> gpio "
                "(mock pins) -> back; baseline: a bare aiohttp handler answering the same JSON",
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(),
                    "platform": platform.platform()},
        "requests_per_round": args.requests,
        "concurrent_clients": args.clients,
        "rounds": args.rounds,
        "zenith": zen,
        "baseline": base,
        "ratio": {
            "p50": round(zen["p50_ms"] / base["p50_ms"], 2),
            "p99": round(zen["p99_ms"] / base["p99_ms"], 2),
            "throughput": round(zen["requests_per_s"] / base["requests_per_s"], 3),
        },
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--requests", type=int, default=2000, help="per round (default 2000)")
    parser.add_argument("--clients", type=int, default=4, help="concurrent clients (4)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds (3); medians reported")
    parser.add_argument("--warmup", type=int, default=200, help="unmeasured requests (200)")
    parser.add_argument("--out", type=Path, default=RESULT, help=f"default {RESULT}")
    parser.add_argument("--serve-bare", type=int, metavar="PORT", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve_bare:
        serve_bare(args.serve_bare)
        return 0
    if args.requests < args.clients or args.clients < 1 or args.rounds < 1:
        parser.error("need --clients >= 1, --rounds >= 1 and --requests >= --clients")
    result = asyncio.run(bench(args))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps({k: result[k] for k in ("zenith", "baseline", "ratio")}, indent=2,
                     default=str))
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
