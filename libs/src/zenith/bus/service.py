"""Declare a ``nats.micro`` service whose endpoints speak typed JSON.

    svc = await BusService.start(nc, "gpio", "Pins and focuser", camera="demo")
    await svc.serve(gpio.DIGITAL_SET, set_digital)   # async def set_digital(call) -> Reply

The handler receives a :class:`Call` (the validated request model, the
camera and the headers) and returns the reply model. A
:class:`~zenith.errors.ZenithError` is answered with
``Request.respond_error`` (the micro ``Nats-Service-Error`` and
``Nats-Service-Error-Code`` headers) and ``{"error": {...}}`` as the body; a
malformed payload is a 400 error; any other exception is logged and
answered as a 500. The service keeps serving in every case.

Each failed request counts as an error of its endpoint in ``$SRV.STATS``
(``num_errors``, ``last_error``), and the processing time recorded there
covers the whole handler, also for concurrent endpoints.
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
from nats.micro.service import Endpoint as MicroEndpoint
from nats.micro.service import Service
from pydantic import BaseModel, ValidationError

import zenith
from zenith.contracts.base import Endpoint
from zenith.errors import BadRequest, Internal, ZenithError, invalid
from zenith.telemetry.metrics import BUS_REQUESTS, BUS_SECONDS

log = logging.getLogger("zenith.bus")

Req = TypeVar("Req", bound=BaseModel)
Rep = TypeVar("Rep", bound=BaseModel)


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


Handler = Callable[[Call[Req]], Awaitable[Rep | None]]


def schema_metadata(endpoint: Endpoint[Any, Any]) -> dict[str, str]:
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
        raise invalid(exc) from None


def encode_reply(reply: BaseModel | None) -> bytes:
    return b"{}" if reply is None else reply.model_dump_json().encode()


def error_headers(exc: ZenithError) -> tuple[str, str]:
    """``(code, description)`` for ``Request.respond_error``: the HTTP-like
    status and a one-line message (headers cannot carry line breaks)."""
    return str(exc.status), exc.message[:512].replace("\r", " ").replace("\n", " ")


async def respond_error(request: Request, exc: ZenithError) -> None:
    code, description = error_headers(exc)
    await request.respond_error(code, description, data=json.dumps(exc.to_dict()).encode())


class _Stats:
    """What ``$SRV.STATS`` reports for one endpoint, kept by nats.micro.

    nats.micro counts an error only when the handler raises, and then
    answers with an empty body; our endpoints answer errors themselves (with
    the JSON body), so they record the error here, and concurrent endpoints
    record the time their task took. The attributes are those of
    ``nats.micro.service.Endpoint``; a test reads ``$SRV.STATS`` to prove
    they still are.
    """

    def __init__(self, endpoint: MicroEndpoint | None) -> None:
        self.endpoint: MicroEndpoint | None = endpoint

    def error(self, exc: ZenithError) -> None:
        if self.endpoint is not None:
            self.endpoint._num_errors += 1
            self.endpoint._last_error = f"{exc.status}:{exc.code}: {exc.message}"[:512]  # type: ignore[assignment]

    def took(self, elapsed_ns: int) -> None:
        ep = self.endpoint
        if ep is not None and ep._num_requests:
            ep._processing_time += elapsed_ns
            ep._average_processing_time = int(ep._processing_time / ep._num_requests)


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

    async def serve(self, endpoint: Endpoint[Req, Rep], handler: Handler[Req, Rep], *,
                    concurrent: bool = False, **params: str) -> str:
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
        stats = _Stats(None)  # the micro endpoint, once added below

        async def on_request(request: Request) -> None:
            started = time.perf_counter()
            outcome = "ok"
            try:
                body = parse_body(endpoint.request, request.data)
                call = Call(body=body, subject=request.subject,
                            headers=dict(request.headers or {}), params=needed)
                reply = await handler(call)
                if reply is not None and not isinstance(reply, endpoint.reply):
                    raise TypeError(f"{label} answered {type(reply).__name__}, "
                                    f"not {endpoint.reply.__name__}")
                await request.respond(encode_reply(reply))
            except ZenithError as exc:
                outcome = exc.code
                stats.error(exc)
                await respond_error(request, exc)
            except Exception:
                outcome = "internal"
                log.exception("endpoint %s failed", label)
                error = Internal(f"{label} failed unexpectedly")
                stats.error(error)
                await respond_error(request, error)
            finally:
                elapsed = time.perf_counter() - started
                BUS_REQUESTS.labels(self.name, endpoint.name, outcome).inc()
                BUS_SECONDS.labels(self.name, endpoint.name).observe(elapsed)
                if concurrent:
                    stats.took(int(elapsed * 1e9))

        async def in_task(request: Request) -> None:
            task = asyncio.create_task(on_request(request))
            self._inflight.add(task)
            task.add_done_callback(self._inflight.discard)

        await self.micro.add_endpoint(
            name=endpoint.name, subject=subject, handler=in_task if concurrent else on_request,
            metadata=schema_metadata(endpoint),
        )
        stats.endpoint = next((e for e in reversed(self.micro._endpoints)
                               if e._subject == subject), None)
        return subject

    async def stop(self) -> None:
        await self.micro.stop()
        tasks = list(self._inflight)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
