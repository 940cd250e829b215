"""When a request from this machine may use the local bypass (no credentials).

A loopback peer is not always someone on this machine acting on purpose: a
browser here runs whatever page it visits, and that page can make the
browser send requests to 127.0.0.1 (a form posted to ``/gpio/digital``, an
image pointing at ``/allsky/stopall``), or rebind its own host name to
127.0.0.1 (DNS rebinding) and then read the answers as same-origin. So the
local bypass also needs:

- a ``Host`` naming this machine: an IP address, ``localhost`` (or a name
  under ``.localhost``), this machine's host name (also with ``.local``), or
  the host of one of ``web_allowed_origins``; or no ``Host`` at all. A
  rebound name is none of these. (Behind a trusted proxy that passes the
  public name on, add that site to ``web_allowed_origins`` for local access
  through it.)
- no sign of another site: an ``Origin``/``Referer`` that is neither this
  site nor an allowed origin, or ``Sec-Fetch-Site`` of ``cross-site`` or
  ``same-site`` without an allowed ``Origin``/``Referer``. Only loading a
  page (a GET that changes nothing and whose answer the other site cannot
  read) may follow a link from elsewhere.

A request that fails these checks is treated as not local: it needs a
token or a session like any remote one.
"""

from __future__ import annotations

import functools
import ipaddress
import socket
from urllib.parse import urlsplit

from aiohttp import web

from zenith_web.peer import Client
from zenith_web.session import SAFE_METHODS, foreign_origin
from zenith_web.settings import WebSettings
from zenith_web.spec import Access, RouteSpec

FOREIGN_SITES = frozenset({"cross-site", "same-site"})


@functools.lru_cache(maxsize=1)
def machine_names() -> frozenset[str]:
    """This machine's host name, short and with ``.local`` (mDNS)."""
    name = socket.gethostname().strip().lower().rstrip(".")
    if not name:
        return frozenset()
    short = name.split(".", 1)[0]
    return frozenset({name, short, f"{short}.local"})


def host_name(host: str) -> str:
    """The name or address of a ``Host`` header value, without port or brackets."""
    host = host.strip().lower()
    if host.startswith("["):
        end = host.find("]")
        return host[1:end] if end > 0 else host
    if host.count(":") == 1:
        host = host.split(":", 1)[0]
    return host.rstrip(".")


def names_this_machine(host: str, settings: WebSettings) -> bool:
    name = host_name(host)
    try:
        ipaddress.ip_address(name)
        return True  # an address cannot be rebound
    except ValueError:
        pass
    if name == "localhost" or name.endswith(".localhost") or name in machine_names():
        return True
    return name in {(urlsplit(o).hostname or "") for o in settings.web_allowed_origins}


def refusal(request: web.BaseRequest, spec: RouteSpec, client: Client,
            settings: WebSettings) -> str | None:
    """Why this loopback request gets no local bypass, or None when it does."""
    host = request.headers.get("Host")
    if host is not None and not names_this_machine(host, settings):
        return (f"a request for host {host_name(host)!r} is not a local request: "
                "send credentials")
    if request.method in SAFE_METHODS and spec.access is Access.PAGE:
        return None
    origin = foreign_origin(request, settings, client.via_proxy)
    site = request.headers.get("Sec-Fetch-Site", "").strip().lower()
    names_origin = "Origin" in request.headers or "Referer" in request.headers
    if origin is None and (site not in FOREIGN_SITES or names_origin):
        return None  # no other site, or one of the allowed origins
    where = f"origin {origin!r}" if origin else f"a {site} page"
    return (f"a request sent by {where} gets no local access: send credentials, or add "
            "the origin to web_allowed_origins")
