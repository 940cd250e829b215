"""Autofocus over the bus, without a capture service running.

The sweep with real frames (the capture simulator, whose blur follows the
published focuser position) is exercised in tests/integration.
"""

from __future__ import annotations

import asyncio

import pytest

from tests.services.gpio.gpiotest import CAMERA
from zenith.contracts import focuser
from zenith.errors import Conflict, Unavailable

A4988 = {"driver": "a4988", "pins": [17, 27, 22]}


async def status(bus) -> focuser.Status:
    return await bus.request(focuser.STATUS, {}, camera=CAMERA)


async def test_without_capture_autofocus_is_503_and_the_focuser_goes_back(gpio_svc, bus):
    await bus.request(focuser.CONFIGURE, {**A4988, "speed": 5000, "backlash": 15},
                      camera=CAMERA)
    await bus.request(focuser.MOVE, {"position": 1000, "wait": True}, camera=CAMERA)
    with pytest.raises(Unavailable) as info:
        await bus.request(focuser.AUTOFOCUS, {}, camera=CAMERA, timeout=20)
    assert info.value.code == "capture_unavailable"
    assert "capture" in info.value.message
    st = await status(bus)
    assert st.position == 1000 and not st.moving
    assert st.autofocus is not None and not st.autofocus.running
    assert "capture" in st.autofocus.error and st.autofocus.finished_at is not None


async def test_a_second_autofocus_while_one_runs_is_409_and_stop_ends_it(gpio_svc, bus, raw):
    await bus.request(focuser.CONFIGURE, {**A4988, "speed": 100}, camera=CAMERA)
    await bus.request(focuser.SYNC, {"position": 3000}, camera=CAMERA)
    # the sweep starts 3000 steps away: half a minute of travel at 100 steps/s
    first = asyncio.create_task(bus.request(focuser.AUTOFOCUS, {"start": 0, "end": 600,
                                                                "step": 100},
                                            camera=CAMERA, timeout=60))
    for _ in range(250):
        st = await status(bus)
        if st.autofocus is not None and st.autofocus.running and st.moving:
            break
        await asyncio.sleep(0.02)
    assert st.autofocus.running and st.moving

    code, body = await raw(focuser.AUTOFOCUS, {})
    assert code == 409 and body["error"]["code"] == "autofocus_running"
    for endpoint, payload in [(focuser.MOVE, {"steps": 1}), (focuser.SYNC, {"position": 5}),
                              (focuser.CONFIGURE, {"backlash": 3})]:
        code, body = await raw(endpoint, payload)
        assert code == 409 and body["error"]["code"] == "autofocus_running", endpoint.name

    stopped = await bus.request(focuser.STOP, {}, camera=CAMERA)
    assert not stopped.moving and stopped.autofocus and not stopped.autofocus.running
    assert stopped.autofocus.error == "stopped"
    assert 0 < stopped.position < 3000  # left where the stop caught it
    with pytest.raises(Conflict) as info:
        await first
    assert info.value.code == "autofocus_stopped"
    assert (await status(bus)).position == stopped.position


@pytest.mark.parametrize("payload, code", [
    ({"start": -10, "end": 100}, "beyond_limits"),
    ({"start": 0, "end": 200_000}, "beyond_limits"),
    ({"start": 0, "end": 100, "step": 100}, "bad_sweep"),
    ({"start": 0, "end": 100_000, "step": 1}, "bad_sweep"),
    ({"start": 500}, "bad_sweep"),  # default end (current + range) is below it
    ({"start": 100, "end": 50}, "invalid_request"),
    ({"step": 0}, "invalid_request"),
    ({"exposure_s": 0}, "invalid_request"),
    ({"exposure_s": 61}, "invalid_request"),
    ({"shots": 3}, "invalid_request"),
])
async def test_bad_sweeps_are_400_and_nothing_moves(gpio_svc, bus, raw, payload, code):
    await bus.request(focuser.CONFIGURE, {**A4988, "max_position": 100_000}, camera=CAMERA)
    status_code, body = await raw(focuser.AUTOFOCUS, payload)
    assert status_code == 400 and body["error"]["code"] == code
    st = await status(bus)
    assert st.position == 0 and st.autofocus is None


async def test_autofocus_needs_a_configured_focuser(gpio_svc, raw):
    code, body = await raw(focuser.AUTOFOCUS, {})
    assert code == 409 and body["error"]["code"] == "focuser_not_configured"
