"""Fixtures shared by the whole suite.

* ``shared_dir``: ``../shared`` beside the repository (real recorded samples); tests that
  need it skip with a reason when it is absent.
* ``store``: a migrated database, SQLite always and PostgreSQL + PostGIS as well when
  ``MONITOR_TEST_POSTGRES_URL`` names a server (CI sets it); each PostGIS run gets its own
  fresh database, dropped afterwards.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = (REPO / ".." / "shared").resolve()
POSTGRES_URL = os.environ.get("MONITOR_TEST_POSTGRES_URL")


@pytest.fixture(scope="session")
def repo_dir() -> Path:
    return REPO


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    if not (SHARED / "reference").is_dir():
        pytest.skip(f"../shared is not beside the repository ({SHARED}): real samples unavailable")
    return SHARED


@pytest.fixture(scope="session")
def samples_dir(shared_dir: Path) -> Path:
    return shared_dir / "reference" / "samples"


def _postgis_database() -> Iterator[str]:
    from sqlalchemy import create_engine, text

    assert POSTGRES_URL is not None
    base = POSTGRES_URL.replace("postgresql://", "postgresql+psycopg://", 1)
    name = f"monitor_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = base.rsplit("/", 1)[0] + "/" + name
    eng = create_engine(url, isolation_level="AUTOCOMMIT")
    with eng.connect() as conn:
        conn.execute(text("CREATE EXTENSION IF NOT EXISTS postgis"))
    eng.dispose()
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = :n AND pid <> pg_backend_pid()"
                ),
                {"n": name},
            )
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


BACKENDS = ["sqlite", pytest.param("postgis", marks=pytest.mark.postgis)]


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A URL to an empty database of each backend."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'monitor.sqlite'}"
        return
    if not POSTGRES_URL:
        if os.environ.get("MONITOR_REQUIRE_POSTGIS"):
            pytest.fail("MONITOR_REQUIRE_POSTGIS is set but MONITOR_TEST_POSTGRES_URL is not")
        pytest.skip("PostGIS tests need MONITOR_TEST_POSTGRES_URL (set by .ci/run)")
    yield from _postgis_database()


@pytest.fixture
def store(database_url: str) -> Iterator[Store]:  # noqa: F821
    from monitor.store import Store

    s = Store.open(database_url)
    try:
        yield s
    finally:
        s.close()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'monitor.sqlite'}"
