"""Select data: a month and a type, Show; download or delete the selected items.

An item is a product (``p:<night>:<kind>``) or one night's images
(``n:<night>``). A download is one zip streamed as it is built
(:mod:`zenith_web.views.owner_zip`). A deletion is asked for twice: the
first post shows how many items would go and what that means, the second
(with ``confirm`` = that count) deletes through the owners of the data:
capture's ``frames.delete`` for a night's images, keeping every frame an
active highlight names; products' ``products.delete`` for a product, which
keeps any product a highlight names.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from aiohttp import web

from zenith.contracts import frames, network, products
from zenith.errors import BadRequest, Unavailable
from zenith_web.views.ingest import BLOBS
from zenith_web.views.owner import owned_camera, owner_page
from zenith_web.views.owner_datasize import GROUP_LABELS, group_of
from zenith_web.views.owner_zip import ZipStream
from zenith_web.views.sitebus import ask

MONTH_RE = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
ITEM_RE = re.compile(r"^(n:\d{4}-\d{2}-\d{2}|p:\d{4}-\d{2}-\d{2}:[a-z-]{1,32})$")
TYPES = ("images", *products.KIND)
MAX_ITEMS = 2000
CATEGORIES = ("meteor", "fireball", "aurora", "clouds", "halo", "noctilucent", "satellite",
              "other")  # offered when marking highlights


@dataclass
class Item:
    id: str
    night: str
    kind: str  # "images" or a product kind
    files: int
    bytes: int
    key: str | None = None
    thumb: str | None = None
    highlighted: bool = False


def month_range(month: str) -> tuple[str, str]:
    """First and last night of ``YYYY-MM``."""
    m = MONTH_RE.fullmatch(month)
    if m is None:
        raise BadRequest("month must be YYYY-MM", code="bad_month")
    first = date(int(m[1]), int(m[2]), 1)
    last = (first.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    return first.isoformat(), last.isoformat()


async def active_highlight_keys(request: web.Request, camera: str) -> set[str]:
    found = await ask(request, network.HIGHLIGHT_LIST,
                      network.HighlightQuery(camera=camera, active=True, limit=1000))
    return {h.key for h in found.highlights}


async def items_of(request: web.Request, camera: str, month: str, kind: str) -> list[Item]:
    first, last = month_range(month)
    highlighted = await active_highlight_keys(request, camera)
    out: list[Item] = []
    if kind in ("all", "images"):
        before = (date.fromisoformat(last) + timedelta(days=1)).isoformat()
        after = (date.fromisoformat(first) - timedelta(days=1)).isoformat()
        try:
            nights = (await ask(request, frames.NIGHTS, frames.NightsQuery(
                after=after, before=before, limit=31), camera=camera)).nights
        except Unavailable:  # no capture answering for this camera: no images to list
            nights = []
        out.extend(Item(id=f"n:{n.night}", night=n.night, kind="images", files=n.frames,
                        bytes=n.bytes) for n in nights)
    kinds = list(products.KIND) if kind == "all" else [kind] if kind in products.KIND else []
    if kinds:
        found = await ask(request, products.LIST, products.ProductQuery(
            kinds=kinds, from_night=first, to_night=last, limit=2000), camera=camera)
        out.extend(Item(id=f"p:{p.night}:{p.kind}", night=p.night, kind=p.kind, files=1,
                        bytes=p.size, key=p.key, thumb=p.thumb_key,
                        highlighted=p.key in highlighted) for p in found.products)
    out.sort(key=lambda i: (i.night, i.kind))
    return out


def _month_of(request: web.Request) -> str:
    month = request.query.get("month") or datetime.now(UTC).strftime("%Y-%m")
    month_range(month)
    return month


async def page(request: web.Request) -> web.Response:
    cam = await owned_camera(request)
    month = _month_of(request)
    kind = request.query.get("type", "all")
    if kind not in ("all", *TYPES):
        raise BadRequest(f"unknown type {kind!r}", code="bad_type")
    shown = "month" in request.query
    items = await items_of(request, cam.id, month, kind) if shown else []
    return owner_page(request, "owner/data.html", "owner", cam=cam, month=month, kind=kind,
                      types=TYPES, items=items, shown=shown, labels=GROUP_LABELS,
                      group_of=group_of, categories=CATEGORIES)


async def _selection(request: web.Request, camera: str) -> tuple[list[str], dict[str, str]]:
    """The selected item ids (validated) and the other form fields."""
    form = await request.post()
    selected = [str(v) for v in form.getall("item", [])]
    if not selected:
        raise BadRequest("select at least one item", code="nothing_selected")
    if len(selected) > MAX_ITEMS or any(not ITEM_RE.fullmatch(s) for s in selected):
        raise BadRequest("bad selection", code="bad_selection")
    others = {k: str(v) for k, v in form.items() if isinstance(v, str) and k != "item"}
    return sorted(set(selected)), others


async def _resolve(request: web.Request, camera: str, selected: list[str]) -> list[Item]:
    """The items the selection names, from the owners' indexes (unknown ones dropped)."""
    months = sorted({s.split(":")[1][:7] for s in selected})
    wanted = set(selected)
    found: list[Item] = []
    for month in months:
        found.extend(i for i in await items_of(request, camera, month, "all")
                     if i.id in wanted)
    return found


async def download(request: web.Request) -> web.StreamResponse:
    cam = await owned_camera(request)
    selected, _ = await _selection(request, cam.id)
    items = await _resolve(request, cam.id, selected)
    blobs = request.app[BLOBS]
    response = web.StreamResponse(headers={
        "Content-Type": "application/zip",
        "Content-Disposition": f'attachment; filename="{cam.id}-selection.zip"'})
    response.enable_chunked_encoding()
    await response.prepare(request)
    archive = ZipStream(response)
    for item in items:
        if item.key is not None:
            name = f"{item.kind}/{item.night}-{item.key.rsplit('/', 1)[-1]}"
            await archive.add_file(name, blobs.path(item.key))
            continue
        after = None
        while True:
            page = await ask(request, frames.LIST, frames.FrameList(
                night=item.night, after=after, limit=1000), camera=cam.id)
            for frame in page.frames:
                await archive.add_file(f"images/{item.night}/{frame.key.rsplit('/', 1)[-1]}",
                                       blobs.path(frame.key), frame.taken_at)
            if not page.more or not page.frames:
                break
            after = page.frames[-1].taken_at
    await archive.close()
    await response.write_eof()
    return response


async def delete(request: web.Request) -> web.Response:
    cam = await owned_camera(request)
    selected, others = await _selection(request, cam.id)
    items = await _resolve(request, cam.id, selected)
    products_selected = [i for i in items if i.kind != "images"]
    nights = [i for i in items if i.kind == "images"]
    if others.get("confirm") != str(len(items)):
        return owner_page(request, "owner/data_confirm.html", "owner", cam=cam, items=items,
                          nights=nights, products_selected=products_selected,
                          month=others.get("month", ""), kind=others.get("type", "all"))
    keep = sorted(await active_highlight_keys(request, cam.id))
    deleted, kept = 0, 0
    for item in nights:
        done = await ask(request, frames.DELETE, frames.FrameDelete(
            night=item.night, keep=keep[:10_000]), camera=cam.id)
        deleted += done.deleted
        kept += done.kept
    gone, highlighted = 0, 0
    for item in products_selected:
        if item.key in keep:
            highlighted += 1
            continue
        result = await ask(request, products.DELETE, products.ProductDelete(
            night=item.night, kind=item.kind), camera=cam.id)
        gone += result.deleted
        highlighted += result.kept
    return owner_page(request, "owner/data_deleted.html", "owner", cam=cam, deleted=deleted,
                      kept=kept, nights=len(nights), products_deleted=gone,
                      products_kept=highlighted)
