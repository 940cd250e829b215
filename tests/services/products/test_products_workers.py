"""Nights end on their own; cameras move between workers without losing a frame."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from tests.services.products.productstest import (
    CAMERA,
    NIGHT,
    Night,
    ProductEvents,
    publish,
    read_image,
    running,
    wait_status,
)
from zenith_products.sun import sun_altitude, sunrise_after


async def test_a_silent_camera_s_night_ends_when_the_sun_rises(settings, blobs,
                                                                events: ProductEvents, nc):
    settings = settings.model_copy(update={"latitude": 52.0, "longitude": 5.0,
                                           "products_sun_angle": -6.0,
                                           "products_finalise_grace_s": 0.5,
                                           "products_tick_s": 0.2})
    evening = datetime(2026, 11, 21, 20, 0, tzinfo=UTC).timestamp()
    sunrise = sunrise_after(evening, 52.0, 5.0, 0.0, -6.0)
    assert sun_altitude(sunrise - 60, 52.0, 5.0) < -6.0 < sun_altitude(sunrise + 60, 52.0, 5.0)
    night = Night(start=datetime.fromtimestamp(sunrise - 6, UTC), interval=timedelta(seconds=2))
    async with running(settings) as ctx:
        await publish(ctx.js, blobs, night.frames(3))  # the last one 2 s before sunrise
        final = await events.wait_final(timeout=30)  # no day frame: the timer ends it
        status = await wait_status(ctx.bus, lambda r: NIGHT in r.finished)
    assert final["keogram"].frames == 3 and status.night is None


async def test_the_next_night_s_first_frame_ends_the_night(settings, blobs, events, nc):
    first, second = Night(night="2026-11-20"), Night(night="2026-11-21")
    second.start = first.start + timedelta(days=1)
    async with running(settings) as ctx:
        await publish(ctx.js, blobs, first.frames(4))
        await publish(ctx.js, blobs, second.frames(3))
        done = await events.wait_final(night="2026-11-20")
        # a late frame of the finished night changes nothing
        await publish(ctx.js, blobs, [first.frame(9)])
        await publish(ctx.js, blobs, [second.sunrise(10)])
        also = await events.wait_final(night="2026-11-21")
    assert done["keogram"].frames == 4 and also["keogram"].frames == 3
    assert read_image(blobs, done["keogram"].key).shape[1] == 4


async def test_a_camera_moves_to_another_worker_mid_night(settings, blobs, events, nc):
    night = Night()
    frames = night.frames(10)
    a = settings.model_copy(update={"products_worker_id": "worker-a"})
    b = settings.model_copy(update={"products_worker_id": "worker-b"})
    async with running(a) as ctx:
        await publish(ctx.js, blobs, frames[:5])
        status = await wait_status(ctx.bus, lambda r: r.frames == 5)
        assert status.worker == "worker-a"
    async with running(b) as ctx:  # worker-a released the camera when it stopped
        status = await wait_status(ctx.bus, lambda r: r.worker == "worker-b")
        assert status.night == NIGHT and status.frames == 5
        await publish(ctx.js, blobs, [*frames[5:], night.sunrise(20)])
        final = await events.wait_final()
    assert final["keogram"].frames == 10 and final["timelapse"].frames == 10
    assert read_image(blobs, final["keogram"].key).shape[1] == 10
    assert final["startrails"].meta["used"] == 10


async def test_two_workers_share_the_cameras(settings, blobs, nc):
    nights = {c: Night(camera=c) for c in (CAMERA, "cam-2")}
    listeners = {c: await ProductEvents.listen(nc, c) for c in nights}
    a = settings.model_copy(update={"products_worker_id": "worker-a"})
    b = settings.model_copy(update={"products_worker_id": "worker-b"})
    async with running(a) as ctx_a:
        for night in nights.values():
            await publish(ctx_a.js, blobs, night.frames(12)[:6])
        for camera in nights:
            await wait_status(ctx_a.bus, lambda r: r.frames == 6, camera=camera)
        async with running(b):  # a second replica: worker-a hands one camera over
            owners = {}
            for camera in nights:
                owners[camera] = (await wait_status(
                    ctx_a.bus, lambda r: r.worker is not None and r.frames == 6,
                    camera=camera)).worker
            for _ in range(100):
                if set(owners.values()) == {"worker-a", "worker-b"}:
                    break
                await asyncio.sleep(0.2)
                owners = {c: (await wait_status(ctx_a.bus, lambda r: True, camera=c)).worker
                          for c in nights}
            assert set(owners.values()) == {"worker-a", "worker-b"}
            for night in nights.values():
                await publish(ctx_a.js, blobs, [*night.frames(12)[6:], night.sunrise(30)])
            for camera, listener in listeners.items():
                final = await listener.wait_final()
                assert final["keogram"].frames == 12, camera
                assert final["timelapse"].frames == 12, camera
                assert read_image(blobs, final["keogram"].key).shape[1] == 12
