"""BusService and BusClient against a real nats-server."""

from __future__ import annotations

import json

import pytest
from pydantic import Field

from zenith.bus import BusClient, BusService
from zenith.contracts.base import ENDPOINTS, Endpoint, Message
from zenith.errors import BadRequest, Conflict, Internal, Unavailable


class AddRequest(Message):
    a: int
    b: int = Field(0, ge=0)


class AddReply(Message):
    sum: int
    camera: str


ADD = Endpoint(service="calc", name="add", subject="zenith.node.{camera}.calc.add",
               request=AddRequest, reply=AddReply, summary="Add two numbers.")
ENDPOINTS.pop("calc.add")  # a test declaration: keep it out of the catalogue


@pytest.fixture
async def calc(nc):
    svc = await BusService.start(nc, "calc", "test calculator", camera="cam-1")

    async def add(call):
        if call.body.a == 13:
            raise Conflict("unlucky", code="unlucky")
        if call.body.a == 666:
            raise RuntimeError("boom")
        return AddReply(sum=call.body.a + call.body.b, camera=call.camera)

    await svc.serve(ADD, add)
    yield svc
    await svc.stop()


async def test_typed_request_and_reply(calc, bus: BusClient):
    reply = await bus.request(ADD, {"a": 2, "b": 3}, camera="cam-1")
    assert reply == AddReply(sum=5, camera="cam-1")


async def test_raw_json_like_the_nats_cli(calc, nc):
    msg = await nc.request("zenith.node.cam-1.calc.add", b'{"a": 40, "b": 2}', timeout=2)
    assert json.loads(msg.data) == {"sum": 42, "camera": "cam-1"}


@pytest.mark.parametrize("payload, field", [
    (b"not json", "invalid_json"),
    (b"[1, 2]", "invalid_json"),
    (b'{"b": 1}', "invalid_request"),
    (b'{"a": "x"}', "invalid_request"),
    (b'{"a": 1, "b": -1}', "invalid_request"),
    (b'{"a": 1, "extra": true}', "invalid_request"),
    (b"\xff\xfe", "invalid_json"),
    (b"[" * 100_000 + b"]" * 100_000, "invalid_json"),
    (b'{"a": ' + b"9" * 5000 + b"}", "invalid_json"),
])
async def test_malformed_payload_gets_json_error_and_service_keeps_serving(calc, nc, payload,
                                                                           field):
    msg = await nc.request("zenith.node.cam-1.calc.add", payload, timeout=2)
    body = json.loads(msg.data)
    assert body["error"]["code"] == field
    assert msg.headers["Nats-Service-Error-Code"] == "400"
    ok = await nc.request("zenith.node.cam-1.calc.add", b'{"a": 1}', timeout=2)
    assert json.loads(ok.data)["sum"] == 1


async def test_domain_and_unexpected_errors_are_typed(calc, bus: BusClient):
    with pytest.raises(Conflict) as info:
        await bus.request(ADD, {"a": 13}, camera="cam-1")
    assert info.value.code == "unlucky"
    with pytest.raises(Exception) as boom:
        await bus.request(ADD, {"a": 666}, camera="cam-1")
    assert getattr(boom.value, "status", None) == 500
    assert "boom" not in str(boom.value)  # no repr of internals crosses the wire


async def test_no_responder_is_unavailable_not_a_timeout(nc, bus: BusClient):
    with pytest.raises(Unavailable):
        await bus.request(ADD, {"a": 1}, camera="nobody", timeout=1)


async def test_client_side_validation(bus: BusClient):
    with pytest.raises(BadRequest):
        await bus.request(ADD, {"a": "nope"}, camera="cam-1")
    with pytest.raises(BadRequest):
        await bus.request(ADD, {"a": 1}, camera="Not A Slug")


async def test_info_lists_endpoints_with_schemas(calc, nc):
    msg = await nc.request("$SRV.INFO.calc", b"", timeout=2)
    info = json.loads(msg.data)
    assert info["name"] == "calc"
    [endpoint] = info["endpoints"]
    assert endpoint["subject"] == "zenith.node.cam-1.calc.add"
    assert "a" in json.loads(endpoint["metadata"]["request_schema"])["properties"]


async def stats(nc, service: str) -> dict:
    """The raw ``$SRV.STATS`` answer of ``service`` (what ``nats micro stats`` shows)."""
    msg = await nc.request(f"$SRV.STATS.{service}", b"", timeout=2)
    [endpoint] = json.loads(msg.data)["endpoints"]
    return endpoint


async def test_failed_requests_count_as_errors_in_srv_stats(calc, nc, bus: BusClient):
    await bus.request(ADD, {"a": 1}, camera="cam-1")
    before = await stats(nc, "calc")
    assert before["num_requests"] == 1 and before["num_errors"] == 0

    with pytest.raises(Conflict):
        await bus.request(ADD, {"a": 13}, camera="cam-1")
    msg = await nc.request("zenith.node.cam-1.calc.add", b"not json", timeout=2)
    assert msg.headers["Nats-Service-Error-Code"] == "400"
    assert json.loads(msg.data)["error"]["code"] == "invalid_json"  # the body, not only headers
    with pytest.raises(Internal):
        await bus.request(ADD, {"a": 666}, camera="cam-1")

    after = await stats(nc, "calc")
    assert after["num_requests"] == 4
    assert after["num_errors"] == 3
    assert "500" in after["last_error"] and "boom" not in after["last_error"]


async def test_concurrent_endpoint_time_covers_the_handler(nc):
    import asyncio

    svc = await BusService.start(nc, "calc", "test calculator", camera="cam-2")

    async def slow_add(call):
        await asyncio.sleep(0.2)
        if call.body.a == 13:
            raise Conflict("unlucky", code="unlucky")
        return AddReply(sum=call.body.a + call.body.b, camera=call.camera)

    await svc.serve(ADD, slow_add, concurrent=True)
    try:
        bus = BusClient(nc, timeout=5)
        replies = await asyncio.gather(
            bus.request(ADD, {"a": 1}, camera="cam-2"),
            bus.request(ADD, {"a": 13}, camera="cam-2"), return_exceptions=True)
        assert isinstance(replies[1], Conflict)
        endpoint = await stats(nc, "calc")
        assert endpoint["num_requests"] == 2 and endpoint["num_errors"] == 1
        assert endpoint["processing_time"] >= 2 * 0.2e9  # nanoseconds, both handlers' sleep
    finally:
        await svc.stop()
