"""The admin area (role admin): overview, join requests, audit log, settings.

Every route is a page (``Access.PAGE``) that needs ``users:update``, which
only the admin role holds (the operator role has every module but
``users``); the auth middleware answers 403 to anyone else and checks the
CSRF field of every form post. Each change goes to the service that owns
it with the admin's name in ``Zenith-User``; changes the network service
makes record their own audit entry, the others are recorded here through
``network.audit-record``. Passwords and keys appear once, on the page that
answers the action, never in the audit log.
"""

from __future__ import annotations

import re
from typing import Any

from aiohttp import web
from pydantic import ValidationError

from zenith.contracts import admin as admin_contract
from zenith.contracts import joins
from zenith.contracts.base import Empty
from zenith.errors import BadRequest, ZenithError, invalid
from zenith_web import keys, netconfig, session
from zenith_web.bridge import call
from zenith_web.i18n import N_
from zenith_web.templating import render
from zenith_web.views.auth import see_other

ADMIN_PERMISSION = ("users", "update")
SECTIONS = (("admin", N_("Overview")), ("admin-joins", N_("Join requests")),
            ("admin-cameras", N_("Cameras")), ("admin-owners", N_("Owners")),
            ("admin-badges", N_("Badges")), ("admin-settings", N_("Settings")),
            ("admin-audit", N_("Audit log")))
FLASHES = {"rejected": N_("The request was rejected."), "saved": N_("Saved."),
           "disabled": N_("The camera is disabled."), "enabled": N_("The camera is enabled."),
           "linked": N_("The owner is linked to the camera."),
           "unlinked": N_("The owner no longer owns the camera."),
           "deleted": N_("The owner was deleted: every session of theirs has ended."),
           "granted": N_("The badge was granted."), "revoked": N_("The badge was revoked."),
           "edited": N_("The camera was changed."),
           "revoked-keys": N_("Every key of the camera stopped working.")}


def page(request: web.Request, template: str, section: str, status: int = 200,
         **context: Any) -> web.Response:
    caller = request[keys.CALLER]
    flash = FLASHES.get(request.query.get("done", ""), "")
    names = request.app.router.named_resources()
    context.setdefault("message", "")
    text = render(request.app, template, request=request, user=caller.username,
                  csrf=request.cookies.get(session.CSRF_COOKIE, ""),
                  sections=[(n, label) for n, label in SECTIONS if n in names],
                  section=section, page="admin", flash=flash, **context)
    return web.Response(text=text, status=status, content_type="text/html")


def back(request: web.Request, name: str, done: str, **parts: str) -> web.Response:
    url = request.app.router[name].url_for(**parts).with_query(done=done)
    return see_other(str(url))


async def form_data(request: web.Request) -> dict[str, str]:
    posted = await request.post()
    return {k: v.strip() for k, v in posted.items()
            if isinstance(v, str) and k != session.CSRF_FIELD}


def validated(model: type[Any], data: dict[str, Any]) -> Any:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise invalid(exc, "form") from None


async def audit(request: web.Request, action: str, target: str,
                details: dict[str, Any] | None = None) -> None:
    """Record a change made through a service other than network."""
    await call(request, admin_contract.AUDIT_RECORD, admin_contract.AuditRecord(
        action=action, target=target, details=details or {}))


def number(value: str, what: str) -> float:
    try:
        return float(value)
    except ValueError:
        raise BadRequest(f"{what} must be a number", code="invalid_request") from None


# --- overview -------------------------------------------------------------------------------


async def overview(request: web.Request) -> web.Response:
    pending = await call(request, joins.JOIN_LIST, joins.JoinQuery(status="pending"))
    entries = await call(request, admin_contract.AUDIT_LIST, admin_contract.AuditQuery(limit=10))
    return page(request, "admin/index.html", "admin", pending=len(pending.requests),
                entries=entries.entries, grafana=netconfig.config_of(request.app).grafana_url)


# --- join requests --------------------------------------------------------------------------


def _slug(text: str, limit: int) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return slug[:limit].strip("-") or "camera"


def suggestion(request: joins.JoinRequest) -> dict[str, str]:
    """What the approve form proposes: names made from the request."""
    user = re.sub(r"[^A-Za-z0-9_.-]+", "", request.email.split("@", 1)[0])[:32] or "owner"
    return {"username": user, "camera": _slug(request.location.split(",")[0], 32),
            "camera_name": request.location.split(",")[0][:64]}


async def joins_page(request: web.Request, message: str = "", status: int = 200
                     ) -> web.Response:
    found = await call(request, joins.JOIN_LIST, joins.JoinQuery())
    pending = [r for r in found.requests if r.status == "pending"]
    decided = [r for r in found.requests if r.status != "pending"]
    return page(request, "admin/joins.html", "admin-joins", status=status, pending=pending,
                decided=decided, suggest={r.id: suggestion(r) for r in pending},
                message=message)


async def join_list(request: web.Request) -> web.Response:
    return await joins_page(request)


async def join_approve(request: web.Request) -> web.Response:
    data = await form_data(request)
    try:
        body = validated(joins.JoinApprove, {
            "id": request.match_info["join"], "username": data.get("username", ""),
            "camera": data.get("camera", ""), "camera_name": data.get("camera_name", ""),
            "code": data.get("code") or None, "email_key": data.get("email_key") == "on",
            "location": {"latitude": number(data.get("latitude", ""), "Latitude"),
                         "longitude": number(data.get("longitude", ""), "Longitude"),
                         "timezone": data.get("timezone") or "UTC",
                         "precision": data.get("precision") or "1km"}})
        done = await call(request, joins.JOIN_APPROVE, body)
    except ZenithError as exc:
        return await joins_page(request, exc.message, exc.status)
    return page(request, "admin/approved.html", "admin-joins", done=done)


async def join_reject(request: web.Request) -> web.Response:
    data = await form_data(request)
    try:
        body = validated(joins.JoinReject, {"id": request.match_info["join"],
                                            "reason": data.get("reason", "")})
        await call(request, joins.JOIN_REJECT, body)
    except ZenithError as exc:
        return await joins_page(request, exc.message, exc.status)
    return back(request, "admin-joins", "rejected")


# --- audit log and settings -----------------------------------------------------------------


async def audit_page(request: web.Request) -> web.Response:
    target = request.query.get("target") or None
    try:
        query = validated(admin_contract.AuditQuery, {"target": target, "limit": 500})
    except ZenithError:
        query = admin_contract.AuditQuery(limit=500)
    entries = await call(request, admin_contract.AUDIT_LIST, query)
    return page(request, "admin/audit.html", "admin-audit", entries=entries.entries,
                target=target or "")


async def settings_page(request: web.Request, message: str = "", status: int = 200,
                        values: dict[str, Any] | None = None) -> web.Response:
    config = await call(request, admin_contract.CONFIG_GET, Empty())
    settings = request.app[keys.SETTINGS]
    return page(request, "admin/settings.html", "admin-settings", status=status,
                config=values or config.model_dump(), message=message,
                defaults={"site_name": settings.site_name, "map_tiles": settings.web_map_tiles})


async def settings_form(request: web.Request) -> web.Response:
    return await settings_page(request)


async def settings_save(request: web.Request) -> web.Response:
    data = await form_data(request)
    offline = data.get("offline_after_s", "")
    values: dict[str, Any] = {"site_name": data.get("site_name", ""),
                              "map_tiles": data.get("map_tiles", ""),
                              "grafana_url": data.get("grafana_url", ""),
                              "offline_after_s": offline or None}
    try:
        if offline:
            values["offline_after_s"] = number(offline, "The offline threshold")
        body = validated(admin_contract.NetworkConfigSet, values)
        await call(request, admin_contract.CONFIG_SET, body)
        await netconfig.refresh(request.app)
    except ZenithError as exc:
        return await settings_page(request, exc.message, exc.status, values)
    return back(request, "admin-settings", "saved")
