"""The probes compose and Kubernetes declare, run against the real services.

Every service runs as its own process (``python -m zenith run <service>``,
as the image's entry point does) on a real nats-server with embedded stores;
then each healthcheck of docker-compose.yml and each exec probe of k8s/ is
run exactly as written, with the container's environment. They must pass
while the service runs and fail once it has stopped.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from tests.deploy.kustomize import composition, render_spec
from zenith.cli.nats_server import NatsServer, free_port

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
SERVICES = sorted(p.name for p in (ROOT / "services").iterdir() if (p / "pyproject.toml").is_file())
CONTAINER_HTTP_PORT = 8080
START_DEADLINE_S = 120.0
# processes beside the services' own: the hub's capture, which indexes uploads
EXTRA = {"capture-ingest": ("capture", {"ZENITH_CAPTURE_HUB_INGEST": "true"})}
PROCESSES = [*SERVICES, *EXTRA]


@dataclass
class Running:
    name: str
    proc: subprocess.Popen[bytes]
    env: dict[str, str]
    log: Path


def probe_commands(http_port: int) -> dict[str, list[list[str]]]:
    """Every health command per service: compose healthchecks and k8s exec probes."""
    out: dict[str, list[list[str]]] = {name: [] for name in PROCESSES}
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    for name in PROCESSES:
        test = compose[name]["healthcheck"]["test"]
        assert test[0] == "CMD"
        out[name].append(test[1:])
    k8s = ROOT / "k8s"
    docs = render_spec(composition(k8s / "base", [k8s / "components" / "node"], k8s), k8s)
    for doc in docs:
        if doc["kind"] != "Deployment" or doc["metadata"]["name"] not in out:
            continue
        container = doc["spec"]["template"]["spec"]["containers"][0]
        for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
            if "exec" in container[probe]:
                out[doc["metadata"]["name"]].append(container[probe]["exec"]["command"])
    # Inside a container web listens on 8080; here on a free port.
    container_url = f"127.0.0.1:{CONTAINER_HTTP_PORT}/"
    return {name: [[w.replace(container_url, f"127.0.0.1:{http_port}/") for w in cmd]
                   for cmd in cmds] for name, cmds in out.items()}


def run_probe(command: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    assert command[0] == "python"
    return subprocess.run([sys.executable, *command[1:]], env=env, capture_output=True,
                          text=True, timeout=60, check=False)


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[tuple[dict[str, Running], int]]:
    nats = NatsServer(tmp_path / "nats", free_port())
    nats.start()
    http_port = free_port()
    running: dict[str, Running] = {}
    try:
        for name in PROCESSES:
            service, extra = EXTRA.get(name, (name, {}))
            env = {
                **{k: v for k, v in os.environ.items() if not k.startswith("ZENITH_")},
                "ZENITH_NATS_URL": nats.url,
                "ZENITH_DATA_DIR": str(tmp_path / "data"),
                "ZENITH_BLOB_DIR": str(tmp_path / "blobs"),
                "ZENITH_LOG_FORMAT": "json",
                "ZENITH_METRICS_PORT": str(free_port()),
                "ZENITH_METRICS_HOST": "0.0.0.0",
                "ZENITH_HTTP_HOST": "127.0.0.1",
                "ZENITH_HTTP_PORT": str(http_port),
                "ZENITH_GPIO_PIN_FACTORY": "mock",
                "ZENITH_CAPTURE_AUTOSTART": "false",
                "PYTHONUNBUFFERED": "1",
                **extra,
            }
            log = tmp_path / f"{name}.log"
            with log.open("wb") as fh:
                proc = subprocess.Popen([sys.executable, "-m", "zenith", "run", service], env=env,
                                        stdin=subprocess.DEVNULL, stdout=fh,
                                        stderr=subprocess.STDOUT, start_new_session=True)
            running[name] = Running(name, proc, env, log)
        yield running, http_port
    finally:
        for svc in running.values():
            if svc.proc.poll() is None:
                svc.proc.send_signal(signal.SIGTERM)
        for svc in running.values():
            try:
                svc.proc.wait(20)
            except subprocess.TimeoutExpired:
                svc.proc.kill()
                svc.proc.wait()
        nats.stop()


def wait_until_probes_pass(svc: Running, commands: list[list[str]]) -> None:
    """Poll (as an orchestrator would) until every probe passes or the service dies."""
    deadline = time.monotonic() + START_DEADLINE_S
    while True:
        results = [run_probe(cmd, svc.env) for cmd in commands]
        if all(r.returncode == 0 for r in results):
            return
        code = svc.proc.poll()
        if code is not None or time.monotonic() > deadline:
            failing = "\n".join(r.stdout + r.stderr for r in results if r.returncode)
            pytest.fail(f"{svc.name} (exit {code}) never passed its probes:\n{failing}\n"
                        f"--- log ---\n{svc.log.read_text()[-3000:]}")
        time.sleep(1)


@pytest.mark.timeout(900)  # eight processes and three probes each, on a shared machine
def test_every_declared_probe_passes_on_a_running_service_and_fails_once_stopped(stack) -> None:
    running, http_port = stack
    commands = probe_commands(http_port)
    for name in running:
        assert commands[name], f"{name} has no health command"
        wait_until_probes_pass(running[name], commands[name])
    for svc in running.values():
        svc.proc.send_signal(signal.SIGTERM)
    for svc in running.values():
        assert svc.proc.wait(30) == 0, svc.log.read_text()[-3000:]
    # a stopped service's bus probe waits for its timeout: a few probes at a time
    checks = [(name, cmd) for name in running for cmd in commands[name]]
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda c: run_probe(c[1], running[c[0]].env), checks))
    for (name, cmd), result in zip(checks, results, strict=True):
        assert result.returncode == 1, (name, cmd, result.stdout)
        service = EXTRA[name][0] if name in EXTRA else name
        assert f"{service}: unhealthy" in result.stderr
