"""Contracts of the web service: its bus endpoint, the health report and HTTP-only shapes.

The HTTP API mostly forwards contract models of other services unchanged;
the few shapes that exist only over HTTP (the Allsky-compatible answers,
login with a browser session, the health report) are declared here so the
OpenAPI document is generated from them like everything else.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, RootModel, model_validator

from zenith.contracts import capture, focuser, gpio
from zenith.contracts.auth import TokenPair, UserInfo
from zenith.contracts.base import Empty, Endpoint, Message


class WebInfo(Message):
    url: str
    version: str


WEB_INFO = Endpoint(
    service="web", name="info", subject="zenith.web.info",
    request=Empty, reply=WebInfo,
    summary="Where the web service listens and which version it runs.",
)


class ServiceHealth(Message):
    healthy: bool
    instances: int = Field(ge=0, description="Instances that answered the ping.")
    version: str | None = Field(None, description="Version of the first instance that answered.")


class Health(Message):
    status: Literal["ok", "degraded"]
    services: dict[str, ServiceHealth]


class LoginRequest(Message):
    """``POST /login``: JSON, or a form from the login page (which gets a session)."""

    username: str = Field(..., min_length=1, max_length=64)
    password: str = Field(..., min_length=1, max_length=1024)
    session: bool = Field(False, description="Also set the HttpOnly session cookies.")


class RefreshRequest(Message):
    refresh_token: str | None = Field(
        None, min_length=1, max_length=4096,
        description="Omitted: the refresh token of the session cookie is used.")


class LogoutRequest(Message):
    refresh_token: str | None = Field(
        None, min_length=1, max_length=4096,
        description="Omitted: the session cookie's refresh token is revoked.")


class SessionReply(Message):
    """A cookie session was started or renewed; the tokens stay in HttpOnly cookies."""

    token_type: str = "cookie"
    expires_in: int
    user: UserInfo


class TokensOrSession(RootModel[TokenPair | SessionReply]):
    """``POST /login`` and ``/token/refresh``: the tokens, or (for a cookie
    session) only what the page needs to know."""


class LoggedOut(Message):
    ok: bool = True


class AllskyAction(Message):
    status: Literal["Allsky started", "Allsky stopped"]


class AllskyStatus(capture.Status):
    """Capture status plus an escaped HTML fragment for a dashboard card."""

    status_html: str


class GpioPins(RootModel[dict[str, gpio.PinInfo]]):
    """``GET /gpio/all``: every board pin, keyed D0..D27, at the top level."""


class FrameQuery(Message):
    """``GET /focuser/frame.jpg``: the query string (``t`` is a cache buster, ignored)."""

    max_width: int = Field(1024, ge=64, le=4096, description="Scale the frame down to this "
                           "width.")
    quality: int = Field(90, ge=10, le=100, description="JPEG quality.")
    exposure_s: float | None = Field(None, gt=0, le=600, description="Exposure for this frame, "
                                     "s (default: the capture loop's).")
    t: str | None = Field(None, max_length=64, description="Ignored (defeats caches).")
    fresh: bool = Field(False, description="A new exposure even while the capture loop "
                        "runs (needs focuser:update); otherwise the loop's latest frame "
                        "(a new exposure only while it is stopped).")

    def to_snapshot(self) -> capture.Snapshot:
        return capture.Snapshot(max_width=self.max_width, quality=self.quality,
                                exposure_s=self.exposure_s, image=True, fresh=self.fresh)


class FocuserMove(Message):
    """``POST /focuser/move``: the bus ``Move``, or Allsky's ``direction`` + ``steps``."""

    direction: Literal["in", "out"] | None = Field(
        None, description="With positive steps: in is toward negative positions.")
    steps: focuser.Steps | None = None
    position: focuser.Steps | None = None
    speed: focuser.Speed | None = None
    wait: bool = False

    @model_validator(mode="after")
    def _direction(self) -> FocuserMove:
        if (self.steps is None) == (self.position is None):
            raise ValueError("give exactly one of steps or position")
        if self.direction is not None:
            if self.steps is None or self.steps <= 0:
                raise ValueError("with a direction, give a positive number of steps")
            if self.position is not None:
                raise ValueError("give a direction with steps, not a position")
        return self

    def to_move(self) -> focuser.Move:
        steps = self.steps
        if self.direction == "in" and steps is not None:
            steps = -steps
        return focuser.Move(steps=steps, position=self.position, speed=self.speed,
                            wait=self.wait)
