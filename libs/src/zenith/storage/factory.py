"""Open the configured backends from URLs in the settings.

- metadata: ``sqlite:///path/metadata.db`` (default) or ``mongodb://host:27017/zenith``
- series: ``sqlite:///path/series.db`` (default) or ``influx+http://host:8086/zenith``
  (``influx+https://`` for TLS; the path is the v1 database / bucket name)
- blobs: a directory.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from zenith.config import Settings
from zenith.errors import ConfigError
from zenith.storage.blob import BlobStore
from zenith.storage.metadata import MetadataStore
from zenith.storage.series import SeriesStore


def _sqlite_path(url: str, setting: str) -> Path:
    """``sqlite:///rel/path.db`` is relative, ``sqlite:////abs/path.db`` absolute."""
    prefix = "sqlite:///"
    if not url.startswith(prefix) or len(url) == len(prefix):
        raise ConfigError(f"{setting}: {url!r} is not sqlite:///path/to/file.db")
    return Path(url[len(prefix):])


async def open_metadata(url: str) -> MetadataStore:
    scheme = urlsplit(url).scheme
    if scheme == "sqlite":
        from zenith.storage.sqlite_metadata import SqliteMetadataStore

        return await SqliteMetadataStore.open(_sqlite_path(url, "ZENITH_METADATA_URL"))
    if scheme in ("mongodb", "mongodb+srv"):
        from zenith.storage.mongo_metadata import MongoMetadataStore

        return await MongoMetadataStore.open(url)
    raise ConfigError(f"ZENITH_METADATA_URL: unsupported scheme {scheme!r} "
                      "(use sqlite:///file.db or mongodb://host/db)")


async def open_series(url: str, token: str | None = None) -> SeriesStore:
    scheme = urlsplit(url).scheme
    if scheme == "sqlite":
        from zenith.storage.sqlite_series import SqliteSeriesStore

        return await SqliteSeriesStore.open(_sqlite_path(url, "ZENITH_SERIES_URL"))
    if scheme in ("influx+http", "influx+https"):
        from zenith.storage.influx_series import InfluxSeriesStore

        return await InfluxSeriesStore.open(url, token=token)
    raise ConfigError(f"ZENITH_SERIES_URL: unsupported scheme {scheme!r} "
                      "(use sqlite:///file.db or influx+http://host:8086/db)")


def open_blobs(settings: Settings) -> BlobStore:
    return BlobStore(settings.resolved_blob_dir)


async def open_from_settings(settings: Settings) -> tuple[MetadataStore, SeriesStore, BlobStore]:
    """All three stores a service needs, as the settings name them."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    token = settings.influx_token.get_secret_value() if settings.influx_token else None
    metadata = await open_metadata(settings.resolved_metadata_url)
    series = await open_series(settings.resolved_series_url, token)
    return metadata, series, open_blobs(settings)
