"""Every answer the web tests get is checked against ``/api/openapi.json``.

:class:`ResponseChecker` is attached to every client session the web tests
open (``WebUnderTest.local()``/``remote()``): for each response to a
documented path it checks that the status is documented for that operation
and that a JSON body validates against the documented schema. What does not
fit is collected, and the web service fixture fails at its end listing it.
"""

from __future__ import annotations

import json
import re
from types import SimpleNamespace
from typing import Any

import aiohttp
from jsonschema import Draft202012Validator


def _template_regex(template: str) -> re.Pattern[str]:
    parts = re.split(r"(\{[^}]+\})", template)
    return re.compile("^" + "".join("[^/]+" if p.startswith("{") else re.escape(p)
                                    for p in parts) + "$")


class ResponseChecker:
    def __init__(self, doc: dict[str, Any]) -> None:
        self.doc = doc
        self.paths = [(_template_regex(t), t) for t in doc["paths"]]
        self.problems: list[str] = []
        self.checked = 0

    def operation(self, method: str, path: str) -> tuple[str, dict[str, Any]] | None:
        for regex, template in self.paths:
            if regex.match(path):
                op = self.doc["paths"][template].get(method.lower())
                return (template, op) if op is not None else None
        return None

    def check(self, method: str, path: str, status: int, content_type: str,
              body: bytes) -> None:
        found = self.operation(method, path)
        if found is None:
            return  # not a documented operation (static files, HEAD, unknown paths)
        template, op = found
        self.checked += 1
        where = f"{method} {path} ({template}) -> {status}"
        response = op["responses"].get(str(status))
        if response is None:
            self.problems.append(f"{where}: status not documented "
                                 f"(documented: {', '.join(op['responses'])})")
            return
        if content_type != "application/json":
            return
        schema = response.get("content", {}).get("application/json", {}).get("schema")
        if schema is None:
            self.problems.append(f"{where}: JSON body where none is documented")
            return
        try:
            data = json.loads(body)
        except ValueError:
            self.problems.append(f"{where}: the body is not JSON")
            return
        validator = Draft202012Validator({**schema, "components": self.doc["components"]})
        errors = sorted(validator.iter_errors(data), key=lambda e: list(e.path))
        if errors:
            self.problems.append(f"{where}: {errors[0].message[:300]}")

    def trace(self) -> aiohttp.TraceConfig:
        config = aiohttp.TraceConfig()

        async def on_end(session: aiohttp.ClientSession, ctx: SimpleNamespace,
                         params: aiohttp.TraceRequestEndParams) -> None:
            resp = params.response
            if params.method == "HEAD":
                return
            body = await resp.read()
            self.check(params.method, params.url.path, resp.status, resp.content_type, body)

        config.on_request_end.append(on_end)
        return config

    def report(self) -> None:
        if self.problems:
            unique = list(dict.fromkeys(self.problems))
            raise AssertionError(f"{len(unique)} answers do not fit /api/openapi.json:\n"
                                 + "\n".join(unique[:50]))
