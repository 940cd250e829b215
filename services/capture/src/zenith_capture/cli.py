"""``zenith capture darks record|list`` (entry point group ``zenith.commands``).

Asks the running capture service over NATS (``capture.DARKS_RECORD``,
``capture.DARKS_LIST``); only the standard library is imported at the top.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any

CONNECT_TIMEOUT_S = 3.0


def register(subparsers: Any) -> None:
    p = subparsers.add_parser("capture", help="the camera: dark frames")
    sub = p.add_subparsers(dest="capture_command", required=True, metavar="WHAT")
    darks = sub.add_parser("darks", help="the dark-frame library")
    dsub = darks.add_subparsers(dest="darks_command", required=True, metavar="ACTION")
    r = dsub.add_parser("record", help="record a dark (cap the lens first)")
    r.add_argument("--frames", type=int, default=10, help="exposures averaged (default 10)")
    r.add_argument("--exposure", type=float, help="seconds (default: the loop's current)")
    r.add_argument("--gain", type=float, help="linear gain (default: the loop's current)")
    r.add_argument("--camera", help="camera id (default ZENITH_CAMERA)")
    r.add_argument("--timeout", type=float,
                   help="seconds to wait for the service (default: frames x (exposure + 30))")
    r.set_defaults(func=cmd_record)
    ls = dsub.add_parser("list", help="list the dark library")
    ls.add_argument("--camera", help="camera id (default ZENITH_CAMERA)")
    ls.set_defaults(func=cmd_list)


def _fail(message: str, code: int = 2) -> int:
    print(f"zenith capture: {message}", file=sys.stderr)
    return code


def cmd_record(args: argparse.Namespace) -> int:
    if not 1 <= args.frames <= 100:
        return _fail("--frames must be between 1 and 100")
    body: dict[str, Any] = {"frames": args.frames}
    if args.exposure is not None:
        body["exposure_s"] = args.exposure
    if args.gain is not None:
        body["gain"] = args.gain
    timeout = args.timeout or args.frames * ((args.exposure or 60.0) + 30.0)
    return asyncio.run(_ask("record", args.camera, body, timeout))


def cmd_list(args: argparse.Namespace) -> int:
    return asyncio.run(_ask("list", args.camera, {}, 10.0))


async def _ask(action: str, camera: str | None, body: dict[str, Any], timeout: float) -> int:
    from zenith.bus.client import BusClient
    from zenith.bus.connect import connect
    from zenith.config import Settings, load_settings
    from zenith.contracts import capture
    from zenith.errors import ZenithError

    try:
        settings = load_settings(Settings)
    except ZenithError as exc:
        return _fail(exc.message)
    camera = camera or settings.camera
    try:
        nc = await asyncio.wait_for(
            connect(settings.nats_url, name="zenith-capture-cli", allow_reconnect=False,
                    max_reconnect_attempts=0, credential=settings.bus_credential(person=True)),
            CONNECT_TIMEOUT_S)
    except Exception as exc:
        return _fail(f"NATS at {settings.nats_url} unreachable ({exc or 'timeout'})", 1)
    try:
        bus = BusClient(nc, timeout)
        if action == "record":
            dark = await bus.request(capture.DARKS_RECORD, body, camera=camera)
            print(f"dark {dark.id}: {dark.frames} frames, {dark.exposure_s:g} s, gain "
                  f"{dark.gain:g}, {dark.hot_pixels} hot pixels")
        else:
            listed = await bus.request(capture.DARKS_LIST, {}, camera=camera)
            for d in listed.darks:
                temp = "-" if d.temperature_c is None else f"{d.temperature_c:g} °C"
                print(f"{d.id}  {d.exposure_s:>8g} s  gain {d.gain:<6g} {temp:>8}  "
                      f"{d.frames} frames  {d.hot_pixels} hot  {d.created_at:%Y-%m-%d %H:%M}")
    except ZenithError as exc:
        return _fail(exc.message, 1)
    finally:
        await nc.close()
    return 0
