"""What only the SQLite backends promise: one file shared by several
connections (processes), indexes that queries use, data that survives a reopen."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from zenith.errors import StorageError
from zenith.storage.series import Point
from zenith.storage.sqlite_metadata import SqliteMetadataStore
from zenith.storage.sqlite_series import SqliteSeriesStore

T0 = datetime(2026, 11, 21, tzinfo=UTC)


async def test_two_connections_to_one_file_lose_no_compare_and_set(tmp_path: Path) -> None:
    path = tmp_path / "metadata.db"
    first = await SqliteMetadataStore.open(path)
    second = await SqliteMetadataStore.open(path)
    try:
        await first.insert("counters", {"_id": "c", "n": 0})

        async def increment(store: SqliteMetadataStore) -> None:
            while True:
                doc = await store.get("counters", "c")
                assert doc is not None
                if await store.update("counters", {"_id": "c", "n": doc["n"]},
                                      set={"n": doc["n"] + 1}):
                    return

        await asyncio.gather(*(increment(s) for _ in range(30) for s in (first, second)))
        assert await second.get("counters", "c") == {"_id": "c", "n": 60}
    finally:
        await first.close()
        await second.close()


async def test_filters_on_indexed_fields_use_the_index(tmp_path: Path) -> None:
    path = tmp_path / "metadata.db"
    store = await SqliteMetadataStore.open(path)
    try:
        await store.ensure_index("frames", ["camera", "time"])
        await store.insert("frames", {"_id": "f1", "camera": "demo", "time": "2026"})
    finally:
        await store.close()
    from zenith.storage import validate
    from zenith.storage.sqlite_query import where

    sql, params = where(validate.filter_spec({"camera": "demo", "time": {"$gte": "2025"}}))
    with sqlite3.connect(path) as conn:
        plan = " ".join(str(row) for row in conn.execute(
            f'EXPLAIN QUERY PLAN SELECT doc FROM "frames" WHERE {sql}', params))
    assert "USING INDEX ix:frames:camera,time" in plan


async def test_data_survives_reopening(tmp_path: Path) -> None:
    metadata = await SqliteMetadataStore.open(tmp_path / "m.db")
    series = await SqliteSeriesStore.open(tmp_path / "s.db")
    await metadata.ensure_index("users", ["email"], unique=True)
    await metadata.insert("users", {"_id": "u", "email": "a@example.org"})
    await series.write([Point("sky", T0, {"v": 1.0}, {"camera": "demo"})])
    await metadata.close()
    await series.close()
    metadata = await SqliteMetadataStore.open(tmp_path / "m.db")
    series = await SqliteSeriesStore.open(tmp_path / "s.db")
    try:
        assert await metadata.get("users", "u") == {"_id": "u", "email": "a@example.org"}
        assert await metadata.count("users", {"email": "a@example.org"}) == 1
        found = await series.query("sky", ["v"], start=T0, end=T0 + timedelta(seconds=1))
        assert [r.values for r in found] == [{"v": 1.0}]
    finally:
        await metadata.close()
        await series.close()


async def test_a_closed_store_refuses_calls(tmp_path: Path) -> None:
    store = await SqliteMetadataStore.open(tmp_path / "m.db")
    await store.close()
    await store.close()  # twice is fine
    with pytest.raises(StorageError):
        await store.get("users", "u")


async def test_a_file_that_is_not_a_database_is_a_storage_error(tmp_path: Path) -> None:
    path = tmp_path / "m.db"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StorageError):
        await SqliteMetadataStore.open(path)
    with pytest.raises(StorageError):
        await SqliteSeriesStore.open(path)


async def test_a_new_database_opens_while_another_process_writes_it(tmp_path) -> None:
    """Two products workers start at once on one new embedded store: the one whose
    switch to WAL meets the other's write waits for it instead of failing."""
    import sqlite3
    import threading

    from zenith.storage.sqlite_worker import SqliteWorker

    path = tmp_path / "shared.db"
    other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    other.execute("CREATE TABLE t (x)")
    other.execute("BEGIN IMMEDIATE")  # a write under way, in the new file's journal mode
    other.execute("INSERT INTO t VALUES (1)")
    threading.Timer(0.5, lambda: other.execute("COMMIT")).start()
    worker = SqliteWorker(path, "test-sqlite")
    await worker.start()
    try:
        mode = await worker.run(lambda c: c.execute("PRAGMA journal_mode").fetchone()[0])
        assert mode == "wal"
        assert await worker.run(lambda c: c.execute("SELECT x FROM t").fetchall()) == [(1,)]
    finally:
        await worker.close()
        other.close()
