"""Translate checked filters to MongoDB queries that every test server runs alike.

The queries mean on a real MongoDB exactly what the portable filter says;
they are spelled so ``nx-27017`` (SQLite-backed) agrees too, which differs
from MongoDB in three places this module works around:

- it compares across types (``1`` equals ``True``, ``"b" > 0``): every
  equality and comparison carries a ``$type`` guard, redundant on MongoDB;
- ``$ne`` there also drops values equal across types: ``$ne`` becomes a
  ``$nor`` of the guarded equality (same meaning on MongoDB);
- ``$exists: true`` there skips fields holding null: it becomes
  ``$or: [{f: {$exists: true}}, {$and: [{f: {$exists: true}}, {f: {$type: "null"}}]}]``,
  which on MongoDB reduces to ``$exists: true``.

and two in updates (see :func:`update`): ``$set`` of a bare boolean
stores 1 or 0 unless the update also holds a ``$pull`` on a missing field
(a no-op on MongoDB), and in that form ``$unset`` of a dotted path is
ignored; ``findAndModify`` reports a unique-index violation as "no match"
(handled in :mod:`zenith.storage.mongo_metadata`).
"""

from __future__ import annotations

from typing import Any

from zenith.storage.validate import COMPARISONS


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    return "string"


def _equals(path: str, value: Any) -> dict[str, Any]:
    if value is None:
        return {path: {"$eq": None}}  # null or missing, as in MongoDB
    return {path: {"$eq": value, "$type": _kind(value)}}


def _compare(path: str, op: str, value: Any) -> dict[str, Any]:
    if value is None:
        return _equals(path, None) if op in ("$gte", "$lte") else {path: {"$in": []}}
    return {path: {op: value, "$type": _kind(value)}}


def _exists(path: str) -> dict[str, Any]:
    present = {path: {"$exists": True}}
    return {"$or": [present, {"$and": [present, {path: {"$type": "null"}}]}]}


def _clauses(path: str, cond: Any) -> list[dict[str, Any]]:
    if not isinstance(cond, dict):
        return [_equals(path, cond)]
    out: list[dict[str, Any]] = []
    for op, value in cond.items():
        if op in COMPARISONS:
            out.append(_compare(path, op, value))
        elif op == "$ne":
            out.append({"$nor": [_equals(path, value)]})
        elif op == "$in":
            options = [_equals(path, v) for v in value]
            out.append({"$or": options} if options else {path: {"$in": []}})
        elif op == "$exists":
            out.append(_exists(path) if value else {"$nor": [_exists(path)]})
    return out


def translate(spec: dict[str, Any]) -> dict[str, Any]:
    """The MongoDB query for a filter checked by :func:`validate.filter_spec`."""
    clauses = [c for path, cond in spec.items() for c in _clauses(path, cond)]
    if not clauses:
        return {}
    if len(clauses) == 1:
        return clauses[0]
    return {"$and": clauses}


def sort(spec: list[tuple[str, int]]) -> list[tuple[str, int]]:
    """A checked sort with ``_id`` as the last tie-breaker, as the SQLite backend does."""
    if any(path == "_id" for path, _ in spec):
        return list(spec)
    return [*spec, ("_id", 1)]


NOOP_ARRAY = "_zenith_noop"  # never stored (validate refuses the key)


def update(sets: dict[str, Any], unsets: list[str]) -> dict[str, Any]:
    """The update document for a checked ``set``/``unset``.

    When ``set`` holds a bare boolean, a ``$pull`` from a field that never
    exists is added: a no-op on MongoDB that makes nx-27017 keep the value
    a boolean. Not when a dotted path is unset too, which nx-27017 would
    then skip (on it, that combination stores booleans as 1/0)."""
    out: dict[str, Any] = {}
    if sets:
        out["$set"] = sets
    if unsets:
        out["$unset"] = {path: "" for path in unsets}
    if any(isinstance(v, bool) for v in sets.values()) and not any("." in p for p in unsets):
        out["$pull"] = {NOOP_ARRAY: None}
    return out
