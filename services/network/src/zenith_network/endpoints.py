"""The network service's bus endpoints (``zenith.contracts.network``).

Like auth's user endpoints they trust the bus: the web service checks the
caller's ``network`` permission (declared on each endpoint) before it
forwards a call, and passes the caller's name in ``Zenith-User``.
"""

from __future__ import annotations

from nats.js import JetStreamContext

from zenith.bus.client import BusClient
from zenith.bus.service import BusService, Call
from zenith.contracts import auth
from zenith.contracts import network as c
from zenith.errors import NotFound
from zenith_network.highlights import Highlights
from zenith_network.registry import Registry
from zenith_network.status import publish_status


class NetworkEndpoints:
    def __init__(self, registry: Registry, highlights: Highlights, js: JetStreamContext,
                 bus: BusClient) -> None:
        self.registry = registry
        self.highlights = highlights
        self.js = js
        self.bus = bus

    async def serve(self, svc: BusService) -> None:
        await svc.serve(c.CAMERA_ADD, self.camera_add)
        await svc.serve(c.CAMERA_LIST, self.camera_list)
        await svc.serve(c.CAMERA_GET, self.camera_get)
        await svc.serve(c.CAMERA_BY_CODE, self.camera_by_code)
        await svc.serve(c.CAMERA_EDIT, self.camera_edit)
        await svc.serve(c.CAMERA_REMOVE, self.camera_remove)
        await svc.serve(c.OWNER_ADD, self.owner_add)
        await svc.serve(c.OWNER_REMOVE, self.owner_remove)
        await svc.serve(c.HIGHLIGHT_ADD, self.highlight_add)
        await svc.serve(c.HIGHLIGHT_LIST, self.highlight_list)
        await svc.serve(c.HIGHLIGHT_SET_ACTIVE, self.highlight_set_active)
        await svc.serve(c.HIGHLIGHT_REMOVE, self.highlight_remove)
        await svc.serve(c.HIGHLIGHTS_REFERENCED, self.highlights_referenced)

    async def _require_users(self, usernames: list[str]) -> None:
        """Owners are auth users: ask auth (the owner of users) that they exist."""
        if not usernames:
            return
        users = await self.bus.request(auth.USER_LIST, {})
        known = {u.username for u in users.users}
        missing = sorted(set(usernames) - known)
        if missing:
            raise NotFound(f"no user {', '.join(map(repr, missing))}", code="user_not_found")

    async def camera_add(self, call: Call[c.CameraAdd]) -> c.Camera:
        await self._require_users(call.body.owners)
        return await self.registry.add(call.body)

    async def camera_list(self, call: Call[c.CameraQuery]) -> c.CameraList:
        return c.CameraList(cameras=await self.registry.list(call.body))

    async def camera_get(self, call: Call[c.CameraRef]) -> c.Camera:
        return await self.registry.get(call.body.camera)

    async def camera_by_code(self, call: Call[c.CameraByCode]) -> c.Camera:
        return await self.registry.by_code(call.body.code)

    async def camera_edit(self, call: Call[c.CameraEdit]) -> c.Camera:
        before = await self.registry.get(call.body.camera)
        after = await self.registry.edit(call.body)
        if after.enabled != before.enabled:
            await publish_status(self.js, after)
        return after

    async def camera_remove(self, call: Call[c.CameraRef]) -> auth.Ok:
        removed = await self.registry.remove(call.body.camera)
        await publish_status(self.js, removed.model_copy(update={"online": False}),
                             removed=True)
        return auth.Ok()

    async def owner_add(self, call: Call[c.OwnerChange]) -> c.Camera:
        await self.registry.get(call.body.camera)
        await self._require_users([call.body.username])
        return await self.registry.add_owner(call.body.camera, call.body.username)

    async def owner_remove(self, call: Call[c.OwnerChange]) -> c.Camera:
        return await self.registry.remove_owner(call.body.camera, call.body.username)

    async def highlight_add(self, call: Call[c.HighlightAdd]) -> c.Highlight:
        await self.registry.get(call.body.camera)
        return await self.highlights.add(call.body, call.headers.get("Zenith-User"))

    async def highlight_list(self, call: Call[c.HighlightQuery]) -> c.HighlightList:
        return c.HighlightList(highlights=await self.highlights.list(call.body))

    async def highlight_set_active(self, call: Call[c.HighlightSetActive]) -> c.Highlight:
        return await self.highlights.set_active(call.body.id, call.body.active)

    async def highlight_remove(self, call: Call[c.HighlightRef]) -> auth.Ok:
        await self.highlights.remove(call.body.id)
        return auth.Ok()

    async def highlights_referenced(self, call: Call[c.KeysQuery]) -> c.KeysReferenced:
        return c.KeysReferenced(referenced=await self.highlights.referenced(call.body.keys))
