"""One SQLite connection, used from one worker thread, for async callers.

Every call runs on the same thread in submission order, so concurrent
callers never share the connection at once; writes run in ``BEGIN
IMMEDIATE`` transactions, which also makes them atomic against other
processes using the same file (WAL mode, a generous busy timeout).
"""

from __future__ import annotations

import asyncio
import functools
import random
import sqlite3
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

from zenith.errors import DuplicateKey, StorageError, ZenithError

T = TypeVar("T")
BUSY_TIMEOUT_MS = 30_000


class SqliteWorker:
    def __init__(self, path: str | Path, name: str) -> None:
        self.path = str(path)
        self._executor: ThreadPoolExecutor | None = ThreadPoolExecutor(
            max_workers=1, thread_name_prefix=name)
        self._conn: sqlite3.Connection | None = None

    async def start(self) -> None:
        try:
            await self.run(self._connect)
        except BaseException:
            await self.close()
            raise

    def _connect(self, _: sqlite3.Connection | None = None) -> None:
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        conn = self._conn = sqlite3.connect(self.path, isolation_level=None,
                                            check_same_thread=False)
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        _use_wal(conn)
        conn.execute("PRAGMA synchronous = NORMAL")

    async def run(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``fn(connection)`` on the worker thread; sqlite errors become ZenithErrors."""
        if self._executor is None:
            raise StorageError(f"{self.path} is closed", code="closed")
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, functools.partial(self._call, fn))

    def _call(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        try:
            return fn(self._conn)  # type: ignore[arg-type]
        except ZenithError:
            raise
        except sqlite3.IntegrityError as exc:
            raise DuplicateKey(f"duplicate key: {exc}") from None
        except sqlite3.Error as exc:
            raise StorageError(f"sqlite {self.path}: {exc}") from exc

    async def close(self) -> None:
        if self._executor is None:
            return
        await self.run(self._close)
        executor, self._executor = self._executor, None
        executor.shutdown(wait=True)

    def _close(self, _: object = None) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            conn.close()


@contextmanager
def write_transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """``BEGIN IMMEDIATE`` ... ``COMMIT``, rolled back on any error."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def _use_wal(conn: sqlite3.Connection) -> None:
    """Switch a new database to WAL. Two processes opening a new file at once (two
    products workers on one embedded store) can find the switch refused at once,
    without the busy timeout (SQLite's lock upgrade would deadlock): try again for
    as long as the busy timeout."""
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            if conn.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
                conn.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            busy = "locked" in str(exc) or "busy" in str(exc)
            if not busy or time.monotonic() > deadline:
                raise
            time.sleep(0.01 + random.random() * 0.05)
