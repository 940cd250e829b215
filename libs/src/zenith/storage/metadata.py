"""MetadataStore: JSON documents in named collections.

Documents are dicts of JSON values with a string ``_id`` chosen by the
application (:func:`zenith.ids.new_id`). Filters are a small, portable
subset of MongoDB's query language, so the SQLite backend and every
MongoDB-compatible server agree:

- ``{"field": value}`` equality (``field`` may be dotted: ``"a.b"``);
- ``{"field": {"$gt"|"$gte"|"$lt"|"$lte"|"$ne": value}}``;
- ``{"field": {"$in": [values]}}``; ``{"field": {"$exists": bool}}``;
- several keys are ANDed.

Filter values are strings, numbers, booleans or null (match inside objects
with dotted fields; do not filter on array fields: MongoDB matches their
elements, SQLite does not); a comparison only matches values of the same
type. Bad filters, documents and names raise :class:`~zenith.errors.BadRequest`
(checks in :mod:`zenith.storage.validate`).

Updates are ``set`` (replace these top-level or dotted fields) and ``unset``
(remove these fields), never mixed with array operators, which the test
servers do not all implement like MongoDB.

A backend subclass must implement every abstract method; it may override
:meth:`close`. The contract suite in ``tests/libs/storage`` runs against
each backend.
"""

from __future__ import annotations

import abc
from collections.abc import Mapping, Sequence
from typing import Any

Doc = dict[str, Any]
Filter = Mapping[str, Any]
Sort = Sequence[tuple[str, int]]  # (field, 1 ascending | -1 descending)


class MetadataStore(abc.ABC):
    """Async document store. Every method is safe to call concurrently."""

    @abc.abstractmethod
    async def ensure_index(self, collection: str, fields: Sequence[str], *,
                           unique: bool = False) -> None:
        """Create an index (idempotent). A unique index makes inserts and
        updates that would duplicate it raise :class:`~zenith.errors.DuplicateKey`."""

    @abc.abstractmethod
    async def insert(self, collection: str, doc: Doc) -> None:
        """Insert ``doc`` (it must have a string ``_id``); DuplicateKey if taken."""

    @abc.abstractmethod
    async def put(self, collection: str, doc: Doc) -> bool:
        """Insert or replace the whole document by ``_id``; True if it was new."""

    @abc.abstractmethod
    async def get(self, collection: str, doc_id: str) -> Doc | None:
        """The document with this ``_id``, or None."""

    @abc.abstractmethod
    async def find(self, collection: str, filter: Filter | None = None, *,
                   sort: Sort = (), limit: int = 0, skip: int = 0) -> list[Doc]:
        """Documents matching ``filter``, sorted, paged (``limit`` 0: all)."""

    async def find_one(self, collection: str, filter: Filter | None = None, *,
                       sort: Sort = ()) -> Doc | None:
        found = await self.find(collection, filter, sort=sort, limit=1)
        return found[0] if found else None

    @abc.abstractmethod
    async def count(self, collection: str, filter: Filter | None = None) -> int:
        """How many documents match."""

    @abc.abstractmethod
    async def update(self, collection: str, filter: Filter, *,
                     set: Mapping[str, Any] | None = None,
                     unset: Sequence[str] = ()) -> Doc | None:
        """Atomically update the first document matching ``filter``.

        Returns the document after the update, or None when nothing matched
        (so ``filter`` can hold a precondition: compare-and-set)."""

    @abc.abstractmethod
    async def update_many(self, collection: str, filter: Filter, *,
                          set: Mapping[str, Any] | None = None,
                          unset: Sequence[str] = ()) -> int:
        """Update every matching document; returns how many matched."""

    @abc.abstractmethod
    async def delete(self, collection: str, filter: Filter) -> int:
        """Delete every matching document; returns how many."""

    async def close(self) -> None:
        """Release connections."""
        return None
