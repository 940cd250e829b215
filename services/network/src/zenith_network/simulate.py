"""``zenith hub simulate``: cameras at different places uploading to a running hub.

For page development and demos. It registers ``cameras`` Zenith cameras
(``sim-<n>``, spread over the globe) and ``ask`` AllSkyKamera cameras
(``sim-ask-<n>``), gives each a fresh key, and then, every ``every_s``:

- a Zenith camera sends a live frame with its metadata and a batch of
  readings through Zenith's dialect, exactly as a node's uplink does;
- an AllSkyKamera camera asks ``/getSecrets.php``, uploads its live image
  (``fullhd``, ``mobile``, ``thumb``) and writes line protocol to
  ``/api/v2/write`` with the token it got, as the client does; on its
  first round it also uploads last night's keogram, startrails and video.

The pictures are synthetic (a sky that darkens with the sun's hour angle,
random stars), small JPEGs: the hub checks and indexes them like any other.
"""

from __future__ import annotations

import asyncio
import io
import json
import logging
import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import cv2
import numpy as np

from zenith.bus.client import BusClient
from zenith.contracts import camerakeys, ingest
from zenith.contracts import network as c
from zenith.errors import Conflict

log = logging.getLogger("zenith.network.simulate")

PLACES = (("Amsterdam", 52.37, 4.89, "Europe/Amsterdam"), ("Tenerife", 28.3, -16.5,
          "Atlantic/Canary"), ("Sydney", -33.87, 151.21, "Australia/Sydney"),
          ("Denver", 39.74, -104.99, "America/Denver"), ("Atacama", -24.6, -70.4,
                                                         "America/Santiago"),
          ("Tokyo", 35.68, 139.69, "Asia/Tokyo"))


@dataclass
class SimCamera:
    id: str
    dialect: str
    longitude: float
    key: str = ""
    token: str = ""
    rounds: int = 0


def sky(width: int, when: datetime, longitude: float, seed: int) -> bytes:
    """A synthetic all-sky JPEG: brightness follows local solar time."""
    height = width * 3 // 4
    solar_h = (when.hour + when.minute / 60 + longitude / 15) % 24
    daylight = max(0.0, math.cos((solar_h - 12) / 12 * math.pi))
    rng = np.random.default_rng(seed)
    base = np.full((height, width, 3), int(10 + 200 * daylight), np.uint8)
    base[..., 0] = np.clip(base[..., 0].astype(int) + 30, 0, 255)
    if daylight < 0.2:
        ys, xs = rng.integers(0, height, 150), rng.integers(0, width, 150)
        base[ys, xs] = 255
    ok, data = cv2.imencode(".jpg", base, [cv2.IMWRITE_JPEG_QUALITY, 85])
    assert ok
    return bytes(data.tobytes())


def tiny_video() -> bytes:
    import av

    out = io.BytesIO()
    with av.open(out, "w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=10)
        stream.width, stream.height, stream.pix_fmt = 160, 120, "yuv420p"
        for n in range(10):
            img = np.full((120, 160, 3), n * 20, np.uint8)
            for packet in stream.encode(av.VideoFrame.from_ndarray(img, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return out.getvalue()


async def register(bus: BusClient, cameras: int, ask: int) -> list[SimCamera]:
    out = []
    for n in range(cameras + ask):
        dialect = "zenith" if n < cameras else "allskykamera"
        name, lat, lon, tz = PLACES[n % len(PLACES)]
        cam_id = f"sim-{n}" if dialect == "zenith" else f"sim-ask-{n - cameras}"
        body = {"id": cam_id, "name": f"{name} ({dialect})", "site": name,
                "location": {"latitude": lat, "longitude": lon, "timezone": tz,
                             "precision": "10km"}}
        try:
            await bus.request(c.CAMERA_ADD, body)
        except Conflict:
            pass
        key = (await bus.request(camerakeys.KEY_ISSUE, {"camera": cam_id, "grace_s": 0})).key
        out.append(SimCamera(cam_id, dialect, lon, key))
    return out


async def _ok(resp: aiohttp.ClientResponse, what: str) -> None:
    if resp.status >= 300:
        log.warning("%s: %s %s", what, resp.status, (await resp.text())[:200])


async def zenith_round(session: aiohttp.ClientSession, hub: str, cam: SimCamera) -> None:
    now = datetime.now(UTC)
    base = f"{hub}{ingest.ZENITH_PREFIX}/{cam.id}"
    headers = {"X-API-Key": cam.key}
    form = aiohttp.FormData()
    form.add_field("meta", json.dumps({"taken_at": now.isoformat(), "exposure_s": 10.0,
                                       "gain": 4.0}))
    form.add_field("frame", sky(960, now, cam.longitude, cam.rounds), filename="frame.jpg",
                   content_type="image/jpeg")
    async with session.post(base + "/frames", data=form,
                            headers={**headers, "Idempotency-Key": f"f-{now.timestamp()}"}
                            ) as resp:
        await _ok(resp, f"{cam.id} frame")
    readings = {"readings": [{"sensor": "bme280", "measurement": "bme280",
                              "time": now.isoformat(),
                              "fields": {"temperature": 5 + 3 * math.sin(cam.rounds / 5),
                                         "humidity": 80.0}}]}
    async with session.post(base + "/readings", json=readings,
                            headers={**headers, "Idempotency-Key": f"r-{now.timestamp()}"}
                            ) as resp:
        await _ok(resp, f"{cam.id} readings")


async def ask_round(session: aiohttp.ClientSession, hub: str, cam: SimCamera) -> None:
    now = datetime.now(UTC)
    async with session.get(f"{hub}/getSecrets.php", params={"key": cam.key}) as resp:
        secrets = await resp.json(content_type=None)
    headers = {"X-API-Key": cam.key}
    form = aiohttp.FormData()
    form.add_field("kamera", str(secrets.get("kamera_id", "")))
    form.add_field("asset", "image")
    for part, width in (("fullhd", 1920), ("mobile", 960), ("thumb", 480)):
        form.add_field(part, sky(width, now, cam.longitude, cam.rounds),
                       filename=f"image_{part}.jpg", content_type="image/jpeg")
    async with session.post(f"{hub}/api/v1/image_upload.php", data=form,
                            headers=headers) as resp:
        await _ok(resp, f"{cam.id} image")
    line = f"sqm,kamera={secrets.get('kamera_id', 'X')} mpsas={20.5 + (cam.rounds % 5) / 10}"
    async with session.post(f"{secrets['influx_url']}/api/v2/write", data=line,
                            params={"org": secrets["influx_org"],
                                    "bucket": secrets["influx_bucket"], "precision": "ns"},
                            headers={"Authorization": f"Token {secrets['influx_token']}"}
                            ) as resp:
        await _ok(resp, f"{cam.id} write")
    if cam.rounds == 0:
        night = (now - timedelta(days=1)).strftime("%Y%m%d")
        for asset in ("keogram", "startrail"):
            form = aiohttp.FormData()
            for key, value in (("date", night), ("asset", asset), ("publish_last", "1")):
                form.add_field(key, value)
            for part, width in (("fullhd", 1920), ("mobile", 960), ("thumb", 480)):
                form.add_field(part, sky(width, now, cam.longitude + 180, 99),
                               filename=f"{part}.jpg", content_type="image/jpeg")
            async with session.post(f"{hub}/api/v1/nightly_upload.php", data=form,
                                    headers=headers) as resp:
                await _ok(resp, f"{cam.id} {asset}")
        form = aiohttp.FormData()
        for key, value in (("date", night), ("asset", "video"), ("publish_last", "1")):
            form.add_field(key, value)
        form.add_field("file", await asyncio.to_thread(tiny_video),
                       filename=f"allsky-{night}.mp4", content_type="video/mp4")
        form.add_field("thumb", sky(480, now, cam.longitude, 7), filename="thumb.jpg",
                       content_type="image/jpeg")
        async with session.post(f"{hub}/api/v1/nightly_upload.php", data=form,
                                headers=headers) as resp:
            await _ok(resp, f"{cam.id} video")


async def simulate(bus: BusClient, hub: str, *, cameras: int, ask: int, every_s: float,
                   duration_s: float | None) -> dict[str, Any]:
    sims = await register(bus, cameras, ask)
    for n, sim in enumerate(sims):
        place = PLACES[n % len(PLACES)]
        print(f"simulated camera {sim.id}: {sim.dialect} dialect at {place[0]} "
              f"({place[1]:+.2f}, {place[2]:+.2f})", flush=True)
    loop = asyncio.get_running_loop()
    end = None if duration_s is None else loop.time() + duration_s
    rounds = 0
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60)) as session:
        while end is None or loop.time() < end:
            started = loop.time()
            for cam in sims:
                try:
                    if cam.dialect == "zenith":
                        await zenith_round(session, hub, cam)
                    else:
                        await ask_round(session, hub, cam)
                except (aiohttp.ClientError, KeyError, ValueError) as exc:
                    log.warning("%s: %s", cam.id, exc)
                cam.rounds += 1
            rounds += 1
            await asyncio.sleep(max(0.0, every_s - (loop.time() - started)))
    return {"cameras": [s.id for s in sims], "rounds": rounds}
