"""A product written to the BlobStore, ready to be indexed and announced."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from zenith.contracts.products import KIND


@dataclass
class Artifact:
    """A product written to the BlobStore, ready to be indexed and announced."""

    kind: str
    night: str
    key: str
    thumb_key: str | None
    frames: int
    final: bool
    meta: dict[str, Any] = field(default_factory=dict)
    size: int = 0
    version: int = 0  # the night's frame count when it was written

    @property
    def content_type(self) -> str:
        return KIND[self.kind].content_type
