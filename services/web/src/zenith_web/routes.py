"""The route table: every HTTP route, its view, its access rule and its models.

Paths, methods and JSON shapes follow the Allsky server API. Each API view
forwards to the bus endpoint named here, whose declared permission is the
one the caller needs. State-changing GETs are kept for Allsky clients
(``NO_COOKIE``: bearer token or local request only) and each has a POST
twin that the pages use with their cookie and CSRF header.
"""

from __future__ import annotations

from collections import defaultdict

from aiohttp import web

from zenith.contracts import auth, capture, focuser, gpio, sensors
from zenith.contracts.base import Endpoint
from zenith.contracts.web import (
    AllskyAction,
    AllskyStatus,
    FocuserMove,
    FrameQuery,
    GpioPins,
    Health,
    LoggedOut,
    LoginRequest,
    LogoutRequest,
    RefreshRequest,
    TokensOrSession,
)
from zenith_web.bridge import forward
from zenith_web.spec import Access, RouteSpec, View
from zenith_web.templating import STATIC_DIR
from zenith_web.views import allsky as allsky_views
from zenith_web.views import auth as auth_views
from zenith_web.views import darks as darks_views
from zenith_web.views import focuser as focuser_views
from zenith_web.views import gpio as gpio_views
from zenith_web.views import health, meta, pages
from zenith_web.views.admin_routes import ADMIN_ROUTES, JOIN_ROUTES
from zenith_web.views.ingest_routes import INGEST_ROUTES
from zenith_web.views.owner_routes import OWNER_ROUTES
from zenith_web.views.site_routes import SITE_ROUTES

PUBLIC, PAGE, API, NO_COOKIE = Access.PUBLIC, Access.PAGE, Access.API, Access.NO_COOKIE

def _allsky_action(path: str, name: str, view: View, endpoint: Endpoint,
                   summary: str) -> tuple[RouteSpec, RouteSpec]:
    """A capture action as Allsky's GET (no cookie) and as a POST (cookie + CSRF)."""
    return (
        RouteSpec("GET", path, name, view, f"{summary} Allsky compatible: bearer token or "
                  "local request only.", "allsky", NO_COOKIE, endpoint=endpoint,
                  reply=AllskyAction),
        RouteSpec("POST", path, name, view, summary, "allsky", API, endpoint=endpoint,
                  reply=AllskyAction),
    )


ROUTES: tuple[RouteSpec, ...] = (
    # health, metrics, documentation
    RouteSpec("GET", "/healthz", "healthz", health.healthz, "Ping every service on the bus; "
              "503 unless all answer.", "meta", PUBLIC, reply=Health),
    RouteSpec("GET", "/metrics", "metrics", meta.metrics, "Prometheus metrics of this process.",
              "meta", PUBLIC, content_type="text/plain"),
    RouteSpec("GET", "/api/openapi.json", "openapi", meta.openapi,
              "This document.", "meta", PUBLIC),
    # sessions
    RouteSpec("GET", "/login", "login", pages.login_page, "The login page.", "pages", PUBLIC,
              content_type="text/html"),
    RouteSpec("POST", "/login", "login", auth_views.login,
              "Log in: an access and a refresh token (and the session cookies on request).",
              "auth", PUBLIC, endpoint=auth.LOGIN, request=LoginRequest, reply=TokensOrSession,
              form=True, statuses=(401, 403, 429)),
    RouteSpec("POST", "/token/refresh", "token-refresh", auth_views.refresh,
              "Rotate a refresh token (from the body, or the session cookie with CSRF).",
              "auth", PUBLIC, endpoint=auth.REFRESH, request=RefreshRequest,
              reply=TokensOrSession, statuses=(401, 403, 429)),
    RouteSpec("POST", "/logout", "logout", auth_views.logout,
              "Revoke a refresh token (from the body, or end the cookie session).", "auth",
              PUBLIC, endpoint=auth.LOGOUT, request=LogoutRequest, reply=LoggedOut, form=True,
              statuses=(401, 403)),
    # pages
    RouteSpec("GET", "/dashboard", "dashboard", pages.dashboard, "Dashboard: capture and pins.",
              "pages", PAGE, content_type="text/html"),
    RouteSpec("GET", "/focuser", "focuser-page", pages.focuser_page,
              "Focuser: live frame, moves and autofocus.", "pages", PAGE,
              content_type="text/html"),
    # capture (Allsky)
    RouteSpec("GET", "/allsky/status", "allsky-status", allsky_views.status,
              "Capture status, with an HTML card for dashboards.", "allsky",
              endpoint=capture.STATUS, reply=AllskyStatus),
    *_allsky_action("/allsky/start", "allsky-start", allsky_views.start, capture.START,
                    "Start capturing."),
    *_allsky_action("/allsky/restart", "allsky-restart", allsky_views.restart,
                    capture.RESTART, "Restart capturing."),
    *_allsky_action("/allsky/stopall", "allsky-stopall", allsky_views.stop, capture.STOP,
                    "Stop capturing."),
    *_allsky_action("/allsky/stopallsky", "allsky-stopallsky", allsky_views.stop,
                    capture.STOP, "Stop capturing (the web service keeps running)."),
    # dark frames
    RouteSpec("POST", "/api/capture/darks", "capture-darks", darks_views.record,
              "Record a dark into the library (cap the lens first): the average of `frames` "
              "exposures, at most web_darks_max_s of exposure in all (longer: the CLI).",
              "capture", endpoint=capture.DARKS_RECORD, request=capture.DarksRecord),
    RouteSpec("GET", "/api/capture/darks", "capture-darks", forward(capture.DARKS_LIST),
              "The dark-frame library.", "capture", endpoint=capture.DARKS_LIST),
    # GPIO (Allsky)
    RouteSpec("GET", "/gpio/all", "gpio-all", gpio_views.all_pins,
              "Every pin D0..D27 with its mode and state.", "gpio", endpoint=gpio.ALL,
              reply=GpioPins),
    RouteSpec("GET", "/gpio/digital/{pin}", "gpio-digital-get", gpio_views.digital_get,
              "Read a pin (an unused pin becomes an input). Allsky compatible: bearer "
              "token or local request only.", "gpio", NO_COOKIE, endpoint=gpio.DIGITAL_GET,
              path_model=gpio.DigitalGet),
    RouteSpec("POST", "/gpio/digital", "gpio-digital", forward(gpio.DIGITAL_SET),
              "Drive a pin on or off.", "gpio", endpoint=gpio.DIGITAL_SET),
    RouteSpec("POST", "/gpio/pwm", "gpio-pwm", forward(gpio.PWM_SET),
              "Set a pin's PWM frequency and duty (0..65535).", "gpio", endpoint=gpio.PWM_SET),
    RouteSpec("POST", "/gpio/release", "gpio-release", forward(gpio.RELEASE),
              "Return a pin to unused.", "gpio", endpoint=gpio.RELEASE),
    RouteSpec("GET", "/gpio/status", "gpio-status", forward(gpio.STATUS),
              "Digital outputs and PWM pins in use.", "gpio", endpoint=gpio.STATUS),
    RouteSpec("GET", "/onewire/devices", "onewire-devices", forward(gpio.ONEWIRE_DEVICES),
              "1-wire devices.", "gpio", endpoint=gpio.ONEWIRE_DEVICES),
    RouteSpec("GET", "/i2c/devices", "i2c-devices", forward(gpio.I2C_DEVICES),
              "Addresses answering on the I2C buses.", "gpio", endpoint=gpio.I2C_DEVICES),
    # focuser
    RouteSpec("GET", "/focuser/status", "focuser-status", forward(focuser.STATUS),
              "Position, limits, settings and the last autofocus.", "focuser",
              endpoint=focuser.STATUS),
    RouteSpec("POST", "/focuser/move", "focuser-move", focuser_views.move,
              "Move by steps (or direction in/out with steps), or to a position.", "focuser",
              endpoint=focuser.MOVE, request=FocuserMove),
    RouteSpec("POST", "/focuser/stop", "focuser-stop", forward(focuser.STOP), "Stop at once.",
              "focuser", endpoint=focuser.STOP),
    RouteSpec("POST", "/focuser/sync", "focuser-sync", forward(focuser.SYNC),
              "Declare the current position.", "focuser", endpoint=focuser.SYNC),
    RouteSpec("POST", "/focuser/configure", "focuser-configure", forward(focuser.CONFIGURE),
              "Change driver, pins, limits, backlash, speed.", "focuser",
              endpoint=focuser.CONFIGURE),
    RouteSpec("POST", "/focuser/autofocus", "focuser-autofocus", focuser_views.autofocus,
              "Sweep, score frames, fit and move to the best focus (answers when done).",
              "focuser", endpoint=focuser.AUTOFOCUS),
    RouteSpec("GET", "/focuser/frame.jpg", "focuser-frame", focuser_views.frame,
              "The capture loop's latest frame as JPEG (a new exposure when it is stopped, "
              "or with fresh=true for focuser:update; 429 while the camera is busy); focus "
              "metrics in X-Focus-HFR, X-Focus-Stars, X-Focus-Sharpness headers.", "focuser",
              endpoint=capture.SNAPSHOT, content_type="image/jpeg", query_model=FrameQuery,
              statuses=(429,)),
    # sensors, dew heater and fan
    RouteSpec("GET", "/sensors/current", "sensors-current", forward(sensors.CURRENT),
              "The latest reading of every sensor.", "sensors", endpoint=sensors.CURRENT),
    RouteSpec("GET", "/sensors/status", "sensors-status", forward(sensors.STATUS),
              "Sensors' health, heater and fan state with their rules, active alerts.",
              "sensors", endpoint=sensors.STATUS),
    RouteSpec("POST", "/sensors/override", "sensors-override", forward(sensors.OVERRIDE),
              "Force a heater or fan on or off until an expiry (state auto ends it).",
              "sensors", endpoint=sensors.OVERRIDE, statuses=(404,)),
    RouteSpec("POST", "/sensors/series", "sensors-series", forward(sensors.SERIES),
              "A camera's readings in a time range, downsampled (every_s, aggregate).",
              "sensors", endpoint=sensors.SERIES),
    *INGEST_ROUTES,
    *SITE_ROUTES,
    *JOIN_ROUTES,
    *ADMIN_ROUTES,
    *OWNER_ROUTES,
)


def setup_routes(app: web.Application,
                 routes: tuple[RouteSpec, ...] = ROUTES) -> dict[tuple[str, str], RouteSpec]:
    """Add every route (one named resource per path) and the static files."""
    by_path: dict[str, list[RouteSpec]] = defaultdict(list)
    for spec in routes:
        by_path[spec.path].append(spec)
    table: dict[tuple[str, str], RouteSpec] = {}
    for path, specs in by_path.items():
        names = {s.name for s in specs}
        if len(names) != 1:
            raise ValueError(f"{path} has several names: {sorted(names)}")
        resource = app.router.add_resource(path, name=specs[0].name)
        for spec in specs:
            if spec.key in table:
                raise ValueError(f"{spec.method} {path} declared twice")
            resource.add_route(spec.method, spec.view)
            if spec.method == "GET" and spec.access is not NO_COOKIE:
                resource.add_route("HEAD", spec.view)
            table[spec.key] = spec
    app.router.add_static("/static", STATIC_DIR, name="static", append_version=True)
    return table
