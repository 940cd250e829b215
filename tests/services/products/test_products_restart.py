"""A worker killed with SIGKILL mid-night loses nothing and adds nothing.

The products service runs as a real process (``python -m zenith run
products``); it is killed after it applied frames it had not checkpointed
yet, then started again. Its keogram and startrails must be pixel-identical
to those of an uninterrupted run on the same frames.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

import numpy as np
import pytest

from tests.services.products.productstest import (
    CAMERA,
    FAST,
    NIGHT,
    Night,
    ProductEvents,
    make_settings,
    publish,
    read_image,
    running,
    wait_status,
)
from zenith.bus.client import BusClient
from zenith.bus.connect import connect
from zenith.bus.jetstream import ensure_jetstream
from zenith.cli.nats_server import NatsServer, free_port
from zenith.storage.blob import BlobStore

pytestmark = pytest.mark.slow

SETTINGS = {**FAST, "products_checkpoint_frames": 7, "products_checkpoint_s": 30.0,
            "products_refresh_frames": 14, "products_segment_frames": 4,
            "products_mini_frames": 3, "products_mini_every": 2}


def _env(nats_url: str, data_dir: Path, metrics_port: int) -> dict[str, str]:
    env = dict(os.environ)
    env.update({"ZENITH_NATS_URL": nats_url, "ZENITH_DATA_DIR": str(data_dir),
                "ZENITH_CAMERA": CAMERA, "ZENITH_METRICS_PORT": str(metrics_port),
                "PYTHONUNBUFFERED": "1"})
    env.update({f"ZENITH_{k.upper()}": str(v) for k, v in SETTINGS.items()})
    return env


def _applied(port: int) -> float:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=2) as resp:
            text = resp.read().decode()
    except OSError:
        return -1
    for line in text.splitlines():
        if line.startswith("zenith_products_frames_total") and 'outcome="applied"' in line:
            return float(line.rsplit(" ", 1)[1])
    return 0


async def _until(predicate, timeout: float = 60.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            raise TimeoutError("condition not reached")
        await asyncio.sleep(0.1)


def _start(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "zenith", "run", "products"], env=env,
                            stdin=subprocess.DEVNULL, stdout=log.open("ab"),
                            stderr=subprocess.STDOUT)


async def test_sigkill_mid_night_gives_the_same_products(nats_server, nc, tmp_path: Path):
    night = Night()
    frames = night.frames(24)
    sunrise = night.sunrise(40)

    # uninterrupted reference run, on its own nats-server and data dir
    ref_dir = tmp_path / "reference"
    ref_server = NatsServer(tmp_path / "nats-ref", free_port())
    ref_server.start()
    try:
        ref_settings = make_settings(ref_server.url, ref_dir, **SETTINGS)
        ref_blobs = BlobStore(ref_dir / "blobs")
        ref_nc = await connect(ref_server.url, "ref")
        js = await ensure_jetstream(ref_nc)
        ref_events = await ProductEvents.listen(ref_nc)
        async with running(ref_settings):
            await publish(js, ref_blobs, [*frames, sunrise])
            reference = await ref_events.wait_final(("keogram", "startrails", "timelapse",
                                                     "mini-timelapse"))
        await ref_nc.close()
    finally:
        ref_server.stop()

    # the same frames to a real service process, killed mid-night
    data_dir = tmp_path / "killed"
    blobs = BlobStore(data_dir / "blobs")
    events = await ProductEvents.listen(nc)
    js = nc.jetstream()
    bus = BusClient(nc)
    port = free_port()
    log = tmp_path / "products.log"
    proc = _start(_env(nats_server.url, data_dir, port), log)
    try:
        await publish(js, blobs, frames[:10])
        # 10 frames applied, a checkpoint after 7: frames 8-10 are not yet checkpointed
        await _until(lambda: _applied(port) == 10)
        status = await wait_status(bus, lambda r: r.frames == 7)
        assert status.night == NIGHT
        proc.send_signal(signal.SIGKILL)
        assert proc.wait(10) == -signal.SIGKILL
        await publish(js, blobs, frames[10:16])
        port = free_port()
        proc = _start(_env(nats_server.url, data_dir, port), log)  # waits out the old lease
        await _until(lambda: _applied(port) == 9, timeout=60)  # 8..16 again, nothing else
        await publish(js, blobs, [*frames[16:], sunrise])
        final = await events.wait_final(("keogram", "startrails", "timelapse",
                                         "mini-timelapse"))
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
    print(log.read_text()[-3000:])
    for kind in ("keogram", "startrails"):
        ours = read_image(blobs, final[kind].key)
        theirs = read_image(ref_blobs, reference[kind].key)
        assert ours.shape == theirs.shape, kind
        assert np.array_equal(ours, theirs), f"{kind} differs from the uninterrupted run"
        assert final[kind].meta["night_frames"] == 24
    assert final["timelapse"].frames == reference["timelapse"].frames == 24
    assert final["mini-timelapse"].frames == 3
    assert final["startrails"].meta == reference["startrails"].meta
