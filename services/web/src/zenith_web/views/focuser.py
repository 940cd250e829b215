"""Focuser routes under ``/focuser/...`` (served by ``gpio``) and the live frame."""

from __future__ import annotations

import base64
import binascii

from aiohttp import web

from zenith.contracts import capture, focuser
from zenith.contracts.web import FocuserMove, FrameQuery
from zenith.errors import Internal
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


async def frame(request: web.Request) -> web.Response:
    """A fresh frame from capture as JPEG; its focus metrics in ``X-Focus-*`` headers."""
    query = validate(FrameQuery, dict(request.query), what="query")
    body = query.to_snapshot()
    settings = request.app[keys.SETTINGS]
    timeout = settings.request_timeout + (body.exposure_s or 0)
    shot: capture.SnapshotReply = await call(request, capture.SNAPSHOT, body, timeout=timeout)
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
    return web.Response(body=jpeg, content_type="image/jpeg", headers=headers)
