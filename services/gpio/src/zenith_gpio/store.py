"""JSON records in a JetStream KV bucket, one key per camera and thing.

A record that cannot be read (not JSON, not an object) is logged and treated
as absent, so one damaged key never stops the service from starting. A
record that cannot be written raises :class:`~zenith.errors.Unavailable`:
callers undo the change they were about to save (``zenith.bus.kv``).
"""

from __future__ import annotations

from typing import Any

from nats.js.kv import KeyValue

from zenith.bus.kv import delete_key, read_json, write_json


class JsonBucket:
    """Get, put and delete JSON objects under ``<camera>.<key>``."""

    def __init__(self, kv: KeyValue, bucket: str, camera: str) -> None:
        self.kv = kv
        self.bucket = bucket
        self.camera = camera

    def key(self, name: str) -> str:
        return f"{self.camera}.{name}"

    async def get(self, name: str) -> dict[str, Any] | None:
        return await read_json(self.kv, self.key(name))

    async def put(self, name: str, value: dict[str, Any]) -> None:
        await write_json(self.kv, self.key(name), value)

    async def delete(self, name: str) -> None:
        await delete_key(self.kv, self.key(name))
