"""One row of the route table: path, method, view, who may call it, its models.

The auth middleware, the OpenAPI document and the router all read the same
rows (``routes.ROUTES``), so a route's permission and schemas are written
once, mostly by pointing at the bus contract it forwards to.
"""

from __future__ import annotations

import enum
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiohttp import web
from pydantic import BaseModel

from zenith.contracts.base import Endpoint

View = Callable[[web.Request], Awaitable[web.StreamResponse]]


class Access(enum.Enum):
    PUBLIC = "public"
    """Anyone: health, login, the OpenAPI document, static files."""
    PAGE = "page"
    """A server-rendered page: a session cookie or a local request; else go to /login."""
    API = "api"
    """Bearer token, session cookie (CSRF-checked when unsafe) or a local request."""
    NO_COOKIE = "no-cookie"
    """A state-changing GET kept for Allsky: bearer token or local request, never a cookie."""


@dataclass(frozen=True)
class RouteSpec:
    method: str
    path: str
    name: str
    view: View
    summary: str
    tag: str
    access: Access = Access.API
    endpoint: Endpoint | None = None
    permission: tuple[str, str] | None = None
    request: type[BaseModel] | None = None
    reply: type[BaseModel] | None = None
    content_type: str = "application/json"
    path_model: type[BaseModel] | None = None  # the path's {fields}, validated by this model
    query_model: type[BaseModel] | None = None  # the query string, validated by this model
    form: bool = False  # also accepts application/x-www-form-urlencoded
    statuses: tuple[int, ...] = ()  # answers besides the usual ones (see openapi.py)

    @property
    def required_permission(self) -> tuple[str, str] | None:
        """The explicit permission, else the one of the bus endpoint it forwards to."""
        if self.permission is not None:
            return self.permission
        return self.endpoint.permission if self.endpoint is not None else None

    @property
    def request_model(self) -> type[BaseModel] | None:
        if self.request is not None:
            return self.request
        if self.endpoint is not None and self.method != "GET" and self.endpoint.request \
                .model_fields:
            return self.endpoint.request
        return None

    @property
    def reply_model(self) -> type[BaseModel] | None:
        """The JSON model answered; None for other content (pages, images, metrics)."""
        if self.content_type != "application/json":
            return None
        if self.reply is not None:
            return self.reply
        return self.endpoint.reply if self.endpoint is not None else None

    @property
    def key(self) -> tuple[str, str]:
        return (self.method, self.path)
