"""The API under 50 concurrent clients (issue 8): a real server on 127.0.0.1, a real
SQLite store, 50 clients each sending a mix of history, detail, export, zone, traffic,
feed and status requests at the same time. Every answer must be the one a lone client
gets: no error, no 500, no answer mixed up between clients. How fast is measured by
``bench/bench_api.py``, not here."""

from __future__ import annotations

import asyncio
import random

import httpx
import orjson

from monitor.web.app import create_app
from tests.web.live_server import serve_in_thread

CLIENTS = 50
REQUESTS_EACH = 12


def _paths(ids: dict[str, int]) -> list[str]:
    incident = ids["inc-svzm-lav"]
    return [
        "/api/incidents?limit=100",
        "/api/incidents?bbox=-73.5,0.5,-59.5,15.9&since=2025-11-01T00:00Z&until=2026-01-01T00:00Z",
        "/api/incidents?zone=SVZM&kind=incursion",
        "/api/incidents?status=open&geometry=position",
        f"/api/incidents/{incident}",
        "/api/incidents.csv?zone=SVZM",
        "/api/zones",
        "/api/zones/SVZM/history",
        "/api/stats/traffic?zone=SVZM",
        "/api/feeds",
        "/healthz",
        "/api/incidents?bbox=1,2",  # a client's mistake: the same 400 for everyone
    ]


def _stable(path: str, body: bytes) -> object:
    """What must not differ between clients: the feed table tells the wall clock and the
    ages it reads off it (``now``, ``*_age_s``), which move between two requests."""
    if not path.startswith("/api/feeds"):
        return body
    doc = orjson.loads(body)
    doc.pop("now")
    for feed in doc["feeds"]:
        for key in [k for k in feed if k.endswith("_age_s")]:
            del feed[key]
    return doc


async def _client(base: str, paths: list[str], seed: int) -> list[tuple[str, int, object]]:
    rnd = random.Random(seed)
    order = [rnd.choice(paths) for _ in range(REQUESTS_EACH)]
    async with httpx.AsyncClient(base_url=base, timeout=60) as http:
        out = []
        for path in order:
            r = await http.get(path)
            out.append((path, r.status_code, _stable(path, r.content)))
        return out


async def _all(base: str, paths: list[str]) -> list[list[tuple[str, int, object]]]:
    return await asyncio.gather(*(_client(base, paths, seed) for seed in range(CLIENTS)))


def test_fifty_concurrent_clients_each_get_the_lone_clients_answer(services, ids) -> None:  # type: ignore[no-untyped-def]
    paths = _paths(ids)
    with serve_in_thread(create_app(services)) as base:
        alone = {}
        with httpx.Client(base_url=base, timeout=30) as http:
            for path in paths:
                r = http.get(path)
                alone[path] = (r.status_code, _stable(path, r.content))
        results = asyncio.run(_all(base, paths))
    statuses = {path: status for path, (status, _) in alone.items()}
    assert statuses["/api/incidents?bbox=1,2"] == 400
    assert all(s == 200 for p, s in statuses.items() if p != "/api/incidents?bbox=1,2"), statuses
    assert all(len(orjson.dumps(body) if isinstance(body, dict) else body) > 20 for _, body in alone.values())
    answers = [a for client in results for a in client]
    assert len(answers) == CLIENTS * REQUESTS_EACH
    assert {path for path, _, _ in answers} == set(paths)  # every kind of request was made
    wrong = [(path, status) for path, status, body in answers if (status, body) != alone[path]]
    assert not wrong, f"{len(wrong)} answer(s) differ from a lone client's, e.g. {wrong[:5]}"
