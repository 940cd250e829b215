"""``GET /api/openapi.json``: every route, schemas from the contracts, real answers fit it."""

from __future__ import annotations

from typing import Any

import pytest
from jsonschema import Draft202012Validator

from tests.services.web.webstack import WebUnderTest
from zenith_web.routes import ROUTES

pytestmark = pytest.mark.asyncio(loop_scope="package")


async def document(web: WebUnderTest) -> dict[str, Any]:
    async with web.remote().get("/api/openapi.json") as resp:  # public
        assert resp.status == 200
        return await resp.json()  # type: ignore[no-any-return]


def refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return found + [r for value in node.values() for r in refs(value)]
    if isinstance(node, list):
        return [r for value in node for r in refs(value)]
    return []


def validator_for(doc: dict[str, Any], path: str, method: str,
                  status: str = "200") -> Draft202012Validator:
    schema = doc["paths"][path][method]["responses"][status]["content"]["application/json"][
        "schema"]
    return Draft202012Validator({**schema, "components": doc["components"]})


async def test_every_route_is_documented(web: WebUnderTest) -> None:
    doc = await document(web)
    assert doc["openapi"] == "3.1.0"
    documented = {(m.upper(), p) for p, ops in doc["paths"].items() for m in ops}
    assert documented == {(r.method, r.path) for r in ROUTES}
    for path in ("/login", "/token/refresh", "/logout", "/healthz", "/allsky/status",
                 "/allsky/start", "/allsky/restart", "/allsky/stopall", "/allsky/stopallsky",
                 "/gpio/all", "/gpio/digital/{pin}", "/gpio/digital", "/gpio/pwm",
                 "/gpio/status", "/onewire/devices", "/i2c/devices", "/focuser/status",
                 "/focuser/move", "/focuser/stop", "/focuser/sync", "/focuser/configure",
                 "/focuser/autofocus", "/api/openapi.json", "/metrics"):
        assert path in doc["paths"], path


async def test_schemas_are_valid_and_every_ref_resolves(web: WebUnderTest) -> None:
    doc = await document(web)
    schemas = doc["components"]["schemas"]
    for name, schema in schemas.items():
        Draft202012Validator.check_schema(schema)
        assert name
    for ref in refs(doc):
        assert ref.startswith("#/components/schemas/")
        assert ref.rsplit("/", 1)[1] in schemas, ref
    # the request body of POST /gpio/pwm is the contract's PwmSet
    body = doc["paths"]["/gpio/pwm"]["post"]["requestBody"]["content"]["application/json"]
    pwm = schemas[body["schema"]["$ref"].rsplit("/", 1)[1]]
    assert pwm["properties"]["duty"]["maximum"] == 65535
    assert doc["paths"]["/gpio/pwm"]["post"]["x-permission"] == "gpio:update"


async def test_security_follows_the_access_rules(web: WebUnderTest) -> None:
    doc = await document(web)
    assert set(doc["components"]["securitySchemes"]) == {"bearer", "cookie", "csrf"}
    assert doc["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    assert doc["components"]["securitySchemes"]["cookie"]["in"] == "cookie"
    assert doc["paths"]["/allsky/stopall"]["get"]["security"] == [{"bearer": []}]
    assert doc["paths"]["/allsky/stopall"]["post"]["security"] == [
        {"bearer": []}, {"cookie": [], "csrf": []}]
    assert doc["paths"]["/gpio/all"]["get"]["security"] == [{"bearer": []}, {"cookie": []}]
    assert doc["paths"]["/healthz"]["get"]["security"] == []
    assert doc["paths"]["/focuser/status"]["get"]["x-permission"] == "focuser:read"


@pytest.mark.usefixtures("gpio_service", "capture_service")
async def test_real_answers_fit_the_document(web: WebUnderTest) -> None:
    doc = await document(web)
    client = web.local()
    checks = [("GET", "/gpio/all", None, "/gpio/all"),
              ("POST", "/gpio/digital", {"pin": 12, "state": "off"}, "/gpio/digital"),
              ("POST", "/gpio/pwm", {"pin": 12, "duty": 1000}, "/gpio/pwm"),
              ("GET", "/gpio/digital/4", None, "/gpio/digital/{pin}"),
              ("GET", "/gpio/status", None, "/gpio/status"),
              ("GET", "/allsky/status", None, "/allsky/status"),
              ("GET", "/focuser/status", None, "/focuser/status"),
              ("GET", "/i2c/devices", None, "/i2c/devices")]
    for method, path, body, template in checks:
        async with client.request(method, path, json=body) as resp:
            assert resp.status == 200, path
            answer = await resp.json()
        validator_for(doc, template, method.lower()).validate(answer)
    async with client.post("/gpio/digital", json={"pin": 99}) as resp:
        assert resp.status == 400
        validator_for(doc, "/gpio/digital", "post", "400").validate(await resp.json())


@pytest.mark.usefixtures("gpio_service")
async def test_parameters_are_the_models_and_the_api_agrees(web: WebUnderTest) -> None:
    doc = await document(web)
    [pin] = doc["paths"]["/gpio/digital/{pin}"]["get"]["parameters"]
    assert pin["in"] == "path" and pin["required"] is True
    schema = Draft202012Validator(pin["schema"])
    client = web.local()
    for value, documented in (("gpio23", True), ("D18", True), ("7", True), ("BCM34", False),
                              ("GPIO-1", False), ("28", False)):
        assert schema.is_valid(value) is documented, value
        async with client.get(f"/gpio/digital/{value}") as resp:
            # accepted (200, or 409 for a pin another test left in PWM mode) or refused
            assert (resp.status != 400) is documented, (value, resp.status)
    frame = doc["paths"]["/focuser/frame.jpg"]["get"]["parameters"]
    assert {"max_width", "quality", "exposure_s", "t"} <= {p["name"] for p in frame}
    assert all(p["in"] == "query" and not p["required"] for p in frame)


async def test_every_status_a_route_can_answer_is_documented(web: WebUnderTest) -> None:
    doc = await document(web)
    login = doc["paths"]["/login"]["post"]["responses"]
    for status in ("200", "400", "401", "403", "413", "415", "429", "500", "503", "504"):
        assert status in login, status
        if status != "200":
            assert login[status]["content"]["application/json"]["schema"]["$ref"].endswith(
                "/ErrorReply")
    assert "Retry-After" in login["429"]["headers"]
    pwm = doc["paths"]["/gpio/pwm"]["post"]["responses"]
    assert {"401", "403", "409", "413", "415", "503"} <= set(pwm)
    assert "413" not in doc["paths"]["/gpio/all"]["get"]["responses"]  # no body, no 413
