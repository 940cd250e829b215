"""Errors of the products service."""

from __future__ import annotations

from zenith.errors import BadRequest


class BadFrame(BadRequest):
    """A frame that cannot be used; ``reason`` is the metric label
    (``empty``, ``truncated``, ``corrupt``, ``missing``, ``invalid``)."""

    default_code = "bad_frame"

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message, code=f"bad_frame_{reason}")
        self.reason = reason
