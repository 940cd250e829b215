"""Typed requests: send a model, get the reply model or a typed error."""

from __future__ import annotations

import json
from typing import Any, TypeVar

from nats.aio.client import Client
from nats.errors import NoRespondersError
from nats.errors import TimeoutError as NatsTimeout
from pydantic import BaseModel, ValidationError

from zenith.contracts.base import Endpoint
from zenith.errors import BusTimeout, Internal, Unavailable, error_for_status, invalid

Req = TypeVar("Req", bound=BaseModel)
Rep = TypeVar("Rep", bound=BaseModel)


def decode_error(data: bytes, headers: dict[str, str] | None) -> Exception | None:
    """The typed error a reply carries, or None when it is a success."""
    headers = headers or {}
    status_text = headers.get("Nats-Service-Error-Code")
    body: Any = None
    try:
        body = json.loads(data) if data else None
    except (UnicodeDecodeError, json.JSONDecodeError):
        body = None
    err = body.get("error") if isinstance(body, dict) else None
    if status_text is None and not isinstance(err, dict):
        return None
    try:
        status = int(status_text) if status_text else 500
    except ValueError:
        status = 500
    if isinstance(err, dict):
        return error_for_status(status, str(err.get("message", "")), str(err.get("code", "")) or
                                None, err.get("details"))
    return error_for_status(status, headers.get("Nats-Service-Error", "error"))


class BusClient:
    """Requests over one NATS connection with a default timeout."""

    def __init__(self, nc: Client, timeout: float = 5.0) -> None:
        self.nc = nc
        self.timeout = timeout

    async def raw(self, subject: str, payload: bytes, timeout: float | None = None,
                  headers: dict[str, str] | None = None) -> bytes:
        try:
            msg = await self.nc.request(subject, payload, timeout=timeout or self.timeout,
                                        headers=headers)
        except NoRespondersError:
            raise Unavailable(f"no service answers on {subject}", code="no_responders") from None
        except NatsTimeout:
            raise BusTimeout(f"no reply on {subject} within {timeout or self.timeout}s") from None
        error = decode_error(msg.data, msg.headers)
        if error is not None:
            raise error
        return msg.data

    async def request(self, endpoint: Endpoint[Req, Rep],
                      body: Req | dict[str, Any] | None = None, *, timeout: float | None = None,
                      headers: dict[str, str] | None = None, **params: str) -> Rep:
        """Send ``body`` to ``endpoint`` and return its validated reply model."""
        if body is None:
            body = {}
        if isinstance(body, dict):
            try:
                body = endpoint.request.model_validate(body)
            except ValidationError as exc:
                raise invalid(exc, f"request for {endpoint.name}") from None
        data = await self.raw(endpoint.subject_for(**params), body.model_dump_json().encode(),
                              timeout=timeout, headers=headers)
        try:
            return endpoint.reply.model_validate_json(data)
        except ValidationError as exc:
            raise Internal(f"{endpoint.service}.{endpoint.name} sent a malformed reply: {exc}") \
                from None
