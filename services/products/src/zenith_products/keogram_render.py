"""Draw a keogram: the columns (each repeated ``expand`` times), a title
band above (camera, night, time zone) and an hour band below, with a tick
at the first column of each new hour and the hour's label beside it.

:func:`hour_marks` is the label placement: where the ticks go and which
labels have room for their text. The data area is left untouched.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

import cv2
import numpy as np

FONT = cv2.FONT_HERSHEY_SIMPLEX
WHITE = (255, 255, 255)


@dataclass(frozen=True)
class HourMark:
    x: int  # first keogram column of the hour
    label: str  # "00".."23", local time
    text: bool  # whether the label text has room


def band_height(image_height: int) -> int:
    return int(min(48, max(18, round(image_height * 0.05))))


def _text_size(text: str, scale: float, thickness: int) -> tuple[int, int]:
    (w, h), _ = cv2.getTextSize(text, FONT, scale, thickness)
    return int(w), int(h)


def _font(band: int) -> tuple[float, int]:
    thickness = 2 if band >= 36 else 1
    scale = cv2.getFontScaleFromHeight(FONT, max(6, int(band * 0.45)), thickness)
    return float(scale), thickness


def hour_marks(times: Sequence[float] | np.ndarray, tz: ZoneInfo, expand: int = 1,
               band: int = 24, width: int | None = None) -> list[HourMark]:
    """Ticks where the local hour changes between consecutive frames.

    ``times`` are the frames' epoch seconds in keogram order. A label gets
    its text when the text fits between this tick and the next labelled
    one and inside ``width`` (default: ``len(times) * expand``)."""
    width = len(times) * expand if width is None else width
    scale, thickness = _font(band)
    gap = max(2, band // 8)
    marks: list[HourMark] = []
    previous: tuple[object, int] | None = None
    for index, t in enumerate(times):
        local = datetime.fromtimestamp(float(t), tz)
        key = (local.date(), local.hour)
        if previous is not None and key != previous:
            marks.append(HourMark(x=index * expand, label=f"{local.hour:02d}", text=True))
        previous = key
    placed: list[HourMark] = []
    free_from = 0
    for mark in marks:
        text_w, _ = _text_size(mark.label, scale, thickness)
        start = mark.x + gap
        fits = start >= free_from and start + text_w <= width
        placed.append(HourMark(mark.x, mark.label, fits))
        if fits:
            free_from = start + text_w + gap
    return placed


def fit_title(title: str, zone: str, room: int, scale: float, thickness: int
              ) -> tuple[str, float]:
    """The longest form of the title that fits ``room`` pixels, and its scale.

    Tries "title  (zone)", then the title alone, each at full size; then
    shrinks the title down to half size; never lets text run off the edge."""
    candidates = [f"{title}  ({zone})", title] if zone else [title]
    for text in candidates:
        if _text_size(text, scale, thickness)[0] <= room:
            return text, scale
    width = _text_size(title, scale, thickness)[0]
    smaller = scale * room / max(1, width)
    if smaller >= scale / 2:
        return title, smaller
    while title and _text_size(title + "...", scale / 2, thickness)[0] > room:
        title = title[:-1]
    return (title + "...") if title else "", scale / 2


def _put(img: np.ndarray, text: str, x: int, baseline: int, scale: float, thickness: int,
         colour: tuple[int, int, int] = WHITE) -> None:
    cv2.putText(img, text, (x, baseline), FONT, scale, colour, thickness, cv2.LINE_AA)


def canvas(length: int, frames: int, expand: int, labels: bool) -> tuple[np.ndarray, int]:
    """A black keogram image for ``frames`` columns and the height of its
    label bands (0 without labels); the data area starts at row ``band``."""
    band = band_height(length) if labels and frames else 0
    return np.zeros((length + 2 * band, frames * expand, 3), np.uint8), band


def draw_labels(out: np.ndarray, band: int, times: Sequence[float] | np.ndarray, *, expand: int,
                tz: ZoneInfo, title: str) -> list[HourMark]:
    """Write the title band and the hour band of a :func:`canvas`."""
    height = out.shape[0] - 2 * band
    width = out.shape[1]
    scale, thickness = _font(band)
    marks = hour_marks(times, tz, expand, band, width)
    _, text_h = _text_size("0", scale, thickness)
    baseline = (band + text_h) // 2
    zone = datetime.fromtimestamp(float(times[0]), tz).tzname() if len(times) else ""
    left = max(2, band // 6)
    text, title_scale = fit_title(title, zone or "", width - 2 * left, scale, thickness)
    _, title_h = _text_size(text, title_scale, thickness)
    _put(out, text, left, (band + title_h) // 2, title_scale, thickness)
    top = band + height
    tick = max(3, band // 3)
    for mark in marks:
        out[top:top + tick, mark.x] = WHITE
        if mark.text:
            _put(out, mark.label, mark.x + max(2, band // 8), top + baseline, scale, thickness)
    return marks


def render_keogram(data: np.ndarray, times: Sequence[float], *, expand: int, tz: ZoneInfo,
                   title: str, labels: bool = True) -> tuple[np.ndarray, list[HourMark]]:
    """The keogram image (BGR) and its hour marks.

    ``data`` is (length, frames, 3); the result is ``frames * expand`` wide."""
    out, band = canvas(data.shape[0], data.shape[1], expand, labels)
    out[band:band + data.shape[0]] = np.repeat(data, expand, axis=1) if expand > 1 else data
    if not band:
        return out, []
    return out, draw_labels(out, band, times, expand=expand, tz=tz, title=title)
