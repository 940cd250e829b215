"""Where an upload's time goes: the ingest path's stages, timed one by one.

    .venv/bin/python bench/hub/stages.py [--uploads 100] [--profile out.prof]

A nats-server, ``auth``, ``network`` and ``web`` run in this process (as the
tests run them; no capture, so nothing else competes for the CPU), and
uploads go one at a time through the real HTTP ingest, alternating the
AllSkyKamera and the Zenith dialect. The stages of ``zenith_web.views.ingest``
and of the auth service's key check are wrapped with timers: the key
check as web sees it (bus round trip included) and inside auth, the
multipart stream to staging, each part's decode check and fsync, the
checks and moves from the end of the stream, the JetStream announcement,
and the whole request as the client sees it. Prints the median and mean of
each, in milliseconds, as JSON. ``--profile`` writes a
cProfile of the upload phase (every service's coroutines run in this one
process, so it shows web and auth together).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import functools
import json
import shutil
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parent))

from run import IMAGES, Camera, free_port, jpeg  # type: ignore[import-not-found,unused-ignore]

TIMES: dict[str, list[float]] = defaultdict(list)


def timed(name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(fn)
    async def wrapper(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return await fn(*args, **kwargs)
        finally:
            TIMES[name].append(1000 * (time.perf_counter() - started))
    return wrapper


def timed_future(name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    """For a function that starts work and returns its future: call to done."""
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        future = fn(*args, **kwargs)
        future.add_done_callback(
            lambda _: TIMES[name].append(1000 * (time.perf_counter() - started)))
        return future
    return wrapper


def instrument() -> None:
    from zenith_auth import camerakeys
    from zenith_web.views import ingest, ingest_staging, ingest_zenith

    for name in ("camera_of", "read_upload", "stage", "_publish"):
        wrapped = timed(f"web.{name}", getattr(ingest, name))
        setattr(ingest, name, wrapped)
        if hasattr(ingest_zenith, name):
            setattr(ingest_zenith, name, wrapped)
    ingest_staging.checked_and_synced = timed_future(
        "web.check and fsync (a part)", ingest_staging.checked_and_synced)
    cls = camerakeys.CameraKeys
    cls.check = timed("auth.check", cls.check)  # type: ignore[method-assign]
    cls._verify = timed("auth.verify (store)", cls._verify)  # type: ignore[method-assign]
    from zenith_auth.windows import Windows
    Windows.hit = timed("auth.limit hit (KV)", Windows.hit)  # type: ignore[method-assign]
    Windows.peek = timed("auth.limit peek (KV)", Windows.peek)  # type: ignore[method-assign]


async def main_async(args: argparse.Namespace) -> dict[str, Any]:
    from zenith.bus.client import BusClient
    from zenith.bus.connect import connect
    from zenith.cli.nats_server import NatsServer
    from zenith.config import load_settings
    from zenith.contracts import camerakeys, network
    from zenith.runner import service_context
    from zenith_auth.main import serve as serve_auth
    from zenith_auth.settings import AuthSettings
    from zenith_network.main import serve as serve_network
    from zenith_network.settings import NetworkSettings
    from zenith_web.main import serve as serve_web
    from zenith_web.settings import WebSettings

    for width, height in ((1920, 1080), (960, 540), (480, 270)):
        IMAGES[width] = [jpeg(width, height, seed) for seed in range(4)]
    instrument()
    tmp = Path(tempfile.mkdtemp(prefix="zenith-bench-stages-"))
    nats = NatsServer(tmp / "nats", free_port())
    nats.start()
    port = free_port()
    common: dict[str, Any] = {"nats_url": nats.url, "data_dir": tmp / "data"}
    auth = load_settings(AuthSettings, env={}, **common, auth_create_admin=False,
                         metadata_url=f"sqlite:///{tmp / 'auth.db'}",
                         auth_camera_key_per_min=100000, auth_camera_ip_per_min=1000000)
    net = load_settings(NetworkSettings, env={}, **common,
                        metadata_url=f"sqlite:///{tmp / 'network.db'}")
    web = load_settings(WebSettings, env={}, **common, http_port=port, blob_dir=tmp / "blobs",
                        web_local_no_auth=False)
    try:
        async with service_context("auth", auth, serve_auth), \
                service_context("network", net, serve_network), \
                service_context("web", web, serve_web):
            nc = await connect(nats.url, name="bench-stages")
            bus = BusClient(nc, timeout=10)
            cameras = []
            for i in range(4):
                cam = f"cam{i:03d}"
                await bus.request(network.CAMERA_ADD, {
                    "id": cam, "name": cam, "location": {"latitude": 50, "longitude": 5}})
                key = (await bus.request(camerakeys.KEY_ISSUE, {"camera": cam})).key
                cameras.append(Camera(cam, key, "allskykamera" if i % 2 == 0 else "zenith", i))
            base = f"http://127.0.0.1:{port}"
            profile = cProfile.Profile() if args.profile else None
            async with aiohttp.ClientSession() as session:
                for n in range(args.uploads + 10):
                    if n == 10:  # warm up done
                        TIMES.clear()
                        if profile is not None:
                            profile.enable()
                    cam = cameras[n % len(cameras)]
                    url, form, headers = cam.request(base)
                    started = time.perf_counter()
                    async with session.post(url, data=form, headers=headers) as r:
                        body = await r.json(content_type=None)
                        assert r.status == 200 and body["ok"] is True, body
                    TIMES[f"client.total ({cam.dialect})"].append(
                        1000 * (time.perf_counter() - started))
            if profile is not None:
                profile.disable()
                profile.dump_stats(args.profile)
            await nc.close()
    finally:
        nats.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    return {name: {"n": len(v), "p50_ms": round(statistics.median(v), 2),
                   "mean_ms": round(statistics.fmean(v), 2)}
            for name, v in sorted(TIMES.items())}


async def processes_async(args: argparse.Namespace) -> dict[str, Any]:
    """CPU seconds per upload of each hub process, as ``run.py`` starts them."""
    import os

    from run import ROOT, cpu_by_process, load, spawn, wait_http

    from zenith.bus.client import BusClient
    from zenith.bus.connect import connect
    from zenith.cli.nats_server import NatsServer
    from zenith.contracts import camerakeys, network

    for width, height in ((1920, 1080), (960, 540), (480, 270)):
        IMAGES[width] = [jpeg(width, height, seed) for seed in range(4)]
    tmp = Path(tempfile.mkdtemp(prefix="zenith-bench-cpu-"))
    nats = NatsServer(tmp / "nats", free_port())
    nats.start()
    port = free_port()
    env = {**os.environ, "ZENITH_NATS_URL": nats.url, "ZENITH_DATA_DIR": str(tmp / "data"),
           "ZENITH_BLOB_DIR": str(tmp / "blobs"), "ZENITH_HTTP_PORT": str(port),
           "ZENITH_WEB_LOCAL_NO_AUTH": "false", "ZENITH_CAPTURE_HUB_INGEST": "true",
           "ZENITH_AUTH_CREATE_ADMIN": "false", "ZENITH_LOG_LEVEL": "WARNING",
           "ZENITH_AUTH_CAMERA_KEY_PER_MIN": "100000", "ZENITH_AUTH_CAMERA_IP_PER_MIN": "1000000"}
    zenith = str(ROOT / ".venv" / "bin" / "zenith")
    names = ("auth", "network", "web") if args.no_capture else ("auth", "network", "capture",
                                                                 "web")
    procs = []
    bare_port = free_port()
    bare_dir = tmp / "bare"
    bare_dir.mkdir()
    bare = spawn([sys.executable, str(ROOT / "bench" / "hub" / "run.py"), "--serve-bare",
                  str(bare_port), str(bare_dir)], dict(os.environ))
    try:
        for name in names:
            procs.append(spawn([zenith, "run", name], {
                **env, "ZENITH_METADATA_URL": f"sqlite:///{tmp / 'data' / (name + '.db')}"}))
        base = f"http://127.0.0.1:{port}"
        await wait_http(base + "/api/openapi.json")
        await wait_http(f"http://127.0.0.1:{bare_port}/")
        nc = await connect(nats.url, name="bench-cpu")
        bus = BusClient(nc, timeout=10)
        cameras = []
        for i in range(4):
            cam = f"cam{i:03d}"
            await bus.request(network.CAMERA_ADD, {
                "id": cam, "name": cam, "location": {"latitude": 50, "longitude": 5}})
            key = (await bus.request(camerakeys.KEY_ISSUE, {"camera": cam})).key
            cameras.append(Camera(cam, key, "allskykamera" if i % 2 == 0 else "zenith", i))
        bare_cams = [Camera(c.camera, c.key, "allskykamera", c.seed) for c in cameras]
        await load(f"http://127.0.0.1:{bare_port}", bare_cams, 2, 1)  # warm up
        bare_result = await load(f"http://127.0.0.1:{bare_port}", bare_cams, args.seconds,
                                 args.concurrency)
        await load(base, cameras, 2, 1)  # warm up
        js = nc.jetstream()
        before_frames = (await js.stream_info("FRAMES")).state.messages
        pids = {name: p.pid for name, p in zip(names, procs, strict=True)}
        pids["nats-server"] = int(nats.pid_file.read_text().strip())
        before = cpu_by_process(pids)
        result = await load(base, cameras, args.seconds, args.concurrency)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 120
        while loop.time() < deadline and not args.no_capture:
            frames = (await js.stream_info("FRAMES")).state.messages - before_frames
            if frames >= result["uploads"]:
                break
            await asyncio.sleep(0.5)
        n = max(1, result["uploads"])
        after = cpu_by_process(pids)
        result["cpu_ms_per_upload"] = {name: round(1000 * (after[name] - before[name]) / n, 1)
                                       for name in pids}
        await nc.close()
        return {"bare": bare_result, "hub": result,
                "p50_ratio": round(result["p50_ms"] / bare_result["p50_ms"], 2)}
    finally:
        bare.terminate()
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(15)
        nats.stop()
        shutil.rmtree(tmp, ignore_errors=True)  # the uploads: gigabytes


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--uploads", type=int, default=100)
    parser.add_argument("--profile", help="write a cProfile of the upload phase here")
    parser.add_argument("--processes", action="store_true",
                        help="instead: every service its own process (as run.py); CPU "
                        "ms per upload of each, at --concurrency for --seconds")
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--no-capture", action="store_true",
                        help="with --processes: no capture indexing during the load")
    args = parser.parse_args()
    work = processes_async(args) if args.processes else main_async(args)
    print(json.dumps(asyncio.run(work), indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
