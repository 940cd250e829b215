"""Startrails stack exactly the frames dark enough by the rule in use:
Allsky's (brightest channel mean at most the threshold) by default, or
mean luma below it."""

from __future__ import annotations

import numpy as np
import pytest

from tests.services.products.productstest import (
    Night,
    ProductEvents,
    make_settings,
    publish,
    read_image,
    running,
)
from zenith_products.startrails import StarTrails

DOTS = [(100 + 16 * i, 90 + (i % 3) * 25) for i in range(8)]  # one distinct dot a frame
BRIGHT = {2, 5}  # frames lit by the moon: mean above the threshold


def _dot(image: np.ndarray, xy: tuple[int, int]) -> float:
    x, y = xy
    return float(image[y - 1:y + 2, x - 1:x + 2].mean())


def grey(level: float) -> tuple[float, float, float]:
    return (level, level, level)


def test_stack_and_statistics():
    trails = StarTrails(0.1, "luma")
    dark = np.zeros((20, 20, 3), np.uint8)
    dark[5, 5] = 200
    bright = np.full((20, 20, 3), 90, np.uint8)
    bright[10, 10] = 255
    assert trails.add(dark, grey(0.02)) is True
    assert trails.add(bright, grey(0.35)) is False
    other = np.zeros((20, 20, 3), np.uint8)
    other[15, 15] = 150
    assert trails.add(other, grey(0.05)) is True
    assert trails.stack is not None
    assert trails.stack[5, 5, 0] == 200 and trails.stack[15, 15, 0] == 150
    assert trails.stack[10, 10, 0] == 0  # the bright frame is not in it
    assert trails.stats() == {"threshold": 0.1, "rule": "luma", "used": 2, "skipped": 1,
                              "brightness": {"min": 0.02, "max": 0.35, "mean": 0.14}}
    assert trails.add(dark, grey(0.1)) is False  # luma: the threshold itself is "too bright"


def test_the_two_rules_part_where_allsky_and_luma_disagree():
    blue = (0.15, 0.05, 0.05)  # luma 0.061, brightest channel 0.15
    frame = np.zeros((4, 4, 3), np.uint8)
    allsky, luma = StarTrails(0.1), StarTrails(0.1, "luma")
    assert allsky.rule == "brightest"  # Allsky's rule is the default
    assert allsky.add(frame, blue) is False and luma.add(frame, blue) is True
    assert allsky.add(frame, grey(0.1)) is True  # Allsky: at the threshold is dark enough
    assert luma.add(frame, grey(0.1)) is False
    assert allsky.stats()["brightness"]["max"] == 0.15
    assert luma.stats()["brightness"]["max"] == pytest.approx(0.1)
    with pytest.raises(ValueError):
        StarTrails(0.1, "median")  # type: ignore[arg-type]


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


BETWEEN = {1, 4, 6}  # frames with a blue sky glow: luma below 0.1, blue channel above it


def _between_night() -> list:
    night = Night()
    frames = []
    for i, dot in enumerate(DOTS):
        image = night.sky.frame(i, level=0.02, dots=[dot])
        if i in BETWEEN:
            glow = np.zeros_like(image)
            glow[..., 0] = 60  # blue, inside the round field of view
            image = np.where(night.sky.mask[..., None] > 0,
                             np.clip(image.astype(int) + glow, 0, 255), image).astype(np.uint8)
        frames.append(night.frame(i, image=image))
    return [*frames, night.sunrise(10)]


@pytest.mark.parametrize("rule, stacked", [
    ("brightest", set(range(len(DOTS))) - BETWEEN),
    ("luma", set(range(len(DOTS)))),
])
async def test_frames_between_the_rules(nats_server, tmp_path, blobs, events: ProductEvents,
                                        rule, stacked):
    frames = _between_night()
    overrides = {} if rule == "brightest" else {"products_startrails_rule": rule}
    settings = make_settings(nats_server.url, tmp_path / "data", **overrides)
    async with running(settings) as ctx:
        await publish(ctx.js, blobs, frames)
        final = await events.wait_final()
    trails = final["startrails"]
    assert trails.meta["rule"] == rule
    assert trails.meta["used"] == len(stacked) and trails.frames == len(stacked)
    stack = read_image(blobs, trails.key)
    for i, dot in enumerate(DOTS):
        if i in stacked:
            assert _dot(stack, dot) > 200, f"dot of frame {i} is missing ({rule})"
        else:
            assert _dot(stack, dot) < 120, f"dot of frame {i} is in the stack ({rule})"
