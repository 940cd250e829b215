"""SQLite SeriesStore: a field is read by a JSON path lookup when its name is plain
and by walking the fields' JSON otherwise; both give the same values, raw and
downsampled, and another camera's points never count."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from zenith.storage.series import Point
from zenith.storage.sqlite_series import SqliteSeriesStore

T0 = datetime(2026, 11, 1, tzinfo=UTC)
NAMES = ("plain_name-1", "with.dot", 'a "quoted" one', "space d")


async def test_plain_and_other_field_names_read_the_same(tmp_path: Path) -> None:
    store = await SqliteSeriesStore.open(tmp_path / "series.db")
    try:
        points = [Point("weather", T0 + timedelta(minutes=n),
                        {name: float(n + i) for i, name in enumerate(NAMES)},
                        {"camera": camera})
                  for n in range(6) for camera in ("one", "two")]
        await store.write(points)
        end = T0 + timedelta(hours=1)
        raw = await store.query("weather", list(NAMES), start=T0, end=end,
                                tags={"camera": "one"})
        assert [r.values for r in raw] == [
            {name: float(n + i) for i, name in enumerate(NAMES)} for n in range(6)]
        windows = await store.query("weather", list(NAMES), start=T0, end=end,
                                    tags={"camera": "one"}, every_s=120)
        assert [r.values for r in windows] == [
            {name: n + 0.5 + i for i, name in enumerate(NAMES)} for n in (0, 2, 4)]
    finally:
        await store.close()
