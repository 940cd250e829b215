"""The hub's ingest paths reach the web service, through compose and the Ingress."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from zenith_web.ingest_settings import IngestSettings
from zenith_web.views.ingest_routes import INGEST_ROUTES

ROOT = Path(__file__).resolve().parents[2]
ASK_PATHS = ("/getSecrets.php", "/api/v1/image_upload.php", "/api/v1/nightly_upload.php",
             "/api/v1/meteor_upload.php", "/api/v1/weather.php", "/api/v2/write")


def _size(text: str) -> int:
    match = re.fullmatch(r"(\d+)([kmg]?)", text.strip().lower())
    assert match, text
    return int(match.group(1)) * {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3}[match.group(2)]


def test_every_ingest_path_is_a_web_route() -> None:
    paths = {spec.path for spec in INGEST_ROUTES}
    assert set(ASK_PATHS) <= paths
    assert all(p in ASK_PATHS or p.startswith("/api/ingest/v1/") for p in paths)


def test_the_ingress_sends_the_ingest_paths_to_web_unbuffered_and_big_enough() -> None:
    ingress = yaml.safe_load((ROOT / "k8s/base/ingress.yaml").read_text())
    rules = [(p["path"], p["pathType"], p["backend"]["service"]["name"])
             for rule in ingress["spec"]["rules"] for p in rule["http"]["paths"]]
    for path in (*ASK_PATHS, "/api/ingest/v1/alpha/frames"):
        matching = [r for r in rules if (r[1] == "Prefix" and path.startswith(r[0])) or
                    (r[1] == "Exact" and path == r[0])]
        assert matching and max(matching, key=lambda r: len(r[0]))[2] == "web", path
    notes = ingress["metadata"]["annotations"]
    assert _size(notes["nginx.ingress.kubernetes.io/proxy-body-size"]) > \
        IngestSettings.model_fields["web_ingest_max_video"].default
    assert notes["nginx.ingress.kubernetes.io/proxy-request-buffering"] == "off"


def test_the_hub_indexes_uploaded_products() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    assert compose["services"]["products"]["environment"]["ZENITH_PRODUCTS_HUB_INGEST"] == "true"
    web = compose["services"]["web"]
    assert any(str(p).endswith(":8080") for p in web.get("ports", []))
