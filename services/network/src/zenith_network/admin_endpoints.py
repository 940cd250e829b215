"""The network service's endpoints for joining and administration: join
requests, the audit log and the network settings (``zenith.contracts.joins``,
``zenith.contracts.admin``).

Like the registry's endpoints they trust the bus: the web service checks
the caller's permission before forwarding and names the caller in
``Zenith-User``, which the audit log records as the actor.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from zenith.bus.service import BusService, Call
from zenith.contracts import admin, joins, xp
from zenith.contracts.base import Empty
from zenith.contracts.network import CameraRef
from zenith.storage.metadata import MetadataStore
from zenith.timefmt import utcnow
from zenith_network.audit import AuditLog
from zenith_network.joins import Joins
from zenith_network.xp import Experience

CONFIG_ID = "network"
log = logging.getLogger("zenith.network.admin")


def actor_of(call: Call[Any]) -> str | None:
    return call.headers.get("Zenith-User")


class NetworkConfigStore:
    """The one :data:`~zenith.contracts.admin.NETWORK_CONFIG` document."""

    def __init__(self, store: MetadataStore) -> None:
        self.store = store

    async def get(self) -> admin.NetworkConfig:
        doc = await self.store.get(admin.NETWORK_CONFIG.name, CONFIG_ID)
        if doc is None:
            return admin.NetworkConfig()
        return admin.NetworkConfig.model_validate({k: v for k, v in doc.items()
                                                   if k != "_id"})

    async def set(self, body: admin.NetworkConfigSet, actor: str | None) -> admin.NetworkConfig:
        config = admin.NetworkConfig(**body.model_dump(), updated_at=utcnow(),
                                     updated_by=actor)
        doc = config.model_dump(mode="json")
        doc["_id"] = CONFIG_ID
        await self.store.put(admin.NETWORK_CONFIG.name, doc)
        return config


async def follow_offline_threshold(config: NetworkConfigStore, tracker: Any, default_s: float,
                                   every_s: float, stop: asyncio.Event) -> None:
    """Keep the status tracker's offline threshold at the admin's setting (or the
    service's own when the admin left it empty), on every replica."""
    while not stop.is_set():
        try:
            current = await config.get()
            tracker.offline_after_s = current.offline_after_s or default_s
        except Exception as exc:  # a store hiccup: keep the threshold, try again
            log.warning("network settings not read: %s", str(exc) or type(exc).__name__)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), every_s)


class AdminEndpoints:
    def __init__(self, joins_: Joins, audit: AuditLog, config: NetworkConfigStore,
                 experience: Experience) -> None:
        self.joins = joins_
        self.audit = audit
        self.config = config
        self.experience = experience

    async def serve(self, svc: BusService) -> None:
        await svc.serve(joins.JOIN_SUBMIT, self.join_submit)
        await svc.serve(joins.JOIN_LIST, self.join_list)
        await svc.serve(joins.JOIN_GET, self.join_get)
        await svc.serve(joins.JOIN_APPROVE, self.join_approve)
        await svc.serve(joins.JOIN_REJECT, self.join_reject)
        await svc.serve(admin.AUDIT_RECORD, self.audit_record)
        await svc.serve(admin.AUDIT_LIST, self.audit_list)
        await svc.serve(admin.CONFIG_GET, self.config_get)
        await svc.serve(admin.CONFIG_SET, self.config_set)
        await svc.serve(xp.XP_GET, self.xp_get)
        await svc.serve(xp.XP_LIST, self.xp_list)
        await svc.serve(xp.BADGE_GRANT, self.badge_grant)
        await svc.serve(xp.BADGE_REVOKE, self.badge_revoke)

    async def join_submit(self, call: Call[joins.JoinSubmit]) -> joins.JoinReceived:
        request = await self.joins.submit(call.body)
        return joins.JoinReceived(id=request.id, created_at=request.created_at)

    async def join_list(self, call: Call[joins.JoinQuery]) -> joins.JoinList:
        return joins.JoinList(requests=await self.joins.list(call.body))

    async def join_get(self, call: Call[joins.JoinRef]) -> joins.JoinRequest:
        return await self.joins.get(call.body.id)

    async def join_approve(self, call: Call[joins.JoinApprove]) -> joins.JoinApproved:
        return await self.joins.approve(call.body, actor_of(call))

    async def join_reject(self, call: Call[joins.JoinReject]) -> joins.JoinRequest:
        return await self.joins.reject(call.body, actor_of(call))

    async def audit_record(self, call: Call[admin.AuditRecord]) -> admin.AuditEntry:
        return await self.audit.record(actor_of(call), call.body.action, call.body.target,
                                       call.body.details)

    async def audit_list(self, call: Call[admin.AuditQuery]) -> admin.AuditList:
        return admin.AuditList(entries=await self.audit.list(call.body))

    async def config_get(self, call: Call[Empty]) -> admin.NetworkConfig:
        return await self.config.get()

    async def config_set(self, call: Call[admin.NetworkConfigSet]) -> admin.NetworkConfig:
        config = await self.config.set(call.body, actor_of(call))
        await self.audit.record(actor_of(call), "settings.change", "network",
                                call.body.model_dump(mode="json"))
        return config

    async def xp_get(self, call: Call[CameraRef]) -> xp.CameraXp:
        return await self.experience.of(call.body.camera)

    async def xp_list(self, call: Call[xp.XpQuery]) -> xp.XpList:
        return xp.XpList(cameras=await self.experience.many(call.body.cameras))

    async def badge_grant(self, call: Call[xp.BadgeChange]) -> xp.CameraXp:
        return await self.experience.change(call.body, "granted", actor_of(call))

    async def badge_revoke(self, call: Call[xp.BadgeChange]) -> xp.CameraXp:
        return await self.experience.change(call.body, "revoked", actor_of(call))
