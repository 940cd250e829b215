"""The public website's questions to the services that own the data: the
camera registry (network), frames (capture) and products (products), for
any camera of a hub or the one camera of a node. What a page shows comes over
the bus, the files from the shared BlobStore; the registry's enabled cameras
are kept between requests by :mod:`zenith_web.sitecache` (fresh from the
bus's status and frame events)."""

from __future__ import annotations

from typing import Any, TypeVar

from aiohttp import web
from pydantic import BaseModel

from zenith.contracts import frames, network, products
from zenith.contracts.base import Empty, Endpoint
from zenith.errors import BusTimeout, NotFound, Unavailable
from zenith.ids import CAMERA_ID_RE
from zenith_web import keys
from zenith_web.i18n import _
from zenith_web.sitecache import SITE_CACHE

Req = TypeVar("Req", bound=BaseModel)
Rep = TypeVar("Rep", bound=BaseModel)


async def ask(request: web.Request, endpoint: Endpoint[Req, Rep],
              body: Req | dict[str, Any] | None = None, camera: str | None = None) -> Rep:
    """Request ``endpoint`` (for ``camera``); service errors keep their status."""
    bus = request.app[keys.BUS]
    try:
        if camera is None:
            return await bus.request(endpoint, body)
        return await bus.request(endpoint, body, camera=camera)
    except Unavailable as exc:
        if exc.code != "no_responders":
            raise
        raise Unavailable(f"the {endpoint.service} service is not answering",
                          code="no_responders") from None
    except BusTimeout:
        raise BusTimeout(f"the {endpoint.service} service did not answer in time") from None


def camera_of(request: web.Request) -> str:
    camera = request.match_info["camera"]
    if not CAMERA_ID_RE.fullmatch(camera):
        raise NotFound(_("No camera %(camera)s.") % {"camera": camera}, code="camera_not_found")
    return camera


async def registry(request: web.Request, camera: str) -> network.Camera | None:
    """The camera in the network registry; None on a node (no network service)."""
    kept = request.app[SITE_CACHE].camera(camera)
    if kept is not None:
        return kept
    try:
        return await ask(request, network.CAMERA_GET, network.CameraRef(camera=camera))
    except Unavailable:
        if camera == request.app[keys.SETTINGS].camera:
            return None
        raise NotFound(_("No camera %(camera)s.") % {"camera": camera},
                       code="camera_not_found") from None


async def cameras(request: web.Request) -> list[network.Camera] | None:
    """Every enabled camera of the hub; None on a node (no network service)."""

    async def fetch() -> list[network.Camera]:
        found = await ask(request, network.CAMERA_LIST, network.CameraQuery(enabled=True))
        return found.cameras

    try:
        return await request.app[SITE_CACHE].cameras(fetch)
    except Unavailable:
        return None


async def latest_frame(request: web.Request, camera: str) -> frames.FrameDoc | None:
    try:
        found = await ask(request, frames.LATEST, frames.LatestFrames(limit=1), camera=camera)
    except Unavailable:
        return None
    return found.frames[0] if found.frames else None


async def latest_products(request: web.Request, camera: str) -> dict[str, products.ProductDoc]:
    """The camera's newest product of each kind (kept a little by the site cache)."""

    async def fetch() -> dict[str, products.ProductDoc]:
        found = await ask(request, products.LATEST, Empty(), camera=camera)
        return {p.kind: p for p in found.products}

    try:
        return await request.app[SITE_CACHE].latest_products(camera, fetch)
    except Unavailable:
        return {}


async def list_products(request: web.Request, camera: str,
                        query: products.ProductQuery) -> list[products.ProductDoc]:
    try:
        found = await ask(request, products.LIST, query, camera=camera)
    except Unavailable:
        return []
    return found.products
