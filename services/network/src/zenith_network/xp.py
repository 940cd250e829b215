"""XP, levels and badges, recomputed from the cameras' data (the rules are the
tables of ``zenith.contracts.xp``).

Nothing here counts events as they pass: a camera's XP is a function of
what its owners' services hold now, asked over the bus (capture's nights
with their image counts, the products index) and of the highlights this
service keeps. So computing it twice gives the same answer, a replayed
upload (indexed once) adds nothing, and deleted data takes its XP along.
Answers are cached for ``network_xp_cache_s`` per camera. Badge grants and
revocations by an administrator are the only stored state
(``BADGE_GRANTS``), written only here.
"""

from __future__ import annotations

import asyncio
import time
from datetime import date, timedelta
from typing import Any, Literal

from zenith.bus.client import BusClient
from zenith.contracts import frames, products
from zenith.contracts import network as net
from zenith.contracts import xp as c
from zenith.storage.metadata import MetadataStore
from zenith.timefmt import utcnow
from zenith_network.audit import AuditLog
from zenith_network.highlights import Highlights
from zenith_network.registry import Registry

COLLECTION = c.BADGE_GRANTS.name
METEORS = ("meteor", "fireball")
PAGE = 1000
PARALLEL = 16


def longest_run(nights: list[date]) -> int:
    """The longest run of consecutive dates."""
    best = run = 0
    previous: date | None = None
    for night in sorted(set(nights)):
        run = run + 1 if previous is not None and night - previous == timedelta(days=1) else 1
        best = max(best, run)
        previous = night
    return best


class Contributions:
    """What a camera contributed, counted from its data."""

    def __init__(self, nights: dict[str, int], product_nights: set[str],
                 highlights: list[net.Highlight]) -> None:
        self.nights = {n: count for n, count in nights.items() if count > 0}
        self.product_nights = product_nights
        self.highlights = highlights

    def counts(self) -> dict[str, int]:
        dates = [date.fromisoformat(n) for n in self.nights]
        return {"live_images": sum(self.nights.values()), "nights": len(self.nights),
                "product_nights": len(self.product_nights),
                "highlights": len(self.highlights), "streak": longest_run(dates)}

    def earned(self) -> set[str]:
        found = {"member"}
        dates = sorted(date.fromisoformat(n) for n in self.nights)
        if dates:
            found.add("first-night")
        if len(dates) >= 100:
            found.add("100-nights")
        if dates and (dates[-1] - dates[0]).days >= 365:
            found.add("year-online")
        categories = {h.category for h in self.highlights}
        if "aurora" in categories:
            found.add("first-aurora")
        if categories & set(METEORS):
            found.add("first-meteor")
        return found


def score(camera: str, data: Contributions, grants: dict[str, str]) -> c.CameraXp:
    counts = data.counts()
    parts = [c.XpPart(rule=r.name, count=counts[r.name], xp=counts[r.name] // r.per * r.points)
             for r in c.RULES]
    total = sum(p.xp for p in parts)
    number, name, following = c.level_of(total)
    badges = data.earned()
    for badge, state in grants.items():
        if state == "granted":
            badges.add(badge)
        else:
            badges.discard(badge)
    return c.CameraXp(camera=camera, xp=total, level=number, level_name=name,
                      next_level_xp=following, parts=parts,
                      badges=[b for b in c.BADGE_NAMES if b in badges])


class Experience:
    def __init__(self, store: MetadataStore, registry: Registry, highlights: Highlights,
                 bus: BusClient, audit: AuditLog, cache_s: float) -> None:
        self.store = store
        self.registry = registry
        self.highlights = highlights
        self.bus = bus
        self.audit = audit
        self.cache_s = cache_s
        self._cache: dict[str, tuple[float, c.CameraXp]] = {}

    async def setup(self) -> None:
        await self.store.ensure_index(COLLECTION, ["camera"])

    async def _nights(self, camera: str) -> dict[str, int]:
        found: dict[str, int] = {}
        after: str | None = None
        while True:
            page = await self.bus.request(frames.NIGHTS, frames.NightsQuery(
                after=after, limit=PAGE), camera=camera)
            found.update({n.night: n.frames for n in page.nights})
            if len(page.nights) < PAGE:
                return found
            after = page.nights[-1].night

    async def _product_nights(self, camera: str) -> set[str]:
        found: set[str] = set()
        to_night: str | None = None
        while True:
            page = await self.bus.request(products.LIST, products.ProductQuery(
                to_night=to_night, limit=2000), camera=camera)
            found.update(p.night for p in page.products)
            if len(page.products) < 2000:
                return found
            oldest = min(p.night for p in page.products)
            to_night = (date.fromisoformat(oldest) - timedelta(days=1)).isoformat()

    async def grants(self, camera: str) -> dict[str, str]:
        docs = await self.store.find(COLLECTION, {"camera": camera})
        return {d["badge"]: d["state"] for d in docs}

    async def of(self, camera: str) -> c.CameraXp:
        cached = self._cache.get(camera)
        if cached is not None and time.monotonic() - cached[0] < self.cache_s:
            return cached[1]
        await self.registry.get(camera)
        highlights = await self.highlights.list(net.HighlightQuery(camera=camera, active=True,
                                                                   limit=1000))
        data = Contributions(await self._nights(camera), await self._product_nights(camera),
                             highlights)
        result = score(camera, data, await self.grants(camera))
        self._cache[camera] = (time.monotonic(), result)
        return result

    async def many(self, cameras: list[str]) -> list[c.CameraXp]:
        """Several cameras' XP, computed side by side (at most ``PARALLEL`` at once)."""
        known = {cam.id for cam in await self.registry.list()}
        wanted = [camera for camera in dict.fromkeys(cameras) if camera in known]
        gate = asyncio.Semaphore(PARALLEL)

        async def one(camera: str) -> c.CameraXp:
            async with gate:
                return await self.of(camera)

        return list(await asyncio.gather(*(one(camera) for camera in wanted)))

    async def change(self, body: c.BadgeChange, state: Literal["granted", "revoked"],
                     actor: str | None) -> c.CameraXp:
        await self.registry.get(body.camera)
        grant = c.BadgeGrant(camera=body.camera, badge=body.badge, state=state,
                             by=actor, at=utcnow(), note=body.note)
        doc: dict[str, Any] = grant.model_dump(mode="json")
        doc["_id"] = f"{body.camera}:{body.badge}"
        await self.store.put(COLLECTION, doc)
        self._cache.pop(body.camera, None)
        await self.audit.record(actor, "badge.grant" if state == "granted" else "badge.revoke",
                                body.camera, {"badge": body.badge, "note": body.note})
        return await self.of(body.camera)
