"""Entry point: ``zenith run capture``."""

from __future__ import annotations

from collections.abc import Sequence

from zenith.runner import run
from zenith_capture.service import serve
from zenith_capture.settings import CaptureSettings


def main(argv: Sequence[str] | None = None) -> int:
    return run("capture", CaptureSettings, serve)


if __name__ == "__main__":
    raise SystemExit(main())
