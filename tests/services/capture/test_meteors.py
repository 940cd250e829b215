"""Meteor detection: the detector on drawn streaks, and candidates through the service."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime, timedelta

import cv2
import numpy as np
import pytest

from zenith.contracts import capture
from zenith.imaging.decode import image_from_array
from zenith.storage.factory import open_blobs
from zenith_capture.backends import register_driver, unregister_driver
from zenith_capture.backends.base import RawFrame
from zenith_capture.backends.simulator import SimulatorDriver
from zenith_capture.meteors import MeteorDetector, long_line_responses

from .conftest import CAMERA, eventually, running_capture

T0 = datetime(2026, 11, 9, 21, 0, tzinfo=UTC)
W, H = 640, 480


def sky(seed: int, draw=None) -> np.ndarray:
    """A noisy dark sky (16-bit), with something drawn on it."""
    rng = np.random.default_rng(seed)
    img = np.full((H, W), 0.08, np.float32) + rng.normal(0, 0.004, (H, W)).astype(np.float32)
    if draw is not None:
        layer = np.zeros((H, W), np.float32)
        draw(layer)
        img += cv2.GaussianBlur(layer, (0, 0), 1.0)
    return np.clip(img * 65535, 0, 65535).astype(np.uint16)


def detect(detector: MeteorDetector, pixels: np.ndarray, n: int):
    return detector.detect(image_from_array(pixels, 16), T0 + timedelta(seconds=30 * n))


def streak(p0, p1, level=0.25):
    return lambda layer: cv2.line(layer, p0, p1, level, 1, lineType=cv2.LINE_AA)


def test_a_streak_is_found_with_its_ends_and_shown_once():
    d = MeteorDetector()
    assert detect(d, sky(1), 0).skipped == "no previous frame"
    found = detect(d, sky(2, streak((200, 150), (320, 230))), 1)
    assert len(found.candidates) == 1
    c = found.candidates[0]
    ends = sorted([(c.x0, c.y0), (c.x1, c.y1)])
    assert ends[0] == pytest.approx((200, 150), abs=4)
    assert ends[1] == pytest.approx((320, 230), abs=4)
    assert c.length_px == pytest.approx(144, abs=8) and c.peak > 0.01
    assert c.diff.dtype == np.uint8 and c.diff.shape[:2] == (c.bbox[3], c.bbox[2])
    # the next frame: the streak is gone (negative in the difference), nothing new
    assert detect(d, sky(3), 2).candidates == []


def test_noise_stars_and_short_or_dashed_lines_are_not_meteors():
    d = MeteorDetector()
    detect(d, sky(1), 0)
    assert detect(d, sky(2), 1).candidates == []
    short = detect(d, sky(3, streak((100, 100), (112, 106))), 2)
    assert short.candidates == []

    def dashes(layer):
        for i in range(0, 160, 40):  # an aircraft's blinking lights
            cv2.line(layer, (150 + i, 300), (158 + i, 300), 0.3, 1)

    assert detect(d, sky(4, dashes), 3).candidates == []

    def star(layer):
        cv2.circle(layer, (400, 200), 2, 0.5, -1)

    assert detect(d, sky(5, star), 4).candidates == []


def test_a_track_across_two_frames_is_withdrawn():
    d = MeteorDetector()
    detect(d, sky(1), 0)
    first = detect(d, sky(2, streak((100, 100), (200, 150))), 1)
    assert len(first.candidates) == 1
    second = detect(d, sky(3, streak((215, 157), (315, 207))), 2)  # the same track, on
    assert second.candidates == []
    assert second.withdrawn == first.candidates


def test_a_changed_sky_and_masked_lights_yield_nothing():
    d = MeteorDetector()
    detect(d, sky(1), 0)

    def cloud(layer):
        cv2.ellipse(layer, (320, 240), (180, 90), 20, 0, 360, 0.05, -1)

    assert detect(d, sky(2, cloud), 1).candidates == []
    mask = np.zeros((H, W), bool)
    mask[140:240, 190:330] = True  # the owner's neighbour's porch light
    m = MeteorDetector(mask=mask)
    detect(m, sky(1), 0)
    assert detect(m, sky(2, streak((200, 150), (320, 230))), 1).candidates == []


def test_a_faint_streak_adds_up_over_its_whole_length():
    # about one noise sigma of the difference in its brightest pixel: the line
    # search sums its whole length, so it stands out where no short piece would
    d = MeteorDetector()
    detect(d, sky(1), 0)
    found = detect(d, sky(2, streak((150, 330), (330, 200), level=0.014)), 1)
    assert len(found.candidates) == 1
    c = found.candidates[0]
    assert c.length_px == pytest.approx(222, abs=30)
    assert c.snr > 10


def cloud_at(shift: int, level: float = 0.05):
    def draw(layer):
        cv2.ellipse(layer, (180 + shift, 260), (120, 70), 10, 0, 360, level, -1)
        layer[:] = cv2.GaussianBlur(layer, (0, 0), 6.0)

    return draw


def both(*draws):
    def draw(layer):
        for f in draws:
            part = np.zeros_like(layer)
            f(part)
            layer += part

    return draw


def test_a_partly_cloudy_frame_is_searched_where_it_is_clear():
    d = MeteorDetector()
    detect(d, sky(1, cloud_at(0)), 0)
    # the cloud drifts by 3 px (its edges change), a meteor crosses the clear part
    moved = detect(d, sky(2, cloud_at(3)), 1)
    assert moved.skipped is None and moved.candidates == []  # cloud edges are not lines
    assert 0.0 < moved.clouded < 0.6
    found = detect(d, sky(3, both(cloud_at(6), streak((420, 120), (560, 230)))), 2)
    assert len(found.candidates) == 1
    assert (found.candidates[0].x0 + found.candidates[0].x1) / 2 == pytest.approx(490, abs=8)


NOISE = 0.004  # sky()'s noise per pixel and frame: a difference has sqrt(2) of it


def streak_at_snr(snr: float, p0, p1):
    """A streak from ``p0`` to ``p1`` whose integrated signal-to-noise in the
    difference is ``snr``: its light (after the blur) summed over a strip 3 px
    wide along it, over the difference's noise of as many pixels, the measure
    bench/meteors reports recall by."""
    unit = np.zeros((H, W), np.float32)
    cv2.line(unit, p0, p1, 1.0, 1, lineType=cv2.LINE_AA)
    unit = cv2.GaussianBlur(unit, (0, 0), 1.0)
    yy, xx = np.mgrid[0:H, 0:W].astype(np.float64)
    (ax, ay), (bx, by) = p0, p1
    dx, dy = bx - ax, by - ay
    t = np.clip(((xx - ax) * dx + (yy - ay) * dy) / (dx * dx + dy * dy), 0.0, 1.0)
    strip = np.hypot(xx - (ax + t * dx), yy - (ay + t * dy)) <= 1.5
    per_unit = float(unit[strip].sum()) / (NOISE * math.sqrt(2.0) * math.sqrt(int(strip.sum())))
    return streak(p0, p1, level=snr / per_unit)


TRACKS = [
    ((120, 300), (220, 250)),
    ((400, 120), (430, 230)),
    ((150, 150), (265, 205)),
    ((480, 380), (360, 350)),
    ((250, 100), (262, 200)),
]  # 100-125 px, any direction


def test_the_matched_filter_adds_a_line_up_over_its_length():
    z = np.zeros((120, 160), np.float32)
    cv2.line(z, (40, 60), (71, 60), 1.0, 1)  # 32 pixels of one noise sigma each
    (r8, r16, r32) = long_line_responses(z)
    assert float(r32[60, 56]) == pytest.approx(math.sqrt(32), rel=0.05)
    assert float(r16[60, 56]) == pytest.approx(math.sqrt(16), rel=0.05)
    assert float(r8[60, 56]) == pytest.approx(math.sqrt(8), rel=0.05)


@pytest.mark.parametrize("p0, p1", TRACKS)
def test_a_streak_at_snr_9_is_found(p0, p1):
    # at this signal-to-noise no short piece of it stands out: the 7-pixel local
    # search alone found one of these five (the matched filter finds them all)
    d = MeteorDetector()
    detect(d, sky(11), 0)
    found = detect(d, sky(12, streak_at_snr(9.0, p0, p1)), 1).candidates
    assert len(found) == 1
    c = found[0]
    mid = ((p0[0] + p1[0]) / 2, (p0[1] + p1[1]) / 2)
    assert ((c.x0 + c.x1) / 2, (c.y0 + c.y1) / 2) == pytest.approx(mid, abs=25)
    length = math.hypot(p1[0] - p0[0], p1[1] - p0[1])
    assert 0.4 * length < c.length_px < 1.3 * length


@pytest.mark.parametrize("p0, p1", TRACKS[:3])
def test_a_streak_at_snr_3_is_below_the_noise(p0, p1):
    d = MeteorDetector()
    detect(d, sky(21), 0)
    assert detect(d, sky(22, streak_at_snr(3.0, p0, p1)), 1).candidates == []


def test_noise_alone_makes_no_candidate_in_many_frames():
    d = MeteorDetector()
    detect(d, sky(100), 0)
    for n in range(1, 13):
        assert detect(d, sky(100 + n), n).candidates == []


class StreakySimulator(SimulatorDriver):
    """The simulator with a bright streak drawn into its third frame."""

    taken = 0

    def capture(self, exposure_s: float, gain: float) -> RawFrame | None:
        frame = super().capture(exposure_s, gain)
        StreakySimulator.taken += 1
        if frame is not None and StreakySimulator.taken == 3:
            layer = np.zeros(frame.pixels.shape[:2], np.float32)
            cv2.line(layer, (250, 180), (380, 260), 200.0, 1, lineType=cv2.LINE_AA)
            layer = cv2.GaussianBlur(layer, (0, 0), 1.0)
            frame.pixels = np.clip(frame.pixels + layer[:, :, None], 0, 255).astype(np.uint8)
        return frame


@pytest.fixture
def streaky():
    StreakySimulator.taken = 0
    register_driver("simulator", StreakySimulator)  # in place of it: its simulated clock
    yield
    unregister_driver("simulator")


async def test_candidates_are_stored_and_listed_per_night(make_settings, bus, nc, streaky):
    # no moving clouds: how far they drift between two frames depends on the machine's load
    settings = make_settings(
        capture_sim_meteor_rate=0.0,
        capture_sim_speed=60.0,
        capture_sim_clouds=0.0,
        capture_auto_exposure=False,
        capture_exposure_s=10.0,
        capture_gain=2.0,
    )
    blobs = open_blobs(settings)
    async with running_capture(settings) as (_, app):
        await eventually(lambda: app.loop.frames >= 5, timeout=90)
        listed = await bus.request(capture.METEORS, {"night": "2026-11-09"}, camera=CAMERA)
        assert listed.camera == CAMERA and listed.day == "2026-11-09"
        records = [capture.MeteorRecord.model_validate(d.candidate) for d in listed.candidates]
        near = [
            i
            for i, r in enumerate(records)
            if abs((r.x0 + r.x1) / 2 - 315) < 8 and abs((r.y0 + r.y1) / 2 - 220) < 8
        ]
        assert len(near) == 1, records  # the drawn streak (the simulator's stars may add others)
        doc, record = listed.candidates[near[0]], records[near[0]]
        assert record.length_px == pytest.approx(153, abs=15)
        assert [r.taken_at for r in records] == sorted(r.taken_at for r in records)
        assert set(doc.parts) == set(capture.METEOR_PARTS)
        for key in doc.parts.values():
            assert blobs.read_bytes(key)[:3] == b"\xff\xd8\xff"
        empty = await bus.request(capture.METEORS, {"night": "2026-11-10"}, camera=CAMERA)
        assert empty.candidates == []
        msg = await nc.request(
            capture.METEORS.subject_for(camera=CAMERA), b'{"night": "yesterday"}', timeout=5
        )
        assert msg.headers["Nats-Service-Error-Code"] == "400"
        assert json.loads(msg.data)["error"]["code"] == "invalid_request"
