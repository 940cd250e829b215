"""pytest fixtures: real storage servers on loopback and every store backend.

Load with ``pytest_plugins = ["tests.support.storage_fixtures"]``.

- ``mongo_server`` (session): an ``nx-27017`` MongoDB wire-protocol server;
  ``mongo_url`` (per test): ``mongodb://127.0.0.1:<port>/<fresh database>``.
- ``influxd`` (session): Debian's ``influxd`` 1.x; ``influx_url`` (per test):
  ``influx+http://127.0.0.1:<port>/<fresh database>``.
- ``metadata_store`` / ``series_store`` (per test, parametrised): an opened
  store on every backend (``sqlite``, ``nx-27017``, ``mongomock``,
  ``mongodb`` / ``sqlite``, ``influxd``, ``influxdb``). The real MongoDB and
  InfluxDB 2/3 runs need ``ZENITH_TEST_MONGODB_URL`` /
  ``ZENITH_TEST_INFLUX_URL`` (+ ``ZENITH_TEST_INFLUX_TOKEN``) and are skipped
  without them.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

from tests.support.influx import Influxd, find_influxd
from tests.support.mongo import NxServer
from tests.support.require import missing
from zenith.storage.metadata import MetadataStore
from zenith.storage.series import SeriesStore

METADATA_BACKENDS = ("sqlite", "nx-27017", "mongomock", "mongodb")
SERIES_BACKENDS = ("sqlite", "influxd", "influxdb")


def fresh_name(prefix: str = "t") -> str:
    return f"{prefix}_{secrets.token_hex(6)}"


def with_database(url: str, database: str) -> str:
    """``url`` with its path replaced by ``/<database>``."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + database, parts.query, ""))


@pytest.fixture(scope="session")
def mongo_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NxServer]:
    """One ``nx-27017`` server for the session (each test gets its own database)."""
    with NxServer(tmp_path_factory.mktemp("nx-27017")) as server:
        yield server


@pytest.fixture
def mongo_url(mongo_server: NxServer) -> str:
    """A MongoDB URL naming a fresh, empty database on ``mongo_server``."""
    return mongo_server.url(fresh_name())


@pytest.fixture(scope="session")
def influxd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Influxd]:
    """One ``influxd`` 1.x for the session (each test gets its own database)."""
    if find_influxd() is None:
        missing("influxd", "apt-get install influxdb")
    with Influxd(tmp_path_factory.mktemp("influxd")) as server:
        yield server


@pytest.fixture
def influx_url(influxd: Influxd) -> str:
    """An ``influx+http://`` URL naming a fresh database on ``influxd``."""
    return influxd.url(fresh_name())


@pytest.fixture(params=METADATA_BACKENDS)
async def metadata_store(request: pytest.FixtureRequest,
                         tmp_path: Path) -> AsyncIterator[MetadataStore]:
    """An open, empty MetadataStore on each backend in turn."""
    store = await _open_metadata(request, tmp_path)
    try:
        yield store
    finally:
        if request.param == "mongodb":
            await store.drop_database()  # type: ignore[attr-defined]
        await store.close()


async def _open_metadata(request: pytest.FixtureRequest, tmp_path: Path) -> MetadataStore:
    backend = request.param
    if backend == "sqlite":
        from zenith.storage.sqlite_metadata import SqliteMetadataStore

        return await SqliteMetadataStore.open(tmp_path / "metadata.db")
    from zenith.storage.mongo_metadata import MongoMetadataStore

    if backend == "nx-27017":
        return await MongoMetadataStore.open(request.getfixturevalue("mongo_url"))
    if backend == "mongomock":
        from mongomock_motor import AsyncMongoMockClient

        return await MongoMetadataStore.open("mongodb://mongomock/" + fresh_name(),
                                             client=AsyncMongoMockClient())
    url = os.environ.get("ZENITH_TEST_MONGODB_URL")
    if not url:
        pytest.skip("set ZENITH_TEST_MONGODB_URL to test against a real MongoDB")
    return await MongoMetadataStore.open(with_database(url, fresh_name()))


@pytest.fixture(params=SERIES_BACKENDS)
async def series_store(request: pytest.FixtureRequest,
                       tmp_path: Path) -> AsyncIterator[SeriesStore]:
    """An open, empty SeriesStore on each backend in turn."""
    backend = request.param
    store: SeriesStore
    if backend == "sqlite":
        from zenith.storage.sqlite_series import SqliteSeriesStore

        store = await SqliteSeriesStore.open(tmp_path / "series.db")
    else:
        from zenith.storage.influx_series import InfluxSeriesStore

        if backend == "influxd":
            store = await InfluxSeriesStore.open(request.getfixturevalue("influx_url"))
        else:
            url = os.environ.get("ZENITH_TEST_INFLUX_URL")
            if not url:
                pytest.skip("set ZENITH_TEST_INFLUX_URL to test against a real InfluxDB 2/3")
            store = await InfluxSeriesStore.open(
                url, token=os.environ.get("ZENITH_TEST_INFLUX_TOKEN") or None)
    try:
        yield store
    finally:
        await store.close()
