"""Digital and PWM pins over the bus, as the Allsky-compatible API uses them."""

from __future__ import annotations

import json

import pytest

from tests.services.gpio.gpiotest import CAMERA, GpioRunner
from zenith.bus import BusClient
from zenith.bus.jetstream import bucket
from zenith.contracts import gpio
from zenith.errors import Conflict


async def _all(bus: BusClient) -> dict[str, dict]:
    reply = await bus.request(gpio.ALL, {}, camera=CAMERA)
    return reply.model_dump()["pins"]


async def _saved(nc, pin: int) -> dict | None:
    kv = await bucket(nc, "zenith-gpio")
    try:
        entry = await kv.get(f"{CAMERA}.D{pin}")
    except Exception:
        return None
    return json.loads(entry.value) if entry.value else None


async def test_digital_set_drives_the_pin_and_reports_it(gpio_svc, bus, factory, nc):
    reply = await bus.request(gpio.DIGITAL_SET, {"pin": 18, "state": "on", "name": "dew heater"},
                              camera=CAMERA)
    assert reply.model_dump() == {"pin": 18, "state": "on"}
    pin = factory.pin(18)
    assert pin.function == "output" and pin.state == 1
    pins = await _all(bus)
    assert pins["D18"]["mode"] == "digital-output"
    assert pins["D18"]["value"] == "on" and pins["D18"]["name"] == "dew heater"
    status = await bus.request(gpio.STATUS, {}, camera=CAMERA)
    assert status.model_dump() == {"digital": {"18": "on"}, "pwm": {}}
    assert (await _saved(nc, 18))["mode"] == "digital-output"

    reply = await bus.request(gpio.DIGITAL_SET, {"pin": "D18", "state": "off"}, camera=CAMERA)
    assert reply.state == "off" and pin.state == 0
    assert (await _all(bus))["D18"]["name"] == "dew heater"  # a name is kept until changed


@pytest.mark.parametrize("spelling", [23, "23", "D23", "GPIO23", "gpio23"])
async def test_pin_spellings(gpio_svc, bus, factory, spelling):
    reply = await bus.request(gpio.DIGITAL_SET, {"pin": spelling, "state": "on"}, camera=CAMERA)
    assert reply.pin == 23 and factory.pin(23).state == 1


async def test_pwm_set_reports_duty_percent_and_drives_the_pin(gpio_svc, bus, factory):
    reply = await bus.request(gpio.PWM_SET, {"pin": 12, "frequency": 500, "duty": 16384},
                              camera=CAMERA)
    assert reply.model_dump() == {"pin": 12, "frequency": 500, "duty": 16384,
                                  "duty_percent": 25.0}
    pin = factory.pin(12)
    assert pin.frequency == 500 and pin.state == pytest.approx(16384 / 65535)
    reply = await bus.request(gpio.PWM_SET, {"pin": 12, "duty": 65535}, camera=CAMERA)
    assert reply.frequency == 1000 and reply.duty_percent == 100.0
    assert pin.frequency == 1000 and pin.state == 1.0
    status = await bus.request(gpio.STATUS, {}, camera=CAMERA)
    assert status.model_dump() == {"digital": {}, "pwm": {"12": {"frequency": 1000,
                                                                 "duty": 65535}}}


async def test_digital_set_leaves_pwm_and_pwm_leaves_digital(gpio_svc, bus, factory):
    pin = factory.pin(13)
    await bus.request(gpio.PWM_SET, {"pin": 13, "frequency": 200, "duty": 30000}, camera=CAMERA)
    await bus.request(gpio.DIGITAL_SET, {"pin": 13, "state": "on"}, camera=CAMERA)
    assert pin.frequency is None and pin.state == 1
    status = await bus.request(gpio.STATUS, {}, camera=CAMERA)
    assert status.pwm == {} and status.digital == {"13": "on"}

    await bus.request(gpio.PWM_SET, {"pin": 13, "frequency": 300, "duty": 0}, camera=CAMERA)
    assert pin.frequency == 300 and pin.state == 0
    status = await bus.request(gpio.STATUS, {}, camera=CAMERA)
    assert status.digital == {} and status.pwm["13"].model_dump() == {"frequency": 300,
                                                                       "duty": 0}


async def test_digital_get_makes_an_unused_pin_an_input_and_reads_it(gpio_svc, bus, factory):
    reply = await bus.request(gpio.DIGITAL_GET, {"pin": 5}, camera=CAMERA)
    assert reply.model_dump() == {"pin": 5, "value": "off"}
    assert (await _all(bus))["D5"]["mode"] == "digital-input"
    factory.pin(5).drive_high()
    reply = await bus.request(gpio.DIGITAL_GET, {"pin": 5}, camera=CAMERA)
    assert reply.value == "on"
    status = await bus.request(gpio.STATUS, {}, camera=CAMERA)
    assert status.digital == {"5": "on"}


async def test_digital_get_on_an_i2c_pin_with_a_fixed_pull_up(gpio_svc, bus):
    reply = await bus.request(gpio.DIGITAL_GET, {"pin": 2}, camera=CAMERA)
    assert reply.value == "on"  # GPIO2 carries the board's pull-up


async def test_digital_get_reads_back_an_output(gpio_svc, bus, factory):
    await bus.request(gpio.DIGITAL_SET, {"pin": 6, "state": "on"}, camera=CAMERA)
    reply = await bus.request(gpio.DIGITAL_GET, {"pin": 6}, camera=CAMERA)
    assert reply.value == "on"
    assert (await _all(bus))["D6"]["mode"] == "digital-output"


async def test_digital_get_on_a_pwm_pin_is_a_conflict_and_changes_nothing(gpio_svc, bus,
                                                                            factory, raw):
    await bus.request(gpio.PWM_SET, {"pin": 19, "frequency": 100, "duty": 1000}, camera=CAMERA)
    before = await _all(bus)
    status, body = await raw(gpio.DIGITAL_GET, {"pin": 19})
    assert status == 409 and body["error"]["code"] == "pin_is_pwm"
    assert "PWM" in body["error"]["message"]
    assert await _all(bus) == before
    assert factory.pin(19).frequency == 100


async def test_all_lists_every_pin_and_release_forgets_one(gpio_svc, bus, factory, nc):
    pins = await _all(bus)
    assert list(pins) == [f"D{n}" for n in range(28)]
    assert all(p["mode"] == "unused" for p in pins.values())
    await bus.request(gpio.PWM_SET, {"pin": 20, "duty": 100, "name": "fan"}, camera=CAMERA)
    released = await bus.request(gpio.RELEASE, {"pin": 20}, camera=CAMERA)
    assert released.mode == "unused" and released.name is None
    assert factory.pin(20).frequency is None and factory.pin(20).function == "input"
    assert await _saved(nc, 20) is None
    assert (await bus.request(gpio.STATUS, {}, camera=CAMERA)).pwm == {}


async def test_an_empty_name_clears_the_name(gpio_svc, bus):
    await bus.request(gpio.DIGITAL_SET, {"pin": 7, "state": "on", "name": "fan"}, camera=CAMERA)
    await bus.request(gpio.DIGITAL_SET, {"pin": 7, "state": "on", "name": ""}, camera=CAMERA)
    assert (await _all(bus))["D7"]["name"] is None


BAD = [
    (gpio.DIGITAL_SET, {"pin": 99, "state": "on"}, "pin"),
    (gpio.DIGITAL_SET, {"pin": "abc", "state": "on"}, "pin"),
    (gpio.DIGITAL_SET, {"pin": -1, "state": "on"}, "pin"),
    (gpio.DIGITAL_SET, {"pin": 4.5, "state": "on"}, "pin"),
    (gpio.DIGITAL_SET, {"pin": True, "state": "on"}, "pin"),
    (gpio.DIGITAL_SET, {"pin": 18, "state": "maybe"}, "state"),
    (gpio.DIGITAL_SET, {"pin": 18}, "state"),
    (gpio.DIGITAL_SET, {"state": "on"}, "pin"),
    (gpio.DIGITAL_SET, {"pin": 18, "state": "on", "name": "<script>"}, "name"),
    (gpio.DIGITAL_SET, {"pin": 18, "state": "on", "colour": "red"}, "colour"),
    (gpio.DIGITAL_GET, {"pin": 99}, "pin"),
    (gpio.DIGITAL_GET, {"pin": "abc"}, "pin"),
    (gpio.DIGITAL_GET, {}, "pin"),
    (gpio.PWM_SET, {"pin": 18, "duty": 70000}, "duty"),
    (gpio.PWM_SET, {"pin": 18, "duty": -1}, "duty"),
    (gpio.PWM_SET, {"pin": 18, "frequency": 0, "duty": 10}, "frequency"),
    (gpio.PWM_SET, {"pin": 18, "frequency": -5, "duty": 10}, "frequency"),
    (gpio.PWM_SET, {"pin": 18, "frequency": "fast", "duty": 10}, "frequency"),
    (gpio.PWM_SET, {"pin": 18}, "duty"),
    (gpio.PWM_SET, {"duty": 10}, "pin"),
    (gpio.PWM_SET, {"pin": 99, "duty": 10}, "pin"),
    (gpio.RELEASE, {"pin": 99}, "pin"),
    (gpio.STATUS, {"pin": 1}, "pin"),
    (gpio.ALL, {"verbose": True}, "verbose"),
    (gpio.ONEWIRE_DEVICES, {"bus": 1}, "bus"),
    (gpio.I2C_DEVICES, {"bus": 1}, "bus"),
]
NOT_OBJECTS = [b"[1, 2]", b'"on"', b"42", b"null", b"not json", b"\xff\xfe"]


async def _snapshot(bus, nc, factory) -> tuple:
    pins = await _all(bus)
    saved = [await _saved(nc, n) for n in (17, 18, 22)]
    hw = [(factory.pin(n).function, factory.pin(n).state, factory.pin(n).frequency)
          for n in (17, 18, 22)]
    return pins, saved, hw


@pytest.mark.parametrize("endpoint, payload, field", BAD,
                         ids=[f"{e.name}-{json.dumps(p)}" for e, p, _ in BAD])
async def test_bad_input_is_a_400_naming_the_field_and_changes_nothing(
        gpio_svc, bus, nc, factory, raw, endpoint, payload, field):
    await bus.request(gpio.DIGITAL_SET, {"pin": 17, "state": "on"}, camera=CAMERA)
    await bus.request(gpio.PWM_SET, {"pin": 18, "frequency": 800, "duty": 4000}, camera=CAMERA)
    before = await _snapshot(bus, nc, factory)
    status, body = await raw(endpoint, payload)
    assert status == 400
    assert body["error"]["code"] == "invalid_request"
    assert field in body["error"]["message"]
    assert await _snapshot(bus, nc, factory) == before


@pytest.mark.parametrize("payload", NOT_OBJECTS)
@pytest.mark.parametrize("endpoint", [gpio.DIGITAL_SET, gpio.DIGITAL_GET, gpio.PWM_SET,
                                      gpio.RELEASE, gpio.STATUS, gpio.I2C_DEVICES])
async def test_payload_that_is_not_a_json_object_is_a_400(gpio_svc, bus, nc, factory, raw,
                                                         endpoint, payload):
    await bus.request(gpio.DIGITAL_SET, {"pin": 17, "state": "on"}, camera=CAMERA)
    before = await _snapshot(bus, nc, factory)
    status, body = await raw(endpoint, payload)
    assert status == 400 and body["error"]["code"] == "invalid_json"
    assert await _snapshot(bus, nc, factory) == before


async def test_frequency_above_what_the_backend_can_do_is_a_400(settings, factory, nc, bus,
                                                                raw):
    runner = GpioRunner(settings, factory, max_pwm_hz=10_000)  # as lgpio
    await runner.start()
    try:
        status, body = await raw(gpio.PWM_SET, {"pin": 18, "frequency": 20_000, "duty": 1})
        assert status == 400 and body["error"]["code"] == "frequency_unsupported"
        assert "10000 Hz" in body["error"]["message"]
        assert factory.pin(18).frequency is None
        assert (await _all(bus))["D18"]["mode"] == "unused"
        await bus.request(gpio.PWM_SET, {"pin": 18, "frequency": 10_000, "duty": 1},
                          camera=CAMERA)
        assert factory.pin(18).frequency == 10_000
    finally:
        await runner.stop()


async def test_errors_are_typed_for_bus_clients(gpio_svc, bus):
    await bus.request(gpio.PWM_SET, {"pin": 21, "duty": 1}, camera=CAMERA)
    with pytest.raises(Conflict):
        await bus.request(gpio.DIGITAL_GET, {"pin": 21}, camera=CAMERA)
