"""Entry point: ``zenith run gpio``.

Tests run the real service in-process with a pin factory of their own::

    factory = MockFactory(pin_class=MockPWMPin)
    async with service_context("gpio", settings, make_serve(factory)) as ctx:
        node: GpioNode = ctx.served
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from gpiozero import Factory

from zenith.bus import BusService
from zenith.bus.jetstream import bucket
from zenith.runner import Serve, ServiceContext, run
from zenith_gpio.backends import Backend, load_pin_factory
from zenith_gpio.endpoints import serve_gpio
from zenith_gpio.focuser.autofocus import AutofocusRun
from zenith_gpio.focuser.config import FocuserConfig
from zenith_gpio.focuser.controller import Focuser
from zenith_gpio.focuser.endpoints import serve_focuser
from zenith_gpio.pins import PinBank
from zenith_gpio.settings import GpioSettings
from zenith_gpio.store import JsonBucket

log = logging.getLogger("zenith.gpio")


@dataclass
class GpioNode:
    """What one running gpio service holds (tests may look inside)."""

    backend: Backend
    pins: PinBank
    focuser: Focuser


async def start(ctx: ServiceContext[GpioSettings], backend: Backend | None = None) -> GpioNode:
    settings = ctx.settings
    camera = settings.camera
    if backend is None:
        backend = load_pin_factory(settings)
        ctx.stack.callback(backend.factory.close)
    log.info("pin factory: %s", backend.name)
    gpio_kv = JsonBucket(await bucket(ctx.nc, "zenith-gpio"), "zenith-gpio", camera)
    focuser_kv = JsonBucket(await bucket(ctx.nc, "zenith-focuser"), "zenith-focuser", camera)

    pins = PinBank(backend.factory, gpio_kv, backend.max_pwm_hz)
    ctx.stack.callback(pins.close)
    focuser = Focuser(pins, backend.factory, focuser_kv, ctx.js, camera,
                      FocuserConfig.from_settings(settings))
    await focuser.start()  # its pins are reserved before the saved pins come back
    ctx.stack.push_async_callback(focuser.close)
    restored = await pins.restore()
    log.info("restored %d pins; focuser at %d on pins %s", restored, focuser.position,
             list(focuser.config.pins) or "none")

    svc = await BusService.start(ctx.nc, "gpio", "Digital and PWM pins, focuser, "
                                 "1-wire and I2C discovery", camera=camera)
    ctx.stack.push_async_callback(svc.stop)
    await serve_gpio(svc, pins, settings)
    await serve_focuser(svc, focuser, AutofocusRun(focuser, ctx.bus, camera, settings))
    return GpioNode(backend=backend, pins=pins, focuser=focuser)


def make_serve(factory: Factory | None = None, *,
               max_pwm_hz: int = 1_000_000) -> Serve[GpioSettings]:
    """A ``serve`` using ``factory`` (owned by the caller) instead of the configured one."""

    async def serve(ctx: ServiceContext[GpioSettings]) -> GpioNode:
        backend = None if factory is None else Backend("given", factory, max_pwm_hz)
        return await start(ctx, backend)

    return serve


async def serve(ctx: ServiceContext[GpioSettings]) -> GpioNode:
    return await start(ctx)


def main(argv: Sequence[str] | None = None) -> int:
    return run("gpio", GpioSettings, serve)
