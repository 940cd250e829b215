"""``zenith dev``: the whole stack on one machine, on embedded defaults.

Starts nats-server with JetStream (data in ``<data_dir>/nats``), then each
service as its own process (``python -m zenith run <service>``) talking to
the others only through NATS, with SQLite stores and a blob directory under
``<data_dir>``. A service that dies is started again with a growing pause.
Ctrl-C (or SIGTERM) stops the services, then nats-server. A second start
reuses the data.

The bus has credentials (:mod:`zenith.bus.credentials`): the first start
writes them to ``<data_dir>/secrets/nats`` (mode 0700, files 0600), one user
per service and an admin context for the NATS CLI; nats-server loads the
users, and each service gets its own file in ``ZENITH_NATS_CREDENTIALS``.

``zenith dev --hub`` (or ``ZENITH_DEV_HUB=true``) starts the ``hub`` rows
instead, as a network's server: capture and products index what cameras
upload (``ZENITH_CAPTURE_HUB_INGEST``, ``ZENITH_PRODUCTS_HUB_INGEST``),
products' retention waits for the network's highlights. Once web answers,
``zenith hub simulate`` runs as one more supervised child (as the admin):
``dev_hub_cameras`` simulated Zenith cameras at different places and one
AllSkyKamera client upload to the hub every ``dev_hub_every_s``.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import Field

from zenith.bus.credentials import CONF_FILE, CONTEXT_FILE, credentials_dir, ensure_credentials
from zenith.cli.nats_server import NatsServer, port_free
from zenith.config import Settings, load_settings
from zenith.contracts.services import service_names
from zenith.errors import ConfigError


class DevSettings(Settings):
    nats_port: int = Field(4222, ge=1, le=65535, description="Port of the dev nats-server.")
    http_host: str = Field("127.0.0.1", description="Address the web service listens on.")
    http_port: int = Field(8080, ge=1, le=65535, description="Port of the web service.")
    dev_hub: bool = Field(False, description="Run the hub profile with simulated cameras "
                          "uploading to it (zenith dev --hub).")
    dev_hub_cameras: int = Field(4, ge=0, le=100, description="Simulated Zenith cameras "
                                 "of zenith dev --hub (and one AllSkyKamera client).")
    dev_hub_every_s: float = Field(60.0, gt=0, le=3600, description="Seconds between the "
                                   "simulated cameras' uploads (zenith dev --hub).")

# What a hub's services are told (compose and k8s say the same).
HUB_ENV = {
    "ZENITH_CAPTURE_HUB_INGEST": "true",
    "ZENITH_PRODUCTS_HUB_INGEST": "true",
    "ZENITH_PRODUCTS_HIGHLIGHTS_REQUIRED": "true",
}
SIMULATE = "simulate"


@dataclass
class Child:
    name: str
    env: dict[str, str]
    argv: list[str] = field(default_factory=list)
    proc: subprocess.Popen[bytes] | None = None
    restarts: int = 0
    next_start: float = 0.0
    started_at: float = field(default_factory=time.monotonic)


def _pump(name: str, stream: object) -> None:
    prefix = f"[{name:<8}] ".encode()
    out = sys.stdout.buffer
    for line in iter(stream.readline, b""):  # type: ignore[attr-defined]
        out.write(prefix + line)
        out.flush()


class Supervisor:
    def __init__(self, settings: DevSettings, services: tuple[str, ...],
                 hub: bool = False) -> None:
        self.settings = settings
        self.hub = hub
        self.data_dir = settings.data_dir.resolve()
        self.secrets = credentials_dir(self.data_dir)
        self.nats = NatsServer(self.data_dir / "nats", settings.nats_port,
                               config=self.secrets / CONF_FILE)
        self.services = services
        self.children: list[Child] = []
        self.stopping = threading.Event()

    def child_env(self, name: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items()
               if k not in ("ZENITH_NATS_USER", "ZENITH_NATS_PASSWORD")}
        env.update({
            "ZENITH_NATS_URL": self.nats.url,
            "ZENITH_NATS_CREDENTIALS": str(self.secrets / f"{name}.json"),
            "ZENITH_DATA_DIR": str(self.data_dir),
            "ZENITH_HTTP_HOST": self.settings.http_host,
            "ZENITH_HTTP_PORT": str(self.settings.http_port),
            "PYTHONUNBUFFERED": "1",
        })
        if self.hub:
            env.update(HUB_ENV)
            env["ZENITH_WEB_HEALTH_SERVICES"] = ",".join(self.services)
        return env

    def simulator(self, url: str) -> Child:
        """``zenith hub simulate`` against this hub, as the admin (it registers cameras)."""
        env = self.child_env(SIMULATE)
        env["ZENITH_NATS_CREDENTIALS"] = str(self.secrets / CONTEXT_FILE)
        argv = [sys.executable, "-m", "zenith", "hub", "simulate", "--hub", url,
                "--cameras", str(self.settings.dev_hub_cameras), "--ask", "1",
                "--every", f"{self.settings.dev_hub_every_s:g}"]
        return Child(SIMULATE, env, argv)

    def spawn(self, child: Child) -> None:
        child.proc = subprocess.Popen(
            child.argv or [sys.executable, "-m", "zenith", "run", child.name],
            env=child.env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, start_new_session=True,
        )
        child.started_at = time.monotonic()
        threading.Thread(target=_pump, args=(child.name, child.proc.stdout), daemon=True).start()

    def start(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        ensure_credentials(self.secrets, self.nats.url, service_names())
        self.nats.start()
        print(f"zenith dev: nats-server on {self.nats.url}, data in {self.data_dir}", flush=True)
        print(f"zenith dev: the bus needs credentials; NATS CLI: nats --context "
              f"{self.secrets / CONTEXT_FILE} ...", flush=True)
        for name in self.services:
            child = Child(name, self.child_env(name))
            self.children.append(child)
            self.spawn(child)

    def watch(self) -> None:
        """Restart children that die; announce the URL once web answers."""
        announced = "web" not in self.services
        url = f"http://{_hosts(self.settings)[0]}:{self.settings.http_port}"
        while not self.stopping.wait(0.25):
            now = time.monotonic()
            if not self.nats.running:
                print("zenith dev: nats-server stopped; starting it again", flush=True)
                try:
                    self.nats.start()
                except RuntimeError as exc:
                    print(f"zenith dev: {exc}", flush=True)
                    self.stopping.wait(2)
            for child in self.children:
                if child.proc is None:
                    if now >= child.next_start:
                        self.spawn(child)
                    continue
                code = child.proc.poll()
                if code is None:
                    continue
                if now - child.started_at > 60:
                    child.restarts = 0
                child.restarts += 1
                pause = min(30.0, 2.0 ** min(child.restarts, 5) / 2)
                print(f"zenith dev: {child.name} exited with {code}; "
                      f"restarting in {pause:.0f}s", flush=True)
                child.proc = None
                child.next_start = now + pause
            if not announced and _answers(url + "/healthz"):
                announced = True
                print(f"zenith dev: Zenith is running at {url}  (Ctrl-C stops it)", flush=True)
                if self.hub:
                    sim = self.simulator(url)
                    self.children.append(sim)
                    self.spawn(sim)
                    print(f"zenith dev: a hub; {self.settings.dev_hub_cameras} simulated "
                          f"Zenith cameras and 1 AllSkyKamera client upload to {url} every "
                          f"{self.settings.dev_hub_every_s:g}s", flush=True)

    def stop(self) -> None:
        self.stopping.set()
        for child in self.children:
            if child.proc and child.proc.poll() is None:
                child.proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 15
        for child in self.children:
            if child.proc is None:
                continue
            try:
                child.proc.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                child.proc.kill()
                child.proc.wait()
        self.nats.stop()
        print("zenith dev: stopped", flush=True)


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1) as resp:
            return bool(resp.status < 500)
    except Exception:
        return False


def check_ports(settings: DevSettings, with_web: bool) -> None:
    if not port_free("127.0.0.1", settings.nats_port):
        raise ConfigError(f"port {settings.nats_port} (NATS) is already in use; "
                          "set ZENITH_NATS_PORT to another port")
    for host in _hosts(settings) if with_web else []:
        if not port_free(host, settings.http_port):
            raise ConfigError(f"port {settings.http_port} (web) is already in use on "
                              f"{host}; set ZENITH_HTTP_PORT to another port")


def _hosts(settings: DevSettings) -> list[str]:
    """The addresses web listens on (``ZENITH_HTTP_HOST`` may name several)."""
    return [h.strip() for h in settings.http_host.split(",") if h.strip()]


def run_dev(args: argparse.Namespace) -> int:
    overrides: dict[str, Any] = (
        {"data_dir": Path(args.data_dir)} if getattr(args, "data_dir", None) else {})
    try:
        settings = load_settings(DevSettings, **overrides)
        hub = bool(getattr(args, "hub", False)) or settings.dev_hub
        services = service_names("hub" if hub else "dev")
        if getattr(args, "only", None):
            services = tuple(s.strip() for s in args.only.split(",") if s.strip())
            unknown = set(services) - set(service_names())
            if unknown:
                raise ConfigError(f"--only: unknown services {', '.join(sorted(unknown))}")
        check_ports(settings, "web" in services)
    except ConfigError as exc:
        print(f"zenith dev: {exc}", file=sys.stderr)
        return 2
    sup = Supervisor(settings, services, hub=hub)

    def on_signal(signum: int, frame: object) -> None:
        sup.stopping.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    try:
        sup.start()
        sup.watch()
    finally:
        sup.stop()
    return 0
