"""Translate checked filters and updates to MongoDB's own query language.

The translation is true to MongoDB: its type bracketing already keeps a
comparison from matching values of another type (``1`` never equals
``true``, ``"b"`` is never greater than ``0``), ``$ne`` matches missing
fields and other types, and ``$exists: true`` matches fields holding null,
all as the portable filter says. Test servers that differ from MongoDB
(``nx-27017``) are not worked around here: the contract suite marks where
they disagree.
"""

from __future__ import annotations

from typing import Any

from zenith.storage.validate import COMPARISONS


def _compare(path: str, op: str, value: Any) -> dict[str, Any]:
    if value is None:  # null sorts below everything: only >= null and <= null match it
        return {path: None} if op in ("$gte", "$lte") else {path: {"$in": []}}
    return {path: {op: value}}


def _clauses(path: str, cond: Any) -> list[dict[str, Any]]:
    if not isinstance(cond, dict):
        return [{path: cond}]  # null matches null or missing, as the filter says
    out: list[dict[str, Any]] = []
    for op, value in cond.items():
        if op in COMPARISONS:
            out.append(_compare(path, op, value))
        elif op in ("$ne", "$in", "$exists"):
            out.append({path: {op: value}})
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


def update(sets: dict[str, Any], unsets: list[str]) -> dict[str, Any]:
    """The update document for a checked ``set``/``unset``."""
    out: dict[str, Any] = {}
    if sets:
        out["$set"] = sets
    if unsets:
        out["$unset"] = {path: "" for path in unsets}
    return out
