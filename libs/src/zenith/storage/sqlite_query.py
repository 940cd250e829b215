"""Compile checked filters and sorts to SQLite SQL over JSON documents.

A collection is a table ``(_id TEXT PRIMARY KEY, doc TEXT)``; a field is
read with ``json_extract(doc, '$."a"."b"')``, the same expression the
indexes are built on, so a filter on an indexed field uses the index. Field
paths were checked by :mod:`zenith.storage.validate` (letters, digits, '_'),
so they are safe inside the quoted JSON path; every value is a parameter.

MongoDB semantics for scalar values: a comparison only matches values of
the same kind (numbers with numbers, strings with strings by code point,
booleans with booleans), ``{"f": None}`` matches null or missing, ``$ne``
matches missing fields. An array field never equals a scalar (MongoDB
would match its elements), so keep filtered fields scalar.
"""

from __future__ import annotations

import json
from typing import Any

from zenith.storage.validate import COMPARISONS

_SQL_OPS = {"$gt": ">", "$gte": ">=", "$lt": "<", "$lte": "<="}
_NUMBER = "('integer','real')"


def json_path(path: str) -> str:
    return "$" + "".join(f'."{part}"' for part in path.split("."))


def value_expr(path: str) -> str:
    if path == "_id":
        return "_id"
    return f"json_extract(doc, '{json_path(path)}')"


def type_expr(path: str) -> str:
    if path == "_id":
        return "'text'"
    return f"json_type(doc, '{json_path(path)}')"


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":"))


class _Compiler:
    def __init__(self) -> None:
        self.params: list[Any] = []

    def param(self, value: Any) -> str:
        self.params.append(value)
        return "?"

    def equals(self, path: str, value: Any) -> str:
        """When the field equals ``value`` (NULL counts as false; the bare
        ``json_extract(...) = ?`` term lets SQLite use an index)."""
        val, typ = value_expr(path), type_expr(path)
        if value is None:
            return f"IFNULL({typ}, 'null') = 'null'"
        if isinstance(value, bool):
            return f"({val} = {int(value)} AND {typ} = '{'true' if value else 'false'}')"
        if isinstance(value, (int, float)):
            return f"({val} = {self.param(value)} AND {typ} IN {_NUMBER})"
        return f"({val} = {self.param(value)} AND {typ} = 'text')"

    def compare(self, path: str, op: str, value: Any) -> str:
        val, typ = value_expr(path), type_expr(path)
        if value is None:
            return self.equals(path, None) if op in ("$gte", "$lte") else "0"
        if isinstance(value, bool):
            kinds = "('true','false')"
            value = int(value)
        elif isinstance(value, (int, float)):
            kinds = _NUMBER
        else:
            kinds = "('text')"
        return f"({val} {_SQL_OPS[op]} {self.param(value)} AND {typ} IN {kinds})"

    def condition(self, path: str, cond: Any) -> list[str]:
        if not isinstance(cond, dict) or not any(k.startswith("$") for k in cond):
            return [self.equals(path, cond)]
        terms: list[str] = []
        for op, value in cond.items():
            if op in COMPARISONS:
                terms.append(self.compare(path, op, value))
            elif op == "$ne":
                terms.append(f"NOT IFNULL({self.equals(path, value)}, 0)")
            elif op == "$in":
                options = [self.equals(path, v) for v in value]
                terms.append("(" + " OR ".join(options) + ")" if options else "0")
            elif op == "$exists":
                terms.append(f"({type_expr(path)} IS {'NOT ' if value else ''}NULL)")
        return terms


def where(spec: dict[str, Any]) -> tuple[str, list[Any]]:
    """``(sql, params)`` for a filter checked by :func:`validate.filter_spec`."""
    compiler = _Compiler()
    terms: list[str] = []
    for path, cond in spec.items():
        terms.extend(compiler.condition(path, cond))
    return (" AND ".join(terms) if terms else "1"), compiler.params


def order_by(sort: list[tuple[str, int]]) -> str:
    """ORDER BY for a checked sort; ties broken by ``_id`` so paging is stable.

    SQLite orders NULL < numbers < text, as MongoDB orders null/missing <
    numbers < strings; booleans sort as 0/1 among numbers."""
    parts = [f"{value_expr(p)} {'ASC' if d == 1 else 'DESC'}" for p, d in sort]
    if not any(p == "_id" for p, _ in sort):
        parts.append("_id ASC")
    return ", ".join(parts)
