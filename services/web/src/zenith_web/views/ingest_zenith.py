"""Zenith's own ingest dialect, for a node's uplink (``ingest.ZENITH_PREFIX``).

Richer than the AllSkyKamera dialect and safe to retry: the camera is in
the path and must be the key's (``403 wrong_camera`` otherwise), and every
request carries an ``Idempotency-Key``. The upload id (and the JetStream
message id of every event) derives from the camera and that key, so a
retry after a lost answer is recognised (``"duplicate": true``) and
changes nothing; a batch of readings resent whole stores each reading once.
Readings of sensors the owner switched off are dropped; the answer names
them (``disabled_sensors``), and ``GET .../config`` tells it without a batch.
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import date

from aiohttp import web
from pydantic import ValidationError

from zenith.contracts import ingest, sensors
from zenith.errors import BadRequest, invalid
from zenith.ids import validate_camera_id
from zenith.timefmt import utcnow
from zenith_web import keys
from zenith_web.multipart_stream import Upload
from zenith_web.views.ingest import (
    CODES,
    _bounded_body,
    _publish,
    _publish_readings,
    _receive,
    ask_dialect,
    camera_of,
)
from zenith_web.views.ingest_disabled import disabled_of

META_LIMIT = 8 * 1024


def _check_idempotency(value: str) -> str:
    if not re.fullmatch(r"[A-Za-z0-9_.:-]{1,128}", value):
        raise BadRequest("the Idempotency-Key header must be 1-128 of A-Z a-z 0-9 _ . : -",
                         code="invalid_idempotency_key")
    return value


def _check_night(night: str) -> None:
    try:
        date.fromisoformat(night)
    except ValueError:
        raise BadRequest("night must be YYYY-MM-DD", code="invalid_night") from None


def _camera(request: web.Request) -> str:
    return validate_camera_id(request.match_info["camera"])


def _upload_id(camera: str, kind: str, key: str) -> str:
    return f"{camera}-{kind}-{hashlib.sha256(f'{camera}|{kind}|{key}'.encode()).hexdigest()[:32]}"


@ask_dialect
async def frame(request: web.Request) -> web.Response:
    """A frame with its metadata: part ``frame`` (JPEG), field ``meta`` (FrameMeta JSON)."""
    camera = _camera(request)
    idem = _check_idempotency(request.headers.get("Idempotency-Key", ""))
    settings = request.app[keys.SETTINGS]
    meta: dict[str, ingest.FrameMeta] = {}

    def validate(upload: Upload) -> None:
        try:
            meta["m"] = ingest.FrameMeta.model_validate_json(upload.fields.get("meta", ""))
        except ValidationError as exc:
            raise invalid(exc, "meta") from None

    def build(cam: str, upload: Upload, staged: dict[str, ingest.StagedPart]
              ) -> ingest.UploadReceived:
        m = meta["m"]
        return ingest.UploadReceived(
            upload_id=_upload_id(cam, "frame", idem), camera=cam, kind="frame", asset="frame",
            dialect="zenith", received_at=utcnow(), taken_at=m.taken_at, night=m.night,
            parts={"fullhd": staged["frame"].model_copy(update={"name": "fullhd"})},
            meta={"exposure_s": m.exposure_s, "gain": m.gain, "metrics": m.metrics})

    return await _receive(request, {"frame": settings.web_ingest_max_image},
                          {"frame": "image"}, build, validate, camera=camera,
                          json_fields={"meta": META_LIMIT})


@ask_dialect
async def product(request: web.Request) -> web.Response:
    """A final nightly product: fields ``kind``, ``night`` (YYYY-MM-DD); parts ``file``
    and ``thumb`` (JPEG)."""
    camera = _camera(request)
    idem = _check_idempotency(request.headers.get("Idempotency-Key", ""))
    settings = request.app[keys.SETTINGS]
    checks: dict[str, str] = {}
    fields: dict[str, str] = {}

    def validate(upload: Upload) -> None:
        kind = upload.fields.get("kind", "")
        if kind not in ingest.ZENITH_KINDS:
            raise BadRequest(f"kind must be one of {', '.join(ingest.ZENITH_KINDS)}",
                             code="invalid_kind")
        night = upload.fields.get("night", "")
        try:
            date.fromisoformat(night)
        except ValueError:
            raise BadRequest("night must be YYYY-MM-DD", code="invalid_night") from None
        fields.update(kind=kind, night=night)
        checks.update({"file": "video" if kind == "timelapse" else "image", "thumb": "image"})

    def build(cam: str, upload: Upload, staged: dict[str, ingest.StagedPart]
              ) -> ingest.UploadReceived:
        if "file" in staged and staged["file"].content_type == "image/jpeg":
            # an image product's file is its fullhd, as the AllSkyKamera dialect names it
            image = staged.pop("file")
            staged = {**staged, "fullhd": image.model_copy(update={"name": "fullhd"})}
        now = utcnow()
        return ingest.UploadReceived(
            upload_id=_upload_id(cam, "product", idem), camera=cam, kind="product",
            asset=ingest.ZENITH_KINDS[fields["kind"]], dialect="zenith",
            received_at=now, taken_at=now, night=fields["night"], parts=staged)

    limits = {"file": settings.web_ingest_max_video, "thumb": settings.web_ingest_max_image}
    return await _receive(request, limits, checks, build, validate, camera=camera)


@ask_dialect
async def meteor(request: web.Request) -> web.Response:
    """A meteor candidate: field ``meta`` (MeteorMeta JSON: night, candidate id and the
    detector's record); parts ``crop``, ``marked`` and ``diff`` (JPEG). Stored as the
    hub stores an AllSkyKamera camera's candidates (``ingest.METEORS``, by day = night)."""
    camera = _camera(request)
    idem = _check_idempotency(request.headers.get("Idempotency-Key", ""))
    settings = request.app[keys.SETTINGS]
    meta: dict[str, ingest.MeteorMeta] = {}

    def validate(upload: Upload) -> None:
        try:
            meta["m"] = ingest.MeteorMeta.model_validate_json(upload.fields.get("meta", ""))
        except ValidationError as exc:
            raise invalid(exc, "meta") from None
        _check_night(meta["m"].night)

    def build(cam: str, upload: Upload, staged: dict[str, ingest.StagedPart]
              ) -> ingest.UploadReceived:
        m = meta["m"]
        return ingest.UploadReceived(
            upload_id=_upload_id(cam, "meteor", idem), camera=cam, kind="meteor",
            asset="meteor", dialect="zenith", received_at=utcnow(), taken_at=m.record.taken_at,
            day=m.night, candidate_id=m.candidate_id, parts=staged,
            meta={"candidate": m.record.model_dump(mode="json")})

    parts = ingest.ZENITH_METEOR_PARTS
    return await _receive(request, dict.fromkeys(parts, settings.web_ingest_max_image),
                          dict.fromkeys(parts, "image"), build, validate, camera=camera,
                          json_fields={"meta": META_LIMIT})


@ask_dialect
async def meteor_withdrawn(request: web.Request) -> web.Response:
    """The node withdrew a candidate: the hub removes it (announced like an upload, so
    it is durable and in order with the candidate's own upload)."""
    camera = _camera(request)
    idem = _check_idempotency(request.headers.get("Idempotency-Key", ""))
    try:
        where = ingest.MeteorPath.model_validate(dict(request.match_info))
    except ValidationError as exc:
        raise invalid(exc) from None
    _check_night(where.night)
    verdict = await camera_of(request, request.headers.get("X-API-Key"), camera=camera)
    now = utcnow()
    event = ingest.UploadReceived(
        upload_id=_upload_id(verdict.camera, "meteor-withdrawn", idem), camera=verdict.camera,
        kind="meteor", asset="meteor", dialect="zenith", received_at=now, taken_at=now,
        day=where.night, candidate_id=where.candidate_id, parts={},
        meta={ingest.WITHDRAWN: True})
    duplicate = await _publish(request, event)
    return web.json_response({"ok": True, "upload_id": event.upload_id,
                              "duplicate": duplicate})


@ask_dialect
async def readings(request: web.Request) -> web.Response:
    """A batch of readings (ReadingBatch JSON)."""
    camera = _camera(request)
    idem = _check_idempotency(request.headers.get("Idempotency-Key", ""))
    verdict = await camera_of(request, request.headers.get("X-API-Key"), camera=camera)
    if request.content_type != "application/json":
        raise BadRequest("send the batch as application/json", code="invalid_json")
    raw = await _bounded_body(request, 1024 * 1024)
    try:
        batch = ingest.ReadingBatch.model_validate_json(raw)
    except ValidationError as exc:
        raise invalid(exc) from None
    except (ValueError, json.JSONDecodeError):
        raise BadRequest("body is not valid JSON", code="invalid_json") from None
    code = await request.app[CODES].code(request, verdict.camera)
    out = [sensors.Reading(camera=verdict.camera, sensor=r.sensor, measurement=r.measurement,
                           time=r.time, fields=r.fields,
                           tags={**r.tags, ingest.CAMERA_TAG: code})
           for r in batch.readings]
    ids = [f"{_upload_id(verdict.camera, 'readings', idem)}.{n}" for n in range(len(out))]
    disabled = await disabled_of(request, verdict.camera)
    kept = [(r, i) for r, i in zip(out, ids, strict=True) if r.sensor not in disabled]
    if kept:
        await _publish_readings(request, [r for r, _ in kept], [i for _, i in kept])
    return web.json_response({"ok": True, "stored": len(kept), "dropped": len(out) - len(kept),
                              "disabled_sensors": sorted(disabled)})


@ask_dialect
async def config(request: web.Request) -> web.Response:
    """What the camera's owner chose on the hub for the node to apply (NodeConfig)."""
    camera = _camera(request)
    verdict = await camera_of(request, request.headers.get("X-API-Key"), camera=camera)
    body = ingest.NodeConfig(disabled_sensors=sorted(await disabled_of(request,
                                                                       verdict.camera)))
    return web.json_response(body.model_dump(mode="json"))

