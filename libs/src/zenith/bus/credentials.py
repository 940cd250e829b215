"""Bus credentials: one NATS user per service, allowed its own subjects only.

A process without credentials cannot publish or read anything; a service
connected as itself can

- subscribe to the subjects of the endpoints it serves (``Endpoint.service``)
  and publish requests only to the endpoints it calls (:data:`CALLS`);
- publish only the events it emits (``Event.publishers`` in the contracts),
  and hear every event, live or from its stream (events are facts every
  service may know);
- read and write only its own KV buckets (``BucketSpec.owner``), and read
  those that name it among their ``readers`` (``web`` reads the revocations
  in ``zenith-auth``);
- answer requests and ping (``_INBOX.>``, ``$SRV.>``) and create or update
  the declared streams and buckets (every service ensures them at start).

The admin user (``zenith-admin``) may do everything: it is the person's,
for the NATS CLI (``nats --context var/nats/context/zenith.json ...``).

:func:`ensure_credentials` writes, once, into a directory only its owner may
read (mode 0700, files 0600): ``auth.conf`` (an ``authorization`` block for
nats-server, to ``include``), ``<service>.json`` per service and
``zenith.json`` for the admin. The JSON files are NATS CLI context files
(``user``, ``password``, ``url``), which :func:`read_credentials` reads too:
a service is given its file by ``ZENITH_NATS_CREDENTIALS``.
"""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

import zenith.contracts
from zenith.bus.credential_files import CONTEXT_FILE, Credential, credentials_dir, read_credentials
from zenith.contracts.services import service_names
from zenith.contracts.streams import BUCKETS, STREAMS

zenith.contracts.load_all()  # every declaration counts
ENDPOINTS, EVENTS = zenith.contracts.ENDPOINTS, zenith.contracts.EVENTS

ADMIN = "zenith-admin"
CONF_FILE = "auth.conf"

# Who emits each event: declared with the event (``Event.publishers``).
PUBLISHERS: dict[str, tuple[str, ...]] = {name: ev.publishers for name, ev in EVENTS.items()}

# Whose endpoints a service calls: a service name (all its endpoints) or
# one endpoint as "service.name".
CALLS: dict[str, tuple[str, ...]] = {
    "web": tuple(service_names()),
    "gpio": ("capture.snapshot",),
    "products": ("capture.frames-list", "capture.frames-nights", "capture.frames-delete",
                 "network.camera-list", "network.camera-get",  # nights by the camera's site
                 "network.highlights-referenced"),
    "sensors": ("gpio.pwm-set", "gpio.digital-set", "capture.start", "capture.stop"),
    "network": ("auth.user-list", "auth.camera-key-check", "auth.user-add", "auth.user-remove",
                "auth.camera-key-issue", "capture.frames-nights", "products.list",
                "sensors.disabled-set"),
    "capture": ("network.camera-get",),  # a hub files uploaded frames by the camera's site
}

# A KV bucket is written by its owner only, and read by the services it names
# (declared with the bucket: ``BucketSpec.owner`` and ``readers``).
READS_BUCKETS: dict[str, tuple[str, ...]] = {
    service: tuple(b.name for b in BUCKETS if service in b.readers) for service in service_names()}


def bucket_owner(bucket: str) -> str | None:
    spec = next((b for b in BUCKETS if b.name == bucket), None)
    return spec.owner if spec is not None and spec.owner in service_names() else None


def buckets_of(service: str) -> tuple[str, ...]:
    return tuple(b.name for b in BUCKETS if bucket_owner(b.name) == service)

JS = "$JS.API"


@dataclass(frozen=True)
class Permissions:
    publish: tuple[str, ...]
    subscribe: tuple[str, ...]


def user_of(service: str) -> str:
    return f"zenith-{service}"


def _wildcard(subject: str) -> str:
    """A subject template with every ``{placeholder}`` as ``*``."""
    out, depth = [], 0
    for ch in subject:
        if ch == "{":
            depth += 1
            if depth == 1:
                out.append("*")
        elif ch == "}":
            depth -= 1
        elif depth == 0:
            out.append(ch)
    return "".join(out)


def _stream_read(stream: str) -> list[str]:
    """Consume a stream: consumers, fetch, ack, flow control, direct get."""
    return [f"{JS}.CONSUMER.CREATE.{stream}", f"{JS}.CONSUMER.CREATE.{stream}.>",
            f"{JS}.CONSUMER.DURABLE.CREATE.{stream}.>", f"{JS}.CONSUMER.INFO.{stream}.>",
            f"{JS}.CONSUMER.DELETE.{stream}.>", f"{JS}.CONSUMER.MSG.NEXT.{stream}.>",
            f"{JS}.CONSUMER.NAMES.{stream}", f"{JS}.CONSUMER.LIST.{stream}",
            f"{JS}.STREAM.MSG.GET.{stream}", f"{JS}.DIRECT.GET.{stream}",
            f"{JS}.DIRECT.GET.{stream}.>", f"$JS.ACK.{stream}.>", f"$JS.FC.{stream}.>"]


def _bucket_read(bucket: str) -> list[str]:
    return _stream_read(f"KV_{bucket}")


def _bucket_write(bucket: str) -> list[str]:
    return [f"$KV.{bucket}.>", f"{JS}.STREAM.PURGE.KV_{bucket}",
            f"{JS}.STREAM.MSG.DELETE.KV_{bucket}"]


def _endpoint_subjects(ref: str) -> list[str]:
    if "." in ref:
        if ref not in ENDPOINTS:
            return []  # declared by a service not in this build
        return [_wildcard(ENDPOINTS[ref].subject)]
    return [_wildcard(e.subject) for e in ENDPOINTS.values() if e.service == ref]


def permissions_for(service: str) -> Permissions:
    """What ``service``'s NATS user may publish and subscribe to."""
    serves = [_wildcard(e.subject) for e in ENDPOINTS.values() if e.service == service]
    calls = [s for ref in CALLS.get(service, ()) if ref != service
             for s in _endpoint_subjects(ref)]
    emits = [EVENTS[name].wildcard() for name, who in PUBLISHERS.items()
             if service in who and name in EVENTS]
    hears = [event.wildcard() for event in EVENTS.values()]
    manage = [f"{JS}.STREAM.NAMES", f"{JS}.STREAM.LIST", f"{JS}.INFO"]
    for name in [s.name for s in STREAMS] + [f"KV_{b.name}" for b in BUCKETS]:
        manage += [f"{JS}.STREAM.INFO.{name}", f"{JS}.STREAM.CREATE.{name}",
                   f"{JS}.STREAM.UPDATE.{name}"]
    reads = [s for stream in STREAMS for s in _stream_read(stream.name)]
    for bucket in (*buckets_of(service), *READS_BUCKETS.get(service, ())):
        reads += _bucket_read(bucket)
    writes = [s for bucket in buckets_of(service) for s in _bucket_write(bucket)]
    publish = ["_INBOX.>", "$SRV.>", *calls, *emits, *manage, *reads, *writes]
    subscribe = ["_INBOX.>", "$SRV.>", *serves, *hears]
    return Permissions(tuple(dict.fromkeys(publish)), tuple(dict.fromkeys(subscribe)))


def _quote(value: str) -> str:
    return json.dumps(value)


def password_variable(name: str) -> str:
    """The environment variable holding a user's password in deployments."""
    return f"ZENITH_NATS_PASSWORD_{name.upper()}"


def server_config(creds: dict[str, Credential], *, from_env: bool = False) -> str:
    """An ``authorization`` block for nats-server: the admin and every service.

    ``from_env``: passwords are nats-server variable references
    (``$ZENITH_NATS_PASSWORD_WEB``), resolved from its environment, so the
    file holds no secret (``deploy/nats/auth.conf``)."""
    header = ("# Generated from the contracts: python -m zenith.bus.credentials --write\n"
              "# The passwords come from nats-server's environment." if from_env else
              "# Generated by Zenith (zenith.bus.credentials). Secret: keep it mode 0600.")
    lines = [*header.splitlines(), "# One user per service, allowed its own subjects.",
             "authorization {", "  users = ["]
    for name, cred in sorted(creds.items()):
        password = f"${password_variable(name)}" if from_env else _quote(cred.password)
        entry = f"    {{user: {_quote(cred.user)}, password: {password}"
        if name == "admin":
            lines.append(entry + "}")
            continue
        perms = permissions_for(name)
        pub = ", ".join(_quote(s) for s in perms.publish)
        sub = ", ".join(_quote(s) for s in perms.subscribe)
        lines.append(entry + ",")
        lines.append(f"     permissions: {{publish: {{allow: [{pub}]}},")
        lines.append(f"                   subscribe: {{allow: [{sub}]}}}}}}")
    lines += ["  ]", "}", ""]
    return "\n".join(lines)


def _write_secret(path: Path, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(text)
    os.chmod(path, 0o600)


def context_json(cred: Credential, url: str, description: str) -> str:
    return json.dumps({"description": description, "url": url, "user": cred.user,
                       "password": cred.password}, indent=2) + "\n"


def ensure_credentials(directory: Path, url: str,
                       services: tuple[str, ...] | None = None) -> dict[str, Credential]:
    """The credentials in ``directory``, made on the first call (0700/0600).

    Later calls reuse the passwords and rewrite ``auth.conf``, so a service
    added to the build gets its user while the others keep theirs."""
    directory.mkdir(parents=True, exist_ok=True)
    os.chmod(directory, 0o700)
    names = ("admin", *(services or service_names()))
    creds: dict[str, Credential] = {}
    for name in names:
        path = directory / (CONTEXT_FILE if name == "admin" else f"{name}.json")
        user = ADMIN if name == "admin" else user_of(name)
        if path.exists():
            creds[name] = read_credentials(path)
        else:
            creds[name] = Credential(user, secrets.token_urlsafe(24))
        what = "the Zenith admin (NATS CLI)" if name == "admin" else f"the {name} service"
        _write_secret(path, context_json(creds[name], url, f"Zenith bus: {what}"))
    _write_secret(directory / CONF_FILE, server_config(creds))
    return creds


__all__ = [
    "ADMIN",
    "CALLS",
    "CONTEXT_FILE",
    "PUBLISHERS",
    "Credential",
    "Permissions",
    "credentials_dir",
    "deployment_config",
    "ensure_credentials",
    "password_variable",
    "permissions_for",
    "read_credentials",
    "server_config",
    "user_of",
    "write_deployment",
]


def deployment_config() -> str:
    """``deploy/nats/auth.conf``: every service's user, passwords from the environment."""
    users = {name: Credential(ADMIN if name == "admin" else user_of(name), "")
             for name in ("admin", *service_names())}
    return server_config(users, from_env=True)


def random_env() -> str:
    """``ZENITH_NATS_PASSWORD_<USER>=...`` lines with new random passwords (for .env)."""
    return "".join(f"{password_variable(name)}={secrets.token_urlsafe(24)}\n"
                   for name in ("admin", *service_names()))


def write_deployment(root: Path) -> list[Path]:
    """Rewrite ``deploy/nats/auth.conf`` and its copy in ``k8s/base/nats.yaml``."""
    conf = deployment_config()
    plain = root / "deploy" / "nats" / "auth.conf"
    plain.write_text(conf)
    manifest = root / "k8s" / "base" / "nats.yaml"
    text = manifest.read_text()
    start = text.index("  auth.conf: |\n")
    end = text.index("---", start)
    block = "  auth.conf: |\n" + "".join(f"    {line}\n" if line else "\n"
                                         for line in conf.splitlines())
    manifest.write_text(text[:start] + block + text[end:])
    return [plain, manifest]


if __name__ == "__main__":
    import sys

    if "--write" in sys.argv[1:]:  # after a contract changed: python -m ... --write
        for path in write_deployment(Path.cwd()):
            print(f"wrote {path}")
    else:
        print(random_env() if "--env" in sys.argv[1:] else deployment_config(), end="")
