"""Checks shared by every MetadataStore backend.

Each function raises :class:`~zenith.errors.BadRequest` with a clear message
for input outside the portable subset described in
:mod:`zenith.storage.metadata`, and returns the checked value in a normal
form, so backends only ever see collection names, field paths, documents,
filters, sorts and updates they can handle alike.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

from zenith.errors import BadRequest

COLLECTION_RE = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
FIELD_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z0-9_]+)*$")
COMPARISONS = ("$gt", "$gte", "$lt", "$lte")
OPERATORS = (*COMPARISONS, "$ne", "$in", "$exists")
MAX_DEPTH = 32

Scalar = str | int | float | bool | None


def collection_name(name: object) -> str:
    if not isinstance(name, str) or not COLLECTION_RE.fullmatch(name):
        raise BadRequest(f"invalid collection name {name!r}: use 1-63 characters a-z, 0-9 "
                         "or '_', starting with a letter", code="invalid_collection")
    if name.startswith(("sqlite_", "system")):
        raise BadRequest(f"collection name {name!r} is reserved", code="invalid_collection")
    return name


def field_path(path: object) -> str:
    if not isinstance(path, str) or not FIELD_RE.fullmatch(path):
        raise BadRequest(f"invalid field path {path!r}: use names of letters, digits and '_' "
                         "joined by '.'", code="invalid_field")
    return path


def doc_id(value: object) -> str:
    if not isinstance(value, str) or not value or len(value) > 512 or "\x00" in value:
        raise BadRequest(f"invalid _id {value!r}: a document id is a non-empty string",
                         code="invalid_id")
    return value


def json_value(value: Any, where: str, depth: int = 0) -> Any:
    """``value`` as plain JSON (lists for tuples); BadRequest for anything else."""
    if depth > MAX_DEPTH:
        raise BadRequest(f"{where}: nested too deeply", code="invalid_document")
    if value is None or isinstance(value, (str, bool)):
        return value
    if isinstance(value, int):
        if not -(2**63) <= value < 2**63:
            raise BadRequest(f"{where}: {value} does not fit in 64 bits", code="invalid_document")
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise BadRequest(f"{where}: {value} is not a finite number", code="invalid_document")
        return value
    if isinstance(value, (list, tuple)):
        return [json_value(v, f"{where}[{i}]", depth + 1) for i, v in enumerate(value)]
    if isinstance(value, Mapping):
        out: dict[str, Any] = {}
        for key, item in value.items():
            if not isinstance(key, str) or not key or key.startswith(("$", "_zenith_")) \
                    or "." in key or "\x00" in key:
                raise BadRequest(f"{where}: invalid key {key!r} (keys are non-empty strings "
                                 "without '.', a leading '$' or '_zenith_')",
                                 code="invalid_document")
            out[key] = json_value(item, f"{where}.{key}", depth + 1)
        return out
    raise BadRequest(f"{where}: {type(value).__name__} is not a JSON value (store times as "
                     "ISO strings)", code="invalid_document")


def document(doc: object) -> dict[str, Any]:
    """A whole document: a JSON object with a string ``_id``."""
    if not isinstance(doc, Mapping):
        raise BadRequest(f"a document is a JSON object, not {type(doc).__name__}",
                         code="invalid_document")
    if "_id" not in doc:
        raise BadRequest("a document needs a string _id", code="invalid_id")
    doc_id(doc["_id"])
    checked: dict[str, Any] = json_value(doc, "document")
    return checked


def filter_spec(spec: object) -> dict[str, Any]:
    """A filter in normal form: ``{path: scalar}`` or ``{path: {op: value, ...}}``."""
    if spec is None:
        return {}
    if not isinstance(spec, Mapping):
        raise BadRequest(f"a filter is a JSON object, not {type(spec).__name__}",
                         code="invalid_filter")
    out: dict[str, Any] = {}
    for path, cond in spec.items():
        if isinstance(path, str) and path.startswith("$"):
            raise BadRequest(f"unsupported filter operator {path!r}", code="invalid_filter")
        field_path(path)
        if isinstance(cond, Mapping) and any(isinstance(k, str) and k.startswith("$")
                                             for k in cond):
            out[path] = _operators(path, cond)
        else:
            out[path] = _plain(cond, f"filter {path}")
    return out


def _operators(path: str, cond: Mapping[Any, Any]) -> dict[str, Any]:
    ops: dict[str, Any] = {}
    for op, value in cond.items():
        if op not in OPERATORS:
            raise BadRequest(f"unsupported filter operator {op!r} on {path!r} "
                             f"(supported: {', '.join(OPERATORS)})", code="invalid_filter")
        where = f"filter {path}.{op}"
        if op == "$exists":
            if not isinstance(value, bool):
                raise BadRequest(f"{where}: expects true or false", code="invalid_filter")
            ops[op] = value
        elif op == "$in":
            if not isinstance(value, (list, tuple)):
                raise BadRequest(f"{where}: expects a list", code="invalid_filter")
            ops[op] = [_plain(v, where) for v in value]
        elif op == "$ne":
            ops[op] = _plain(value, where)
        else:
            ops[op] = _comparable(value, where)
    return ops


def _plain(value: Any, where: str) -> Scalar:
    """A value to test equality with: a string, number, boolean or null.

    Whole objects and arrays are refused: not every MongoDB-compatible server
    matches them, so filter on dotted fields instead."""
    if value is not None and not isinstance(value, (str, int, float, bool)):
        raise BadRequest(f"{where}: equality takes a string, number, boolean or null "
                         "(filter on dotted fields to match inside objects)",
                         code="invalid_filter")
    checked: Scalar = json_value(value, where)
    return checked


def _comparable(value: Any, where: str) -> Scalar:
    return _plain(value, where)


def sort_spec(sort: object) -> list[tuple[str, int]]:
    if sort is None:
        return []
    if isinstance(sort, (str, bytes, Mapping)) or not isinstance(sort, Sequence):
        raise BadRequest("sort is a list of (field, 1 | -1) pairs", code="invalid_sort")
    out: list[tuple[str, int]] = []
    for item in sort:
        if not isinstance(item, (list, tuple)) or len(item) != 2 \
                or item[1] not in (1, -1) or isinstance(item[1], bool):
            raise BadRequest(f"invalid sort item {item!r}: use (field, 1 | -1)",
                             code="invalid_sort")
        out.append((field_path(item[0]), int(item[1])))
    return out


def paging(limit: object, skip: object) -> tuple[int, int]:
    for name, value in (("limit", limit), ("skip", skip)):
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise BadRequest(f"{name} must be a non-negative integer, not {value!r}",
                             code="invalid_paging")
    return int(limit), int(skip)  # type: ignore[call-overload]


def update_spec(set: object, unset: object) -> tuple[dict[str, Any], list[str]]:
    """``set`` and ``unset`` checked: field paths, JSON values, no ``_id``, no overlap."""
    if set is None:
        set = {}
    if not isinstance(set, Mapping):
        raise BadRequest("set is a JSON object of field paths to values", code="invalid_update")
    if isinstance(unset, (str, bytes)) or not isinstance(unset, Sequence):
        raise BadRequest("unset is a list of field paths", code="invalid_update")
    sets = {field_path(k): json_value(v, f"set {k}") for k, v in set.items()}
    unsets = [field_path(k) for k in unset]
    paths = [*sets, *unsets]
    for path in paths:
        if path == "_id" or path.startswith("_id."):
            raise BadRequest("an update cannot change _id", code="invalid_update")
        if path.startswith("_zenith_"):
            raise BadRequest(f"field {path!r} is reserved", code="invalid_update")
    ordered = sorted(paths)
    for a, b in itertools.pairwise(ordered):
        if a == b or b.startswith(a + "."):
            raise BadRequest(f"update paths {a!r} and {b!r} conflict", code="invalid_update")
    return sets, unsets


def index_fields(fields: object) -> list[str]:
    if isinstance(fields, (str, bytes)) or not isinstance(fields, Sequence) or not fields:
        raise BadRequest("an index names a non-empty list of fields", code="invalid_index")
    out = [field_path(f) for f in fields]
    if len(set(out)) != len(out):
        raise BadRequest(f"index fields repeat: {out}", code="invalid_index")
    return out
