"""Apply a checked ``set``/``unset`` update to a document, as MongoDB does.

Used by backends that update documents in Python (SQLite). ``set`` on a
dotted path creates the missing objects on the way; setting below a value
that is not an object is refused (MongoDB's PathNotViable); ``unset`` of a
missing path does nothing.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from typing import Any

from zenith.errors import BadRequest


def apply_update(doc: Mapping[str, Any], sets: Mapping[str, Any],
                 unsets: Sequence[str]) -> dict[str, Any]:
    """A new document with the update applied (``doc`` is left alone)."""
    out = copy.deepcopy(dict(doc))
    for path, value in sets.items():
        *parents, leaf = path.split(".")
        node = out
        walked: list[str] = []
        for part in parents:
            walked.append(part)
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                raise BadRequest(f"cannot set {path!r}: {'.'.join(walked)!r} is not an object",
                                 code="invalid_update")
            node = child
        node[leaf] = copy.deepcopy(value)
    for path in unsets:
        *parents, leaf = path.split(".")
        node = out
        for part in parents:
            child = node.get(part)
            if not isinstance(child, dict):
                break
            node = child
        else:
            node.pop(leaf, None)
    return out
