"""Focuser routes under ``/focuser/...`` (served by ``gpio``) and the live frame."""

from __future__ import annotations

import base64
import binascii

from aiohttp import web

from zenith.contracts import capture, focuser
from zenith.contracts.base import Empty
from zenith.contracts.web import FocuserMove, FrameQuery
from zenith.errors import Forbidden, Internal
from zenith_web import keys
from zenith_web.bridge import call, model_response, read_body, validate


async def move(request: web.Request) -> web.Response:
    body = await read_body(request, FocuserMove)
    return model_response(await call(request, focuser.MOVE, body.to_move(),
                                     timeout=request.app[keys.SETTINGS].web_autofocus_timeout
                                     if body.wait else None))





async def autofocus(request: web.Request) -> web.Response:
    body = await read_body(request, focuser.Autofocus)
    timeout = request.app[keys.SETTINGS].web_autofocus_timeout
    return model_response(await call(request, focuser.AUTOFOCUS, body, timeout=timeout))


FRESH = ("focuser", "update")  # who may make the camera expose while the loop runs


async def frame(request: web.Request) -> web.Response:
    """A frame from capture as JPEG; its focus metrics in ``X-Focus-*`` headers.

    While the loop runs, its latest frame (``X-Frame-Latest: true``); a new
    exposure when it is stopped, or with ``fresh=true`` for a caller who may
    move the focuser. The timeout allows for the work in hand: the loop's own
    exposure, the snapshot queue and this exposure."""
    query = validate(FrameQuery, dict(request.query), what="query")
    caller = request.get(keys.CALLER)
    if query.fresh and (caller is None or not caller.may(FRESH)):
        raise Forbidden("a new exposure while the capture loop runs needs "
                        f"{':'.join(FRESH)}; without fresh you get its latest frame",
                        code="forbidden")
    body = query.to_snapshot()
    settings = request.app[keys.SETTINGS]
    status = await call(request, capture.STATUS, Empty())
    running = status.state in ("running", "starting", "paused", "error")
    loop_exposure = status.exposure_s or 0.0
    if running and not body.fresh:  # the latest frame (the first one: after its exposure)
        first = loop_exposure if status.last_frame_at is None else 0.0
        timeout = settings.request_timeout * 2 + capture.LATEST_WAIT_S + first
    else:  # a new exposure: behind the loop's own (or a dark's) and the snapshot queue
        exposure = body.exposure_s or loop_exposure
        timeout = settings.request_timeout * 2 + capture.SNAPSHOT_QUEUE * exposure \
            + loop_exposure + capture.LATEST_WAIT_S
    shot = await call(request, capture.SNAPSHOT, body, timeout=timeout)
    if not shot.image_b64:
        raise Internal("capture answered without an image", code="no_image")
    try:
        jpeg = base64.b64decode(shot.image_b64, validate=True)
    except (binascii.Error, ValueError):
        raise Internal("capture sent an image that is not base64", code="bad_image") from None
    headers = {"Cache-Control": "no-store", "X-Taken-At": shot.taken_at.isoformat()}
    for name, value in (("X-Focus-HFR", shot.hfr), ("X-Focus-Stars", shot.stars),
                        ("X-Focus-Sharpness", shot.sharpness),
                        ("X-Focus-Position", shot.focus_position),
                        ("X-Exposure-S", shot.exposure_s)):
        if value is not None:
            headers[name] = f"{value:.6g}" if isinstance(value, float) else str(value)
    headers["X-Frame-Latest"] = "true" if shot.latest else "false"
    return web.Response(body=jpeg, content_type="image/jpeg", headers=headers)
