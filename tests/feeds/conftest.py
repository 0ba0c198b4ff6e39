"""Shared fixtures for the feed tests: where the real samples and our fixtures are."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
FIXTURES = REPO_ROOT / "tests" / "fixtures"
AVIATION = FIXTURES / "aviation"


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """``../shared`` beside the repository (CI clones it there); skip when absent."""
    path = (REPO_ROOT / ".." / "shared").resolve()
    if not (path / "reference" / "samples").is_dir():
        pytest.skip(f"real samples not found: {path}/reference/samples is absent")
    return path


@pytest.fixture(scope="session")
def samples_dir(shared_dir: Path) -> Path:
    return shared_dir / "reference" / "samples"


@pytest.fixture(scope="session")
def aviation_fixtures() -> Path:
    return AVIATION


def _load_aviation(name: str) -> Any:
    return json.loads((AVIATION / name).read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def load_aviation() -> Callable[[str], Any]:
    """Read a JSON fixture of tests/fixtures/aviation with Python's json (accepts NaN)."""
    return _load_aviation


@pytest.fixture(scope="session")
def nov24() -> datetime:
    """2025-11-24T16:00:00Z, the ``now`` of the hand-made aviation fixtures."""
    return datetime(2025, 11, 24, 16, 0, 0, tzinfo=UTC)
