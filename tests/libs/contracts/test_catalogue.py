"""The catalogue in docs/ is generated from the contracts and is current."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import zenith.contracts as contracts
from zenith.contracts.services import service_names
from zenith.contracts.streams import STREAMS

ROOT = Path(__file__).resolve().parents[3]
SERVICES = set(service_names())


def test_docs_catalogue_is_current(tmp_path: Path):
    subprocess.run([sys.executable, "-m", "zenith", "catalogue", "--out", str(tmp_path)],
                   check=True, capture_output=True)
    for name in ("asyncapi.json", "bus.md"):
        committed = ROOT / "docs" / name
        assert committed.exists(), f"docs/{name} missing: run `zenith catalogue`"
        assert committed.read_text() == (tmp_path / name).read_text(), \
            f"docs/{name} is stale: run `.venv/bin/zenith catalogue`"


def test_every_declaration_is_well_formed():
    subjects = [ep.subject for ep in contracts.ENDPOINTS.values()]
    assert len(subjects) == len(set(subjects)), "two endpoints share a subject"
    for key, ep in contracts.ENDPOINTS.items():
        assert ep.service in SERVICES, key
        assert ep.subject.startswith("zenith."), key
        json.dumps(ep.request.model_json_schema())
        json.dumps(ep.reply.model_json_schema())
    for name, ev in contracts.EVENTS.items():
        assert ev.subject.startswith("zenith."), name
        stream = next(s for s in STREAMS if s.name == ev.stream)
        prefix = stream.subjects[0].removesuffix(">")
        assert ev.subject.startswith(prefix), f"{name} is outside stream {ev.stream}"


def test_asyncapi_lists_every_endpoint_and_event():
    doc = json.loads((ROOT / "docs" / "asyncapi.json").read_text())
    assert doc["asyncapi"].startswith("3.")
    for key in contracts.ENDPOINTS:
        assert key in doc["operations"]
    for name in contracts.EVENTS:
        assert f"publish.{name}" in doc["operations"]
