"""``python -m zenith.cli.health SERVICE``: the probe containers run.

Docker Compose healthchecks and Kubernetes exec probes call it inside the
service's own container, so it reads the same ``ZENITH_*`` settings as the
service. Three checks, each answering a different question:

- **process** (when ``ZENITH_METRICS_PORT`` is set): the service's own
  metrics endpoint on this host reports ``zenith_service_up{service=NAME} 1``,
  so *this* container's process finished start-up and still runs;
- **bus** (unless ``--skip-bus``): a micro ``PING`` to ``NAME`` is answered,
  so NATS is reachable from here and the service is registered on it. When
  the replies carry a ``host`` metadata entry, only this host's instance
  counts;
- **http** (with ``--url``): the URL answers with a status below 400.

A liveness probe should use ``--skip-bus`` (a NATS outage is not cured by
restarting every service); a readiness probe runs every check.

Exit status: 0 healthy, 1 unhealthy, 2 bad usage or settings. One line
says what was checked and, on failure, what failed.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import re
import socket
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence

import nats
from nats.aio.client import Client
from prometheus_client.parser import text_string_to_metric_families

from zenith.bus.discovery import PingReply, gather_pings
from zenith.config import Settings, load_settings
from zenith.errors import ConfigError

NAME_RE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
UP_METRIC = "zenith_service_up"
ANY_ADDRESS = ("", "0.0.0.0", "::", "[::]")

HEALTHY, UNHEALTHY, USAGE = 0, 1, 2


class Unhealthy(Exception):
    """One check failed; the message says which and why."""


def check_process(name: str, host: str, port: int, timeout: float) -> str:
    """The service's metrics endpoint on this host says it is up."""
    address = "127.0.0.1" if host in ANY_ADDRESS else host
    url = f"http://{address}:{port}/metrics"
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            text = resp.read().decode("utf-8", "replace")
    except (OSError, ValueError) as exc:
        raise Unhealthy(f"process: no metrics at {url} ({exc})") from None
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == UP_METRIC and sample.labels.get("service") == name:
                if sample.value == 1:
                    return "process: up"
                raise Unhealthy(f"process: {UP_METRIC} is {sample.value:g} (starting or stopping)")
    raise Unhealthy(f"process: {url} reports no {UP_METRIC} for {name!r} (still starting, "
                    "or another service owns this port)")


def check_http(url: str, timeout: float) -> str:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            return f"http: {resp.status}"
    except urllib.error.HTTPError as exc:
        raise Unhealthy(f"http: {url} answered {exc.code}") from None
    except (OSError, ValueError) as exc:
        raise Unhealthy(f"http: {url} unreachable ({exc})") from None


async def _connect(url: str, name: str, timeout: float,
                   credential: tuple[str, str] | None = None) -> Client:
    """One short attempt per server (nats-py retries a server once at least)."""
    servers = [u.strip() for u in url.split(",") if u.strip()]
    errors: list[Exception] = []
    login = {"user": credential[0], "password": credential[1]} if credential else {}

    async def remember(exc: Exception) -> None:  # reported once, below, not logged
        errors.append(exc)

    try:
        return await asyncio.wait_for(
            nats.connect(servers=servers, name=f"zenith-health-{name}", connect_timeout=timeout,
                         allow_reconnect=False, max_reconnect_attempts=1,
                         reconnect_time_wait=0.1, error_cb=remember, **login),
            timeout=timeout + 0.5)
    except Exception as exc:
        last = errors[-1] if errors else exc
        reason = str(last) or type(last).__name__
        raise Unhealthy(f"bus: cannot reach NATS at {url} ({reason})") from None


async def check_bus(name: str, nats_url: str, timeout: float, hostname: str,
                    credential: tuple[str, str] | None = None) -> str:
    """A micro PING to ``name`` is answered (by this host's instance, if they say)."""
    started = time.monotonic()
    nc = await _connect(nats_url, name, timeout, credential)
    try:
        def ours(reply: PingReply) -> bool:
            return reply.host is None or reply.host == hostname

        window = max(0.05, timeout - (time.monotonic() - started))
        replies = (await gather_pings(nc, [name], window, enough=ours))[name]
    finally:
        with contextlib.suppress(Exception):
            await nc.close()
    for reply in replies:
        if ours(reply):
            return f"bus: answered (id {reply.id})"
    if replies:
        hosts = sorted({str(r.host) for r in replies})
        raise Unhealthy(f"bus: {name} answered only from other hosts "
                        f"({', '.join(hosts)}), not from {hostname}")
    raise Unhealthy(f"bus: no instance of {name} answered a ping within {timeout:g}s")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m zenith.cli.health",
        description="Probe one Zenith service from inside its container.")
    parser.add_argument("service", help="the service's bus name (gpio, capture, products, ...)")
    parser.add_argument("--timeout", type=float, default=2.0,
                        help="seconds each check may take (default 2)")
    parser.add_argument("--skip-bus", action="store_true",
                        help="do not ping over NATS (for liveness probes)")
    parser.add_argument("--url", help="also GET this URL and expect a status below 400")
    return parser


def run_checks(args: argparse.Namespace, settings: Settings, hostname: str) -> list[str]:
    """Every check asked for, in order; raises :class:`Unhealthy` at the first failure."""
    done: list[str] = []
    if settings.metrics_port:
        done.append(check_process(args.service, settings.metrics_host, settings.metrics_port,
                                  args.timeout))
    if args.url:
        done.append(check_http(args.url, args.timeout))
    if not args.skip_bus:
        done.append(asyncio.run(check_bus(args.service, settings.nats_url, args.timeout,
                                          hostname, settings.bus_credential(person=True))))
    return done


def main(argv: Sequence[str] | None = None, env: Mapping[str, str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    name = args.service
    if not NAME_RE.fullmatch(name):
        print(f"health: invalid service name {name!r} (letters, digits, '-' or '_')",
              file=sys.stderr)
        return USAGE
    if not 0 < args.timeout <= 60:
        print("health: --timeout must be more than 0 and at most 60 seconds", file=sys.stderr)
        return USAGE
    try:
        settings = load_settings(Settings, env=env)
    except ConfigError as exc:
        print(f"health: {exc}", file=sys.stderr)
        return USAGE
    if args.skip_bus and not settings.metrics_port and not args.url:
        print("health: nothing to check: --skip-bus needs ZENITH_METRICS_PORT or --url",
              file=sys.stderr)
        return USAGE
    try:
        done = run_checks(args, settings, socket.gethostname())
    except Unhealthy as exc:
        print(f"{name}: unhealthy: {exc}", file=sys.stderr)
        return UNHEALTHY
    print(f"{name}: healthy ({'; '.join(done)})")
    return HEALTHY


if __name__ == "__main__":
    raise SystemExit(main())
