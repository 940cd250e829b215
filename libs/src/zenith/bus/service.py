"""Declare a ``nats.micro`` service whose endpoints speak typed JSON.

    svc = await BusService.start(nc, "gpio", "Pins and focuser", camera="demo")
    await svc.serve(gpio.DIGITAL_SET, set_digital)   # async def set_digital(call) -> Reply

The handler receives a :class:`Call` (the validated request model, the
camera and the headers) and returns the reply model. A
:class:`~zenith.errors.ZenithError` becomes ``{"error": {...}}`` with the
micro ``Nats-Service-Error`` headers; a malformed payload becomes a 400
error; any other exception is logged and answered as a 500. The service
keeps serving in every case.
"""

from __future__ import annotations

import asyncio
import json
import logging
import socket
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from nats.aio.client import Client
from nats.micro import add_service
from nats.micro.request import Request
from nats.micro.service import Service
from pydantic import BaseModel, ValidationError

import zenith
from zenith.contracts.base import Endpoint
from zenith.errors import BadRequest, Internal, ZenithError
from zenith.telemetry.metrics import BUS_REQUESTS, BUS_SECONDS

log = logging.getLogger("zenith.bus")

Req = TypeVar("Req", bound=BaseModel)


@dataclass
class Call(Generic[Req]):
    """One request to an endpoint, already validated."""

    body: Req
    subject: str
    headers: dict[str, str]
    params: dict[str, str]

    @property
    def camera(self) -> str | None:
        return self.params.get("camera")


Handler = Callable[[Call[Any]], Awaitable[BaseModel | dict[str, Any] | None]]


def schema_metadata(endpoint: Endpoint) -> dict[str, str]:
    """Endpoint metadata that ``nats micro info`` shows: schemas as JSON."""
    meta = {
        "summary": endpoint.summary,
        "request_schema": json.dumps(endpoint.request.model_json_schema()),
        "response_schema": json.dumps(endpoint.reply.model_json_schema()),
    }
    if endpoint.permission:
        meta["permission"] = ":".join(endpoint.permission)
    return meta


def parse_body(model: type[Req], data: bytes) -> Req:
    """Decode a JSON object into ``model``; every failure is a BadRequest."""
    if not data.strip():
        data = b"{}"
    try:
        raw = json.loads(data)
    except (UnicodeDecodeError, ValueError) as exc:  # ValueError: also over-long integers
        raise BadRequest(f"payload is not valid JSON: {exc}", code="invalid_json") from None
    except RecursionError:
        raise BadRequest("payload is nested too deeply", code="invalid_json") from None
    if not isinstance(raw, dict):
        raise BadRequest("payload must be a JSON object", code="invalid_json")
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        problems = [
            {"field": ".".join(str(p) for p in err["loc"]) or "(body)", "message": err["msg"]}
            for err in exc.errors()
        ]
        text = "; ".join(f"{p['field']}: {p['message']}" for p in problems)
        raise BadRequest(f"invalid request: {text}", code="invalid_request",
                         details=problems) from None


def encode_reply(reply: BaseModel | dict[str, Any] | None) -> bytes:
    if reply is None:
        return b"{}"
    if isinstance(reply, BaseModel):
        return reply.model_dump_json().encode()
    return json.dumps(reply).encode()


async def respond_error(request: Request, exc: ZenithError) -> None:
    await request.respond(
        json.dumps(exc.to_dict()).encode(),
        headers={
            "Nats-Service-Error": exc.message[:512].replace("\r", " ").replace("\n", " "),
            "Nats-Service-Error-Code": str(exc.status),
        },
    )


class BusService:
    """A micro service plus the typed endpoint wrapper."""

    def __init__(self, service: Service, name: str, params: dict[str, str]) -> None:
        self.micro = service
        self.name = name
        self.params = params
        self._inflight: set[asyncio.Task[None]] = set()

    @classmethod
    async def start(cls, nc: Client, name: str, description: str,
                    version: str = zenith.__version__, **params: str) -> BusService:
        metadata = {"host": socket.gethostname(), **params}
        service = await add_service(nc, name=name, version=version,
                                    description=description, metadata=metadata)
        return cls(service, name, params)

    async def serve(self, endpoint: Endpoint, handler: Handler, *, concurrent: bool = False,
                    **params: str) -> str:
        """Subscribe ``handler`` on the endpoint's subject; returns the subject.

        Requests to one endpoint are handled one after another. With
        ``concurrent=True`` each request runs in its own task, so a long
        request (an autofocus run, a move that waits) does not hold back the
        next one; :meth:`stop` cancels those still running.
        """
        if endpoint.service != self.name:
            raise ValueError(f"{endpoint.service}.{endpoint.name} is not served by {self.name}")
        all_params = {**self.params, **params}
        needed = {p: all_params[p] for p in endpoint.placeholders if p in all_params}
        subject = endpoint.subject_for(**needed)
        label = f"{endpoint.service}.{endpoint.name}"

        async def on_request(request: Request) -> None:
            started = time.perf_counter()
            outcome = "ok"
            try:
                body = parse_body(endpoint.request, request.data)
                call = Call(body=body, subject=request.subject,
                            headers=dict(request.headers or {}), params=needed)
                reply = await handler(call)
                await request.respond(encode_reply(reply))
            except ZenithError as exc:
                outcome = exc.code
                await respond_error(request, exc)
            except Exception:
                outcome = "internal"
                log.exception("endpoint %s failed", label)
                await respond_error(request, Internal(f"{label} failed unexpectedly"))
            finally:
                BUS_REQUESTS.labels(self.name, endpoint.name, outcome).inc()
                BUS_SECONDS.labels(self.name, endpoint.name).observe(
                    time.perf_counter() - started)

        async def in_task(request: Request) -> None:
            task = asyncio.create_task(on_request(request))
            self._inflight.add(task)
            task.add_done_callback(self._inflight.discard)

        await self.micro.add_endpoint(
            name=endpoint.name, subject=subject, handler=in_task if concurrent else on_request,
            metadata=schema_metadata(endpoint),
        )
        return subject

    async def stop(self) -> None:
        await self.micro.stop()
        tasks = list(self._inflight)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
