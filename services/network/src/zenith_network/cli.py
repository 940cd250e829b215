"""``zenith camera`` and ``zenith owner``: the registry from the command line.

Unlike ``zenith user`` these talk to the running services over the bus
(the network service owns the registry, auth owns the keys), so they need
the stack up; they read the same settings (``ZENITH_NATS_URL``).

Every change they make is audited like the admin area's (see
:mod:`zenith_network.cli_audit`): ``cli@<OS user>`` did what, to which
target, and when; the admin area's audit log shows it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Awaitable, Callable
from typing import Any

import nats
from nats.errors import NoServersError
from pydantic import BaseModel

from zenith.bus.client import BusClient
from zenith.config import Settings, load_settings, redact_url
from zenith.contracts import network as c
from zenith.errors import ConfigError, ZenithError
from zenith_network.cli_audit import record

CONNECT_TIMEOUT_S = 3.0
Command = Callable[[BusClient, argparse.Namespace], Awaitable[int]]

_PRECISIONS = ("exact", "1km", "10km", "hidden")


def register(subparsers: Any) -> None:
    _register_camera(subparsers)
    _register_owner(subparsers)
    from zenith_network.join_cli import register as register_join

    register_join(subparsers, _command)
    uplink = subparsers.add_parser("uplink", help="this node's uplink to its hub")
    sub = uplink.add_subparsers(dest="uplink_command", required=True, metavar="ACTION")
    p = sub.add_parser("status", help="queued, sent and dropped items; last success and error")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=_command(_uplink_status))
    hub = subparsers.add_parser("hub", help="tools for a hub")
    sub = hub.add_subparsers(dest="hub_command", required=True, metavar="ACTION")
    p = sub.add_parser("simulate", help="simulated cameras uploading to a running hub "
                       "(Zenith dialect, and AllSkyKamera clients)")
    p.add_argument("--hub", default="http://127.0.0.1:8080", help="the hub's base URL")
    p.add_argument("--cameras", type=int, default=4, help="Zenith cameras (default 4)")
    p.add_argument("--ask", type=int, default=1, help="AllSkyKamera cameras (default 1)")
    p.add_argument("--every", type=float, default=60.0, help="seconds between rounds")
    p.add_argument("--duration", type=float, default=None, help="stop after this many s")
    p.set_defaults(func=_command(_hub_simulate))
    p = sub.add_parser("seed", help="fill a data dir with synthetic history (stack stopped)")
    p.add_argument("--cameras", type=int, default=100, help="cameras (default 100)")
    p.add_argument("--days", type=int, default=365, help="nights of history (default 365)")
    p.add_argument("--data-dir", help="the data dir (default: ZENITH_DATA_DIR, ./var)")
    p.set_defaults(func=_hub_seed)


def _camera_fields(p: argparse.ArgumentParser, *, required: bool) -> None:
    p.add_argument("--name", required=required, help="name shown on pages")
    p.add_argument("--code", help="display code such as ASK042 (default: the next free one)")
    p.add_argument("--site", help="site name")
    p.add_argument("--lat", type=float, required=required, help="latitude, degrees north")
    p.add_argument("--lon", type=float, required=required, help="longitude, degrees east")
    p.add_argument("--elevation", type=float, help="metres above sea level")
    p.add_argument("--timezone", help="IANA timezone, e.g. Europe/Berlin (default UTC)")
    p.add_argument("--precision", choices=_PRECISIONS,
                   help="how precisely visitors see the location (default 1km)")
    p.add_argument("--camera-model", dest="hw_camera", help="hardware: camera")
    p.add_argument("--lens", dest="hw_lens", help="hardware: lens")
    p.add_argument("--computer", dest="hw_computer", help="hardware: computer")


def _register_camera(subparsers: Any) -> None:
    camera = subparsers.add_parser(
        "camera", help="the network's cameras (needs the stack running)",
        description="Register, list, change and remove cameras, and issue camera keys.")
    sub = camera.add_subparsers(dest="camera_command", required=True, metavar="ACTION")

    p = sub.add_parser("add", help="register a camera")
    p.add_argument("id", help="camera id: 1-32 of a-z, 0-9, '-'")
    _camera_fields(p, required=True)
    p.add_argument("--owner", action="append", default=[], help="owner (repeatable)")
    p.add_argument("--disabled", action="store_true", help="register it disabled")
    p.set_defaults(func=_command(_add))

    p = sub.add_parser("list", help="list cameras with their status")
    p.add_argument("--owner", help="only this user's cameras")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=_command(_list))

    p = sub.add_parser("show", help="one camera, as JSON")
    p.add_argument("id")
    p.set_defaults(func=_command(_show))

    p = sub.add_parser("edit", help="change a camera's fields")
    p.add_argument("id")
    _camera_fields(p, required=False)
    group = p.add_mutually_exclusive_group()
    group.add_argument("--enable", dest="enabled", action="store_true", default=None)
    group.add_argument("--disable", dest="enabled", action="store_false")
    p.set_defaults(func=_command(_edit))

    p = sub.add_parser("remove", help="remove a camera from the registry")
    p.add_argument("id")
    p.set_defaults(func=_command(_remove))

    p = sub.add_parser("key", help="issue a new upload key (shown once)")
    p.add_argument("id")
    p.add_argument("--grace-hours", type=float, default=None,
                   help="how long the previous key keeps working (default: the setting)")
    p.set_defaults(func=_command(_key))


def _register_owner(subparsers: Any) -> None:
    owner = subparsers.add_parser("owner", help="owners of cameras (needs the stack running)")
    sub = owner.add_subparsers(dest="owner_command", required=True, metavar="ACTION")
    p = sub.add_parser("add", help="make a user an owner of a camera")
    p.add_argument("user")
    p.add_argument("camera")
    p.set_defaults(func=_command(_owner_add))
    p = sub.add_parser("remove", help="a user no longer owns a camera")
    p.add_argument("user")
    p.add_argument("camera")
    p.set_defaults(func=_command(_owner_remove))


def _command(command: Command) -> Callable[[argparse.Namespace], int]:
    def run(args: argparse.Namespace) -> int:
        try:
            settings = load_settings(Settings)
        except ConfigError as exc:
            print(f"zenith: {exc}", file=sys.stderr)
            return 2
        try:
            return asyncio.run(_with_bus(settings, command, args))
        except ZenithError as exc:
            print(f"zenith: {exc.message}", file=sys.stderr)
            return 1
        except (OSError, TimeoutError) as exc:
            print(f"zenith: cannot reach NATS ({exc}); is the stack running?", file=sys.stderr)
            return 1

    return run


async def _with_bus(settings: Settings, command: Command, args: argparse.Namespace) -> int:
    credential = settings.bus_credential(person=True)
    login = {"user": credential[0], "password": credential[1]} if credential else {}
    try:
        nc = await asyncio.wait_for(nats.connect(
            servers=[u.strip() for u in settings.nats_url.split(",") if u.strip()],
            name="zenith-cli", allow_reconnect=False, max_reconnect_attempts=1,
            reconnect_time_wait=0.1, connect_timeout=CONNECT_TIMEOUT_S, error_cb=_quiet,
            **login), CONNECT_TIMEOUT_S * 2)
    except (NoServersError, TimeoutError):
        raise OSError(f"no NATS server at {redact_url(settings.nats_url)}") from None
    try:
        return await command(BusClient(nc, settings.request_timeout), args)
    finally:
        await nc.close()


async def _quiet(exc: Exception) -> None:
    return None


def _print(model: Any) -> None:
    print(json.dumps(model.model_dump(mode="json"), indent=2))


def _location(args: argparse.Namespace, base: c.Location | None) -> c.Location | None:
    given = {k: v for k, v in {
        "latitude": args.lat, "longitude": args.lon, "elevation": args.elevation,
        "timezone": args.timezone, "precision": args.precision}.items() if v is not None}
    if not given:
        return None
    data = base.model_dump() if base else {}
    data.update(given)
    return c.Location.model_validate(data)


def _hardware(args: argparse.Namespace, base: c.Hardware | None) -> c.Hardware | None:
    given = {k: v for k, v in {"camera": args.hw_camera, "lens": args.hw_lens,
                               "computer": args.hw_computer}.items() if v is not None}
    if not given:
        return None
    data = base.model_dump() if base else {}
    data.update(given)
    return c.Hardware.model_validate(data)


async def _add(bus: BusClient, args: argparse.Namespace) -> int:
    body = {"id": args.id, "name": args.name, "code": args.code, "site": args.site or "",
            "owners": args.owner, "enabled": not args.disabled,
            "location": _location(args, None),
            "hardware": _hardware(args, None) or c.Hardware()}
    camera = await bus.request(c.CAMERA_ADD, body)
    _print(camera)
    await record(bus, "camera.add", camera.id, {"code": camera.code, "name": camera.name,
                                                "owners": camera.owners})
    return 0


def _age(camera: c.Camera) -> str:
    if camera.last_upload_at is None:
        return "never"
    return camera.last_upload_at.strftime("%Y-%m-%d %H:%M:%SZ")


async def _list(bus: BusClient, args: argparse.Namespace) -> int:
    found = await bus.request(c.CAMERA_LIST, {"owner": args.owner})
    if args.json:
        _print(found)
        return 0
    print(f"{'ID':20} {'CODE':8} {'STATUS':8} {'LAST UPLOAD':21} NAME")
    for cam in found.cameras:
        state = "disabled" if not cam.enabled else "online" if cam.online else "offline"
        print(f"{cam.id:20} {cam.code:8} {state:8} {_age(cam):21} {cam.name}")
    return 0


async def _show(bus: BusClient, args: argparse.Namespace) -> int:
    _print(await bus.request(c.CAMERA_GET, {"camera": args.id}))
    return 0


async def _edit(bus: BusClient, args: argparse.Namespace) -> int:
    current = await bus.request(c.CAMERA_GET, {"camera": args.id})
    body: dict[str, Any] = {"camera": args.id}
    for name in ("name", "code", "site", "enabled"):
        if getattr(args, name) is not None:
            body[name] = getattr(args, name)
    location = _location(args, current.location)
    if location is not None:
        body["location"] = location
    hardware = _hardware(args, current.hardware)
    if hardware is not None:
        body["hardware"] = hardware
    _print(await bus.request(c.CAMERA_EDIT, body))
    await record(bus, "camera.edit", args.id, {
        k: v.model_dump(mode="json") if isinstance(v, BaseModel) else v
        for k, v in body.items() if k != "camera"})
    return 0


async def _remove(bus: BusClient, args: argparse.Namespace) -> int:
    await bus.request(c.CAMERA_REMOVE, {"camera": args.id})
    print(f"camera {args.id} removed")
    await record(bus, "camera.remove", args.id)
    return 0


async def _key(bus: BusClient, args: argparse.Namespace) -> int:
    from zenith.contracts import camerakeys

    await bus.request(c.CAMERA_GET, {"camera": args.id})
    body: dict[str, Any] = {"camera": args.id}
    if args.grace_hours is not None:
        body["grace_s"] = int(args.grace_hours * 3600)
    issued = await bus.request(camerakeys.KEY_ISSUE, body)
    await record(bus, "camera.key-issue", args.id, {"key_id": issued.key_id, **(
        {"grace_s": body["grace_s"]} if "grace_s" in body else {})})
    print(f"New upload key of camera {args.id} (shown once, store it now):")
    print(issued.key)
    if issued.previous_valid_until is not None:
        until = issued.previous_valid_until.strftime("%Y-%m-%d %H:%M:%SZ")
        print(f"The previous key keeps working until {until}.")
    return 0


async def _owner_add(bus: BusClient, args: argparse.Namespace) -> int:
    cam = await bus.request(c.OWNER_ADD, {"camera": args.camera, "username": args.user})
    print(f"{args.user} owns {cam.id} (owners: {', '.join(cam.owners)})")
    await record(bus, "owner.link", args.user, {"camera": cam.id})
    return 0


async def _owner_remove(bus: BusClient, args: argparse.Namespace) -> int:
    cam = await bus.request(c.OWNER_REMOVE, {"camera": args.camera, "username": args.user})
    print(f"{args.user} no longer owns {cam.id} (owners: {', '.join(cam.owners) or 'none'})")
    await record(bus, "owner.unlink", args.user, {"camera": cam.id})
    return 0


async def _uplink_status(bus: BusClient, args: argparse.Namespace) -> int:
    settings = load_settings(Settings)
    status = await bus.request(c.UPLINK_STATUS, {}, camera=settings.camera)
    if args.json:
        _print(status)
        return 0
    if not status.enabled:
        print("uplink: off (set ZENITH_NETWORK_HUB_URL and ZENITH_NETWORK_HUB_KEY)")
        return 0
    print(f"uplink to {status.hub_url}")
    for name in ("frames", "products", "readings", "meteors"):
        q = getattr(status, name)
        if q is None:
            continue
        last = q.last_success_at.strftime("%Y-%m-%d %H:%M:%SZ") if q.last_success_at else "never"
        print(f"  {name:9} queued {q.pending:6}  sent {q.sent:6}  dropped {q.dropped:4}  "
              f"last sent {last}")
    if status.last_error:
        when = status.last_error_at.strftime("%Y-%m-%d %H:%M:%SZ") if status.last_error_at \
            else "?"
        print(f"  last error ({when}): {status.last_error}")
    return 0


async def _hub_simulate(bus: BusClient, args: argparse.Namespace) -> int:
    from zenith_network.simulate import simulate

    done = await simulate(bus, args.hub.rstrip("/"), cameras=args.cameras, ask=args.ask,
                          every_s=args.every, duration_s=args.duration)
    print(f"{len(done['cameras'])} cameras, {done['rounds']} rounds: "
          f"{', '.join(done['cameras'])}")
    return 0


def _hub_seed(args: argparse.Namespace) -> int:
    from pathlib import Path

    from zenith_network.seed import seed

    if args.cameras < 1 or args.days < 1:
        print("zenith: --cameras and --days must be at least 1", file=sys.stderr)
        return 2
    overrides: dict[str, Any] = {"data_dir": Path(args.data_dir)} if args.data_dir else {}
    try:
        settings = load_settings(Settings, **overrides)
    except ConfigError as exc:
        print(f"zenith: {exc}", file=sys.stderr)
        return 2
    done = asyncio.run(seed(settings, cameras=args.cameras, days=args.days))
    print(f"seeded {done['cameras']} cameras x {done['days']} nights into "
          f"{settings.data_dir}: {done['files']} files, {done['readings']} readings "
          f"in {done['seconds']} s")
    return 0
