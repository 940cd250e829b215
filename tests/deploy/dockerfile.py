"""Read a Dockerfile and a .dockerignore the way Docker does, for the tests.

- :func:`instructions` joins continuation lines, drops comments and parser
  directives, and splits each instruction into (keyword, arguments).
- :class:`DockerIgnore` decides whether a path is sent in the build
  context: patterns match the path or any of its parent folders, ``**``
  spans folders, ``!`` re-includes, and the last matching line wins.
"""

from __future__ import annotations

import json
import re
import shlex
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Instruction:
    keyword: str
    args: str
    line: int

    def words(self) -> list[str]:
        """JSON (exec form) or shell-like words."""
        text = self.args.strip()
        if text.startswith("["):
            return [str(w) for w in json.loads(text)]
        return shlex.split(text)

    def flags(self) -> tuple[dict[str, str], list[str]]:
        """``--name=value`` options, then the remaining words."""
        options: dict[str, str] = {}
        rest: list[str] = []
        for word in self.words():
            if word.startswith("--") and not rest:
                name, _, value = word[2:].partition("=")
                options[name] = value
            else:
                rest.append(word)
        return options, rest


def instructions(text: str) -> list[Instruction]:
    out: list[Instruction] = []
    buffer = ""
    start = 0
    for number, raw in enumerate(text.splitlines(), start=1):
        stripped = raw.strip()
        if not buffer and (not stripped or stripped.startswith("#")):
            continue
        if buffer and stripped.startswith("#"):
            continue  # comment lines inside a continued instruction
        if not buffer:
            start = number
        if stripped.endswith("\\"):
            buffer += stripped[:-1] + " "
            continue
        buffer += stripped
        keyword, _, args = buffer.partition(" ")
        out.append(Instruction(keyword.upper(), args.strip(), start))
        buffer = ""
    return out


def stages(items: list[Instruction]) -> list[list[Instruction]]:
    """Instructions grouped by build stage (the global ARGs first, as stage 0)."""
    groups: list[list[Instruction]] = [[]]
    for item in items:
        if item.keyword == "FROM":
            groups.append([])
        groups[-1].append(item)
    return groups


def arg_defaults(items: list[Instruction]) -> dict[str, str]:
    values: dict[str, str] = {}
    for item in items:
        if item.keyword == "ARG" and "=" in item.args:
            name, _, value = item.args.partition("=")
            values[name.strip()] = value.strip().strip('"')
    return values


def substitute(text: str, values: dict[str, str]) -> str:
    return re.sub(r"\$\{(\w+)\}|\$(\w+)",
                  lambda m: values.get(m.group(1) or m.group(2), m.group(0)), text)


def _pattern_regex(pattern: str) -> re.Pattern[str]:
    out = ""
    i = 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out += "(?:.*/)?"
            i += 3
        elif pattern.startswith("**", i):
            out += ".*"
            i += 2
        elif pattern[i] == "*":
            out += "[^/]*"
            i += 1
        elif pattern[i] == "?":
            out += "[^/]"
            i += 1
        else:
            out += re.escape(pattern[i])
            i += 1
    return re.compile(out + r"\Z")


class DockerIgnore:
    def __init__(self, text: str) -> None:
        self.rules: list[tuple[bool, re.Pattern[str]]] = []
        for raw in text.splitlines():
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            negate = line.startswith("!")
            pattern = line[1:].strip() if negate else line
            pattern = pattern.strip("/")
            if pattern:
                self.rules.append((negate, _pattern_regex(pattern)))

    @classmethod
    def load(cls, path: Path) -> DockerIgnore:
        return cls(path.read_text() if path.exists() else "")

    def excluded(self, relative: str) -> bool:
        parts = relative.strip("/").split("/")
        candidates = ["/".join(parts[: i + 1]) for i in range(len(parts))]
        result = False
        for negate, regex in self.rules:
            if any(regex.match(c) for c in candidates):
                result = not negate
        return result
