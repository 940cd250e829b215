"""Benchmark the hub's HTTP ingest with simulated cameras, next to a bare baseline.

    .venv/bin/python bench/hub/run.py [--cameras 10] [--rate 10] [--concurrency 4]
                                      [--seconds 30] [--rounds 5] [--products-workers 1,2]
                                      [--out bench/results/hub.json]

The stack is the real one, each service its own process as ``zenith dev``
runs them: nats-server, ``zenith run auth``, ``network``, ``web`` and
``capture`` (``ZENITH_CAPTURE_HUB_INGEST=true``). ``--cameras`` cameras are
registered and given keys; half upload live images in the AllSkyKamera
dialect (``/api/v1/image_upload.php``: fullhd 1920 px, mobile, thumb), half
in Zenith's (``/api/ingest/v1/<camera>/frames`` with metadata, the sky
metrics its node measured, as the uplink sends them, and an idempotency
key).

Two loads, each ``--seconds`` long:

- paced: uploads arrive at ``--rate`` per second on average at random
  (Poisson) times, whether or not the last ones were answered, as cameras on
  their own clocks do. Its p50 is the time a camera waits for its answer; the
  aim (ingest p50 at most 3x the bare handler's) is read from it.
- saturated: ``--concurrency`` clients, each sending its next upload as soon
  as its last was answered. This measures capacity (uploads/s); its p50 is
  only concurrency / throughput (Little's law), so its ratio is the ratio of
  the two servers' CPU per upload.

The baseline is a bare aiohttp handler in its own process that streams the
same multipart uploads (both dialects' requests, byte for byte alike) to
disk and answers ``{"ok": true}``: no key check, no decoding, no bus, no
fsync. In each load the two take turns ``--rounds`` times (on a 2-core
machine the bare handler's p50 alone moved 2x from one run to the next, with
the kernel's write-back of what it wrote), and after each hub round capture
catches up before the bare handler's next round starts; every round starts
with the disk synced, so neither pays for the other's write-back. A load's p50 ratio
is the median over its rounds of the hub's p50 over the bare handler's.

Measured: ingest latency p50/p99 and uploads/s for both; CPU seconds per
upload of the hub's processes with their children (capture's index workers),
nats-server included (from /proc, in all and by process), and from it the
share of one core that 100 cameras at one frame per 2 minutes need; each
process's memory (PSS, children included) once ingest ended; and the count
check: every acknowledged upload is indexed as a frame (FRAMES holds one
event per acknowledged upload) once capture caught up.

Then products on that pre-filled backlog (every indexed frame waiting in
FRAMES): ``--products-workers`` (default 1 and 2) products processes
(``ZENITH_PRODUCTS_HUB_INGEST=true``) are started, and the time from their
start until every camera's consumer has delivered and acknowledged every
frame gives frames/s, and frames/s per worker. Between runs the workers are
stopped and their consumers, leases and index are dropped, so each run
starts from the same backlog. Results go to ``bench/results/hub.json``
(``--out``); ``bench/hub/trace_requests.py`` runs the paced load with every
request of web timed stage by stage.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import aiohttp
import cv2
import numpy as np
from aiohttp import web

ROOT = Path(__file__).resolve().parents[2]
RESULT = ROOT / "bench" / "results" / "hub.json"
CLK = os.sysconf("SC_CLK_TCK")
HUB_SERVICES = ("auth", "network", "capture", "web")  # each its own process


def distinct(data: bytes, n: int) -> bytes:
    """The same picture with a comment segment: other bytes, so no upload is a duplicate."""
    note = f"upload {n}".encode()
    return data[:2] + b"\xff\xfe" + (len(note) + 2).to_bytes(2, "big") + note + data[2:]


def jpeg(width: int, height: int, seed: int) -> bytes:
    rng = np.random.default_rng(seed)
    small = rng.integers(0, 255, (height // 8, width // 8, 3), dtype=np.uint8)
    pixels = cv2.resize(small, (width, height), interpolation=cv2.INTER_LINEAR)
    ok, data = cv2.imencode(".jpg", pixels, [cv2.IMWRITE_JPEG_QUALITY, 85])
    assert ok
    return data.tobytes()


# -- the baseline -----------------------------------------------------------------------


async def bare_upload(request: web.Request) -> web.Response:
    reader = await request.multipart()
    folder = Path(request.app["dir"])
    while (part := await reader.next()) is not None:
        if getattr(part, "filename", None) is None:
            await part.read()  # type: ignore[union-attr]
            continue
        with (folder / f"{uuid.uuid4().hex}.jpg").open("wb") as fh:
            while chunk := await part.read_chunk(64 * 1024):  # type: ignore[union-attr]
                fh.write(chunk)
    return web.json_response({"ok": True})


def serve_bare(port: int, folder: str) -> None:
    app = web.Application()
    app["dir"] = folder
    app.router.add_post("/api/v1/image_upload.php", bare_upload)
    app.router.add_post("/api/ingest/v1/{camera}/frames", bare_upload)
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None)


# -- processes --------------------------------------------------------------------------


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def spawn(cmd: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL)


def family(pid: int) -> list[int]:
    """The process and every process under it (capture's index workers and the
    server they are forked from)."""
    found, todo = [], [pid]
    while todo:
        here = todo.pop()
        found.append(here)
        for task in Path(f"/proc/{here}/task").glob("*/children"):
            with contextlib.suppress(OSError):
                todo.extend(int(child) for child in task.read_text().split())
    return found


def cpu_by_process(pids: dict[str, int]) -> dict[str, float]:
    """CPU seconds (user and system) each process, its children included, used so
    far (children that ended are not counted: the hub's run as long as it does)."""
    used = {}
    for name, pid in pids.items():
        used[name] = 0.0
        for member in family(pid):
            try:
                with open(f"/proc/{member}/stat") as fh:
                    fields = fh.read().rsplit(")", 1)[1].split()
            except OSError:
                continue  # ended meanwhile
            used[name] += (int(fields[11]) + int(fields[12])) / CLK  # utime, stime
    return used


def memory_mb(pids: dict[str, int]) -> dict[str, float]:
    """Proportional set size (shared pages split between their sharers) of each
    process with its children, in MiB."""
    used = {}
    for name, pid in pids.items():
        kib = 0
        for member in family(pid):
            with contextlib.suppress(OSError), open(f"/proc/{member}/smaps_rollup") as fh:
                kib += next(int(line.split()[1]) for line in fh if line.startswith("Pss:"))
        used[name] = round(kib / 1024, 1)
    return used


def cpu_seconds(pids: list[int]) -> float:
    return sum(cpu_by_process({str(pid): pid for pid in pids}).values())


async def wait_http(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    async with aiohttp.ClientSession() as s:
        while True:
            try:
                async with s.get(url) as r:
                    if r.status < 500:
                        return
            except aiohttp.ClientError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"{url} did not come up")
            await asyncio.sleep(0.2)


# -- the load -----------------------------------------------------------------------------


class Camera:
    def __init__(self, camera: str, key: str, dialect: str, seed: int) -> None:
        self.camera, self.key, self.dialect = camera, key, dialect
        self.seed = seed
        self.n = 0

    def request(self, base: str) -> tuple[str, aiohttp.FormData, dict[str, str]]:
        self.n += 1
        seed = self.seed * 100_000 + self.n
        form = aiohttp.FormData()
        if self.dialect == "allskykamera":
            form.add_field("kamera", "X")
            form.add_field("asset", "image")
            for name, width in (("fullhd", 1920), ("mobile", 960), ("thumb", 480)):
                form.add_field(name, distinct(IMAGES[width][seed % len(IMAGES[width])], seed),
                               filename=f"image_{name}.jpg", content_type="image/jpeg")
            return base + "/api/v1/image_upload.php", form, {"X-API-Key": self.key}
        meta = {"taken_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                "exposure_s": 10.0, "gain": 4.0,
                # what a node's uplink sends: the metrics its node measured
                "metrics": {"mean": 0.04 + (seed % 7) / 1000, "stars": float(200 + seed % 50),
                            "hfr": 1.9, "sqm": 20.8, "cloud_cover": 0.1,
                            "sun_altitude": -30.0}}
        form.add_field("meta", json.dumps(meta))
        form.add_field("frame", distinct(IMAGES[1920][seed % len(IMAGES[1920])], seed),
                       filename="frame.jpg", content_type="image/jpeg")
        return (f"{base}/api/ingest/v1/{self.camera}/frames", form,
                {"X-API-Key": self.key, "Idempotency-Key": f"{self.camera}-{seed}"})


IMAGES: dict[int, list[bytes]] = {}


async def load_raw(base: str, cameras: list[Camera], seconds: float, concurrency: int,
                   rate: float | None = None) -> tuple[list[float], int, float]:
    """Uploads for ``seconds``; returns the latencies (s) of the acknowledged ones,
    the errors and the elapsed time. Saturated (``rate`` None): ``concurrency``
    clients, each sending its next upload as soon as the last was answered.
    Paced: uploads arrive at ``rate`` per second on average, at random (Poisson)
    times whatever the answers, each camera in turn, as cameras do."""
    latencies: list[float] = []
    errors = 0

    async def one(session: aiohttp.ClientSession, cam: Camera) -> None:
        nonlocal errors
        url, form, headers = cam.request(base)
        started = time.perf_counter()
        try:
            async with session.post(url, data=form, headers=headers) as r:
                body = await r.json(content_type=None)
                if r.status == 200 and body.get("ok") is True:
                    latencies.append(time.perf_counter() - started)
                else:
                    errors += 1
        except aiohttp.ClientError:
            errors += 1

    began = time.monotonic()
    stop = began + seconds
    async with aiohttp.ClientSession() as session:
        if rate is None:
            queue: asyncio.Queue[Camera] = asyncio.Queue()
            for cam in cameras:
                queue.put_nowait(cam)

            async def client() -> None:
                while time.monotonic() < stop:
                    cam = await queue.get()
                    await one(session, cam)
                    queue.put_nowait(cam)

            await asyncio.gather(*(client() for _ in range(concurrency)))
        else:
            arrivals = random.Random(len(cameras))
            tasks = []
            at = began
            n = 0
            while True:
                at += arrivals.expovariate(rate)
                if at >= stop:
                    break
                await asyncio.sleep(max(0.0, at - time.monotonic()))
                tasks.append(asyncio.ensure_future(one(session, cameras[n % len(cameras)])))
                n += 1
            await asyncio.gather(*tasks)
    return latencies, errors, time.monotonic() - began


def summary(latencies: list[float], errors: int, elapsed: float) -> dict[str, Any]:
    ordered = sorted(latencies)
    return {
        "uploads": len(ordered), "errors": errors, "seconds": round(elapsed, 2),
        "uploads_per_s": round(len(ordered) / elapsed, 1),
        "p50_ms": round(1000 * statistics.median(ordered), 2) if ordered else None,
        "p99_ms": round(1000 * ordered[int(0.99 * (len(ordered) - 1))], 2)
        if ordered else None,
    }


async def load(base: str, cameras: list[Camera], seconds: float, concurrency: int
               ) -> dict[str, Any]:
    return summary(*await load_raw(base, cameras, seconds, concurrency))


async def frames_indexed(js: Any) -> int:
    try:
        return int((await js.stream_info("FRAMES")).state.messages)
    except Exception:
        return 0


async def caught_up(js: Any, acknowledged: int, timeout: float = 300) -> int:
    """Wait until capture indexed every acknowledged upload (one FRAMES event each)."""
    deadline = time.monotonic() + timeout
    indexed = await frames_indexed(js)
    while indexed < acknowledged and time.monotonic() < deadline:
        await asyncio.sleep(0.5)
        indexed = await frames_indexed(js)
    return indexed


async def rounds(js: Any, bare: tuple[str, list[Camera]], hub: tuple[str, list[Camera]],
                 args: argparse.Namespace, pids: dict[str, int], frames_before: int,
                 rate: float | None) -> dict[str, Any]:
    """The bare handler and the hub in turns, ``args.rounds`` times: the machine's
    drift (and the bare handler's spread between runs) falls on both alike. After
    each hub round capture catches up before the next bare round, so its indexing
    never slows the baseline, and before each round the disk is synced. The CPU
    counts from the start of each hub round until capture caught up."""
    per_round = args.seconds / args.rounds
    bare_all: list[float] = []
    hub_all: list[float] = []
    bare_errors = hub_errors = 0
    bare_time = hub_time = 0.0
    cpu = dict.fromkeys(pids, 0.0)
    paired = []
    for _ in range(args.rounds):
        # each round starts with what the other wrote on the disk: neither pays for
        # the other's write-back (the hub's round, writing less, made the bare
        # handler's next round slower by up to 2 ms)
        await asyncio.to_thread(os.sync)
        b_lat, b_err, b_time = await load_raw(*bare, per_round, args.concurrency, rate)
        await asyncio.to_thread(os.sync)
        before = cpu_by_process(pids)
        h_lat, h_err, h_time = await load_raw(*hub, per_round, args.concurrency, rate)
        hub_all += h_lat
        await caught_up(js, frames_before + len(hub_all))
        after = cpu_by_process(pids)
        for name in cpu:
            cpu[name] += after[name] - before[name]
        bare_all += b_lat
        bare_errors, hub_errors = bare_errors + b_err, hub_errors + h_err
        bare_time, hub_time = bare_time + b_time, hub_time + h_time
        b, h = statistics.median(b_lat), statistics.median(h_lat)
        paired.append({"bare_p50_ms": round(1000 * b, 2), "hub_p50_ms": round(1000 * h, 2),
                       "ratio": round(h / b, 2)})
    return {"load": (f"paced: {rate} uploads/s at random times" if rate is not None else
                     f"saturated: {args.concurrency} clients, each upload after the last"),
            "rounds": paired, "baseline_bare_aiohttp": summary(bare_all, bare_errors, bare_time),
            "hub": summary(hub_all, hub_errors, hub_time),
            "p50_ratio": statistics.median(r["ratio"] for r in paired),
            "cpu_s": cpu, "acknowledged": len(hub_all)}


async def run(args: argparse.Namespace) -> dict[str, Any]:
    from zenith.bus.client import BusClient
    from zenith.bus.connect import connect
    from zenith.cli.nats_server import NatsServer
    from zenith.config import is_secret_name, redact_url
    from zenith.contracts import camerakeys, network

    for width, height in ((1920, 1080), (960, 540), (480, 270)):
        IMAGES[width] = [jpeg(width, height, seed) for seed in range(4)]
    tmp = Path(tempfile.mkdtemp(prefix="zenith-bench-hub-"))
    nats = NatsServer(tmp / "nats", free_port())
    nats.start()
    procs: list[subprocess.Popen[bytes]] = []
    bare: subprocess.Popen[bytes] | None = None
    web_port, bare_port = free_port(), free_port()
    env = {**os.environ, "ZENITH_NATS_URL": nats.url, "ZENITH_DATA_DIR": str(tmp / "data"),
           "ZENITH_BLOB_DIR": str(tmp / "blobs"), "ZENITH_HTTP_PORT": str(web_port),
           "ZENITH_WEB_LOCAL_NO_AUTH": "false", "ZENITH_CAPTURE_HUB_INGEST": "true",
           "ZENITH_AUTH_CREATE_ADMIN": "false", "ZENITH_LOG_LEVEL": "WARNING",
           "ZENITH_AUTH_CAMERA_KEY_PER_MIN": "100000", "ZENITH_AUTH_CAMERA_IP_PER_MIN": "1000000"}
    zenith = str(ROOT / ".venv" / "bin" / "zenith")
    try:
        for name in HUB_SERVICES:
            svc_env = {**env, "ZENITH_METADATA_URL":
                       f"sqlite:///{tmp / 'data' / (name + '.db')}"}
            procs.append(spawn([zenith, "run", name], svc_env))
        bare_dir = tmp / "bare"
        bare_dir.mkdir()
        bare = spawn([sys.executable, __file__, "--serve-bare", str(bare_port),
                      str(bare_dir)], dict(os.environ))
        base = f"http://127.0.0.1:{web_port}"
        await wait_http(base + "/api/openapi.json")
        await wait_http(f"http://127.0.0.1:{bare_port}/")
        nc = await connect(nats.url, name="bench-hub")
        bus = BusClient(nc, timeout=10)
        cameras = []
        # where it is midnight now, give or take 10 degrees: every upload is a night
        # frame, so products' backlog has every frame to build, whenever the run is
        now = time.gmtime()
        midnight = (180 - 15 * (now.tm_hour + now.tm_min / 60)) % 360 - 180
        for i in range(args.cameras):
            cam = f"cam{i:03d}"
            await bus.request(network.CAMERA_ADD, {
                "id": cam, "name": cam, "location": {
                    "latitude": 40 + i % 20,
                    "longitude": (midnight + 2 * (i % 10) - 9 + 180) % 360 - 180}})
            key = (await bus.request(camerakeys.KEY_ISSUE, {"camera": cam})).key
            cameras.append(Camera(cam, key, "allskykamera" if i % 2 == 0 else "zenith", i))
        hub_pids = {name: p.pid for name, p in
                    zip(HUB_SERVICES, procs, strict=True)}
        hub_pids["nats-server"] = int(nats.pid_file.read_text().strip())
        bare_base = f"http://127.0.0.1:{bare_port}"
        bare_cams = [Camera(c.camera, c.key, c.dialect, c.seed) for c in cameras]  # the same
        js = nc.jetstream()
        await load(bare_base, bare_cams, 2, args.concurrency)  # warm up both
        warm = await load(base, cameras, 2, args.concurrency)
        await caught_up(js, warm["uploads"])
        start = frames_before = await frames_indexed(js)
        phases: dict[str, dict[str, Any]] = {}
        for name, rate in (("paced", args.rate), ("saturated", None)):
            if name not in args.loads:
                continue
            phases[name] = await rounds(js, (bare_base, bare_cams), (base, cameras), args,
                                        hub_pids, frames_before, rate)
            frames_before += phases[name]["acknowledged"]
        acknowledged = sum(p.pop("acknowledged") for p in phases.values())
        by_process: dict[str, float] = {}
        for phase in phases.values():
            for name, used in phase.pop("cpu_s").items():
                by_process[name] = by_process.get(name, 0.0) + used
        per_upload = sum(by_process.values()) / max(1, acknowledged)
        total_frames = await frames_indexed(js)
        indexed = total_frames - start
        memory = memory_mb(hub_pids)
        backlog = {str(k): await products_run(js, zenith, env, tmp, k, args.cameras,
                                              total_frames)
                   for k in args.products_workers}
        await nc.close()
        return {
            "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
            # settings given to the services from outside: a run with one changed says so
            "settings_from_environment": {
                k: "***" if is_secret_name(k) else redact_url(v)
                for k, v in sorted(os.environ.items()) if k.startswith("ZENITH_")},
            "cameras": args.cameras, "rate": args.rate, "concurrency": args.concurrency,
            "p50_ratio": phases["paced"]["p50_ratio"] if "paced" in phases else None,
            "p50_ratio_note": "the aim's figure: paced load, median over the rounds of the "
                              "hub's p50 over the bare handler's in the same round",
            **phases,
            "cpu_s_per_upload": round(per_upload, 4),
            "cpu_s_per_upload_by_process": {name: round(used / max(1, acknowledged), 4)
                                            for name, used in by_process.items()},
            "cores_for_100_cameras_every_2_min": round(per_upload * 100 / 120, 3),
            "memory_pss_mb_after_ingest": memory,
            "acknowledged": acknowledged, "indexed": indexed,
            "count_check": indexed == acknowledged,
            "products_backlog": backlog,
        }
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
        if bare is not None:
            bare.terminate()
        nats.stop()
        shutil.rmtree(tmp, ignore_errors=True)  # the uploads: gigabytes


async def products_run(js: Any, zenith: str, env: dict[str, str], tmp: Path, workers: int,
                       cameras: int, frames: int) -> dict[str, Any]:
    """``workers`` products processes on the backlog; frames/s until all acknowledged."""
    from zenith.contracts.frames import FRAME_CAPTURED
    from zenith.contracts.products import BUCKET, WORK_ROOT

    stream = FRAME_CAPTURED.stream
    for info in await js.consumers_info(stream):  # the previous run's consumers
        if info.name.startswith("products-"):
            await js.delete_consumer(stream, info.name)
    try:
        await js.delete_key_value(BUCKET)
    except Exception:
        pass
    shutil.rmtree(tmp / "blobs" / WORK_ROOT, ignore_errors=True)  # the nights being built
    run_env = {**env, "ZENITH_PRODUCTS_HUB_INGEST": "true",
               "ZENITH_PRODUCTS_CHECKPOINT_S": "1", "ZENITH_PRODUCTS_DISCOVER_INTERVAL_S": "1",
               "ZENITH_METADATA_URL": f"sqlite:///{tmp / 'data' / f'products-{workers}.db'}"}
    started = time.monotonic()
    procs = [spawn([zenith, "run", "products"], {**run_env, "ZENITH_PRODUCTS_WORKER_ID":
                                                 f"bench-{workers}-{n}"})
             for n in range(workers)]
    cpu_before = 0.0
    done = False
    first: float | None = None  # the first frame delivered: start-up is over
    try:
        deadline = started + 900
        while time.monotonic() < deadline:
            infos = [i for i in await js.consumers_info(stream) if i.name.startswith("products-")]
            if first is None and any(i.delivered.stream_seq > 0 for i in infos):
                first = time.monotonic()
            if (len(infos) >= cameras and all(i.num_pending == 0 and i.num_ack_pending == 0
                                              for i in infos)
                    and sum(i.delivered.stream_seq > 0 for i in infos) >= cameras):
                done = True
                break
            await asyncio.sleep(0.5)
        seconds = time.monotonic() - started
        working = time.monotonic() - (first or started)
        cpu = cpu_seconds([p.pid for p in procs]) - cpu_before
        running = sum(proc.poll() is None for proc in procs)  # a worker that died: no result
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
    if running < workers:
        raise RuntimeError(f"{workers - running} of {workers} products workers exited early")
    return {"workers": workers, "frames": frames, "done": done,
            "seconds_with_start_up": round(seconds, 2), "seconds": round(working, 2),
            "frames_per_s": round(frames / working, 2),
            "frames_per_s_per_worker": round(frames / working / workers, 2),
            "cpu_s_per_frame": round(cpu / max(1, frames), 4),
            "note": "seconds: from the first frame delivered to the last acknowledged "
                    "(checkpoints every 1 s); cpu includes start-up"}


def write_result(path: Path, result: dict[str, Any]) -> None:
    """``result`` as JSON to ``path`` (its folder made) and to standard output."""
    text = json.dumps(result, indent=2)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text + "\n")
    print(text)


def main() -> int:
    if len(sys.argv) == 4 and sys.argv[1] == "--serve-bare":
        serve_bare(int(sys.argv[2]), sys.argv[3])
        return 0
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cameras", type=int, default=10)
    parser.add_argument("--seconds", type=float, default=30,
                        help="load seconds for each of the two, split over the rounds")
    parser.add_argument("--rounds", type=int, default=5,
                        help="bare and hub take turns this many times")
    parser.add_argument("--concurrency", type=int, default=4,
                        help="clients of the saturated load")
    parser.add_argument("--rate", type=float, default=10,
                        help="uploads per second of the paced load (10: 1200 cameras at "
                        "one frame per 2 minutes)")
    parser.add_argument("--loads", type=lambda v: v.split(","), default=["paced", "saturated"],
                        help="which loads to run (paced,saturated)")
    parser.add_argument("--products-workers",
                        type=lambda v: [int(x) for x in v.split(",") if x.strip()],
                        default=[1, 2], help="products worker counts on the backlog (1,2; "
                        "empty: none)")
    parser.add_argument("--out", type=Path, default=RESULT,
                        help=f"where the results go ({RESULT.relative_to(ROOT)})")
    args = parser.parse_args()
    write_result(args.out, asyncio.run(run(args)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
