"""Create the declared streams and KV buckets, idempotently."""

from __future__ import annotations

import logging

from nats.aio.client import Client
from nats.js import JetStreamContext
from nats.js.api import KeyValueConfig, StorageType, StreamConfig
from nats.js.errors import BadRequestError, NotFoundError
from nats.js.kv import KeyValue

from zenith.contracts.streams import BUCKETS, STREAMS, BucketSpec, StreamSpec

log = logging.getLogger("zenith.bus")


def _stream_config(spec: StreamSpec, replicas: int) -> StreamConfig:
    return StreamConfig(
        num_replicas=replicas,
        name=spec.name,
        subjects=list(spec.subjects),
        description=spec.description,
        storage=StorageType.FILE,
        max_age=spec.max_age_s or None,
        max_bytes=spec.max_bytes,
        max_msgs_per_subject=spec.max_msgs_per_subject,
        duplicate_window=spec.duplicate_window_s,
    )


async def ensure_stream(js: JetStreamContext, spec: StreamSpec, replicas: int = 1) -> None:
    config = _stream_config(spec, replicas)
    try:
        await js.stream_info(spec.name)
    except NotFoundError:
        try:
            await js.add_stream(config)
            log.info("created stream %s", spec.name)
            return
        except BadRequestError:
            pass  # created concurrently by another service: update below
    await js.update_stream(config)


async def ensure_bucket(js: JetStreamContext, spec: BucketSpec, replicas: int = 1) -> KeyValue:
    try:
        return await js.key_value(spec.name)
    except (NotFoundError, BadRequestError):
        pass
    try:
        return await js.create_key_value(KeyValueConfig(
            bucket=spec.name, description=spec.description, history=spec.history,
            ttl=spec.ttl_s or None, storage=StorageType.FILE, replicas=replicas,
        ))
    except BadRequestError:
        return await js.key_value(spec.name)


async def ensure_jetstream(nc: Client, replicas: int = 1) -> JetStreamContext:
    """Every stream and bucket of ``zenith.contracts.streams`` exists after this.

    ``replicas`` (setting ``ZENITH_JETSTREAM_REPLICAS``) applies to new
    streams and buckets and is updated on existing streams."""
    js = nc.jetstream()
    for stream in STREAMS:
        await ensure_stream(js, stream, replicas)
    for bucket in BUCKETS:
        await ensure_bucket(js, bucket, replicas)
    return js


async def bucket(nc: Client, name: str) -> KeyValue:
    js = nc.jetstream()
    spec = next((b for b in BUCKETS if b.name == name), None)
    if spec is None:
        raise KeyError(f"bucket {name} is not declared in zenith.contracts.streams")
    return await ensure_bucket(js, spec)
