"""What the public pages ask most, kept in web between requests: a hub's
enabled cameras (network's ``cameras.list``) and their XP (``xp.list``).

Every card of the home page, the map and each camera page need the
registry; asking network for a hundred cameras on every request is most of
a page's time. The cache is kept fresh from the bus, and is never the truth:

- a camera's status (online, offline, enabled, disabled, removed:
  ``network.CAMERA_STATUS``) drops the list, so the next request asks again;
- a frame (``frames.FRAME_CAPTURED``) moves the camera's last upload as the
  registry does (the newest of the known one and the frame's, never later
  than now); the coming online that may follow is a status event;
- a change web makes in the network service (any of its endpoints that is
  not a read: a camera added, edited or removed, owners, highlights, badges,
  profiles) drops the list and the XP as soon as it succeeds
  (:class:`WatchedBus`);
- a change made elsewhere (the network CLI, another web) is seen when the
  list is :data:`CAMERAS_TTL_S` old at the latest: the safety net.

A camera's newest product of each kind (products' ``products.latest``: the
camera page, a calendar's default months) and the product lists of its
calendars (``products.list``) are kept per camera until a
``product.ready`` event of that camera, a change web makes through the
products service (a deletion), or :data:`PRODUCTS_TTL_S`.

A hub camera's meteor candidates of a night (products' ``ingest.METEORS_LIST``:
the camera page's three nights) are kept like its products, and dropped too
by an upload of a candidate of that camera (``ingest.UPLOAD_RECEIVED`` of kind
meteor): products indexes it a moment after that event, so for
:data:`METEOR_SETTLE_S` after one a camera's candidates are asked and not
kept; one indexed later than that is seen at most :data:`PRODUCTS_TTL_S` late.

XP is a score network computes and itself reuses for a minute; it is kept
here for :data:`XP_TTL_S`. A list asked for while an event dropped the
cache is not kept (a generation count), so an answer older than an event
never outlives it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Hashable
from datetime import UTC, datetime
from typing import Any, TypeVar

from aiohttp import web
from markupsafe import Markup
from nats.aio.msg import Msg
from pydantic import BaseModel, ValidationError

from zenith.bus.client import BusClient
from zenith.contracts import ingest, network, products, xp
from zenith.contracts.base import Endpoint
from zenith_web import keys
from zenith_web.latestframes import add_frame_listener

log = logging.getLogger("zenith.web.sitecache")
PRODUCTS_SERVICE = products.LATEST.service

CAMERAS_TTL_S = 5.0
PRODUCTS_TTL_S = 5.0
METEOR_SETTLE_S = 2.0  # after a candidate's upload: its camera's asked, not kept
MAX_LISTS = 64  # product lists kept per camera (then all of its dropped)
MAX_FRAGMENTS = 4096  # rendered fragments kept (views/cards.py, calendar.py): then all dropped
XP_TTL_S = 15.0

Req = TypeVar("Req", bound=BaseModel)
Rep = TypeVar("Rep", bound=BaseModel)


class SiteCache:
    def __init__(
        self,
        cameras_ttl_s: float | None = None,
        xp_ttl_s: float | None = None,
        clock: Callable[[], float] = time.monotonic,
        products_ttl_s: float | None = None,
    ) -> None:
        self.cameras_ttl_s = CAMERAS_TTL_S if cameras_ttl_s is None else cameras_ttl_s
        self.xp_ttl_s = XP_TTL_S if xp_ttl_s is None else xp_ttl_s
        self.products_ttl_s = PRODUCTS_TTL_S if products_ttl_s is None else products_ttl_s
        # per camera: the newest of each kind, and product lists by their query
        self._latest: dict[str, tuple[float, dict[str, products.ProductDoc]]] = {}
        self._lists: dict[str, dict[str, tuple[float, list[products.ProductDoc]]]] = {}
        self._meteors: dict[str, dict[str, tuple[float, list[ingest.MeteorDoc]]]] = {}
        self._meteor_heard: dict[str, float] = {}  # camera -> when a candidate's upload was
        self._products_generation = 0
        self.clock = clock
        self.generation = 0  # counts the drops: an answer asked for before one is not kept
        self.version = 0  # counts every change of the kept cameras (keys of what is made of them)
        self._cameras: tuple[float, dict[str, network.Camera]] | None = None
        self._xp: dict[str, tuple[float, xp.CameraXp | None]] = {}
        # rendered pieces of pages, keyed by everything they show (views/cards.py)
        self.fragments: dict[Hashable, Markup] = {}
        self.map_data: tuple[int, bytes, str] | None = None  # the map's JSON at a version

    # -- the enabled cameras -------------------------------------------------------------

    def _fresh(self) -> dict[str, network.Camera] | None:
        if self._cameras is None or self.clock() - self._cameras[0] >= self.cameras_ttl_s:
            return None
        return self._cameras[1]

    async def cameras(
        self, fetch: Callable[[], Awaitable[list[network.Camera]]]
    ) -> list[network.Camera]:
        """The enabled cameras (registry order), asked with ``fetch`` when not fresh."""
        known = self._fresh()
        if known is not None:
            return list(known.values())
        generation, asked_at = self.generation, self.clock()
        found = await fetch()
        if generation == self.generation:
            self._cameras = (asked_at, {c.id: c for c in found})
            self.version += 1
        return found

    def camera(self, camera: str) -> network.Camera | None:
        """An enabled camera from a fresh list; None: not known here (ask network)."""
        known = self._fresh()
        return known.get(camera) if known is not None else None

    def forget_cameras(self) -> None:
        self.generation += 1
        self.version += 1
        self._cameras = None

    def heard_frame(self, camera: str, taken_at: datetime) -> None:
        """A frame of ``camera``: its last upload, as the registry keeps it."""
        if self._cameras is None or (cam := self._cameras[1].get(camera)) is None:
            return
        at = min(taken_at, datetime.now(UTC))
        if cam.last_upload_at is None or at > cam.last_upload_at:
            self._cameras[1][camera] = cam.model_copy(update={"last_upload_at": at})
            self.version += 1

    # -- a camera's newest products --------------------------------------------------------

    async def latest_products(
        self, camera: str, fetch: Callable[[], Awaitable[dict[str, products.ProductDoc]]]
    ) -> dict[str, products.ProductDoc]:
        """The newest product of each kind of ``camera``, asked with ``fetch`` when not
        kept or too old."""
        kept = self._latest.get(camera)
        if kept is not None and self.clock() - kept[0] < self.products_ttl_s:
            return kept[1]
        generation, asked_at = self._products_generation, self.clock()
        found = await fetch()
        if generation == self._products_generation:
            self._latest[camera] = (asked_at, found)
        return found

    async def product_list(
        self,
        camera: str,
        query: products.ProductQuery,
        fetch: Callable[[], Awaitable[list[products.ProductDoc]]],
    ) -> list[products.ProductDoc]:
        """``camera``'s products matching ``query`` (a calendar's months), kept like its
        newest products."""
        lists = self._lists.setdefault(camera, {})
        key = query.model_dump_json()
        kept = lists.get(key)
        if kept is not None and self.clock() - kept[0] < self.products_ttl_s:
            return kept[1]
        generation, asked_at = self._products_generation, self.clock()
        found = await fetch()
        if generation == self._products_generation:
            if len(lists) >= MAX_LISTS:
                lists.clear()
            lists[key] = (asked_at, found)
        return found

    async def meteors(
        self, camera: str, day: str, fetch: Callable[[], Awaitable[list[ingest.MeteorDoc]]]
    ) -> list[ingest.MeteorDoc]:
        """``camera``'s meteor candidates of ``day`` (a hub's), kept like its products."""
        nights = self._meteors.setdefault(camera, {})
        kept = nights.get(day)
        if kept is not None and self.clock() - kept[0] < self.products_ttl_s:
            return kept[1]
        generation, asked_at = self._products_generation, self.clock()
        found = await fetch()
        heard = self._meteor_heard.get(camera)
        if heard is not None and asked_at - heard < METEOR_SETTLE_S:
            return found  # products may not have indexed it yet
        if generation == self._products_generation:
            if len(nights) >= MAX_LISTS:
                nights.clear()
            nights[day] = (asked_at, found)
        return found

    def heard_meteor(self, camera: str | None) -> None:
        """A candidate's upload of ``camera`` (whose not known: None): its candidates
        are asked again, and not kept until products has had time to index it."""
        if camera is not None:
            if len(self._meteor_heard) >= MAX_FRAGMENTS:
                self._meteor_heard.clear()
            self._meteor_heard[camera] = self.clock()
        self.forget_products(camera)

    def forget_products(self, camera: str | None = None) -> None:
        """Drop what is kept of ``camera``'s products and meteor candidates (every
        camera's with None)."""
        self._products_generation += 1
        if camera is None:
            self._latest.clear()
            self._lists.clear()
            self._meteors.clear()
        else:
            self._latest.pop(camera, None)
            self._lists.pop(camera, None)
            self._meteors.pop(camera, None)

    # -- XP ------------------------------------------------------------------------------

    async def xps(
        self, cameras: list[str], fetch: Callable[[list[str]], Awaitable[list[xp.CameraXp]]]
    ) -> dict[str, xp.CameraXp]:
        """The XP of ``cameras`` (those that have any), asking ``fetch`` for the
        ones not kept or too old."""
        now = self.clock()
        missing = [
            c
            for c in cameras
            if (kept := self._xp.get(c)) is None or now - kept[0] >= self.xp_ttl_s
        ]
        if missing:
            generation = self.generation
            found = {s.camera: s for s in await fetch(missing)}
            if generation == self.generation:
                for camera in missing:
                    self._xp[camera] = (now, found.get(camera))
            else:
                return {
                    c: s for c in cameras if (s := found.get(c) or self._kept_xp(c)) is not None
                }
        return {c: s for c in cameras if (s := self._kept_xp(c)) is not None}

    def _kept_xp(self, camera: str) -> xp.CameraXp | None:
        kept = self._xp.get(camera)
        return kept[1] if kept is not None else None

    def forget(self) -> None:
        """Drop everything (a change through web, or an event that may touch all)."""
        self.forget_cameras()
        self._xp.clear()


SITE_CACHE = web.AppKey("site_cache", SiteCache)


def _changes(endpoint: Endpoint[Any, Any]) -> bool:
    return endpoint.permission is not None and endpoint.permission[1] != "read"


def changes_network(endpoint: Endpoint[Any, Any]) -> bool:
    """An endpoint of the network service that is not a read."""
    return endpoint.service == network.SERVICE and _changes(endpoint)


def changes_products(endpoint: Endpoint[Any, Any]) -> bool:
    """An endpoint of the products service that is not a read (a deletion)."""
    return endpoint.service == PRODUCTS_SERVICE and _changes(endpoint)


class WatchedBus(BusClient):
    """web's bus client: a change it makes in the network or products service drops
    what the site cache keeps of it."""

    def __init__(self, bus: BusClient, cache: SiteCache) -> None:
        super().__init__(bus.nc, bus.timeout)
        self.cache = cache

    async def request(
        self,
        endpoint: Endpoint[Req, Rep],
        body: Req | dict[str, Any] | None = None,
        *,
        timeout: float | None = None,
        headers: dict[str, str] | None = None,
        **params: str,
    ) -> Rep:
        try:
            return await super().request(endpoint, body, timeout=timeout, headers=headers, **params)
        finally:
            # failed too: it may have happened (a timeout)
            if changes_network(endpoint):
                self.cache.forget()
            elif changes_products(endpoint):
                self.cache.forget_products()


def setup_site_cache(app: web.Application, bus: BusClient) -> BusClient:
    """The app's cache, and the bus client that keeps it told of web's changes."""
    cache = app[SITE_CACHE] = SiteCache()
    add_frame_listener(app, lambda event: cache.heard_frame(event.camera, event.taken_at))
    return WatchedBus(bus, cache)


async def follow_site(app: web.Application) -> AsyncIterator[None]:
    """cleanup_ctx: hear the cameras' status, products and meteors while the app runs
    (frames come through :func:`~zenith_web.latestframes.add_frame_listener`)."""
    cache = app[SITE_CACHE]

    async def status(msg: Msg) -> None:
        cache.forget_cameras()

    async def product(msg: Msg) -> None:
        try:
            event = products.ProductReady.model_validate_json(msg.data)
        except ValidationError:
            cache.forget_products()  # whose it was is not known: every camera's
            return
        cache.forget_products(event.camera)

    async def meteor(msg: Msg) -> None:  # zenith.ingest.<camera>.meteor: the subject says whose
        parts = msg.subject.split(".")
        cache.heard_meteor(parts[2] if len(parts) == 4 else None)

    nc = app[keys.NC]
    subs = [
        await nc.subscribe(ingest.UPLOAD_RECEIVED.wildcard(kind="meteor"), cb=meteor),
        await nc.subscribe(products.PRODUCT_READY.wildcard(), cb=product),
        await nc.subscribe(network.CAMERA_STATUS.wildcard(), cb=status),
    ]
    try:
        yield
    finally:
        for sub in subs:
            await sub.unsubscribe()
