"""``zenith user ...`` run as a subprocess against a temporary data dir."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from zenith.bus.jetstream import bucket
from zenith.cli.nats_server import free_port
from zenith.contracts.auth import AUTH_BUCKET, revoked_key
from zenith.errors import Unauthorized
from zenith.runner import service_context
from zenith.tokens import TokenVerifier
from zenith_auth.main import serve

from .conftest import PASSWORD, login, make_settings, refused_soon
from .test_allsky import php_hash
from .test_refresh import refresh

ZENITH = str(Path(sys.executable).parent / "zenith")


@dataclass
class Result:
    code: int
    out: str
    err: str


def cli_env(tmp_path: Path, nats_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ZENITH_")}
    env.update({
        "ZENITH_DATA_DIR": str(tmp_path / "data"),
        "ZENITH_METADATA_URL": "sqlite:///" + str(tmp_path / "m.db"),
        "ZENITH_NATS_URL": nats_url,
        "ZENITH_AUTH_ARGON2_TIME_COST": "1",
        "ZENITH_AUTH_ARGON2_MEMORY_KIB": "8192",
    })
    return env


async def zenith(env: dict[str, str], *args: str, stdin: str = "") -> Result:
    proc = await asyncio.create_subprocess_exec(
        ZENITH, "user", *args, env=env, stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(proc.communicate(stdin.encode()), 60)
    return Result(proc.returncode or 0, out.decode(), err.decode())


@pytest.fixture
def offline(tmp_path) -> dict[str, str]:
    """The stack is down: nothing listens on the NATS port."""
    return cli_env(tmp_path, f"nats://127.0.0.1:{free_port()}")


async def test_add_list_remove_with_the_stack_down(offline):
    added = await zenith(offline, "add", "alice", "--role", "operator", "--password-stdin",
                         stdin="a long password\n")
    assert added.code == 0, added.err
    assert "added user 'alice' (role operator" in added.out
    generated = await zenith(offline, "add", "bob.smith@example.org")
    assert generated.code == 0, generated.err
    assert "password: " in generated.out  # no terminal: one was made and shown once

    listed = await zenith(offline, "list")
    assert listed.code == 0
    assert "alice" in listed.out and "operator" in listed.out
    assert "bob.smith@example.org" in listed.out and "viewer" in listed.out
    as_json = json.loads((await zenith(offline, "list", "--json")).out)
    assert [u["username"] for u in as_json] == ["alice", "bob.smith@example.org"]
    assert as_json[0]["permissions"] == {"*": ["*"], "users": []}

    removed = await zenith(offline, "remove", "bob.smith@example.org")
    assert removed.code == 0, removed.err
    assert "removed user 'bob.smith@example.org'" in removed.out
    assert "NATS is not reachable" in removed.out
    assert [u["username"] for u in json.loads((await zenith(offline, "list", "--json")).out)] \
        == ["alice"]


BAD_INPUT = [
    (["add", "bad name", "--password-stdin"], "a long password\n", "invalid username"),
    (["add", "carol", "--password-stdin"], "short\n", "8 to 1024 characters"),
    (["add", "carol", "--password-stdin"], "", "no password on standard input"),
    (["add", "carol", "--permissions", "{nope"], "", "not valid JSON"),
    (["add", "carol", "--permissions", '{"gpio": ["fly"]}'], "", "permissions of 'gpio'"),
    (["passwd", "ghost", "--password-stdin"], "a long password\n", "no user 'ghost'"),
    (["passwd", "alice"], "", "use --password-stdin"),
    (["remove", "ghost"], "", "no user 'ghost'"),
    (["remove", "alice"], "", "last user who can manage users"),
    (["add", "alice", "--password-stdin"], "another password\n", "already exists"),
]


async def test_bad_input_is_explained_and_changes_nothing(offline):
    assert (await zenith(offline, "add", "alice", "--role", "admin", "--password-stdin",
                         stdin="a long password\n")).code == 0
    results = await asyncio.gather(*(zenith(offline, *args, stdin=stdin)
                                     for args, stdin, _ in BAD_INPUT))
    for (args, _, message), result in zip(BAD_INPUT, results, strict=True):
        assert result.code == 1, (args, result)
        assert message in result.err, (args, result.err)
    users = json.loads((await zenith(offline, "list", "--json")).out)
    assert [u["username"] for u in users] == ["alice"]


async def test_passwd_with_the_stack_running_revokes_at_once(tmp_path, nats_server, nc, bus):
    settings = make_settings(tmp_path, nats_server.url)
    env = cli_env(tmp_path, nats_server.url)
    assert (await zenith(env, "add", "alice", "--password-stdin",
                         stdin=PASSWORD + "\n")).code == 0
    async with service_context("auth", settings, serve):
        verifier = TokenVerifier(nc, bus)
        await verifier.start()
        try:
            old = await login(bus, "alice")
            assert verifier.verify(old.access_token).username == "alice"
            result = await zenith(env, "passwd", "alice", "--password-stdin",
                                  stdin="a brand new password\n")
            assert result.code == 0, result.err
            assert "revoked 1 refresh token(s)" in result.out
            assert "published the revocation on NATS" in result.out
            error = await refused_soon(verifier, old.access_token)
            assert isinstance(error, Unauthorized) and error.code == "token_revoked"
            with pytest.raises(Unauthorized):
                await refresh(bus, old.refresh_token)
            with pytest.raises(Unauthorized):
                await login(bus, "alice")
            assert (await login(bus, "alice", "a brand new password")).user.username == "alice"
        finally:
            await verifier.stop()


async def test_a_revocation_made_offline_is_published_when_auth_starts(tmp_path, nats_server,
                                                                       nc, offline):
    assert (await zenith(offline, "add", "alice", "--password-stdin",
                         stdin=PASSWORD + "\n")).code == 0
    result = await zenith(offline, "passwd", "alice", "--password-stdin",
                          stdin="a brand new password\n")
    assert result.code == 0 and "NATS is not reachable" in result.out
    async with service_context("auth", make_settings(tmp_path, nats_server.url), serve):
        kv = await bucket(nc, AUTH_BUCKET)
        entry = await kv.get(revoked_key("alice"))
        assert float(entry.value) > 0


async def test_import_allsky_login_then_log_in(tmp_path, nats_server, bus, offline):
    env_json = tmp_path / "env.json"
    env_json.write_text(json.dumps({"WEBUI_USERNAME": "admin",
                                    "WEBUI_PASSWORD": php_hash("allsky-secret")}))
    result = await zenith(offline, "import-allsky", str(env_json))
    assert result.code == 0, result.err
    assert "imported Allsky user 'admin' (role admin)" in result.out
    again = await zenith(offline, "import-allsky", str(env_json))
    assert again.code == 1 and "--replace" in again.err
    async with service_context("auth", make_settings(tmp_path, nats_server.url), serve):
        pair = await login(bus, "admin", "allsky-secret")
        assert pair.user.role == "admin"
    env_json.write_text(json.dumps({"WEBUI_USERNAME": "admin",
                                    "WEBUI_PASSWORD": php_hash("changed-in-allsky")}))
    replaced = await zenith(offline, "import-allsky", str(env_json), "--replace")
    assert replaced.code == 0, replaced.err
    async with service_context("auth", make_settings(tmp_path, nats_server.url), serve):
        with pytest.raises(Unauthorized):
            await login(bus, "admin", "allsky-secret")
        assert (await login(bus, "admin", "changed-in-allsky")).user.username == "admin"


async def test_import_allsky_explains_a_file_without_a_login(tmp_path, offline):
    env_json = tmp_path / "env.json"
    env_json.write_text(json.dumps({"SOMETHING": "else"}))
    result = await zenith(offline, "import-allsky", str(env_json))
    assert result.code == 1
    assert "has no WEBUI_USERNAME and no WEBUI_PASSWORD" in result.err
    missing = await zenith(offline, "import-allsky", str(tmp_path / "nope.json"))
    assert missing.code == 1 and "does not exist" in missing.err


async def test_a_bad_setting_is_named(tmp_path, offline):
    env = {**offline, "ZENITH_AUTH_ACCESS_TTL_S": "ten"}
    result = await zenith(env, "list")
    assert result.code == 2
    assert "ZENITH_AUTH_ACCESS_TTL_S" in result.err
