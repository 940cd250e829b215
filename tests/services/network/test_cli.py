"""``zenith camera`` and ``zenith owner`` against the running services."""

from __future__ import annotations

import asyncio
import json

from zenith.cli.main import main as zenith

from .conftest import add_user


async def run_cli(monkeypatch, capsys, nats_url: str, *argv: str) -> tuple[int, str, str]:
    monkeypatch.setenv("ZENITH_NATS_URL", nats_url)
    code = await asyncio.to_thread(zenith, list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


async def test_camera_commands(network, bus, nats_server, monkeypatch, capsys):
    url = nats_server.url
    code, out, _ = await run_cli(monkeypatch, capsys, url, "camera", "add", "alpha",
                                 "--name", "Roof", "--lat", "48.1", "--lon", "11.6",
                                 "--timezone", "Europe/Berlin", "--code", "ASK042",
                                 "--lens", "fisheye")
    assert code == 0 and json.loads(out)["code"] == "ASK042"
    code, out, _ = await run_cli(monkeypatch, capsys, url, "camera", "list")
    assert code == 0
    _header, row = out.strip().splitlines()
    assert row.split()[:4] == ["alpha", "ASK042", "offline", "never"]
    code, out, _ = await run_cli(monkeypatch, capsys, url, "camera", "edit", "alpha",
                                 "--precision", "hidden", "--disable")
    shown = json.loads(out)
    assert code == 0 and shown["location"]["precision"] == "hidden"
    assert shown["location"]["latitude"] == 48.1 and shown["enabled"] is False
    assert shown["hardware"]["lens"] == "fisheye"
    code, out, _ = await run_cli(monkeypatch, capsys, url, "camera", "show", "alpha")
    assert json.loads(out)["name"] == "Roof"

    await add_user(bus, "alice")
    code, out, _ = await run_cli(monkeypatch, capsys, url, "owner", "add", "alice", "alpha")
    assert code == 0 and "alice owns alpha" in out
    code, _, err = await run_cli(monkeypatch, capsys, url, "owner", "add", "bob", "alpha")
    assert code == 1 and "no user 'bob'" in err

    code, _, err = await run_cli(monkeypatch, capsys, url, "camera", "add", "Bad Id",
                                 "--name", "x", "--lat", "1", "--lon", "1")
    assert code == 1 and "invalid" in err
    code, out, _ = await run_cli(monkeypatch, capsys, url, "camera", "remove", "alpha")
    assert code == 0
    code, _, err = await run_cli(monkeypatch, capsys, url, "camera", "show", "alpha")
    assert code == 1 and "no camera 'alpha'" in err


async def test_without_a_running_stack_it_says_so(monkeypatch, capsys):
    code, _, err = await run_cli(monkeypatch, capsys, "nats://127.0.0.1:1", "camera", "list")
    assert code == 1 and "stack running" in err


async def test_uplink_status_without_a_hub(network, nats_server, monkeypatch, capsys):
    code, out, _ = await run_cli(monkeypatch, capsys, nats_server.url, "uplink", "status")
    assert code == 0 and "uplink: off" in out


async def test_hub_simulate_uploads_from_both_dialects(hub, nats_server, nc, monkeypatch,
                                                       capsys):
    from .test_ingest_allskykamera import ingest_messages

    code, out, err = await run_cli(monkeypatch, capsys, nats_server.url, "hub", "simulate",
                                   "--hub", hub.url, "--cameras", "2", "--ask", "1",
                                   "--every", "1", "--duration", "2.5")
    assert code == 0, err
    assert "3 cameras" in out
    events = await ingest_messages(nc)
    cameras = {e["camera"] for e in events if e["kind"] == "frame"}
    assert cameras == {"sim-0", "sim-1", "sim-ask-0"}
    products = sorted(e["asset"] for e in events if e["kind"] == "product")
    assert products == ["keogram", "startrail", "video"]
    info = await nc.jetstream().stream_info("SENSORS")
    assert info.state.messages >= 3


async def test_cli_changes_are_audited_with_the_os_user(network, bus, nats_server, monkeypatch,
                                                        capsys):
    from zenith.contracts import admin

    url = nats_server.url
    for name in ("LOGNAME", "USER", "LNAME", "USERNAME"):
        monkeypatch.setenv(name, "stargazer")  # getpass.getuser reads these first
    await add_user(bus, "carol")
    code, _, err = await run_cli(monkeypatch, capsys, url, "camera", "add", "gamma",
                                 "--name", "Shed", "--lat", "48.1", "--lon", "11.6",
                                 "--code", "ASK077", "--owner", "carol")
    assert code == 0, err
    code, _, _ = await run_cli(monkeypatch, capsys, url, "camera", "edit", "gamma",
                               "--name", "Shed Roof", "--precision", "10km")
    assert code == 0
    code, out, _ = await run_cli(monkeypatch, capsys, url, "camera", "key", "gamma",
                                 "--grace-hours", "2")
    assert code == 0
    key = next(line for line in out.splitlines() if line.startswith("zk_"))
    code, _, _ = await run_cli(monkeypatch, capsys, url, "owner", "remove", "carol", "gamma")
    assert code == 0
    code, _, _ = await run_cli(monkeypatch, capsys, url, "owner", "add", "carol", "gamma")
    assert code == 0
    # refused changes are not audited
    code, _, err = await run_cli(monkeypatch, capsys, url, "camera", "edit", "gamma",
                                 "--name", "<b>")
    assert code == 1
    code, _, _ = await run_cli(monkeypatch, capsys, url, "owner", "add", "nobody", "gamma")
    assert code == 1
    code, _, _ = await run_cli(monkeypatch, capsys, url, "camera", "remove", "no-such")
    assert code == 1
    code, _, _ = await run_cli(monkeypatch, capsys, url, "camera", "remove", "gamma")
    assert code == 0

    entries = (await bus.request(admin.AUDIT_LIST, {})).entries
    assert [(e.actor, e.action, e.target) for e in entries] == [
        ("cli@stargazer", "camera.remove", "gamma"),
        ("cli@stargazer", "owner.link", "carol"),
        ("cli@stargazer", "owner.unlink", "carol"),
        ("cli@stargazer", "camera.key-issue", "gamma"),
        ("cli@stargazer", "camera.edit", "gamma"),
        ("cli@stargazer", "camera.add", "gamma"),
    ]
    by_action = {e.action: e for e in entries}
    assert by_action["camera.add"].details == {"code": "ASK077", "name": "Shed",
                                               "owners": ["carol"]}
    edit = by_action["camera.edit"].details
    assert edit["name"] == "Shed Roof" and edit["location"]["precision"] == "10km"
    issued = by_action["camera.key-issue"].details
    assert issued["grace_s"] == 7200 and issued["key_id"] and key not in json.dumps(issued)
    assert by_action["owner.link"].details == {"camera": "gamma"}
    assert all(e.at is not None for e in entries)


async def test_the_cli_actor_without_a_user_name(monkeypatch):
    import getpass

    from zenith_network.cli_audit import cli_actor

    def nobody() -> str:
        raise OSError("no user")

    monkeypatch.setattr(getpass, "getuser", nobody)
    assert cli_actor() == "cli"
    monkeypatch.setattr(getpass, "getuser", lambda: "odd name<>")
    assert cli_actor() == "cli@oddname"
