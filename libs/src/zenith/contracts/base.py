"""How a subject is declared: once, with its message models.

An :class:`Endpoint` is a request/reply operation served by one micro
service; an :class:`Event` is a message published on a JetStream stream.
Declaring one registers it, so the catalogue (``zenith catalogue``) and the
services read the same declaration. No module outside ``zenith.contracts``
writes a literal subject.
"""

from __future__ import annotations

import string
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict

from zenith.errors import BadRequest
from zenith.ids import validate_camera_id

ENDPOINTS: dict[str, Endpoint] = {}
EVENTS: dict[str, Event] = {}


class Message(BaseModel):
    """Base of every bus message: unknown fields are refused."""

    model_config = ConfigDict(extra="forbid")


class Empty(Message):
    """A request or reply without fields."""


class ErrorBody(Message):
    code: str
    message: str
    details: Any = None


class ErrorReply(Message):
    """What every endpoint answers on failure (with Nats-Service-Error headers)."""

    error: ErrorBody


def _placeholders(template: str) -> list[str]:
    return [name for _, name, _, _ in string.Formatter().parse(template) if name]


def _fill(template: str, params: dict[str, str]) -> str:
    missing = [p for p in _placeholders(template) if p not in params]
    if missing:
        raise ValueError(f"subject {template!r} needs {', '.join(missing)}")
    for key, value in params.items():
        if value in ("*", ">"):  # wildcards (Event.wildcard) are not ids
            continue
        if key == "camera":
            validate_camera_id(value)
        elif not value or any(c in value for c in " .*>\t\r\n"):
            raise BadRequest(f"invalid subject token {key}={value!r}", code="invalid_subject")
    return template.format(**params)


@dataclass(frozen=True)
class Endpoint:
    """A request/reply operation: ``service`` serves it on ``subject``."""

    service: str
    name: str
    subject: str
    request: type[BaseModel]
    reply: type[BaseModel]
    summary: str
    permission: tuple[str, str] | None = None  # (module, action) a caller needs
    errors: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        key = f"{self.service}.{self.name}"
        if key in ENDPOINTS and ENDPOINTS[key] is not self:
            raise ValueError(f"endpoint {key} declared twice")
        ENDPOINTS[key] = self

    def subject_for(self, **params: str) -> str:
        return _fill(self.subject, params)

    @property
    def placeholders(self) -> list[str]:
        return _placeholders(self.subject)


@dataclass(frozen=True)
class Event:
    """A durable event on a JetStream ``stream``."""

    name: str
    subject: str
    stream: str
    payload: type[BaseModel]
    summary: str
    tags: tuple[str, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        if self.name in EVENTS and EVENTS[self.name] is not self:
            raise ValueError(f"event {self.name} declared twice")
        EVENTS[self.name] = self

    def subject_for(self, **params: str) -> str:
        return _fill(self.subject, params)

    def wildcard(self, **params: str) -> str:
        """The subject with every unnamed placeholder as ``*``."""
        full = {p: "*" for p in _placeholders(self.subject)}
        full.update(params)
        return _fill(self.subject, full)
