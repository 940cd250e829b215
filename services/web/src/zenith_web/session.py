"""Browser sessions: HttpOnly token cookies, and CSRF protection for them.

A login from the page sets three cookies, all ``SameSite=Strict``:

- ``zenith_session``: the access token (HttpOnly), as long as the token lives;
- ``zenith_refresh``: the refresh token (HttpOnly), renewed by ``POST /token/refresh``;
- ``zenith_csrf``: a random value the page's script can read and must echo in
  the ``X-CSRF-Token`` header (double submit) of every state-changing request.

A state-changing request that authenticates with the cookie must also come
from an allowed ``Origin`` (or ``Referer`` when a browser sent no Origin).

The cookies are ``Secure`` when ``web_cookie_secure`` is set, and also
whenever the request itself came over HTTPS (directly, or says so through
a trusted proxy's ``X-Forwarded-Proto``), so a browser never sends them
back over plain HTTP.
"""

from __future__ import annotations

import hmac
import secrets
from urllib.parse import urlsplit

from aiohttp import BodyPartReader, MultipartReader, web

from zenith.contracts.auth import TokenPair
from zenith.errors import Forbidden
from zenith_web.settings import WebSettings

SESSION_COOKIE = "zenith_session"
REFRESH_COOKIE = "zenith_refresh"
CSRF_COOKIE = "zenith_csrf"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def request_scheme(request: web.BaseRequest, behind_proxy: bool) -> str:
    """``https`` or ``http``: the socket's, or a trusted proxy's X-Forwarded-Proto."""
    scheme = request.scheme
    if behind_proxy:
        proto = request.headers.get("X-Forwarded-Proto", "").split(",")[0].strip().lower()
        if proto in ("http", "https"):
            scheme = proto
    return scheme


def cookies_secure(request: web.BaseRequest, settings: WebSettings, behind_proxy: bool) -> bool:
    return settings.web_cookie_secure or request_scheme(request, behind_proxy) == "https"


def _cookie(response: web.StreamResponse, name: str, value: str, max_age: int,
            secure: bool, http_only: bool = True) -> None:
    response.set_cookie(name, value, max_age=max_age, path="/", httponly=http_only,
                        samesite="Strict", secure=secure)


def start_session(response: web.StreamResponse, pair: TokenPair, settings: WebSettings,
                  csrf: str | None = None, secure: bool | None = None) -> str:
    """Set the three cookies from a login (new CSRF value) or a refresh (kept)."""
    secure = settings.web_cookie_secure if secure is None else secure
    session_age = int(settings.web_session_days * 86400)
    csrf = csrf or secrets.token_urlsafe(32)
    _cookie(response, SESSION_COOKIE, pair.access_token, max(pair.expires_in, 1), secure)
    _cookie(response, REFRESH_COOKIE, pair.refresh_token, session_age, secure)
    _cookie(response, CSRF_COOKIE, csrf, session_age, secure, http_only=False)
    return csrf


def end_session(response: web.StreamResponse, settings: WebSettings,
                secure: bool | None = None) -> None:
    secure = settings.web_cookie_secure if secure is None else secure
    for name in (SESSION_COOKIE, REFRESH_COOKIE, CSRF_COOKIE):
        response.del_cookie(name, path="/", samesite="Strict", secure=secure)


def has_session(request: web.BaseRequest) -> bool:
    return bool(request.cookies.get(SESSION_COOKIE) or request.cookies.get(REFRESH_COOKIE))


def own_origin(request: web.BaseRequest, behind_proxy: bool) -> str:
    return f"{request_scheme(request, behind_proxy)}://{request.host}".lower()


def _origin_of(url: str) -> str | None:
    parts = urlsplit(url)
    if not parts.scheme or not parts.netloc:
        return None
    return f"{parts.scheme}://{parts.netloc}".lower()


def foreign_origin(request: web.BaseRequest, settings: WebSettings,
                   behind_proxy: bool) -> str | None:
    """The Origin (or Referer's origin) when it is neither this site nor an allowed
    origin; None when it is one of them or the request names none."""
    origin = request.headers.get("Origin")
    if origin is None:
        referer = request.headers.get("Referer")
        if referer is None:
            return None  # not a browser, or one that hides both
        origin = _origin_of(referer) or "null"
    origin = origin.strip().lower().rstrip("/")
    allowed = {own_origin(request, behind_proxy), *(o.lower() for o in
                                                    settings.web_allowed_origins)}
    return None if origin in allowed else origin


def check_origin(request: web.BaseRequest, settings: WebSettings, behind_proxy: bool) -> None:
    """A browser's Origin (or Referer) must be this site or an allowed origin
    (a request naming neither is left to the CSRF token)."""
    origin = foreign_origin(request, settings, behind_proxy)
    if origin is not None:
        raise Forbidden(f"requests from origin {origin!r} are not allowed", code="bad_origin")


async def multipart_csrf(request: web.BaseRequest) -> tuple[MultipartReader, str | None]:
    """A multipart form's reader, past its first part when that is the CSRF field
    (whose value comes back): a form with files is checked before any file is read.
    The page puts the hidden field first; browsers send fields in their order."""
    reader = await request.multipart()
    part = await reader.next()
    if not isinstance(part, BodyPartReader) or part.name != CSRF_FIELD:
        return reader, None
    value = await part.read_chunk(512)
    if not part.at_eof():
        return reader, None
    return reader, value.decode("utf-8", errors="replace").strip()


def check_csrf(request: web.BaseRequest, settings: WebSettings, behind_proxy: bool,
               form_token: str | None = None) -> None:
    """Refuse a cookie-authenticated unsafe request without the matching CSRF token."""
    check_origin(request, settings, behind_proxy)
    expected = request.cookies.get(CSRF_COOKIE, "")
    sent = request.headers.get(CSRF_HEADER) or form_token or ""
    if not expected or not sent or not hmac.compare_digest(expected.encode(), sent.encode()):
        raise Forbidden(f"missing or wrong {CSRF_HEADER} header for a cookie session",
                        code="csrf")
