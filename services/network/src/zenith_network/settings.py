"""Settings of the network service and of ``zenith camera`` / ``zenith owner``."""

from __future__ import annotations

from pydantic import Field

from zenith.config import Settings


class NetworkSettings(Settings):
    network_offline_after_s: float = Field(
        600.0, gt=0, le=7 * 86400,
        description="A camera is offline once no live frame came for this long, s.")
    network_status_every_s: float = Field(
        30.0, gt=0, le=3600, description="How often online cameras are checked for silence, s.")
    network_code_prefix: str = Field(
        "ZEN", pattern=r"^[A-Z]{1,6}$",
        description="Prefix of generated display codes (ZEN001, ZEN002, ...).")
