"""Entry point: ``zenith run products``."""

from __future__ import annotations

from collections.abc import Sequence

from zenith.runner import run
from zenith_products.allocator import tune_allocator
from zenith_products.service import serve
from zenith_products.settings import ProductsSettings


def main(argv: Sequence[str] | None = None) -> int:
    tune_allocator()
    return run("products", ProductsSettings, serve)


if __name__ == "__main__":
    raise SystemExit(main())
