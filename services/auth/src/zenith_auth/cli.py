"""``zenith user``: manage users on the configured MetadataStore directly.

It needs no running service (it reads the same settings as the auth
service), so it also recovers a lost admin password. After ``passwd`` and
``remove`` it tries, briefly, to publish the access-token revocation on
NATS so running services apply it at once; otherwise the auth service
publishes it when it runs.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import json
import sys
from collections.abc import Awaitable, Callable
from typing import Any

import nats

from zenith.bus.jetstream import bucket
from zenith.config import load_settings, redact_url
from zenith.contracts.auth import AUTH_BUCKET
from zenith.errors import BadRequest, ConfigError, ZenithError
from zenith.storage.factory import open_metadata
from zenith_auth.allsky import read_allsky_login
from zenith_auth.core import AuthCore
from zenith_auth.revocation import publish
from zenith_auth.roles import ROLES, effective_permissions, validate_password
from zenith_auth.settings import AuthSettings
from zenith_auth.users import COLLECTION, Revoked

Command = Callable[[AuthCore, AuthSettings, argparse.Namespace], Awaitable[int]]
NATS_TIMEOUT_S = 3.0


def register(subparsers: Any) -> None:
    user = subparsers.add_parser(
        "user", help="manage users (works with the stack stopped)",
        description="Add, list and remove users and set passwords, directly in the "
                    "configured metadata store (ZENITH_METADATA_URL / ZENITH_DATA_DIR).")
    sub = user.add_subparsers(dest="user_command", required=True, metavar="ACTION")

    p = sub.add_parser("add", help="create a user")
    p.add_argument("name")
    p.add_argument("--role", default="viewer", choices=sorted(ROLES),
                   help="built-in role (default: viewer)")
    p.add_argument("--permissions", metavar="JSON",
                   help='explicit permissions replacing the role\'s, e.g. \'{"gpio": ["read"]}\'')
    p.add_argument("--password-stdin", action="store_true",
                   help="read the password from standard input (first line)")
    p.add_argument("--one-time", action="store_true",
                   help="the user must change the password at the first login (always so "
                   "for a generated password)")
    p.set_defaults(func=_command(_add))

    p = sub.add_parser("passwd", help="set a user's password (revokes the user's tokens)")
    p.add_argument("name")
    p.add_argument("--password-stdin", action="store_true",
                   help="read the password from standard input (first line)")
    p.add_argument("--one-time", action="store_true",
                   help="a one-time password: the user must change it at the next login")
    p.set_defaults(func=_command(_passwd))

    p = sub.add_parser("list", help="list users with role and permissions")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=_command(_list))

    p = sub.add_parser("remove", help="delete a user and revoke the user's tokens")
    p.add_argument("name")
    p.set_defaults(func=_command(_remove))

    p = sub.add_parser("import-allsky", help="import the WebUI login of an Allsky install")
    p.add_argument("env_json", help="Allsky's env.json (holds WEBUI_USERNAME/WEBUI_PASSWORD)")
    p.add_argument("--role", default="admin", choices=sorted(ROLES),
                   help="role of the imported user (default: admin)")
    p.add_argument("--replace", action="store_true",
                   help="if the user exists, replace its password with Allsky's")
    p.set_defaults(func=_command(_import_allsky))


def _command(command: Command) -> Callable[[argparse.Namespace], int]:
    def run(args: argparse.Namespace) -> int:
        try:
            settings = load_settings(AuthSettings)
        except ConfigError as exc:
            print(f"zenith user: {exc}", file=sys.stderr)
            return 2
        try:
            return asyncio.run(_with_core(settings, command, args))
        except ZenithError as exc:
            print(f"zenith user: {exc.message}", file=sys.stderr)
            return 1
        except (KeyboardInterrupt, EOFError):
            print("zenith user: cancelled", file=sys.stderr)
            return 130

    return run


async def _with_core(settings: AuthSettings, command: Command, args: argparse.Namespace) -> int:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    store = await open_metadata(settings.resolved_metadata_url)
    try:
        core = AuthCore.build(store, settings)
        await core.setup()
        return await command(core, settings, args)
    finally:
        await store.close()


def _read_password(args: argparse.Namespace, *, required: bool) -> str | None:
    """From stdin, or asked twice on a terminal; None (generate one) for ``add``
    without a terminal."""
    if args.password_stdin:
        line = sys.stdin.readline().rstrip("\r\n")
        if not line:
            raise BadRequest("no password on standard input", code="invalid_password")
        return validate_password(line)
    if not sys.stdin.isatty():
        if required:
            raise BadRequest("no terminal to ask for the password: use --password-stdin",
                             code="invalid_password")
        return None
    first = getpass.getpass("New password: ")
    validate_password(first)
    if getpass.getpass("Repeat it: ") != first:
        raise BadRequest("the passwords do not match; nothing changed", code="invalid_password")
    return first


def _permissions(text: str | None) -> dict[str, list[str]] | None:
    if text is None:
        return None
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise BadRequest(f"--permissions is not valid JSON: {exc}",
                         code="invalid_permissions") from None
    return value  # validated by UserDirectory.add


def _format_permissions(permissions: dict[str, list[str]]) -> str:
    return " ".join(f"{module}:{','.join(actions) or 'none'}"
                    for module, actions in sorted(permissions.items())) or "none"


async def _add(core: AuthCore, settings: AuthSettings, args: argparse.Namespace) -> int:
    permissions = _permissions(args.permissions)
    password = _read_password(args, required=False)
    info, generated = await core.users.add(args.name, role=args.role, password=password,
                                           permissions=permissions,
                                           change_required=True if args.one_time else None)
    print(f"added user {info.username!r} (role {info.role}: "
          f"{_format_permissions(info.permissions)})")
    if generated:
        print(f"password: {generated}")
    if info.password_change_required:
        print("it must be changed at the first login")
    return 0


async def _passwd(core: AuthCore, settings: AuthSettings, args: argparse.Namespace) -> int:
    await core.users.require(args.name)
    password = _read_password(args, required=True)
    _, revoked = await core.users.set_password(args.name, password,
                                               change_required=args.one_time)
    print(f"password of {args.name!r} changed" + (
        " (one-time: to be changed at the next login)" if args.one_time else ""))
    await _report_revocation(settings, args.name, revoked)
    return 0


async def _remove(core: AuthCore, settings: AuthSettings, args: argparse.Namespace) -> int:
    revoked = await core.users.remove(args.name)
    print(f"removed user {args.name!r}")
    await _report_revocation(settings, args.name, revoked)
    return 0


async def _list(core: AuthCore, settings: AuthSettings, args: argparse.Namespace) -> int:
    docs = await core.store.find(COLLECTION, sort=[("_id", 1)])
    rows = [{"username": d["_id"], "role": d["role"],
             "permissions": effective_permissions(d["role"], d.get("permissions")),
             "custom": d.get("permissions") is not None, "created_at": d.get("created_at")}
            for d in docs]
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    if not rows:
        print("no users (the auth service creates 'admin' on its first start)")
        return 0
    width = max(8, *(len(r["username"]) for r in rows))
    print(f"{'USERNAME':<{width}}  {'ROLE':<8}  {'CREATED':<20}  PERMISSIONS")
    for r in rows:
        perms = _format_permissions(r["permissions"]) + (" (custom)" if r["custom"] else "")
        print(f"{r['username']:<{width}}  {r['role']:<8}  {(r['created_at'] or '')[:19]:<20}  "
              f"{perms}")
    return 0


async def _import_allsky(core: AuthCore, settings: AuthSettings,
                         args: argparse.Namespace) -> int:
    username, password_hash = read_allsky_login(args.env_json)
    if await core.users.get(username) is None:
        await core.users.add(username, role=args.role, password_hash=password_hash,
                             source="allsky")
        print(f"imported Allsky user {username!r} (role {args.role}); "
              "log in with the Allsky WebUI password")
        return 0
    if not args.replace:
        print(f"zenith user: user {username!r} already exists; use --replace to give it the "
              "Allsky password", file=sys.stderr)
        return 1
    _, revoked = await core.users.set_password(username, password_hash=password_hash)
    print(f"replaced the password of {username!r} with the Allsky WebUI password")
    await _report_revocation(settings, username, revoked)
    return 0


async def _report_revocation(settings: AuthSettings, username: str, revoked: Revoked) -> None:
    print(f"revoked {revoked.refresh_tokens} refresh token(s) (open sessions) of {username!r}")
    error = await _publish_revocation(settings, username, revoked.not_before)
    if error is None:
        print("published the revocation on NATS: running services refuse the user's "
              "older access tokens now")
    else:
        minutes = settings.auth_access_ttl_s // 60
        print(f"NATS is not reachable ({error}): the auth service publishes the revocation "
              f"when it runs; until then older access tokens stay valid (at most "
              f"{minutes} min)")


async def _publish_revocation(settings: AuthSettings, username: str,
                              not_before: float) -> str | None:
    """None when published; else why not."""

    errors: list[Exception] = []

    async def remember(exc: Exception) -> None:
        errors.append(exc)

    servers = [u.strip() for u in settings.nats_url.split(",") if u.strip()]
    credential = settings.bus_credential(person=True)
    login = {"user": credential[0], "password": credential[1]} if credential else {}
    try:
        nc = await asyncio.wait_for(nats.connect(
            servers=servers, name="zenith-user-cli", allow_reconnect=False, **login,
            max_reconnect_attempts=1, reconnect_time_wait=0.1,
            connect_timeout=NATS_TIMEOUT_S, error_cb=remember), NATS_TIMEOUT_S * 2)
    except Exception as exc:
        cause = errors[0] if errors else exc
        return f"{redact_url(settings.nats_url)}: {cause or type(cause).__name__}"
    try:
        kv = await asyncio.wait_for(bucket(nc, AUTH_BUCKET), NATS_TIMEOUT_S)
        await asyncio.wait_for(publish(kv, username, not_before), NATS_TIMEOUT_S)
    except Exception as exc:
        return f"{redact_url(settings.nats_url)}: {exc or type(exc).__name__}"
    finally:
        await nc.close()
    return None
