"""The owner area: what a camera's owner sees after logging in.

Every view of a camera starts with :func:`owned_camera`: the camera must
name the caller among its ``owners`` in the network registry, else the
answer is 404 (another owner's camera looks like no camera at all), so no
route shows or changes another owner's data. Forms carry the session's
CSRF token (the auth middleware checks it, for multipart forms too).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from zenith.contracts import network
from zenith.errors import NotFound
from zenith_web import keys, session
from zenith_web.labels import ago
from zenith_web.templating import render
from zenith_web.views.admin_badges import xp_context
from zenith_web.views.latest import LATEST_FILES
from zenith_web.views.owner_datasize import data_size
from zenith_web.views.sitebus import ask, camera_of


def username(request: web.Request) -> str | None:
    caller = request[keys.CALLER]
    return caller.principal.username if caller.principal is not None else None


async def owned_camera(request: web.Request, camera: str | None = None) -> network.Camera:
    """The camera of the path, if the caller owns it; else 404 (never 403: another
    owner's camera is not shown to exist)."""
    camera = camera or camera_of(request)
    user = username(request)
    found = await ask(request, network.CAMERA_GET, network.CameraRef(camera=camera))
    if user is None or user not in found.owners:
        raise NotFound(f"no camera {camera!r} of yours", code="camera_not_found")
    return found


async def own_cameras(request: web.Request) -> list[network.Camera]:
    user = username(request)
    if user is None:
        return []
    found = await ask(request, network.CAMERA_LIST, network.CameraQuery(owner=user))
    return found.cameras


def owner_page(request: web.Request, template: str, name: str, status: int = 200,
               **context: Any) -> web.Response:
    text = render(request.app, template, request=request, page=name, user=username(request),
                  csrf=request.cookies.get(session.CSRF_COOKIE, ""), ago=ago,
                  now=datetime.now(UTC), **context)
    return web.Response(text=text, status=status, content_type="text/html")


def see_other(location: str) -> web.Response:
    return web.Response(status=303, headers={"Location": location})


async def home(request: web.Request) -> web.Response:
    """``/owner``: the owner's profile page, listing their cameras with each one's XP,
    level and badges (as the home page's cards show them)."""
    cameras = await own_cameras(request)
    return owner_page(request, "owner/home.html", "owner", cameras=cameras,
                      **await xp_context(request, [c.id for c in cameras]))


async def camera_details(request: web.Request) -> web.Response:
    """Details and data size of one camera."""
    camera = await owned_camera(request)
    size = await data_size(request, camera.id)
    return owner_page(request, "owner/camera.html", "owner", cam=camera, size=size,
                      public=network.public_location(camera.location))


async def files_page(request: web.Request) -> web.Response:
    """The camera's stable latest URLs, with copy buttons and snippets."""
    camera = await owned_camera(request)
    base = str(request.url.with_path("/").with_query(None)).rstrip("/")
    files = [{"file": f, "url": f"{base}/cameras/{camera.id}/latest/{f}",
              "video": f.endswith(".mp4")} for f in LATEST_FILES]
    return owner_page(request, "owner/files.html", "owner", cam=camera, files=files)
