"""The registry over the bus: cameras, owners, highlights, public location."""

from __future__ import annotations

import json

import pytest

from zenith.contracts import network as c
from zenith.errors import BadRequest, Conflict, NotFound
from zenith.runner import service_context
from zenith_network.main import serve

from .conftest import add_user, camera_body


async def test_add_show_list_edit_remove(network, bus):
    added = await bus.request(c.CAMERA_ADD, camera_body("alpha"))
    assert added.id == "alpha" and added.code == "ZEN001"
    assert added.enabled and not added.online and added.last_upload_at is None
    second = await bus.request(c.CAMERA_ADD, camera_body("beta", code="ASK042"))
    assert second.code == "ASK042"
    third = await bus.request(c.CAMERA_ADD, camera_body("gamma"))
    assert third.code not in ("ZEN001", "ASK042")

    shown = await bus.request(c.CAMERA_GET, {"camera": "alpha"})
    assert shown.location.timezone == "Europe/Amsterdam"
    assert shown.hardware.lens == "1.55 mm"
    assert (await bus.request(c.CAMERA_BY_CODE, {"code": "ASK042"})).id == "beta"
    listed = await bus.request(c.CAMERA_LIST, {})
    assert [cam.id for cam in listed.cameras] == ["alpha", "beta", "gamma"]

    edited = await bus.request(c.CAMERA_EDIT, {"camera": "alpha", "name": "Roof",
                                               "enabled": False})
    assert edited.name == "Roof" and not edited.enabled and edited.site == "Hill"
    assert edited.updated_at > added.updated_at
    disabled = await bus.request(c.CAMERA_LIST, {"enabled": False})
    assert [cam.id for cam in disabled.cameras] == ["alpha"]

    await bus.request(c.CAMERA_REMOVE, {"camera": "beta"})
    with pytest.raises(NotFound) as err:
        await bus.request(c.CAMERA_GET, {"camera": "beta"})
    assert err.value.code == "camera_not_found"


async def test_state_survives_a_restart(settings, auth, bus):
    async with service_context("network", settings, serve):
        await bus.request(c.CAMERA_ADD, camera_body("alpha"))
    async with service_context("network", settings, serve):
        assert (await bus.request(c.CAMERA_GET, {"camera": "alpha"})).code == "ZEN001"


@pytest.mark.parametrize("change", [
    {"id": "Not A Slug"},
    {"id": "../etc"},
    {"code": "ask042"},
    {"name": "<script>"},
    {"location": {"latitude": 91, "longitude": 0}},
    {"location": {"latitude": 10, "longitude": 0, "timezone": "Mars/Olympus"}},
    {"location": {"latitude": 10, "longitude": 0, "precision": "100m"}},
    {"owners": ["bad user!"]},
    {"unexpected": True},
])
async def test_bad_cameras_are_refused_and_nothing_is_stored(network, bus, change):
    with pytest.raises(BadRequest):
        await bus.request(c.CAMERA_ADD, {**camera_body("alpha"), **change})
    assert (await bus.request(c.CAMERA_LIST, {})).cameras == []


async def test_raw_malformed_payloads_get_json_400(network, nc):
    for payload in (b"not json", b"[1]", b'{"id": 5}', b"null"):
        msg = await nc.request(c.CAMERA_ADD.subject, payload, timeout=5)
        assert json.loads(msg.data)["error"]["code"] in ("invalid_json", "invalid_request")
        assert msg.headers["Nats-Service-Error-Code"] == "400"


async def test_duplicates_conflict(network, bus):
    await bus.request(c.CAMERA_ADD, camera_body("alpha", code="ASK001"))
    with pytest.raises(Conflict) as err:
        await bus.request(c.CAMERA_ADD, camera_body("alpha", code="ASK002"))
    assert err.value.code == "camera_exists"
    with pytest.raises(Conflict) as err:
        await bus.request(c.CAMERA_ADD, camera_body("beta", code="ASK001"))
    assert err.value.code == "code_taken"
    await bus.request(c.CAMERA_ADD, camera_body("beta", code="ASK002"))
    with pytest.raises(Conflict):
        await bus.request(c.CAMERA_EDIT, {"camera": "beta", "code": "ASK001"})
    assert (await bus.request(c.CAMERA_GET, {"camera": "beta"})).code == "ASK002"
    with pytest.raises(BadRequest) as err:
        await bus.request(c.CAMERA_EDIT, {"camera": "beta"})
    assert err.value.code == "no_change"
    with pytest.raises(NotFound):
        await bus.request(c.CAMERA_EDIT, {"camera": "nope", "name": "x"})


async def test_owners_are_auth_users(network, bus):
    await add_user(bus, "alice")
    await bus.request(c.CAMERA_ADD, camera_body("alpha"))
    with pytest.raises(NotFound) as err:
        await bus.request(c.OWNER_ADD, {"camera": "alpha", "username": "mallory"})
    assert err.value.code == "user_not_found"
    with pytest.raises(NotFound):
        await bus.request(c.CAMERA_ADD, camera_body("beta", owners=["mallory"]))
    cam = await bus.request(c.OWNER_ADD, {"camera": "alpha", "username": "alice"})
    assert cam.owners == ["alice"]
    cam = await bus.request(c.OWNER_ADD, {"camera": "alpha", "username": "alice"})
    assert cam.owners == ["alice"]
    mine = await bus.request(c.CAMERA_LIST, {"owner": "alice"})
    assert [x.id for x in mine.cameras] == ["alpha"]
    cam = await bus.request(c.OWNER_REMOVE, {"camera": "alpha", "username": "alice"})
    assert cam.owners == []
    with pytest.raises(NotFound) as err:
        await bus.request(c.OWNER_REMOVE, {"camera": "alpha", "username": "alice"})
    assert err.value.code == "not_an_owner"


async def test_highlights_and_what_retention_must_keep(network, bus):
    await bus.request(c.CAMERA_ADD, camera_body("alpha"))
    key = "products/alpha/2026-11-09/keogram.jpg"
    h = await bus.request(c.HIGHLIGHT_ADD, {"camera": "alpha", "product":
                                            "alpha:2026-11-09:keogram", "key": key,
                                            "category": "aurora", "title": "Red glow"})
    assert h.active and h.category == "aurora"
    with pytest.raises(NotFound):
        await bus.request(c.HIGHLIGHT_ADD, {"camera": "nope", "product": "x", "key": key,
                                            "category": "aurora"})
    with pytest.raises(BadRequest):
        await bus.request(c.HIGHLIGHT_ADD, {"camera": "alpha", "product": "x",
                                            "key": "../../etc/passwd", "category": "aurora"})
    listed = await bus.request(c.HIGHLIGHT_LIST, {"camera": "alpha"})
    assert [x.id for x in listed.highlights] == [h.id]
    hidden = await bus.request(c.HIGHLIGHT_SET_ACTIVE, {"id": h.id, "active": False})
    assert not hidden.active
    assert (await bus.request(c.HIGHLIGHT_LIST, {"active": True})).highlights == []
    other = "products/alpha/2026-11-10/keogram.jpg"
    found = await bus.request(c.HIGHLIGHTS_REFERENCED, {"keys": [other, key]})
    assert found.referenced == [key]  # hidden highlights still keep their blob
    await bus.request(c.HIGHLIGHT_REMOVE, {"id": h.id})
    assert (await bus.request(c.HIGHLIGHTS_REFERENCED, {"keys": [key]})).referenced == []
    with pytest.raises(NotFound):
        await bus.request(c.HIGHLIGHT_REMOVE, {"id": h.id})


def test_public_location_precision():
    loc = c.Location(latitude=52.371234, longitude=4.894567, elevation=12,
                     timezone="Europe/Amsterdam", precision="exact")
    exact = c.public_location(loc)
    assert exact is not None and (exact.latitude, exact.longitude) == (52.371234, 4.894567)
    assert c.public_location(loc.model_copy(update={"precision": "hidden"})) is None
    for precision, limit_km in (("1km", 1.6), ("10km", 16)):
        shown = c.public_location(loc.model_copy(update={"precision": precision}))
        assert shown is not None and shown.elevation is None
        dlat_km = abs(shown.latitude - loc.latitude) * 111
        assert 0 < dlat_km < limit_km
        # nearby points share the cell: averaging answers does not sharpen it
        near = c.public_location(loc.model_copy(update={
            "precision": precision, "latitude": loc.latitude + 0.0001}))
        assert near == shown
