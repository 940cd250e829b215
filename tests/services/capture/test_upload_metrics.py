"""A node's own metrics of an uploaded frame: kept when usable, else measured."""

from __future__ import annotations

import cv2
import pytest

from zenith_capture.upload_metrics import reported_metrics, thumbnail_decode

GOOD = {"mean": 0.05, "stars": 200.0, "hfr": 1.9, "sqm": 21.1, "cloud_cover": 0.3}


def test_usable_metrics_are_kept() -> None:
    found = reported_metrics({"metrics": {**GOOD, "sun_altitude": -30.0}})
    assert found is not None
    assert (found.mean, found.stars, found.hfr, found.sqm, found.cloud_cover) == \
        (0.05, 200, 1.9, 21.1, 0.3)
    assert found.fields() == {"mean": 0.05, "stars": 200.0, "hfr": 1.9, "sqm": 21.1,
                              "cloud_cover": 0.3}
    bare = reported_metrics({"metrics": {"mean": 0.5, "stars": 0}})
    assert bare is not None and bare.fields() == {"mean": 0.5, "stars": 0.0}


@pytest.mark.parametrize("metrics", [
    None, {}, "x", {"stars": 3}, {"mean": 0.1}, {**GOOD, "mean": 1.5}, {**GOOD, "stars": -1},
    {**GOOD, "cloud_cover": 2}, {**GOOD, "hfr": -1}, {**GOOD, "sqm": float("nan")},
    {**GOOD, "mean": float("inf")}, {**GOOD, "stars": True}, {**GOOD, "hfr": "1.2"},
])
def test_unusable_metrics_are_measured_on_the_hub(metrics: object) -> None:
    assert reported_metrics({"metrics": metrics}) is None


def test_the_thumbnail_decode_is_as_small_as_the_thumbnail_allows() -> None:
    assert thumbnail_decode(1920, 320) == cv2.IMREAD_REDUCED_COLOR_4
    assert thumbnail_decode(2560, 320) == cv2.IMREAD_REDUCED_COLOR_8
    assert thumbnail_decode(1280, 320) == cv2.IMREAD_REDUCED_COLOR_4
    assert thumbnail_decode(800, 320) == cv2.IMREAD_REDUCED_COLOR_2
    assert thumbnail_decode(400, 320) == cv2.IMREAD_COLOR
    assert thumbnail_decode(None, 320) == cv2.IMREAD_COLOR
