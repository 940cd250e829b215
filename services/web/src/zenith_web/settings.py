"""Settings of the web service (``ZENITH_HTTP_*`` and ``ZENITH_WEB_*``)."""

from __future__ import annotations

import ipaddress

from pydantic import Field, field_validator

from zenith.contracts.services import service_names
from zenith_web.ingest_settings import IngestSettings

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


class WebSettings(IngestSettings):
    http_host: str = Field(
        "127.0.0.1",
        description="Address(es) the HTTP server listens on, comma-separated.")
    http_port: int = Field(8080, ge=0, le=65535, description="HTTP port (0: any free port).")
    web_local_no_auth: bool = Field(
        True, description="Requests from this machine (loopback peer) need no token.")
    web_trusted_proxies: list[str] = Field(
        default_factory=list,
        description="Proxies (IPs or CIDRs) whose X-Forwarded-For is believed.")
    web_cookie_secure: bool = Field(
        False, description="Mark session cookies Secure (set when served over HTTPS).")
    web_allowed_origins: list[str] = Field(
        default_factory=list,
        description="Extra origins (scheme://host[:port]) allowed to send cookie requests; "
        "the server's own origin is always allowed.")
    web_session_days: float = Field(
        7.0, gt=0, le=365, description="Lifetime of the refresh-token cookie, days.")
    web_health_services: list[str] = Field(
        default_factory=lambda: list(service_names("dev")),
        description="Services that must answer for /healthz to be ok "
        "(a hub without cameras: auth,products,web).")
    web_health_window: float = Field(
        0.3, gt=0, le=5, description="How long /healthz gathers ping answers, s.")
    web_autofocus_timeout: float = Field(
        300.0, gt=0, description="How long POST /focuser/autofocus waits for the sweep, s.")
    web_darks_max_s: float = Field(
        300.0, gt=0, le=3600, description="Most exposure a dark recording over HTTP may take "
        "in all, s (frames x exposure; longer ones: zenith capture darks record).")
    web_max_body: int = Field(
        1024 * 1024, ge=1024, description="Largest request body accepted, bytes.")
    web_map_tiles: str = Field(
        "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
        description="Map tile URL template ({z}/{x}/{y}) of the network map: the only "
        "other site a page loads from.")
    web_map_attribution: str = Field(
        "© OpenStreetMap contributors", max_length=300,
        description="Attribution shown on the map for its tiles (plain text).")
    web_grafana_url: str = Field(
        "", max_length=300, pattern=r"^(https?://[^\s<>\"']+)?$",
        description="Grafana's address (e.g. https://hub.example/grafana): camera pages "
        "link to the provisioned dashboards there; empty: no links.")

    @field_validator("web_trusted_proxies")
    @classmethod
    def _networks(cls, value: list[str]) -> list[str]:
        for item in value:
            try:
                ipaddress.ip_network(item.strip(), strict=False)
            except ValueError:
                raise ValueError(f"{item!r} is not an IP address or CIDR") from None
        return [item.strip() for item in value]

    @field_validator("web_health_services")
    @classmethod
    def _services(cls, value: list[str]) -> list[str]:
        names = [item.strip() for item in value if item.strip()]
        unknown = sorted(set(names) - set(service_names()))
        if unknown or not names:
            raise ValueError(f"choose from {', '.join(service_names())}")
        return names

    @field_validator("web_allowed_origins")
    @classmethod
    def _origins(cls, value: list[str]) -> list[str]:
        for item in value:
            if not item.startswith(("http://", "https://")) or item.rstrip("/").count("/") > 2:
                raise ValueError(f"{item!r} is not an origin such as https://example.org")
        return [item.rstrip("/") for item in value]

    @field_validator("http_host")
    @classmethod
    def _hosts(cls, value: str) -> str:
        if not [h for h in value.split(",") if h.strip()]:
            raise ValueError("give at least one address")
        return value

    @property
    def hosts(self) -> list[str]:
        return [h.strip() for h in self.http_host.split(",") if h.strip()]

    @property
    def proxy_networks(self) -> list[IPNetwork]:
        return [ipaddress.ip_network(p, strict=False) for p in self.web_trusted_proxies]
