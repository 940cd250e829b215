"""Bus credentials: what a process without them, or with another service's,
can no longer do on a real nats-server (``zenith.bus.credentials``)."""

from __future__ import annotations

import asyncio
import json
import stat
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import nats
import pytest
from nats.aio.client import Client
from nats.errors import TimeoutError as NatsTimeout

from tests.support.fixtures import SecuredNats
from zenith.bus.client import BusClient
from zenith.bus.connect import connect
from zenith.bus.credentials import (
    CALLS,
    PUBLISHERS,
    bucket_owner,
    ensure_credentials,
    password_variable,
    permissions_for,
    read_credentials,
)
from zenith.bus.jetstream import bucket, ensure_jetstream
from zenith.cli.nats_server import NatsServer, free_port
from zenith.contracts import ENDPOINTS, EVENTS, auth, gpio
from zenith.contracts.services import service_names
from zenith.contracts.streams import BUCKETS
from zenith.runner import service_context
from zenith_auth.main import serve as auth_serve
from zenith_auth.settings import AuthSettings

GPIO_SET = gpio.DIGITAL_SET.subject_for(camera="demo")
ROOT = Path(__file__).resolve().parents[3]


class Client_:
    """A raw connection that records the server's permission errors."""

    def __init__(self) -> None:
        self.errors: list[str] = []

    async def connect(self, secured: SecuredNats, service: str | None) -> Client:
        async def on_error(exc: Exception) -> None:
            self.errors.append(str(exc))

        credential = secured.credential(service) if service else None
        return await connect(secured.url, name=f"test-{service}", credential=credential,
                             error_cb=on_error, allow_reconnect=False)

    async def violation(self, subject: str, timeout: float = 10.0) -> str:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while loop.time() < deadline:
            for error in self.errors:
                if "permissions violation" in error.lower() and subject.lower() in error.lower():
                    return error
            await asyncio.sleep(0.05)
        raise AssertionError(f"no permissions violation for {subject}: {self.errors}")


@pytest.fixture
async def admin(secured_nats_server: SecuredNats) -> AsyncIterator[Client]:
    nc = await connect(secured_nats_server.url, name="test-admin",
                       credential=secured_nats_server.credential("admin"))
    await ensure_jetstream(nc)
    yield nc
    await nc.close()


async def received(nc: Client, subject: str) -> Callable[[], list[bytes]]:
    got: list[bytes] = []

    async def on_msg(msg: Any) -> None:
        got.append(msg.data)

    await nc.subscribe(subject, cb=on_msg)
    await nc.flush()
    return lambda: got


# -- the files ----------------------------------------------------------------------------


def test_files_are_made_once_readable_by_the_owner_only(tmp_path: Path) -> None:
    first = ensure_credentials(tmp_path / "creds", "nats://127.0.0.1:4222")
    again = ensure_credentials(tmp_path / "creds", "nats://127.0.0.1:4222")
    assert first == again  # a second start reuses the passwords
    assert stat.S_IMODE((tmp_path / "creds").stat().st_mode) == 0o700
    for path in (tmp_path / "creds").iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    context = json.loads((tmp_path / "creds" / "zenith.json").read_text())
    assert context["url"] == "nats://127.0.0.1:4222" and context["user"] == "zenith-admin"
    assert read_credentials(tmp_path / "creds" / "gpio.json").user == "zenith-gpio"
    assert "password" not in repr(first["gpio"]) or "***" in repr(first["gpio"])
    assert first["gpio"].password not in repr(first)
    assert len({c.password for c in first.values()}) == len(first)


def test_every_event_has_a_publisher_and_every_call_an_endpoint() -> None:
    assert set(EVENTS) <= set(PUBLISHERS), "an event declares its publishers"
    assert {w for who in PUBLISHERS.values() for w in who} <= set(service_names())
    for spec in BUCKETS:
        assert bucket_owner(spec.name), f"{spec.name}: its owner is not a service"
    for caller, refs in CALLS.items():
        for ref in refs:
            assert ref in service_names() or ref in ENDPOINTS, (caller, ref)


def test_permissions_follow_the_contracts() -> None:
    gpio_perms = permissions_for("gpio")
    assert "zenith.node.*.gpio.digital.set" in gpio_perms.subscribe
    assert "zenith.status.*.focuser" in gpio_perms.publish  # its event
    assert "$KV.zenith-gpio.>" in gpio_perms.publish
    assert not any("zenith-auth" in s and "INFO" not in s and "CREATE" not in s
                   and "UPDATE" not in s for s in gpio_perms.publish)
    web = permissions_for("web")
    assert "zenith.node.*.gpio.digital.set" in web.publish  # web calls gpio
    assert "zenith.node.*.gpio.digital.set" not in web.subscribe
    assert "$KV.zenith-auth.>" not in web.publish  # reads revocations, writes nothing
    assert "$JS.API.DIRECT.GET.KV_zenith-auth" in web.publish
    assert not any(s.startswith("zenith.") for s in permissions_for("auth").publish)


# -- against a real server --------------------------------------------------------------------


async def test_without_credentials_nothing_connects(secured_nats_server: SecuredNats) -> None:
    with pytest.raises(nats.errors.Error, match="Authorization Violation"):
        await nats.connect(secured_nats_server.url, allow_reconnect=False,
                           max_reconnect_attempts=0, connect_timeout=2)
    with pytest.raises(nats.errors.Error, match="Authorization Violation"):
        await nats.connect(secured_nats_server.url, user="zenith-gpio", password="guess",
                           allow_reconnect=False, max_reconnect_attempts=0, connect_timeout=2)


async def test_another_service_cannot_command_the_gpio(secured_nats_server: SecuredNats,
                                                        admin: Client) -> None:
    got = await received(admin, "zenith.node.>")
    for service in ("products", "capture", "auth"):
        probe = Client_()
        nc = await probe.connect(secured_nats_server, service)
        try:
            await nc.publish(GPIO_SET, b'{"pin": 18, "state": "on"}')
            await nc.flush()
            await probe.violation(GPIO_SET)
        finally:
            await nc.close()
    # web may (it forwards the callers it has authorized); the message arrives
    web = await Client_().connect(secured_nats_server, "web")
    await web.publish(GPIO_SET, b'{"pin": 18, "state": "on"}')
    await web.flush()
    for _ in range(100):
        if got():
            break
        await asyncio.sleep(0.05)
    await web.close()
    assert got() == [b'{"pin": 18, "state": "on"}']


async def test_another_service_cannot_read_the_auth_bucket(secured_nats_server: SecuredNats,
                                                           admin: Client) -> None:
    kv_admin = await bucket(admin, auth.AUTH_BUCKET)
    await kv_admin.put(auth.revoked_key("alice"), b"1.0")
    for service in ("gpio", "products"):
        probe = Client_()
        nc = await probe.connect(secured_nats_server, service)
        try:
            kv = await nc.jetstream(timeout=1.0).key_value(auth.AUTH_BUCKET)
            with pytest.raises((NatsTimeout, nats.errors.Error, asyncio.TimeoutError)):
                await kv.get(auth.revoked_key("alice"))
            await probe.violation("KV_zenith-auth")
            with pytest.raises((NatsTimeout, nats.errors.Error, asyncio.TimeoutError)):
                await kv.put(auth.SIGNING_KEY, b"forged")
        finally:
            await nc.close()
    assert (await kv_admin.get(auth.revoked_key("alice"))).value == b"1.0"
    # web reads the revocations (its token verifier watches them) but cannot write them
    probe = Client_()
    web = await probe.connect(secured_nats_server, "web")
    kv = await web.jetstream(timeout=2.0).key_value(auth.AUTH_BUCKET)
    assert (await kv.get(auth.revoked_key("alice"))).value == b"1.0"
    with pytest.raises((NatsTimeout, nats.errors.Error, asyncio.TimeoutError)):
        await kv.put(auth.revoked_key("alice"), b"0")
    await web.close()


async def test_a_service_cannot_listen_to_others_subjects(secured_nats_server: SecuredNats,
                                                          admin: Client) -> None:
    probe = Client_()
    nc = await probe.connect(secured_nats_server, "gpio")
    try:
        got: list[bytes] = []

        async def on_msg(msg: Any) -> None:
            got.append(msg.data)

        await nc.subscribe(auth.LOGIN.subject, cb=on_msg)
        await nc.flush()
        await probe.violation(auth.LOGIN.subject)
        await admin.publish(auth.LOGIN.subject, b'{"username": "admin", "password": "x"}')
        await admin.flush()
        await asyncio.sleep(0.3)
        assert got == []
    finally:
        await nc.close()


async def test_services_work_as_themselves(secured_nats_server: SecuredNats,
                                           tmp_path: Path) -> None:
    """auth serves under its own user; web (as itself) logs in over it and reads the keys."""
    directory = secured_nats_server.directory
    settings = AuthSettings(nats_url=secured_nats_server.url,
                            nats_credentials=directory / "auth.json",
                            data_dir=tmp_path / "auth", auth_create_admin=False,
                            auth_argon2_time_cost=1, auth_argon2_memory_kib=8192)
    async with service_context("auth", settings, auth_serve):
        web = await connect(secured_nats_server.url, name="test-web",
                            credential=secured_nats_server.credential("web"))
        try:
            bus = BusClient(web, timeout=10)
            await bus.request(auth.USER_ADD, {"username": "alice", "password": "long enough"})
            pair = await bus.request(auth.LOGIN, {"username": "alice",
                                                  "password": "long enough"})
            assert pair.user.username == "alice"
            assert (await bus.request(auth.JWKS, {})).keys
        finally:
            await web.close()


async def test_the_deployment_config_takes_the_passwords_from_the_environment(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """deploy/nats/auth.conf (compose, Kubernetes) on a real nats-server."""
    (tmp_path / "auth.conf").write_text((ROOT / "deploy" / "nats" / "auth.conf").read_text())
    (tmp_path / "nats.conf").write_text("include ./auth.conf\n")
    for name in ("admin", *service_names()):
        monkeypatch.setenv(password_variable(name), f"pw-{name}")
    with NatsServer(tmp_path / "nats", free_port(), config=tmp_path / "nats.conf") as server:
        with pytest.raises(nats.errors.Error, match="Authorization Violation"):
            await nats.connect(server.url, user="zenith-web", password="pw-gpio",
                               allow_reconnect=False, max_reconnect_attempts=0)
        nc = await connect(server.url, name="test", credential=("zenith-web", "pw-web"))
        await nc.close()
