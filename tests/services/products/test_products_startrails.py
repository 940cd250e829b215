"""Startrails stack exactly the frames darker than the threshold."""

from __future__ import annotations

import numpy as np

from tests.services.products.productstest import Night, ProductEvents, publish, read_image, running
from zenith_products.startrails import StarTrails

DOTS = [(100 + 16 * i, 90 + (i % 3) * 25) for i in range(8)]  # one distinct dot a frame
BRIGHT = {2, 5}  # frames lit by the moon: mean above the threshold


def _dot(image: np.ndarray, xy: tuple[int, int]) -> float:
    x, y = xy
    return float(image[y - 1:y + 2, x - 1:x + 2].mean())


def test_stack_and_statistics():
    trails = StarTrails(0.1)
    dark = np.zeros((20, 20, 3), np.uint8)
    dark[5, 5] = 200
    bright = np.full((20, 20, 3), 90, np.uint8)
    bright[10, 10] = 255
    assert trails.add(dark, 0.02) is True
    assert trails.add(bright, 0.35) is False
    other = np.zeros((20, 20, 3), np.uint8)
    other[15, 15] = 150
    assert trails.add(other, 0.05) is True
    assert trails.stack is not None
    assert trails.stack[5, 5, 0] == 200 and trails.stack[15, 15, 0] == 150
    assert trails.stack[10, 10, 0] == 0  # the bright frame is not in it
    assert trails.stats() == {"threshold": 0.1, "used": 2, "skipped": 1,
                              "brightness": {"min": 0.02, "max": 0.35, "mean": 0.14}}
    assert trails.add(dark, 0.1) is False  # the threshold itself is "too bright"


async def test_bright_frames_stay_out_of_the_stack(settings, blobs, events: ProductEvents, nc):
    night = Night()
    frames = []
    for i, dot in enumerate(DOTS):
        level = 0.3 if i in BRIGHT else 0.02
        frames.append(night.frame(i, level=level, dots=[dot], keep_image=True))
    async with running(settings) as ctx:
        await publish(ctx.js, blobs, [*frames, night.sunrise(10)])
        final = await events.wait_final()
    trails = final["startrails"]
    assert trails.meta["used"] == 6 and trails.meta["skipped"] == 2 and trails.frames == 6
    means = [f.event.mean for f in frames]
    brightness = trails.meta["brightness"]
    assert brightness["min"] < 0.1 < brightness["max"]
    assert abs(brightness["max"] - max(means)) < 0.01 and abs(brightness["min"] - min(means)) < 0.01
    stack = read_image(blobs, trails.key)
    for i, dot in enumerate(DOTS):
        if i in BRIGHT:
            assert _dot(stack, dot) < 60, f"dot of bright frame {i} is in the stack"
        else:
            assert _dot(stack, dot) > 200, f"dot of dark frame {i} is missing"
    # the keogram and the timelapse still have every frame
    assert final["keogram"].frames == 8 and final["timelapse"].frames == 8
    assert read_image(blobs, final["keogram"].key).shape[1] == 8
