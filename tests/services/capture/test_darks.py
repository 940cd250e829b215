"""Dark frames: the library over the bus, and a night without hot pixels."""

from __future__ import annotations

import json

import cv2
import numpy as np

from zenith.contracts import capture
from zenith.storage.factory import open_blobs
from zenith_capture.backends.simulator import sim_config
from zenith_capture.sim.render import SkyRenderer

from .conftest import CAMERA, eventually, running_capture

HOT = dict(capture_autostart=False, capture_auto_exposure=False, capture_exposure_s=5.0,
           capture_gain=1.0, capture_sim_hot_pixels=150, capture_sim_meteor_rate=0.0)


def startrails(blobs, keys):
    """What the products' startrails are: the brightest value of each pixel."""
    stack = None
    for key in keys:
        img = cv2.imdecode(np.frombuffer(blobs.read_bytes(key), np.uint8), cv2.IMREAD_GRAYSCALE)
        stack = img if stack is None else np.maximum(stack, img)
    return stack


def visible_hot_pixels(stack, renderer):
    """Hot pixels standing out of their neighbourhood in the stack."""
    local = cv2.medianBlur(stack, 5).astype(int)
    excess = stack.astype(int) - local
    return int(sum(excess[y, x] > 25 for y, x in zip(renderer.hot_y, renderer.hot_x,
                                                   strict=True)))


def night_keys(blobs):
    return {k for k in blobs.keys(f"frames/{CAMERA}") if k.endswith(".jpg")}


async def test_a_dark_subtracted_night_has_no_hot_pixels_in_its_startrails(make_settings, bus):
    settings = make_settings(**HOT)
    renderer = SkyRenderer(sim_config(settings))
    blobs = open_blobs(settings)
    async with running_capture(settings) as (_, app):
        assert (await bus.request(capture.DARKS_LIST, camera=CAMERA)).darks == []
        # without a dark: the hot pixels are in the startrails
        await bus.request(capture.START, camera=CAMERA)
        await eventually(lambda: app.loop.frames >= 4, timeout=60)
        await bus.request(capture.STOP, camera=CAMERA, timeout=20)
        before = night_keys(blobs)
        assert visible_hot_pixels(startrails(blobs, before), renderer) > 50

        dark = await bus.request(capture.DARKS_RECORD, {"frames": 4, "exposure_s": 5.0,
                                                        "gain": 1.0}, camera=CAMERA,
                                 timeout=60)
        assert dark.frames == 4 and dark.exposure_s == 5.0 and dark.gain == 1.0
        assert (dark.width, dark.height, dark.channels) == (640, 480, 3)
        assert dark.hot_pixels >= 100
        assert blobs.exists(dark.key)
        listed = await bus.request(capture.DARKS_LIST, camera=CAMERA)
        assert [d.id for d in listed.darks] == [dark.id]

        await bus.request(capture.START, camera=CAMERA)
        await eventually(lambda: app.loop.frames >= 4, timeout=60)
        await bus.request(capture.STOP, camera=CAMERA, timeout=20)
        after = night_keys(blobs) - before
        assert len(after) >= 4
        stack = startrails(blobs, after)
        assert visible_hot_pixels(stack, renderer) == 0
        assert int((stack > 20).sum()) > 50  # the stars are still there


async def test_the_library_survives_a_restart_and_bad_requests_change_nothing(make_settings,
                                                                            bus, nc):
    settings = make_settings(**HOT)
    async with running_capture(settings):
        dark = await bus.request(capture.DARKS_RECORD, {"frames": 2}, camera=CAMERA,
                                 timeout=60)
        for payload in (b'{"frames": 0}', b'{"frames": 1000}', b'{"exposure_s": -1}',
                        b'{"frames": "many"}', b"\xff"):
            msg = await nc.request(capture.DARKS_RECORD.subject_for(camera=CAMERA), payload,
                                   timeout=10)
            assert msg.headers["Nats-Service-Error-Code"] == "400"
            assert json.loads(msg.data)["error"]["code"] in ("invalid_json", "invalid_request")
    async with running_capture(settings) as (_, app):
        listed = await bus.request(capture.DARKS_LIST, camera=CAMERA)
        assert [d.id for d in listed.darks] == [dark.id]
        assert app.darks is not None and len(app.darks.darks) == 1
