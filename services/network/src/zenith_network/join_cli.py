"""``zenith join list|approve|reject``: review join requests from the command line.

They talk to the running network service over the bus, as ``zenith camera``
does; approving prints the owner's one-time password and the camera's key
once. The network service audits a decision with the actor ``cli@<OS user>``.
"""

from __future__ import annotations

import argparse
from typing import Any

from zenith.bus.client import BusClient
from zenith.contracts import joins as c
from zenith_network.cli_audit import actor_headers


def register(subparsers: Any, command: Any) -> None:
    join = subparsers.add_parser("join", help="requests to join the network (needs the "
                                 "stack running)")
    sub = join.add_subparsers(dest="join_command", required=True, metavar="ACTION")
    p = sub.add_parser("list", help="join requests, newest first")
    p.add_argument("--status", choices=("pending", "approved", "rejected"),
                   help="only requests in this state")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=command(_list))

    p = sub.add_parser("approve", help="approve: the owner account, the camera and its key "
                       "(shown once)")
    p.add_argument("id", help="the request's id (zenith join list)")
    p.add_argument("--username", required=True, help="the new owner's login name")
    p.add_argument("--camera", required=True, help="camera id: 1-32 of a-z, 0-9, '-'")
    p.add_argument("--name", required=True, help="the camera's name shown on pages")
    p.add_argument("--code", help="display code (default: the next free one)")
    p.add_argument("--lat", type=float, required=True, help="latitude, degrees north")
    p.add_argument("--lon", type=float, required=True, help="longitude, degrees east")
    p.add_argument("--timezone", default="UTC", help="IANA timezone (default UTC)")
    p.add_argument("--email-key", action="store_true",
                   help="also email the camera's key to the requester")
    p.set_defaults(func=command(_approve))

    p = sub.add_parser("reject", help="reject, saying why")
    p.add_argument("id")
    p.add_argument("--reason", required=True, help="why (sent to the requester)")
    p.set_defaults(func=command(_reject))


async def _list(bus: BusClient, args: argparse.Namespace) -> int:
    found = await bus.request(c.JOIN_LIST, {"status": args.status}, headers=actor_headers())
    if args.json:
        print(found.model_dump_json(indent=2))
        return 0
    print(f"{'ID':32} {'STATUS':9} {'RECEIVED':17} {'NAME':24} LOCATION")
    for r in found.requests:
        print(f"{r.id:32} {r.status:9} {r.created_at:%Y-%m-%d %H:%M} {r.name[:24]:24} "
              f"{r.location}")
    return 0


async def _approve(bus: BusClient, args: argparse.Namespace) -> int:
    body = {"id": args.id, "username": args.username, "camera": args.camera,
            "camera_name": args.name, "code": args.code, "email_key": args.email_key,
            "location": {"latitude": args.lat, "longitude": args.lon,
                         "timezone": args.timezone}}
    done = await bus.request(c.JOIN_APPROVE, body, headers=actor_headers())
    print(f"Approved {done.request.id}: camera {done.camera} ({done.code}), owner "
          f"{done.username}.")
    print("Shown once, store them now:")
    print(f"  one-time password: {done.password}")
    print(f"  upload key:        {done.key}")
    print("Email sent to the requester." if done.emailed else
          "No email was sent (SMTP not configured or it failed): tell the requester.")
    return 0


async def _reject(bus: BusClient, args: argparse.Namespace) -> int:
    done = await bus.request(c.JOIN_REJECT, {"id": args.id, "reason": args.reason},
                             headers=actor_headers())
    print(f"Rejected {done.id}" + (" (email sent)." if done.emailed else "."))
    return 0
