"""Camera upload keys (served by ``auth``): issue, check, rotate, revoke.

A key is shown once, when issued (``zk_<key id>_<secret>``); auth keeps
only a keyed hash of it (HMAC-SHA256 with a server secret) in the
collection :data:`CAMERA_KEYS`, one document per key (``_id`` = key id).
Issuing a new key rotates: the previous key of that camera keeps working
until ``previous_valid_until`` (the grace period), then never again.

A key belongs to one camera: :data:`KEY_CHECK` answers with that camera
and nothing else, so an upload lands where its key says, whatever camera
the request names. The per-camera write token of the InfluxDB-compatible
ingest (``influx_token`` of the AllSkyKamera dialect) is derived from the
key's id with the same server secret (``zt_<key id>_<mac>``): it writes
only readings, only for that camera, and dies with its key.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from zenith.contracts.auth import Ok
from zenith.contracts.base import Collection, Endpoint, Message
from zenith.ids import CameraId

KEY_PREFIX = "zk_"
TOKEN_PREFIX = "zt_"
SECRET_KV_KEY = "camerakeys.hmac"  # KV key (AUTH_BUCKET) of the server secret, if not a setting
RATE_BUCKET = "zenith-ratelimits"  # KV bucket of the camera key rate-limit counters
RATE_WINDOW_S = 60.0  # every camera key limit counts over one minute
RATE_TTL_S = 2 * RATE_WINDOW_S  # a counter no one hit for this long is gone
RATE_PREFIX = {"key": "key.", "ip": "ip.", "failures": "fail."}  # + a hash of key id/address


class CameraKey(Message):
    """A document of :data:`CAMERA_KEYS`: never the key itself."""

    id: str
    camera: CameraId
    digest: str = Field(description="Hex HMAC-SHA256 of the key with the server secret.")
    created_at: datetime
    valid_until: datetime | None = Field(None, description="Set when a newer key replaced it.")
    revoked: bool = False


class KeyIssue(Message):
    camera: CameraId
    grace_s: int | None = Field(None, ge=0, le=90 * 86400,
                                description="How long the previous key keeps working; "
                                "default: the setting auth_camera_key_grace_s.")


class KeyIssued(Message):
    camera: CameraId
    key_id: str
    key: str = Field(description="The key: shown once, never stored.")
    created_at: datetime
    previous_valid_until: datetime | None = None


class KeyCheck(Message):
    credential: str = Field(..., min_length=1, max_length=200,
                            description="A camera key, or a write token with kind=token.")
    kind: Literal["key", "token"] = "key"
    client_ip: str | None = Field(None, max_length=64, description="Set by the web service.")
    camera: CameraId | None = Field(None, description="The camera the request names (Zenith "
                                    "dialect): refused unless the key is that camera's.")


class KeyVerdict(Message):
    camera: CameraId
    key_id: str
    write_token: str = Field(description="The camera's InfluxDB-compatible write token.")


class KeyRef(Message):
    camera: CameraId


class KeyInfo(Message):
    key_id: str
    created_at: datetime
    valid_until: datetime | None
    revoked: bool


class KeyList(Message):
    camera: CameraId
    keys: list[KeyInfo]


CAMERA_KEYS = Collection("camera_keys", "auth", CameraKey,
                         "Keyed hashes of camera upload keys, by key id.",
                         indexes=(("camera",),))

KEY_ISSUE = Endpoint(service="auth", name="camera-key-issue",
                     subject="zenith.auth.camerakeys.issue", request=KeyIssue, reply=KeyIssued,
                     permission=("network", "update"),
                     summary="A new upload key for a camera (shown once); the previous one "
                     "works for a grace period.")
KEY_CHECK = Endpoint(service="auth", name="camera-key-check",
                     subject="zenith.auth.camerakeys.check", request=KeyCheck, reply=KeyVerdict,
                     summary="Which camera a key or write token belongs to (rate limited per "
                     "key and per address).",
                     errors=("invalid_camera_key", "wrong_camera", "too_many_requests"))
KEY_REVOKE = Endpoint(service="auth", name="camera-key-revoke",
                      subject="zenith.auth.camerakeys.revoke", request=KeyRef, reply=Ok,
                      permission=("network", "update"),
                      summary="Every key of a camera stops working at once.")
KEY_LIST = Endpoint(service="auth", name="camera-key-list",
                    subject="zenith.auth.camerakeys.list", request=KeyRef, reply=KeyList,
                    permission=("network", "read"),
                    summary="A camera's keys: ids and validity, never the keys.")
