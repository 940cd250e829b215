"""Run Debian's ``influxd`` (InfluxDB 1.x) for tests, with a generated config."""

from __future__ import annotations

import shutil
import urllib.error
import urllib.request
from pathlib import Path

from zenith.cli.nats_server import free_port
from zenith.cli.process import ServerProcess

_CONFIG = """\
reporting-disabled = true
bind-address = "{host}:{rpc_port}"

[meta]
  dir = "{root}/meta"
  logging-enabled = false

[data]
  dir = "{root}/data"
  wal-dir = "{root}/wal"
  query-log-enabled = false
  trace-logging-enabled = false

[retention]
  enabled = false

[monitor]
  store-enabled = false

[subscriber]
  enabled = false

[continuous_queries]
  enabled = false

[http]
  enabled = true
  bind-address = "{host}:{http_port}"
  auth-enabled = false
  log-enabled = false
  pprof-enabled = false

[logging]
  level = "warn"
"""


def find_influxd() -> str | None:
    return shutil.which("influxd") or (
        "/usr/bin/influxd" if Path("/usr/bin/influxd").exists() else None)


class Influxd(ServerProcess):
    """One ``influxd`` on free loopback ports, its files under ``root``, no auth."""

    name = "influxd"

    def __init__(self, root: str | Path, host: str = "127.0.0.1") -> None:
        self.root = Path(root)
        self.host = host
        self.http_port = free_port(host)
        self.rpc_port = free_port(host)
        self.config_file = self.root / "influxdb.conf"
        super().__init__(self.root / "influxd.log")

    @property
    def http_url(self) -> str:
        return f"http://{self.host}:{self.http_port}"

    def url(self, database: str) -> str:
        """The ``influx+http://`` URL Zenith's settings take, for ``database``."""
        return f"influx+http://{self.host}:{self.http_port}/{database}"

    def start(self, timeout: float = 30.0) -> None:
        binary = find_influxd()
        if binary is None:
            raise RuntimeError("influxd not found: apt-get install influxdb")
        self.root.mkdir(parents=True, exist_ok=True)
        self.config_file.write_text(_CONFIG.format(host=self.host, rpc_port=self.rpc_port,
                                                   http_port=self.http_port, root=self.root))
        self.spawn([binary, "-config", str(self.config_file)], log_output=True)
        self.wait_ready(self._answers, timeout, self.http_url + "/ping")

    def _answers(self) -> bool:
        try:
            with urllib.request.urlopen(self.http_url + "/ping", timeout=1) as reply:
                return bool(reply.status == 204)
        except urllib.error.URLError:
            return False
