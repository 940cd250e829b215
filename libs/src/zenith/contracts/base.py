"""How a subject is declared: once, with its message models.

An :class:`Endpoint` is a request/reply operation served by one micro
service; an :class:`Event` is a message published on a JetStream stream; a
:class:`Collection` is a MetadataStore collection with the one service that
writes it and the model of its documents. Declaring one registers it, so the
catalogue (``zenith catalogue``) and the services read the same declaration.
No module outside ``zenith.contracts`` writes a literal subject, collection
name or blob key prefix.
"""

from __future__ import annotations

import string
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from zenith.errors import BadRequest
from zenith.ids import validate_camera_id

ENDPOINTS: dict[str, Endpoint[Any, Any]] = {}
EVENTS: dict[str, Event[Any]] = {}
COLLECTIONS: dict[str, Collection[Any]] = {}

# covariant: a declaration is read-only, so an Endpoint[Move, Status] is an
# Endpoint[BaseModel, BaseModel] wherever one is expected
ReqT = TypeVar("ReqT", bound=BaseModel, covariant=True)
RepT = TypeVar("RepT", bound=BaseModel, covariant=True)
PayT = TypeVar("PayT", bound=BaseModel, covariant=True)
DocT = TypeVar("DocT", bound=BaseModel)


def _takes_number(annotation: Any) -> bool:
    """True for ``int``, ``float`` and unions of them (``int | None``), never ``bool``."""
    if annotation in (int, float):
        return True
    args = getattr(annotation, "__args__", ())
    return bool not in args and any(a in (int, float) for a in args)


class Message(BaseModel):
    """Base of every bus message: unknown fields are refused, and a boolean is
    never taken for a number (``{"duty": false}`` is not ``0``)."""

    # built on first use: a process builds only the models it speaks
    model_config = ConfigDict(extra="forbid", defer_build=True)

    @field_validator("*", mode="before")
    @classmethod
    def _no_bool_numbers(cls, value: Any, info: ValidationInfo) -> Any:
        if isinstance(value, bool) and info.field_name is not None:
            field_info = cls.model_fields.get(info.field_name)
            if field_info is not None and _takes_number(field_info.annotation):
                raise ValueError("must be a number, not a boolean")
        return value


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
class Endpoint(Generic[ReqT, RepT]):
    """A request/reply operation: ``service`` serves it on ``subject``.

    Generic in its models, so ``BusClient.request(endpoint, ...)`` is typed
    as returning the reply model."""

    service: str
    name: str
    subject: str
    request: type[ReqT]
    reply: type[RepT]
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
class Event(Generic[PayT]):
    """A durable event on a JetStream ``stream``."""

    name: str
    subject: str
    stream: str
    payload: type[PayT]
    summary: str
    publishers: tuple[str, ...] = ()  # the services that emit it (their bus users may)
    tags: tuple[str, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        if self.name in EVENTS and EVENTS[self.name] is not self:
            raise ValueError(f"event {self.name} declared twice")
        if not self.publishers:
            raise ValueError(f"event {self.name} names no publisher")
        EVENTS[self.name] = self

    def subject_for(self, **params: str) -> str:
        return _fill(self.subject, params)

    def wildcard(self, **params: str) -> str:
        """The subject with every unnamed placeholder as ``*``."""
        full = {p: "*" for p in _placeholders(self.subject)}
        full.update(params)
        return _fill(self.subject, full)


@dataclass(frozen=True)
class Collection(Generic[DocT]):
    """A MetadataStore collection: its name, the one service that writes it,
    and the model of its documents (``_id`` is the model's ``id``, by alias).

    Other services read it only through the owner's endpoints."""

    name: str
    owner: str
    document: type[DocT]
    summary: str
    indexes: tuple[tuple[str, ...], ...] = ()

    def __post_init__(self) -> None:
        if self.name in COLLECTIONS and COLLECTIONS[self.name] is not self:
            raise ValueError(f"collection {self.name} declared twice")
        COLLECTIONS[self.name] = self

    def to_doc(self, model: DocT) -> dict[str, Any]:
        """The stored form: JSON types, ``_id`` for the id, no unset optionals."""
        return model.model_dump(mode="json", by_alias=True, exclude_none=True)

    def from_doc(self, doc: dict[str, Any]) -> DocT:
        return self.document.model_validate(doc)


class Document(BaseModel):
    """Base of stored documents: ``id`` is stored as ``_id``; fields added by
    a newer version of the owner are ignored by an older reader."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True, defer_build=True)

    id: str = Field(alias="_id")
