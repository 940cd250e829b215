"""Failed-login limits: per client address first, per username for strangers.

A remote stranger must never lock the real owner out. So every attempt is
counted against its address (IPv6 per /64, the block one subscriber
usually holds); the per-username limit applies only to addresses that have
never logged in successfully as that user. The owner's own machines keep
logging in while a stranger's guesses at the name are refused.

Counters live in the MetadataStore (``login_failures``; the addresses that
have logged in as a user in ``login_known``), so they survive a restart
and replicas share them. Each attempt first *reserves* a slot in the
window (compare-and-set on a revision number), so a burst of parallel
guesses cannot slip past the limit; a successful login gives its slots back
and remembers the address.
"""

from __future__ import annotations

import ipaddress
import math
import time
from dataclasses import dataclass

from zenith.contracts.auth import LOGIN_FAILURES, LOGIN_KNOWN
from zenith.errors import DuplicateKey, TooManyRequests, Unavailable
from zenith.ids import new_id
from zenith.storage.metadata import MetadataStore

COLLECTION = LOGIN_FAILURES.name
KNOWN = LOGIN_KNOWN.name
BUS_CALLER = "bus"  # a login over the bus that names no client address
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
    username: str
    ip_key: str | None
    user_key: str | None  # None: a known address, not held to the user's limit


def known_id(username: str, ip_key: str | None) -> str:
    return f"{ip_key or BUS_CALLER}|{username}"


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
        """Reserve a slot for a login attempt, or raise TooManyRequests.

        The address's limit comes first; the username's limit only when this
        address never logged in as ``username``."""
        ip_key = client_key(client_ip) if client_ip else None
        known = await self.store.get(KNOWN, known_id(username, ip_key)) is not None
        attempt = Attempt(new_id(), username, ip_key, None if known else f"user:{username}")
        limits: list[tuple[str, int]] = []
        if attempt.ip_key:
            limits.append((attempt.ip_key, self.max_per_ip))
        if attempt.user_key:
            limits.append((attempt.user_key, self.max_per_user))
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
        """A correct password: remember the address, give the slots back."""
        await self.store.put(KNOWN, {"_id": known_id(attempt.username, attempt.ip_key),
                                     "user": attempt.username, "last": time.time()})
        for key in (attempt.ip_key, attempt.user_key):
            if key:
                await self._release(key, attempt.entry)

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
