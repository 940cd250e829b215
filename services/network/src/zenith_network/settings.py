"""Settings of the network service and of ``zenith camera`` / ``zenith owner``."""

from __future__ import annotations

from pydantic import Field, SecretStr

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

    # joining the network, and mail to people who asked
    network_join_max_per_address: int = Field(
        3, ge=1, le=1000, description="Join requests one address may send per window.")
    network_join_window_s: float = Field(
        3600.0, gt=0, description="The window of the join limit, s.")
    network_public_url: str = Field(
        "", description="The hub's public URL, named in mail (https://hub.example.org).")
    network_smtp_host: str = Field("", description="SMTP server for join mail; empty: none.")
    network_smtp_port: int = Field(587, ge=1, le=65535)
    network_smtp_starttls: bool = Field(True, description="STARTTLS after connecting.")
    network_smtp_username: str = ""
    network_smtp_password: SecretStr | None = None
    network_smtp_from: str = Field("zenith@localhost", description="Sender of join mail.")

    network_xp_cache_s: float = Field(
        60.0, ge=0, le=86400, description="How long a camera's computed XP is reused, s.")

    # the uplink: on a node that belongs to a hub
    network_hub_url: str = Field(
        "", description="The hub's base URL (https://hub.example.org); empty: no uplink.")
    network_hub_key: SecretStr | None = Field(
        None, description="This camera's upload key on the hub (zenith camera key there).")
    network_uplink_frame_every_s: float = Field(
        120.0, ge=0, description="Send a live frame at most this often, s (0: every frame).")
    network_uplink_max_frame_age_s: float = Field(
        6 * 3600.0, gt=0, description="Live frames older than this when their turn comes "
        "are dropped (and counted); products and readings never are.")
    network_uplink_batch: int = Field(500, ge=1, le=1000, description="Readings per request.")
    network_uplink_timeout_s: float = Field(60.0, gt=0, description="HTTP timeout, s.")
    network_uplink_config_every_s: float = Field(
        300.0, gt=0, description="Ask the hub this often for what the camera's owner chose "
        "there (sensors switched off), s; every readings batch's answer tells it too.")
    network_uplink_retry_max_s: float = Field(
        60.0, gt=0, description="Longest pause between tries while the hub is away, s.")
