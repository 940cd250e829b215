"""The capture service over NATS: frames everywhere they belong, control, state."""

from __future__ import annotations

import asyncio
import base64
import json
from datetime import timedelta

import pytest

from zenith.contracts import capture, focuser, frames, sensors
from zenith.errors import BadRequest, TooManyRequests
from zenith.imaging import decode_image
from zenith.runner import service_context
from zenith.storage.factory import open_from_settings
from zenith.timefmt import from_iso, utcnow

from .conftest import CAMERA, DAY, NIGHT, eventually, running_capture


async def _collect(nc, subject):
    got = []

    async def on_msg(msg):
        got.append(msg)

    sub = await nc.subscribe(subject, cb=on_msg)
    return got, sub


def _sensors_service(settings):
    """The real sensors service on capture's data folder: the SeriesStore's one writer."""
    from zenith_sensors.main import serve
    from zenith_sensors.settings import SensorsSettings

    return service_context("sensors", SensorsSettings(
        camera=CAMERA, nats_url=settings.nats_url, data_dir=settings.data_dir,
        sensors_backend="simulated", sensors_devices=[], sensors_heaters=[], sensors_fans=[],
        sensors_alerts=[]), serve)


async def test_a_night_run_saves_frames_thumbnails_index_events_and_sky_series(make_settings, nc):
    settings = make_settings()
    frame_msgs, _ = await _collect(nc, frames.FRAME_CAPTURED.subject_for(camera=CAMERA))
    readings, _ = await _collect(nc, sensors.SENSOR_READING.wildcard(camera=CAMERA))
    metadata, series, blobs = await open_from_settings(settings)

    async def sky_rows(count):
        rows = await series.query(sensors.SKY_SENSOR, ["mean", "stars", "sqm", "exposure_s"],
                                  start=NIGHT, end=NIGHT + timedelta(days=1),
                                  tags={"camera": CAMERA})
        return rows if len(rows) == count else None

    try:
        async with _sensors_service(settings), running_capture(settings) as (_, app):
            await eventually(lambda: app.loop.frames >= 8)
            await app.loop.stop()
            count = len(await metadata.find("frames", {"camera": CAMERA}))
            # capture publishes the sky metrics; the sensors service writes them
            rows = await eventually(lambda: sky_rows(count))
        docs = await metadata.find("frames", {"camera": CAMERA}, sort=[("taken_at", 1)])
        assert len(docs) >= 8
        events = [frames.FrameCaptured.model_validate_json(m.data) for m in frame_msgs]
        assert {e.frame_id for e in events} == {d["_id"] for d in docs}
        for msg, event in zip(frame_msgs, events, strict=True):
            assert msg.headers["Nats-Msg-Id"] == event.frame_id
        first = docs[0]
        assert first["night"] == "2026-11-09" and first["is_night"] is True
        assert first["key"].startswith(f"frames/{CAMERA}/2026-11-09/")
        assert first["thumb_key"].startswith(f"thumbs/{CAMERA}/2026-11-09/")
        assert NIGHT <= from_iso(first["taken_at"]) < NIGHT + timedelta(hours=2)
        times = [d["taken_at"] for d in docs]
        assert times == sorted(times) and len(set(times)) == len(times)
        picture = decode_image(blobs.read_bytes(first["key"]))
        assert (picture.width, picture.height) == (640, 480)
        assert first["size"] == blobs.size(first["key"])
        thumb = decode_image(blobs.read_bytes(first["thumb_key"]))
        assert thumb.width == 320
        m = docs[-1]["metrics"]  # auto exposure has settled by then
        assert m["mean"] == pytest.approx(settings.capture_night_target_brightness, rel=0.25)
        assert m["stars"] > 50
        assert m["sqm"] == pytest.approx(21.0, abs=0.5) and m["cloud_cover"] <= 0.2
        assert len(rows) == len(docs)
        assert all(r.values["exposure_s"] and r.values["stars"] for r in rows)
        sky = [sensors.Reading.model_validate_json(r.data) for r in readings]
        assert len(sky) == len(docs) and sky[0].sensor == "sky" and "sqm" in sky[0].fields
    finally:
        await metadata.close()
        await series.close()


async def test_frame_events_are_durable_and_deduplicated(make_settings, nc):
    settings = make_settings()
    async with running_capture(settings) as (_, app):
        await eventually(lambda: app.loop.frames >= 2)
        await app.loop.stop()
        js = nc.jetstream()
        subject = frames.FRAME_CAPTURED.subject_for(camera=CAMERA)
        last = await js.get_last_msg("FRAMES", subject)
        before = (await js.stream_info("FRAMES")).state.messages
        event = frames.FrameCaptured.model_validate_json(last.data)
        ack = await js.publish(subject, last.data, headers={"Nats-Msg-Id": event.frame_id})
        assert ack.duplicate
        assert (await js.stream_info("FRAMES")).state.messages == before


async def test_status_start_stop_restart_over_nats(make_settings, bus):
    settings = make_settings()
    async with running_capture(settings) as (_, app):
        await eventually(lambda: app.loop.frames >= 2)
        status = await bus.request(capture.STATUS, camera=CAMERA)
        assert status.state == "running" and status.driver == "simulator"
        assert status.frames >= 2 and status.uptime_s > 0
        assert status.started_at is not None and status.started_at <= utcnow()
        assert status.last_frame_at is not None and status.last_frame_at >= NIGHT
        assert status.day_or_night == "night" and status.sun_altitude < -6
        assert status.exposure_s > 0 and status.gain >= 1 and status.interval_s == 60
        assert status.night == "2026-11-09"

        stopped = await bus.request(capture.STOP, camera=CAMERA, timeout=20)
        assert stopped.state == "stopped"
        count = stopped.frames
        await asyncio.sleep(0.5)
        assert (await bus.request(capture.STATUS, camera=CAMERA)).frames == count

        started = await bus.request(capture.START, camera=CAMERA)
        assert started.state in ("starting", "running")
        await eventually(lambda: app.loop.frames >= 1 and app.loop.state == "running")

        restarted = await bus.request(capture.RESTART, camera=CAMERA, timeout=20)
        assert restarted.state in ("starting", "running")
        await eventually(lambda: app.loop.state == "running" and app.loop.frames >= 1)


async def test_status_changes_are_published(make_settings, nc, bus):
    settings = make_settings()
    js = nc.jetstream()
    subject = capture.STATUS_EVENT.subject_for(camera=CAMERA)
    async with running_capture(settings) as (_, app):
        await eventually(lambda: app.loop.frames >= 1)
        await bus.request(capture.STOP, camera=CAMERA, timeout=20)
        last = await js.get_last_msg("STATUS", subject)
        assert capture.Status.model_validate_json(last.data).state == "stopped"


async def test_desired_state_survives_a_restart(make_settings, bus):
    settings = make_settings()
    async with running_capture(settings) as (_, app):
        await eventually(lambda: app.loop.frames >= 1)
        await bus.request(capture.STOP, camera=CAMERA, timeout=20)
    async with running_capture(settings) as (_, app):
        status = await bus.request(capture.STATUS, camera=CAMERA)
        assert status.state == "stopped" and not app.loop.running
        await bus.request(capture.START, camera=CAMERA)
    async with running_capture(settings) as (_, app):
        await eventually(lambda: app.loop.frames >= 1)
        assert (await bus.request(capture.STATUS, camera=CAMERA)).state == "running"


async def test_autostart_off_waits_for_a_start(make_settings, bus):
    async with running_capture(make_settings(capture_autostart=False)) as (_, app):
        assert (await bus.request(capture.STATUS, camera=CAMERA)).state == "stopped"
        await asyncio.sleep(0.3)
        assert app.loop.frames == 0


async def test_a_restarted_simulator_continues_its_night(make_settings):
    settings = make_settings()
    async with running_capture(settings) as (_, app):
        await eventually(lambda: app.loop.frames >= 3)
        reached = app.loop.last_frame_at
    async with running_capture(settings) as (_, app):
        await eventually(lambda: app.loop.frames >= 1)
        assert app.loop.last_frame_at > reached


async def test_day_frames_are_day(make_settings, bus):
    async with running_capture(make_settings(capture_sim_start=DAY)) as (_, app):
        await eventually(lambda: app.loop.frames >= 2)
        status = await bus.request(capture.STATUS, camera=CAMERA)
        assert status.day_or_night == "day" and status.sun_altitude > 0
        assert status.exposure_s <= settings_max_day(app)
        assert status.night == "2026-11-09"


def settings_max_day(app) -> float:
    return app.settings.capture_day_max_exposure_s


@pytest.mark.parametrize("endpoint, payload", [
    (capture.START, b"not json"),
    (capture.STOP, b"[1, 2]"),
    (capture.STATUS, b'{"unexpected": true}'),
    (capture.SNAPSHOT, b'{"max_width": 10}'),
    (capture.SNAPSHOT, b'{"exposure_s": -1}'),
    (capture.SNAPSHOT, b'{"quality": "high"}'),
    (capture.RESTART, b"\xff\xfe"),
])
async def test_malformed_payloads_get_a_json_400(make_settings, nc, endpoint, payload):
    async with running_capture(make_settings(capture_autostart=False)):
        msg = await nc.request(endpoint.subject_for(camera=CAMERA), payload, timeout=5)
        body = json.loads(msg.data)
        assert msg.headers["Nats-Service-Error-Code"] == "400"
        assert body["error"]["code"] in ("invalid_json", "invalid_request")
        ok = await nc.request(capture.STATUS.subject_for(camera=CAMERA), b"", timeout=5)
        assert json.loads(ok.data)["state"] == "stopped"


async def test_snapshot_returns_focus_metrics_and_a_jpeg_without_saving(make_settings, bus, nc):
    settings = make_settings(capture_autostart=False)
    async with running_capture(settings):
        reply = await bus.request(capture.SNAPSHOT, {"max_width": 320, "exposure_s": 20},
                                  camera=CAMERA, timeout=20)
        assert reply.width == 640 and reply.height == 480 and reply.exposure_s == 20
        assert reply.stars > 20 and 0.5 < reply.hfr < 4 and reply.sharpness > 0
        picture = decode_image(base64.b64decode(reply.image_b64))
        assert picture.width == 320
        assert len(reply.model_dump_json()) < nc.max_payload
        bare = await bus.request(capture.SNAPSHOT, {"image": False, "exposure_s": 20},
                                 camera=CAMERA, timeout=20)
        assert bare.image_b64 is None and bare.stars > 20
        metadata, series, _ = await open_from_settings(settings)
        try:
            assert await metadata.count("frames") == 0
        finally:
            await metadata.close()
            await series.close()


async def test_snapshots_of_a_running_loop_are_its_latest_frame(make_settings, bus):
    """A snapshot never costs the night a frame: no exposure while the loop runs."""
    settings = make_settings(capture_interval_s=3600.0)  # one frame, then a long pause
    async with running_capture(settings) as (_, app):
        first = await bus.request(capture.SNAPSHOT, {"fresh": False, "exposure_s": 600},
                                  camera=CAMERA, timeout=60)  # waits for the first frame
        assert first.latest and first.stars > 20 and first.image_b64
        again = await bus.request(capture.SNAPSHOT, {"fresh": False, "image": False},
                                  camera=CAMERA, timeout=10)
        assert again.latest and again.taken_at == first.taken_at and again.hfr == first.hfr
        assert app.loop.frames == 1
        fresh = await bus.request(capture.SNAPSHOT, {"exposure_s": 20, "image": False},
                                  camera=CAMERA, timeout=30)
        assert not fresh.latest and fresh.taken_at > first.taken_at
        assert app.loop.frames == 1  # a snapshot is never saved


async def test_new_exposures_are_capped_and_one_at_a_time(make_settings, bus):
    settings = make_settings(capture_autostart=False, capture_sim_speed=20.0,
                             capture_snapshot_max_exposure_s=40.0)
    async with running_capture(settings):
        with pytest.raises(BadRequest) as info:
            await bus.request(capture.SNAPSHOT, {"exposure_s": 41}, camera=CAMERA)
        assert info.value.code == "exposure_too_long"

        async def shot() -> object:
            try:
                return await bus.request(capture.SNAPSHOT, {"exposure_s": 20, "image": False},
                                         camera=CAMERA, timeout=60)
            except TooManyRequests as exc:
                return exc

        answers = await asyncio.gather(*(shot() for _ in range(5)))
        refused = [a for a in answers if isinstance(a, TooManyRequests)]
        taken = [a for a in answers if isinstance(a, capture.SnapshotReply)]
        assert len(taken) >= capture.SNAPSHOT_QUEUE and refused, answers
        assert all(r.code == "snapshot_busy" and r.details["retry_after"] >= 1
                   for r in refused)
        assert len({t.taken_at for t in taken}) == len(taken)  # one exposure each


async def test_focuser_position_blurs_the_simulated_stars(make_settings, bus, nc):
    js = nc.jetstream()
    subject = focuser.POSITION.subject_for(camera=CAMERA)

    async def move(position: int) -> None:
        event = focuser.Position(camera=CAMERA, position=position, moving=False, at=utcnow())
        await js.publish(subject, event.model_dump_json().encode())

    await move(1000)  # before the service starts: it reads the last value
    async with running_capture(make_settings(capture_autostart=False,
                                             capture_sim_focus_position=1000)):
        sharp = await bus.request(capture.SNAPSHOT, {"image": False, "exposure_s": 20},
                                  camera=CAMERA, timeout=20)
        assert sharp.focus_position == 1000
        await move(1250)

        async def moved():
            reply = await bus.request(capture.SNAPSHOT, {"image": False, "exposure_s": 20},
                                      camera=CAMERA, timeout=20)
            return reply if reply.focus_position == 1250 else None

        blurred = await eventually(moved, timeout=10)
        assert blurred.hfr > 1.8 * sharp.hfr
        assert blurred.sharpness < sharp.sharpness
