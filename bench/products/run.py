"""Products benchmarks: each result next to a baseline measured in the same run.

    .venv/bin/python bench/products/run.py [--quick] [--out bench/results/products.json]

1. decode: ms per 1280x960 JPEG for OpenCV (imread, imdecode) and FFmpeg's
   MJPEG decoder (PyAV), which the service uses.
2. rerender: a synthetic night, keogram + startrails together, as a ratio to
   decoding the same JPEGs alone with ``cv2.imread`` (the floor); with the
   default two decoding threads and with one.
3. encode: timelapse frames/s at 1280x960 (default settings), with the
   decode rate as baseline.
4. live: time from the night's last frame event (the last night frame and
   the day frame after it) to every nightly product final, as a ratio to a
   full re-render of that night.
5. memory: peak RSS of a full render (every product) of a short and a 4x
   longer night, each in its own process, with an idle process as baseline.

Medians over repeats; the machine is shared and noisy, so ratios matter more
than absolute numbers.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))  # the synthetic sky lives with the products tests
CAMERA = "bench"
WIDTH, HEIGHT = 1280, 960


def median_time(fn: Callable[[], Any], repeats: int) -> tuple[float, list[float]]:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times), times


# -- data ------------------------------------------------------------------
def make_frames(folder: Path, count: int) -> list[Path]:
    """``count`` distinct synthetic all-sky JPEGs (quality 90)."""
    from tests.services.products.synth import SkySynth, jpeg_bytes

    folder.mkdir(parents=True, exist_ok=True)
    sky = SkySynth(WIDTH, HEIGHT, stars=400, seed=11)
    paths = []
    for i in range(count):
        path = folder / f"{i:05d}.jpg"
        # dusk and dawn frames are too bright for startrails, as in a real night
        level = 0.2 if i < count * 0.05 or i > count * 0.95 else 0.03
        path.write_bytes(jpeg_bytes(sky.frame(i, level=level), 90))
        paths.append(path)
    return paths


def night_docs(paths: list[Path], count: int, night: str, blob_prefix: str) -> list[Any]:
    """Frame documents for a night of ``count`` frames (cycling the files)."""
    from zenith.contracts.frames import FrameDoc

    start = datetime.fromisoformat(night).replace(hour=19, tzinfo=UTC)
    return [FrameDoc(id=f"{night}-{i:05d}", camera=CAMERA, night=night, is_night=True,
                     key=f"{blob_prefix}/{paths[i % len(paths)].name}",
                     taken_at=start + timedelta(seconds=40 * i), width=WIDTH, height=HEIGHT,
                     exposure_s=30.0, gain=1.0, created_at=start)
            for i in range(count)]


# -- 1. decoders -------------------------------------------------------------
def bench_decode(paths: list[Path], repeats: int) -> dict[str, Any]:
    import av
    import cv2
    import numpy as np

    datas = [p.read_bytes() for p in paths]

    def imread() -> None:
        for p in paths:
            cv2.imread(str(p))

    def imdecode() -> None:
        for d in datas:
            cv2.imdecode(np.frombuffer(d, np.uint8), cv2.IMREAD_COLOR)

    def mjpeg(bgr: bool) -> Callable[[], None]:
        def run() -> None:
            codec = av.CodecContext.create("mjpeg", "r")
            codec.thread_count = 1
            for d in datas:
                frame = codec.decode(av.Packet(d))[0]
                if bgr:
                    frame.to_ndarray(format="bgr24")
        return run

    results = {}
    for name, fn in (("cv2.imread", imread), ("cv2.imdecode", imdecode),
                     ("pyav_mjpeg_yuv", mjpeg(False)), ("pyav_mjpeg_bgr", mjpeg(True))):
        med, _ = median_time(fn, repeats)
        results[name] = round(med * 1000 / len(paths), 3)
    floor = results["cv2.imread"]
    return {"ms_per_frame": results,
            "ratio_to_imread": {k: round(v / floor, 3) for k, v in results.items()},
            "frames": len(paths)}


# -- 2. re-render keogram + startrails -----------------------------------------
def bench_rerender(paths: list[Path], blobs: Any, repeats: int) -> dict[str, Any]:
    import cv2

    from zenith_products.config import NightConfig
    from zenith_products.render import render_docs

    docs = night_docs(paths, len(paths), "2026-01-05", "frames/bench/all")
    kinds = frozenset({"keogram", "startrails"})
    config = NightConfig()
    floor, ours, ours1 = [], [], []
    for _ in range(repeats):  # interleaved, so drift hits all alike
        started = time.perf_counter()
        for p in paths:
            cv2.imread(str(p))
        floor.append(time.perf_counter() - started)
        for workers, out in ((2, ours), (1, ours1)):
            started = time.perf_counter()
            result = render_docs(CAMERA, "2026-01-05", docs, config, blobs, kinds=kinds,
                                 longterm=False, workers=workers)
            out.append(time.perf_counter() - started)
            assert result.applied == len(paths)
    f, o, o1 = (statistics.median(x) for x in (floor, ours, ours1))
    return {"frames": len(paths), "size": f"{WIDTH}x{HEIGHT}",
            "floor_cv2_imread_s": round(f, 3), "keogram_startrails_s": round(o, 3),
            "keogram_startrails_1_thread_s": round(o1, 3),
            "ratio": round(o / f, 3), "ratio_1_thread": round(o1 / f, 3), "aim": 1.2,
            "runs_s": {"floor": [round(x, 3) for x in floor],
                       "ours": [round(x, 3) for x in ours]}}


# -- 3. timelapse encoding ---------------------------------------------------
def bench_encode(paths: list[Path], repeats: int, tmp: Path) -> dict[str, Any]:
    import cv2

    from zenith_products.config import NightConfig
    from zenith_products.decode import decode
    from zenith_products.video import SegmentEncoder

    config = NightConfig()
    params = config.timelapse_params(WIDTH, HEIGHT)
    frames = [decode(p.read_bytes()).video_frame(params.width, params.height) for p in paths]

    def encode() -> None:
        out = tmp / "encode.mp4"
        encoder = SegmentEncoder(out, params)
        for frame in frames:
            encoder.add(frame)
        encoder.close()
        out.unlink()

    def imread() -> None:
        for p in paths:
            cv2.imread(str(p))

    enc, _ = median_time(encode, repeats)
    dec, _ = median_time(imread, repeats)
    return {"frames": len(frames), "size": f"{params.width}x{params.height}",
            "preset": params.preset, "crf": params.crf,
            "encode_fps": round(len(frames) / enc, 1),
            "baseline_cv2_imread_fps": round(len(frames) / dec, 1),
            "ratio_encode_to_decode_time": round(enc / dec, 3)}


# -- 4. live: last frame to final products ------------------------------------
async def _until(done: Callable[[], bool], step: float, timeout: float = 600.0) -> None:
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        if done():
            return
        await asyncio.sleep(step)
    raise TimeoutError("the products service did not get there in time")


async def _live(paths: list[Path], repeats: int, tmp: Path) -> dict[str, Any]:
    from prometheus_client import REGISTRY

    from tests.services.products.synth import (
        frame_doc,
        frame_event,
        publish_event,
        publish_frame,
    )
    from zenith.bus.connect import connect
    from zenith.bus.jetstream import ensure_jetstream
    from zenith.cli.nats_server import NatsServer, free_port
    from zenith.config import load_settings
    from zenith.contracts.products import PRODUCT_READY, ProductReady
    from zenith.runner import service_context
    from zenith.storage.factory import open_blobs, open_metadata
    from zenith_products.config import NightConfig
    from zenith_products.render import render_docs
    from zenith_products.service import serve
    from zenith_products.settings import ProductsSettings

    def applied() -> float:
        return REGISTRY.get_sample_value("zenith_products_frames_total",
                                         {"camera": CAMERA, "outcome": "applied"}) or 0.0

    server = NatsServer(tmp / "nats", free_port())
    server.start()
    data = tmp / "live"
    settings = load_settings(ProductsSettings, env={}, camera=CAMERA, nats_url=server.url,
                             data_dir=data, products_discover_interval_s=0.2,
                             products_retention_interval_s=0)
    data.mkdir(parents=True, exist_ok=True)
    meta = await open_metadata(settings.resolved_metadata_url)
    blobs = open_blobs(settings)
    finals: dict[tuple[str, str], float] = {}
    kinds = ("keogram", "startrails", "timelapse", "mini-timelapse")
    out: dict[str, Any] = {"frames": len(paths), "runs": []}
    try:
        nc = await connect(server.url, "bench")
        js = await ensure_jetstream(nc)

        async def on(msg: Any) -> None:
            event = ProductReady.model_validate_json(msg.data)
            if event.final:
                finals[(event.night, event.kind)] = time.perf_counter()

        await nc.subscribe(PRODUCT_READY.wildcard(camera=CAMERA), cb=on)
        async with service_context("products", settings, serve):
            nights = 0
            for _ in range(repeats):
                for mode in ("last_frame", "sunrise"):
                    nights += 1
                    night = f"2026-01-{9 + nights:02d}"
                    start = datetime.fromisoformat(night).replace(hour=19, tzinfo=UTC)
                    events = []
                    for i, path in enumerate(paths):
                        key = f"frames/{CAMERA}/{night}/{path.name}"
                        event = frame_event(CAMERA, night, f"{night}-{i:05d}",
                                            start + timedelta(seconds=40 * i), key, WIDTH,
                                            HEIGHT)
                        events.append((event, path.read_bytes()))
                    day = frame_event(CAMERA, night, f"{night}-day", start + timedelta(hours=13),
                                      events[0][0].key, WIDTH, HEIGHT, is_night=False)
                    # everything but the last frame ("last_frame") or all ("sunrise")
                    head = events[:-1] if mode == "last_frame" else events
                    base = applied()
                    for event, payload in head:
                        await publish_frame(js, blobs, event, payload, meta)
                    target = base + len(head)
                    await _until(lambda t=target: applied() >= t, 0.05)  # the worker caught up
                    await asyncio.sleep(1.0)  # and wrote its interim products
                    t0 = time.perf_counter()
                    if mode == "last_frame":
                        await publish_frame(js, blobs, events[-1][0], events[-1][1], meta)
                    await publish_event(js, day)
                    await _until(lambda n=night: all((n, k) in finals for k in kinds), 0.005)
                    latency = max(finals[(night, k)] for k in kinds) - t0
                    docs = [frame_doc(e) for e, _ in events]  # what capture would list
                    started = time.perf_counter()
                    await asyncio.to_thread(render_docs, CAMERA, night, docs,
                                            NightConfig.from_settings(settings), blobs)
                    rerender = time.perf_counter() - started
                    out["runs"].append({"night": night, "from": mode,
                                        "latency_s": round(latency, 3),
                                        "rerender_s": round(rerender, 3),
                                        "ratio": round(latency / rerender, 4)})
        await nc.close()
    finally:
        await meta.close()
        server.stop()
    for mode in ("last_frame", "sunrise"):
        runs = [r for r in out["runs"] if r["from"] == mode]
        out[mode] = {"latency_s": statistics.median(r["latency_s"] for r in runs),
                     "rerender_s": statistics.median(r["rerender_s"] for r in runs),
                     "ratio": round(statistics.median(r["ratio"] for r in runs), 4)}
    out.update(ratio=out["last_frame"]["ratio"], aim=0.1,
               note="latency to the last final keogram/startrails/timelapse/mini-timelapse "
                    "event; last_frame: from publishing the night's last frame followed at "
                    "once by the day frame that ends the night; sunrise: from publishing the "
                    "day frame when every night frame was already applied. rerender: a full "
                    "render of the same night (every product, monthly/yearly included). "
                    "Default settings (refresh every 30 frames, mini-timelapse of 30 every 5).")
    return out


# -- 5. memory ---------------------------------------------------------------
def memory_child(args: argparse.Namespace) -> None:
    """Runs in its own process: render a night of ``--count`` frames, print RSS."""
    from zenith.storage.blob import BlobStore
    from zenith_products.config import NightConfig
    from zenith_products.render import Progress, render_docs

    class Sampler(Progress):
        """Records the RSS at every tenth of the night."""

        def __init__(self, total: int) -> None:
            super().__init__(total, "memory")
            self.curve: list[float] = []

        def update(self, done: int) -> None:
            if done * 10 // self.total > len(self.curve) - 1 or done == self.total:
                self.curve.append(round(rss_kb("VmRSS") / 1024, 1))

        def close(self) -> None:
            return None

    blobs = BlobStore(args.blob_dir)
    paths = sorted(blobs.path("frames/bench/all").glob("*.jpg"))
    curve: list[float] = []
    if args.count:
        docs = night_docs(paths, args.count, "2026-02-01", "frames/bench/all")
        sampler = Sampler(len(docs))
        result = render_docs(CAMERA, "2026-02-01", docs, NightConfig(), blobs,
                             progress=sampler)
        assert result.applied == args.count
        curve = sampler.curve
    print(json.dumps({"count": args.count, "peak_rss_mb": round(rss_kb("VmHWM") / 1024, 1),
                      "rss_curve_mb": curve}))


def rss_kb(field: str) -> int:
    """``VmRSS`` (now) or ``VmHWM`` (high-water mark) of this process. Both
    belong to the program (they start afresh at exec); ``ru_maxrss`` would
    include the parent's size at fork."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def bench_memory(blob_dir: Path, counts: tuple[int, int]) -> dict[str, Any]:
    def child(count: int) -> dict[str, Any]:
        done = subprocess.run([sys.executable, __file__, "--memory-child", "--count",
                               str(count), "--blob-dir", str(blob_dir)],
                              capture_output=True, text=True, check=True)
        return json.loads(done.stdout.strip().splitlines()[-1])

    idle = child(0)
    short, long = child(counts[0]), child(counts[1])
    curve = long["rss_curve_mb"]
    mid = len(curve) // 2
    return {"idle_process_mb": idle["peak_rss_mb"],
            f"night_{counts[0]}_frames_mb": short["peak_rss_mb"],
            f"night_{counts[1]}_frames_mb": long["peak_rss_mb"],
            "ratio_long_to_short": round(long["peak_rss_mb"] / short["peak_rss_mb"], 3),
            "growth_mb": round(long["peak_rss_mb"] - short["peak_rss_mb"], 1),
            f"rss_curve_{counts[1]}_frames_mb": curve,
            "growth_second_half_mb": round(max(curve[mid:]) - max(curve[:mid + 1]), 1)
            if curve else None,
            "note": "peak RSS (VmHWM) of a full render (decode, keogram, startrails, "
                    "timelapse, mini-timelapse, monthly/yearly parts), one process each. "
                    "RSS rises while the allocator warms up (about 400 frames) and then "
                    "stays flat: see the curve, sampled every tenth of the long night, and "
                    "the peak of its second half less the peak of its first half; "
                    "what still grows is the keogram picture itself (3 bytes x height "
                    "per frame)."}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer frames, one repeat")
    parser.add_argument("--out", default=str(ROOT / "bench" / "results" / "products.json"))
    parser.add_argument("--memory-child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--count", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--blob-dir", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.memory_child:
        memory_child(args)
        return 0

    from zenith.storage.blob import BlobStore

    frames = 60 if args.quick else 300
    repeats = 1 if args.quick else 3
    started = time.perf_counter()
    tmp = Path(tempfile.mkdtemp(prefix="zenith-bench-products-"))
    try:
        blob_dir = tmp / "blobs"
        blobs = BlobStore(blob_dir)
        paths = make_frames(blobs.path("frames/bench/all"), frames)
        print(f"made {frames} frames of {WIDTH}x{HEIGHT}", file=sys.stderr)
        results: dict[str, Any] = {}
        results["decode"] = bench_decode(paths, repeats)
        print("decode", json.dumps(results["decode"]), file=sys.stderr)
        results["rerender"] = bench_rerender(paths, blobs, repeats)
        print("rerender", json.dumps(results["rerender"]), file=sys.stderr)
        results["encode"] = bench_encode(paths[: min(120, frames)], repeats, tmp)
        print("encode", json.dumps(results["encode"]), file=sys.stderr)
        results["live"] = asyncio.run(_live(paths, repeats, tmp))
        print("live", json.dumps(results["live"]), file=sys.stderr)
        results["memory"] = bench_memory(blob_dir, (frames, frames * 4))
        print("memory", json.dumps(results["memory"]), file=sys.stderr)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    report = {
        "benchmark": "products", "quick": args.quick,
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(),
                    "platform": platform.platform()},
        "took_s": round(time.perf_counter() - started, 1),
        "results": results,
    }
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp_out = out.with_suffix(".json.tmp")
    tmp_out.write_text(json.dumps(report, indent=2) + "\n")
    tmp_out.replace(out)
    print(f"wrote {out} in {report['took_s']} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
