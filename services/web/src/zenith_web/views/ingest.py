"""The hub's upload routes in the AllSkyKamera dialect (``contracts.ingest``).

Every route finds its camera from its key alone (``auth`` answers which
camera a key belongs to); a ``kamera`` field in the request is ignored. An
upload is streamed to staging (:mod:`zenith_web.multipart_stream`); each part
is checked by decoding and stripped of metadata (:mod:`zenith_web.uploadcheck`:
JPEG EXIF/GPS, a video's container tags and location) as soon as it is received
(an image from its bytes, kept in memory while its file is written; for a key
accepted lately, even before this upload's verdict), synced and
moved to a staging folder of the request's own (:mod:`~.ingest_staging`), and
the upload is announced on INGEST; the camera hears ``{"ok": true}`` only after
JetStream acknowledged the announcement. Failures answer ``{"ok": false,
"error": <code>, "message": ...}`` (with ``retry_after_seconds`` when waiting
helps); one refused before its announcement leaves nothing behind.

``/api/v2/write`` answers like InfluxDB (204; errors as ``{"code",
"message"}``) and publishes each point as a SENSORS reading, except those of
sensors the owner switched off (:mod:`~.ingest_disabled`).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import line_protocol_parser
from aiohttp import web
from pydantic import ValidationError

from zenith.contracts import camerakeys, ingest, network, sensors
from zenith.errors import BadRequest, TooManyRequests, Unauthorized, ZenithError, invalid
from zenith.storage import staging
from zenith.storage.blob import BlobStore
from zenith.timefmt import utcnow
from zenith_web import keys
from zenith_web.multipart_stream import MemoryBudget, Upload, read_upload
from zenith_web.tempfiles import TempFiles
from zenith_web.views.ingest_disabled import disabled_of, enabled_only, setup_disabled
from zenith_web.views.ingest_staging import (
    IMAGE_WIDTHS,
    KnownKeys,
    PartChecks,
    checked,
    stage,
)

log = logging.getLogger("zenith.web.ingest")

BLOBS = web.AppKey("ingest_blobs", BlobStore)
TEMP_FILES = web.AppKey("ingest_temp_files", TempFiles)
MEMORY = web.AppKey("ingest_memory", MemoryBudget)
CODE_TTL_S = 30.0  # how long a camera's display code is reused without asking network
MAX_CODES = 10_000
NIGHTLY_ASSETS = ("keogram", "startrail", "video")
METEOR_IMAGES = ("current_fullhd", "current_small", "previous_small", "diff_small",
                 "boxed_small")
METEOR_JSON = ("candidate_json", "day_index")
DATE_RE = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
PUBLISH_TIMEOUT_S = 10.0


class CameraCodes:
    """Display codes of cameras (the ``kamera`` tag of their readings), asked of
    ``network`` at most once per :data:`CODE_TTL_S` per camera: a camera writing
    one point per request (the AllSkyKamera client) costs no lookup each time. A
    changed code shows in readings within that time."""

    def __init__(self) -> None:
        self._codes: dict[str, tuple[float, str]] = {}

    async def code(self, request: web.Request, camera: str) -> str:
        now = time.monotonic()
        cached = self._codes.get(camera)
        if cached is not None and now - cached[0] < CODE_TTL_S:
            return cached[1]
        found = await request.app[keys.BUS].request(network.CAMERA_GET, {"camera": camera})
        if len(self._codes) >= MAX_CODES:
            self._codes.clear()
        self._codes[camera] = (now, found.code)
        return found.code


CODES = web.AppKey("ingest_camera_codes", CameraCodes)
KNOWN_KEYS = web.AppKey("ingest_known_keys", KnownKeys)


def setup_ingest(app: web.Application, blob_dir: Path) -> None:
    app[BLOBS] = BlobStore(blob_dir)
    app[TEMP_FILES] = TempFiles(app[BLOBS].path(ingest.STAGING_ROOT),
                                app[keys.SETTINGS].web_ingest_spare_files)
    app[MEMORY] = MemoryBudget(app[keys.SETTINGS].web_ingest_memory)
    app[CODES] = CameraCodes()
    app[KNOWN_KEYS] = KnownKeys()
    setup_disabled(app)
    app.cleanup_ctx.append(sweep_staging)
    app.on_cleanup.append(_remove_spare_files)


async def _remove_spare_files(app: web.Application) -> None:
    await app[TEMP_FILES].close()


async def sweep_staging(app: web.Application) -> AsyncIterator[None]:
    """cleanup_ctx: now and then, sweep what no consumer will take from staging
    (:func:`zenith.storage.staging.sweep`; every replica may, it is idempotent)."""
    interval = app[keys.SETTINGS].web_staging_sweep_interval_s

    async def loop() -> None:
        while True:
            try:
                await asyncio.to_thread(staging.sweep, app[BLOBS])
            except Exception:
                log.exception("staging sweep failed; trying again in %.0f s", interval)
            await asyncio.sleep(interval)

    task = asyncio.create_task(loop(), name="staging-sweep") if interval > 0 else None
    try:
        yield
    finally:
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


# --- keys --------------------------------------------------------------------------------


async def camera_of(request: web.Request, credential: str | None, kind: str = "key",
                    camera: str | None = None) -> camerakeys.KeyVerdict:
    if not credential:
        raise Unauthorized("a camera key is required (X-API-Key)", code="missing_camera_key")
    client = request.get(keys.CLIENT)
    address = client.address[:64] if client is not None else None
    try:
        return await request.app[keys.BUS].request(
            camerakeys.KEY_CHECK, {"credential": credential[:200], "kind": kind,
                                   "client_ip": address, "camera": camera})
    except BadRequest:
        raise Unauthorized("invalid camera key", code="invalid_camera_key") from None


def _failed(exc: ZenithError) -> web.Response:
    body: dict[str, Any] = {"ok": False, "error": exc.code, "message": exc.message}
    if isinstance(exc, TooManyRequests) and isinstance(exc.details, dict):
        body["retry_after_seconds"] = int(exc.details.get("retry_after", 60))
    elif exc.status >= 500:
        body["retry_after_seconds"] = 60
    response = web.json_response(body, status=exc.status)
    if "retry_after_seconds" in body:
        response.headers["Retry-After"] = str(body["retry_after_seconds"])
    return response


def ask_dialect(view: Callable[[web.Request], Awaitable[web.StreamResponse]]
                ) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    """Errors in the AllSkyKamera upload shape: ``{"ok": false, "error", ...}``."""

    async def wrapped(request: web.Request) -> web.StreamResponse:
        try:
            return await view(request)
        except ZenithError as exc:
            return _failed(exc)

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return wrapped


# --- getSecrets --------------------------------------------------------------------------


def _base_url(request: web.Request) -> str:
    configured = request.app[keys.SETTINGS].web_public_url
    if configured:
        return configured.rstrip("/")
    client = request.get(keys.CLIENT)
    scheme = request.headers.get("X-Forwarded-Proto", request.scheme) \
        if client is not None and client.via_proxy else request.scheme
    return f"{scheme}://{request.host}"


async def get_secrets(request: web.Request) -> web.Response:
    """``GET /getSecrets.php?key=``: the client's settings (no database credential)."""
    verdict = await camera_of(request, request.query.get("key"))
    code = await request.app[CODES].code(request, verdict.camera)
    secrets = ingest.Secrets(kamera_id=code, influx_url=_base_url(request),
                             influx_token=verdict.write_token, influx_org=ingest.INFLUX_ORG,
                             influx_bucket=ingest.INFLUX_BUCKET)
    return web.Response(text=secrets.model_dump_json(), content_type="application/json")


# --- receiving ---------------------------------------------------------------------------


async def _publish(request: web.Request, event: ingest.UploadReceived) -> bool:
    """Announce ``event``; True when JetStream had it already (a retry)."""
    js = request.app[keys.NC].jetstream()
    subject = ingest.UPLOAD_RECEIVED.subject_for(camera=event.camera, kind=event.kind)
    try:
        ack = await js.publish(subject, event.model_dump_json().encode(),
                               timeout=PUBLISH_TIMEOUT_S,
                               headers={"Nats-Msg-Id": event.upload_id})
        return bool(ack.duplicate)
    except Exception as exc:
        log.warning("upload %s not announced: %s", event.upload_id, exc)
        from zenith.errors import Unavailable

        raise Unavailable("the hub could not store the upload durably; try again",
                          code="not_durable") from None


async def _receive(request: web.Request, limits: dict[str, int], checks: dict[str, str],
                   build: Callable[[str, Upload, dict[str, ingest.StagedPart]],
                                   ingest.UploadReceived],
                   validate: Callable[[Upload], None] | None = None, *,
                   camera: str | None = None, json_fields: dict[str, int] | None = None
                   ) -> web.Response:
    credential = request.headers.get("X-API-Key", "")
    if not credential:
        await camera_of(request, credential)  # raises: no body is read
    blobs = request.app[BLOBS]
    # the key is checked while the body streams in (the check is a bus round trip
    # or more); a refused key stops the streaming and removes what it wrote, and
    # its refusal is the answer, whatever the body was
    checking = asyncio.ensure_future(camera_of(request, credential, camera=camera))
    # two turns of the loop: the check's request is written to the bus (by the
    # client's flusher task) before parsing the body keeps the loop busy; it
    # reached auth 2.9 ms after the handler started otherwise, 0.6 ms with them
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    known = request.app[KNOWN_KEYS]
    early = PartChecks(checking, checks, request.app[keys.SETTINGS].web_ingest_max_pixels,
                       wait_for_verdict=not known.known(credential))
    reading = asyncio.ensure_future(read_upload(
        request, limits, request.app[TEMP_FILES], json_fields=json_fields,
        on_file=early.on_file, in_memory=lambda name: checks.get(name) == "image",
        memory=request.app[MEMORY]))
    try:
        verdict = await checking
    except BaseException:
        known.refused(credential)
        reading.cancel()
        with contextlib.suppress(BaseException):
            (await reading).discard()  # finished before the cancel took effect
        await early.settle()
        raise
    known.accepted(credential)
    try:
        upload = await reading
    except BaseException:
        await early.settle()  # read_upload removed the files
        raise
    try:
        if validate is not None:
            validate(upload)
        staged = await checked(upload, checks, early)
        event = await stage(blobs, build(verdict.camera, upload, staged), upload)
    except BaseException:
        await early.settle()
        upload.discard()
        raise
    try:
        duplicate = await _publish(request, event)
    finally:
        # a failed announcement may be stored all the same (a timeout): its parts stay
        # staged, and the sweep takes them if no consumer does
        await early.settle()  # checks of parts the route did not keep
        upload.discard()
    if duplicate:  # the stream keeps the first request's event, naming its own parts
        await asyncio.to_thread(staging.unstage, blobs, event)
    return web.json_response({"ok": True, "upload_id": event.upload_id,
                              "duplicate": duplicate})


def _night(text: str | None, field: str) -> str:
    match = DATE_RE.fullmatch(text or "")
    if match is None:
        raise BadRequest(f"{field} must be YYYYMMDD", code=f"invalid_{field}")
    y, m, d = (int(g) for g in match.groups())
    try:
        return datetime(y, m, d, tzinfo=UTC).strftime("%Y-%m-%d")
    except ValueError:
        raise BadRequest(f"{field} {text!r} is not a date", code=f"invalid_{field}") from None


def _primary_digest(staged: dict[str, ingest.StagedPart]) -> str:
    return hashlib.sha256("|".join(f"{k}:{v.sha256}" for k, v in sorted(staged.items()))
                          .encode()).hexdigest()


# --- image, nightly, meteor ----------------------------------------------------------------


@ask_dialect
async def image_upload(request: web.Request) -> web.Response:
    """``POST /api/v1/image_upload.php``: the live image (fullhd, mobile, thumb)."""
    settings = request.app[keys.SETTINGS]
    limits = dict.fromkeys(IMAGE_WIDTHS, settings.web_ingest_max_image)

    def validate(upload: Upload) -> None:
        asset = upload.fields.get("asset", "image")
        if asset != "image":
            raise BadRequest(f"asset must be 'image', not {asset!r}", code="invalid_asset")

    def build(camera: str, upload: Upload, staged: dict[str, ingest.StagedPart]
              ) -> ingest.UploadReceived:
        now = utcnow()
        digest = staged["fullhd"].sha256
        return ingest.UploadReceived(
            upload_id=ingest.upload_id(camera, "frame", "image", digest), camera=camera,
            kind="frame", asset="image", dialect="allskykamera", received_at=now,
            taken_at=now, parts=staged)

    return await _receive(request, limits, dict.fromkeys(IMAGE_WIDTHS, "image"), build,
                          validate)


@ask_dialect
async def nightly_upload(request: web.Request) -> web.Response:
    """``POST /api/v1/nightly_upload.php``: one nightly product of a night."""
    settings = request.app[keys.SETTINGS]
    limits = {**dict.fromkeys(IMAGE_WIDTHS, settings.web_ingest_max_image),
              "file": settings.web_ingest_max_video}
    # which parts the asset needs is known only once the fields arrived: the
    # client sends its fields before its files, as requests does
    checks: dict[str, str] = {}

    def validate(upload: Upload) -> None:
        asset = upload.fields.get("asset")
        if asset not in NIGHTLY_ASSETS:
            raise BadRequest(f"asset must be one of {', '.join(NIGHTLY_ASSETS)}",
                             code="invalid_asset")
        _night(upload.fields.get("date"), "date")
        checks.update({"file": "video", "thumb": "image"} if asset == "video"
                      else dict.fromkeys(IMAGE_WIDTHS, "image"))

    def build(camera: str, upload: Upload, staged: dict[str, ingest.StagedPart]
              ) -> ingest.UploadReceived:
        now = utcnow()
        asset = upload.fields["asset"]
        night = _night(upload.fields.get("date"), "date")
        return ingest.UploadReceived(
            upload_id=ingest.upload_id(camera, "product", asset, _primary_digest(staged),
                                       night),
            camera=camera, kind="product", asset=asset, dialect="allskykamera",
            received_at=now, taken_at=now, night=night, parts=staged,
            meta={"publish_last": upload.fields.get("publish_last") == "1"})

    return await _receive(request, limits, checks, build, validate)


@ask_dialect
async def meteor_upload(request: web.Request) -> web.Response:
    """``POST /api/v1/meteor_upload.php``: one meteor candidate with its images."""
    settings = request.app[keys.SETTINGS]
    limits = {**dict.fromkeys(METEOR_IMAGES, settings.web_ingest_max_image),
              **dict.fromkeys(METEOR_JSON, settings.web_ingest_max_json)}
    checks = {**dict.fromkeys(METEOR_IMAGES, "image"), **dict.fromkeys(METEOR_JSON, "json")}

    def validate(upload: Upload) -> None:
        asset = upload.fields.get("asset", "meteor")
        if asset != "meteor":
            raise BadRequest("asset must be 'meteor'", code="invalid_asset")
        _night(upload.fields.get("day"), "day")
        if not re.fullmatch(r"[A-Za-z0-9_.:-]{1,64}", upload.fields.get("candidate_id", "")):
            raise BadRequest("candidate_id must be 1-64 of A-Z, a-z, 0-9, '_', '.', ':', '-'",
                             code="invalid_candidate_id")

    def build(camera: str, upload: Upload, staged: dict[str, ingest.StagedPart]
              ) -> ingest.UploadReceived:
        now = utcnow()
        day = _night(upload.fields.get("day"), "day")
        return ingest.UploadReceived(
            upload_id=ingest.upload_id(camera, "meteor", "meteor", _primary_digest(staged),
                                       day),
            camera=camera, kind="meteor", asset="meteor", dialect="allskykamera",
            received_at=now, taken_at=now, day=day,
            candidate_id=upload.fields["candidate_id"], parts=staged)

    return await _receive(request, limits, checks, build, validate)


# --- readings ------------------------------------------------------------------------------


def _influx_error(status: int, code: str, message: str) -> web.Response:
    return web.json_response({"code": code, "message": message}, status=status)


_PRECISION = {"ns": 1e-9, "n": 1e-9, "us": 1e-6, "u": 1e-6, "ms": 1e-3, "s": 1.0}


async def _bounded_body(request: web.Request, limit: int) -> bytes:
    data = bytearray()
    while chunk := await request.content.read(64 * 1024):
        data.extend(chunk)
        if len(data) > limit:
            raise BadRequest(f"body is larger than {limit} bytes", code="too_large")
    return bytes(data)


def parse_points(text: str, *, max_points: int, max_fields: int, max_field_bytes: int,
                 precision: float) -> list[dict[str, Any]]:
    lines = [line for line in text.splitlines() if line.strip() and not line.startswith("#")]
    if len(lines) > max_points:
        raise BadRequest(f"{len(lines)} points: at most {max_points} in one request",
                         code="too_many_points")
    points = []
    for number, line in enumerate(lines, 1):
        if len(line) > max_fields * (max_field_bytes + 64):
            raise BadRequest(f"line {number} is too long", code="field_too_large")
        try:
            point = line_protocol_parser.parse_line(line)
        except (line_protocol_parser.LineFormatError, ValueError) as exc:
            raise BadRequest(f"line {number}: {exc}", code="invalid") from None
        fields = point["fields"]
        if len(fields) > max_fields:
            raise BadRequest(f"line {number}: more than {max_fields} fields",
                             code="too_many_fields")
        for name, value in fields.items():
            if isinstance(value, str) and len(value.encode()) > max_field_bytes:
                raise BadRequest(f"line {number}: field {name!r} is longer than "
                                 f"{max_field_bytes} bytes", code="field_too_large")
        when = point.get("time")
        point["time"] = (datetime.fromtimestamp(when * precision, UTC) if when is not None
                         else utcnow())
        points.append(point)
    return points


def _readings(camera: str, code: str, points: list[dict[str, Any]]) -> list[sensors.Reading]:
    out = []
    for point in points:
        measurement = str(point["measurement"]).lower()
        numbers = {k: float(v) for k, v in point["fields"].items()
                   if isinstance(v, int | float)}
        if not numbers:
            continue  # string-only points (status texts) are not series
        tags = {str(k)[:64]: str(v)[:128] for k, v in point["tags"].items()}
        tags[ingest.CAMERA_TAG] = code  # forced: a token writes only its own camera
        try:
            out.append(sensors.Reading(camera=camera, sensor=measurement,
                                       measurement=measurement, time=point["time"],
                                       fields=numbers, tags=tags))
        except ValidationError as exc:
            raise invalid(exc, f"point {measurement}") from None
    return out


async def _publish_readings(request: web.Request, readings: list[sensors.Reading],
                            msg_ids: list[str] | None = None) -> None:
    js = request.app[keys.NC].jetstream()
    futures = []
    for n, reading in enumerate(readings):
        body = reading.model_dump_json().encode()
        msg_id = msg_ids[n] if msg_ids else hashlib.sha256(body).hexdigest()[:32]
        futures.append(js.publish(
            sensors.SENSOR_READING.subject_for(camera=reading.camera, sensor=reading.sensor),
            body, timeout=PUBLISH_TIMEOUT_S, headers={"Nats-Msg-Id": msg_id}))
    results = await asyncio.gather(*futures, return_exceptions=True)
    failed = [r for r in results if isinstance(r, BaseException)]
    if failed:
        from zenith.errors import Unavailable

        log.warning("%d of %d readings not stored: %s", len(failed), len(results), failed[0])
        raise Unavailable("readings could not be stored; try again", code="not_durable")


async def influx_write(request: web.Request) -> web.Response:
    """``POST /api/v2/write``: InfluxDB line protocol with ``Authorization: Token``."""
    settings = request.app[keys.SETTINGS]
    scheme, _, token = request.headers.get("Authorization", "").strip().partition(" ")
    if scheme.lower() != "token" or not token.strip():
        return _influx_error(401, "unauthorized", "unauthorized access")
    try:
        verdict = await camera_of(request, token.strip(), "token")
    except TooManyRequests as exc:
        return _influx_error(429, "too many requests", exc.message)
    except ZenithError:
        return _influx_error(401, "unauthorized", "unauthorized access")
    precision = _PRECISION.get(request.query.get("precision", "ns"))
    if precision is None:
        return _influx_error(400, "invalid", "precision must be ns, us, ms or s")
    try:
        raw = await _bounded_body(request, settings.web_ingest_max_line_body)
        if request.headers.get("Content-Encoding", "").lower() == "gzip":
            raw = await asyncio.to_thread(_gunzip, raw, settings.web_ingest_max_line_body)
        points = parse_points(raw.decode("utf-8", errors="strict"),
                              max_points=settings.web_ingest_max_points,
                              max_fields=settings.web_ingest_max_fields,
                              max_field_bytes=settings.web_ingest_max_field_bytes,
                              precision=precision)
        code = await request.app[CODES].code(request, verdict.camera)
        readings = enabled_only(_readings(verdict.camera, code, points),
                                await disabled_of(request, verdict.camera))
        await _publish_readings(request, readings)
    except UnicodeDecodeError:
        return _influx_error(400, "invalid", "body is not UTF-8")
    except BadRequest as exc:
        status = 413 if exc.code == "too_large" else 400
        return _influx_error(status, "invalid" if status == 400 else "request too large",
                             exc.message)
    except ZenithError as exc:
        return _influx_error(exc.status, "unavailable", exc.message)
    return web.Response(status=204)


def _gunzip(data: bytes, limit: int) -> bytes:
    import zlib

    inflater = zlib.decompressobj(wbits=31)
    try:
        out = inflater.decompress(data, limit + 1)
    except zlib.error:
        raise BadRequest("body is not valid gzip", code="invalid") from None
    if len(out) > limit or inflater.unconsumed_tail:
        raise BadRequest(f"body is larger than {limit} bytes", code="too_large")
    return out


@ask_dialect
async def weather(request: web.Request) -> web.Response:
    """``POST /api/v1/weather.php``: an external sensor's readings (``WeatherUpload``)."""
    verdict = await camera_of(request, request.headers.get("X-API-Key"))
    if request.content_type != "application/json":
        raise BadRequest("send the readings as application/json", code="invalid_json")
    raw = await _bounded_body(request, 64 * 1024)
    try:
        body = ingest.WeatherUpload.model_validate_json(raw)
    except ValidationError as exc:
        raise invalid(exc) from None
    if body.sensor in await disabled_of(request, verdict.camera):
        return web.json_response({"ok": True, "stored": 0, "disabled": True})
    code = await request.app[CODES].code(request, verdict.camera)
    reading = sensors.Reading(camera=verdict.camera, sensor=body.sensor,
                              measurement=ingest.WEATHER_MEASUREMENT,
                              time=body.time or utcnow(), fields=dict(body.values),
                              tags={ingest.CAMERA_TAG: code, "sensor": body.sensor})
    await _publish_readings(request, [reading])
    return web.json_response({"ok": True, "stored": len(body.values)})

