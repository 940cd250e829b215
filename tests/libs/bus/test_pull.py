"""zenith.bus.pull.consume against a real nats-server: several messages at once,
one key's messages in order."""

from __future__ import annotations

import asyncio

from nats.js.api import AckPolicy, ConsumerConfig, StreamConfig

from zenith.bus.pull import consume


async def test_messages_are_handled_at_once_but_each_keys_in_order(nc):
    js = nc.jetstream()
    await js.add_stream(StreamConfig(name="PULLTEST", subjects=["pulltest.>"]))
    await js.add_consumer(
        "PULLTEST", ConsumerConfig(durable_name="t", ack_policy=AckPolicy.EXPLICIT)
    )
    sent = [f"{camera}-{n}" for n in range(4) for camera in ("a", "b", "c")]
    for item in sent:
        await js.publish(f"pulltest.{item[0]}", item.encode())
    sub = await js.pull_subscribe_bind(durable="t", stream="PULLTEST")
    stop = asyncio.Event()
    running = 0
    most = 0
    seen: list[str] = []

    async def handle(data: bytes) -> None:
        nonlocal running, most
        running += 1
        most = max(most, running)
        await asyncio.sleep(0.05)
        seen.append(data.decode())
        running -= 1
        if len(seen) == len(sent):
            stop.set()

    await asyncio.wait_for(
        consume(
            sub, stop, handle, "test", batch=12, concurrency=2, order_key=lambda data: data[:1]
        ),
        30,
    )
    assert sorted(seen) == sorted(sent)
    assert most == 2  # never more than asked for, and more than one
    for camera in "abc":
        assert [s for s in seen if s[0] == camera] == [f"{camera}-{n}" for n in range(4)]
    for _ in range(100):  # an ack is sent, not confirmed: the server counts it soon
        info = await js.consumer_info("PULLTEST", "t")
        if info.num_ack_pending == 0:
            break
        await asyncio.sleep(0.05)
    assert info.num_ack_pending == 0 and info.num_pending == 0


async def test_a_stopped_consumer_lets_the_connection_drain_at_once(nats_server):
    """nats-py takes a batch off a pull subscription's queue without marking it
    done: late "request timeout" notices of empty fetches pile up there, and a
    drain with the subscription open waited its whole timeout (10 s for each
    service at every stop; under load a shutdown that never ended)."""
    import nats

    timeouts: list[BaseException] = []

    async def on_error(exc: BaseException) -> None:
        if isinstance(exc, nats.errors.DrainTimeoutError):
            timeouts.append(exc)

    client = await nats.connect(nats_server.url, drain_timeout=30, error_cb=on_error)
    try:
        js = client.jetstream()
        await js.add_stream(StreamConfig(name="IDLE", subjects=["idle.>"]))
        await js.add_consumer("IDLE", ConsumerConfig(durable_name="t",
                                                     ack_policy=AckPolicy.EXPLICIT))
        sub = await js.pull_subscribe_bind(durable="t", stream="IDLE")
        stop = asyncio.Event()
        loop = asyncio.create_task(consume(sub, stop, lambda _: asyncio.sleep(0), "idle",
                                           batch=4))
        await asyncio.sleep(7)  # three empty fetches of 2 s
        stop.set()
        await asyncio.wait_for(loop, 10)
        await asyncio.wait_for(client.drain(), 60)
        assert timeouts == []
        assert client.is_closed
    finally:
        if not client.is_closed:
            await client.close()
