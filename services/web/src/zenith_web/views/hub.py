"""A hub's home page (a card per camera, filtered and sorted) and its map.

Both read the network registry over the bus; positions are the registry's
public locations (grid-rounded to the precision the owner chose, none when
hidden), so no page or JSON ever holds a blurred camera's exact place.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Literal

from aiohttp import web
from pydantic import Field, ValidationError
from yarl import URL

from zenith.contracts import network
from zenith.contracts.base import Message
from zenith_web import keys
from zenith_web.middlewares import PAGE_CSP
from zenith_web.netconfig import map_tiles
from zenith_web.sitecache import SITE_CACHE
from zenith_web.views.admin_badges import xp_context
from zenith_web.views.cards import camera_cards
from zenith_web.views.site import camera_response, gather
from zenith_web.views.sitebus import cameras
from zenith_web.views.sitepage import html_page

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class HomeQuery(Message):
    q: str = Field("", max_length=64, description="Part of a name, site or display code.")
    status: Literal["", "online", "offline"] = Field("", description="Only online or offline.")
    region: str = Field("", max_length=64, description="Only this region (of the time zone).")
    sort: Literal["activity", "name"] = Field("activity", description="Newest activity "
                                              "first, or by name.")


class MapCamera(Message):
    id: str
    name: str
    code: str
    online: bool
    latitude: float
    longitude: float
    precision: str
    url: str
    thumb: str
    last_upload_at: datetime | None = None


class MapData(Message):
    cameras: list[MapCamera]
    hidden: int = Field(description="Cameras whose owners keep the location private.")


def region_of(camera: network.Camera) -> str:
    """The region of a camera: the first part of its time zone (``Europe``)."""
    zone = camera.location.timezone
    return zone.split("/", 1)[0] if "/" in zone else ""


def home_query(request: web.Request) -> HomeQuery:
    try:
        return HomeQuery.model_validate(dict(request.query))
    except ValidationError:
        return HomeQuery()  # a page shows everything rather than an error


def select(found: list[network.Camera], query: HomeQuery) -> list[network.Camera]:
    needle = query.q.strip().lower()
    shown = [c for c in found
             if (not needle or needle in f"{c.name} {c.site} {c.code} {c.id}".lower())
             and (not query.status or c.online == (query.status == "online"))
             and (not query.region or region_of(c) == query.region)]
    if query.sort == "name":
        return sorted(shown, key=lambda c: c.name.lower())
    return sorted(shown, key=lambda c: (c.last_upload_at or EPOCH, c.name), reverse=True)


async def home(request: web.Request) -> web.Response:
    """A hub's list of cameras; a node's own camera page."""
    found = await cameras(request)
    if found is None:
        camera = request.app[keys.SETTINGS].camera
        return await camera_response(request, await gather(request, camera, extras=True))
    return await hub_home(request, found)


async def hub_home(request: web.Request, found: list[network.Camera]) -> web.Response:
    query = home_query(request)
    regions = sorted({r for r in (region_of(c) for c in found) if r})
    shown = select(found, query)
    scores = await xp_context(request, [c.id for c in shown])
    cards = camera_cards(request, shown, scores["xps"], scores["badge_titles"],
                         datetime.now(UTC))
    return html_page(request, "site/home.html", "home", cards=cards, total=len(found),
                     query=query, regions=regions, online=sum(c.online for c in found))


def map_data(found: list[network.Camera]) -> MapData:
    out, hidden = [], 0
    for cam in found:
        where = network.public_location(cam.location)
        if where is None:
            hidden += 1
            continue
        out.append(MapCamera(id=cam.id, name=cam.name, code=cam.code, online=cam.online,
                             latitude=where.latitude, longitude=where.longitude,
                             precision=where.precision, url=f"/cameras/{cam.id}",
                             thumb=f"/cameras/{cam.id}/latest/thumb.jpg",
                             last_upload_at=cam.last_upload_at))
    return MapData(cameras=out, hidden=hidden)


def tile_origin(template: str) -> str:
    url = URL(template.replace("{s}", "a"))
    return f"{url.scheme}://{url.host}" + (f":{url.port}" if url.explicit_port else "")


async def map_page(request: web.Request) -> web.Response:
    settings = request.app[keys.SETTINGS]
    found = await cameras(request) or []
    data = map_data(found)
    response = html_page(request, "site/map.html", "map", data=data,
                         tiles=map_tiles(request.app),
                         attribution=settings.web_map_attribution)
    # the map's tiles are the one thing a page loads from another site
    origin = tile_origin(map_tiles(request.app))
    response.headers["Content-Security-Policy"] = PAGE_CSP.replace(
        "img-src 'self' data: blob:", f"img-src 'self' data: blob: {origin}")
    return response


async def map_json(request: web.Request) -> web.Response:
    """The map's data with an ETag of its content: a client that has it gets 304."""
    cache = request.app[SITE_CACHE]
    found = await cameras(request) or []
    kept = cache.map_data  # (the cameras' version, the JSON, its ETag)
    if kept is None or kept[0] != cache.version or not found:
        body = map_data(found).model_dump_json().encode()
        kept = (cache.version, body, '"' + hashlib.blake2b(body, digest_size=12).hexdigest()
                + '"')
        if found:
            cache.map_data = kept
    _version, body, etag = kept
    headers = {"ETag": etag, "Cache-Control": "no-cache"}  # asked again, answered short
    wanted = request.headers.get("If-None-Match", "")
    if etag in (t.strip().removeprefix("W/") for t in wanted.split(",")) or wanted == "*":
        return web.Response(status=304, headers=headers)
    return web.Response(body=body, content_type="application/json", headers=headers)
