"""A camera's lease and checkpoint pointer: one KV key, compare-and-set.

``zenith-products`` key ``camera.<camera>`` holds JSON: who owns the camera
(``owner``, a fresh ``token`` per acquisition, ``expires_at`` wall time) and
where its work stands (``night``, ``state`` file, FRAMES ``seq``...). Every
change is an update conditioned on the revision this worker last wrote, so
a worker that lost its lease (expired and taken over) cannot renew it or
commit a checkpoint: its update fails and it stops working on the camera.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import time
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from nats.js.errors import KeyNotFoundError, KeyWrongLastSequenceError
from nats.js.kv import KeyValue

from zenith.contracts.products import camera_key

FINISHED_KEPT = 20


class LeaseLost(Exception):
    """Another worker owns the camera now."""


@dataclass(frozen=True)
class Record:
    owner: str | None = None
    token: str | None = None
    expires_at: float = 0.0
    night: str | None = None
    state: str | None = None  # state file in the night's work folder
    seq: int = 0  # last FRAMES sequence the checkpoint covers
    frames: int = 0
    last_at: float | None = None  # event time of the night's last frame
    received_at: float | None = None  # wall time that frame was applied
    finished: list[str] = field(default_factory=list)

    def to_bytes(self) -> bytes:
        return json.dumps(asdict(self), separators=(",", ":")).encode()

    @classmethod
    def from_bytes(cls, data: bytes | None) -> Record:
        if not data:
            return cls()
        raw: dict[str, Any] = json.loads(data)
        return cls(**{k: raw[k] for k in cls.__dataclass_fields__ if k in raw})


async def read(kv: KeyValue, camera: str) -> tuple[Record, int | None]:
    try:
        entry = await kv.get(camera_key(camera))
    except KeyNotFoundError:
        return Record(), None
    return Record.from_bytes(entry.value), entry.revision


class CameraLease:
    def __init__(self, kv: KeyValue, camera: str, owner: str, ttl: float) -> None:
        self.kv = kv
        self.camera = camera
        self.owner = owner
        self.ttl = ttl
        self.record = Record()
        self.revision: int | None = None
        self.lock = asyncio.Lock()
        self.lost = False

    @property
    def token(self) -> str:
        return self.record.token or "x"

    async def acquire(self) -> bool:
        """Take the camera if it is free, expired or already ours."""
        record, revision = await read(self.kv, self.camera)
        now = time.time()
        if record.owner not in (None, self.owner) and record.expires_at > now:
            return False
        new = replace(record, owner=self.owner, token=secrets.token_hex(4),
                      expires_at=now + self.ttl)
        try:
            if revision is None:
                self.revision = await self.kv.create(camera_key(self.camera), new.to_bytes())
            else:
                self.revision = await self.kv.update(camera_key(self.camera), new.to_bytes(),
                                                     last=revision)
        except KeyWrongLastSequenceError:
            return False
        self.record = new
        self.lost = False
        return True

    async def update(self, **changes: Any) -> Record:
        """Renew the lease, changing fields of the record (a commit)."""
        async with self.lock:
            if self.lost:
                raise LeaseLost(self.camera)
            new = replace(self.record, expires_at=time.time() + self.ttl, **changes)
            try:
                self.revision = await self.kv.update(camera_key(self.camera), new.to_bytes(),
                                                     last=self.revision)
            except KeyWrongLastSequenceError:
                self.lost = True
                raise LeaseLost(self.camera) from None
            self.record = new
            return new

    async def release(self) -> None:
        """Give the camera up at once (the checkpoint pointer stays)."""
        async with self.lock:
            if self.lost:
                return
            new = replace(self.record, owner=None, token=None, expires_at=0.0)
            try:
                self.revision = await self.kv.update(camera_key(self.camera), new.to_bytes(),
                                                     last=self.revision)
                self.record = new
            except KeyWrongLastSequenceError:
                pass
            self.lost = True
