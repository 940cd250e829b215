"""One error hierarchy for all of Zenith.

Every error carries a stable machine ``code`` and an HTTP-like ``status``.
Boundaries (micro endpoints, HTTP views) turn them into
``{"error": {"code": ..., "message": ...}}`` deliberately, never by repr.
Each error also inherits the closest built-in, so callers that only know
the standard library can still catch it.
"""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import ValidationError


class ZenithError(Exception):
    """Root of every Zenith error."""

    status: ClassVar[int] = 500
    default_code: ClassVar[str] = "internal"

    def __init__(self, message: str = "", *, code: str | None = None, details: Any = None) -> None:
        super().__init__(message or self.default_code)
        self.message = message or self.default_code
        self.code = code or self.default_code
        self.details = details

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.details is not None:
            body["details"] = self.details
        return {"error": body}


class BadRequest(ZenithError, ValueError):
    status = 400
    default_code = "bad_request"


class Unauthorized(ZenithError, PermissionError):
    status = 401
    default_code = "unauthorized"


class Forbidden(ZenithError, PermissionError):
    status = 403
    default_code = "forbidden"


class NotFound(ZenithError, LookupError):
    status = 404
    default_code = "not_found"


class Conflict(ZenithError):
    status = 409
    default_code = "conflict"


class TooManyRequests(ZenithError):
    status = 429
    default_code = "too_many_requests"


class Internal(ZenithError, RuntimeError):
    status = 500
    default_code = "internal"


class Unavailable(ZenithError, ConnectionError):
    status = 503
    default_code = "unavailable"


class BusTimeout(ZenithError, TimeoutError):
    status = 504
    default_code = "timeout"


class ConfigError(ZenithError, ValueError):
    """A setting is missing or invalid; the message names the setting."""

    status = 500
    default_code = "config"


class StorageError(ZenithError):
    status = 500
    default_code = "storage"


class DuplicateKey(StorageError, Conflict):
    status = 409
    default_code = "duplicate"


_BY_STATUS: dict[int, type[ZenithError]] = {
    400: BadRequest,
    401: Unauthorized,
    403: Forbidden,
    404: NotFound,
    409: Conflict,
    429: TooManyRequests,
    500: Internal,
    503: Unavailable,
    504: BusTimeout,
}


def error_for_status(status: int, message: str, code: str | None = None,
                     details: Any = None) -> ZenithError:
    """Rebuild a typed error from a status and code that crossed a boundary."""
    cls = _BY_STATUS.get(status, Internal if status >= 500 else BadRequest)
    return cls(message, code=code, details=details)


def invalid(exc: ValidationError, what: str = "request") -> BadRequest:
    """A pydantic ``ValidationError`` as one BadRequest: a line per field, and
    ``details`` = ``[{"field": "a.b", "message": ...}]``."""
    problems = [
        {"field": ".".join(str(p) for p in err["loc"]) or "(body)", "message": err["msg"]}
        for err in exc.errors()
    ]
    text = "; ".join(f"{p['field']}: {p['message']}" for p in problems)
    return BadRequest(f"invalid {what}: {text}", code="invalid_request", details=problems)
