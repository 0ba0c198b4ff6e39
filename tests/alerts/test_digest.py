"""The daily digest: configured under ``alerts.digest`` (mistakes name the key), queued in
the outbox once per local day and channel, delivered by the dispatcher like any alert, and
scheduled at the local hour by the live service."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import httpx
import pytest

from monitor.alerts.config import load_alert_rules
from monitor.alerts.digest import digest_entries, schedule_digest, send_digest
from monitor.alerts.service import build_alerting
from monitor.errors import ConfigError
from monitor.zones.bundled import load_bundled_zones
from tests.alerts.helpers import FAST_DISPATCH, dispatch_until

DURING_BAN = datetime(2026, 1, 3, 11, 0, tzinfo=UTC)  # 07:00 in Caracas


def alerts(**digest: Any) -> dict[str, Any]:
    return {
        "channels": {"desk": {"type": "console"}},
        "rules": [{"name": "reroutes", "kinds": ["reroute"], "channels": ["desk"]}],
        "digest": {"channels": ["desk"], **digest},
        "dispatcher": FAST_DISPATCH,
    }


@pytest.mark.parametrize(
    ("digest", "message"),
    [
        ({"timezone": "Caracas"}, "alerts.digest.timezone: unknown time zone 'Caracas'"),
        ({"channels": ["slack"]}, "alerts.digest.channels: channel 'slack' is not defined"),
        ({"hour_local": 24}, "alerts.digest.hour_local: Input should be less than or equal to 23"),
        ({"hourlocal": 6}, "alerts.digest.hourlocal: Extra inputs are not permitted"),
        ({"baseline_since": "last year"}, "alerts.digest.baseline_since: not an ISO-8601 time"),
    ],
)
def test_config_mistakes_name_the_key(digest: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError) as exc:
        load_alert_rules(alerts(**digest), source="config/monitor.yaml")
    assert message in str(exc.value)
    assert str(exc.value).startswith("config/monitor.yaml")


def test_defaults() -> None:
    spec = load_alert_rules(alerts()).digest
    assert spec is not None
    assert (spec.hour_local, spec.timezone, spec.channels, spec.traffic_zone) == (6, "America/Caracas", ("desk",), "SVZM")
    assert load_alert_rules(alerts(enabled=False)).digest is None


def test_queued_once_a_day_and_delivered_like_any_alert(store) -> None:  # type: ignore[no-untyped-def]
    printed: list[str] = []
    settings = SimpleNamespace(alerts=alerts(hour_local=7), source_file="test.yaml", geodata_dir=None)
    alerting = build_alerting(settings, store, base_url="http://127.0.0.1:8000", known_zone_ids=None,
                              console_write=printed.append)
    assert alerting is not None
    zones = load_bundled_zones()
    assert send_digest(store, lambda: zones, alerting.setup, DURING_BAN, base_url="http://127.0.0.1:8000") == 1
    assert send_digest(store, lambda: zones, alerting.setup, DURING_BAN.replace(hour=12)) == 0  # same local day
    (row,) = store.alert_rows()
    assert (row.rule, row.channel, row.idempotency_key) == ("digest", "desk", "digest:2026-01-03:desk")
    payload = row.payload
    assert payload["kind"] == payload["action"] == "digest" and payload["incident"] is None
    assert payload["title"] == (
        "Airspace digest 2026-01-03 11:00Z (2026-01-03 07:00 America/Caracas): binding rules in force"
    )
    assert "- SVZM: BINDING FAA prohibited, binds US operators" in payload["text"]
    assert payload["url"] == "http://127.0.0.1:8000/status"

    async def deliver() -> bool:
        async with httpx.AsyncClient() as client:
            d = alerting.dispatcher(client)
            return await dispatch_until(d, lambda: store.alert_rows()[0].state == "delivered", timeout_s=10)

    assert asyncio.run(deliver())
    assert any("Airspace digest 2026-01-03" in line for line in printed)
    assert len(store.attempts(row.id)) == 1


def test_entries_are_one_per_channel_with_the_local_day_in_the_key() -> None:
    spec = load_alert_rules({"channels": {"a": {"type": "console"}, "b": {"type": "console"}},
                             "digest": {"channels": ["a", "b"], "timezone": "America/Caracas"}}).digest
    assert spec is not None
    board = {"at": "2026-01-04T02:00:00Z", "binding_in_force": False, "headline": "Nothing binding in force.",
             "firs": [], "traffic": {"zone": "SVZM", "days": [], "baseline": {"since": "2025-10-24T00:00:00Z",
             "until": "2025-11-21T00:00:00Z", "flights_per_day": None}, "top_operators": []},
             "reroutes_24h": [], "operator_returns": [], "open_incidents": {}}
    keys = [e.idempotency_key for e in digest_entries(board, spec)]
    assert keys == ["digest:2026-01-03:a", "digest:2026-01-03:b"]  # 22:00 the evening before, in Caracas


def test_the_live_service_schedules_it_at_the_local_hour(store) -> None:  # type: ignore[no-untyped-def]
    added: list[tuple[Any, ...]] = []
    scheduler = SimpleNamespace(add_job=lambda fn, trigger, **kw: added.append((fn, trigger, kw)))
    settings = SimpleNamespace(alerts=alerts(hour_local=6), source_file="test.yaml",
                               web=SimpleNamespace(public_url=None, host="127.0.0.1", port=8000))
    runtime = SimpleNamespace(settings=settings, store=store, zones=SimpleNamespace(versions=load_bundled_zones),
                              pipeline=SimpleNamespace(live=None))
    assert schedule_digest(scheduler, runtime, clock=lambda: DURING_BAN)
    ((fn, trigger, kw),) = added
    assert trigger == "cron" and kw["hour"] == 6 and kw["minute"] == 0 and str(kw["timezone"]) == "America/Caracas"
    fn()  # what the scheduler runs at 06:00 Caracas
    assert [r.rule for r in store.alert_rows()] == ["digest"]
    no_digest = SimpleNamespace(settings=SimpleNamespace(alerts={}), store=store)
    assert not schedule_digest(scheduler, no_digest, clock=lambda: DURING_BAN)
