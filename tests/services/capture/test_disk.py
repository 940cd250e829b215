"""A nearly full disk pauses saving with a clear message, and saving resumes."""

from __future__ import annotations

from zenith.contracts import capture

from .conftest import CAMERA, eventually, running_capture


async def test_disk_full_pauses_then_resumes(make_settings, bus, nc):
    settings = make_settings(capture_min_free_mb=1e12)  # more than any disk has free
    async with running_capture(settings) as (_, app):
        status = await eventually(lambda: app.loop.state == "paused" and app.loop.status())
        assert "capture_min_free_mb" in status.message and "disk nearly full" in status.message
        reply = await bus.request(capture.STATUS, camera=CAMERA)
        assert reply.state == "paused" and reply.frames == 0 and reply.free_mb > 0
        last = await nc.jetstream().get_last_msg(
            "STATUS", capture.STATUS_EVENT.subject_for(camera=CAMERA))
        assert capture.Status.model_validate_json(last.data).state == "paused"
        app.loop.min_free_mb = 0.0  # space was freed
        await eventually(lambda: app.loop.frames >= 1, timeout=20)
        assert (await bus.request(capture.STATUS, camera=CAMERA)).state == "running"
