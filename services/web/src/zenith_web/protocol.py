"""HTTP requests that never reach the app: malformed ones, answered quietly.

aiohttp answers a request it cannot parse (a bad header, a bad length, a
control character in the path) itself, logging an ERROR with a traceback
for each: an unauthenticated client could fill a Pi's disk that way. Here
such a request gets the JSON error body with ``nosniff`` and leaves one
WARNING line, at most :data:`LINES_PER_MINUTE` a minute (then one line
saying how many were not logged). No answer names the server's software.

:class:`ZenithRunner` is ``web.AppRunner`` with this request handler.
"""

from __future__ import annotations

import json
import logging
import time
from http import HTTPStatus

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError
from aiohttp.web_protocol import RequestHandler
from aiohttp.web_request import BaseRequest
from aiohttp.web_response import StreamResponse

log = logging.getLogger("zenith.web.protocol")

SERVER = "Zenith"
LINES_PER_MINUTE = 10


class LogBudget:
    """At most ``per_minute`` lines a minute; counts the ones left out."""

    def __init__(self, per_minute: int = LINES_PER_MINUTE) -> None:
        self.per_minute = per_minute
        self.window_start = time.monotonic()
        self.used = 0
        self.dropped = 0

    def take(self) -> tuple[bool, int]:
        """(may log now, lines left out before this one)."""
        now = time.monotonic()
        if now - self.window_start >= 60:
            self.window_start, self.used = now, 0
        if self.used >= self.per_minute:
            self.dropped += 1
            return False, 0
        self.used += 1
        dropped, self.dropped = self.dropped, 0
        return True, dropped


BUDGET = LogBudget()


def json_error_response(status: int, message: str) -> web.Response:
    code = "bad_request" if status < 500 else "internal"
    body = json.dumps({"error": {"code": code, "message": message}})
    response = web.Response(status=status, text=body, content_type="application/json",
                            headers={"X-Content-Type-Options": "nosniff",
                                     "Cache-Control": "no-store", "Server": SERVER})
    response.force_close()
    return response


class QuietRequestHandler(RequestHandler):
    """aiohttp's protocol, with its own error answers in JSON and quiet logs."""

    def handle_error(self, request: BaseRequest, status: int = 500,
                     exc: BaseException | None = None,
                     message: str | None = None) -> StreamResponse:
        if status >= 500 and not isinstance(exc, HttpProcessingError):
            return super().handle_error(request, status, exc, message)
        if request.writer.output_size > 0:  # an answer is under way: nothing to add
            raise ConnectionError("response already started; cannot send the error")
        reason = getattr(exc, "message", None) or message or HTTPStatus(status).phrase
        reason = str(reason).splitlines()[0][:200] if str(reason) else HTTPStatus(status).phrase
        may_log, dropped = BUDGET.take()
        if may_log:
            more = f" ({dropped} more not logged)" if dropped else ""
            log.warning("malformed HTTP request from %s: %s%s", request.remote or "?",
                        reason.encode("unicode_escape").decode("ascii"), more)
        return json_error_response(status, f"malformed HTTP request: {reason}")


class _QuietServer(web.Server):
    def __call__(self) -> RequestHandler:
        return QuietRequestHandler(self, loop=self._loop, **self._kwargs)


class ZenithRunner(web.AppRunner):
    """``web.AppRunner`` whose connections use :class:`QuietRequestHandler`."""

    async def _make_server(self) -> web.Server:
        server = await super()._make_server()
        server.__class__ = _QuietServer  # same state; only the handler it makes differs
        return server
