"""Highlights: products or frames a camera's owner (or the network) points out.

The collection ``network.HIGHLIGHTS_COLLECTION`` is written only here. A
highlight names a blob key; :meth:`Highlights.referenced` answers
retention's question "may I delete these keys?" for active and inactive
highlights alike (hiding a highlight keeps what it names).
"""

from __future__ import annotations

import builtins
import re
from typing import Any

from zenith.contracts import network as c
from zenith.errors import NotFound
from zenith.ids import new_id
from zenith.storage.metadata import MetadataStore
from zenith.timefmt import to_iso, utcnow

COLLECTION = c.HIGHLIGHTS_COLLECTION.name
NIGHT_IN_ID = re.compile(r"^[a-z0-9-]+:(\d{4}-\d{2}-\d{2}):")


def _to_doc(h: c.Highlight) -> dict[str, Any]:
    doc = h.model_dump(mode="json")
    doc["created_at"] = to_iso(h.created_at)
    doc["_id"] = h.id
    return doc


def _from_doc(doc: dict[str, Any]) -> c.Highlight:
    return c.Highlight.model_validate({k: v for k, v in doc.items() if k != "_id"})


def _not_found(highlight: str) -> NotFound:
    return NotFound(f"no highlight {highlight!r}", code="highlight_not_found")


class Highlights:
    def __init__(self, store: MetadataStore) -> None:
        self.store = store

    async def setup(self) -> None:
        await self.store.ensure_index(COLLECTION, ["key"])
        await self.store.ensure_index(COLLECTION, ["camera", "created_at"])

    async def add(self, body: c.HighlightAdd, created_by: str | None) -> c.Highlight:
        fields = body.model_dump()
        if fields["night"] is None:
            found = NIGHT_IN_ID.match(body.product)
            fields["night"] = found.group(1) if found else None
        highlight = c.Highlight(id=new_id(), created_at=utcnow(), created_by=created_by,
                                **fields)
        await self.store.insert(COLLECTION, _to_doc(highlight))
        return highlight

    async def list(self, query: c.HighlightQuery) -> list[c.Highlight]:
        where: dict[str, Any] = {}
        for name in ("camera", "category", "active"):
            value = getattr(query, name)
            if value is not None:
                where[name] = value
        if query.year is not None:
            where["night"] = {"$gte": f"{query.year:04d}-01-01", "$lte": f"{query.year:04d}-12-31"}
        docs = await self.store.find(COLLECTION, where, sort=[("created_at", -1)],
                                     limit=query.limit)
        return [_from_doc(d) for d in docs]

    async def set_active(self, highlight: str, active: bool) -> c.Highlight:
        doc = await self.store.update(COLLECTION, {"_id": highlight}, set={"active": active})
        if doc is None:
            raise _not_found(highlight)
        return _from_doc(doc)

    async def remove(self, highlight: str) -> None:
        if not await self.store.delete(COLLECTION, {"_id": highlight}):
            raise _not_found(highlight)

    async def referenced(self, keys: builtins.list[str]) -> builtins.list[str]:
        wanted = sorted(set(keys))
        found: set[str] = set()
        for start in range(0, len(wanted), 200):
            chunk = wanted[start:start + 200]
            docs = await self.store.find(COLLECTION, {"key": {"$in": chunk}})
            found.update(d["key"] for d in docs)
        return [k for k in wanted if k in found]
