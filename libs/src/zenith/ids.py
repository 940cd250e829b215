"""Identifiers: camera slugs and application-generated string ids."""

from __future__ import annotations

import re
import secrets
import time
from typing import Annotated

from pydantic import AfterValidator

from zenith.errors import BadRequest

CAMERA_ID_RE = re.compile(r"^[a-z0-9-]{1,32}$")


def validate_camera_id(value: str) -> str:
    if not isinstance(value, str) or not CAMERA_ID_RE.fullmatch(value):
        raise BadRequest(
            f"invalid camera id {value!r}: use 1-32 characters a-z, 0-9 or '-'",
            code="invalid_camera",
        )
    return value


def _camera_validator(value: str) -> str:
    if not CAMERA_ID_RE.fullmatch(value):
        raise ValueError("camera id must be 1-32 characters a-z, 0-9 or '-'")
    return value


CameraId = Annotated[str, AfterValidator(_camera_validator)]


def new_id(prefix: str = "") -> str:
    """A sortable unique string id (time in ms, then 64 random bits)."""
    return f"{prefix}{int(time.time() * 1000):013x}{secrets.token_hex(8)}"
