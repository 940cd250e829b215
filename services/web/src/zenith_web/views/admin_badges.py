"""XP and badges on the pages: the admin area's badge page (grant, revoke) and
what the camera cards and camera pages show (``xp_context``).

XP is the network service's answer (``zenith.contracts.xp``); a page whose
cameras have none to show (a node without a network service, a slow answer)
shows none rather than failing.
"""

from __future__ import annotations

import logging
from typing import Any

from aiohttp import web

from zenith.contracts import network, xp
from zenith.errors import ZenithError
from zenith_web import keys
from zenith_web.bridge import call
from zenith_web.i18n import N_
from zenith_web.sitecache import SITE_CACHE
from zenith_web.views.admin import back, form_data, page, validated

log = logging.getLogger("zenith.web.xp")
BADGE_TITLES = {b.name: b.title for b in xp.BADGES}
# the texts of zenith.contracts.xp the pages show, marked for translation here
# (libs/ has no catalogue); a test checks that none is missing
XP_TEXTS = (
    N_("1 XP per 100 live images received"), N_("2 XP per night with live images"),
    N_("5 XP per night with products (keogram, startrails, video)"),
    N_("20 XP per active highlight"),
    N_("3 XP per night of the longest run of consecutive nights online"),
    N_("First light"), N_("Stargazer"), N_("Night watcher"), N_("Sky keeper"),
    N_("Aurora hunter"), N_("Zenith"),
    N_("Member"), N_("A camera of the network."), N_("Supporter"),
    N_("Supports the network (given by an administrator)."), N_("First night"),
    N_("A first night with live images."), N_("100 nights"),
    N_("100 nights with live images."), N_("A year online"),
    N_("Live images on nights a year apart or more."), N_("First aurora"),
    N_("A first aurora highlight."), N_("First meteor"),
    N_("A first meteor or fireball highlight."),
    N_("pending"), N_("approved"), N_("rejected"),
)
XP_TIMEOUT_S = 3.0


async def xp_context(request: web.Request, cameras: list[str], one: bool = False
                     ) -> dict[str, Any]:
    """``xps`` (camera -> CameraXp) for cards, or ``xp`` for one camera's page."""
    found: dict[str, xp.CameraXp] = {}

    async def fetch(missing: list[str]) -> list[xp.CameraXp]:
        listed = await request.app[keys.BUS].request(
            xp.XP_LIST, xp.XpQuery(cameras=missing), timeout=XP_TIMEOUT_S)
        return listed.cameras

    if cameras:
        try:  # kept a little while by the site cache
            found = await request.app[SITE_CACHE].xps(cameras[:200], fetch)
        except ZenithError as exc:
            log.debug("no XP for the page: %s", exc.message)
    if one:
        return {"xp": found.get(cameras[0]) if cameras else None, "badge_titles": BADGE_TITLES}
    return {"xps": found, "badge_titles": BADGE_TITLES}


async def badges_page(request: web.Request, message: str = "", status: int = 200
                      ) -> web.Response:
    cameras = (await call(request, network.CAMERA_LIST, network.CameraQuery())).cameras
    scores: dict[str, xp.CameraXp] = {}
    if cameras:
        listed = await call(request, xp.XP_LIST, xp.XpQuery(cameras=[c.id for c in cameras]
                                                            [:200]))
        scores = {s.camera: s for s in listed.cameras}
    return page(request, "admin/badges.html", "admin-badges", status=status, cameras=cameras,
                scores=scores, badges=xp.BADGES, rules=xp.RULES, levels=xp.LEVELS,
                badge_titles=BADGE_TITLES, message=message)


async def badge_list(request: web.Request) -> web.Response:
    return await badges_page(request)


async def _change(request: web.Request, endpoint: Any, done: str) -> web.Response:
    data = await form_data(request)
    try:
        body = validated(xp.BadgeChange, {"camera": request.match_info["camera"],
                                          "badge": data.get("badge", ""),
                                          "note": data.get("note", "")})
        await call(request, endpoint, body)
    except ZenithError as exc:
        return await badges_page(request, exc.message, exc.status)
    return back(request, "admin-badges", done)


async def badge_grant(request: web.Request) -> web.Response:
    return await _change(request, xp.BADGE_GRANT, "granted")


async def badge_revoke(request: web.Request) -> web.Response:
    return await _change(request, xp.BADGE_REVOKE, "revoked")
