"""`zenith dev` as a user runs it: the whole stack, health, restarts, reuse."""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import socket
import subprocess
import time
from pathlib import Path

import nats
import pytest

from tests.integration.devstack import ZENITH, DevStack
from zenith.contracts.services import service_names

SERVICES = set(service_names("dev"))
pytestmark = pytest.mark.slow


async def srv_info(url: str, login: dict[str, str], wait: float = 1.0) -> list[dict]:
    """What `nats micro ls` sees: every reply to $SRV.INFO within ``wait``."""
    nc = await nats.connect(url, **login)
    try:
        inbox = nc.new_inbox()
        sub = await nc.subscribe(inbox)
        await nc.publish("$SRV.INFO", b"", reply=inbox)
        replies = []
        deadline = asyncio.get_running_loop().time() + wait
        while True:
            left = deadline - asyncio.get_running_loop().time()
            if left <= 0:
                break
            try:
                msg = await sub.next_msg(timeout=left)
            except nats.errors.TimeoutError:
                break
            replies.append(json.loads(msg.data))
        return replies
    finally:
        await nc.close()


def test_dev_stack_runs_recovers_and_reuses_data(tmp_path: Path):
    stack = DevStack(tmp_path / "var").start()
    try:
        body = stack.wait_healthy()
        assert set(body["services"]) == SERVICES
        assert all(s["healthy"] for s in body["services"].values())
        stack.wait_for_line("Zenith is running at " + stack.url)
        line = stack.wait_for_line("First start: created user 'admin' with password")
        password = re.search(r"password (\S+)", line).group(1)

        infos = asyncio.run(srv_info(stack.nats_url, stack.nats_login))
        by_name = {info["name"]: info for info in infos}
        assert set(by_name) >= SERVICES
        for name in SERVICES - {"web"}:
            assert by_name[name]["endpoints"], f"{name} lists no endpoints"
        assert any(ep["subject"].endswith(".gpio.digital.set")
                   for ep in by_name["gpio"]["endpoints"])

        # The bus has credentials: a raw connection without them gets nowhere
        # (tests/libs/bus/test_credentials.py shows each service's limits).
        with pytest.raises(nats.errors.Error, match="Authorization Violation"):
            asyncio.run(nats.connect(stack.nats_url, allow_reconnect=False,
                                     max_reconnect_attempts=0, connect_timeout=2))
        secrets = tmp_path / "var" / "secrets" / "nats"
        assert all(p.stat().st_mode & 0o077 == 0 for p in [secrets, *secrets.iterdir()])
        assert "password" not in stack.output.split("First start")[0].lower()

        # Kill nats-server under the running stack: it comes back and every
        # service reconnects on its own.
        pid = int((tmp_path / "var" / "nats" / "nats-server.pid").read_text())
        os.kill(pid, signal.SIGKILL)
        stack.wait_for_line("nats-server stopped; starting it again")
        time.sleep(1)
        body = stack.wait_healthy(timeout=60)
        assert all(s["healthy"] for s in body["services"].values())
        assert "exited with" not in stack.output  # reconnected, not restarted

        assert stack.stop() == 0
        assert "zenith dev: stopped" in stack.output
    finally:
        if stack.proc and stack.proc.poll() is None:
            stack.stop()

    again = DevStack(tmp_path / "var").start()
    try:
        again.wait_healthy()
        status, login = again.post_json("/login", {"username": "admin", "password": password})
        assert status == 200 and login["access_token"]
        assert "First start" not in again.output
    finally:
        assert again.stop() == 0


@pytest.mark.parametrize("which, variable", [("nats", "ZENITH_NATS_PORT"),
                                             ("http", "ZENITH_HTTP_PORT")])
def test_taken_port_is_named_with_the_setting_that_moves_it(tmp_path: Path, which, variable):
    stack = DevStack(tmp_path / "var")
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        env = dict(stack.env)
        env[variable] = str(port)
        result = subprocess.run([ZENITH, "dev", "--data-dir", str(tmp_path / "var")], env=env,
                                capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert f"port {port}" in result.stderr and variable in result.stderr
