"""``python -m zenith.cli.health``: the probe compose and Kubernetes run,
against a real nats-server, a real micro service and real HTTP servers."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any

import pytest
from aiohttp import web
from nats.aio.client import Client
from prometheus_client import start_http_server

from zenith.bus.service import BusService
from zenith.cli import health
from zenith.cli.nats_server import NatsServer, free_port
from zenith.config import Settings
from zenith.runner import ServiceContext, service_context


def probe(capsys: pytest.CaptureFixture[str], *args: str, **env: str) -> tuple[int, str]:
    code = health.main(list(args), env=env)
    out = capsys.readouterr()
    return code, out.out + out.err


async def aprobe(capsys: pytest.CaptureFixture[str], *args: str, **env: str) -> tuple[int, str]:
    """The probe runs its own event loop, as it does in a container."""
    return await asyncio.to_thread(probe, capsys, *args, **env)


@asynccontextmanager
async def micro(nc: Client, name: str, **metadata: str) -> AsyncIterator[BusService]:
    svc = await BusService.start(nc, name, "probe target", **metadata)
    try:
        yield svc
    finally:
        await svc.stop()


@contextmanager
def metrics_server() -> Iterator[int]:
    port = free_port()
    server, thread = start_http_server(port, addr="127.0.0.1")
    try:
        yield port
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


@asynccontextmanager
async def http_server(status: int) -> AsyncIterator[str]:
    async def healthz(request: web.Request) -> web.Response:
        return web.json_response({"status": status}, status=status)

    app = web.Application()
    app.router.add_get("/healthz", healthz)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    site = web.TCPSite(runner, "127.0.0.1", port)
    await site.start()
    try:
        yield f"http://127.0.0.1:{port}/healthz"
    finally:
        await runner.cleanup()


async def test_healthy_when_the_service_answers_its_ping(nats_server: NatsServer, nc: Client,
                                                         capsys) -> None:
    async with micro(nc, "products"):
        code, out = await aprobe(capsys, "products", ZENITH_NATS_URL=nats_server.url)
    assert code == 0, out
    assert "products: healthy" in out and "bus: answered" in out


async def test_unhealthy_when_no_instance_answers(nats_server: NatsServer, nc: Client,
                                                  capsys) -> None:
    async with micro(nc, "auth"):  # another service answering does not count
        code, out = await aprobe(capsys, "products", "--timeout", "0.5",
                                 ZENITH_NATS_URL=nats_server.url)
    assert code == 1
    assert "products: unhealthy" in out and "no instance of products answered" in out


def test_unhealthy_when_nats_is_unreachable(capsys) -> None:
    url = f"nats://127.0.0.1:{free_port()}"
    code, out = probe(capsys, "web", "--timeout", "1", ZENITH_NATS_URL=url)
    assert code == 1
    assert f"cannot reach NATS at {url}" in out


async def test_only_this_hosts_instance_counts_when_instances_say_where_they_run(
        nats_server: NatsServer, nc: Client, capsys) -> None:
    async with micro(nc, "capture", host="another-pod"):
        code, out = await aprobe(capsys, "capture", "--timeout", "0.5",
                                 ZENITH_NATS_URL=nats_server.url)
        assert code == 1
        assert "only from other hosts (another-pod)" in out
        async with micro(nc, "capture", host=socket.gethostname()):
            code, out = await aprobe(capsys, "capture", ZENITH_NATS_URL=nats_server.url)
    assert code == 0, out


async def test_process_check_reads_the_services_own_metrics(nats_server: NatsServer,
                                                            capsys) -> None:
    async def serve(ctx: ServiceContext[Settings]) -> None:
        svc = await BusService.start(ctx.nc, "gpio", "probe target")
        ctx.stack.push_async_callback(svc.stop)

    settings = Settings(nats_url=nats_server.url)
    with metrics_server() as port:
        env = {"ZENITH_NATS_URL": nats_server.url, "ZENITH_METRICS_PORT": str(port)}
        async with service_context("gpio", settings, serve):
            code, out = await aprobe(capsys, "gpio", "--skip-bus", **env)
            assert code == 0, out
            assert "process: up" in out and "bus:" not in out
            code, out = await aprobe(capsys, "gpio", **env)
            assert code == 0, out
            assert "process: up" in out and "bus: answered" in out
        # The service stopped: its gauge says so although the port still answers.
        code, out = await aprobe(capsys, "gpio", "--skip-bus", **env)
        assert code == 1
        assert "zenith_service_up is 0" in out
        # A port serving another process's metrics is not this service. (The registry
        # is this test process's: a web an earlier test ran here left its gauge at 0.)
        code, out = await aprobe(capsys, "web", "--skip-bus", **env)
        assert code == 1
        assert ("reports no zenith_service_up for 'web'" in out
                or "zenith_service_up is 0" in out), out


def test_process_check_fails_when_nothing_serves_metrics(capsys) -> None:
    code, out = probe(capsys, "gpio", "--skip-bus", ZENITH_METRICS_PORT=str(free_port()))
    assert code == 1
    assert "process: no metrics at http://127.0.0.1:" in out


async def test_url_check_follows_the_http_status(nats_server: NatsServer, nc: Client,
                                                 capsys) -> None:
    async with micro(nc, "web"):
        async with http_server(200) as url:
            code, out = await aprobe(capsys, "web", "--url", url,
                                     ZENITH_NATS_URL=nats_server.url)
            assert code == 0, out
            assert "http: 200" in out
        async with http_server(503) as url:
            code, out = await aprobe(capsys, "web", "--url", url, "--skip-bus")
            assert code == 1
            assert "answered 503" in out


@pytest.mark.parametrize("args, env, message", [
    (["gpio.*"], {}, "invalid service name"),
    (["products", "--timeout", "0"], {}, "--timeout must be"),
    (["products", "--skip-bus"], {}, "nothing to check"),
    (["products"], {"ZENITH_METRICS_PORT": "not-a-port"}, "ZENITH_METRICS_PORT"),
])
def test_bad_usage_exits_2_with_a_message(args: list[str], env: dict[str, Any], message: str,
                                          capsys) -> None:
    code, out = probe(capsys, *args, **env)
    assert code == 2
    assert message in out


async def test_runs_as_a_module_the_way_containers_call_it(nats_server: NatsServer, nc: Client,
                                                           tmp_path) -> None:
    env = {**os.environ, "ZENITH_NATS_URL": nats_server.url}
    env.pop("ZENITH_METRICS_PORT", None)
    env.pop("ZENITH_CONFIG", None)
    command = [sys.executable, "-m", "zenith.cli.health", "auth"]
    async with micro(nc, "auth"):
        proc = await asyncio.create_subprocess_exec(
            *command, env=env, cwd=tmp_path,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        out, _ = await proc.communicate()
    assert proc.returncode == 0, out
    assert b"auth: healthy" in out
    proc = await asyncio.create_subprocess_exec(
        *command, env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    out, _ = await proc.communicate()
    assert proc.returncode == 1
    assert b"auth: unhealthy" in out
