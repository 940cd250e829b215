"""Errors at the HTTP boundary: always ``{"error": {"code", "message"}}``."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from zenith.errors import ZenithError

# aiohttp's own HTTP exceptions, by status, turned into our codes.
_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    411: "length_required",
    413: "body_too_large",
    414: "uri_too_long",
    415: "unsupported_media_type",
    431: "headers_too_large",
    500: "internal",
    503: "unavailable",
}


def json_error(status: int, code: str, message: str, details: Any = None,
               headers: dict[str, str] | None = None) -> web.Response:
    body: dict[str, Any] = {"code": code, "message": message}
    if details is not None:
        body["details"] = details
    return web.json_response({"error": body}, status=status, headers=headers)


def from_zenith(exc: ZenithError) -> web.Response:
    headers: dict[str, str] = {}
    if exc.status == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="zenith"'
    retry = exc.details.get("retry_after") if isinstance(exc.details, dict) else None
    if exc.status in (429, 503) and isinstance(retry, int) and not isinstance(retry, bool):
        headers["Retry-After"] = str(max(1, retry))
    return json_error(exc.status, exc.code, exc.message, exc.details, headers or None)


def from_http(exc: web.HTTPException, path: str) -> web.Response:
    status = exc.status
    code = _CODES.get(status, "bad_request" if status < 500 else "internal")
    if status == 404:
        message = f"no such route: {path}"
    elif status == 405:
        allowed: set[str] = getattr(exc, "allowed_methods", set()) or set()
        message = f"method not allowed here; use {', '.join(sorted(allowed))}"
    elif status == 413:
        message = "request body is too large"
    else:
        message = exc.reason or code
    headers = {}
    if status == 405 and "Allow" in exc.headers:
        headers["Allow"] = exc.headers["Allow"]
    return json_error(status, code, message, headers=headers or None)
