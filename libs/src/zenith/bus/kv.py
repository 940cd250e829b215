"""Typed JSON records in a JetStream KV bucket.

A :class:`Records` view reads and writes one model under string keys of
one bucket. A record that cannot be read (not JSON, not the model) is
logged and treated as absent, so one damaged key never stops a service
from starting; a record that cannot be written raises
:class:`~zenith.errors.Unavailable`, so the caller can undo the change it
was about to save. :func:`read_entry` and :func:`swap_json` are the
compare-and-set pair for records several replicas update at once.
"""

from __future__ import annotations

import json
import logging
from typing import Any, Generic, TypeVar

from nats.errors import Error as NatsError
from nats.js.errors import KeyNotFoundError, KeyWrongLastSequenceError, NotFoundError
from nats.js.kv import KeyValue
from pydantic import BaseModel, ValidationError

from zenith.errors import Unavailable

log = logging.getLogger("zenith.bus")

M = TypeVar("M", bound=BaseModel)


def _name(kv: KeyValue) -> str:
    return str(getattr(kv, "_name", "kv"))


async def read_json(kv: KeyValue, key: str) -> dict[str, Any] | None:
    """The JSON object under ``key``, or None (missing, deleted or unreadable)."""
    try:
        entry = await kv.get(key)
    except (KeyNotFoundError, NotFoundError):
        return None
    if entry is None or not entry.value:
        return None
    try:
        value = json.loads(entry.value)
    except (UnicodeDecodeError, json.JSONDecodeError):
        log.warning("ignoring %s/%s: not JSON", _name(kv), key)
        return None
    if not isinstance(value, dict):
        log.warning("ignoring %s/%s: not a JSON object", _name(kv), key)
        return None
    return value


async def write_json(kv: KeyValue, key: str, value: dict[str, Any]) -> int:
    """Store ``value`` under ``key``; returns the revision."""
    try:
        return int(await kv.put(key, json.dumps(value, sort_keys=True).encode()))
    except (NatsError, TimeoutError) as exc:
        raise Unavailable(f"could not save {key} in {_name(kv)}: "
                          f"{exc or type(exc).__name__}", code="storage_unavailable") from exc


async def delete_key(kv: KeyValue, key: str) -> None:
    try:
        await kv.delete(key)
    except (NatsError, TimeoutError) as exc:
        raise Unavailable(f"could not delete {key} in {_name(kv)}: "
                          f"{exc or type(exc).__name__}", code="storage_unavailable") from exc


async def read_entry(kv: KeyValue, key: str) -> tuple[dict[str, Any] | None, int | None]:
    """The JSON object under ``key`` and its revision, for :func:`swap_json`.

    A missing key is ``(None, None)``; an unreadable one ``(None, revision)``,
    so a swap can still replace it."""
    try:
        entry = await kv.get(key)
    except (KeyNotFoundError, NotFoundError):
        return None, None
    except (NatsError, TimeoutError) as exc:
        raise Unavailable(f"could not read {key} in {_name(kv)}: "
                          f"{exc or type(exc).__name__}", code="storage_unavailable") from exc
    revision = int(entry.revision) if entry.revision is not None else None
    try:
        value = json.loads(entry.value) if entry.value else None
    except (UnicodeDecodeError, json.JSONDecodeError):
        value = None
    if not isinstance(value, dict):
        log.warning("ignoring %s/%s: not a JSON object", _name(kv), key)
        return None, revision
    return value, revision


async def swap_json(kv: KeyValue, key: str, value: dict[str, Any],
                    revision: int | None) -> int | None:
    """Compare and set: store ``value`` only if ``key`` is still at ``revision``
    (``None``: only if the key does not exist). Returns the new revision, or None
    when another writer came first (read again and retry)."""
    data = json.dumps(value, separators=(",", ":"), sort_keys=True).encode()
    try:
        if revision is None:
            return int(await kv.create(key, data))
        return int(await kv.update(key, data, last=revision))
    except KeyWrongLastSequenceError:
        return None
    except (NatsError, TimeoutError) as exc:
        raise Unavailable(f"could not save {key} in {_name(kv)}: "
                          f"{exc or type(exc).__name__}", code="storage_unavailable") from exc


class Records(Generic[M]):
    """Records of ``model`` in one bucket, under keys ``<prefix><name>``."""

    def __init__(self, kv: KeyValue, model: type[M], prefix: str = "") -> None:
        self.kv = kv
        self.model = model
        self.prefix = prefix

    def key(self, name: str) -> str:
        return f"{self.prefix}{name}"

    async def get(self, name: str) -> M | None:
        raw = await read_json(self.kv, self.key(name))
        if raw is None:
            return None
        try:
            return self.model.model_validate(raw)
        except ValidationError as exc:
            log.warning("ignoring %s/%s: not a %s (%s)", _name(self.kv), self.key(name),
                        self.model.__name__, exc.error_count())
            return None

    async def put(self, name: str, value: M) -> int:
        return await write_json(self.kv, self.key(name), value.model_dump(mode="json"))

    async def delete(self, name: str) -> None:
        await delete_key(self.kv, self.key(name))
