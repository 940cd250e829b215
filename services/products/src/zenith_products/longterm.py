"""Monthly keogram and monthly/yearly timelapses, updated when a night ends.

- Monthly keogram: one row per day of the month. Each night's keogram is
  squeezed to a strip ``strip_height`` px high and laid on a fixed
  noon-to-noon time axis (``width`` px for 24 h), so nights line up by
  clock time and the season's changing night length shows.
- Monthly and yearly timelapses: while a night is built, a small frame is
  kept every ``monthly_interval_s`` (and marked for the yearly one every
  ``yearly_interval_s``) of event time. At the end of the night those are
  encoded into the night's part of each (reduced size, fixed canvas), and
  the month's and year's parts are joined without re-encoding.

Both are drawn from the finished night's snapshot (its keogram chunks and
samples). Parts live in the work folder (``longterm_prefix``), one file
per night, so finishing a night again (a re-render) replaces its part.
"""

from __future__ import annotations

import calendar
import logging
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import cv2
import numpy as np

from zenith.contracts.products import longterm_prefix, product_key, thumb_key
from zenith.storage.blob import BlobStore
from zenith_products.artifact import Artifact
from zenith_products.config import NightConfig
from zenith_products.keogram_render import FONT, WHITE
from zenith_products.snapshot import NightSnapshot
from zenith_products.thumbs import jpeg, png, thumbnail
from zenith_products.video import concat, encode_clip
from zenith_products.work import WorkDir

if TYPE_CHECKING:
    import av

log = logging.getLogger("zenith.products.longterm")
MADE = ("monthly-keogram", "monthly-timelapse", "yearly-timelapse")  # the longterm kinds


def noon_window(night: str, tz: ZoneInfo) -> tuple[float, float]:
    """Epoch seconds of local noon on ``night`` and on the next day."""
    day = date.fromisoformat(night)
    start = datetime.combine(day, time(12), tz)
    end = datetime.combine(day + timedelta(days=1), time(12), tz)
    return start.timestamp(), end.timestamp()


def night_strip(data: np.ndarray, times: np.ndarray, night: str, tz: ZoneInfo, width: int,
                height: int) -> np.ndarray:
    """The night's keogram on the noon-to-noon axis, ``height`` x ``width``."""
    strip = np.zeros((height, width, 3), np.uint8)
    if data.size == 0 or len(times) == 0:
        return strip
    if np.any(np.diff(times) < 0):  # frames arrived out of order: sort them
        order = np.argsort(times, kind="stable")
        times, data = times[order], data[:, order]
    columns = cv2.resize(np.ascontiguousarray(data), (len(times), height),
                         interpolation=cv2.INTER_AREA)
    if columns.ndim == 2:
        columns = columns[:, :, None]
    start, end = noon_window(night, tz)
    per_px = (end - start) / width
    centres = start + (np.arange(width) + 0.5) * per_px
    step = float(np.median(np.diff(times))) if len(times) > 1 else per_px
    max_gap = max(1.5 * step, per_px)
    right = np.clip(np.searchsorted(times, centres), 0, len(times) - 1)
    left = np.clip(right - 1, 0, len(times) - 1)
    pick = np.where(np.abs(times[left] - centres) <= np.abs(times[right] - centres), left, right)
    valid = np.abs(times[pick] - centres) <= max_gap
    strip[:, valid] = columns[:, pick[valid]]
    return strip


def monthly_image(strips: dict[str, np.ndarray], month: str, camera: str, tz: ZoneInfo,
                  width: int, strip_height: int) -> np.ndarray:
    """Stack the strips of ``month`` (YYYY-MM), one row per day, with labels."""
    year, mon = (int(p) for p in month.split("-"))
    days = calendar.monthrange(year, mon)[1]
    band = max(18, min(40, strip_height))
    scale = cv2.getFontScaleFromHeight(FONT, max(6, int(band * 0.45)), 1)
    (label_w, text_h), _ = cv2.getTextSize("31", FONT, scale, 1)
    left = label_w + 8
    height = band + days * strip_height + band
    out = np.zeros((height, left + width, 3), np.uint8)
    baseline = (band + text_h) // 2
    cv2.putText(out, f"{camera}  {month}  ({tz.key})", (4, baseline), FONT, scale, WHITE, 1,
                cv2.LINE_AA)
    for day in range(1, days + 1):
        y = band + (day - 1) * strip_height
        strip = strips.get(f"{month}-{day:02d}")
        if strip is not None:
            out[y:y + strip_height, left:left + width] = strip[:strip_height, :width]
        cv2.putText(out, f"{day:2d}", (2, y + (strip_height + text_h) // 2), FONT, scale,
                    WHITE, 1, cv2.LINE_AA)
    top = band + days * strip_height
    for hour in range(0, 24, 2):
        x = left + round(hour * width / 24)
        out[top:top + max(3, band // 3), x] = WHITE
        label = f"{(12 + hour) % 24:02d}"
        cv2.putText(out, label, (x + 3, top + baseline), FONT, scale, WHITE, 1, cv2.LINE_AA)
    return out


def night_keogram(s: NightSnapshot) -> tuple[np.ndarray, np.ndarray] | None:
    """The night's keogram data (length, frames, 3) and frame times, from its chunks."""
    cols, times = [], []
    for c, t in s.column_chunks():
        cols.append(c)
        times.append(t)
    if not cols:
        return None
    return np.concatenate(cols).transpose(1, 0, 2), np.concatenate(times)


def _sample_frames(paths: Iterable[Path], width: int, height: int) -> Iterable[av.VideoFrame]:
    import av

    for path in paths:
        bgr = cv2.imread(str(path), cv2.IMREAD_COLOR)
        if bgr is None:
            log.warning("long-term sample %s is unreadable; skipped", path)
            continue
        if bgr.shape[1] != width or bgr.shape[0] != height:
            bgr = cv2.resize(bgr, (width, height), interpolation=cv2.INTER_AREA)
        frame = av.VideoFrame.from_ndarray(bgr.astype(np.uint8, copy=False), format="bgr24")
        yield frame.reformat(format="yuv420p", dst_colorspace="ITU601", dst_color_range="MPEG")


class LongTerm:
    """Updates a camera's monthly and yearly products with one finished night."""

    def __init__(self, camera: str, config: NightConfig, blobs: BlobStore) -> None:
        self.camera = camera
        self.config = config
        self.blobs = blobs
        self.parts = WorkDir(blobs, longterm_prefix(camera))

    def update(self, s: NightSnapshot) -> list[Artifact]:
        """Add the finished night of ``s`` to its month's and year's products."""
        return self.update_parts(s.night, night_keogram(s) if "keogram" in s.kinds else None,
                                 s.sample_paths())

    def update_parts(self, night: str, keogram: tuple[np.ndarray, np.ndarray] | None,
                     samples: list[tuple[Path, bool, float]]) -> list[Artifact]:
        cfg = self.config
        month, year = night[:7], night[:4]
        out: list[Artifact] = []
        if keogram is not None:
            strip = night_strip(keogram[0], keogram[1], night, cfg.tz, cfg.monthly_width,
                                cfg.monthly_strip_height)
            self.parts.write(f"{month}/keogram-{night}.png", png(strip))
            out.append(self._monthly_keogram(month))
        params = cfg.longterm_params()
        monthly = [p for p, _, _ in samples]
        yearly = [p for p, is_year, _ in samples if is_year]
        for kind, period, paths in (("monthly-timelapse", month, monthly),
                                    ("yearly-timelapse", year, yearly)):
            part = f"{period}/timelapse-{night}.mp4"
            if paths:
                tmp = self.parts.temp_path(".mp4")
                try:
                    if encode_clip(_sample_frames(paths, params.width, params.height), tmp,
                                   params):
                        self.parts.put_file(part, tmp)
                finally:
                    tmp.unlink(missing_ok=True)
            art = self._joined(kind, period)
            if art is not None:
                art.thumb_key = self._video_thumb(kind, art.night, paths)
                out.append(art)
        return out

    def _video_thumb(self, kind: str, first: str, paths: list[Path]) -> str | None:
        """A thumbnail from the middle of the latest night's part."""
        if not paths:
            existing = thumb_key(self.camera, first, kind)
            return existing if self.blobs.exists(existing) else None
        bgr = cv2.imread(str(paths[len(paths) // 2]), cv2.IMREAD_COLOR)
        if bgr is None:
            return None
        key = thumb_key(self.camera, first, kind)
        self.blobs.write_bytes(key, jpeg(thumbnail(bgr, self.config.thumb_width),
                                         self.config.jpeg_quality))
        return key

    def _period_parts(self, period: str, prefix: str, suffix: str) -> list[str]:
        return sorted(n for n in self.parts.names()
                      if n.startswith(f"{period}/{prefix}") and n.endswith(suffix))

    def _monthly_keogram(self, month: str) -> Artifact:
        cfg = self.config
        strips: dict[str, np.ndarray] = {}
        for name in self._period_parts(month, "keogram-", ".png"):
            night = name[len(f"{month}/keogram-"):-len(".png")]
            img = cv2.imdecode(np.frombuffer(self.parts.read(name), np.uint8), cv2.IMREAD_COLOR)
            if img is not None:
                strips[night] = img
        image = monthly_image(strips, month, self.camera, cfg.tz, cfg.monthly_width,
                              cfg.monthly_strip_height)
        first = f"{month}-01"
        key = product_key(self.camera, first, "monthly-keogram")
        data = jpeg(image, cfg.jpeg_quality)
        self.blobs.write_bytes(key, data)
        thumb = thumb_key(self.camera, first, "monthly-keogram")
        self.blobs.write_bytes(thumb, jpeg(thumbnail(image, cfg.thumb_width), cfg.jpeg_quality))
        last_day = calendar.monthrange(int(month[:4]), int(month[5:]))[1]
        return Artifact("monthly-keogram", first, key, thumb, len(strips),
                        f"{month}-{last_day:02d}" in strips, size=len(data),
                        meta={"nights": sorted(strips), "width": int(image.shape[1]),
                              "height": int(image.shape[0])})

    def _joined(self, kind: str, period: str) -> Artifact | None:
        names = self._period_parts(period, "timelapse-", ".mp4")
        if not names:
            return None
        first = f"{period}-01" if len(period) == 7 else f"{period}-01-01"
        key = product_key(self.camera, first, kind)
        tmp = self.blobs.temp_path(key, ".mp4")
        params = self.config.longterm_params()
        try:
            frames = concat([self.parts.path(n) for n in names], tmp, params)
            size = tmp.stat().st_size
            self.blobs.write_file(key, tmp, move=True)
        finally:
            tmp.unlink(missing_ok=True)
        nights = [n.rsplit("timelapse-", 1)[1][:-4] for n in names]
        if len(period) == 7:
            last = calendar.monthrange(int(period[:4]), int(period[5:]))[1]
            final = f"{period}-{last:02d}" in nights
        else:
            final = f"{period}-12-31" in nights
        return Artifact(kind, first, key, None, frames, final, size=size,
                        meta={"nights": nights, "width": params.width,
                              "height": params.height, "fps": params.fps})
