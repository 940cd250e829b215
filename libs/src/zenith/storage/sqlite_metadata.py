"""MetadataStore on SQLite: the embedded default.

One table per collection, ``(_id TEXT PRIMARY KEY, doc TEXT)`` holding the
whole document as JSON; filters compile to ``json_extract`` SQL
(:mod:`zenith.storage.sqlite_query`), indexes are expression indexes on
the same ``json_extract`` terms. Several processes may open the same file:
updates read and write inside one ``BEGIN IMMEDIATE`` transaction, so a
compare-and-set is atomic across them.

Differences from MongoDB worth knowing: a unique index lets several
documents miss the indexed field (MongoDB counts missing as one null
value); an array field is matched as a whole value, never per element.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

from zenith.errors import Conflict
from zenith.storage import validate
from zenith.storage.documents import apply_update
from zenith.storage.metadata import Doc, Filter, MetadataStore, Sort
from zenith.storage.sqlite_query import dumps, order_by, value_expr, where
from zenith.storage.sqlite_worker import SqliteWorker, write_transaction

T = TypeVar("T")


def _index_name(collection: str, fields: Sequence[str], unique: bool) -> str:
    return f"{'ux' if unique else 'ix'}:{collection}:{','.join(fields)}"


class SqliteMetadataStore(MetadataStore):
    """Use :meth:`open`; the constructor does no I/O."""

    def __init__(self, path: str | Path) -> None:
        self.path = path
        self._worker = SqliteWorker(path, "zenith-metadata")
        self._tables: set[str] = set()

    @classmethod
    async def open(cls, path: str | Path) -> SqliteMetadataStore:
        store = cls(path)
        await store._worker.start()
        return store

    async def close(self) -> None:
        await self._worker.close()

    async def _run(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        try:
            return await self._worker.run(fn)
        except BaseException:
            self._tables.clear()  # a rolled-back transaction may have created one
            raise

    def _table(self, conn: sqlite3.Connection, collection: str) -> str:
        validate.collection_name(collection)
        if collection not in self._tables:
            conn.execute(f'CREATE TABLE IF NOT EXISTS "{collection}" '
                         "(_id TEXT PRIMARY KEY NOT NULL, doc TEXT NOT NULL)")
            self._tables.add(collection)
        return f'"{collection}"'

    async def ensure_index(self, collection: str, fields: Sequence[str], *,
                           unique: bool = False) -> None:
        validate.collection_name(collection)
        names = validate.index_fields(fields)
        if names == ["_id"]:
            return
        name = _index_name(collection, names, unique)
        other = _index_name(collection, names, not unique)
        columns = ", ".join(value_expr(f) for f in names)

        def run(conn: sqlite3.Connection) -> None:
            with write_transaction(conn):
                table = self._table(conn, collection)
                if conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = ?",
                                (other,)).fetchone():
                    raise Conflict(f"{collection}: an index on {names} exists with "
                                   f"unique={not unique}", code="index_conflict")
                conn.execute(f'CREATE {"UNIQUE " if unique else ""}INDEX IF NOT EXISTS '
                             f'"{name}" ON {table} ({columns})')

        await self._run(run)

    async def insert(self, collection: str, doc: Doc) -> None:
        validate.collection_name(collection)
        checked = validate.document(doc)

        def run(conn: sqlite3.Connection) -> None:
            with write_transaction(conn):
                table = self._table(conn, collection)
                conn.execute(f"INSERT INTO {table} (_id, doc) VALUES (?, ?)",
                             (checked["_id"], dumps(checked)))

        await self._run(run)

    async def put(self, collection: str, doc: Doc) -> bool:
        validate.collection_name(collection)
        checked = validate.document(doc)

        def run(conn: sqlite3.Connection) -> bool:
            with write_transaction(conn):
                table = self._table(conn, collection)
                existed = conn.execute(f"SELECT 1 FROM {table} WHERE _id = ?",
                                       (checked["_id"],)).fetchone()
                conn.execute(f"INSERT INTO {table} (_id, doc) VALUES (?, ?) "
                             "ON CONFLICT (_id) DO UPDATE SET doc = excluded.doc",
                             (checked["_id"], dumps(checked)))
                return existed is None

        return await self._run(run)

    async def get(self, collection: str, doc_id: str) -> Doc | None:
        validate.collection_name(collection)
        validate.doc_id(doc_id)

        def run(conn: sqlite3.Connection) -> Doc | None:
            table = self._table(conn, collection)
            row = conn.execute(f"SELECT doc FROM {table} WHERE _id = ?", (doc_id,)).fetchone()
            return json.loads(row[0]) if row else None

        return await self._run(run)

    async def find(self, collection: str, filter: Filter | None = None, *,
                   sort: Sort = (), limit: int = 0, skip: int = 0) -> list[Doc]:
        validate.collection_name(collection)
        sql, params = where(validate.filter_spec(filter))
        order = order_by(validate.sort_spec(sort))
        limit, skip = validate.paging(limit, skip)

        def run(conn: sqlite3.Connection) -> list[Doc]:
            table = self._table(conn, collection)
            rows = conn.execute(f"SELECT doc FROM {table} WHERE {sql} ORDER BY {order} "
                                "LIMIT ? OFFSET ?", (*params, limit or -1, skip)).fetchall()
            return [json.loads(row[0]) for row in rows]

        return await self._run(run)

    async def count(self, collection: str, filter: Filter | None = None) -> int:
        validate.collection_name(collection)
        sql, params = where(validate.filter_spec(filter))

        def run(conn: sqlite3.Connection) -> int:
            table = self._table(conn, collection)
            return int(conn.execute(f"SELECT COUNT(*) FROM {table} WHERE {sql}",
                                    params).fetchone()[0])

        return await self._run(run)

    async def update(self, collection: str, filter: Filter, *,
                     set: Mapping[str, Any] | None = None,
                     unset: Sequence[str] = ()) -> Doc | None:
        changed = await self._update(collection, filter, set, unset, many=False)
        return changed[0] if changed else None

    async def update_many(self, collection: str, filter: Filter, *,
                          set: Mapping[str, Any] | None = None,
                          unset: Sequence[str] = ()) -> int:
        return len(await self._update(collection, filter, set, unset, many=True))

    async def _update(self, collection: str, filter: Filter, set: Mapping[str, Any] | None,
                      unset: Sequence[str], *, many: bool) -> list[Doc]:
        validate.collection_name(collection)
        sql, params = where(validate.filter_spec(filter))
        sets, unsets = validate.update_spec(set, unset)

        def run(conn: sqlite3.Connection) -> list[Doc]:
            with write_transaction(conn):
                table = self._table(conn, collection)
                rows = conn.execute(f"SELECT _id, doc FROM {table} WHERE {sql}"
                                    f"{'' if many else ' LIMIT 1'}", params).fetchall()
                after = []
                for doc_id, text in rows:
                    doc = apply_update(json.loads(text), sets, unsets)
                    if sets or unsets:
                        conn.execute(f"UPDATE {table} SET doc = ? WHERE _id = ?",
                                     (dumps(doc), doc_id))
                    after.append(doc)
                return after

        return await self._run(run)

    async def delete(self, collection: str, filter: Filter) -> int:
        validate.collection_name(collection)
        sql, params = where(validate.filter_spec(filter))

        def run(conn: sqlite3.Connection) -> int:
            with write_transaction(conn):
                table = self._table(conn, collection)
                return conn.execute(f"DELETE FROM {table} WHERE {sql}", params).rowcount

        return await self._run(run)
