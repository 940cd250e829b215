"""Settings: ``ZENITH_*`` environment variables over an optional TOML file.

Each process declares one settings model (a subclass of :class:`Settings`)
and loads it once with :func:`load_settings`. A field ``gpio_pin_factory``
is read from ``ZENITH_GPIO_PIN_FACTORY`` or from the TOML file as either
``gpio_pin_factory = ...`` or ``[gpio] pin_factory = ...``. The TOML file is
named by ``ZENITH_CONFIG``. Environment wins over the file. A bad value
raises :class:`~zenith.errors.ConfigError` naming the setting.
"""

from __future__ import annotations

import json
import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal, TypeVar
from urllib.parse import urlsplit, urlunsplit

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator

from zenith.errors import ConfigError
from zenith.ids import CameraId

ENV_PREFIX = "ZENITH_"
CONFIG_ENV = "ZENITH_CONFIG"

S = TypeVar("S", bound="Settings")

NATS_SCHEMES = ("nats", "tls")


class Settings(BaseModel):
    """Settings every Zenith process shares. Subclass to add a service's own."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    camera: CameraId = Field("demo", description="This node's camera id (a slug).")
    site_name: str = Field("Zenith", description="Name shown on pages.")
    nats_url: str = Field("nats://127.0.0.1:4222",
                          description="NATS server URL(s), comma-separated; nats:// or "
                          "tls:// (TCP; the WebSocket transport is not used).")
    nats_credentials: Path | None = Field(
        None, description="This process's bus credentials: a JSON file with user and "
        "password (a NATS CLI context file; `zenith dev` writes them, mode 0600).")
    nats_user: str = Field("", description="Bus user, when no credentials file is given.")
    nats_password: SecretStr | None = Field(None, description="Password of nats_user.")
    data_dir: Path = Field(Path("var"), description="Where embedded stores keep their files.")
    metadata_url: str = Field(
        "", description="sqlite:///path.db or mongodb://host/db; empty: SQLite in data_dir."
    )
    series_url: str = Field(
        "", description="sqlite:///path.db or influx+http://host:8086/db; "
        "empty: SQLite in data_dir."
    )
    influx_token: SecretStr | None = Field(None, description="InfluxDB token (2.x/3.x v1 API).")
    blob_dir: Path | None = Field(None, description="Blob directory; empty: data_dir/blobs.")
    metrics_port: int = Field(0, ge=0, le=65535, description="Prometheus port; 0 turns it off.")
    metrics_host: str = Field("127.0.0.1", description="Address the metrics server binds.")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["text", "json"] = "text"
    latitude: float = Field(52.0, ge=-90, le=90, description="Site latitude, degrees north.")
    longitude: float = Field(5.0, ge=-180, le=180, description="Site longitude, degrees east.")
    elevation: float = Field(0.0, description="Site elevation, metres.")
    request_timeout: float = Field(5.0, gt=0, description="Default bus request timeout, s.")
    jetstream_replicas: int = Field(1, ge=1, le=5, description=(
        "Replicas of each JetStream stream and KV bucket (3 on a 3-node NATS cluster)."))

    @field_validator("nats_url")
    @classmethod
    def _nats_over_tcp(cls, value: str) -> str:
        for one in value.split(","):
            split = urlsplit(one.strip())
            if split.scheme not in NATS_SCHEMES or not split.hostname:
                raise ValueError(f"{redact_url(one.strip())!r} is not a nats:// or tls:// URL "
                                 "(Zenith speaks NATS over TCP, not WebSocket)")
        return value

    def bus_credential(self, person: bool = False) -> tuple[str, str] | None:
        """(user, password) for NATS from the credentials file or the settings.

        ``person``: a command a person runs (``zenith user``) falls back on
        the admin credentials ``zenith dev`` wrote under ``data_dir``."""
        from zenith.bus.credential_files import CONTEXT_FILE, credentials_dir, read_credentials

        path = self.nats_credentials
        if path is None and not self.nats_user and person:
            dev_admin = credentials_dir(self.data_dir) / CONTEXT_FILE
            path = dev_admin if dev_admin.exists() else None
        if path is not None:
            cred = read_credentials(path)
            return cred.user, cred.password
        if self.nats_user:
            secret = self.nats_password.get_secret_value() if self.nats_password else ""
            return self.nats_user, secret
        return None

    @property
    def resolved_metadata_url(self) -> str:
        return self.metadata_url or f"sqlite:///{self.data_dir / 'metadata.db'}"

    @property
    def resolved_series_url(self) -> str:
        return self.series_url or f"sqlite:///{self.data_dir / 'series.db'}"

    @property
    def resolved_blob_dir(self) -> Path:
        return self.blob_dir or self.data_dir / "blobs"


def is_secret_name(name: str) -> bool:
    """Whether a setting (or its environment variable) by this name holds a secret."""
    lowered = name.lower()
    return "token" in lowered or "secret" in lowered or "password" in lowered


def redact_url(url: str) -> str:
    """A URL (or comma-separated URLs) fit for logs: user and password hidden."""
    parts = []
    for one in url.split(","):
        split = urlsplit(one.strip())
        if split.username or split.password:
            host = split.hostname or ""
            if split.port:
                host = f"{host}:{split.port}"
            one = urlunsplit(split._replace(netloc=f"***@{host}"))
        parts.append(one.strip())
    return ",".join(parts)


def env_name(field: str) -> str:
    return ENV_PREFIX + field.upper()


def _flatten_toml(data: Mapping[str, Any]) -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, Mapping):
            for sub, subvalue in value.items():
                flat[f"{key}_{sub}"] = subvalue
        else:
            flat[key] = value
    return flat


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return _flatten_toml(tomllib.load(fh))
    except FileNotFoundError:
        raise ConfigError(f"{CONFIG_ENV}: config file {path} does not exist") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{CONFIG_ENV}: {path} is not valid TOML: {exc}") from None


def _env_value(raw: str, annotation: Any) -> Any:
    """Lists and dicts come from env as JSON or, for lists, comma-separated."""
    text = raw.strip()
    origin = getattr(annotation, "__origin__", None)
    if origin in (list, tuple, set, dict) or annotation in (list, dict):
        if text.startswith(("[", "{")):
            try:
                return json.loads(text)
            except json.JSONDecodeError:
                return raw
        return [part.strip() for part in text.split(",") if part.strip()]
    return raw


def load_settings(
    model: type[S],
    env: Mapping[str, str] | None = None,
    config_file: str | Path | None = None,
    **overrides: Any,
) -> S:
    """Build ``model`` from the TOML file, then the environment, then overrides."""
    env = os.environ if env is None else env
    values: dict[str, Any] = {}
    path = config_file or env.get(CONFIG_ENV)
    if path:
        toml_values = _read_toml(Path(path))
        values.update({k: v for k, v in toml_values.items() if k in model.model_fields})
    for name, field in model.model_fields.items():
        key = env_name(name)
        if key in env:
            values[name] = _env_value(env[key], field.annotation)
    values.update(overrides)
    try:
        return model.model_validate(values)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            name = str(err["loc"][0]) if err["loc"] else "?"
            shown = "***" if is_secret_name(name) else repr(values.get(name))
            problems.append(f"{env_name(name)} (got {shown}): {err['msg']}")
        raise ConfigError("invalid setting: " + "; ".join(problems)) from None


def describe(model: type[Settings]) -> list[dict[str, Any]]:
    """Every setting of a model: env name, default, description (for docs)."""
    rows = []
    for name, field in model.model_fields.items():
        default = field.get_default(call_default_factory=True)
        rows.append({
            "env": env_name(name),
            "default": None if isinstance(default, SecretStr) else default,
            "description": field.description or "",
        })
    return rows
