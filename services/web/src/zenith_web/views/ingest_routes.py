"""Route rows of the hub's ingest (the AllSkyKamera dialect), added to ``routes.ROUTES``.

They are ``PUBLIC`` for the auth middleware: no user token, no cookie;
each view checks the camera key itself (``X-API-Key``, ``?key=`` or
``Authorization: Token``) with the auth service.
"""

from __future__ import annotations

from typing import Any

from zenith.contracts import ingest
from zenith_web.spec import Access, RouteSpec
from zenith_web.views import ingest as views
from zenith_web.views import ingest_zenith as zenith_views

_KEY = " Camera key in X-API-Key; the camera is the key's (a `kamera` field is ignored)."

INGEST_ROUTES: tuple[RouteSpec, ...] = (
    RouteSpec("GET", "/getSecrets.php", "ingest-secrets", views.get_secrets,
              "AllSkyKamera: the camera's display code and its write token for "
              "/api/v2/write (no database credential; ftp_* are empty).", "ingest",
              Access.PUBLIC, reply=ingest.Secrets, query_model=ingest.SecretsQuery,
              statuses=(401, 429)),
    RouteSpec("POST", "/api/v1/image_upload.php", "ingest-image", views.image_upload,
              "AllSkyKamera: the live image as multipart parts fullhd (≤1920 px), mobile "
              "(≤960 px), thumb (≤480 px), JPEG." + _KEY, "ingest", Access.PUBLIC,
              reply=ingest.UploadOk, statuses=(400, 401, 413, 429, 503)),
    RouteSpec("POST", "/api/v1/nightly_upload.php", "ingest-nightly", views.nightly_upload,
              "AllSkyKamera: one nightly product; fields date (YYYYMMDD), asset (keogram, "
              "startrail, video), publish_last; parts fullhd, mobile, thumb, or file (H.264 "
              "MP4 or VP9 WebM) and thumb." + _KEY, "ingest", Access.PUBLIC,
              reply=ingest.UploadOk, statuses=(400, 401, 413, 429, 503)),
    RouteSpec("POST", "/api/v1/meteor_upload.php", "ingest-meteor", views.meteor_upload,
              "AllSkyKamera: a meteor candidate; fields day (YYYYMMDD), candidate_id; parts "
              "candidate_json, day_index (JSON), current_fullhd, current_small, "
              "previous_small, diff_small, boxed_small (JPEG)." + _KEY, "ingest",
              Access.PUBLIC, reply=ingest.UploadOk, statuses=(400, 401, 413, 429, 503)),
    RouteSpec("POST", "/api/v2/write", "ingest-write", views.influx_write,
              "InfluxDB-compatible write of line protocol with `Authorization: Token "
              "<influx_token>`; the kamera tag is set to the token's camera. 204 on "
              "success; errors as InfluxDB's {code, message}.", "ingest", Access.PUBLIC,
              query_model=ingest.WriteQuery, content_type="text/plain",
              statuses=(400, 401, 413, 429, 503)),
    RouteSpec("POST", ingest.ZENITH_PREFIX + "/{camera}/frames", "ingest-zenith-frame",
              zenith_views.frame, "Zenith node: a frame (part frame, JPEG) with its metadata "
              "(field meta, FrameMeta JSON); Idempotency-Key header; the camera must be the "
              "key's." + _KEY, "ingest", Access.PUBLIC, path_model=ingest.CameraPath,
              reply=ingest.UploadOk, statuses=(400, 401, 403, 413, 429, 503)),
    RouteSpec("POST", ingest.ZENITH_PREFIX + "/{camera}/products", "ingest-zenith-product",
              zenith_views.product, "Zenith node: a final nightly product (fields kind, "
              "night; parts file, thumb); Idempotency-Key header." + _KEY, "ingest",
              Access.PUBLIC, path_model=ingest.CameraPath, reply=ingest.UploadOk,
              statuses=(400, 401, 403, 413, 429, 503)),
    RouteSpec("POST", ingest.ZENITH_PREFIX + "/{camera}/meteors", "ingest-zenith-meteor",
              zenith_views.meteor, "Zenith node: a meteor candidate (field meta, MeteorMeta "
              "JSON; parts crop, marked, diff, JPEG), listed with the day's uploaded "
              "candidates; Idempotency-Key header." + _KEY, "ingest", Access.PUBLIC,
              path_model=ingest.CameraPath, reply=ingest.UploadOk,
              statuses=(400, 401, 403, 413, 429, 503)),
    RouteSpec("DELETE", ingest.ZENITH_PREFIX + "/{camera}/meteors/{night}/{candidate_id}",
              "ingest-zenith-meteor-withdrawn", zenith_views.meteor_withdrawn,
              "Zenith node: a meteor candidate it withdrew (a satellite or aircraft track) "
              "is removed from the hub; Idempotency-Key header." + _KEY, "ingest",
              Access.PUBLIC, path_model=ingest.MeteorPath, reply=ingest.UploadOk,
              statuses=(400, 401, 403, 429, 503)),
    RouteSpec("POST", ingest.ZENITH_PREFIX + "/{camera}/readings", "ingest-zenith-readings",
              zenith_views.readings, "Zenith node: a batch of readings; Idempotency-Key "
              "header: a resent batch stores each reading once." + _KEY, "ingest",
              Access.PUBLIC, path_model=ingest.CameraPath, request=ingest.ReadingBatch,
              reply=ingest.BatchOk, statuses=(400, 401, 403, 429, 503)),
    RouteSpec("GET", ingest.ZENITH_PREFIX + "/{camera}/config", "ingest-zenith-config",
              zenith_views.config, "Zenith node: what the camera's owner chose on the hub "
              "for the node to apply (the sensors switched off)." + _KEY, "ingest",
              Access.PUBLIC, path_model=ingest.CameraPath, reply=ingest.NodeConfig,
              statuses=(400, 401, 403, 429, 503)),
    RouteSpec("POST", "/api/v1/weather.php", "ingest-weather", views.weather,
              "External sensor readings (JSON) of the key's camera, stored as measurement "
              "ext_sensors." + _KEY, "ingest", Access.PUBLIC, request=ingest.WeatherUpload,
              reply=ingest.WeatherOk, statuses=(400, 401, 429, 503)),
)


_IMAGE = {"type": "string", "format": "binary", "contentMediaType": "image/jpeg"}
_FIELD = {"type": "string", "pattern": r"^[A-Za-z0-9_.:-]*$"}
_DATE = {"type": "string", "pattern": r"^\d{8}$", "description": "YYYYMMDD"}
_MULTIPART: dict[str, dict[str, Any]] = {
    ingest.ZENITH_PREFIX + "/{camera}/frames": {
        "properties": {"frame": _IMAGE, "meta": {"type": "string", "contentMediaType":
                                                 "application/json",
                                                 "description": "FrameMeta as JSON"}},
        "required": ["frame", "meta"]},
    ingest.ZENITH_PREFIX + "/{camera}/products": {
        "properties": {"kind": {"enum": list(ingest.ZENITH_KINDS)},
                       "night": {"type": "string", "format": "date"},
                       "file": {"type": "string", "format": "binary"}, "thumb": _IMAGE},
        "required": ["kind", "night", "file", "thumb"]},
    ingest.ZENITH_PREFIX + "/{camera}/meteors": {
        "properties": {"meta": {"type": "string", "contentMediaType": "application/json",
                                "description": "MeteorMeta as JSON"},
                       **dict.fromkeys(ingest.ZENITH_METEOR_PARTS, _IMAGE)},
        "required": ["meta", *ingest.ZENITH_METEOR_PARTS]},
    "/api/v1/image_upload.php": {
        "properties": {"kamera": _FIELD, "asset": {"const": "image"},
                       "fullhd": _IMAGE, "mobile": _IMAGE, "thumb": _IMAGE},
        "required": ["fullhd", "mobile", "thumb"]},
    "/api/v1/nightly_upload.php": {
        "properties": {"kamera": _FIELD, "date": _DATE,
                       "asset": {"enum": list(views.NIGHTLY_ASSETS)},
                       "publish_last": {"enum": ["0", "1"]}, "fullhd": _IMAGE,
                       "mobile": _IMAGE, "thumb": _IMAGE,
                       "file": {"type": "string", "format": "binary",
                                "description": "video/mp4 (H.264) or video/webm (VP9)"}},
        "required": ["date", "asset", "thumb"]},
    "/api/v1/meteor_upload.php": {
        "properties": {"kamera": _FIELD, "asset": {"const": "meteor"}, "day": _DATE,
                       "candidate_id": _FIELD,
                       **{name: {"type": "string", "format": "binary",
                                 "contentMediaType": "application/json"}
                          for name in views.METEOR_JSON},
                       **dict.fromkeys(views.METEOR_IMAGES, _IMAGE)},
        "required": ["day", "candidate_id", *views.METEOR_JSON, *views.METEOR_IMAGES]},
}
_FAILED = {"content": {"application/json": {"schema": ingest.UploadFailed.model_json_schema()}}}
_INFLUX_ERROR: dict[str, Any] = {"content": {"application/json": {"schema": {
    "type": "object", "properties": {"code": {"type": "string"}, "message": {"type": "string"}},
    "required": ["code", "message"]}}}}


def document_ingest(doc: dict[str, Any]) -> dict[str, Any]:
    """Give the ingest operations what the generic generator cannot say: multipart
    bodies, the AllSkyKamera failure body and InfluxDB's answers."""
    paths = doc.get("paths", {})
    for path, schema in _MULTIPART.items():
        op = paths.get(path, {}).get("post")
        if op is None:
            continue
        op["requestBody"] = {"required": True, "content": {"multipart/form-data": {
            "schema": {"type": "object", **schema}}}}
        for code, answer in op["responses"].items():
            if code != "200":
                answer.update(_FAILED)
    for path in ("/api/v1/weather.php", ingest.ZENITH_PREFIX + "/{camera}/readings",
                 ingest.ZENITH_PREFIX + "/{camera}/frames",
                 ingest.ZENITH_PREFIX + "/{camera}/products",
                 ingest.ZENITH_PREFIX + "/{camera}/meteors",
                 ingest.ZENITH_PREFIX + "/{camera}/meteors/{night}/{candidate_id}",
                 ingest.ZENITH_PREFIX + "/{camera}/config"):
        op = (paths.get(path, {}).get("post") or paths.get(path, {}).get("delete")
              or paths.get(path, {}).get("get"))
        if op is None:
            continue
        for code, answer in op["responses"].items():
            if code != "200":
                answer.update(_FAILED)
    write = paths.get("/api/v2/write", {}).get("post")
    if write is not None:
        write["requestBody"] = {"required": True, "content": {"text/plain": {
            "schema": {"type": "string", "description": "InfluxDB line protocol"}}}}
        responses = {"204": {"description": "Written."}}
        for code, answer in write["responses"].items():
            if code != "200":
                responses[code] = {**answer, **_INFLUX_ERROR}
        write["responses"] = responses
    return doc
