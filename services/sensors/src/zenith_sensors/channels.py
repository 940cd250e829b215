"""Where alerts go: the ALERTS stream, webhooks, email, MQTT.

Each delivery runs in its own task, so a slow or dead channel delays
nobody else; one destination gets its alerts in order (an alert's end never
overtakes its start while the start is being retried). Webhooks get the
alert as JSON and are retried with growing pauses (tenacity) on a connection
error or a 5xx/429 answer; a 4xx is final.
Email goes through aiosmtplib when an SMTP host is set.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from email.message import EmailMessage
from typing import Any

import aiohttp
from nats.js import JetStreamContext
from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_attempt, wait_exponential

from zenith.bus.events import try_publish
from zenith.contracts import alerts
from zenith_sensors.metrics import DELIVERIES
from zenith_sensors.settings import SensorsSettings

log = logging.getLogger("zenith.sensors")


class RetryableHttp(Exception):
    """A webhook answered in a way worth trying again."""


class Channels:
    def __init__(self, settings: SensorsSettings, js: JetStreamContext,
                 retry_wait_s: float = 1.0) -> None:
        self.s = settings
        self.js = js
        self.retry_wait_s = retry_wait_s
        self.mqtt: Callable[[alerts.Alert], Coroutine[Any, Any, None]] | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._last: dict[str, asyncio.Task[None]] = {}
        self._http: aiohttp.ClientSession | None = None

    async def close(self) -> None:
        tasks = list(self._tasks)
        if tasks:
            await asyncio.wait(tasks, timeout=10)
        for task in tasks:
            task.cancel()
        if self._http is not None:
            await self._http.close()

    async def deliver(self, alert: alerts.Alert) -> None:
        await try_publish(self.js, alerts.ALERT, alert, msg_id=f"{alert.id}.{alert.state}",
                      camera=alert.camera)
        jobs: list[tuple[str, Coroutine[Any, Any, None]]] = [
            (f"webhook {url}", self._webhook(url, alert)) for url in self.s.sensors_webhook_urls]
        if self.s.sensors_smtp_host and self.s.sensors_smtp_to:
            jobs.append(("email", self._email(alert)))
        if self.mqtt is not None:
            jobs.append(("mqtt", self.mqtt(alert)))
        for destination, job in jobs:
            self._after_last(destination, job)

    def _after_last(self, destination: str, job: Coroutine[Any, Any, None]) -> None:
        """Run ``job`` once the destination's previous delivery has finished."""
        before = self._last.get(destination)

        async def run() -> None:
            if before is not None:
                try:
                    await asyncio.wait([before])
                except asyncio.CancelledError:
                    job.close()  # closed down before its turn: never started
                    raise
            await job

        task = asyncio.ensure_future(run())
        self._last[destination] = task
        self._tasks.add(task)

        def done(t: asyncio.Task[None]) -> None:
            self._tasks.discard(t)
            if self._last.get(destination) is t:
                del self._last[destination]

        task.add_done_callback(done)

    async def _webhook(self, url: str, alert: alerts.Alert) -> None:
        if self._http is None:
            self._http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10))
        body = alert.model_dump(mode="json")
        try:
            async for attempt in AsyncRetrying(
                    stop=stop_after_attempt(self.s.sensors_webhook_attempts),
                    wait=wait_exponential(multiplier=self.retry_wait_s, max=300),
                    retry=retry_if_exception_type((RetryableHttp, aiohttp.ClientError,
                                                   asyncio.TimeoutError)),
                    reraise=True):
                with attempt:
                    async with self._http.post(url, json=body) as resp:
                        if resp.status >= 500 or resp.status == 429:
                            raise RetryableHttp(f"HTTP {resp.status}")
                        if resp.status >= 400:
                            log.warning("webhook refused alert %s: HTTP %d", alert.id,
                                        resp.status)
                            DELIVERIES.labels("webhook", "refused").inc()
                            return
            DELIVERIES.labels("webhook", "ok").inc()
        except Exception as exc:
            DELIVERIES.labels("webhook", "failed").inc()
            log.warning("webhook gave up on alert %s: %s", alert.id, str(exc) or type(exc).__name__)

    async def _email(self, alert: alerts.Alert) -> None:
        import aiosmtplib

        msg = EmailMessage()
        msg["From"] = self.s.sensors_smtp_from
        msg["To"] = ", ".join(self.s.sensors_smtp_to)
        verb = "started" if alert.state == "start" else "ended"
        msg["Subject"] = f"[{alert.camera}] {alert.rule} {verb}"
        msg.set_content(f"{alert.message}\n\ncamera: {alert.camera}\nrule: {alert.rule} "
                        f"({alert.kind})\n{verb}: {alert.time.isoformat()}\n")
        password = self.s.sensors_smtp_password
        try:
            await aiosmtplib.send(
                msg, hostname=self.s.sensors_smtp_host, port=self.s.sensors_smtp_port,
                start_tls=self.s.sensors_smtp_starttls,
                username=self.s.sensors_smtp_username or None,
                password=password.get_secret_value() if password else None, timeout=20)
            DELIVERIES.labels("email", "ok").inc()
        except Exception as exc:
            DELIVERIES.labels("email", "failed").inc()
            log.warning("email of alert %s failed: %s", alert.id, str(exc) or type(exc).__name__)
