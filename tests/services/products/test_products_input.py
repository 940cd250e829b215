"""Bad, duplicate and 16-bit input: logged, counted, skipped; the night intact."""

from __future__ import annotations

import cv2
import numpy as np
from prometheus_client import REGISTRY

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
from tests.services.products.synth import publish_event
from zenith.contracts.frames import FRAME_CAPTURED
from zenith.imaging.decode import image_from_array
from zenith.imaging.stretch import to_display


def counted(outcome: str) -> float:
    return REGISTRY.get_sample_value("zenith_products_frames_total",
                                     {"camera": CAMERA, "outcome": outcome}) or 0.0


OUTCOMES = ("applied", "corrupt", "truncated", "empty", "missing", "resized", "invalid",
            "duplicate", "day")


async def test_bad_frames_are_counted_and_skipped(settings, blobs, events: ProductEvents, nc):
    night = Night()
    good = night.frame(0, keep_image=True).data
    assert good is not None
    frames = [
        night.frame(0),
        night.frame(1),
        night.frame(2, data=b"\xff\xd8" + b"\x13garbage" * 40 + b"\xff\xd9"),  # corrupt
        night.frame(3, data=good[: len(good) // 2]),  # truncated upload
        night.frame(4, data=b""),  # zero bytes
        night.frame(5),
        night.frame(7, image=night.sky.frame(7)[::2, ::2].copy(), keep_image=True),  # 160x120
        night.frame(8),
    ]
    missing = night.frame(6)
    before = {o: counted(o) for o in OUTCOMES}
    async with running(settings) as ctx:
        await publish(ctx.js, blobs, frames[:6])
        await publish_event(ctx.js, missing.event)  # the blob was never written
        await ctx.js.publish(FRAME_CAPTURED.subject_for(camera=CAMERA), b"{not json",
                             headers={"Nats-Msg-Id": "garbage-1"})
        wrong = night.frame(9).event.model_copy(update={"camera": "other"})
        await ctx.js.publish(FRAME_CAPTURED.subject_for(camera=CAMERA),
                             wrong.model_dump_json().encode(), headers={"Nats-Msg-Id": "wrong"})
        await publish(ctx.js, blobs, [*frames[6:], night.sunrise(20)])
        final = await events.wait_final()
        status = await wait_status(ctx.bus, lambda r: NIGHT in r.finished)
    delta = {o: counted(o) - before[o] for o in OUTCOMES}
    assert delta == {"applied": 5, "corrupt": 1, "truncated": 1, "empty": 1, "missing": 1,
                     "resized": 1, "invalid": 2, "duplicate": 0, "day": 1}
    keogram = final["keogram"]
    assert keogram.frames == 5
    assert keogram.meta["bad"] == {"corrupt": 1, "truncated": 1, "empty": 1, "missing": 1}
    assert keogram.meta["resized"] == 1
    image = read_image(blobs, keogram.key)
    assert image.shape[1] == 5
    assert final["timelapse"].frames == 5 and final["startrails"].meta["used"] == 5
    # the small frame was scaled to the night's size: its column is the scaled centre column
    small = frames[6].image
    assert small is not None
    scaled = cv2.resize(small, (320, 240), interpolation=cv2.INTER_AREA)[:, 160].astype(int)
    band = (image.shape[0] - 240) // 2
    assert np.abs(image[band:band + 240, 3].astype(int) - scaled).mean() < 8
    assert status.night is None


async def test_duplicate_events_add_nothing(settings, blobs, events: ProductEvents, nc):
    night = Night()
    frames = night.frames(6)
    before = counted("duplicate")
    async with running(settings) as ctx:
        await publish(ctx.js, blobs, frames)
        # the same frames again: same Nats-Msg-Id (JetStream drops them) ...
        for f in frames[:2]:
            assert await publish_event(ctx.js, f.event) == 0
        # ... and re-sent later under new message ids (past the dedupe window)
        for f in frames[1:4]:
            assert await publish_event(ctx.js, f.event, msg_id=f"{f.event.frame_id}-again") > 0
        await publish(ctx.js, blobs, [night.sunrise(20)])
        final = await events.wait_final()
    assert counted("duplicate") - before == 3
    assert final["keogram"].frames == 6 and final["timelapse"].frames == 6
    assert read_image(blobs, final["keogram"].key).shape[1] == 6
    assert final["startrails"].meta["used"] == 6


async def test_sixteen_bit_input(settings, blobs, events: ProductEvents, nc):
    """Frames from a 12-bit sensor: as the capture service's 8-bit JPEGs, and
    as 16-bit PNG files; the brightness threshold applies to the full scale."""
    night = Night()
    rng = np.random.default_rng(5)
    frames = []
    for i in range(6):
        level = 1400 if i == 3 else 120  # frame 3: a bright sky (about 0.34 of full scale)
        raw = np.clip(rng.normal(level, 20, (240, 320, 3)), 0, 4095).astype(np.uint16)
        raw[100 + i * 5, 150] = 4095
        if i % 2:
            _, data = cv2.imencode(".png", raw)
            payload = data.tobytes()
            key_suffix = ".png"
        else:
            _, data = cv2.imencode(".jpg", to_display(image_from_array(raw, 12)))
            payload = data.tobytes()
            key_suffix = ".jpg"
        frame = night.frame(i, data=payload, bit_depth=16)
        frame.event = frame.event.model_copy(
            update={"key": frame.event.key.replace(".jpg", key_suffix)})
        frames.append(frame)
    async with running(settings) as ctx:
        await publish(ctx.js, blobs, [*frames, night.sunrise(10)])
        final = await events.wait_final()
    trails = final["startrails"].meta
    assert trails["used"] == 5 and trails["skipped"] == 1
    assert 0.3 < trails["brightness"]["max"] < 0.4
    assert 0.02 < trails["brightness"]["min"] < 0.04
    stack = read_image(blobs, final["startrails"].key)
    assert all(stack[100 + i * 5, 150].min() > 200 for i in (0, 1, 2, 4, 5))
    assert final["keogram"].frames == 6 and final["timelapse"].frames == 6
