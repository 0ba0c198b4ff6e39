"""Fixtures of the web tests: a real SQLite store holding the scenario, and the app over it."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

with warnings.catch_warnings():  # starlette's TestClient warns about its httpx backend
    warnings.filterwarnings("ignore", message=".*starlette.testclient.*")
    from fastapi.testclient import TestClient

from monitor.store import Store
from monitor.web.app import create_app
from tests.web import scenario


@pytest.fixture
def web_store(tmp_path: Path) -> Iterator[tuple[Store, dict[str, int]]]:
    store = Store.open("sqlite:///" + str(tmp_path / "t.sqlite"))
    try:
        ids = scenario.fill_store(store, scenario.load())
        yield store, ids
    finally:
        store.close()


@pytest.fixture
def services(web_store):  # type: ignore[no-untyped-def]
    store, _ = web_store
    return scenario.services(store)


@pytest.fixture
def ids(web_store) -> dict[str, int]:  # type: ignore[no-untyped-def]
    return web_store[1]


@pytest.fixture
def client(services) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    with TestClient(create_app(services), base_url="http://127.0.0.1:8000") as c:
        yield c
