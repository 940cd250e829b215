"""Access-token revocation: a not-before time per user.

The time is recorded in the MetadataStore (``revocations``), so it
survives while NATS is down (``zenith user passwd`` works with the stack
stopped), and published as ``revoked.<username>`` in the ``zenith-auth`` KV
bucket, where every :class:`zenith.tokens.TokenVerifier` watches it. The
auth service publishes recorded times it has not published yet, at start
and then every few seconds, and forgets them once every token they could
refuse has expired anyway.
"""

from __future__ import annotations

import logging
import math
import time

from nats.js.kv import KeyValue

from zenith.contracts.auth import (
    REVOCATIONS,
    REVOKED_WATCH,
    revoked_key,
    session_from_revoked_key,
    session_revoked_key,
    username_from_revoked_key,
)
from zenith.storage.metadata import MetadataStore
from zenith.timefmt import to_iso, utcnow

log = logging.getLogger("zenith.auth.revocation")

COLLECTION = REVOCATIONS.name
GRACE_S = 3600.0  # kept this long after the last token it refuses has expired


def now_ms_ceil() -> float:
    """Now, rounded up to the millisecond: every token issued so far is older."""
    return math.ceil(time.time() * 1000) / 1000


def encode(not_before: float) -> bytes:
    return f"{not_before:.3f}".encode()


async def publish(kv: KeyValue, username: str, not_before: float) -> None:
    await kv.put(revoked_key(username), encode(not_before))


class Revocations:
    def __init__(self, store: MetadataStore, access_ttl_s: float) -> None:
        self.store = store
        self.keep_s = access_ttl_s + GRACE_S
        self.access_ttl_s = access_ttl_s
        self._published: dict[str, float] = {}

    async def record(self, username: str) -> float:
        """Refuse ``username``'s access tokens issued until now; returns the time."""
        not_before = now_ms_ceil()
        await self.store.put(COLLECTION, {"_id": username, "not_before": not_before,
                                          "recorded_at": to_iso(utcnow())})
        return not_before

    async def end_session(self, kv: KeyValue, session_id: str) -> None:
        """Refuse every access token of session ``session_id`` from now on.

        The entry holds the time the session's last access token expires and
        is purged after it (:meth:`purge_published`)."""
        until = time.time() + self.access_ttl_s + 60
        await kv.put(session_revoked_key(session_id), encode(until))

    async def publish_now(self, kv: KeyValue, username: str, not_before: float) -> None:
        await publish(kv, username, not_before)
        self._published[username] = max(not_before, self._published.get(username, 0.0))

    async def publish_pending(self, kv: KeyValue) -> int:
        """Publish recorded times newer than the keep window; forget older ones."""
        cutoff = time.time() - self.keep_s
        count = 0
        for doc in await self.store.find(COLLECTION, {"not_before": {"$gte": cutoff}}):
            username, not_before = doc["_id"], float(doc["not_before"])
            if self._published.get(username, 0.0) >= not_before:
                continue
            await self.publish_now(kv, username, not_before)
            count += 1
        await self.store.delete(COLLECTION, {"not_before": {"$lt": cutoff}})
        return count

    async def purge_published(self, kv: KeyValue) -> int:
        """Delete KV revocations that can no longer refuse an unexpired token."""
        now = time.time()
        cutoff = now - self.keep_s
        watcher = await kv.watch(REVOKED_WATCH, ignore_deletes=True)
        stale: list[str] = []
        try:
            while (entry := await watcher.updates(timeout=5.0)) is not None:
                try:
                    value = float((entry.value or b"0").decode())
                except (UnicodeDecodeError, ValueError):
                    value = 0.0
                if username_from_revoked_key(entry.key) is not None and value < cutoff:
                    stale.append(entry.key)  # a not-before older than any live token
                elif session_from_revoked_key(entry.key) is not None and value < now:
                    stale.append(entry.key)  # the session's last token has expired
        finally:
            await watcher.stop()
        for key in stale:
            await kv.delete(key)
        return len(stale)
