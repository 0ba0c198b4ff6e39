"""The airspace status board and traffic by operator over the API and the /status page, on
the labelled demo scenario (2026-01-03 10:00-13:00Z, while the FAA prohibited US operators
in SVZM, TJZS, TNCF and TTZP) replayed into SQLite with ``monitor replay``."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from monitor.cli.app import app as cli
from monitor.pipeline import FeedHealthBook, LiveView
from monitor.service.runtime import merge_zones
from monitor.store import Store
from monitor.web.app import create_app
from monitor.web.schemas import OperatorTrafficStats, StatusBoard
from monitor.web.services import WebServices
from monitor.zones.bundled import load_bundled_zones

DEMO = Path(__file__).resolve().parents[2] / "monitor/sim/data/demo_scenario.jsonl.gz"
DURING_BAN = "2026-01-03T12:00:00Z"
BAN_FIRS = {"SVZM", "TJZS", "TNCF", "TTZP"}


def replay_demo(tmp: Path) -> str:
    url = f"sqlite:///{tmp / 'demo.sqlite'}"
    result = CliRunner().invoke(cli, ["--database-url", url, "replay", str(DEMO)])
    assert result.exit_code == 0, result.output
    return url


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    url = replay_demo(tmp_path_factory.mktemp("status"))
    store = Store.open(url)
    zones = merge_zones(load_bundled_zones(), store)
    services = WebServices(store=store, live=LiveView(), health=FeedHealthBook(), zones=lambda: zones)
    with TestClient(create_app(services)) as c:
        yield c
    store.close()


def board(client: TestClient, at: str) -> dict[str, Any]:
    r = client.get("/api/status", params={"at": at})
    assert r.status_code == 200, r.text
    body = r.json()
    StatusBoard.model_validate(body)  # the documented response model
    return body


def test_during_the_ban_four_prohibitions_bind_us_operators_with_their_sources(client: TestClient) -> None:
    b = board(client, DURING_BAN)
    assert b["binding_in_force"] is True
    assert b["headline"].startswith("4 binding rule(s) in force: FAA prohibited in SVZM, TJZS, TNCF, TTZP")
    binding = {f["fir"]: [r for r in f["rules"] if r["binding"]] for f in b["firs"]}
    assert {fir for fir, rules in binding.items() if rules} == BAN_FIRS
    for fir in BAN_FIRS:
        (rule,) = binding[fir]
        assert (rule["authority"], rule["kind"], rule["binds"]) == ("FAA", "prohibited", "operators:US")
        assert rule["binds_text"].startswith("US operators and US-registered civil aircraft")
        assert (rule["since"], rule["until"]) == ("2026-01-03T06:00:00Z", "2026-01-04T05:00:00Z")
        assert rule["sources"] and all(u.startswith(("http://", "https://")) for u in rule["sources"])
    svzm = next(f for f in b["firs"] if f["fir"] == "SVZM")
    advisories = [r for r in svzm["rules"] if not r["binding"]]
    assert advisories and all(r["binds"] == "nobody" for r in advisories)
    assert any(c["change"] == "took effect" and c["kind"] == "prohibited" for c in svzm["changes_24h"])


def test_flights_inside_and_reroutes_come_from_the_store(client: TestClient) -> None:
    b = board(client, DURING_BAN)
    assert b["flights_source"] == "stored positions of the last 10 minutes"
    tjzs = next(f for f in b["firs"] if f["fir"] == "TJZS")
    assert tjzs["flights_now"]["total"] == sum(r["flights"] for r in tjzs["flights_now"]["by_registry"]) > 0
    assert any(r["key"] == "US" for r in tjzs["flights_now"]["by_registry"])
    assert b["reroutes_24h"], "the demo's reroutes around SVZM"
    for x in b["reroutes_24h"]:
        assert x["extra_distance_km"] > 0 and x["extra_time_min"] > 0 and x["avoided_zones"]
    assert b["open_incidents"]["reroute"] >= 1


def test_today_nothing_binding_is_in_force_and_the_last_rule_is_named(client: TestClient) -> None:
    b = board(client, "2026-12-04T12:00:00Z")
    assert b["binding_in_force"] is False
    assert b["headline"].startswith("Nothing binding in force.")
    assert "ended 2026-01-04T05:00:00Z" in b["headline"]
    assert all(not r["binding"] for f in b["firs"] for r in f["rules"])
    last = b["last_binding_ended"]
    assert (last["authority"], last["binds"], last["ended_at"]) == ("FAA", "operators:US", "2026-01-04T05:00:00Z")
    assert last["sources"] and last["zones"] == ["SVZM", "TJZS", "TNCF", "TTZP"]


def test_traffic_by_operator_counts_distinct_flights(client: TestClient) -> None:
    params = {"zone": "SVZM", "since": "2026-01-01T00:00Z", "until": "2026-01-05T00:00Z"}
    r = client.get("/api/stats/operators", params=params)
    assert r.status_code == 200, r.text
    stats = r.json()
    OperatorTrafficStats.model_validate(stats)
    assert [d["day"] for d in stats["days"]] == ["2026-01-03"]
    total = stats["days"][0]["flights"]
    assert total == stats["flights"] == sum(o["flights"] for o in stats["operators"]) > 5
    assert sum(x["flights"] for x in stats["registries"]) == total
    vcv = next(o for o in stats["operators"] if o["key"] == "VCV")  # Conviasa keeps flying
    assert vcv["flights"] >= 2
    assert stats["baseline"] == {
        "since": "2025-10-24T00:00:00Z", "until": "2025-11-21T00:00:00Z", "days": 28,
        "days_with_data": 0, "flights_per_day": None,
    }
    c = client.get("/api/stats/operators.csv", params=params)
    assert c.status_code == 200 and c.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(c.text)))
    assert sum(int(x["flights"]) for x in rows if x["group"] == "operator") == total


@pytest.mark.parametrize(
    ("params", "param"),
    [
        ({"zone": "XXXX"}, "zone"),
        ({"since": "yesterday"}, "since"),
        ({"since": "2026-01-05T00:00Z", "until": "2026-01-01T00:00Z"}, "since"),
        ({"baseline_since": "2025-11-21T00:00Z", "baseline_until": "2025-10-01T00:00Z"}, "baseline_since"),
    ],
)
def test_bad_parameters_answer_400_naming_them(client: TestClient, params: dict[str, str], param: str) -> None:
    r = client.get("/api/stats/operators", params=params)
    assert r.status_code == 400 and r.json()["param"] == param
    assert client.get("/api/status", params={"at": "soon"}).json()["param"] == "at"


def test_status_page_and_openapi(client: TestClient) -> None:
    page = client.get("/status", params={"at": DURING_BAN})
    assert page.status_code == 200
    assert "4 binding rule(s) in force" in page.text and 'href="/status"' in page.text
    assert "https://www.visaverge.com/" in page.text  # a source link of the prohibition
    assert "/static/status.js" in page.text
    today = client.get("/status", params={"at": "2026-12-04T12:00Z"}).text
    assert "Nothing binding in force." in today
    assert "Rules in force:" in client.get("/").text
    now = client.get("/api/status")  # no time: now (the ban ended in January 2026)
    assert now.status_code == 200 and now.json()["binding_in_force"] is False
    doc = client.get("/openapi.json").json()
    for path in ("/api/status", "/api/stats/operators", "/api/stats/operators.csv"):
        assert path in doc["paths"]
    assert doc["paths"]["/api/status"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith("StatusBoard")
