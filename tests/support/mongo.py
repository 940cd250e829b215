"""Run ``nx-27017`` (a MongoDB wire-protocol server backed by SQLite) for tests."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from zenith.cli.nats_server import free_port
from zenith.cli.process import ServerProcess


def find_nx_27017() -> str | None:
    beside = Path(sys.executable).parent / "nx-27017"
    if beside.exists():
        return str(beside)
    return shutil.which("nx-27017")


class NxServer(ServerProcess):
    """One ``nx-27017`` process on a free loopback port, one SQLite file per database."""

    name = "nx-27017"

    def __init__(self, data_dir: str | Path, port: int | None = None,
                 host: str = "127.0.0.1") -> None:
        self.data_dir = Path(data_dir)
        self.host = host
        self.port = port or free_port(host)
        super().__init__(self.data_dir / "nx-27017.log")

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
        self.spawn(cmd)
        from pymongo import MongoClient

        client: MongoClient[dict[str, object]] = MongoClient(
            self.url(), serverSelectionTimeoutMS=500, connectTimeoutMS=500)
        try:
            self.wait_ready(lambda: self._answers(client), timeout, self.url())
        finally:
            client.close()

    @staticmethod
    def _answers(client: object) -> bool:
        from pymongo.errors import PyMongoError

        try:
            client.admin.command("ping")  # type: ignore[attr-defined]
            return True
        except PyMongoError:
            return False
