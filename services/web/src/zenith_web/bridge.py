"""From HTTP to the bus and back: read a body into a model, call an endpoint.

Every view forwards to the service that owns the operation with a NATS
request (through :class:`~zenith.bus.client.BusClient`); typed bus errors
come back as the same status and ``{"error": ...}`` body over HTTP.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from aiohttp import web
from pydantic import BaseModel, ValidationError

from zenith.contracts.base import Empty, Endpoint
from zenith.errors import BadRequest, BusTimeout, Unavailable, invalid
from zenith_web import keys

M = TypeVar("M", bound=BaseModel)
Req = TypeVar("Req", bound=BaseModel)
Rep = TypeVar("Rep", bound=BaseModel)
FORM = "application/x-www-form-urlencoded"


class UnsupportedMediaType(BadRequest):
    status = 415
    default_code = "unsupported_media_type"


def validate(model: type[M], data: dict[str, Any], what: str = "request") -> M:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise invalid(exc, what) from None


def is_json(content_type: str) -> bool:
    """``application/json`` or an ``application/*+json`` type."""
    return content_type == "application/json" or (
        content_type.startswith("application/") and content_type.endswith("+json"))


async def body_object(request: web.Request, form: bool = False) -> dict[str, Any]:
    """The request body as a JSON object ({} when empty); a form when ``form``.

    A body must say it is JSON (``Content-Type: application/json``): a page on
    another site can make a browser send ``text/plain``, a form or multipart
    to us without asking first, but never ``application/json``.
    """
    if request.content_type == FORM:
        if not form:
            raise UnsupportedMediaType("send the body as application/json")
        posted = await request.post()
        return {k: v for k, v in posted.items() if isinstance(v, str)}
    raw = await request.read()
    if not raw.strip():
        return {}
    if not is_json(request.content_type):
        raise UnsupportedMediaType(f"send the body as application/json, not "
                                   f"{request.content_type}")
    try:
        data = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BadRequest(f"request body is not valid JSON: {exc}", code="invalid_json") from None
    except (ValueError, RecursionError):  # an integer of too many digits, nesting too deep
        raise BadRequest("request body is not valid JSON: a number is too long or the "
                         "nesting too deep", code="invalid_json") from None
    if not isinstance(data, dict):
        raise BadRequest("request body must be a JSON object", code="invalid_json")
    return data


async def read_body(request: web.Request, model: type[M], form: bool = False) -> M:
    return validate(model, await body_object(request, form))


async def no_body(request: web.Request) -> Empty:
    """An operation without input: a POST body, if any, must be an empty object."""
    if request.method in ("GET", "HEAD"):
        return Empty()
    return await read_body(request, Empty)


def forward(endpoint: Endpoint[Any, Any]) -> Callable[[web.Request], Awaitable[web.Response]]:
    """A view that hands its JSON body (or nothing, for an endpoint without
    fields) to ``endpoint`` and answers with the reply model."""

    async def view(request: web.Request) -> web.Response:
        if endpoint.request.model_fields:
            body: BaseModel = await read_body(request, endpoint.request)
        else:
            body = await no_body(request)
        return model_response(await call(request, endpoint, body))

    return view


async def call(request: web.Request, endpoint: Endpoint[Req, Rep],
               body: Req | dict[str, Any] | None = None,
               timeout: float | None = None) -> Rep:
    """Request ``endpoint`` for this node's camera; returns the reply model."""
    settings = request.app[keys.SETTINGS]
    params = {"camera": settings.camera} if "camera" in endpoint.placeholders else {}
    caller = request.get(keys.CALLER)
    headers = {"Zenith-User": caller.username} if caller is not None and caller.username \
        else None
    try:
        return await request.app[keys.BUS].request(endpoint, body, timeout=timeout,
                                                   headers=headers, **params)
    except Unavailable as exc:
        if exc.code != "no_responders":
            raise
        raise Unavailable(f"the {endpoint.service} service is not answering "
                          f"(camera {settings.camera})", code="no_responders") from None
    except BusTimeout:
        raise BusTimeout(f"the {endpoint.service} service did not answer in time") from None


def model_response(model: BaseModel, status: int = 200) -> web.Response:
    return web.Response(text=model.model_dump_json(), status=status,
                        content_type="application/json")


