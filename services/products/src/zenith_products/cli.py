"""``zenith products render|retention`` (entry point group ``zenith.commands``)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import sys
from datetime import date
from typing import Any

from nats.aio.client import Client

from zenith.bus.connect import connect
from zenith.bus.jetstream import ensure_jetstream
from zenith.config import load_settings
from zenith.errors import ZenithError
from zenith.ids import new_id, validate_camera_id
from zenith.storage.factory import open_blobs, open_metadata
from zenith_products.config import NightConfig
from zenith_products.night import KINDS
from zenith_products.publisher import Publisher
from zenith_products.render import Progress, night_frames, render_docs
from zenith_products.retention import Retention
from zenith_products.settings import ProductsSettings

CONNECT_TIMEOUT_S = 3.0


def register(subparsers: Any) -> None:
    p = subparsers.add_parser("products", help="render a night's products again, retention")
    sub = p.add_subparsers(dest="products_command", required=True, metavar="ACTION")
    r = sub.add_parser("render", help="rebuild a night's products from the archived frames")
    r.add_argument("--camera", required=True, help="camera id")
    r.add_argument("--night", required=True, help="night (date it began), YYYY-MM-DD")
    r.add_argument("--only", help="comma-separated: keogram,startrails,timelapse,mini-timelapse "
                   "(default: all, plus the monthly and yearly products)")
    r.add_argument("--workers", type=int, default=2, help="decoding threads (default 2)")
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
    return load_settings(ProductsSettings)


def cmd_render(args: argparse.Namespace) -> int:
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
    try:
        nc = await asyncio.wait_for(
            connect(settings.nats_url, name="zenith-products-cli", allow_reconnect=False,
                    max_reconnect_attempts=0), CONNECT_TIMEOUT_S)
        await ensure_jetstream(nc)
        return nc
    except Exception as exc:
        print(f"zenith products: NATS at {settings.nats_url} unreachable ({exc or 'timeout'}); "
              "products are written and indexed but not announced", file=sys.stderr)
        return None


async def _render(settings: ProductsSettings, args: argparse.Namespace,
                  kinds: frozenset[str]) -> int:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    meta = await open_metadata(settings.resolved_metadata_url)
    blobs = open_blobs(settings)
    nc = None
    try:
        docs = await night_frames(meta, args.camera, args.night)
        if not docs:
            return _fail(f"no frames of camera {args.camera} for night {args.night} in the "
                         "archive", 1)
        progress = Progress(len(docs), f"{args.camera} {args.night}")
        result = await asyncio.to_thread(
            render_docs, args.camera, args.night, docs, NightConfig.from_settings(settings),
            blobs, kinds=kinds, longterm=kinds == KINDS, workers=args.workers,
            progress=progress)
        nc = None if args.no_announce else await _nats(settings)
        publisher = Publisher(meta, nc.jetstream() if nc else None)
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
        if nc is not None:
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
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    meta = await open_metadata(settings.resolved_metadata_url)
    try:
        report = await Retention(settings, meta, open_blobs(settings), dry_run=dry_run).run()
    finally:
        await meta.close()
    print(json.dumps(report.to_dict(), indent=2))
    return 0
