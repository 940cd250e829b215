"""SIGTERM stops ``zenith run sensors`` when its nats-server has gone: while
running (reconnecting), and while still starting (waiting for the server,
which used to hang: start-up never looked at the signal)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from zenith.cli.nats_server import NatsServer, free_port

START_S = 180.0  # a loaded machine imports slowly
STOP_S = 60.0


def _spawn(service: str, nats_url: str, tmp_path: Path) -> tuple[subprocess.Popen[bytes], Path]:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("ZENITH_")},
        "ZENITH_NATS_URL": nats_url, "ZENITH_DATA_DIR": str(tmp_path / "data"),
        "ZENITH_BLOB_DIR": str(tmp_path / "blobs"), "ZENITH_METRICS_PORT": str(free_port()),
        "ZENITH_SENSORS_BACKEND": "simulated", "PYTHONUNBUFFERED": "1",
    }
    log = tmp_path / f"{service}.log"
    with log.open("wb") as fh:
        proc = subprocess.Popen([sys.executable, "-m", "zenith", "run", service], env=env,
                                stdin=subprocess.DEVNULL, stdout=fh, stderr=subprocess.STDOUT,
                                start_new_session=True)
    return proc, log


@pytest.fixture
def processes() -> Iterator[list[subprocess.Popen[bytes]]]:
    started: list[subprocess.Popen[bytes]] = []
    try:
        yield started
    finally:
        for proc in started:
            if proc.poll() is None:
                proc.kill()
                proc.wait()


def _wait_for_log(proc: subprocess.Popen[bytes], log: Path, text: str) -> None:
    deadline = time.monotonic() + START_S
    while text not in log.read_text(errors="replace"):
        if proc.poll() is not None:
            pytest.fail(f"exited {proc.returncode} before {text!r}:\n{log.read_text()[-3000:]}")
        if time.monotonic() > deadline:
            pytest.fail(f"no {text!r} in {START_S:.0f} s:\n{log.read_text()[-3000:]}")
        time.sleep(0.2)


def _terminate(proc: subprocess.Popen[bytes], log: Path) -> int:
    proc.send_signal(signal.SIGTERM)
    try:
        return proc.wait(STOP_S)
    except subprocess.TimeoutExpired:
        pytest.fail(f"still running {STOP_S:.0f} s after SIGTERM:\n{log.read_text()[-3000:]}")


def test_sigterm_stops_sensors_after_its_nats_server_went(tmp_path: Path, processes) -> None:
    nats = NatsServer(tmp_path / "nats", free_port())
    nats.start()
    try:
        proc, log = _spawn("sensors", nats.url, tmp_path)
        processes.append(proc)
        _wait_for_log(proc, log, "sensors ready")
    finally:
        nats.stop()
    _wait_for_log(proc, log, "disconnected from nats")  # reconnecting from here on
    assert _terminate(proc, log) == 0
    assert "sensors stopping" in log.read_text()


@pytest.mark.parametrize("service", ["sensors", "network"])
def test_sigterm_stops_a_service_still_waiting_for_nats(service: str, tmp_path: Path,
                                                         processes) -> None:
    proc, log = _spawn(service, f"nats://127.0.0.1:{free_port()}", tmp_path)  # nobody there
    processes.append(proc)
    _wait_for_log(proc, log, "Connect call failed")  # start-up waits for the server
    assert _terminate(proc, log) == 0
    assert f"{service} stopped before it was ready" in log.read_text()
