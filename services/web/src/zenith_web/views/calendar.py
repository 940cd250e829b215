"""Calendars of a camera's videos, keograms and startrails, and the viewer.

A calendar shows months as grids (newest first), each day a tile with the
product's thumbnail when it exists and quick links to that night's other
products; "from month" / "to month" choose the months (default: the three
up to the newest product). The viewer opens one product large, steps to
the previous or next night that has one, and plays videos slowly
(``viewer.js``: 0.25x, 0.5x, frame steps). Everything comes from products'
``products.list``.
"""

from __future__ import annotations

import asyncio
import calendar as cal
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Literal

from aiohttp import web
from markupsafe import Markup
from pydantic import Field, ValidationError

from zenith.contracts import products
from zenith.contracts.base import Message
from zenith.errors import NotFound
from zenith_web import keys
from zenith_web.i18n import N_, _, current_locale, ngettext
from zenith_web.labels import kind_label, month_title, weekday_names
from zenith_web.sitecache import MAX_FRAGMENTS, SITE_CACHE
from zenith_web.views.sitebus import camera_of, latest_products, list_products, registry
from zenith_web.views.sitepage import html_page, not_found

Group = Literal["videos", "keograms", "startrails"]
KIND_OF: dict[str, str] = {"videos": "timelapse", "keograms": "keogram",
                           "startrails": "startrails"}
GROUP_OF: dict[str, str] = {v: k for k, v in KIND_OF.items()}
TITLES = {"videos": N_("Videos"), "keograms": N_("Keograms"), "startrails": N_("Startrails")}
QUICK = (("timelapse", N_("Video")), ("keogram", N_("Keogram")),
         ("startrails", N_("Startrails")))
MAX_MONTHS = 24
MONTH_TEMPLATE = "site/_calendar_month.html"
Month = str  # YYYY-MM


def count_text(group: str, n: int) -> str:
    """A month's count of a group's products: ``3 keograms``."""
    if group == "videos":
        text = ngettext("%(num)d video", "%(num)d videos", n)
    elif group == "keograms":
        text = ngettext("%(num)d keogram", "%(num)d keograms", n)
    else:
        text = ngettext("%(num)d startrails image", "%(num)d startrails images", n)
    return text % {"num": n}


class CalendarQuery(Message):
    from_month: str = Field("", alias="from", pattern=r"^(\d{4}-(0[1-9]|1[0-2]))?$",
                            description="First month, YYYY-MM.")
    to_month: str = Field("", alias="to", pattern=r"^(\d{4}-(0[1-9]|1[0-2]))?$",
                          description="Last month, YYYY-MM.")


@dataclass
class Day:
    day: int
    night: str
    product: products.ProductDoc | None
    others: list[tuple[str, str]]  # (kind, label) of the night's other products


@dataclass
class MonthGrid:
    month: Month
    title: str
    weeks: list[list[Day | None]]
    count: int
    count_text: str


def month_add(month: Month, n: int) -> Month:
    year, mon = int(month[:4]), int(month[5:7])
    index = year * 12 + (mon - 1) + n
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def month_days(month: Month) -> int:
    return cal.monthrange(int(month[:4]), int(month[5:7]))[1]


def months_between(first: Month, last: Month) -> list[Month]:
    out: list[Month] = []
    month = last
    while month >= first and len(out) < MAX_MONTHS:
        out.append(month)
        month = month_add(month, -1)
    return out  # newest first


async def camera_name(request: web.Request, camera: str) -> str:
    reg = await registry(request, camera)
    return reg.name if reg is not None else request.app[keys.SETTINGS].site_name


async def calendar_page(request: web.Request) -> web.Response:
    group = request.match_info["group"]
    try:
        camera = camera_of(request)
        if group not in KIND_OF:
            raise NotFound(_("No calendar of %(group)s.") % {"group": group})
        kind = KIND_OF[group]
        name, latest = await asyncio.gather(camera_name(request, camera),
                                            latest_products(request, camera))
    except NotFound as exc:
        return not_found(request, exc.message)
    try:
        query = CalendarQuery.model_validate(dict(request.query))
    except ValidationError:
        query = CalendarQuery()
    newest = latest.get(kind)  # the camera's newest of this kind
    default_last = newest.night[:7] if newest else datetime.now(UTC).strftime("%Y-%m")
    last = query.to_month or default_last
    first = query.from_month or month_add(last, -2)
    if first > last:
        first, last = last, first
    months = months_between(first, last)
    listed = products.ProductQuery(
        kinds=[k for k, _ in QUICK], from_night=f"{months[-1]}-01",
        to_night=f"{months[0]}-{month_days(months[0]):02d}", limit=2000)
    found = await request.app[SITE_CACHE].product_list(
        camera, listed, lambda: list_products(request, camera, listed))
    by_night: dict[str, dict[str, products.ProductDoc]] = {}
    for p in found:
        by_night.setdefault(p.night, {})[p.kind] = p
    grids = []
    for month in months:
        year, mon = int(month[:4]), int(month[5:7])
        weeks: list[list[Day | None]] = []
        count = 0
        for week in cal.Calendar(firstweekday=0).monthdayscalendar(year, mon):
            row: list[Day | None] = []
            for day in week:
                if day == 0:
                    row.append(None)
                    continue
                night = f"{month}-{day:02d}"
                have = by_night.get(night, {})
                product = have.get(kind)
                count += product is not None
                row.append(Day(day=day, night=night, product=product,
                               others=[(k, _(label)) for k, label in QUICK
                                       if k != kind and k in have]))
            weeks.append(row)
        grids.append(MonthGrid(month=month, title=month_title(date(year, mon, 1)),
                               weeks=weeks, count=count, count_text=count_text(group, count)))
    title = _(TITLES[group])
    return html_page(request, "site/calendar.html", "calendar", camera_id=camera,
                     camera_name=name, group=group, kind=kind, title=title,
                     month_sections=month_sections(request, camera, group, kind, title, grids),
                     first=first, last=last, groups={g: _(t) for g, t in TITLES.items()})


def month_sections(request: web.Request, camera: str, group: str, kind: str, title: str,
                   grids: list[MonthGrid]) -> list[Markup]:
    """Each month's grid as HTML, rendered once per what it shows (the language, the
    camera, the calendar and which nights have which products) and then kept: a past
    month's products seldom change, and a change is a new key."""
    kept = request.app[SITE_CACHE].fragments
    template = request.app[keys.TEMPLATES].get_template(MONTH_TEMPLATE)
    weekdays = weekday_names()
    out = []
    for grid in grids:
        shown = tuple((d.night, d.product is not None, tuple(k for k, _label in d.others))
                      for week in grid.weeks for d in week if d is not None)
        key = ("calendar-month", current_locale(), camera, group, grid.month, shown)
        section = kept.get(key)
        if section is None:
            if len(kept) >= MAX_FRAGMENTS:
                kept.clear()
            section = kept[key] = Markup(template.render(
                grid=grid, weekdays=weekdays, camera_id=camera, kind=kind, title=title))
        out.append(section)
    return out


async def viewer_page(request: web.Request) -> web.Response:
    night, kind = request.match_info["night"], request.match_info["kind"]
    try:
        camera = camera_of(request)
        if kind not in products.KIND or products.KIND[kind].period != "nightly":
            raise NotFound(_("No nightly product %(kind)s.") % {"kind": kind})
        try:
            day = date.fromisoformat(night)
        except ValueError:
            raise NotFound(_("No night %(night)s.") % {"night": night}) from None
        name = await camera_name(request, camera)
        this = await list_products(request, camera, products.ProductQuery(
            kinds=[kind], from_night=night, to_night=night, limit=1))
        if not this:
            raise NotFound(_("%(name)s has no %(kind)s of the night %(night)s.") % {
                "name": name, "kind": kind_label(kind), "night": night})
    except NotFound as exc:
        return not_found(request, exc.message)
    before = await list_products(request, camera, products.ProductQuery(
        kinds=[kind], to_night=(day - timedelta(days=1)).isoformat(), limit=1))
    after = await list_products(request, camera, products.ProductQuery(
        kinds=[kind], from_night=(day + timedelta(days=1)).isoformat(),
        to_night=(day + timedelta(days=400)).isoformat(), limit=400))
    others = await list_products(request, camera, products.ProductQuery(
        kinds=[k for k, _ in QUICK if k != kind], from_night=night, to_night=night))
    return html_page(request, "site/viewer.html", "viewer", camera_id=camera,
                     camera_name=name, product=this[0], kind=kind,
                     group=GROUP_OF.get(kind, "videos"),
                     previous=before[0].night if before else None,
                     next=after[-1].night if after else None,
                     others=[(p.kind, _(dict(QUICK).get(p.kind, p.kind))) for p in others],
                     is_video=products.KIND[kind].content_type.startswith("video/"))
