"""Generate the bus catalogue from the declarations: AsyncAPI 3 and Markdown.

``zenith catalogue`` writes ``docs/asyncapi.json`` (machine-readable: every
channel, operation and message schema) and ``docs/bus.md`` (for people).
Nothing here is written by hand; a test checks the files are current.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import zenith
from zenith.contracts import COLLECTIONS, ENDPOINTS, EVENTS
from zenith.contracts.base import ErrorReply
from zenith.contracts.services import SERVICES
from zenith.contracts.streams import BUCKETS, STREAMS


def _channel_id(subject: str) -> str:
    return subject.replace("{", "").replace("}", "").replace(".", "_").replace("$", "")


def _params(subject: str) -> dict[str, Any]:
    from zenith.contracts.base import _placeholders

    return {p: {"description": "camera id ([a-z0-9-]{1,32})" if p == "camera" else p}
            for p in _placeholders(subject)}


def _schema_ref(model: type, schemas: dict[str, Any]) -> dict[str, str]:
    schema = model.model_json_schema(ref_template="#/components/schemas/{model}")  # type: ignore[attr-defined]
    for name, sub in schema.pop("$defs", {}).items():
        schemas[name] = sub
    schemas[model.__name__] = schema
    return {"$ref": f"#/components/schemas/{model.__name__}"}


def asyncapi() -> dict[str, Any]:
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    schemas: dict[str, Any] = {}
    _schema_ref(ErrorReply, schemas)
    for key, ep in sorted(ENDPOINTS.items()):
        cid = _channel_id(ep.subject)
        req_name, rep_name = f"{key}.request", f"{key}.reply"
        messages[req_name] = {"name": req_name, "payload": _schema_ref(ep.request, schemas),
                              "contentType": "application/json"}
        messages[rep_name] = {"name": rep_name, "payload": _schema_ref(ep.reply, schemas),
                              "contentType": "application/json"}
        channels[cid] = {
            "address": ep.subject, "parameters": _params(ep.subject),
            "messages": {"request": {"$ref": f"#/components/messages/{req_name}"},
                         "reply": {"$ref": f"#/components/messages/{rep_name}"},
                         "error": {"$ref": "#/components/messages/error"}},
        }
        op: dict[str, Any] = {
            "action": "receive", "summary": ep.summary,
            "channel": {"$ref": f"#/channels/{cid}"},
            "messages": [{"$ref": f"#/channels/{cid}/messages/request"}],
            "reply": {"messages": [{"$ref": f"#/channels/{cid}/messages/reply"},
                                   {"$ref": f"#/channels/{cid}/messages/error"}]},
            "x-service": ep.service,
        }
        if ep.permission:
            op["x-permission"] = ":".join(ep.permission)
        operations[key] = op
    for name, ev in sorted(EVENTS.items()):
        cid = _channel_id(ev.subject)
        messages[name] = {"name": name, "payload": _schema_ref(ev.payload, schemas),
                          "contentType": "application/json"}
        channels[cid] = {"address": ev.subject, "parameters": _params(ev.subject),
                         "messages": {"event": {"$ref": f"#/components/messages/{name}"}},
                         "x-stream": ev.stream}
        operations[f"publish.{name}"] = {
            "action": "send", "summary": ev.summary, "channel": {"$ref": f"#/channels/{cid}"},
            "messages": [{"$ref": f"#/channels/{cid}/messages/event"}],
        }
    messages["error"] = {"name": "error", "payload": {"$ref": "#/components/schemas/ErrorReply"},
                         "contentType": "application/json"}
    return {
        "asyncapi": "3.0.0",
        "info": {"title": "Zenith bus", "version": zenith.__version__,
                 "description": "Every NATS subject of Zenith, generated from zenith.contracts."},
        "defaultContentType": "application/json",
        "channels": channels,
        "operations": operations,
        "components": {"messages": messages, "schemas": schemas},
        "x-streams": [{"name": s.name, "subjects": list(s.subjects),
                       "description": s.description} for s in STREAMS],
        "x-buckets": [{"name": b.name, "description": b.description} for b in BUCKETS],
        "x-services": [{"name": sv.name, "profiles": sorted(sv.profiles),
                        "description": sv.summary} for sv in SERVICES],
        "x-collections": [{"name": c.name, "owner": c.owner, "description": c.summary,
                           "document": _schema_ref(c.document, schemas)}
                          for c in sorted(COLLECTIONS.values(), key=lambda c: c.name)],
    }


def _fields(model: type) -> str:
    schema = model.model_json_schema()  # type: ignore[attr-defined]
    props = schema.get("properties", {})
    if not props:
        return "(empty)"
    required = set(schema.get("required", []))
    return ", ".join(f"`{k}`" + ("" if k in required else "?") for k in props)


def markdown() -> str:
    lines = ["# Zenith bus catalogue", "",
             "Generated by `zenith catalogue` from `libs/src/zenith/contracts`; do not edit.",
             "Errors on every endpoint: `{\"error\": {\"code\", \"message\"}}` with the "
             "`Nats-Service-Error` and `Nats-Service-Error-Code` headers.", "",
             "## Request/reply endpoints", "",
             "| subject | service | request | reply | permission | summary |",
             "|---|---|---|---|---|---|"]
    for ep in sorted(ENDPOINTS.values(), key=lambda e: e.subject):
        perm = ":".join(ep.permission) if ep.permission else ""
        lines.append(f"| `{ep.subject}` | {ep.service} | {_fields(ep.request)} | "
                     f"{_fields(ep.reply)} | {perm} | {ep.summary} |")
    lines += ["", "## Events (JetStream)", "", "| subject | stream | payload | summary |",
              "|---|---|---|---|"]
    for ev in sorted(EVENTS.values(), key=lambda e: e.subject):
        lines.append(f"| `{ev.subject}` | {ev.stream} | {_fields(ev.payload)} | {ev.summary} |")
    lines += ["", "## Streams", ""]
    lines += [f"- `{s.name}` ({', '.join(s.subjects)}): {s.description}" for s in STREAMS]
    lines += ["", "## KV buckets", ""]
    lines += [f"- `{b.name}`: {b.description}" for b in BUCKETS]
    lines += ["", "## MetadataStore collections", "",
              "Each has one owner, its only writer; others ask the owner over the bus.", "",
              "| collection | owner | document | summary |", "|---|---|---|---|"]
    for c in sorted(COLLECTIONS.values(), key=lambda c: c.name):
        lines.append(f"| `{c.name}` | {c.owner} | {_fields(c.document)} | {c.summary} |")
    lines += ["", "## Services", "", "| service | profiles | summary |", "|---|---|---|"]
    lines += [f"| {sv.name} | {', '.join(sorted(sv.profiles))} | {sv.summary} |"
              for sv in SERVICES]
    return "\n".join(lines) + "\n"


def write_catalogue(out: str | Path = "docs") -> list[Path]:
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    api = folder / "asyncapi.json"
    api.write_text(json.dumps(asyncapi(), indent=2, sort_keys=True) + "\n")
    md = folder / "bus.md"
    md.write_text(markdown())
    return [api, md]


