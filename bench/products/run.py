"""Products benchmarks: each result next to a baseline measured in the same run.

    .venv/bin/python bench/products/run.py [--quick] [--out bench/results/products.json]

1. floor: CPU and wall ms per 1280x960 JPEG (read from the page cache and
   decoded to BGR) for every decoder available to Python here, each warm
   (a pass first, so the heap has grown) and single-threaded: OpenCV
   ``imread``/``imdecode``, FFmpeg's MJPEG (PyAV), libjpeg-turbo through
   ``simplejpeg`` (a fresh image each time, and into a reused buffer) and
   PyTurboJPEG when its library is installed. The floor is the fastest.
2. rerender: a synthetic night, keogram + startrails (what
   ``zenith products render --only keogram,startrails`` does), CPU seconds
   (all threads) and wall as ratios to the floor decoding the same frames,
   with 1 and 2 decoding workers, interleaved with the floor runs.
3. encode: timelapse frames/s at 1280x960 (default settings), with the
   floor's decode rate as baseline.
4. live: time from the night's last frame event to every nightly product
   final, as a ratio to a full re-render of that night.
5. memory: peak RSS (VmHWM) of a full render (every product) of a short
   and a 4x longer night at each worker count, and of the live service
   building the same two nights from frame events, each in its own
   process, with an idle process as baseline.
6. startup: ``zenith products render`` from exec to its first decoded
   frame (its first progress line), next to a bare ``python -c pass``.

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
AIMS = {"rerender_cpu_ratio": 1.15, "rerender_wall_ratio_2_workers": 0.6,
        "memory_long_to_short": 1.1, "startup_s": 0.4}


def measure(fn: Callable[[], Any]) -> tuple[float, float]:
    """(wall, CPU of the whole process) seconds of one call."""
    wall, cpu = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - wall, time.process_time() - cpu


def median_of(fn: Callable[[], Any], repeats: int) -> tuple[float, float]:
    runs = [measure(fn) for _ in range(repeats)]
    return statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs)


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


# -- 1. the floor ------------------------------------------------------------
def decoders() -> dict[str, Callable[[Path], Any]]:
    """Every single-threaded JPEG -> BGR decode available here, by name."""
    import av
    import cv2
    import numpy as np
    import simplejpeg

    cv2.setNumThreads(1)
    mjpeg = av.CodecContext.create("mjpeg", "r")
    mjpeg.thread_count = 1
    buffer = np.empty((HEIGHT, WIDTH, 3), np.uint8)
    found: dict[str, Callable[[Path], Any]] = {
        "cv2.imread": lambda p: cv2.imread(str(p), cv2.IMREAD_COLOR),
        "cv2.imdecode": lambda p: cv2.imdecode(np.frombuffer(p.read_bytes(), np.uint8),
                                               cv2.IMREAD_COLOR),
        "pyav_mjpeg": lambda p: mjpeg.decode(av.Packet(p.read_bytes()))[0].reformat(
            format="bgr24", threads=1).to_ndarray(),
        "simplejpeg": lambda p: simplejpeg.decode_jpeg(p.read_bytes(), colorspace="BGR"),
        "simplejpeg_reused_buffer": lambda p: simplejpeg.decode_jpeg(
            p.read_bytes(), colorspace="BGR", buffer=buffer),
    }
    try:
        from turbojpeg import TJPF_BGR, TurboJPEG  # type: ignore[import-not-found]

        tj = TurboJPEG()
        found["pyturbojpeg"] = lambda p: tj.decode(p.read_bytes(), pixel_format=TJPF_BGR)
    except Exception:  # not installed, or its library (libturbojpeg0) is missing
        pass
    return found


def floor_pass(decode: Callable[[Path], Any], paths: list[Path]) -> Callable[[], None]:
    def run() -> None:
        for p in paths:
            decode(p)
    return run


def bench_floor(paths: list[Path], repeats: int) -> dict[str, Any]:
    results: dict[str, dict[str, float]] = {}
    for name, decode in decoders().items():
        run = floor_pass(decode, paths)
        run()  # warm: the heap has grown to hold a frame
        wall, cpu = median_of(run, repeats)
        results[name] = {"cpu_ms": round(cpu * 1000 / len(paths), 3),
                         "wall_ms": round(wall * 1000 / len(paths), 3)}
    fastest = min(results, key=lambda n: results[n]["cpu_ms"])
    return {"frames": len(paths), "per_frame": results, "floor": fastest,
            "missing": [] if "pyturbojpeg" in results else
            ["pyturbojpeg (needs Debian's libturbojpeg0; the same libjpeg-turbo as simplejpeg)"],
            "note": "read from the page cache and decoded to BGR, one thread, warm (one pass "
                    "first); medians of the passes. simplejpeg and OpenCV use libjpeg-turbo "
                    "with the exact DCT (identical pixels)."}


# -- 2. re-render keogram + startrails -----------------------------------------
def bench_rerender(paths: list[Path], blobs: Any, repeats: int, floor: str) -> dict[str, Any]:
    from zenith_products.config import NightConfig
    from zenith_products.render import render_docs

    docs = night_docs(paths, len(paths), "2026-01-05", "frames/bench/all")
    kinds = frozenset({"keogram", "startrails"})
    config = NightConfig()
    floor_run = floor_pass(decoders()[floor], paths)
    floor_run()
    runs: dict[str, list[tuple[float, float]]] = {"floor": [], "1": [], "2": []}

    def render(workers: int) -> Callable[[], None]:
        def run() -> None:
            result = render_docs(CAMERA, "2026-01-05", docs, config, blobs, kinds=kinds,
                                 longterm=False, workers=workers)
            assert result.applied == len(paths)
        return run

    render(2)()  # warm, as the floor is
    for _ in range(repeats):  # interleaved, so drift hits all alike
        runs["floor"].append(measure(floor_run))
        for workers in (1, 2):
            runs[str(workers)].append(measure(render(workers)))
    med = {k: (statistics.median(r[0] for r in v), statistics.median(r[1] for r in v))
           for k, v in runs.items()}
    fw, fc = med["floor"]
    out: dict[str, Any] = {"frames": len(paths), "size": f"{WIDTH}x{HEIGHT}", "floor": floor,
                           "floor_wall_s": round(fw, 3), "floor_cpu_s": round(fc, 3)}
    for workers in ("1", "2"):
        w, c = med[workers]
        out[f"workers_{workers}"] = {"wall_s": round(w, 3), "cpu_s": round(c, 3),
                                     "wall_ratio": round(w / fw, 3),
                                     "cpu_ratio": round(c / fc, 3)}
    out["aims"] = {"cpu_ratio": AIMS["rerender_cpu_ratio"],
                   "wall_ratio_2_workers": AIMS["rerender_wall_ratio_2_workers"]}
    out["runs"] = {k: [[round(w, 3), round(c, 3)] for w, c in v] for k, v in runs.items()}
    return out


# -- 3. timelapse encoding ---------------------------------------------------
def bench_encode(paths: list[Path], repeats: int, tmp: Path, floor: str) -> dict[str, Any]:
    from zenith_products.config import NightConfig
    from zenith_products.decode import decode
    from zenith_products.video import SegmentEncoder

    config = NightConfig()
    params = config.timelapse_params(WIDTH, HEIGHT)
    frames = [decode(p.read_bytes(), None).video_frame(params.width, params.height)
              for p in paths]

    def encode() -> None:
        out = tmp / "encode.mp4"
        encoder = SegmentEncoder(out, params)
        for frame in frames:
            encoder.add(frame)
        encoder.close()
        out.unlink()

    enc, _ = median_of(encode, repeats)
    dec, _ = median_of(floor_pass(decoders()[floor], paths), repeats)
    return {"frames": len(frames), "size": f"{params.width}x{params.height}",
            "preset": params.preset, "crf": params.crf,
            "encode_fps": round(len(frames) / enc, 1),
            "baseline_floor_decode_fps": round(len(frames) / dec, 1),
            "ratio_encode_to_decode_time": round(enc / dec, 3)}


# -- 4. live: last frame to final products ------------------------------------
async def _until(done: Callable[[], bool], step: float, timeout: float = 600.0) -> None:
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        if done():
            return
        await asyncio.sleep(step)
    raise TimeoutError("the products service did not get there in time")


class Live:
    """The products service in this process on a real nats-server, fed frame
    events for whole nights."""

    def __init__(self, tmp: Path, paths: list[Path]) -> None:
        self.tmp = tmp
        self.paths = paths
        self.finals: dict[tuple[str, str], float] = {}
        self.docs: dict[str, list[Any]] = {}  # each night's frames, as capture would list them

    async def __aenter__(self) -> Live:
        from zenith.bus.connect import connect
        from zenith.bus.jetstream import ensure_jetstream
        from zenith.cli.nats_server import NatsServer, free_port
        from zenith.config import load_settings
        from zenith.contracts.products import PRODUCT_READY, ProductReady
        from zenith.runner import service_context
        from zenith.storage.factory import open_blobs, open_metadata
        from zenith_products.service import serve
        from zenith_products.settings import ProductsSettings

        self.server = NatsServer(self.tmp / "nats", free_port())
        self.server.start()
        data = self.tmp / "live"
        self.settings = load_settings(ProductsSettings, env={}, camera=CAMERA,
                                      nats_url=self.server.url, data_dir=data,
                                      products_discover_interval_s=0.2,
                                      products_retention_interval_s=0)
        data.mkdir(parents=True, exist_ok=True)
        self.meta = await open_metadata(self.settings.resolved_metadata_url)
        self.blobs = open_blobs(self.settings)
        self.nc = await connect(self.server.url, "bench")
        self.js = await ensure_jetstream(self.nc)

        async def on(msg: Any) -> None:
            event = ProductReady.model_validate_json(msg.data)
            if event.final:
                self.finals[(event.night, event.kind)] = time.perf_counter()

        await self.nc.subscribe(PRODUCT_READY.wildcard(camera=CAMERA), cb=on)
        self._service = service_context("products", self.settings, serve)
        await self._service.__aenter__()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._service.__aexit__(None, None, None)
        await self.nc.close()
        await self.meta.close()
        self.server.stop()

    @staticmethod
    def applied() -> float:
        from prometheus_client import REGISTRY

        return REGISTRY.get_sample_value("zenith_products_frames_total",
                                         {"camera": CAMERA, "outcome": "applied"}) or 0.0

    async def night(self, night: str, count: int, mode: str = "last_frame") -> float:
        """Feed a night of ``count`` frames; returns the latency from the last
        event to every nightly product final."""
        from tests.services.products.synth import (
            frame_doc,
            frame_event,
            publish_event,
            publish_frame,
        )

        kinds = ("keogram", "startrails", "timelapse", "mini-timelapse")
        start = datetime.fromisoformat(night).replace(hour=19, tzinfo=UTC)

        def event(i: int) -> Any:
            path = self.paths[i % len(self.paths)]
            return frame_event(CAMERA, night, f"{night}-{i:05d}",
                               start + timedelta(seconds=40 * i),
                               f"frames/{CAMERA}/{night}/{i:05d}.jpg", WIDTH, HEIGHT), path
        day = frame_event(CAMERA, night, f"{night}-day", start + timedelta(hours=13),
                          event(0)[0].key, WIDTH, HEIGHT, is_night=False)
        head = count - 1 if mode == "last_frame" else count
        self.docs[night] = [frame_doc(event(i)[0]) for i in range(count)]
        base = self.applied()
        for i in range(head):
            ev, path = event(i)
            await publish_frame(self.js, self.blobs, ev, path.read_bytes())
            if i % 50 == 49:  # keep the backlog (and the stream) short, as a camera does
                await _until(lambda t=base + i + 1: self.applied() >= t - 10, 0.05)
        await _until(lambda: self.applied() >= base + head, 0.05)  # the worker caught up
        await asyncio.sleep(1.0)  # and wrote its interim products
        t0 = time.perf_counter()
        if mode == "last_frame":
            ev, path = event(count - 1)
            await publish_frame(self.js, self.blobs, ev, path.read_bytes())
        await publish_event(self.js, day)
        await _until(lambda: all((night, k) in self.finals for k in kinds), 0.005)
        return max(self.finals[(night, k)] for k in kinds) - t0


async def _live(paths: list[Path], repeats: int, tmp: Path) -> dict[str, Any]:
    from zenith_products.config import NightConfig
    from zenith_products.render import render_docs

    out: dict[str, Any] = {"frames": len(paths), "runs": []}
    async with Live(tmp, paths) as live:
        nights = 0
        for _ in range(repeats):
            for mode in ("last_frame", "sunrise"):
                nights += 1
                night = f"2026-01-{9 + nights:02d}"
                latency = await live.night(night, len(paths), mode)
                docs = live.docs[night]
                started = time.perf_counter()
                await asyncio.to_thread(render_docs, CAMERA, night, docs,
                                        NightConfig.from_settings(live.settings), live.blobs)
                rerender = time.perf_counter() - started
                out["runs"].append({"night": night, "from": mode,
                                    "latency_s": round(latency, 3),
                                    "rerender_s": round(rerender, 3),
                                    "ratio": round(latency / rerender, 4)})
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


def memory_child(args: argparse.Namespace) -> None:
    """Runs in its own process: render (or build live) a night of ``--count``
    frames, print the peak RSS and an RSS curve."""
    from zenith.storage.blob import BlobStore
    from zenith_products.allocator import tune_allocator

    tune_allocator()  # as `zenith run products` and `zenith products render` do
    blobs = BlobStore(args.blob_dir)
    paths = sorted(blobs.path("frames/bench/all").glob("*.jpg"))
    curve: list[float] = []
    if args.count and args.live:
        async def live() -> None:
            async with Live(Path(args.blob_dir).parent / f"live-{args.count}", paths) as lv:
                await lv.night("2026-02-01", args.count)
        asyncio.run(live())
    elif args.count:
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

        docs = night_docs(paths, args.count, "2026-02-01", "frames/bench/all")
        sampler = Sampler(len(docs))
        result = render_docs(CAMERA, "2026-02-01", docs, NightConfig(), blobs,
                             workers=args.workers, progress=sampler)
        assert result.applied == args.count
        curve = sampler.curve
    print(json.dumps({"count": args.count, "peak_rss_mb": round(rss_kb("VmHWM") / 1024, 1),
                      "rss_curve_mb": curve}))


def bench_memory(blob_dir: Path, counts: tuple[int, int]) -> dict[str, Any]:
    def child(count: int, *extra: str) -> dict[str, Any]:
        done = subprocess.run([sys.executable, __file__, "--memory-child", "--count",
                               str(count), "--blob-dir", str(blob_dir), *extra],
                              capture_output=True, text=True)
        if done.returncode:
            raise RuntimeError(f"memory child failed: {done.stderr[-2000:]}")
        return json.loads(done.stdout.strip().splitlines()[-1])

    short, long = counts
    out: dict[str, Any] = {"idle_process_mb": child(0)["peak_rss_mb"]}
    for name, extra in (("render_1_worker", ("--workers", "1")),
                        ("render_2_workers", ("--workers", "2")),
                        ("live", ("--live",))):
        a, b = child(short, *extra), child(long, *extra)
        out[name] = {f"night_{short}_frames_mb": a["peak_rss_mb"],
                     f"night_{long}_frames_mb": b["peak_rss_mb"],
                     "ratio_long_to_short": round(b["peak_rss_mb"] / a["peak_rss_mb"], 3),
                     "growth_mb": round(b["peak_rss_mb"] - a["peak_rss_mb"], 1)}
        if b["rss_curve_mb"]:
            out[name][f"rss_curve_{long}_frames_mb"] = b["rss_curve_mb"]
    out["aim"] = AIMS["memory_long_to_short"]
    out["note"] = ("peak RSS (VmHWM) of one process each: render = a full render (decode, "
                   "keogram, startrails, timelapse, mini-timelapse, monthly/yearly parts); "
                   "live = the products service (in a process with the benchmark's "
                   "publisher) building the night from frame events. What still grows "
                   "with the night is the keogram picture itself (3 bytes x height per "
                   "frame, 2.8 MB per 1000 frames at 960 px).")
    return out


# -- 6. start-up --------------------------------------------------------------
async def _first_decode_s(cmd: list[str], env: dict[str, str]) -> float:
    """Seconds from starting ``cmd`` to its first progress line (frame 1 applied)."""
    started = time.perf_counter()
    proc = await asyncio.create_subprocess_exec(*cmd, env=env, stdout=subprocess.DEVNULL,
                                                stderr=subprocess.PIPE)
    assert proc.stderr is not None
    first, tail = None, []
    async for raw in proc.stderr:
        line = raw.decode(errors="replace")
        tail.append(line)
        if first is None and " 1/" in line and "frames" in line:
            first = time.perf_counter() - started
    if await proc.wait() or first is None:
        raise RuntimeError(f"{cmd} failed or printed no progress: {''.join(tail[-20:])}")
    return first


async def _startup(tmp: Path, paths: list[Path], repeats: int) -> list[float]:
    """Runs of the CLI against a real nats-server and capture service (which
    lists the night's frames), on a data folder holding a night."""
    from tests.services.products.synth import frame_event, publish_frame
    from zenith.cli.nats_server import NatsServer, free_port
    from zenith.config import load_settings
    from zenith.runner import service_context
    from zenith.storage.factory import open_blobs, open_metadata
    from zenith_capture.service import serve as serve_capture
    from zenith_capture.settings import CaptureSettings

    night = "2026-03-01"
    data = tmp / "startup"
    data.mkdir(parents=True, exist_ok=True)
    server = NatsServer(tmp / "nats-startup", free_port())
    server.start()
    try:
        capture = load_settings(CaptureSettings, env={}, camera=CAMERA, nats_url=server.url,
                                data_dir=data, capture_autostart=False)
        meta = await open_metadata(capture.resolved_metadata_url)
        blobs = open_blobs(capture)
        start = datetime.fromisoformat(night).replace(hour=19, tzinfo=UTC)
        try:
            for i in range(min(len(paths), 60)):
                event = frame_event(CAMERA, night, f"{night}-{i:05d}",
                                    start + timedelta(seconds=40 * i),
                                    f"frames/{CAMERA}/{night}/{i:05d}.jpg", WIDTH, HEIGHT)
                await publish_frame(None, blobs, event, paths[i % len(paths)].read_bytes(),
                                    meta)
        finally:
            await meta.close()
        env = {**os.environ, "ZENITH_DATA_DIR": str(data), "ZENITH_CAMERA": CAMERA,
               "ZENITH_NATS_URL": server.url}
        zenith = str(Path(sys.executable).with_name("zenith"))
        cmd = [zenith, "products", "render", "--camera", CAMERA, "--night", night,
               "--only", "keogram,startrails", "--no-announce"]
        async with service_context("capture", capture, serve_capture):
            return [await _first_decode_s(cmd, env) for _ in range(repeats)]
    finally:
        server.stop()


def bench_startup(tmp: Path, paths: list[Path], repeats: int) -> dict[str, Any]:
    runs = asyncio.run(_startup(tmp, paths, repeats))
    bare = []
    for _ in range(repeats):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], check=True)
        bare.append(time.perf_counter() - started)
    imports = subprocess.run([sys.executable, "-X", "importtime", "-c",
                              "import numpy, cv2, simplejpeg"], capture_output=True, text=True)
    imaging = sum(int(line.split("|")[1]) for line in imports.stderr.splitlines()
                  if line.startswith("import time:") and "|" in line
                  and line.split("|")[2].strip() in ("numpy", "cv2", "simplejpeg")) / 1e6
    return {"first_decode_s": round(statistics.median(runs), 3),
            "runs_s": [round(r, 3) for r in runs],
            "python_bare_s": round(statistics.median(bare), 3),
            "imports_numpy_cv2_simplejpeg_s": round(imaging, 3),
            "aim_s": AIMS["startup_s"],
            "note": "`zenith products render --only keogram,startrails` from exec to its first "
                    "progress line (the first frame decoded and applied), with the capture "
                    "service listing the night over NATS; python_bare_s is `python -c pass`; "
                    "the imports figure is what any Python decoder here needs (numpy, OpenCV, "
                    "simplejpeg), from -X importtime."}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer frames, one repeat")
    parser.add_argument("--out", default=str(ROOT / "bench" / "results" / "products.json"))
    parser.add_argument("--only", help="comma-separated parts (floor,rerender,encode,live,"
                        "memory,startup); the result file is only written with all of them")
    parser.add_argument("--memory-child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--count", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--workers", type=int, default=2, help=argparse.SUPPRESS)
    parser.add_argument("--live", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--blob-dir", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.memory_child:
        memory_child(args)
        return 0

    from zenith.storage.blob import BlobStore

    parts = set((args.only or "floor,rerender,encode,live,memory,startup").split(","))
    frames = 60 if args.quick else 300
    repeats = 1 if args.quick else 3
    started = time.perf_counter()
    tmp = Path(tempfile.mkdtemp(prefix="zenith-bench-products-"))
    results: dict[str, Any] = {}
    try:
        blob_dir = tmp / "blobs"
        blobs = BlobStore(blob_dir)
        paths = make_frames(blobs.path("frames/bench/all"), frames)
        print(f"made {frames} frames of {WIDTH}x{HEIGHT}", file=sys.stderr)
        floor = "simplejpeg_reused_buffer"
        steps: list[tuple[str, Callable[[], dict[str, Any]]]] = [
            ("floor", lambda: bench_floor(paths, max(3, repeats))),
            ("rerender", lambda: bench_rerender(paths, blobs, max(3, repeats), floor)),
            ("encode", lambda: bench_encode(paths[: min(120, frames)], repeats, tmp, floor)),
            ("live", lambda: asyncio.run(_live(paths, 1, tmp))),
            ("memory", lambda: bench_memory(blob_dir, (frames, frames * 4))),
            ("startup", lambda: bench_startup(tmp, paths, max(3, repeats))),
        ]
        for name, step in steps:
            if name in parts:
                results[name] = step()
                if name == "floor":
                    floor = results["floor"]["floor"]
                print(name, json.dumps(results[name]), file=sys.stderr)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    report = {
        "benchmark": "products", "quick": args.quick,
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(),
                    "platform": platform.platform(),
                    "load_average_1m_at_end": round(os.getloadavg()[0], 2)},
        "took_s": round(time.perf_counter() - started, 1),
        "aims": AIMS,
        "results": results,
    }
    if args.only:
        print(json.dumps(report, indent=2))
        return 0
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp_out = out.with_suffix(".json.tmp")
    tmp_out.write_text(json.dumps(report, indent=2) + "\n")
    tmp_out.replace(out)
    print(f"wrote {out} in {report['took_s']} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
