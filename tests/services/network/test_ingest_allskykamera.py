"""The AllSkyKamera dialect, with requests shaped exactly like the client's.

The client builds its multipart bodies with ``requests`` (fields in
``data=``, files as ``(filename, file, mime)`` tuples) and reads only the
status and the JSON ``ok``; so do these tests, from a thread.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
import requests

from zenith.contracts import camerakeys as k
from zenith.contracts import ingest
from zenith_web.tempfiles import SPARE

from .media import GPS_MARK, bomb, jpeg, mpeg4_video, video


def images(seed: int = 0, exif: bool = False) -> dict[str, Any]:
    return {"fullhd": ("image_fullhd.jpg", jpeg(1920, 1080, exif=exif, seed=seed), "image/jpeg"),
            "mobile": ("image_mobile.jpg", jpeg(960, 540, seed=seed), "image/jpeg"),
            "thumb": ("image_thumb.jpg", jpeg(480, 270, seed=seed), "image/jpeg")}


async def post(url: str, **kwargs: Any) -> requests.Response:
    return await asyncio.to_thread(requests.post, url, timeout=30, **kwargs)


async def ingest_messages(nc: Any, subject: str = "zenith.ingest.>") -> list[dict[str, Any]]:
    js = nc.jetstream()
    try:
        info = await js.stream_info("INGEST", subjects_filter=subject)
    except Exception:
        return []
    out = []
    for seq in range(info.state.first_seq, info.state.last_seq + 1):
        try:
            msg = await js.get_msg("INGEST", seq)
        except Exception:
            continue
        out.append(json.loads(msg.data))
    return out


def staged_files(hub: Any) -> list[str]:
    """Files in staging, the empty spares web keeps ready left out (``zenith_web.tempfiles``):
    a part being received, or one left behind, holds its bytes (an empty part is
    refused). The hub fixture checks, once web stopped, that no spare is left either."""
    root = hub.blob_dir / "staging"
    return sorted(str(p.relative_to(root)) for p in root.rglob("*")
                  if p.is_file() and not (p.parent == root / SPARE and p.stat().st_size == 0)
                  ) if root.exists() else []


async def test_get_secrets_configures_the_client(hub, bus):
    response = await asyncio.to_thread(requests.get, hub.url + "/getSecrets.php",
                                       params={"key": hub.key}, timeout=5)
    assert response.status_code == 200
    secrets = response.json()
    assert "error" not in response.text  # the client's installer rejects such a body
    assert secrets["kamera_id"] == "ASK042"
    assert secrets["influx_url"] == hub.url
    assert secrets["influx_token"].startswith("zt_")
    assert (secrets["ftp_user"], secrets["ftp_pass"], secrets["ftp_server"]) == ("", "", "")
    assert secrets["influx_org"] and secrets["influx_bucket"]
    verdict = await bus.request(k.KEY_CHECK, {"credential": secrets["influx_token"],
                                              "kind": "token"})
    assert verdict.camera == "alpha"


@pytest.mark.parametrize("params", [{"key": "zk_000000000000_" + "0" * 48}, {"key": ""}, {}])
async def test_get_secrets_with_a_bad_key_is_401_json(hub, params):
    response = await asyncio.to_thread(requests.get, hub.url + "/getSecrets.php",
                                       params=params, timeout=5)
    assert response.status_code in (400, 401)
    assert "error" in response.json()


async def test_live_image_becomes_an_ingest_event_and_metadata_is_stripped(hub, nc):
    response = await post(hub.url + "/api/v1/image_upload.php",
                          headers={"X-API-Key": hub.key},
                          data={"kamera": "ASK043", "asset": "image"},  # kamera is ignored
                          files=images(exif=True))
    assert response.status_code == 200, response.text
    assert response.json()["ok"] is True
    [event] = await ingest_messages(nc)
    assert event["camera"] == "alpha" and event["kind"] == "frame"
    assert set(event["parts"]) == {"fullhd", "mobile", "thumb"}
    assert event["parts"]["fullhd"]["width"] == 1920
    stored = (hub.blob_dir / event["parts"]["fullhd"]["key"]).read_bytes()
    assert GPS_MARK not in stored and stored.startswith(b"\xff\xd8")
    # a retry of an upload that succeeded: 200 and still one copy
    again = await post(hub.url + "/api/v1/image_upload.php", headers={"X-API-Key": hub.key},
                       data={"kamera": "ASK042", "asset": "image"}, files=images(exif=True))
    assert again.status_code == 200 and again.json()["ok"] is True
    assert len(await ingest_messages(nc)) == 1
    # staged in the first request's folder (no consumer runs here to take them); the
    # retry, a duplicate, removed its own copy
    folder = event["parts"]["fullhd"]["key"].rsplit("/", 1)[0].removeprefix("staging/")
    assert folder.startswith(f"alpha/{event['upload_id']}.")
    assert staged_files(hub) == [f"{folder}/{name}.jpg" for name in ("fullhd", "mobile",
                                                                     "thumb")]


async def test_the_older_client_without_fields_is_accepted(hub, nc):
    response = await post(hub.url + "/api/v1/image_upload.php",
                          headers={"X-API-Key": hub.key}, files=images(seed=3))
    assert response.status_code == 200 and response.json()["ok"] is True


async def test_nightly_products(hub, nc):
    for asset in ("keogram", "startrail"):
        files = {"fullhd": ("fullhd.jpg", jpeg(1920, 300), "image/jpeg"),
                 "mobile": ("mobile.jpg", jpeg(960, 150), "image/jpeg"),
                 "thumb": ("thumb.jpg", jpeg(480, 75), "image/jpeg")}
        response = await post(hub.url + "/api/v1/nightly_upload.php",
                              headers={"X-API-Key": hub.key},
                              data={"date": "20261109", "asset": asset, "publish_last": "1"},
                              files=files)
        assert response.status_code == 200, response.text
        assert response.json()["ok"] is True
    response = await post(hub.url + "/api/v1/nightly_upload.php",
                          headers={"X-API-Key": hub.key},
                          data={"date": "20261109", "asset": "video", "publish_last": "1",
                                "kamera": "ASK042"},
                          files={"file": ("allsky-20261109.mp4", video(), "video/mp4"),
                                 "thumb": ("thumb.jpg", jpeg(480, 270), "image/jpeg")})
    assert response.status_code == 200, response.text
    events = await ingest_messages(nc, "zenith.ingest.alpha.product")
    assert sorted(e["asset"] for e in events) == ["keogram", "startrail", "video"]
    assert {e["night"] for e in events} == {"2026-11-09"}
    [vid] = [e for e in events if e["asset"] == "video"]
    assert vid["parts"]["file"]["codec"] == "h264"


async def test_meteor_candidate(hub, nc):
    files = {"candidate_json": ("candidate.json", json.dumps({"id": "m1", "score": 0.9}),
                                "application/json"),
             "day_index": ("index.json", json.dumps([{"id": "m1"}]), "application/json"),
             "current_fullhd": ("c.jpg", jpeg(1920, 1080), "image/jpeg"),
             **{name: (f"{name}.jpg", jpeg(480, 270, seed=i), "image/jpeg")
                for i, name in enumerate(("current_small", "previous_small", "diff_small",
                                          "boxed_small"))}}
    response = await post(hub.url + "/api/v1/meteor_upload.php", headers={"X-API-Key": hub.key},
                          data={"kamera": "ASK042", "asset": "meteor", "day": "20261109",
                                "candidate_id": "20261109_231502_01"}, files=files)
    assert response.status_code == 200, response.text
    [event] = await ingest_messages(nc, "zenith.ingest.alpha.meteor")
    assert event["day"] == "2026-11-09" and event["candidate_id"] == "20261109_231502_01"
    assert len(event["parts"]) == 7


def _damaged(data: bytes) -> bytes:
    """Its scan overwritten with zeros from the middle to near the end."""
    middle = len(data) // 2
    return data[:middle] + bytes(len(data) - middle - 200) + data[-200:]


def _image_files(**replace: Any) -> dict[str, Any]:
    files = images()
    files.update(replace)
    return {k: v for k, v in files.items() if v is not None}


BAD_IMAGE_UPLOADS = {
    "missing part": (dict(files=_image_files(thumb=None)), 400, "missing_part"),
    "not an image": (dict(files=_image_files(fullhd=("a.jpg", b"GIF89a" + b"0" * 500,
                                                     "image/jpeg"))), 400, "invalid_image"),
    "truncated": (dict(files=_image_files(fullhd=("a.jpg", jpeg(1920, 1080)[:-2000],
                                                  "image/jpeg"))), 400, "truncated_image"),
    # cut in the middle of its scan and given an end marker again: only decoding
    # every coefficient strictly finds that (a lenient decoder pads it with grey)
    "truncated, end marker added": (dict(files=_image_files(fullhd=(
        "a.jpg", jpeg(1920, 1080)[:200_000] + b"\xff\xd9", "image/jpeg"))), 400,
        "truncated_image"),
    "damaged scan": (dict(files=_image_files(mobile=("m.jpg", _damaged(jpeg(960, 540)),
                                                     "image/jpeg"))), 400, "invalid_image"),
    "bomb": (dict(files=_image_files(fullhd=("a.jpg", bomb(), "image/jpeg"))), 400,
             "image_too_large"),
    "too wide": (dict(files=_image_files(thumb=("t.jpg", jpeg(960, 540), "image/jpeg"))), 400,
                 "image_too_wide"),
    "unexpected part": (dict(files=_image_files(extra=("x.jpg", jpeg(10, 10), "image/jpeg"))),
                        400, "unexpected_part"),
    # the parts before it were being checked (and the first stripped of its EXIF)
    # while the body streamed in: those checks must not leave their files behind
    "unexpected part after checked ones": (dict(files=_image_files(
        fullhd=("a.jpg", jpeg(1920, 1080, exif=True), "image/jpeg"),
        extra=("x.jpg", jpeg(10, 10), "image/jpeg"))), 400, "unexpected_part"),
    "wrong asset": (dict(data={"asset": "keogram"}, files=_image_files()), 400,
                    "invalid_asset"),
    "path in a field": (dict(data={"kamera": "../../etc/passwd", "asset": "image"},
                             files=_image_files()), 400, "invalid_field"),
    "not multipart": (dict(json={"fullhd": "x"}), 400, "not_multipart"),
}


@pytest.mark.parametrize("case", list(BAD_IMAGE_UPLOADS))
async def test_bad_image_uploads_are_clear_json_errors_and_store_nothing(hub, nc, case):
    kwargs, status, code = BAD_IMAGE_UPLOADS[case]
    response = await post(hub.url + "/api/v1/image_upload.php",
                          headers={"X-API-Key": hub.key}, **kwargs)
    assert response.status_code == status, response.text
    body = response.json()
    assert body["ok"] is False and body["error"] == code and body["message"]
    assert staged_files(hub) == []
    assert await ingest_messages(nc) == []


@pytest.mark.parametrize("web_overrides", [{"web_ingest_memory": 0}])
async def test_images_streamed_to_disk_are_checked_the_same(hub, nc, web_overrides):
    """With no memory for parts (``ZENITH_WEB_INGEST_MEMORY=0``, or all of it taken by
    other uploads) an image streams to its file and is checked from there: it is
    stripped alike, and a damaged one is refused alike and leaves nothing."""
    url = hub.url + "/api/v1/image_upload.php"
    response = await post(url, headers={"X-API-Key": hub.key}, files=images(exif=True))
    assert response.status_code == 200 and response.json()["ok"] is True
    [event] = await ingest_messages(nc)
    stored = (hub.blob_dir / event["parts"]["fullhd"]["key"]).read_bytes()
    assert GPS_MARK not in stored and stored.startswith(b"\xff\xd8")
    before = staged_files(hub)
    kwargs, status, code = BAD_IMAGE_UPLOADS["truncated, end marker added"]
    response = await post(url, headers={"X-API-Key": hub.key}, **kwargs)
    assert response.status_code == status and response.json()["error"] == code
    assert staged_files(hub) == before


BAD_NIGHTLY = {
    "wrong date": ({"date": "2026-11-09", "asset": "keogram"}, None, "invalid_date"),
    "impossible date": ({"date": "20261399", "asset": "keogram"}, None, "invalid_date"),
    "wrong asset": ({"date": "20261109", "asset": "timelapse"}, None, "invalid_asset"),
    "path in date": ({"date": "../../20261109", "asset": "keogram"}, None, "invalid_field"),
    "video not h264/vp9": ({"date": "20261109", "asset": "video"},
                           {"file": ("v.mp4", mpeg4_video(), "video/mp4"),
                            "thumb": ("t.jpg", jpeg(480, 270), "image/jpeg")},
                           "invalid_video"),
    "video that is a jpeg": ({"date": "20261109", "asset": "video"},
                             {"file": ("v.mp4", jpeg(64, 48), "video/mp4"),
                              "thumb": ("t.jpg", jpeg(480, 270), "image/jpeg")},
                             "invalid_video"),
}


@pytest.mark.parametrize("case", list(BAD_NIGHTLY))
async def test_bad_nightly_uploads(hub, nc, case):
    data, files, code = BAD_NIGHTLY[case]
    response = await post(hub.url + "/api/v1/nightly_upload.php",
                          headers={"X-API-Key": hub.key}, data=data,
                          files=files or images())
    assert response.status_code == 400, response.text
    assert response.json()["error"] == code and response.json()["ok"] is False
    assert staged_files(hub) == [] and await ingest_messages(nc) == []


async def test_keys_wrong_missing_rotated_out_and_of_another_camera(hub, bus, nc):
    url = hub.url + "/api/v1/image_upload.php"
    for headers in ({}, {"X-API-Key": "zk_000000000000_" + "0" * 48}, {"X-API-Key": "x"}):
        response = await post(url, headers=headers, files=images())
        assert response.status_code == 401, response.text
        assert response.json()["ok"] is False
    await bus.request(k.KEY_ISSUE, {"camera": "alpha", "grace_s": 0})  # rotates hub.key out
    response = await post(url, headers={"X-API-Key": hub.key}, files=images())
    assert response.status_code == 401
    # beta's key writes beta, whatever kamera says
    beta_key = (await bus.request(k.KEY_ISSUE, {"camera": "beta"})).key
    response = await post(url, headers={"X-API-Key": beta_key},
                          data={"kamera": "ASK042", "asset": "image"}, files=images())
    assert response.status_code == 200
    assert [e["camera"] for e in await ingest_messages(nc)] == ["beta"]


async def test_a_refused_key_costs_no_decoding(hub, bus, monkeypatch):
    """Parts are checked while the body streams in: a stranger's only once its key is
    accepted (never, for a wrong key); a key accepted lately at once, until it is
    refused once."""
    from zenith_web.views import ingest_staging

    checked: list[str] = []
    real = ingest_staging.check_part

    def counting(how: str, name: str, *args: Any) -> Any:
        checked.append(name)
        return real(how, name, *args)

    monkeypatch.setattr(ingest_staging, "check_part", counting)
    url = hub.url + "/api/v1/image_upload.php"
    response = await post(url, headers={"X-API-Key": "zk_000000000000_" + "0" * 48},
                          files=images())
    assert response.status_code == 401 and checked == []
    response = await post(url, headers={"X-API-Key": hub.key}, files=images(seed=3))
    assert response.status_code == 200 and sorted(checked) == ["fullhd", "mobile", "thumb"]
    await bus.request(k.KEY_ISSUE, {"camera": "alpha", "grace_s": 0})  # hub.key rotated out
    before = staged_files(hub)
    response = await post(url, headers={"X-API-Key": hub.key}, files=images(seed=4))
    assert response.status_code == 401  # its parts may have been checked: it was known
    assert staged_files(hub) == before
    checked.clear()
    response = await post(url, headers={"X-API-Key": hub.key}, files=images(seed=5))
    assert response.status_code == 401 and checked == []


async def test_an_oversize_part_is_refused_while_it_streams(hub):
    """The answer comes before the body is sent: the server stops reading at the limit."""
    host, port = hub.url.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    boundary = "zenithboundary"
    total = 64 * 1024 * 1024
    head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"fullhd\"; "
            f"filename=\"big.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n").encode()
    writer.write((f"POST /api/v1/image_upload.php HTTP/1.1\r\nHost: {host}\r\n"
                  f"X-API-Key: {hub.key}\r\n"
                  f"Content-Type: multipart/form-data; boundary={boundary}\r\n"
                  f"Content-Length: {len(head) + total}\r\n\r\n").encode() + head)
    sent = 0
    chunk = b"\xff" * (256 * 1024)
    answer = b""
    try:
        while sent < total:
            writer.write(chunk)
            sent += len(chunk)
            await writer.drain()
            try:
                answer = await asyncio.wait_for(reader.read(4096), 0.01)
            except TimeoutError:
                continue
            if answer:
                break
    except (ConnectionResetError, BrokenPipeError):
        pass
    if not answer:
        answer = await asyncio.wait_for(reader.read(4096), 10)
    writer.close()
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert b'"part_too_large"' in answer
    assert sent < total / 2
    assert staged_files(hub) == []


async def test_another_asset_route_stays_a_json_error_for_get(hub):
    response = await asyncio.to_thread(requests.get, hub.url + "/api/v1/image_upload.php",
                                       timeout=5)
    assert response.status_code == 405


def test_upload_ids_are_stable_and_per_camera():
    assert ingest.upload_id("alpha", "frame", "image", "x") == \
        ingest.upload_id("alpha", "frame", "image", "x")
    assert ingest.upload_id("alpha", "frame", "image", "x") != \
        ingest.upload_id("beta", "frame", "image", "x")


@pytest.mark.parametrize("kwargs", [dict(files=images()), dict(json={"fullhd": "x"}),
                                    dict(files=_image_files(thumb=None))])
async def test_a_wrong_key_is_the_answer_whatever_the_body(hub, nc, kwargs):
    """The key is checked while the body streams in: its refusal still comes first,
    and what was streamed is gone."""
    response = await post(hub.url + "/api/v1/image_upload.php",
                          headers={"X-API-Key": "zk_000000000000_" + "0" * 48}, **kwargs)
    assert response.status_code == 401, response.text
    assert response.json()["error"] == "invalid_camera_key"
    assert staged_files(hub) == [] and await ingest_messages(nc) == []


@pytest.fixture
def staged_long_ago(tmp_path):
    """Staging as a hub left it before web started: an orphan older than INGEST's age
    limit (a request that failed while being announced) and an upload in flight."""
    import os
    import time

    root = tmp_path / "blobs" / "staging" / "alpha"
    old = root / "alpha-frame-orphan.r1" / "fullhd.jpg"
    fresh = root / "alpha-frame-waiting.r1" / "fullhd.jpg"
    for path in (old, fresh):
        path.parent.mkdir(parents=True)
        path.write_bytes(b"\xff\xd8 staged")
    when = time.time() - ingest.STAGING_MAX_AGE_S - 3600
    os.utime(old, (when, when))
    return old, fresh


async def test_web_sweeps_what_no_consumer_will_take(staged_long_ago, hub):
    old, fresh = staged_long_ago
    for _ in range(100):
        if not old.exists():
            break
        await asyncio.sleep(0.1)
    assert not old.exists() and not old.parent.exists()
    assert fresh.is_file()
