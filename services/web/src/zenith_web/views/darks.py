"""``POST /api/capture/darks``: record a dark within one HTTP request.

A recording takes ``frames`` × exposure. Over HTTP it is refused (400)
beyond ``web_darks_max_s`` of exposure, so no request outlives its own
timeout; longer recordings go through ``zenith capture darks record``,
which waits as long as they take.
"""

from __future__ import annotations

from aiohttp import web

from zenith.contracts import capture
from zenith.contracts.base import Empty
from zenith.errors import BadRequest
from zenith_web import keys
from zenith_web.bridge import call, model_response, read_body


async def record(request: web.Request) -> web.Response:
    body = await read_body(request, capture.DarksRecord)
    settings = request.app[keys.SETTINGS]
    exposure = body.exposure_s
    if exposure is None:  # the loop's current exposure
        exposure = (await call(request, capture.STATUS, Empty())).exposure_s or 0.0
    total = body.frames * exposure
    if total > settings.web_darks_max_s:
        raise BadRequest(f"{body.frames} exposures of {exposure:g} s take {total:g} s, more than "
                         f"web_darks_max_s ({settings.web_darks_max_s:g} s) allows over HTTP; "
                         "record it with `zenith capture darks record`", code="too_long")
    timeout = settings.request_timeout + 2 * total + 10
    return model_response(await call(request, capture.DARKS_RECORD, body, timeout=timeout))
