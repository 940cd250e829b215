"""A night's timelapse, joined from segments, plays in a real Chromium."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.services.products.synth import SkySynth, jpeg_bytes
from tests.support.browser import play_video, require_chromium
from zenith_products.decode import decode
from zenith_products.video import SegmentEncoder, VideoParams, concat

pytestmark = pytest.mark.browser


def _night_video(folder: Path) -> int:
    """A timelapse joined from segments of uneven length, as the service makes it."""
    sky = SkySynth(640, 480, stars=80)
    params = VideoParams(640, 480, fps=25)
    segments, index = [], 0
    for number, length in enumerate((7, 1, 30, 2, 20)):
        encoder = SegmentEncoder(folder / f"seg{number}.mp4", params)
        for _ in range(length):
            encoder.add(decode(jpeg_bytes(sky.frame(index, turn_deg=2))).video_frame(640, 480))
            index += 1
        encoder.close()
        segments.append(encoder.path)
    return concat(segments, folder / "night.mp4", params)


@pytest.fixture
def site(tmp_path: Path) -> tuple[Path, int]:
    """A folder with the video; the video's frame count."""
    require_chromium()
    return tmp_path, _night_video(tmp_path)


async def test_timelapse_plays_to_the_end_in_chromium(site: tuple[Path, int]):
    folder, frames = site
    state = await play_video(folder / "night.mp4", timeout_s=30)
    duration = state["duration"]
    assert frames == 60
    assert duration == pytest.approx(60 / 25, abs=0.05)
    assert state["error"] is None
    assert (state["width"], state["height"]) == (640, 480)
    assert state["time"] == pytest.approx(duration, abs=0.05)
    assert state["frames"] >= 55  # Chromium counts the frames it presented
    assert np.isfinite(duration)
