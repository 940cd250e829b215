"""Failed-login limits per username and per client address.

Counters live in the MetadataStore (``login_failures``), so they survive a
restart and replicas share them. Each attempt first *reserves* a slot in
the window (compare-and-set on a revision number), so a burst of parallel
guesses cannot slip past the limit; a successful login gives its slots
back (and clears the username's count). IPv6 clients are counted per /64,
the block one subscriber usually holds.
"""

from __future__ import annotations

import ipaddress
import math
import time
from dataclasses import dataclass

from zenith.errors import DuplicateKey, TooManyRequests, Unavailable
from zenith.ids import new_id
from zenith.storage.metadata import MetadataStore

COLLECTION = "login_failures"
CAS_ATTEMPTS = 50


def client_key(client_ip: str) -> str:
    """The counter of a client address. Anything that is not an IP address
    (the web service sends ``unknown`` for a Unix socket peer or a garbled
    X-Forwarded-For) shares one counter, so made-up values gain nothing."""
    try:
        address = ipaddress.ip_address(client_ip.strip())
    except ValueError:
        return "ip:unknown"
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return f"ip:{address.ipv4_mapped}"
        return f"ip:{ipaddress.IPv6Network((address, 64), strict=False)}"
    return f"ip:{address}"


@dataclass(frozen=True)
class Attempt:
    entry: str
    user_key: str
    ip_key: str | None


class LoginLimiter:
    def __init__(self, store: MetadataStore, window_s: float, max_per_user: int,
                 max_per_ip: int) -> None:
        self.store = store
        self.window_s = window_s
        self.max_per_user = max_per_user
        self.max_per_ip = max_per_ip

    async def setup(self) -> None:
        await self.store.ensure_index(COLLECTION, ["last"])

    async def begin(self, username: str, client_ip: str | None) -> Attempt:
        """Reserve a slot for a login attempt, or raise TooManyRequests."""
        attempt = Attempt(new_id(), f"user:{username}",
                          client_key(client_ip) if client_ip else None)
        limits = [(attempt.user_key, self.max_per_user)]
        if attempt.ip_key:
            limits.append((attempt.ip_key, self.max_per_ip))
        reserved: list[str] = []
        for key, limit in limits:
            wait = await self._reserve(key, limit, attempt.entry)
            if wait is not None:
                for done in reserved:
                    await self._release(done, attempt.entry)
                seconds = max(1, math.ceil(wait))
                raise TooManyRequests(
                    f"too many failed logins: try again in {seconds} s",
                    code="too_many_attempts", details={"retry_after": seconds})
            reserved.append(key)
        return attempt

    async def succeeded(self, attempt: Attempt) -> None:
        """A correct password: forget the username's failures, free the address slot."""
        await self.store.delete(COLLECTION, {"_id": attempt.user_key})
        if attempt.ip_key:
            await self._release(attempt.ip_key, attempt.entry)

    async def purge(self) -> int:
        return await self.store.delete(COLLECTION,
                                       {"last": {"$lt": time.time() - self.window_s}})

    async def _reserve(self, key: str, limit: int, entry: str) -> float | None:
        """None when reserved; else seconds until a slot frees up."""
        for _ in range(CAS_ATTEMPTS):
            now = time.time()
            doc = await self.store.get(COLLECTION, key)
            hits = [h for h in (doc or {}).get("hits", []) if h["t"] > now - self.window_s]
            if len(hits) >= limit:
                times = sorted(h["t"] for h in hits)
                return times[len(times) - limit] + self.window_s - now
            hits.append({"t": now, "id": entry})
            if doc is None:
                try:
                    await self.store.insert(COLLECTION, {"_id": key, "hits": hits, "rev": 1,
                                                         "last": now})
                    return None
                except DuplicateKey:
                    continue
            if await self.store.update(COLLECTION, {"_id": key, "rev": doc["rev"]},
                                       set={"hits": hits, "rev": doc["rev"] + 1,
                                            "last": now}) is not None:
                return None
        raise Unavailable("too many logins at once: try again", code="busy")

    async def _release(self, key: str, entry: str) -> None:
        for _ in range(CAS_ATTEMPTS):
            doc = await self.store.get(COLLECTION, key)
            if doc is None:
                return
            hits = [h for h in doc.get("hits", []) if h.get("id") != entry]
            if len(hits) == len(doc.get("hits", [])):
                return
            if await self.store.update(COLLECTION, {"_id": key, "rev": doc["rev"]},
                                       set={"hits": hits, "rev": doc["rev"] + 1}) is not None:
                return
