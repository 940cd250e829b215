"""A server child process: start it, wait until it answers, stop it.

Subclasses (nats-server, and the test servers influxd and nx-27017) build
the command and say how to tell it is ready; this class owns the process.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Self


class ServerProcess:
    """One child process in its own session, logging to ``log_file``."""

    name = "server"

    def __init__(self, log_file: Path) -> None:
        self.log_file = log_file
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def spawn(self, cmd: Sequence[str], *, log_output: bool = False) -> None:
        """Start ``cmd``; with ``log_output`` its stdout and stderr go to the log."""
        self.log_file.parent.mkdir(parents=True, exist_ok=True)
        if log_output:
            with open(self.log_file, "ab") as log:
                self.proc = subprocess.Popen(list(cmd), stdin=subprocess.DEVNULL, stdout=log,
                                             stderr=log, start_new_session=True)
        else:
            self.proc = subprocess.Popen(list(cmd), stdin=subprocess.DEVNULL,
                                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                         start_new_session=True)

    def wait_ready(self, ready: Callable[[], bool], timeout: float, where: str) -> None:
        """Poll ``ready`` until it is true; raise (and stop) if the process dies or
        ``timeout`` passes. ``ready`` may raise OSError while the server starts."""
        assert self.proc is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                code = self.proc.returncode
                self.proc = None
                raise RuntimeError(f"{self.name} exited with {code}; see {self.log_file}")
            try:
                if ready():
                    return
            except OSError:
                pass
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"{self.name} did not answer on {where} within {timeout}s")

    def stop(self, timeout: float = 10.0) -> None:
        if self.proc is None or self.proc.poll() is not None:
            self.proc = None
            return
        self.proc.terminate()
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.proc = None

    def start(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
