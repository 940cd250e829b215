"""Bus endpoints of the camera keys (``zenith.contracts.camerakeys``)."""

from __future__ import annotations

from prometheus_client import Counter

from zenith.bus.service import BusService, Call
from zenith.contracts import camerakeys as c
from zenith.contracts.auth import Ok
from zenith.errors import ZenithError
from zenith_auth.camerakeys import CameraKeys

KEY_CHECKS = Counter("zenith_auth_camera_key_checks_total", "Camera key checks by outcome.",
                     ["outcome"])


class CameraKeyEndpoints:
    def __init__(self, keys: CameraKeys) -> None:
        self.keys = keys

    async def serve(self, svc: BusService) -> None:
        await svc.serve(c.KEY_ISSUE, self.issue)
        await svc.serve(c.KEY_CHECK, self.check, concurrent=True)
        await svc.serve(c.KEY_REVOKE, self.revoke)
        await svc.serve(c.KEY_LIST, self.list)

    async def issue(self, call: Call[c.KeyIssue]) -> c.KeyIssued:
        return await self.keys.issue(call.body.camera, call.body.grace_s)

    async def check(self, call: Call[c.KeyCheck]) -> c.KeyVerdict:
        try:
            verdict = await self.keys.check(call.body)
        except ZenithError as exc:
            KEY_CHECKS.labels(exc.code).inc()
            raise
        KEY_CHECKS.labels("ok").inc()
        return verdict

    async def revoke(self, call: Call[c.KeyRef]) -> Ok:
        await self.keys.revoke(call.body.camera)
        return Ok()

    async def list(self, call: Call[c.KeyRef]) -> c.KeyList:
        return await self.keys.list(call.body.camera)
