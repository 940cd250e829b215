"""``zenith products render|retention`` (entry point group ``zenith.commands``).

The ``zenith`` command loads every service's commands to build its help, so
this module imports only the standard library at the top; each command
imports what it needs when it runs (``render`` starts decoding sooner).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import sys
from datetime import date
from typing import TYPE_CHECKING, Any

from zenith.contracts.products import NIGHT_KINDS
from zenith.errors import ZenithError

if TYPE_CHECKING:
    from nats.aio.client import Client

    from zenith_products.settings import ProductsSettings

CONNECT_TIMEOUT_S = 3.0
KINDS = frozenset(NIGHT_KINDS)


def register(subparsers: Any) -> None:
    p = subparsers.add_parser("products", help="render a night's products again, retention")
    sub = p.add_subparsers(dest="products_command", required=True, metavar="ACTION")
    r = sub.add_parser("render", help="rebuild a night's products from the archived frames")
    r.add_argument("--camera", required=True, help="camera id")
    r.add_argument("--night", required=True, help="night (date it began), YYYY-MM-DD")
    r.add_argument("--only", help=f"comma-separated: {','.join(NIGHT_KINDS)} "
                   "(default: all, plus the monthly and yearly products)")
    r.add_argument("--workers", type=int, default=2,
                   help="decoding threads (default 2; 1 decodes in the main thread)")
    r.add_argument("--no-announce", action="store_true",
                   help="do not publish product.ready events on NATS")
    r.set_defaults(func=cmd_render)
    t = sub.add_parser("retention", help="delete old frames and products once (see settings)")
    t.add_argument("--dry-run", action="store_true", help="report what would go, delete nothing")
    t.set_defaults(func=cmd_retention)


def _fail(message: str, code: int = 2) -> int:
    print(f"zenith products: {message}", file=sys.stderr)
    return code


def _settings() -> ProductsSettings:
    from zenith.config import load_settings
    from zenith_products.settings import ProductsSettings

    return load_settings(ProductsSettings)


def cmd_render(args: argparse.Namespace) -> int:
    from zenith.ids import validate_camera_id
    from zenith_products.allocator import tune_allocator

    tune_allocator()

    try:
        settings = _settings()
        validate_camera_id(args.camera)
        date.fromisoformat(args.night)
    except ZenithError as exc:
        return _fail(exc.message)
    except ValueError:
        return _fail(f"--night {args.night!r} is not a date YYYY-MM-DD")
    kinds = KINDS
    if args.only:
        kinds = frozenset(k.strip() for k in args.only.split(",") if k.strip())
        unknown = kinds - KINDS
        if unknown or not kinds:
            return _fail(f"--only: unknown kind(s) {', '.join(sorted(unknown)) or '(none)'}; "
                         f"use {', '.join(sorted(KINDS))}")
    if not 1 <= args.workers <= 16:
        return _fail("--workers must be between 1 and 16")
    return asyncio.run(_render(settings, args, kinds))


async def _nats(settings: ProductsSettings) -> Client | None:
    from zenith.bus.connect import connect
    from zenith.bus.jetstream import ensure_jetstream

    try:
        nc = await asyncio.wait_for(
            connect(settings.nats_url, name="zenith-products-cli", allow_reconnect=False,
                    max_reconnect_attempts=0, credential=settings.bus_credential(person=True)),
            CONNECT_TIMEOUT_S)
        await ensure_jetstream(nc)
        return nc
    except Exception as exc:
        print(f"zenith products: NATS at {settings.nats_url} unreachable ({exc or 'timeout'})",
              file=sys.stderr)
        return None


async def _render(settings: ProductsSettings, args: argparse.Namespace,
                  kinds: frozenset[str]) -> int:
    from zenith.bus.client import BusClient
    from zenith.ids import new_id
    from zenith.storage.factory import open_blobs, open_metadata
    from zenith_products.config import NightConfig
    from zenith_products.render import Progress, night_frames, render_docs

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    nc = await _nats(settings)
    if nc is None:
        return _fail("the frames of a night are asked of the capture service over NATS: "
                     "start the stack (zenith dev) or set ZENITH_NATS_URL", 1)
    meta = await open_metadata(settings.resolved_metadata_url)
    blobs = open_blobs(settings)
    try:
        try:
            docs = await night_frames(BusClient(nc, settings.request_timeout), args.camera,
                                      args.night)
        except ZenithError as exc:
            return _fail(f"the capture service of camera {args.camera} did not list the "
                         f"night's frames: {exc.message}", 1)
        if not docs:
            return _fail(f"no frames of camera {args.camera} for night {args.night} in the "
                         "archive", 1)
        progress = Progress(len(docs), f"{args.camera} {args.night}")
        result = await asyncio.to_thread(
            render_docs, args.camera, args.night, docs, NightConfig.from_settings(settings),
            blobs, kinds=kinds, longterm=kinds == KINDS, workers=args.workers,
            progress=progress)
        from zenith_products.publisher import Publisher  # after the decode: it brings metrics

        publisher = Publisher(meta, None if args.no_announce else nc.jetstream())
        await publisher.ensure_indexes()
        await publisher.publish(args.camera, list(result.artifacts),
                                msg_tag=f"render-{new_id()}")
        bad = ", ".join(f"{n} {reason}" for reason, n in sorted(result.bad.items()))
        print(f"{args.camera} {args.night}: {result.applied} of {result.frames} frames used"
              f"{f' ({bad} skipped)' if bad else ''} in {result.seconds:.1f} s")
        for art in result.artifacts:
            nights = art.meta.get("nights")
            what = f"{len(nights)} nights" if art.kind == "monthly-keogram" and nights \
                else f"{art.frames} frames"
            print(f"  {art.kind:18} {art.key}  ({what}, {art.size / 1e6:.1f} MB)")
        return 0
    finally:
        with contextlib.suppress(Exception):
            await nc.drain()
        await meta.close()


def cmd_retention(args: argparse.Namespace) -> int:
    try:
        settings = _settings()
    except ZenithError as exc:
        return _fail(exc.message)
    return asyncio.run(_retention(settings, args.dry_run))


async def _retention(settings: ProductsSettings, dry_run: bool) -> int:
    from zenith.bus.client import BusClient
    from zenith.storage.factory import open_blobs, open_metadata
    from zenith_products.retention import Retention

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    nc = await _nats(settings)
    if nc is None:
        return _fail("retention asks the capture and network services over NATS: start the "
                     "stack (zenith dev) or set ZENITH_NATS_URL", 1)
    meta = await open_metadata(settings.resolved_metadata_url)
    try:
        report = await Retention(settings, meta, open_blobs(settings),
                                 BusClient(nc, settings.request_timeout), dry_run=dry_run).run()
    except ZenithError as exc:
        return _fail(f"retention stopped: {exc.message}", 1)
    finally:
        await meta.close()
        with contextlib.suppress(Exception):
            await nc.drain()
    print(json.dumps(report.to_dict(), indent=2))
    return 0
