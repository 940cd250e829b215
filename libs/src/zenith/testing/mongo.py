"""Run ``nx-27017`` (a MongoDB wire-protocol server backed by SQLite) for tests."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path

from zenith.cli.nats_server import free_port


def find_nx_27017() -> str | None:
    beside = Path(sys.executable).parent / "nx-27017"
    if beside.exists():
        return str(beside)
    return shutil.which("nx-27017")


class NxServer:
    """One ``nx-27017`` process on a free loopback port, one SQLite file per database."""

    def __init__(self, data_dir: str | Path, port: int | None = None,
                 host: str = "127.0.0.1") -> None:
        self.data_dir = Path(data_dir)
        self.host = host
        self.port = port or free_port(host)
        self.log_file = self.data_dir / "nx-27017.log"
        self.proc: subprocess.Popen[bytes] | None = None

    def url(self, database: str = "") -> str:
        return f"mongodb://{self.host}:{self.port}/{database}"

    def start(self, timeout: float = 30.0) -> None:
        binary = find_nx_27017()
        if binary is None:
            raise RuntimeError("nx-27017 not found: it comes with the workspace's dev "
                               "dependencies (scripts/bootstrap)")
        dbs = self.data_dir / "dbs"
        dbs.mkdir(parents=True, exist_ok=True)
        cmd = [binary, "--host", self.host, "-p", str(self.port), "--data-dir", str(dbs),
               "--log-file", str(self.log_file),
               "--pid-file", str(self.data_dir / "nx-27017.pid")]
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL, start_new_session=True)
        self._wait(timeout)

    def _wait(self, timeout: float) -> None:
        from pymongo import MongoClient
        from pymongo.errors import PyMongoError

        assert self.proc is not None
        deadline = time.monotonic() + timeout
        client: MongoClient[dict[str, object]] = MongoClient(
            self.url(), serverSelectionTimeoutMS=500, connectTimeoutMS=500)
        try:
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"nx-27017 exited with {self.proc.returncode}; "
                                       f"see {self.log_file}")
                try:
                    client.admin.command("ping")
                    return
                except PyMongoError:
                    time.sleep(0.1)
        finally:
            client.close()
        self.stop()
        raise RuntimeError(f"nx-27017 did not answer a ping on {self.url()} within {timeout}s")

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

    def __enter__(self) -> NxServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
