"""Fixtures of the normalize tests.

``feeds.normalize.boilerplate`` is written separately; where it is not in the
tree yet, a pass-through stands in so the pipeline can be tested on bodies that
hold no boilerplate.
"""

from __future__ import annotations

import sys
import types
from collections.abc import Iterator
from pathlib import Path

import pytest

from feeds.models import Block

BOILERPLATE = Path(__file__).resolve().parents[2] / "feeds" / "normalize" / "boilerplate.py"
HAS_BOILERPLATE = BOILERPLATE.is_file()


def _pass_through(blocks: tuple[Block, ...]) -> tuple[Block, ...]:
    return blocks


@pytest.fixture(scope="module", autouse=True)
def boilerplate_module() -> Iterator[None]:
    if HAS_BOILERPLATE:
        yield
        return
    name = "feeds.normalize.boilerplate"
    stub = types.ModuleType(name)
    stub.strip_boilerplate = _pass_through  # type: ignore[attr-defined]
    sys.modules[name] = stub
    try:
        yield
    finally:
        if sys.modules.get(name) is stub:
            del sys.modules[name]
