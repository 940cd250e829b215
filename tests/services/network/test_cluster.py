"""The hub on a 3-node JetStream cluster (replicas 3): a node dies during ingest.

No upload acknowledged before the kill is lost, and uploads go on (a camera
that got an error retries, as the AllSkyKamera client does on its next run).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from zenith.bus.connect import connect
from zenith.bus.jetstream import ensure_jetstream
from zenith.cli.nats_server import find_nats_server, free_port
from zenith.config import load_settings
from zenith.contracts import camerakeys as k
from zenith.contracts import network as c
from zenith.runner import service_context
from zenith_auth.main import serve as serve_auth
from zenith_network.main import serve as serve_network
from zenith_web.main import serve as serve_web
from zenith_web.settings import WebSettings

from .conftest import auth_settings, camera_body, network_settings
from .test_ingest_allskykamera import images

pytestmark = pytest.mark.slow


def _up(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock:
            return sock.recv(4).startswith(b"INFO")
    except OSError:
        return False


@contextlib.contextmanager
def cluster(tmp: Path, size: int = 3) -> Iterator[tuple[list[str], list[subprocess.Popen[bytes]]]]:
    ports = [free_port() for _ in range(size)]
    routes = [free_port() for _ in range(size)]
    procs: list[subprocess.Popen[bytes]] = []
    try:
        for i in range(size):
            store = tmp / f"n{i}"
            store.mkdir(parents=True)
            peers = ", ".join(f"nats-route://127.0.0.1:{r}" for r in routes)
            conf = store / "nats.conf"
            conf.write_text(
                f'server_name: "n{i}"\nlisten: "127.0.0.1:{ports[i]}"\n'
                f'jetstream {{ store_dir: "{store}" }}\n'
                f'cluster {{ name: "zenith-test", listen: "127.0.0.1:{routes[i]}", '
                f"routes: [{peers}] }}\n")
            log = (store / "log").open("wb")
            procs.append(subprocess.Popen([find_nats_server(), "-c", str(conf)], stdout=log,
                                          stderr=subprocess.STDOUT))
        deadline = time.monotonic() + 30
        while not all(_up(p) for p in ports):
            assert time.monotonic() < deadline, "cluster did not start"
            time.sleep(0.1)
        yield [f"nats://127.0.0.1:{p}" for p in ports], procs
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.terminate()
        for proc in procs:
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(10)
            if proc.poll() is None:
                proc.kill()


async def _jetstream_ready(url: str) -> None:
    nc = await connect(url, name="cluster-setup")
    try:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 60
        while True:
            try:
                await ensure_jetstream(nc, 3)
                return
            except Exception:
                if loop.time() > deadline:
                    raise
                await asyncio.sleep(0.5)
    finally:
        await nc.close()


async def _upload(url: str, key: str, seed: int, deadline_s: float = 90) -> str:
    """Upload until the hub says ok (as a camera would, retrying); the upload id."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + deadline_s
    while True:
        try:
            r = await asyncio.to_thread(requests.post, url + "/api/v1/image_upload.php",
                                        headers={"X-API-Key": key}, files=images(seed=seed),
                                        data={"asset": "image"}, timeout=30)
            if r.status_code == 200 and r.json().get("ok") is True:
                return str(r.json()["upload_id"])
        except requests.RequestException:
            pass
        assert loop.time() < deadline, f"upload {seed} never succeeded"
        await asyncio.sleep(0.5)


async def test_a_node_dies_during_ingest_and_no_acknowledged_upload_is_lost(tmp_path: Path
                                                                            ) -> None:
    with cluster(tmp_path / "nats") as (urls, procs):
        await _jetstream_ready(urls[0])
        nats_url = ",".join(urls)
        common = {"jetstream_replicas": 3}
        auth = auth_settings(tmp_path, nats_url, **common)
        net = network_settings(tmp_path, nats_url, **common)
        port = free_port()
        web = load_settings(WebSettings, env={}, nats_url=nats_url, http_port=port,
                            blob_dir=tmp_path / "blobs", data_dir=tmp_path / "web",
                            web_local_no_auth=False, **common)
        async with service_context("auth", auth, serve_auth) as actx, \
                service_context("network", net, serve_network), \
                service_context("web", web, serve_web):
            bus = actx.bus
            await bus.request(c.CAMERA_ADD, camera_body("alpha"))
            key = (await bus.request(k.KEY_ISSUE, {"camera": "alpha"})).key
            hub = f"http://127.0.0.1:{port}"
            before = [await _upload(hub, key, seed) for seed in range(6)]
            procs[0].kill()  # the first node dies mid-ingest (SIGKILL: no goodbye)
            procs[0].wait(10)
            after = [await _upload(hub, key, seed) for seed in range(6, 12)]

            nc = await connect(",".join(urls[1:]), name="cluster-check")
            try:
                js = nc.jetstream()
                info = await js.stream_info("INGEST")
                assert info.config.num_replicas == 3
                stored = set()
                for seq in range(info.state.first_seq, info.state.last_seq + 1):
                    with contextlib.suppress(Exception):
                        msg = await js.get_msg("INGEST", seq)
                        stored.add(json.loads(msg.data)["upload_id"])
            finally:
                await nc.close()
            assert set(before) <= stored, "an upload acknowledged before the kill was lost"
            assert set(after) <= stored
            assert len(set(before) | set(after)) == 12
