"""The per-camera durable pull consumer on FRAMES.

Each camera has its own durable consumer ``products-<camera>`` filtered to
``zenith.frames.<camera>``, created on demand by the worker that takes the
camera's lease. On taking the lease the worker (re)creates it to start
right after the sequence its checkpoint covers, so frames arrive in stream
order even after a crash (a redelivery would otherwise come after newer
frames); frames already checkpointed are never applied twice.
"""

from __future__ import annotations

from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from nats.js.errors import NotFoundError

from zenith.contracts.frames import FRAME_CAPTURED

STREAM = FRAME_CAPTURED.stream
INACTIVE_S = 7 * 86400.0  # a camera that vanished loses its consumer after a week


def durable_name(camera: str) -> str:
    return f"products-{camera}"


async def open_consumer(js: JetStreamContext, camera: str, after_seq: int, *,
                        ack_wait: float, max_ack_pending: int
                        ) -> JetStreamContext.PullSubscription:
    """(Re)create the camera's consumer at ``after_seq + 1`` and bind to it."""
    name = durable_name(camera)
    try:
        await js.delete_consumer(STREAM, name)
    except NotFoundError:
        pass
    config = ConsumerConfig(
        name=name,
        durable_name=name,
        description=f"products worker for camera {camera}",
        filter_subject=FRAME_CAPTURED.subject_for(camera=camera),
        ack_policy=AckPolicy.EXPLICIT,
        ack_wait=ack_wait,
        max_ack_pending=max_ack_pending,
        inactive_threshold=INACTIVE_S,
        deliver_policy=DeliverPolicy.BY_START_SEQUENCE if after_seq else DeliverPolicy.ALL,
        opt_start_seq=after_seq + 1 if after_seq else None,
    )
    await js.add_consumer(STREAM, config)
    return await js.pull_subscribe_bind(durable=name, stream=STREAM)


async def cameras_in_stream(js: JetStreamContext) -> list[str]:
    """Cameras that have frames in the stream (from its subject counts)."""
    info = await js.stream_info(STREAM, subjects_filter=FRAME_CAPTURED.wildcard())
    position = FRAME_CAPTURED.subject.split(".").index("{camera}")
    cameras = set()
    for subject in (info.state.subjects or {}):
        parts = subject.split(".")
        if len(parts) > position:
            cameras.add(parts[position])
    return sorted(cameras)
