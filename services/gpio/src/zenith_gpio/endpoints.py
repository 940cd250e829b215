"""The gpio service's bus endpoints: pins, 1-wire and I2C (focuser: focuser/endpoints.py)."""

from __future__ import annotations

from typing import Any

from zenith.bus import BusService, Call
from zenith.contracts import gpio
from zenith_gpio.discovery.i2c import I2cScanner
from zenith_gpio.discovery.onewire import discover
from zenith_gpio.pins import DUTY_MAX, PinBank
from zenith_gpio.settings import GpioSettings


async def serve_gpio(svc: BusService, bank: PinBank, settings: GpioSettings) -> None:
    scanner = I2cScanner(settings.gpio_i2c_dev_dir)

    async def digital_set(call: Call[gpio.DigitalSet]) -> gpio.DigitalSetReply:
        body = call.body
        level = await bank.set_digital(body.pin, body.state == "on", body.name)
        return gpio.DigitalSetReply(pin=body.pin, state="on" if level else "off")

    async def digital_get(call: Call[gpio.DigitalGet]) -> gpio.DigitalGetReply:
        level = await bank.get_digital(call.body.pin)
        return gpio.DigitalGetReply(pin=call.body.pin, value="on" if level else "off")

    async def pwm_set(call: Call[gpio.PwmSet]) -> gpio.PwmSetReply:
        body = call.body
        rec = await bank.set_pwm(body.pin, body.frequency, body.duty, body.name)
        duty = rec.duty or 0
        return gpio.PwmSetReply(pin=body.pin, frequency=rec.frequency or body.frequency,
                                duty=duty, duty_percent=round(duty / DUTY_MAX * 100, 2))

    async def status(call: Call[Any]) -> gpio.StatusReply:
        return bank.status()

    async def all_pins(call: Call[Any]) -> gpio.AllReply:
        return bank.all()

    async def release(call: Call[gpio.Release]) -> gpio.PinInfo:
        return await bank.release(call.body.pin)

    async def onewire(call: Call[Any]) -> gpio.OneWireReply:
        return gpio.OneWireReply(devices=await discover(settings.gpio_onewire_dir))

    async def i2c(call: Call[Any]) -> gpio.I2cReply:
        buses, devices = await scanner.scan()
        return gpio.I2cReply(devices=devices, buses=buses)

    await svc.serve(gpio.DIGITAL_SET, digital_set)
    await svc.serve(gpio.DIGITAL_GET, digital_get)
    await svc.serve(gpio.PWM_SET, pwm_set)
    await svc.serve(gpio.STATUS, status)
    await svc.serve(gpio.ALL, all_pins)
    await svc.serve(gpio.RELEASE, release)
    await svc.serve(gpio.ONEWIRE_DEVICES, onewire)
    await svc.serve(gpio.I2C_DEVICES, i2c)
