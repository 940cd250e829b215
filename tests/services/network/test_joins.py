"""Join requests on the bus: submit (limited per address, bad input refused and
nothing stored), approve (owner account, camera, key; mail through a real
aiosmtpd server; undone when a step fails), reject, and ``zenith join``."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.smtp import Inbox, smtp_server
from zenith.bus.client import BusClient
from zenith.cli.nats_server import NatsServer
from zenith.contracts import admin, auth, camerakeys, joins, network
from zenith.errors import BadRequest, Conflict, TooManyRequests
from zenith.runner import ServiceContext, service_context
from zenith_network.cli_audit import cli_actor
from zenith_network.main import serve
from zenith_network.settings import NetworkSettings

from .conftest import network_settings
from .test_cli import run_cli

FORM = {"name": "Ada Sky", "email": "ada@example.org", "location": "Hilltop, Wales",
        "link": "https://ada.example.org/allsky", "notes": "IMX477 with a fisheye."}
ADMIN = {"Zenith-User": "root-admin"}


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    with smtp_server() as server:
        yield server


@pytest.fixture
async def mailing(tmp_path: Path, nats_server: NatsServer, auth: Any,
                  smtp: tuple[Inbox, int]) -> AsyncIterator[ServiceContext[NetworkSettings]]:
    settings = network_settings(tmp_path, nats_server.url, network_smtp_host="127.0.0.1",
                                network_smtp_port=smtp[1], network_smtp_starttls=False,
                                network_public_url="https://hub.example.org",
                                network_join_max_per_address=2)
    async with service_context("network", settings, serve) as ctx:
        yield ctx


def submit(ip: str = "192.0.2.10", **extra: Any) -> dict[str, Any]:
    return {**FORM, "client_ip": ip, **extra}


def approve_body(join_id: str, **extra: Any) -> dict[str, Any]:
    return {"id": join_id, "username": "ada", "camera": "hilltop", "camera_name": "Hilltop",
            "location": {"latitude": 52.1, "longitude": -3.9, "timezone": "Europe/London"},
            **extra}


async def test_submit_is_stored_limited_per_address_and_bad_input_stores_nothing(
        mailing: Any, bus: BusClient) -> None:
    got = await bus.request(joins.JOIN_SUBMIT, submit())
    listed = await bus.request(joins.JOIN_LIST, {}, headers=ADMIN)
    assert [r.id for r in listed.requests] == [got.id]
    stored = listed.requests[0]
    assert stored.status == "pending" and stored.email == FORM["email"]
    assert "192.0.2.10" not in stored.model_dump_json()  # only a keyed hash of the address

    for bad in ({"email": "not-an-address"}, {"link": "javascript:alert(1)"},
                {"name": ""}, {"notes": "x" * 2001}, {"name": "<script>"},
                {"extra": "field"}):
        with pytest.raises(BadRequest):
            await bus.request(joins.JOIN_SUBMIT, submit(**bad))
    assert len((await bus.request(joins.JOIN_LIST, {}, headers=ADMIN)).requests) == 1

    await bus.request(joins.JOIN_SUBMIT, submit())
    with pytest.raises(TooManyRequests):
        await bus.request(joins.JOIN_SUBMIT, submit())
    await bus.request(joins.JOIN_SUBMIT, submit(ip="198.51.100.7"))  # another address may
    assert len((await bus.request(joins.JOIN_LIST, {}, headers=ADMIN)).requests) == 3


async def test_approve_makes_owner_camera_and_key_and_mails_without_the_key(
        mailing: Any, bus: BusClient, smtp: tuple[Inbox, int]) -> None:
    inbox, _ = smtp
    got = await bus.request(joins.JOIN_SUBMIT, submit())
    done = await bus.request(joins.JOIN_APPROVE, approve_body(got.id), headers=ADMIN)
    assert done.request.status == "approved" and done.request.decided_by == "root-admin"
    assert done.emailed and done.request.emailed
    # the owner logs in with the one-time password, owns the camera, the key works
    pair = await bus.request(auth.LOGIN, {"username": "ada", "password": done.password})
    assert pair.user.username == "ada"
    camera = await bus.request(network.CAMERA_GET, {"camera": "hilltop"})
    assert camera.owners == ["ada"] and camera.code == done.code
    verdict = await bus.request(camerakeys.KEY_CHECK, {"credential": done.key})
    assert verdict.camera == "hilltop"
    # one mail, to the requester, with the password and without the key
    [(to, mail)] = inbox.messages
    body = mail.get_payload(decode=True).decode()
    assert to == [FORM["email"]] and done.code in mail["Subject"]
    assert done.password in body and "https://hub.example.org/login" in body
    assert done.key not in body
    # decided once only
    with pytest.raises(Conflict) as exc:
        await bus.request(joins.JOIN_APPROVE, approve_body(got.id, camera="other"),
                          headers=ADMIN)
    assert exc.value.code == "join_decided"
    entries = (await bus.request(admin.AUDIT_LIST, {}, headers=ADMIN)).entries
    assert [(e.actor, e.action, e.target) for e in entries] == [
        ("root-admin", "join.approve", got.id)]
    assert done.password not in entries[0].model_dump_json()
    assert done.key not in entries[0].model_dump_json()


async def test_the_key_is_mailed_only_when_the_admin_chooses(
        mailing: Any, bus: BusClient, smtp: tuple[Inbox, int]) -> None:
    inbox, _ = smtp
    got = await bus.request(joins.JOIN_SUBMIT, submit())
    done = await bus.request(joins.JOIN_APPROVE, approve_body(got.id, email_key=True),
                             headers=ADMIN)
    [(_, mail)] = inbox.messages
    assert done.key in mail.get_payload(decode=True).decode()


async def test_a_failed_approval_leaves_nothing_behind(mailing: Any, bus: BusClient) -> None:
    await bus.request(network.CAMERA_ADD, {"id": "taken", "name": "Taken", "code": "ASK001",
                                           "location": {"latitude": 1, "longitude": 1}})
    got = await bus.request(joins.JOIN_SUBMIT, submit())
    with pytest.raises(Conflict) as exc:  # the code belongs to another camera
        await bus.request(joins.JOIN_APPROVE, approve_body(got.id, code="ASK001"),
                          headers=ADMIN)
    assert exc.value.code == "code_taken"
    users = {u.username for u in (await bus.request(auth.USER_LIST, {})).users}
    assert "ada" not in users
    cameras = {c.id for c in (await bus.request(network.CAMERA_LIST, {})).cameras}
    assert cameras == {"taken"}
    assert (await bus.request(joins.JOIN_GET, {"id": got.id})).status == "pending"
    with pytest.raises(Conflict):
        await bus.request(joins.JOIN_APPROVE, approve_body(got.id, camera="taken"),
                          headers=ADMIN)
    # then it works
    done = await bus.request(joins.JOIN_APPROVE, approve_body(got.id), headers=ADMIN)
    assert done.camera == "hilltop"


async def test_reject_records_why_and_tells_the_requester(
        mailing: Any, bus: BusClient, smtp: tuple[Inbox, int]) -> None:
    inbox, _ = smtp
    got = await bus.request(joins.JOIN_SUBMIT, submit())
    with pytest.raises(BadRequest):
        await bus.request(joins.JOIN_REJECT, {"id": got.id, "reason": ""}, headers=ADMIN)
    done = await bus.request(joins.JOIN_REJECT, {"id": got.id, "reason": "Too close to ASK002."},
                             headers=ADMIN)
    assert done.status == "rejected" and done.reason == "Too close to ASK002."
    assert done.emailed
    [(_, mail)] = inbox.messages
    assert "Too close to ASK002." in mail.get_payload(decode=True).decode()
    with pytest.raises(Conflict):
        await bus.request(joins.JOIN_REJECT, {"id": got.id, "reason": "again"}, headers=ADMIN)


async def test_without_smtp_nothing_is_mailed(network: Any, bus: BusClient) -> None:
    got = await bus.request(joins.JOIN_SUBMIT, submit())
    done = await bus.request(joins.JOIN_APPROVE, approve_body(got.id), headers=ADMIN)
    assert not done.emailed and done.password and done.key


async def test_join_cli(network: Any, bus: BusClient, nats_server: NatsServer,
                        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
                        ) -> None:
    url = nats_server.url
    first = await bus.request(joins.JOIN_SUBMIT, submit())
    second = await bus.request(joins.JOIN_SUBMIT, submit(name="Bo Star"))
    code, out, _ = await run_cli(monkeypatch, capsys, url, "join", "list", "--status",
                                 "pending")
    assert code == 0 and first.id in out and "Bo Star" in out
    code, out, _ = await run_cli(monkeypatch, capsys, url, "join", "approve", first.id,
                                 "--username", "ada", "--camera", "hilltop", "--name",
                                 "Hilltop", "--lat", "52.1", "--lon", "-3.9")
    assert code == 0 and "one-time password:" in out and "zk_" in out
    code, out, _ = await run_cli(monkeypatch, capsys, url, "join", "reject", second.id,
                                 "--reason", "duplicate")
    assert code == 0 and f"Rejected {second.id}" in out
    code, _, err = await run_cli(monkeypatch, capsys, url, "join", "reject", second.id,
                                 "--reason", "again")
    assert code == 1 and "already rejected" in err
    entries = (await bus.request(admin.AUDIT_LIST, {})).entries
    actor = cli_actor()  # cli@<the OS user>
    assert actor.startswith("cli")
    assert [(e.actor, e.action) for e in entries] == [(actor, "join.reject"),
                                                      (actor, "join.approve")]
