"""The latest image from the frames web has heard of: served without asking
capture, the newest one wins, and a heard-of file that is gone falls back
to capture's answer (here: none, so 404) instead of failing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.services.web.test_web_latest import wait_for_frame
from tests.services.web.webstack import WebUnderTest
from zenith.bus.client import BusClient
from zenith.contracts import frames
from zenith_web.latestframes import LatestFrames, Newest

GHOST = "ghost"  # a camera no capture serves: only what web heard can answer for it


def test_the_newest_frame_wins() -> None:
    cache = LatestFrames()
    now = datetime.now(UTC)
    cache.note("a", Newest(now, "k2", "t2"))
    cache.note("a", Newest(now - timedelta(seconds=5), "k1", "t1"))  # late, older
    assert cache.get("a") == Newest(now, "k2", "t2")
    cache.forget("a")
    assert cache.get("a") is None


def event(frame: frames.FrameDoc, key: str, taken_at: datetime) -> bytes:
    return frames.FrameCaptured(
        camera=GHOST, frame_id=f"ghost-{taken_at.timestamp()}", taken_at=taken_at,
        night=frame.night, is_night=True, key=key, thumb_key=frame.thumb_key,
        width=frame.width, height=frame.height, exposure_s=1.0, gain=1.0,
        mean=0.1).model_dump_json().encode()


@pytest.mark.asyncio(loop_scope="package")
@pytest.mark.usefixtures("capture_service")
async def test_a_heard_frame_is_served_and_a_vanished_one_is_not(
        web: WebUnderTest, bus: BusClient, blob_dir: Path) -> None:
    frame = await wait_for_frame(bus)
    client = web.remote()
    subject = frames.FRAME_CAPTURED.subject_for(camera=GHOST)
    async with client.get(f"/cameras/{GHOST}/latest/image.jpg") as resp:
        assert resp.status == 404  # nothing heard, nobody to ask
    now = datetime.now(UTC)
    await bus.nc.publish(subject, event(frame, frame.key, now))
    await bus.nc.flush()
    body = b""
    for _ in range(100):
        async with client.get(f"/cameras/{GHOST}/latest/image.jpg") as resp:
            if resp.status == 200:
                body = await resp.read()
                break
    assert body == (blob_dir / frame.key).read_bytes()
    # a newer frame whose file is gone: not served, and no error either
    await bus.nc.publish(subject, event(frame, "frames/ghost/gone.jpg", now + timedelta(1)))
    await bus.nc.flush()
    status = 200
    for _ in range(100):
        async with client.get(f"/cameras/{GHOST}/latest/image.jpg") as resp:
            status = resp.status
            if status != 200:
                break
    assert status == 404
