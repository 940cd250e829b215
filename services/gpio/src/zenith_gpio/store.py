"""JSON records in a JetStream KV bucket, one key per camera and thing.

A record that cannot be read (not JSON, not an object) is logged and treated
as absent, so one damaged key never stops the service from starting. A
record that cannot be written raises :class:`~zenith.errors.Unavailable`:
callers undo the change they were about to save.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from nats.errors import Error as NatsError
from nats.js.errors import NotFoundError
from nats.js.kv import KeyValue

from zenith.errors import Unavailable

log = logging.getLogger("zenith.gpio")


class JsonBucket:
    """Get, put and delete JSON objects under ``<camera>.<key>``."""

    def __init__(self, kv: KeyValue, bucket: str, camera: str) -> None:
        self.kv = kv
        self.bucket = bucket
        self.camera = camera

    def key(self, name: str) -> str:
        return f"{self.camera}.{name}"

    async def get(self, name: str) -> dict[str, Any] | None:
        key = self.key(name)
        try:
            entry = await self.kv.get(key)
        except NotFoundError:
            return None
        if entry.value is None:
            return None
        try:
            value = json.loads(entry.value)
        except (UnicodeDecodeError, json.JSONDecodeError):
            log.warning("ignoring %s/%s: not JSON", self.bucket, key)
            return None
        if not isinstance(value, dict):
            log.warning("ignoring %s/%s: not a JSON object", self.bucket, key)
            return None
        return value

    async def put(self, name: str, value: dict[str, Any]) -> None:
        key = self.key(name)
        try:
            await self.kv.put(key, json.dumps(value, sort_keys=True).encode())
        except (NatsError, TimeoutError) as exc:
            raise Unavailable(f"could not save {key} in {self.bucket}: "
                              f"{exc or type(exc).__name__}", code="storage_unavailable") from exc

    async def delete(self, name: str) -> None:
        key = self.key(name)
        try:
            await self.kv.delete(key)
        except (NatsError, TimeoutError) as exc:
            raise Unavailable(f"could not delete {key} in {self.bucket}: "
                              f"{exc or type(exc).__name__}", code="storage_unavailable") from exc
