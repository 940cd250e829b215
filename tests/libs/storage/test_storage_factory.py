"""Opening the configured stores from URLs, against the real servers."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.support.mongo import NxServer
from zenith.config import Settings
from zenith.errors import ConfigError, Unavailable
from zenith.storage.factory import open_from_settings, open_metadata, open_series
from zenith.storage.influx_series import InfluxSeriesStore
from zenith.storage.mongo_metadata import MongoMetadataStore
from zenith.storage.series import Point
from zenith.storage.sqlite_metadata import SqliteMetadataStore
from zenith.storage.sqlite_series import SqliteSeriesStore

T0 = datetime(2026, 11, 21, tzinfo=UTC)


async def test_default_settings_open_sqlite_stores_in_data_dir(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "var")
    metadata, series, blobs = await open_from_settings(settings)
    try:
        assert isinstance(metadata, SqliteMetadataStore)
        assert isinstance(series, SqliteSeriesStore)
        await metadata.insert("cameras", {"_id": "demo"})
        await series.write([Point("sky", T0, {"v": 1.0}, {"camera": "demo"})])
        blobs.write_bytes("a.txt", b"x")
    finally:
        await metadata.close()
        await series.close()
    assert (tmp_path / "var" / "metadata.db").is_file()
    assert (tmp_path / "var" / "series.db").is_file()
    assert (tmp_path / "var" / "blobs" / "a.txt").is_file()
    # reopening finds the data again
    again = await open_metadata(settings.resolved_metadata_url)
    try:
        assert await again.get("cameras", "demo") == {"_id": "demo"}
    finally:
        await again.close()


async def test_mongodb_and_influx_urls_open_the_server_backends(mongo_url: str,
                                                                influx_url: str) -> None:
    metadata = await open_metadata(mongo_url)
    series = await open_series(influx_url)
    try:
        assert isinstance(metadata, MongoMetadataStore)
        assert isinstance(series, InfluxSeriesStore)
        await metadata.put("cameras", {"_id": "demo", "name": "Demo"})
        assert await metadata.get("cameras", "demo") == {"_id": "demo", "name": "Demo"}
        await series.write([Point("sky", T0, {"v": 2.0}, {"camera": "demo"})])
        assert await series.measurements() == ["sky"]
    finally:
        await metadata.close()
        await series.close()


@pytest.mark.parametrize("url", ["postgres://host/db", "sqlite://relative.db", "sqlite:///",
                                 "mysql:///x", ""])
async def test_unsupported_metadata_urls_name_the_setting(url: str) -> None:
    with pytest.raises(ConfigError, match="ZENITH_METADATA_URL"):
        await open_metadata(url)


@pytest.mark.parametrize("url", ["influx://host:8086/db", "http://host:8086/db",
                                 "influx+http://host:8086/", "influx+http://host:8086/a/b",
                                 "sqlite:///"])
async def test_unsupported_series_urls_name_the_setting(url: str) -> None:
    with pytest.raises(ConfigError, match="ZENITH_SERIES_URL"):
        await open_series(url)


@pytest.mark.parametrize("url", ["mongodb://127.0.0.1:1/bad.name", "mongodb://",
                                 "mongodb://h:notaport/db"])
async def test_bad_mongodb_urls_are_config_errors(url: str) -> None:
    with pytest.raises(ConfigError, match="ZENITH_METADATA_URL"):
        await open_metadata(url)


async def test_unreachable_servers_are_unavailable(tmp_path: Path) -> None:
    port = NxServer(tmp_path).port  # a free port nothing listens on
    with pytest.raises(Unavailable):
        await MongoMetadataStore.open(f"mongodb://127.0.0.1:{port}/zenith",
                                      server_selection_timeout_ms=300)
    with pytest.raises(Unavailable):
        await InfluxSeriesStore.open(f"influx+http://127.0.0.1:{port}/zenith")
