"""Camera upload keys: issued once, kept as a keyed hash, checked in constant time.

A key is ``zk_<key id>_<secret>`` (12 and 48 hex digits). The collection
``camerakeys.CAMERA_KEYS`` keeps, per key id, the camera and
``HMAC-SHA256(server secret, key)``: a copy of the database alone gives no
key and no way to test guesses offline. A check looks the id up, recomputes
the HMAC and compares with :func:`hmac.compare_digest`; an unknown id is
compared against a dummy digest, so both refusals cost the same.

Issuing a key rotates: the camera's current keys get ``valid_until`` = now +
grace, then stop working. Revoking stops all of them at once.

The write token (``zt_<key id>_<mac>``, the ``influx_token`` of the
AllSkyKamera dialect) is ``HMAC(server secret, "token:" + key id)``: derived,
not stored, valid exactly as long as its key.

The server secret is a file (``auth_camera_key_secret_file``, default
``data_dir/auth/camera-key-secret``, mode 0600), made on first start; on a
hub every replica mounts the same Secret. It never enters a stream or a
bucket.

Rate limits (:class:`~zenith_auth.windows.Windows`, in the KV bucket
``c.RATE_BUCKET``, shared by every replica): checks per key and per address,
and failed checks per address, each over a minute.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import os
import re
import secrets
from datetime import timedelta
from pathlib import Path
from typing import Any

from nats.js.kv import KeyValue

from zenith.contracts import camerakeys as c
from zenith.errors import Forbidden, NotFound, TooManyRequests, Unauthorized
from zenith.storage.metadata import MetadataStore
from zenith.timefmt import from_iso, to_iso, utcnow
from zenith_auth.ratelimit import client_key
from zenith_auth.windows import Windows

log = logging.getLogger("zenith.auth.camerakeys")

COLLECTION = c.CAMERA_KEYS.name
KEY_RE = re.compile(r"^zk_([0-9a-f]{12})_([0-9a-f]{48})$")
TOKEN_RE = re.compile(r"^zt_([0-9a-f]{12})_([0-9a-f]{64})$")
SECRET_BYTES = 32
_DUMMY = "0" * 64


def load_or_create_secret(path: Path) -> bytes:
    """The server secret from ``path``; made (0600, exclusively) when missing."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    else:
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(SECRET_BYTES) + "\n")
        log.info("made the camera key secret %s", path)
    text = path.read_text().strip()
    try:
        secret = bytes.fromhex(text)
    except ValueError:
        secret = b""
    if len(secret) < 16:
        from zenith.errors import ConfigError

        raise ConfigError(f"ZENITH_AUTH_CAMERA_KEY_SECRET_FILE: {path} must hold at least 32 "
                          "hex digits")
    return secret


def _invalid() -> Unauthorized:
    return Unauthorized("invalid camera key", code="invalid_camera_key")


class CameraKeys:
    def __init__(self, store: MetadataStore, secret: bytes, limits: KeyValue, *,
                 grace_s: int, per_key_per_min: int, per_ip_per_min: int,
                 failures_per_ip: int) -> None:
        self.store = store
        self._secret = secret
        self.grace_s = grace_s
        window = c.RATE_WINDOW_S
        self.per_key = Windows(limits, c.RATE_PREFIX["key"], window, per_key_per_min)
        self.per_ip = Windows(limits, c.RATE_PREFIX["ip"], window, per_ip_per_min)
        self.failures = Windows(limits, c.RATE_PREFIX["failures"], window, failures_per_ip)

    async def setup(self) -> None:
        await self.store.ensure_index(COLLECTION, ["camera"])

    def _digest(self, text: str) -> str:
        return hmac.new(self._secret, text.encode(), hashlib.sha256).hexdigest()

    def write_token(self, key_id: str) -> str:
        return f"{c.TOKEN_PREFIX}{key_id}_{self._digest('token:' + key_id)}"

    async def issue(self, camera: str, grace_s: int | None = None) -> c.KeyIssued:
        now = utcnow()
        grace = self.grace_s if grace_s is None else grace_s
        until = now + timedelta(seconds=grace)
        previous: str | None = None
        for doc in await self.store.find(COLLECTION, {"camera": camera, "revoked": False}):
            current = doc.get("valid_until")
            if current is None or from_iso(current) > until:
                await self.store.update(COLLECTION, {"_id": doc["_id"]},
                                        set={"valid_until": to_iso(until)})
                previous = to_iso(until)
        key_id = secrets.token_hex(6)
        key = f"{c.KEY_PREFIX}{key_id}_{secrets.token_hex(24)}"
        await self.store.insert(COLLECTION, {
            "_id": key_id, "id": key_id, "camera": camera, "digest": self._digest(key),
            "created_at": to_iso(now), "valid_until": None, "revoked": False})
        log.info("camera %s has a new key %s", camera, key_id)
        return c.KeyIssued(camera=camera, key_id=key_id, key=key, created_at=now,
                           previous_valid_until=from_iso(previous) if previous else None)

    async def check(self, body: c.KeyCheck) -> c.KeyVerdict:
        """The key's camera. The address's limits and the key's record are asked at
        once (one round trip's wait, not three); the address's refusals come first,
        then the key's verdict, then the key's own limit."""
        address = client_key(body.client_ip) if body.client_ip else None
        if address is None:
            doc = await self._verify(body.credential, body.kind)
        else:
            failures, per_ip, verified = await asyncio.gather(
                self.failures.peek(address), self.per_ip.hit(address),
                self._verify(body.credential, body.kind), return_exceptions=True)
            for outcome in (failures, per_ip):
                if isinstance(outcome, BaseException):
                    raise outcome
            assert not isinstance(failures, BaseException)
            assert not isinstance(per_ip, BaseException)
            self._limit(failures, "too many invalid keys from this address")
            self._limit(per_ip, "too many uploads from this address")
            if isinstance(verified, Unauthorized):
                await self.failures.hit(address)
            if isinstance(verified, BaseException):
                raise verified
            doc = verified
        self._limit(await self.per_key.hit(doc["_id"]), "too many uploads with this key")
        if body.camera is not None and body.camera != doc["camera"]:
            raise Forbidden("this key belongs to another camera", code="wrong_camera")
        return c.KeyVerdict(camera=doc["camera"], key_id=doc["_id"],
                            write_token=self.write_token(doc["_id"]))

    @staticmethod
    def _limit(wait: float | None, message: str) -> None:
        if wait is not None:
            seconds = max(1, int(wait + 0.999))
            raise TooManyRequests(f"{message}: try again in {seconds} s",
                                  code="too_many_requests", details={"retry_after": seconds})

    async def _verify(self, credential: str, kind: str) -> dict[str, Any]:
        match = (KEY_RE if kind == "key" else TOKEN_RE).fullmatch(credential)
        key_id = match.group(1) if match else None
        doc = await self.store.get(COLLECTION, key_id) if key_id else None
        if kind == "key":
            expected = doc["digest"] if doc else _DUMMY
            given = self._digest(credential)
        else:
            expected = self._digest("token:" + key_id) if doc and key_id else _DUMMY
            given = match.group(2) if match else ""
        ok = hmac.compare_digest(expected.encode(), given.encode())
        if doc is None or not ok or doc.get("revoked"):
            raise _invalid()
        until = doc.get("valid_until")
        if until is not None and from_iso(until) <= utcnow():
            raise _invalid()
        return doc

    async def revoke(self, camera: str) -> int:
        return await self.store.update_many(COLLECTION, {"camera": camera, "revoked": False},
                                            set={"revoked": True})

    async def list(self, camera: str) -> c.KeyList:
        docs = await self.store.find(COLLECTION, {"camera": camera}, sort=[("created_at", 1)])
        return c.KeyList(camera=camera, keys=[
            c.KeyInfo(key_id=d["_id"], created_at=from_iso(d["created_at"]),
                      valid_until=from_iso(d["valid_until"]) if d.get("valid_until") else None,
                      revoked=bool(d.get("revoked"))) for d in docs])

    async def require_any(self, camera: str) -> None:
        if not await self.store.count(COLLECTION, {"camera": camera}):
            raise NotFound(f"camera {camera!r} has no key", code="no_key")
