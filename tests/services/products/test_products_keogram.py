"""Keogram columns, hour labels and the drawn label band."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np

from zenith_products.keogram import ColumnChunk, ColumnSampler, chunk_arrays
from zenith_products.keogram_render import band_height, fit_title, hour_marks, render_keogram

UTC_ZONE = ZoneInfo("UTC")


def test_vertical_axis_takes_the_centre_column():
    rng = np.random.default_rng(1)
    img = rng.integers(0, 255, (240, 320, 3), dtype=np.uint8)
    sampler = ColumnSampler(320, 240)
    assert sampler.length == 240
    assert np.array_equal(sampler.sample(img), img[:, 160])


def test_rotated_axis_samples_along_the_turned_line():
    # x-gradient, the same on every row: a horizontal axis reads it end to end
    img = np.repeat(np.tile(np.arange(250, dtype=np.uint8), (240, 1))[:, :, None], 3, axis=2)
    right = ColumnSampler(250, 240, 90.0)  # "up" turned to the right
    column = right.sample(img)[:, 0].astype(int)
    assert right.length == 249  # the chord through the centre pixel
    assert column[0] == 125 + 124 and column[-1] == 1  # from the right end to the left
    assert np.all(np.diff(column) == -1)
    left = ColumnSampler(250, 240, -90.0).sample(img)[:, 0].astype(int)
    assert np.array_equal(left, column[::-1])
    upside_down = ColumnSampler(320, 240, 180.0)
    rnd = np.random.default_rng(2).integers(0, 255, (240, 320, 3), dtype=np.uint8)
    assert np.array_equal(upside_down.sample(rnd), rnd[::-1, 160])


def _times(start: datetime, count: int, step_min: float) -> list[float]:
    return [(start + timedelta(minutes=step_min * i)).timestamp() for i in range(count)]


def test_hour_marks_fall_at_the_first_column_of_each_hour():
    # 20:40, 20:50, 21:00 (index 2), ... 22:00 (index 8), ... 23:00 (index 14)
    times = _times(datetime(2026, 11, 21, 20, 40, tzinfo=UTC), 16, 10)
    marks = hour_marks(times, UTC_ZONE, expand=3, band=24)
    assert [(m.x, m.label) for m in marks] == [(6, "21"), (24, "22"), (42, "23")]
    assert [m.text for m in marks] == [True, True, False]  # "23" would pass the right edge


def test_hour_labels_use_the_time_zone_and_skip_text_without_room():
    tz = ZoneInfo("Europe/Amsterdam")  # UTC+1 in November
    times = _times(datetime(2026, 11, 21, 20, 55, tzinfo=UTC), 4, 10)  # 21:55 .. 22:25 local
    assert [(m.x, m.label) for m in hour_marks(times, tz)] == [(1, "22")]
    dense = _times(datetime(2026, 11, 21, 20, 0, tzinfo=UTC), 6, 60)  # a frame an hour
    marks = hour_marks(dense, UTC_ZONE, expand=1, band=24, width=200)
    assert [m.x for m in marks] == [1, 2, 3, 4, 5]
    assert [m.text for m in marks] == [True, False, False, False, False]  # no room: overlap


def test_label_band_is_drawn_at_the_marks_and_data_is_untouched():
    times = _times(datetime(2026, 11, 21, 20, 40, tzinfo=UTC), 16, 10)
    data = np.full((120, 16, 3), 40, np.uint8)
    data[:, :, 1] = np.arange(16, dtype=np.uint8)[None, :] * 10
    image, marks = render_keogram(data, times, expand=3, tz=UTC_ZONE, title="cam 2026-11-21")
    band = band_height(120)
    assert image.shape == (120 + 2 * band, 48, 3)
    assert np.array_equal(image[band:band + 120], np.repeat(data, 3, axis=1))
    label_band = image[band + 120:]
    tick = label_band[: max(3, band // 3)]
    mark_x = {m.x for m in marks}
    assert mark_x == {6, 24, 42}
    for x in mark_x:
        assert tick[:, x].min() == 255  # a white tick at each mark
    for x in set(range(48)) - mark_x - {m.x + d for m in marks for d in range(1, 20)}:
        assert tick[:, x].max() == 0  # nothing where no hour begins
    title = image[:band]
    assert title.max() > 128  # the title (camera and date) is written, however narrow


def test_without_labels_the_keogram_is_only_the_columns():
    times = _times(datetime(2026, 11, 21, 20, 40, tzinfo=UTC), 5, 10)
    data = np.zeros((50, 5, 3), np.uint8)
    image, marks = render_keogram(data, times, expand=4, tz=UTC_ZONE, title="x", labels=False)
    assert image.shape == (50, 20, 3) and marks == []


def test_chunks_round_trip():
    chunk = ColumnChunk()
    for i in range(3):
        chunk.add(np.full((10, 3), i, np.uint8), 100.0 + i)
    cols, times = chunk_arrays(chunk.to_bytes())
    assert cols.shape == (3, 10, 3) and list(cols[:, 0, 0]) == [0, 1, 2]
    assert list(times) == [100.0, 101.0, 102.0]
    again = ColumnChunk.from_bytes(chunk.to_bytes())
    assert len(again) == 3 and np.array_equal(again.arrays()[0], cols)


def test_the_title_never_runs_off_a_narrow_keogram():
    title = "roof-camera 2026-11-21"
    for frames in (300, 120, 60, 20):
        times = _times(datetime(2026, 11, 21, 20, 0, tzinfo=UTC), frames, 60)
        data = np.full((400, frames, 3), 30, np.uint8)
        image, _ = render_keogram(data, times, expand=1, tz=UTC_ZONE, title=title)
        band = band_height(400)
        written = np.nonzero(image[:band].max(axis=(0, 2)) > 128)[0]
        assert written.size, frames  # something of the title is there
        assert written.max() < frames - 1, frames  # and it stops before the edge
    scale, thickness = 0.6, 1
    full, _ = fit_title(title, "UTC", 1000, scale, thickness)
    assert full == f"{title}  (UTC)"
    short, _ = fit_title(title, "UTC", 180, scale, thickness)
    assert short == title
    tiny, tiny_scale = fit_title(title, "UTC", 40, scale, thickness)
    assert tiny.endswith("...") and tiny_scale == scale / 2
