"""An owner's highlights: the camera's existing ones with "deactivate" (the
file stays: retention keeps what any highlight names), and products of the
monthly overview (Select data) marked as highlights with a category."""

from __future__ import annotations

import re

from aiohttp import web

from zenith.contracts import network, products
from zenith.errors import BadRequest, NotFound
from zenith_web.views.owner import owned_camera, owner_page, see_other
from zenith_web.views.owner_data import CATEGORIES, ITEM_RE
from zenith_web.views.sitebus import ask

ID_RE = re.compile(r"^[a-z0-9]{1,40}$")


async def page(request: web.Request) -> web.Response:
    cam = await owned_camera(request)
    found = await ask(request, network.HIGHLIGHT_LIST,
                      network.HighlightQuery(camera=cam.id, limit=1000))
    return owner_page(request, "owner/highlights.html", "owner", cam=cam,
                      highlights=found.highlights, marked=request.query.get("marked"),
                      categories=CATEGORIES)


async def set_active(request: web.Request) -> web.Response:
    cam = await owned_camera(request)
    highlight = request.match_info["highlight"]
    if not ID_RE.fullmatch(highlight):
        raise NotFound(f"no highlight {highlight!r}", code="highlight_not_found")
    mine = await ask(request, network.HIGHLIGHT_LIST,
                     network.HighlightQuery(camera=cam.id, limit=1000))
    if highlight not in {h.id for h in mine.highlights}:  # another camera's: not there
        raise NotFound(f"no highlight {highlight!r}", code="highlight_not_found")
    form = await request.post()
    active = form.get("active") == "1"
    await ask(request, network.HIGHLIGHT_SET_ACTIVE,
              network.HighlightSetActive(id=highlight, active=active))
    return see_other(str(request.app.router["owner-highlights"].url_for(camera=cam.id)))


async def mark(request: web.Request) -> web.Response:
    """Mark the selected products of the monthly overview as highlights."""
    cam = await owned_camera(request)
    form = await request.post()
    category = str(form.get("category", ""))
    if category not in CATEGORIES:
        raise BadRequest(f"choose a category: {', '.join(CATEGORIES)}", code="bad_category")
    selected = sorted({str(v) for v in form.getall("item", [])})
    if not selected or any(not ITEM_RE.fullmatch(s) for s in selected) or len(selected) > 200:
        raise BadRequest("select between 1 and 200 products", code="bad_selection")
    wanted = [s.split(":")[1:] for s in selected if s.startswith("p:")]
    existing = await ask(request, network.HIGHLIGHT_LIST,
                         network.HighlightQuery(camera=cam.id, limit=1000))
    taken = {h.product for h in existing.highlights}
    marked = 0
    for night, kind in wanted:
        if kind not in products.KIND:
            continue
        found = await ask(request, products.LIST, products.ProductQuery(
            kinds=[kind], from_night=night, to_night=night, limit=1), camera=cam.id)
        if not found.products or found.products[0].id in taken:
            continue
        product = found.products[0]
        await ask(request, network.HIGHLIGHT_ADD, network.HighlightAdd(
            camera=cam.id, product=product.id, key=product.key, category=category,
            title=f"{product.kind} {product.night}"[:64]))
        marked += 1
    target = request.app.router["owner-highlights"].url_for(camera=cam.id)
    return see_other(f"{target}?marked={marked}")
