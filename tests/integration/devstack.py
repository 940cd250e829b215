"""Start ``zenith dev`` as a user would, and read what it prints."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

from zenith.cli.nats_server import free_port

ZENITH = str(Path(sys.executable).parent / "zenith")


class DevStack:
    def __init__(self, data_dir: Path, **env: str) -> None:
        self.data_dir = data_dir
        self.nats_port = free_port()
        self.http_port = free_port()
        self.env = {**os.environ, "ZENITH_NATS_PORT": str(self.nats_port),
                    "ZENITH_HTTP_PORT": str(self.http_port), **env}
        self.lines: list[str] = []
        self.proc: subprocess.Popen[str] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    @property
    def nats_url(self) -> str:
        return f"nats://127.0.0.1:{self.nats_port}"

    @property
    def nats_login(self) -> dict[str, str]:
        """``user``/``password`` of the admin that ``zenith dev`` wrote (for nats.connect)."""
        context = json.loads((self.data_dir / "secrets" / "nats" / "zenith.json").read_text())
        return {"user": context["user"], "password": context["password"]}

    def start(self, *args: str) -> DevStack:
        self.proc = subprocess.Popen(
            [ZENITH, "dev", "--data-dir", str(self.data_dir), *args], env=self.env, text=True,
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            start_new_session=True)
        threading.Thread(target=self._read, daemon=True).start()
        return self

    def _read(self) -> None:
        assert self.proc and self.proc.stdout
        for line in self.proc.stdout:
            self.lines.append(line.rstrip("\n"))

    @property
    def output(self) -> str:
        return "\n".join(self.lines)

    def health(self) -> tuple[int, dict]:
        try:
            with urllib.request.urlopen(self.url + "/healthz", timeout=3) as resp:
                return resp.status, json.loads(resp.read())
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read() or b"{}")
        except (OSError, ValueError):
            return 0, {}

    def wait_healthy(self, timeout: float = 120) -> dict:
        deadline = time.monotonic() + timeout
        body: dict = {}
        while time.monotonic() < deadline:
            assert self.proc and self.proc.poll() is None, f"zenith dev exited:\n{self.output}"
            status, body = self.health()
            if status == 200 and body.get("status") == "ok":
                return body
            time.sleep(0.5)
        raise AssertionError(f"not healthy after {timeout}s: {body}\n{self.output[-4000:]}")

    def wait_for_line(self, text: str, timeout: float = 30) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in self.lines:
                if text in line:
                    return line
            time.sleep(0.2)
        raise AssertionError(f"no line with {text!r}:\n{self.output[-4000:]}")

    def stop(self, timeout: float = 60) -> int:
        assert self.proc
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                raise
        return self.proc.returncode

    def post_json(self, path: str, body: dict) -> tuple[int, dict]:
        req = urllib.request.Request(self.url + path, data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=10) as resp:
                return resp.status, json.loads(resp.read())
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read() or b"{}")
