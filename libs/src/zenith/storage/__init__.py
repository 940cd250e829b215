"""Storage interfaces and their backends.

- :class:`MetadataStore`: documents in named collections (SQLite, MongoDB).
- :class:`SeriesStore`: time series of numeric fields (SQLite, InfluxDB).
- :class:`BlobStore`: files by key (a directory, atomic writes).

Open the configured backends with :mod:`zenith.storage.factory`.
"""

from zenith.storage.blob import BlobStore
from zenith.storage.metadata import MetadataStore
from zenith.storage.series import Point, SeriesStore

__all__ = ["BlobStore", "MetadataStore", "Point", "SeriesStore"]
