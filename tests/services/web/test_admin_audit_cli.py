"""Changes made with ``zenith camera`` and ``zenith owner`` appear in the admin
area's audit log like the area's own: who (``cli@`` and the OS user), what,
when, on which target; never the key the command printed."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from tests.services.web.admin_stack import Stack, admin_stack, session_of
from zenith.cli.main import main as zenith

pytestmark = pytest.mark.asyncio(loop_scope="package")


@pytest_asyncio.fixture(loop_scope="package", scope="module")
async def stack(tmp_path_factory: pytest.TempPathFactory, remote_host: str) -> AsyncIterator[Stack]:
    async with admin_stack(tmp_path_factory.mktemp("auditcli"), remote_host) as s:
        yield s


async def cli(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], nats_url: str, *argv: str
) -> tuple[int, str]:
    monkeypatch.setenv("ZENITH_NATS_URL", nats_url)
    code = await asyncio.to_thread(zenith, list(argv))
    return code, capsys.readouterr().out


async def test_cli_changes_are_in_the_admin_audit_log(
    stack: Stack, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("LOGNAME", "USER", "LNAME", "USERNAME"):
        monkeypatch.setenv(name, "nightwatch")
    url = stack.web.settings.nats_url
    code, _ = await cli(
        monkeypatch,
        capsys,
        url,
        "camera",
        "add",
        "delta",
        "--name",
        "Delta",
        "--lat",
        "47.2",
        "--lon",
        "8.5",
    )
    assert code == 0
    code, out = await cli(monkeypatch, capsys, url, "camera", "key", "delta")
    key = next(line for line in out.splitlines() if line.startswith("zk_"))
    code, _ = await cli(monkeypatch, capsys, url, "owner", "add", stack.owner.username, "delta")
    assert code == 0
    code, _ = await cli(monkeypatch, capsys, url, "camera", "edit", "delta", "--site", "Hill")
    assert code == 0
    client = await session_of(stack.web, stack.admin)
    async with client.get("/admin/audit") as resp:
        text = await resp.text()
    assert resp.status == 200
    for action in ("camera.add", "camera.key-issue", "owner.link", "camera.edit"):
        assert action in text
    assert text.count("cli@nightwatch") >= 4 and key not in text
    async with client.get("/admin/audit", params={"target": "delta"}) as resp:
        text = await resp.text()
    assert "camera.edit" in text and "owner.link" not in text  # that one's target: the owner
