"""The Allsky GPIO routes, plus 1-wire and I2C discovery, forwarded to ``gpio``."""

from __future__ import annotations

from aiohttp import web

from zenith.contracts import gpio
from zenith.contracts.web import GpioPins
from zenith_web.bridge import call, model_response, read_body, validate


async def all_pins(request: web.Request) -> web.Response:
    reply: gpio.AllReply = await call(request, gpio.ALL)
    return model_response(GpioPins(reply.pins))


async def digital_get(request: web.Request) -> web.Response:
    body = validate(gpio.DigitalGet, {"pin": request.match_info["pin"]})
    return model_response(await call(request, gpio.DIGITAL_GET, body))


async def digital_set(request: web.Request) -> web.Response:
    body = await read_body(request, gpio.DigitalSet)
    return model_response(await call(request, gpio.DIGITAL_SET, body))


async def pwm_set(request: web.Request) -> web.Response:
    body = await read_body(request, gpio.PwmSet)
    return model_response(await call(request, gpio.PWM_SET, body))


async def release(request: web.Request) -> web.Response:
    body = await read_body(request, gpio.Release)
    return model_response(await call(request, gpio.RELEASE, body))


async def status(request: web.Request) -> web.Response:
    return model_response(await call(request, gpio.STATUS))


async def onewire_devices(request: web.Request) -> web.Response:
    return model_response(await call(request, gpio.ONEWIRE_DEVICES))


async def i2c_devices(request: web.Request) -> web.Response:
    return model_response(await call(request, gpio.I2C_DEVICES))
