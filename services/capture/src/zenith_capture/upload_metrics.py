"""The sky metrics of an uploaded frame: its node's own, or the hub's measure.

A Zenith node measured its frame before it sent it (``FrameMeta.metrics``:
on the raw frame, with its own lens model and dark frames, at the full
resolution its sensor has); the hub keeps those, and spends no measuring on
them (35-60 ms of CPU for a 1920 px frame, ``bench/capture/skymetrics.py``).
A frame that comes without them (an AllSkyKamera camera's, or a node's
whose metrics are missing or out of range) is measured on the hub
(:class:`zenith_capture.skymetrics.SkyMeter`). Whichever it is, the index
and the frame event read the same attributes (:class:`Measured`).

A frame whose metrics the node sent is decoded only for its thumbnail, at the
largest libjpeg DCT scale that still gives the thumbnail's width
(:func:`thumbnail_decode`): a quarter of the pixels or fewer.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Protocol

import cv2

REPORTED = ("mean", "stars", "hfr", "sqm", "cloud_cover", "sharpness")
_REDUCED = ((8, cv2.IMREAD_REDUCED_COLOR_8), (4, cv2.IMREAD_REDUCED_COLOR_4),
            (2, cv2.IMREAD_REDUCED_COLOR_2))


class Measured(Protocol):
    mean: float
    stars: int
    hfr: float | None
    sqm: float | None
    cloud_cover: float | None

    def fields(self) -> dict[str, float]: ...


@dataclass
class ReportedMetrics:
    """Sky metrics a node sent with its frame."""

    mean: float
    stars: int
    hfr: float | None
    sqm: float | None
    cloud_cover: float | None
    sharpness: float | None = None

    def fields(self) -> dict[str, float]:
        out: dict[str, float] = {"mean": round(self.mean, 5), "stars": float(self.stars)}
        for name in ("hfr", "sqm", "cloud_cover", "sharpness"):
            value = getattr(self, name)
            if value is not None:
                out[name] = round(value, 4)
        return out


def reported_metrics(upload_meta: dict[str, Any]) -> ReportedMetrics | None:
    """The node's metrics of a frame, when it sent usable ones: a mean brightness in
    0..1 and a star count at least; any value that is not a finite number, or out of
    its range, makes the hub measure the frame itself."""
    given = upload_meta.get("metrics")
    if not isinstance(given, dict):
        return None
    values: dict[str, float] = {}
    for name in REPORTED:
        value = given.get(name)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int | float) \
                or not math.isfinite(value):
            return None
        values[name] = float(value)
    mean, stars = values.get("mean"), values.get("stars")
    if mean is None or stars is None or not 0 <= mean <= 1 or stars < 0:
        return None
    cloud = values.get("cloud_cover")
    if cloud is not None and not 0 <= cloud <= 1:
        return None
    if any(values.get(name, 0) < 0 for name in ("hfr", "sqm", "sharpness")):
        return None
    return ReportedMetrics(mean=mean, stars=int(stars), hfr=values.get("hfr"),
                           sqm=values.get("sqm"), cloud_cover=cloud,
                           sharpness=values.get("sharpness"))


def thumbnail_decode(width: int | None, thumb_width: int) -> int:
    """The ``cv2.imdecode`` flag that decodes a ``width`` px JPEG at the smallest DCT
    scale still at least ``thumb_width`` wide (the full picture when the width is
    unknown)."""
    if width:
        for factor, flag in _REDUCED:
            if width // factor >= thumb_width:
                return flag
    return cv2.IMREAD_COLOR
