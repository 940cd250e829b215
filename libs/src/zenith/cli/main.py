"""``zenith``: run a service, run the dev stack, write the catalogue, ...

Services add their own sub-commands through the ``zenith.commands`` entry
point group (a callable taking the argparse sub-parsers), and their
runnable entry point through ``zenith.services`` (``main(argv) -> int``),
so this package never imports a service.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence
from importlib.metadata import entry_points
from typing import Any

SERVICE_GROUP = "zenith.services"
COMMAND_GROUP = "zenith.commands"


def available_services() -> dict[str, object]:
    return {ep.name: ep for ep in entry_points(group=SERVICE_GROUP)}


def _cmd_run(args: argparse.Namespace) -> int:
    services = available_services()
    ep = services.get(args.service)
    if ep is None:
        known = ", ".join(sorted(services)) or "none installed"
        print(f"zenith run: unknown service {args.service!r} (known: {known})", file=sys.stderr)
        return 2
    main = ep.load()  # type: ignore[attr-defined]
    return int(main(args.rest) or 0)


def _cmd_services(args: argparse.Namespace) -> int:
    from zenith.contracts.services import SERVICES

    installed = available_services()
    for spec in SERVICES:
        where = ",".join(sorted(spec.profiles))
        state = "installed" if spec.name in installed else "not installed"
        print(f"{spec.name:10} {where:14} {state:14} {spec.summary}")
    return 0


def _cmd_dev(args: argparse.Namespace) -> int:
    from zenith.cli.dev import run_dev

    return run_dev(args)


def _cmd_health(args: argparse.Namespace) -> int:
    from zenith.cli.health import main as health_main

    return int(health_main(args.rest) or 0)


def _cmd_catalogue(args: argparse.Namespace) -> int:
    from zenith.contracts.catalogue import write_catalogue

    for path in write_catalogue(args.out):
        print(f"wrote {path}")
    return 0


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The whole command line; with ``command`` (the first argument), only
    the service plugin of that name is loaded, so a command such as
    ``zenith products render`` does not import every other service first."""
    parser = argparse.ArgumentParser(prog="zenith", description="Zenith all-sky camera platform")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("run", help="run one service in the foreground")
    p.add_argument("service", help="a service's name (`zenith services` lists them)")
    p.add_argument("rest", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    p.set_defaults(func=_cmd_run)

    p = sub.add_parser("dev", help="run the whole stack on embedded defaults")
    p.add_argument("--data-dir", help="where data lives (default: ./var, ZENITH_DATA_DIR)")
    p.add_argument("--only", help="comma-separated services to start (default: all)")
    p.add_argument("--hub", action="store_true", help="a network hub with simulated cameras "
                   "uploading to it (ZENITH_DEV_HUB)")
    p.set_defaults(func=_cmd_dev)

    p = sub.add_parser("health", help="probe one service (exit 0 when healthy)", add_help=False)
    p.add_argument("rest", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    p.set_defaults(func=_cmd_health)

    p = sub.add_parser("services", help="list the services, their profiles and whether installed")
    p.set_defaults(func=_cmd_services)

    p = sub.add_parser("catalogue", help="write the bus catalogue (AsyncAPI, JSON Schema)")
    p.add_argument("--out", default="docs", help="output folder (default: docs)")
    p.set_defaults(func=_cmd_catalogue)

    if not _load_service_commands(sub, command):
        plugins = list(entry_points(group=COMMAND_GROUP))
        if command in {ep.name for ep in plugins}:
            plugins = [ep for ep in plugins if ep.name == command]
        for ep in plugins:
            try:
                ep.load()(sub)
            except Exception as exc:  # a broken plugin must not break the CLI
                logging.getLogger("zenith.cli").warning("command %s not loaded: %s", ep.name,
                                                        exc)
    return parser


def _load_service_commands(sub: Any, command: str | None) -> bool:
    """``zenith <service> ...``: the service's own ``zenith_<service>.cli``,
    found by its name without scanning every installed package's entry
    points (a tenth of a second of a short command). False when ``command``
    is not an installed service's."""
    from zenith.contracts.services import service_names

    if command not in service_names():
        return False
    name = f"zenith_{command}.cli"
    try:
        module = importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name is not None and name.startswith(exc.name):
            return False  # the service is not installed here
        raise
    register = getattr(module, "register", None)
    if register is None:
        return False
    register(sub)
    return True


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = build_parser(argv[0] if argv else None).parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":
    raise SystemExit(main())
