"""``zenith hub seed``: a small seeded data dir is history a hub serves over the bus."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from zenith.config import Settings, load_settings
from zenith.contracts import frames, products
from zenith.contracts import network as c
from zenith.contracts.sensors import SKY_SENSOR
from zenith.runner import service_context
from zenith.storage.factory import open_from_settings
from zenith_capture.service import serve as serve_capture
from zenith_capture.settings import CaptureSettings
from zenith_network.main import serve as serve_network
from zenith_network.seed import NIGHT_KINDS, seed
from zenith_network.settings import NetworkSettings
from zenith_products.main import serve as serve_products
from zenith_products.settings import ProductsSettings

ZENITH = str(Path(sys.executable).parent / "zenith")


def test_the_command_seeds_a_data_dir(tmp_path: Path) -> None:
    result = subprocess.run([ZENITH, "hub", "seed", "--cameras", "2", "--days", "2",
                             "--data-dir", str(tmp_path / "var")],
                            capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, result.stderr
    assert "seeded 2 cameras x 2 nights" in result.stdout
    assert (tmp_path / "var" / "metadata.db").is_file()
    bad = subprocess.run([ZENITH, "hub", "seed", "--cameras", "0", "--data-dir",
                          str(tmp_path / "other")], capture_output=True, text=True,
                         timeout=300, check=False)
    assert bad.returncode == 2 and "--cameras" in bad.stderr
    assert not (tmp_path / "other").exists()


async def test_a_hub_on_the_seeded_data_dir_lists_cameras_and_products(tmp_path: Path,
                                                                       nats_server: Any,
                                                                       bus: Any) -> None:
    data = tmp_path / "var"
    base = load_settings(Settings, env={}, data_dir=data)
    today = date(2026, 3, 3)  # nights 2026-02-26 .. 03-02: two months
    done = await seed(base, cameras=3, days=5, today=today)
    assert done["cameras"] == 3 and done["readings"] > 0
    again = await seed(base, cameras=3, days=5, today=today)  # the same documents again
    assert again["files"] == done["files"]

    common = {"nats_url": nats_server.url, "data_dir": data}
    async with (
        service_context("network", load_settings(NetworkSettings, env={}, **common),
                        serve_network),
        service_context("capture", load_settings(CaptureSettings, env={},
                                                 capture_hub_ingest=True, **common),
                        serve_capture),
        service_context("products", load_settings(ProductsSettings, env={},
                                                  products_hub_ingest=True,
                                                  products_retention_interval_s=0, **common),
                        serve_products),
    ):
        listed = await bus.request(c.CAMERA_LIST, {})
        cams = {cam.id: cam for cam in listed.cameras}
        assert set(cams) == {"seed-000", "seed-001", "seed-002"}
        assert len({cam.location.longitude for cam in cams.values()}) == 3
        assert all(cam.owners and cam.code.startswith("SEED") for cam in cams.values())

        found = await bus.request(products.LIST, {"limit": 100}, camera="seed-001")
        kinds = sorted((p.kind, p.night) for p in found.products)
        nights = ["2026-02-26", "2026-02-27", "2026-02-28", "2026-03-01", "2026-03-02"]
        assert [k for k in kinds if k[0] in NIGHT_KINDS] == sorted(
            (kind, night) for kind in NIGHT_KINDS for night in nights)
        assert {k for k in kinds if k[0].startswith("monthly")} == {
            (kind, month) for kind in ("monthly-keogram", "monthly-timelapse")
            for month in ("2026-02-01", "2026-03-01")}
        for p in found.products:
            assert (data / "blobs" / p.key).stat().st_size > 0
            assert p.key == products.product_key("seed-001", p.night, p.kind)

        seen = await bus.request(frames.NIGHTS, {}, camera="seed-002")
        assert [n.night for n in seen.nights] == nights
        assert all(n.frames == 3 for n in seen.nights)

    _, series, _ = await open_from_settings(base)
    try:
        rows = await series.query(SKY_SENSOR, ["sqm"], start=datetime(2026, 2, 1, tzinfo=UTC),
                                  end=datetime(2026, 4, 1, tzinfo=UTC),
                                  tags={"camera": "seed-000"})
        assert len(rows) == 15
    finally:
        await series.close()
