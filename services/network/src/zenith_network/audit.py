"""The audit log (``zenith.contracts.admin.AUDIT_LOG``), written only here.

An entry says who did what to which target, and when; it never holds a
password or a key (callers pass what changed, the secrets stay out).
"""

from __future__ import annotations

import builtins
from typing import Any

from zenith.contracts import admin as c
from zenith.ids import new_id
from zenith.storage.metadata import MetadataStore
from zenith.timefmt import utcnow

COLLECTION = c.AUDIT_LOG.name


class AuditLog:
    def __init__(self, store: MetadataStore) -> None:
        self.store = store

    async def setup(self) -> None:
        await self.store.ensure_index(COLLECTION, ["at"])
        await self.store.ensure_index(COLLECTION, ["target", "at"])

    async def record(self, actor: str | None, action: str, target: str = "",
                     details: dict[str, Any] | None = None) -> c.AuditEntry:
        entry = c.AuditEntry(id=new_id("a"), at=utcnow(), actor=actor or "unknown",
                             action=action, target=target, details=details or {})
        doc = entry.model_dump(mode="json")
        doc["_id"] = entry.id
        await self.store.insert(COLLECTION, doc)
        return entry

    async def list(self, query: c.AuditQuery) -> builtins.list[c.AuditEntry]:
        where: dict[str, Any] = {}
        if query.action is not None:
            where["action"] = query.action
        if query.target is not None:
            where["target"] = query.target
        docs = await self.store.find(COLLECTION, where, sort=[("at", -1), ("_id", -1)],
                                     limit=query.limit)
        return [c.AuditEntry.model_validate({k: v for k, v in d.items() if k != "_id"})
                for d in docs]
