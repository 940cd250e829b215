"""Refresh tokens: opaque, stored hashed, rotated on every use.

Each login starts a *family*. A refresh marks the presented token used and
issues the next one in the same family. Presenting a used token again
means two parties hold it (a stolen copy): the whole family is revoked, so
the thief and the owner both have to log in again. Logout revokes the
family; a password change or removal revokes every family of the user.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from dataclasses import dataclass
from datetime import timedelta

from zenith.contracts.auth import REFRESH_TOKENS
from zenith.errors import Unauthorized
from zenith.ids import new_id
from zenith.storage.metadata import MetadataStore
from zenith.timefmt import from_iso, to_iso, utcnow

log = logging.getLogger("zenith.auth.refresh")

COLLECTION = REFRESH_TOKENS.name
PREFIX = "zrt_"
ACTIVE, USED, REVOKED = "active", "used", "revoked"


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


class SessionReused(Unauthorized):
    """A used refresh token came back: its session (``family``) is revoked."""

    def __init__(self, family: str) -> None:
        super().__init__("refresh token was already used: the session is revoked, "
                         "log in again", code="refresh_token_reused")
        self.family = family


def _invalid() -> Unauthorized:
    return Unauthorized("refresh token is invalid or expired", code="invalid_refresh_token")


@dataclass(frozen=True)
class Session:
    username: str
    family: str


class RefreshTokens:
    def __init__(self, store: MetadataStore, ttl_s: float) -> None:
        self.store = store
        self.ttl = timedelta(seconds=ttl_s)

    async def setup(self) -> None:
        await self.store.ensure_index(COLLECTION, ["user"])
        await self.store.ensure_index(COLLECTION, ["family"])
        await self.store.ensure_index(COLLECTION, ["expires_at"])

    async def issue(self, username: str, family: str | None = None,
                    client_ip: str | None = None) -> str:
        token = PREFIX + secrets.token_urlsafe(32)
        now = utcnow()
        await self.store.insert(COLLECTION, {
            "_id": token_hash(token), "user": username, "family": family or new_id(),
            "state": ACTIVE, "created_at": to_iso(now), "expires_at": to_iso(now + self.ttl),
            "client_ip": client_ip,
        })
        return token

    async def use(self, token: str) -> Session:
        """Mark ``token`` used and return its session; Unauthorized if it cannot be."""
        doc = await self.store.get(COLLECTION, token_hash(token))
        if doc is None or doc.get("state") == REVOKED:
            raise _invalid()
        if doc.get("state") == USED:
            await self._reused(doc)
        if from_iso(doc["expires_at"]) <= utcnow():
            raise _invalid()
        claimed = await self.store.update(COLLECTION, {"_id": doc["_id"], "state": ACTIVE},
                                          set={"state": USED, "used_at": to_iso(utcnow())})
        if claimed is None:  # used concurrently by someone else
            await self._reused(doc)
        return Session(doc["user"], doc["family"])

    async def rotation_stands(self, token: str) -> bool:
        """After the next token of ``token``'s session was issued: True unless the
        session was revoked meanwhile (logout, password change, removal, reuse).

        A revocation that ran between :meth:`use` and the insert of the next
        token could not see that token; it did revoke ``token`` itself, which
        this finds."""
        doc = await self.store.get(COLLECTION, token_hash(token))
        return doc is not None and doc.get("state") == USED

    async def _reused(self, doc: dict[str, object]) -> None:
        revoked = await self.revoke_family(str(doc["family"]))
        log.warning("refresh token of %s was used twice: its session is revoked "
                    "(%d tokens)", doc["user"], revoked)
        raise SessionReused(str(doc["family"]))

    async def revoke_family(self, family: str) -> int:
        return await self.store.update_many(
            COLLECTION, {"family": family, "state": {"$in": [ACTIVE, USED]}},
            set={"state": REVOKED, "revoked_at": to_iso(utcnow())})

    async def revoke(self, token: str) -> str | None:
        """Log out: revoke the session ``token`` belongs to; its id (None if unknown)."""
        doc = await self.store.get(COLLECTION, token_hash(token))
        if doc is None:
            return None
        await self.revoke_family(doc["family"])
        return str(doc["family"])

    async def revoke_user(self, username: str) -> int:
        return await self.store.update_many(
            COLLECTION, {"user": username, "state": {"$in": [ACTIVE, USED]}},
            set={"state": REVOKED, "revoked_at": to_iso(utcnow())})

    async def purge_expired(self) -> int:
        return await self.store.delete(COLLECTION, {"expires_at": {"$lt": to_iso(utcnow())}})
