"""The bright-star list shipped with the package (``data/bright_stars.csv``)."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import lru_cache
from importlib.resources import files

import numpy as np


@dataclass(frozen=True)
class StarCatalogue:
    names: tuple[str, ...]
    ra_deg: np.ndarray
    dec_deg: np.ndarray
    vmag: np.ndarray
    bv: np.ndarray

    def __len__(self) -> int:
        return len(self.names)

    def index(self, name: str) -> int:
        return self.names.index(name)



@lru_cache(maxsize=1)
def bright_stars() -> StarCatalogue:
    """About 380 stars to V = 3.8 (Yale Bright Star Catalogue values)."""
    text = files("zenith_capture").joinpath("data/bright_stars.csv").read_text("utf-8")
    rows = list(csv.DictReader(line for line in text.splitlines()
                               if line and not line.startswith("#")))
    return StarCatalogue(
        names=tuple(r["name"] or r["designation"] for r in rows),
        ra_deg=np.array([float(r["ra_deg"]) for r in rows]),
        dec_deg=np.array([float(r["dec_deg"]) for r in rows]),
        vmag=np.array([float(r["vmag"]) for r in rows]),
        bv=np.array([float(r["bv"]) for r in rows]),
    )
