"""Skip a test for a missing tool, or fail when ZENITH_TEST_REQUIRE_ALL is set (CI)."""

from __future__ import annotations

import os

import pytest


def missing(what: str, how: str) -> None:
    message = f"{what} is not available: {how}"
    if os.environ.get("ZENITH_TEST_REQUIRE_ALL"):
        pytest.fail(message + " (ZENITH_TEST_REQUIRE_ALL is set)")
    pytest.skip(message)
