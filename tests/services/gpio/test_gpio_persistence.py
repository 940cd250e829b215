"""Pins survive a restart; concurrent requests on one pin stay consistent."""

from __future__ import annotations

import asyncio
import json
import random

import pytest

from tests.services.gpio.gpiotest import CAMERA
from zenith.bus.jetstream import bucket
from zenith.contracts import gpio
from zenith.errors import Unavailable


async def test_a_restart_drives_every_saved_pin_again(gpio_svc, bus, factory):
    await bus.request(gpio.DIGITAL_SET, {"pin": 17, "state": "on", "name": "heater"},
                      camera=CAMERA)
    await bus.request(gpio.DIGITAL_SET, {"pin": 27, "state": "off"}, camera=CAMERA)
    await bus.request(gpio.PWM_SET, {"pin": 18, "frequency": 250, "duty": 49151,
                                     "name": "fan"}, camera=CAMERA)
    await bus.request(gpio.PWM_SET, {"pin": 19, "frequency": 2000, "duty": 0}, camera=CAMERA)
    await bus.request(gpio.DIGITAL_GET, {"pin": 5}, camera=CAMERA)
    await bus.request(gpio.PWM_SET, {"pin": 20, "duty": 5}, camera=CAMERA)
    await bus.request(gpio.RELEASE, {"pin": 20}, camera=CAMERA)
    before = (await bus.request(gpio.ALL, {}, camera=CAMERA)).model_dump()

    await gpio_svc.stop()
    # stopped: nothing drives the pins any more
    assert factory.pin(17).function == "input"
    assert factory.pin(18).frequency is None and factory.pin(18).state == 0

    await gpio_svc.start()
    after = (await bus.request(gpio.ALL, {}, camera=CAMERA)).model_dump()
    assert after == before
    assert factory.pin(17).function == "output" and factory.pin(17).state == 1
    assert factory.pin(27).function == "output" and factory.pin(27).state == 0
    assert factory.pin(18).frequency == 250
    assert factory.pin(18).state == pytest.approx(49151 / 65535)
    assert factory.pin(19).frequency == 2000 and factory.pin(19).state == 0
    assert after["pins"]["D5"]["mode"] == "digital-input"
    assert after["pins"]["D20"]["mode"] == "unused"
    assert after["pins"]["D18"]["name"] == "fan"
    status = await bus.request(gpio.STATUS, {}, camera=CAMERA)
    assert status.model_dump() == {
        "digital": {"5": "off", "17": "on", "27": "off"},
        "pwm": {"18": {"frequency": 250, "duty": 49151}, "19": {"frequency": 2000, "duty": 0}},
    }


async def test_a_damaged_saved_record_is_skipped_not_fatal(gpio_svc, bus, nc, factory):
    await bus.request(gpio.DIGITAL_SET, {"pin": 17, "state": "on"}, camera=CAMERA)
    kv = await bucket(nc, "zenith-gpio")
    await kv.put(f"{CAMERA}.D4", b"{not json")
    await kv.put(f"{CAMERA}.D6", json.dumps({"mode": "pwm", "frequency": 0}).encode())
    await kv.put(f"{CAMERA}.D7", json.dumps({"mode": "teleport"}).encode())
    await gpio_svc.restart()
    pins = (await bus.request(gpio.ALL, {}, camera=CAMERA)).pins
    assert pins["D17"].value == "on"
    assert {pins[f"D{n}"].mode for n in (4, 6, 7)} == {"unused"}


async def test_another_camera_keeps_its_own_pins(gpio_svc, bus, factory):
    await bus.request(gpio.DIGITAL_SET, {"pin": 17, "state": "on"}, camera=CAMERA)
    await gpio_svc.restart(camera="other-cam")
    pins = (await bus.request(gpio.ALL, {}, camera="other-cam")).pins
    assert pins["D17"].mode == "unused"
    assert factory.pin(17).function == "input"


async def test_concurrent_requests_on_one_pin_end_as_the_last_reply_says(
        gpio_svc, bus, nc, factory, raw):
    rng = random.Random(7)
    requests = []
    for i in range(60):
        kind = rng.choice(["digital", "pwm", "get"])
        if kind == "digital":
            requests.append((gpio.DIGITAL_SET, {"pin": 18, "state": rng.choice(["on", "off"])}))
        elif kind == "pwm":
            requests.append((gpio.PWM_SET, {"pin": 18, "frequency": 100 + i, "duty": i * 1000}))
        else:
            requests.append((gpio.DIGITAL_GET, {"pin": 18}))
    replies: list[tuple[str, int, dict]] = []  # in the order they arrive

    async def send(endpoint, payload):
        status, body = await raw(endpoint, payload)
        replies.append((endpoint.name, status, body))

    await asyncio.gather(*(send(e, p) for e, p in requests))
    assert len(replies) == len(requests)
    assert {status for _, status, _ in replies} <= {200, 409}
    last_set = [(name, body) for name, status, body in replies
                if status == 200 and name in ("digital-set", "pwm-set")][-1]

    info = (await bus.request(gpio.ALL, {}, camera=CAMERA)).pins["D18"]
    kv = await bucket(nc, "zenith-gpio")
    saved = json.loads((await kv.get(f"{CAMERA}.D18")).value)
    pin = factory.pin(18)
    name, body = last_set
    if name == "digital-set":
        assert info.mode == "digital-output" and info.value == body["state"]
        assert saved["mode"] == "digital-output" and saved["value"] == (body["state"] == "on")
        assert pin.frequency is None and pin.state == (body["state"] == "on")
    else:
        assert info.mode == "pwm"
        assert (info.frequency, info.duty) == (body["frequency"], body["duty"])
        assert (saved["frequency"], saved["duty"]) == (body["frequency"], body["duty"])
        assert pin.frequency == body["frequency"]
        assert pin.state == pytest.approx(body["duty"] / 65535)
    # replayed in reply order, every reply agrees with the state the previous ones left
    mode, level = "unused", "off"
    for name, status, body in replies:
        if name == "digital-set":
            mode, level = "output", body["state"]
        elif name == "pwm-set":
            mode = "pwm"
        elif mode == "pwm":
            assert status == 409 and body["error"]["code"] == "pin_is_pwm"
        else:
            assert status == 200 and body["value"] == level
            mode = "output" if mode == "output" else "input"


async def test_when_the_state_cannot_be_saved_the_pin_goes_back(gpio_svc, bus, nc, factory):
    await bus.request(gpio.DIGITAL_SET, {"pin": 17, "state": "on"}, camera=CAMERA)
    await nc.jetstream().delete_key_value("zenith-gpio")
    with pytest.raises(Unavailable) as info:
        await bus.request(gpio.PWM_SET, {"pin": 17, "duty": 100}, camera=CAMERA)
    assert "zenith-gpio" in info.value.message
    assert factory.pin(17).frequency is None and factory.pin(17).state == 1
    with pytest.raises(Unavailable):
        await bus.request(gpio.DIGITAL_SET, {"pin": 9, "state": "on"}, camera=CAMERA)
    assert factory.pin(9).function == "input"
    pins = (await bus.request(gpio.ALL, {}, camera=CAMERA)).pins
    assert pins["D17"].mode == "digital-output" and pins["D9"].mode == "unused"

    await bucket(nc, "zenith-gpio")  # the bucket is back: so is the service
    await bus.request(gpio.DIGITAL_SET, {"pin": 9, "state": "on"}, camera=CAMERA)
    assert factory.pin(9).state == 1
