"""Shared test helpers.

Tests that need PostgreSQL or ``../shared`` skip when it is missing on a
developer's machine, and fail under ``CI=true``, where it must be there.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
SEED = FIXTURES / "seed" / "000_3f7fc0ed3a60827e.txt"
ATOM_RNG = Path(__file__).resolve().parent / "schemas" / "atom.rng"
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def require(condition: bool, why: str) -> None:
    """Skip on a developer machine, fail in CI, when a test's prerequisite is missing."""
    if condition:
        return
    if IN_CI:
        pytest.fail(f"CI=true but {why}")
    pytest.skip(why)


def shared_dir() -> Path:
    """``../shared`` beside the checkout (or ``FEEDS_SHARED_DIR``)."""
    return Path(os.environ.get("FEEDS_SHARED_DIR", ROOT.parent / "shared"))


@pytest.fixture
def postgres_url() -> Iterator[str]:
    url = os.environ.get("FEEDS_TEST_POSTGRES_URL")
    require(bool(url), "FEEDS_TEST_POSTGRES_URL is not set (PostgreSQL store tests)")
    assert url is not None
    from sqlalchemy import create_engine, text
    from sqlalchemy.exc import OperationalError

    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            conn.execute(text("select 1"))
    except OperationalError as exc:
        require(False, f"PostgreSQL at FEEDS_TEST_POSTGRES_URL is not reachable: {exc}")
    finally:
        engine.dispose()
    yield url
