"""Typed application and request state."""

from __future__ import annotations

from typing import Any

import jinja2
from aiohttp import MultipartReader, web
from nats.aio.client import Client as Nats

from zenith.bus.client import BusClient
from zenith.contracts.auth import TokenPair
from zenith.tokens import TokenVerifier
from zenith_web.caller import Caller
from zenith_web.peer import Client
from zenith_web.settings import WebSettings
from zenith_web.spec import RouteSpec

SETTINGS = web.AppKey("settings", WebSettings)
NC = web.AppKey("nc", Nats)
BUS = web.AppKey("bus", BusClient)
VERIFIER = web.AppKey("verifier", TokenVerifier)
TEMPLATES = web.AppKey("templates", jinja2.Environment)
ROUTE_TABLE: web.AppKey[dict[tuple[str, str], RouteSpec]] = web.AppKey("route_table")
OPENAPI: web.AppKey[dict[str, Any]] = web.AppKey("openapi")

# Per-request state, set by the auth middleware.
CLIENT = web.RequestKey("client", Client)
"""Who is on the other end (peer address, trusted proxies applied)."""
SPEC = web.RequestKey("spec", RouteSpec)
"""The matched row of the route table."""
CALLER = web.RequestKey("caller", Caller)
"""Who the auth middleware admitted: local, bearer or cookie."""
RENEWED = web.RequestKey("renewed", TokenPair)
"""A page renewed its session: the middleware sets the new cookies on the answer."""
MULTIPART = web.RequestKey("multipart", MultipartReader)
"""A cookie-authenticated multipart form: its reader, past the CSRF field the
auth middleware checked (the view reads the remaining parts)."""
