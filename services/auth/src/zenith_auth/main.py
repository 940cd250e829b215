"""Entry point: ``zenith run auth``."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence

from nats.js.kv import KeyValue

from zenith.bus.jetstream import bucket
from zenith.bus.service import BusService
from zenith.contracts.auth import AUTH_BUCKET
from zenith.contracts.camerakeys import RATE_BUCKET
from zenith.runner import ServiceContext, run
from zenith.storage.factory import open_metadata
from zenith_auth.camerakey_endpoints import CameraKeyEndpoints
from zenith_auth.camerakeys import CameraKeys, load_or_create_secret
from zenith_auth.core import AuthCore
from zenith_auth.endpoints import AuthEndpoints
from zenith_auth.settings import AuthSettings
from zenith_auth.signing import SigningKey

log = logging.getLogger("zenith.auth")

PUBLISH_EVERY_S = 10.0
PURGE_EVERY_S = 600.0
FIRST_START = ("First start: created user 'admin' with password {password} — "
               "change it with: zenith user passwd admin")


async def maintain(core: AuthCore, kv: KeyValue, stop: asyncio.Event) -> None:
    """Publish revocations recorded while NATS was away; purge what expired.

    Ends when ``stop`` is set (a cancellation alone can be swallowed by a
    client library that turns it into a timeout)."""
    loop = asyncio.get_running_loop()
    next_purge = loop.time()
    while not stop.is_set():
        try:
            await core.revocations.publish_pending(kv)
            if loop.time() >= next_purge:
                next_purge = loop.time() + PURGE_EVERY_S
                await core.refresh.purge_expired()
                await core.limiter.purge()
                await core.revocations.purge_published(kv)
        except Exception as exc:  # the store or NATS is away: try again later
            if stop.is_set():
                break
            log.warning("auth maintenance failed: %s", exc)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), PUBLISH_EVERY_S)


async def serve(ctx: ServiceContext[AuthSettings]) -> None:
    settings = ctx.settings
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    store = await open_metadata(settings.resolved_metadata_url)
    ctx.stack.push_async_callback(store.close)
    core = AuthCore.build(store, settings)
    await core.setup()
    kv = await bucket(ctx.nc, AUTH_BUCKET)
    signing = await SigningKey.load_or_create(settings.resolved_signing_key_file, kv)
    if settings.auth_create_admin:
        password = await core.users.create_first_admin()
        if password:
            print(FIRST_START.format(password=password), flush=True)
    await core.revocations.publish_pending(kv)

    svc = await BusService.start(ctx.nc, "auth", "Users, passwords, tokens and signing keys")
    ctx.stack.push_async_callback(svc.stop)
    await AuthEndpoints(core, signing, kv, settings.auth_access_ttl_s).serve(svc)
    camera_keys = CameraKeys(
        store, load_or_create_secret(settings.resolved_camera_key_secret_file),
        await bucket(ctx.nc, RATE_BUCKET), grace_s=settings.auth_camera_key_grace_s,
        per_key_per_min=settings.auth_camera_key_per_min,
        per_ip_per_min=settings.auth_camera_ip_per_min,
        failures_per_ip=settings.auth_camera_ip_failures_per_min)
    await camera_keys.setup()
    await CameraKeyEndpoints(camera_keys).serve(svc)

    stop = asyncio.Event()
    task = asyncio.create_task(maintain(core, kv, stop), name="auth-maintenance")

    async def stop_task() -> None:
        stop.set()
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, TimeoutError):
            await asyncio.wait_for(task, 10)

    ctx.stack.push_async_callback(stop_task)
    await ctx.nc.flush()  # the server knows every endpoint before we say we are ready
    log.info("auth serving; signing key %s", signing.kid)


def main(argv: Sequence[str] | None = None) -> int:
    return run("auth", AuthSettings, serve)
