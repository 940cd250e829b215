"""The public website: a camera's page, the hub's home, live values as JSON.

Every page is server-rendered and complete without JavaScript (``site.js``
adds the live refresh, relative times and sharing). The data comes over the
bus from the services that own it (see :mod:`zenith_web.views.sitebus`);
files are sent from the shared BlobStore. On a node (no network service
answering) the home page is the node camera's page; on a hub it lists the
network's cameras.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiohttp import web
from pydantic import Field

from zenith.contracts import capture, frames, network, products, profiles
from zenith.contracts.base import Empty, Message
from zenith.errors import NotFound, ZenithError
from zenith_web import keys
from zenith_web.bridge import model_response
from zenith_web.i18n import _
from zenith_web.views.admin_badges import xp_context
from zenith_web.views.ingest import BLOBS
from zenith_web.views.latest import embed_headers
from zenith_web.views.sitebus import (
    ask,
    camera_of,
    latest_frame,
    latest_products,
    list_products,
    registry,
)
from zenith_web.views.sitepage import html_page, not_found

LONGTERM = ("monthly-keogram", "monthly-timelapse", "yearly-timelapse")


class LiveImage(Message):
    camera: str
    frame_id: str | None = Field(None, description="The newest frame; None: none yet.")
    taken_at: datetime | None = None
    width: int | None = None
    height: int | None = None
    url: str | None = Field(None, description="The image, changing with each frame.")
    exposure_s: float | None = None
    gain: float | None = None
    stars: int | None = None
    sqm: float | None = None
    cloud_cover: float | None = None


@dataclass
class CameraView:
    """What a camera's page shows, gathered from registry, capture and products."""

    id: str
    name: str
    code: str | None = None
    site: str = ""
    online: bool | None = None
    last_upload_at: datetime | None = None
    location: network.PublicLocation | None = None
    hardware: network.Hardware | None = None
    frame: frames.FrameDoc | None = None
    status: capture.Status | None = None
    products: dict[str, products.ProductDoc] = field(default_factory=dict)
    is_node: bool = False
    profile: bool = False  # its owner's public profile is enabled
    # asked with the rest by camera_page: highlights, meteors (from today), XP
    extras: tuple[list[Any], list[Any], dict[str, Any]] | None = None

    @property
    def taken_at(self) -> datetime | None:
        return self.frame.taken_at if self.frame is not None else None

    @property
    def metrics(self) -> dict[str, Any]:
        return self.frame.metrics if self.frame is not None else {}


def live_of(camera: str, frame: frames.FrameDoc | None) -> LiveImage:
    if frame is None:
        return LiveImage(camera=camera)
    m = frame.metrics
    return LiveImage(camera=camera, frame_id=frame.id, taken_at=frame.taken_at,
                     width=frame.width, height=frame.height,
                     url=f"/cameras/{camera}/latest/image.jpg?v={frame.id}",
                     exposure_s=frame.exposure_s, gain=frame.gain,
                     stars=m.get("stars"), sqm=m.get("sqm"), cloud_cover=m.get("cloud_cover"))


async def _profile_enabled(request: web.Request, camera: str) -> bool:
    try:
        return (await ask(request, profiles.PROFILE_GET,
                          profiles.ProfileRef(camera=camera))).enabled
    except ZenithError:
        return False


async def _node_status(request: web.Request, camera: str) -> capture.Status | None:
    try:
        return await ask(request, capture.STATUS, Empty(), camera=camera)
    except ZenithError:
        return None


async def gather(request: web.Request, camera: str, extras: bool = False) -> CameraView:
    settings = request.app[keys.SETTINGS]
    reg = await registry(request, camera)  # most often kept by the site cache
    if reg is not None and not reg.enabled:
        raise NotFound(_("No camera %(camera)s.") % {"camera": camera},
                       code="camera_not_found")
    view = CameraView(id=camera, name=reg.name if reg else settings.site_name,
                      is_node=reg is None)
    # the rest side by side: frame, products and the profile (a hub) or status (a node),
    # with ``extras`` the highlights, meteor candidates and XP too
    extra = _profile_enabled(request, camera) if reg is not None else \
        _node_status(request, camera)
    basics = asyncio.gather(latest_frame(request, camera), latest_products(request, camera),
                            extra)
    if extras:
        from zenith_web.views.camera_extras import camera_highlights, camera_meteors

        (frame, latest, more), *rest = await asyncio.gather(
            basics, camera_highlights(request, camera, view.name),
            camera_meteors(request, camera, None, view.is_node),
            xp_context(request, [camera], one=True))
        view.extras = (rest[0], rest[1], rest[2])
    else:
        frame, latest, more = await basics
    if reg is not None:
        view.code, view.site, view.online = reg.code, reg.site, reg.online
        view.last_upload_at = reg.last_upload_at
        view.location = network.public_location(reg.location)
        view.hardware = reg.hardware
        view.profile = bool(more)
    else:
        view.status = more if isinstance(more, capture.Status) else None
        if view.status is not None:
            view.online = view.status.state in ("running", "starting", "paused")
    view.frame, view.products = frame, latest
    return view


async def camera_page(request: web.Request) -> web.Response:
    try:
        camera = camera_of(request)
        view = await gather(request, camera, extras=True)
    except NotFound as exc:
        return not_found(request, exc.message)
    return await camera_response(request, view)


async def camera_response(request: web.Request, view: CameraView) -> web.Response:
    from zenith_web.views.camera_extras import camera_highlights, camera_meteors
    from zenith_web.views.highlights import CATEGORY_LABELS

    share_url = str(request.url.with_path(f"/cameras/{view.id}").with_query(None))
    newest_night = view.frame.night if view.frame else None
    if view.extras is not None:
        highlights, meteors, scores = view.extras
        if newest_night and newest_night > datetime.now(UTC).date().isoformat():
            # a camera east of UTC already in tomorrow's night: its nights, not today's
            meteors = await camera_meteors(request, view.id, newest_night, view.is_node)
    else:
        highlights, meteors, scores = await asyncio.gather(
            camera_highlights(request, view.id, view.name),
            camera_meteors(request, view.id, newest_night, view.is_node),
            xp_context(request, [view.id], one=True))
    return html_page(request, "site/camera.html", "camera", view=view,
                     live=live_of(view.id, view.frame), share_url=share_url,
                     highlights=highlights, meteors=meteors,
                     highlight_categories=CATEGORY_LABELS,
                     longterm=[k for k in LONGTERM if k in view.products], **scores)


async def live(request: web.Request) -> web.Response:
    camera = camera_of(request)
    await registry(request, camera)
    response = model_response(live_of(camera, await latest_frame(request, camera)))
    return response


async def product_file(request: web.Request) -> web.StreamResponse:
    """One product of a night (``/cameras/<id>/products/<night>/<kind>``), or its
    thumbnail with ``?thumb=1``."""
    camera = camera_of(request)
    kind, night = request.match_info["kind"], request.match_info["night"]
    if kind not in products.KIND:
        raise NotFound(f"no product kind {kind!r}")
    try:
        query = products.ProductQuery(kinds=[kind], from_night=night, to_night=night, limit=1)
    except ValueError:
        raise NotFound(f"no night {night!r}") from None
    found = await list_products(request, camera, query)
    if not found:
        raise NotFound(f"camera {camera} has no {kind} of {night}", code="not_yet")
    key = found[0].thumb_key if request.query.get("thumb") == "1" else found[0].key
    target = request.app[BLOBS].path(key) if key else None
    if target is None or not target.is_file():
        raise NotFound(f"camera {camera} has no {kind} of {night}", code="not_yet")
    response = web.FileResponse(target)
    embed_headers(response)
    return response
