"""GPIO routes that reshape their input or output; the rest are
:func:`zenith_web.bridge.forward` rows in the route table."""

from __future__ import annotations

from aiohttp import web

from zenith.contracts import gpio
from zenith.contracts.web import GpioPins
from zenith_web.bridge import call, model_response, validate


async def all_pins(request: web.Request) -> web.Response:
    reply = await call(request, gpio.ALL)
    return model_response(GpioPins(reply.pins))


async def digital_get(request: web.Request) -> web.Response:
    body = validate(gpio.DigitalGet, {"pin": request.match_info["pin"]})
    return model_response(await call(request, gpio.DIGITAL_GET, body))
