"""A real mosquitto broker on a free loopback port, with a password file."""

from __future__ import annotations

import getpass
import shutil
import socket
import subprocess
from pathlib import Path

from zenith.cli.nats_server import free_port
from zenith.cli.process import ServerProcess

USER, PASSWORD = "zenith", "not-a-real-secret"


def find_mosquitto() -> tuple[str, str] | None:
    broker = shutil.which("mosquitto") or shutil.which("/usr/sbin/mosquitto")
    passwd = shutil.which("mosquitto_passwd")
    return (broker, passwd) if broker and passwd else None


class Mosquitto(ServerProcess):
    name = "mosquitto"

    def __init__(self, root: Path) -> None:
        super().__init__(root / "mosquitto.log")
        self.root = root
        self.port = free_port()

    def start(self) -> None:
        tools = find_mosquitto()
        assert tools is not None
        broker, passwd = tools
        self.root.mkdir(parents=True, exist_ok=True)
        passwords = self.root / "passwords"
        subprocess.run([passwd, "-b", "-c", str(passwords), USER, PASSWORD], check=True,
                       capture_output=True)
        passwords.chmod(0o600)
        conf = self.root / "mosquitto.conf"
        conf.write_text(f"listener {self.port} 127.0.0.1\nallow_anonymous false\n"
                        f"password_file {passwords}\npersistence false\n"
                        # run as root (CI), it would switch to user mosquitto, who
                        # cannot read the test's private tmp dir
                        f"user {getpass.getuser()}\n")
        self.spawn([broker, "-c", str(conf)], log_output=True)
        self.wait_ready(self._answers, 20, f"127.0.0.1:{self.port}")

    def _answers(self) -> bool:
        with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
            return True
