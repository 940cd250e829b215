"""The Allsky GPIO routes end to end: HTTP -> web -> NATS -> gpio (mock pins) -> back."""

from __future__ import annotations

from typing import Any

import pytest

from tests.services.web.webstack import WebUnderTest

pytestmark = [pytest.mark.asyncio(loop_scope="package"), pytest.mark.usefixtures("gpio_service")]


async def get(web: WebUnderTest, path: str) -> tuple[int, Any]:
    async with web.local().get(path) as resp:
        return resp.status, await resp.json()


async def post(web: WebUnderTest, path: str, body: Any = None, data: bytes | None = None,
               headers: dict[str, str] | None = None) -> tuple[int, Any]:
    kwargs: dict[str, Any] = {"json": body} if data is None else {"data": data}
    async with web.local().post(path, headers=headers, **kwargs) as resp:
        return resp.status, await resp.json()


async def pins(web: WebUnderTest) -> dict[str, Any]:
    status, body = await get(web, "/gpio/all")
    assert status == 200
    return body  # type: ignore[no-any-return]


async def test_all_lists_every_pin_at_the_top_level(web: WebUnderTest) -> None:
    body = await pins(web)
    assert sorted(body, key=lambda k: int(k[1:])) == [f"D{n}" for n in range(28)]
    assert body["D17"]["mode"] == "unused"
    assert body["D5"]["reserved_by"] == "focuser"


async def test_set_digital_then_read_and_list(web: WebUnderTest) -> None:
    status, body = await post(web, "/gpio/digital", {"pin": 17, "state": "on", "name": "Fan"})
    assert (status, body) == (200, {"pin": 17, "state": "on"})
    status, body = await get(web, "/gpio/digital/17")
    assert (status, body) == (200, {"pin": 17, "value": "on"})
    assert (await pins(web))["D17"] == {"mode": "digital-output", "value": "on",
                                        "frequency": None, "duty": None, "name": "Fan",
                                        "reserved_by": None}
    status, body = await get(web, "/gpio/status")
    assert status == 200
    assert body["digital"]["17"] == "on"
    status, body = await post(web, "/gpio/digital", {"pin": "D17", "state": "off"})
    assert (status, body) == (200, {"pin": 17, "state": "off"})


async def test_pwm_then_status(web: WebUnderTest) -> None:
    status, body = await post(web, "/gpio/pwm", {"pin": 18, "frequency": 500, "duty": 32768})
    assert status == 200
    assert body == {"pin": 18, "frequency": 500, "duty": 32768, "duty_percent": 50.0}
    status, body = await get(web, "/gpio/status")
    assert body["pwm"]["18"] == {"frequency": 500, "duty": 32768}
    assert (await pins(web))["D18"]["mode"] == "pwm"
    # reading a PWM pin as digital is a conflict, answered as such
    status, body = await get(web, "/gpio/digital/18")
    assert status == 409
    assert body["error"]["code"]


async def test_release_returns_a_pin_to_unused(web: WebUnderTest) -> None:
    await post(web, "/gpio/digital", {"pin": 27, "state": "on"})
    status, body = await post(web, "/gpio/release", {"pin": 27})
    assert status == 200
    assert body["mode"] == "unused"
    assert (await pins(web))["D27"]["mode"] == "unused"


@pytest.mark.parametrize("path, body, field", [
    ("/gpio/digital", {"pin": 28, "state": "on"}, "pin"),
    ("/gpio/digital", {"pin": "abc", "state": "on"}, "pin"),
    ("/gpio/digital", {"pin": 1.5, "state": "on"}, "pin"),
    ("/gpio/digital", {"pin": True, "state": "on"}, "pin"),
    ("/gpio/digital", {"pin": 22, "state": "maybe"}, "state"),
    ("/gpio/digital", {"pin": 22}, "state"),
    ("/gpio/digital", {"state": "on"}, "pin"),
    ("/gpio/digital", {"pin": 22, "state": "on", "colour": "red"}, "colour"),
    ("/gpio/digital", {"pin": 22, "state": "on", "name": "<script>"}, "name"),
    ("/gpio/pwm", {"pin": 22, "duty": 70000}, "duty"),
    ("/gpio/pwm", {"pin": 22, "duty": -1}, "duty"),
    ("/gpio/pwm", {"pin": 22, "duty": 100, "frequency": 0}, "frequency"),
    ("/gpio/pwm", {"pin": 22, "duty": 100, "frequency": -50}, "frequency"),
    ("/gpio/pwm", {"pin": 22}, "duty"),
    ("/gpio/pwm", {"pin": 99, "duty": 100}, "pin"),
    ("/gpio/pwm", {"pin": 22, "duty": False}, "duty"),  # a boolean is not 0
    ("/gpio/pwm", {"pin": 22, "duty": 100, "frequency": True}, "frequency"),
])
async def test_bad_input_is_a_400_naming_the_field_and_changes_nothing(
        web: WebUnderTest, path: str, body: dict[str, Any], field: str) -> None:
    before = await pins(web)
    status, reply = await post(web, path, body)
    assert status == 400
    assert reply["error"]["code"] == "invalid_request"
    assert field in reply["error"]["message"]
    assert await pins(web) == before


@pytest.mark.parametrize("data, code", [
    (b"not json", "invalid_json"),
    (b"[22, \"on\"]", "invalid_json"),
    (b"\"on\"", "invalid_json"),
    (b"{\"pin\": 22, ", "invalid_json"),
    (b"", "invalid_request"),
    (b"\xff\xfe", "invalid_json"),
])
async def test_bodies_that_are_not_a_json_object(web: WebUnderTest, data: bytes,
                                                 code: str) -> None:
    before = await pins(web)
    status, reply = await post(web, "/gpio/digital", data=data,
                               headers={"Content-Type": "application/json"})
    assert status == 400
    assert reply["error"]["code"] == code
    assert await pins(web) == before


@pytest.mark.parametrize("pin", ["99", "abc", "D", "-1", "1.5", "GPIO28"])
async def test_reading_a_bad_pin_is_a_400(web: WebUnderTest, pin: str) -> None:
    status, body = await get(web, f"/gpio/digital/{pin}")
    assert status == 400
    assert "pin" in body["error"]["message"]


async def test_focuser_pins_are_refused_with_409(web: WebUnderTest) -> None:
    status, body = await post(web, "/gpio/digital", {"pin": 5, "state": "on"})
    assert status == 409
    assert body["error"]["code"] == "pin_reserved"
    assert (await pins(web))["D5"]["reserved_by"] == "focuser"


async def test_discovery_routes(web: WebUnderTest) -> None:
    status, body = await get(web, "/onewire/devices")
    assert status == 200
    assert isinstance(body["devices"], list)
    status, body = await get(web, "/i2c/devices")
    assert status == 200
    assert isinstance(body["devices"], list)
