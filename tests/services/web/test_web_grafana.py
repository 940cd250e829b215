"""The provisioned Grafana dashboards (deploy/grafana): the JSON loads, each
has the camera variable, and every InfluxQL query names a measurement and
field that Zenith writes — the set taken from the code that writes them
(each sensor backend's MEASUREMENT and the fields it produces, the sky
metrics capture stores), not from a list kept here. The camera page links to
them when web_grafana_url is set."""

from __future__ import annotations

import importlib
import json
import re
import typing
import urllib.parse
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.services.web.webstack import CAMERA, WebUnderTest, start_web
from tests.support.influx import Influxd
from zenith.contracts import sensors as sensor_contracts
from zenith.storage.factory import open_series
from zenith.storage.series import Point
from zenith_capture.skymetrics import SkyMetrics
from zenith_sensors.backends.night import Night
from zenith_sensors.config import DriverName, SensorSpec
from zenith_web.grafana import DASHBOARDS

ROOT = Path(__file__).resolve().parents[3]
GRAFANA = ROOT / "deploy" / "grafana"
QUERY = re.compile(r'^SELECT (?P<select>.+?) FROM "(?P<measurement>\w+)" WHERE (?P<where>.+)$')
FIELD = re.compile(r'\b(?:mean|last|max|min|count|sum|median)\("(\w+)"\)')


def written() -> dict[str, set[str]]:
    """measurement -> fields, as Zenith's own writers produce them."""
    out: dict[str, set[str]] = {}
    for driver in typing.get_args(DriverName):
        module = importlib.import_module(f"zenith_sensors.backends.{driver}")
        fields = module.simulate(Night(), SensorSpec(name="probe", driver=driver))
        out.setdefault(module.MEASUREMENT, set()).update(fields)
    sky = SkyMetrics(mean=0.1, stars=10, hfr=2.0, sharpness=1.0, sqm=21.0, cloud_cover=0.2)
    out[sensor_contracts.SKY_SENSOR] = set(sky.fields())
    return out


def dashboards() -> list[dict[str, Any]]:
    return [json.loads(p.read_text(encoding="utf-8"))
            for p in sorted((GRAFANA / "dashboards").glob("*.json"))]


def queries(board: dict[str, Any]) -> list[tuple[str, str]]:
    return [(panel["title"], t["query"]) for panel in board["panels"]
            for t in panel.get("targets", [])]


def test_the_writers_are_found() -> None:
    found = written()
    assert {"raspistatus", "bme280", "tsl2591", "sky"} <= set(found)
    assert "raspiDiskPercent" in found["raspistatus"] and "sqm" in found["sky"]


def test_the_dashboards_load_with_a_camera_variable() -> None:
    boards = dashboards()
    assert {b["uid"] for b in boards} == {uid for uid, _t in DASHBOARDS}
    titles = " ".join(b["title"].lower() for b in boards)
    for subject in ("status", "uptime", "disk", "temperatures", "sqm"):
        assert subject in titles
    for board in boards:
        (camera,) = [v for v in board["templating"]["list"] if v["name"] == "camera"]
        assert camera["query"] == 'SHOW TAG VALUES WITH KEY = "camera"'
        assert camera["datasource"]["uid"] == "zenith-influxdb"
        assert queries(board), board["uid"]


def test_every_query_names_a_measurement_and_field_zenith_writes() -> None:
    known = written()
    problems = []
    for board in dashboards():
        for title, query in queries(board):
            match = QUERY.match(query)
            if not match:
                problems.append(f"{board['uid']} / {title}: not a SELECT ... FROM: {query}")
                continue
            measurement = match["measurement"]
            fields = FIELD.findall(match["select"])
            if measurement not in known:
                problems.append(f"{board['uid']} / {title}: nothing writes {measurement!r}")
                continue
            if not fields:
                problems.append(f"{board['uid']} / {title}: no field in {query}")
            for name in fields:
                if name not in known[measurement]:
                    problems.append(f"{board['uid']} / {title}: {measurement} has no "
                                    f"field {name!r} (written: {sorted(known[measurement])})")
            if '"camera" =~ /^$camera$/' not in match["where"] or "$timeFilter" not in \
                    match["where"]:
                problems.append(f"{board['uid']} / {title}: not filtered by $camera and time")
    assert not problems, "\n".join(problems)


def grafana_substitutes(query: str, camera: str) -> str:
    """The query as Grafana sends it for one camera over the last 6 hours."""
    return (query.replace("$camera", re.escape(camera))
            .replace("$timeFilter", "time >= now() - 6h")
            .replace("$__interval", "10m"))


def influxql(server: Influxd, database: str, statement: str) -> dict[str, Any]:
    query = urllib.parse.urlencode({"db": database, "q": statement, "epoch": "s"})
    with urllib.request.urlopen(f"{server.http_url}/query?{query}", timeout=30) as reply:
        return typing.cast(dict[str, Any], json.load(reply))


@pytest.mark.asyncio(loop_scope="package")
async def test_every_query_answers_with_data_on_a_real_influxd(influxd: Influxd,
                                                               influx_url: str) -> None:
    """What Zenith's SeriesStore writes, every panel's query reads back from a
    real influxd (1.x, the InfluxQL Grafana's data source speaks), with
    Grafana's variables filled in: the right measurement, field, tag and type."""
    series = await open_series(influx_url)
    now = datetime.now(UTC).replace(microsecond=0)
    try:
        await series.write([
            Point(measurement, now - timedelta(minutes=20 * step),
                  {name: float(step + 1) for name in fields},
                  {"camera": camera, "sensor": "probe"})
            for measurement, fields in written().items()
            for camera in (CAMERA, "other-cam")
            for step in range(6)])
    finally:
        await series.close()
    database = influx_url.rsplit("/", 1)[1]
    variable = influxql(influxd, database, 'SHOW TAG VALUES WITH KEY = "camera"')
    (tags,) = variable["results"][0]["series"][:1]
    assert {value for _key, value in tags["values"]} >= {CAMERA, "other-cam"}
    problems = []
    for board in dashboards():
        for title, query in queries(board):
            answer = influxql(influxd, database, grafana_substitutes(query, CAMERA))
            result = answer["results"][0]
            if "error" in result:
                problems.append(f"{board['uid']} / {title}: {result['error']}")
                continue
            found = result.get("series", [])
            values = [v for s in found for row in s["values"] for v in row[1:]
                      if v is not None]
            cameras = {s.get("tags", {}).get("camera", CAMERA) for s in found}
            if not values:
                problems.append(f"{board['uid']} / {title}: no data for {query}")
            elif cameras != {CAMERA}:
                problems.append(f"{board['uid']} / {title}: answered for {cameras}")
    assert not problems, "\n".join(problems)


def test_grafana_is_provisioned_with_them_in_compose() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    grafana = compose["services"]["grafana"]
    assert grafana["profiles"] == ["grafana"]  # optional
    provider = yaml.safe_load((GRAFANA / "provisioning" / "dashboards" / "zenith.yaml")
                              .read_text())["providers"][0]
    mounts = dict(v.rsplit(":", 2)[:2] for v in grafana["volumes"])
    assert mounts["./deploy/grafana/dashboards"] == provider["options"]["path"]
    assert mounts["./deploy/grafana/provisioning"] == "/etc/grafana/provisioning"
    sources = yaml.safe_load((GRAFANA / "provisioning" / "datasources" /
                              "zenith-influxdb.yaml").read_text())["datasources"]
    assert {s["uid"] for s in sources} == {"zenith-influxdb"}


@pytest.mark.asyncio(loop_scope="package")
async def test_the_camera_page_links_to_them(web: WebUnderTest, nats_url: str,
                                             remote_host: str, blob_dir: Path) -> None:
    client = web.remote()
    async with client.get(f"/cameras/{CAMERA}") as resp:
        assert 'id="grafana-links"' not in await resp.text()  # no URL: no links
    async with start_web(nats_url, remote_host, blob_dir=blob_dir,
                         web_grafana_url="https://hub.example/grafana/") as other:
        client = other.remote()
        async with client.get(f"/cameras/{CAMERA}") as resp:
            text = await resp.text()
        for uid, _title in DASHBOARDS:
            assert f'href="https://hub.example/grafana/d/{uid}?var-camera={CAMERA}"' in text
        async with client.get(f"/cameras/{CAMERA}", headers={"Accept-Language": "de"}) as resp:
            assert "Temperaturen" in await resp.text()
