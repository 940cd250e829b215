"""The focuser over the bus, counting the steps on the mock pins."""

from __future__ import annotations

import asyncio
import itertools
import json

import pytest

from tests.services.gpio.gpiotest import CAMERA
from zenith.bus.jetstream import bucket
from zenith.contracts import focuser, gpio
from zenith.contracts.focuser import POSITION, Position

A4988 = {"driver": "a4988", "pins": [17, 27, 22], "speed": 5000}  # step, dir, enable
STEP, DIR, ENABLE = 17, 27, 22


def rising(pin) -> int:
    """Low-to-high edges the mock pin went through since its states were cleared."""
    levels = [bool(s.state) for s in pin.states]
    return sum(1 for a, b in itertools.pairwise(levels) if b and not a)


async def configure(bus, **fields) -> focuser.Status:
    return await bus.request(focuser.CONFIGURE, fields, camera=CAMERA)


async def move(bus, **fields) -> focuser.Status:
    return await bus.request(focuser.MOVE, {"wait": True, **fields}, camera=CAMERA, timeout=20)


async def status(bus) -> focuser.Status:
    return await bus.request(focuser.STATUS, {}, camera=CAMERA)


async def last_event(nc) -> Position:
    msg = await nc.jetstream().get_last_msg("STATUS", POSITION.subject_for(camera=CAMERA))
    return Position.model_validate_json(msg.data)


async def wait_until(check, timeout: float = 10.0) -> None:
    for _ in range(int(timeout / 0.02)):
        if await check():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("condition not reached")


async def test_configure_reserves_the_focuser_pins(gpio_svc, bus, factory, raw):
    st = await configure(bus, **A4988)
    assert st.pins == [17, 27, 22] and st.driver == "a4988" and not st.moving
    assert factory.pin(ENABLE).state == 1  # /ENABLE high: driver off between moves
    for endpoint, payload in [(gpio.DIGITAL_SET, {"pin": 17, "state": "on"}),
                              (gpio.DIGITAL_GET, {"pin": 27}),
                              (gpio.PWM_SET, {"pin": 22, "duty": 1}),
                              (gpio.RELEASE, {"pin": 17})]:
        code, body = await raw(endpoint, payload)
        assert code == 409 and body["error"]["code"] == "pin_reserved", endpoint.name
        assert "focuser" in body["error"]["message"]
    pins = (await bus.request(gpio.ALL, {}, camera=CAMERA)).pins
    assert pins["D17"].reserved_by == "focuser" and pins["D17"].name == "focuser step"
    assert pins["D22"].name == "focuser enable" and pins["D22"].value == "on"
    assert "17" not in (await bus.request(gpio.STATUS, {}, camera=CAMERA)).digital


async def test_configure_refuses_pins_the_gpio_api_uses(gpio_svc, bus, factory, raw):
    await bus.request(gpio.DIGITAL_SET, {"pin": 27, "state": "on"}, camera=CAMERA)
    code, body = await raw(focuser.CONFIGURE, A4988)
    assert code == 409 and body["error"]["code"] == "pin_in_use"
    assert "pin 27" in body["error"]["message"]
    assert (await status(bus)).pins == []
    assert factory.pin(27).state == 1
    # nothing half-reserved: the other pins are still free
    await bus.request(gpio.DIGITAL_SET, {"pin": 17, "state": "on"}, camera=CAMERA)


BAD_CONFIG = [
    ({"driver": "a4988", "pins": [17, 27]}, 400),
    ({"driver": "a4988", "pins": [17, 27, 22, 23]}, 400),
    ({"driver": "uln2003", "pins": [17, 27, 22]}, 400),
    ({"driver": "a4988", "pins": [17, 17, 22]}, 400),
    ({"driver": "a4988", "pins": [17, 27, 99]}, 400),
    ({"driver": "a4988", "pins": [17, "abc", 22]}, 400),
    ({"driver": "l298", "pins": [17, 27, 22]}, 400),
    ({"min_position": 500, "max_position": 100}, 400),
    ({"max_position": -5}, 400),
    ({"speed": 0}, 400),
    ({"speed": 9000}, 400),
    ({"backlash": -1}, 400),
    ({"reverse": "sometimes"}, 400),
    ({"turbo": True}, 400),
    ({"driver": "uln2003"}, 400),  # the a4988's three pins do not fit it
]


@pytest.mark.parametrize("payload, code", BAD_CONFIG)
async def test_bad_configuration_is_refused_and_changes_nothing(gpio_svc, bus, nc, raw,
                                                               payload, code):
    before = await configure(bus, **A4988, backlash=5)
    kv = await bucket(nc, "zenith-focuser")
    saved = (await kv.get(f"{CAMERA}.settings")).value
    status_code, body = await raw(focuser.CONFIGURE, payload)
    assert status_code == code and body["error"]["message"]
    assert await status(bus) == before
    assert (await kv.get(f"{CAMERA}.settings")).value == saved


@pytest.mark.parametrize("payload", [b"[]", b"nope", b'"a4988"'])
async def test_configure_payload_not_an_object(gpio_svc, raw, payload):
    code, body = await raw(focuser.CONFIGURE, payload)
    assert code == 400 and body["error"]["code"] == "invalid_json"


async def test_moves_count_steps_and_set_direction(gpio_svc, bus, factory):
    await configure(bus, **A4988)
    step = factory.pin(STEP)
    step.clear_states()
    st = await move(bus, steps=50)
    assert (st.position, st.target, st.moving) == (50, 50, False)
    assert rising(step) == 50 and factory.pin(DIR).state == 1
    assert factory.pin(ENABLE).state == 1  # released after the move
    step.clear_states()
    st = await move(bus, position=20)
    assert st.position == 20 and rising(step) == 30 and factory.pin(DIR).state == 0
    step.clear_states()
    st = await move(bus, position=20)
    assert st.position == 20 and rising(step) == 0


async def test_hold_keeps_the_driver_enabled(gpio_svc, bus, factory):
    await configure(bus, **A4988, hold=True)
    assert factory.pin(ENABLE).state == 0
    await move(bus, steps=3)
    assert factory.pin(ENABLE).state == 0


async def test_reverse_swaps_the_direction_pin(gpio_svc, bus, factory):
    await configure(bus, **A4988, reverse=True)
    st = await move(bus, steps=10)
    assert st.position == 10 and factory.pin(DIR).state == 0


async def test_moves_beyond_the_soft_limits_are_refused_and_change_nothing(gpio_svc, bus,
                                                                          factory, raw):
    await configure(bus, **A4988, min_position=0, max_position=100)
    await move(bus, position=60)
    factory.pin(STEP).clear_states()
    for payload, side in [({"position": 101}, "max_position=100"),
                          ({"steps": 41}, "max_position=100"),
                          ({"steps": -61}, "min_position=0"),
                          ({"position": -1}, "min_position=0")]:
        code, body = await raw(focuser.MOVE, payload)
        assert code == 400 and body["error"]["code"] == "beyond_limits"
        assert side in body["error"]["message"]
    st = await status(bus)
    assert st.position == 60 and not st.moving
    assert rising(factory.pin(STEP)) == 0


@pytest.mark.parametrize("payload", [{}, {"steps": 1, "position": 2}, {"steps": "x"},
                                     {"steps": 1, "speed": 0}, {"steps": 1, "speed": 1e6},
                                     {"position": 10**9}])
async def test_move_needs_one_valid_target(gpio_svc, bus, raw, payload):
    await configure(bus, **A4988)
    code, body = await raw(focuser.MOVE, payload)
    assert code == 400 and body["error"]["code"] == "invalid_request"
    assert (await status(bus)).position == 0


async def test_a_focuser_without_pins_cannot_move(gpio_svc, raw):
    code, body = await raw(focuser.MOVE, {"steps": 5})
    assert code == 409 and body["error"]["code"] == "focuser_not_configured"


async def test_stop_halts_a_move_within_a_step(gpio_svc, bus, nc, factory, raw):
    await configure(bus, **{**A4988, "speed": 200})
    step = factory.pin(STEP)
    step.clear_states()
    st = await bus.request(focuser.MOVE, {"position": 5000}, camera=CAMERA)
    assert st.moving and st.target == 5000

    async def some_steps() -> bool:
        return (await status(bus)).position >= 5

    await wait_until(some_steps)
    code, body = await raw(focuser.MOVE, {"steps": 10})
    assert code == 409 and body["error"]["code"] == "focuser_moving"
    stopped = await bus.request(focuser.STOP, {}, camera=CAMERA)
    assert not stopped.moving and 5 <= stopped.position < 5000
    assert stopped.target == stopped.position
    assert rising(step) == stopped.position  # the count is the motor's
    await asyncio.sleep(0.1)
    assert (await status(bus)).position == stopped.position
    assert rising(step) == stopped.position
    event = await last_event(nc)
    assert (event.position, event.moving) == (stopped.position, False)
    kv = await bucket(nc, "zenith-focuser")
    assert json.loads((await kv.get(f"{CAMERA}.position")).value)["position"] == \
        stopped.position


async def test_backlash_overshoots_inward_moves_and_comes_back_out(gpio_svc, bus, factory):
    await configure(bus, **A4988, backlash=20)
    step, direction = factory.pin(STEP), factory.pin(DIR)
    await move(bus, position=1000)
    step.clear_states()
    direction.clear_states()
    st = await move(bus, position=900)
    assert st.position == 900
    assert rising(step) == 100 + 20 + 20
    assert [bool(s.state) for s in direction.states] == [True, False, True]  # in, then out
    step.clear_states()
    st = await move(bus, position=950)
    assert st.position == 950 and rising(step) == 50  # outward: straight there


async def test_backlash_overshoot_stops_at_the_lower_limit(gpio_svc, bus, factory):
    await configure(bus, **A4988, backlash=50, min_position=0, max_position=1000)
    await move(bus, position=100)
    factory.pin(STEP).clear_states()
    st = await move(bus, position=30)
    assert st.position == 30 and rising(factory.pin(STEP)) == 100 + 30


async def test_the_uln2003_half_steps_its_four_coils(gpio_svc, bus, factory):
    pins = [5, 6, 13, 19]
    await configure(bus, driver="uln2003", pins=pins, speed=5000)
    for pin in pins:
        factory.pin(pin).clear_states()
    st = await move(bus, steps=8)
    assert st.position == 8
    # a full electrical cycle: each coil on twice (IN1 starts it and ends it) or once
    assert [rising(factory.pin(p)) for p in pins] == [2, 1, 1, 1]
    assert [factory.pin(p).state for p in pins] == [0, 0, 0, 0]  # coils released
    st = await move(bus, steps=-3)
    assert st.position == 5


async def test_sync_declares_the_position_without_moving(gpio_svc, bus, nc, factory, raw):
    await configure(bus, **A4988, max_position=1000)
    factory.pin(STEP).clear_states()
    st = await bus.request(focuser.SYNC, {"position": 500}, camera=CAMERA)
    assert st.position == 500 and rising(factory.pin(STEP)) == 0
    assert (await last_event(nc)).position == 500
    code, body = await raw(focuser.SYNC, {"position": 5000})
    assert code == 400 and body["error"]["code"] == "beyond_limits"
    code, body = await raw(focuser.SYNC, {})
    assert code == 400
    assert (await status(bus)).position == 500


async def test_position_event_follows_each_move(gpio_svc, bus, nc):
    assert (await last_event(nc)).position == 0  # published on start
    await configure(bus, **A4988)
    await move(bus, steps=42)
    event = await last_event(nc)
    assert event.camera == CAMERA and event.position == 42 and not event.moving


async def test_settings_and_position_survive_a_restart(gpio_svc, bus, nc, factory, raw):
    await configure(bus, driver="uln2003", pins=[5, 6, 13, 19], min_position=-50,
                    max_position=800, backlash=7, speed=4000, reverse=True)
    await move(bus, position=123)
    before = await status(bus)
    await gpio_svc.restart()
    after = await status(bus)
    assert after == before
    assert after.position == 123 and after.pins == [5, 6, 13, 19] and after.reverse
    code, _ = await raw(gpio.DIGITAL_SET, {"pin": 13, "state": "on"})
    assert code == 409
    assert (await last_event(nc)).position == 123
    st = await move(bus, steps=-173)
    assert st.position == -50


async def test_new_pins_free_the_old_ones_and_empty_pins_free_all(gpio_svc, bus, factory):
    await configure(bus, **A4988)
    await configure(bus, pins=[23, 24, 25])
    await bus.request(gpio.DIGITAL_SET, {"pin": 17, "state": "on"}, camera=CAMERA)
    pins = (await bus.request(gpio.ALL, {}, camera=CAMERA)).pins
    assert pins["D23"].reserved_by == "focuser" and pins["D17"].reserved_by is None
    st = await configure(bus, pins=[])
    assert st.pins == []
    await bus.request(gpio.PWM_SET, {"pin": 23, "duty": 5}, camera=CAMERA)
    assert factory.pin(23).frequency == 1000


async def test_configured_focuser_pins_win_over_saved_gpio_pins(gpio_svc, bus, factory):
    await bus.request(gpio.DIGITAL_SET, {"pin": 17, "state": "on"}, camera=CAMERA)
    await bus.request(gpio.DIGITAL_SET, {"pin": 5, "state": "on"}, camera=CAMERA)
    await gpio_svc.restart(gpio_focuser_pins=[17, 27, 22])
    pins = (await bus.request(gpio.ALL, {}, camera=CAMERA)).pins
    assert pins["D17"].reserved_by == "focuser" and pins["D5"].value == "on"
    assert (await status(bus)).pins == [17, 27, 22]
