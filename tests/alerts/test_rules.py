"""Alert rules (pure): matching, cooldown and grouping, updates, closes, keys, zone changes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from monitor.alerts.config import load_alert_rules
from monitor.alerts.rules import AlertRule, RulesEngine, zone_change_entries
from monitor.domain import ChangeAction, IncidentKind, Severity, ZoneChange, ZoneStatus
from tests.alerts.helpers import Applier, incident
from tests.builders import at, box_zone

CASES = yaml.safe_load(
    (Path(__file__).resolve().parents[1] / "fixtures" / "alerts" / "rule_cases.yaml").read_text()
)


def rule_from(spec: dict[str, Any], **over: Any) -> AlertRule:
    raw = {"name": "r", "channels": ["console"], **spec, **over}
    return load_alert_rules({"rules": [raw]}).rules[0]


@pytest.mark.parametrize("case", CASES, ids=[c["case"] for c in CASES])
def test_rule_matching(case: dict[str, Any]) -> None:
    rule = rule_from(case["rule"])
    spec = dict(case["change"])
    kind = IncidentKind(spec.pop("kind", "incursion"))
    severity = Severity(spec.pop("severity", "high"))
    ch = incident("k", t=at(0), kind=kind, severity=severity, **spec)
    assert rule.matches(ch) is case["match"]


def test_a_flight_skirting_the_boundary_sends_a_few_grouped_alerts_not_twenty() -> None:
    """In and out of SVZM every 4 minutes for 40 minutes: 10 incursions, 20 changes."""
    engine = RulesEngine([rule_from({"kinds": ["incursion"], "on_close": True, "cooldown_s": 900})])
    feed = Applier()
    sent = []
    for i in range(10):
        sent += engine(feed.applied(incident(f"k{i}", t=at(4 * i))))
        sent += engine(feed.applied(incident(f"k{i}", ChangeAction.CLOSE, t=at(4 * i + 2))))
    opens = [e.payload for e in sent if e.payload["action"] == "open"]
    closes = [e.payload for e in sent if e.payload["action"] == "close"]
    # opens at 0, 16 and 32 min; the ones in between are held back and counted
    assert [p["times"]["event_at"] for p in opens] == [
        "2025-12-02T10:00:00Z",
        "2025-12-02T10:16:00Z",
        "2025-12-02T10:32:00Z",
    ]
    assert opens[0]["grouped"] is None
    assert opens[1]["grouped"]["count"] == 3
    assert opens[2]["grouped"]["count"] == 3
    assert "+3 more incursion alert(s) for CLX123" in opens[1]["text"]
    # only the incidents that were announced get a closing message
    assert len(closes) == 3
    assert len(sent) == 6


def test_cooldown_is_per_subject_and_kind() -> None:
    engine = RulesEngine([rule_from({"cooldown_s": 900})])
    feed = Applier()
    a = engine(feed.applied(incident("a", t=at(0), subject_id="aaaaaa")))
    b = engine(feed.applied(incident("b", t=at(1), subject_id="bbbbbb")))
    c = engine(
        feed.applied(incident("c", t=at(2), subject_id="aaaaaa", kind=IncidentKind.REROUTE, severity=Severity.LOW))
    )
    d = engine(feed.applied(incident("d", t=at(3), subject_id="aaaaaa")))
    assert (len(a), len(b), len(c), len(d)) == (1, 1, 1, 0)


def test_cooldown_zero_sends_every_incident() -> None:
    engine = RulesEngine([rule_from({"cooldown_s": 0})])
    feed = Applier()
    sent = [e for i in range(5) for e in engine(feed.applied(incident(f"k{i}", t=at(i))))]
    assert len(sent) == 5


def test_severity_change_sends_an_update_other_updates_do_not() -> None:
    engine = RulesEngine([rule_from({})])
    feed = Applier()
    opened = engine(feed.applied(incident("k", t=at(0), severity=Severity.HIGH)))
    same = engine(feed.applied(incident("k", ChangeAction.UPDATE, t=at(1), severity=Severity.HIGH)))
    up = engine(feed.applied(incident("k", ChangeAction.UPDATE, t=at(2), severity=Severity.CRITICAL)))
    closed = engine(feed.applied(incident("k", ChangeAction.CLOSE, t=at(3), severity=Severity.CRITICAL)))
    assert [e.payload["action"] for e in opened] == ["open"]
    assert same == []
    assert [e.payload["action"] for e in up] == ["update"]
    assert up[0].payload["previous_severity"] == "high"
    assert "Severity: HIGH -> CRITICAL" in up[0].payload["text"]
    assert closed == []  # on_close is off by default


def test_close_is_sent_when_the_rule_asks() -> None:
    engine = RulesEngine([rule_from({"on_close": True})])
    feed = Applier()
    engine(feed.applied(incident("k", t=at(0))))
    closed = engine(feed.applied(incident("k", ChangeAction.CLOSE, t=at(9))))
    assert [e.payload["action"] for e in closed] == ["close"]
    assert closed[0].payload["times"]["ended_at"] == "2025-12-02T10:09:00Z"
    assert closed[0].payload["times"]["started_at"] == "2025-12-02T10:00:00Z"
    assert closed[0].payload["incident"]["properties"]["status"] == "closed"


def test_an_incident_escalating_into_range_is_announced_once() -> None:
    engine = RulesEngine([rule_from({"min_severity": "critical", "on_close": True})])
    feed = Applier()
    low = engine(feed.applied(incident("k", t=at(0), severity=Severity.HIGH)))
    up = engine(feed.applied(incident("k", ChangeAction.UPDATE, t=at(1), severity=Severity.CRITICAL)))
    again = engine(feed.applied(incident("k", ChangeAction.UPDATE, t=at(2), severity=Severity.CRITICAL)))
    assert low == []
    assert [e.payload["action"] for e in up] == ["open"]
    assert up[0].payload["previous_severity"] == "high"
    assert "Escalated: HIGH -> CRITICAL" in up[0].payload["text"]
    assert again == []


def test_idempotency_key_is_rule_incident_change_and_channel() -> None:
    rules = load_alert_rules(
        {
            "channels": {"a": {"type": "console"}, "b": {"type": "console"}},
            "rules": [{"name": "one", "channels": ["a", "b"]}, {"name": "two", "channels": ["a"]}],
        }
    ).rules
    engine = RulesEngine(rules)
    feed = Applier()
    first = engine(feed.applied(incident("k", t=at(0), severity=Severity.HIGH)))
    second = engine(feed.applied(incident("k", ChangeAction.UPDATE, t=at(1), severity=Severity.CRITICAL)))
    keys = [e.idempotency_key for e in first + second]
    assert keys == [
        "one:incident-1:1:a",
        "one:incident-1:1:b",
        "two:incident-1:1:a",
        "one:incident-1:2:a",
        "one:incident-1:2:b",
        "two:incident-1:2:a",
    ]
    assert all(e.payload["idempotency_key"] == e.idempotency_key for e in first + second)


def test_journal_rollback_forgets_a_decision_commit_keeps_it() -> None:
    engine = RulesEngine([rule_from({"cooldown_s": 900})])
    engine.journal(True)
    feed = Applier()
    first = feed.applied(incident("a", t=at(0)))
    assert len(engine(first)) == 1
    engine.rollback()  # the transaction carrying that alert failed
    assert len(engine(first)) == 1  # the retried batch alerts again, not held back
    engine.commit()
    other = feed.applied(incident("b", t=at(1)))
    assert engine(other) == []  # now the cooldown holds


def test_seed_restores_what_was_sent() -> None:
    rule = rule_from({"cooldown_s": 900})
    before = RulesEngine([rule])
    feed = Applier()
    rows = [
        {"rule": e.rule, "incident_id": 1, "payload": e.payload}
        for e in before(feed.applied(incident("a", t=at(0))))
    ]
    after = RulesEngine([rule])
    assert after.seed(rows, open_incident_ids=[1]) == 1
    assert after(feed.applied(incident("a", ChangeAction.UPDATE, t=at(1)))) == []
    assert after(feed.applied(incident("b", t=at(2)))) == []  # same subject, in cooldown
    assert len(after(feed.applied(incident("c", t=at(20))))) == 1


def test_zone_changes_alert_rules_that_ask_for_them() -> None:
    rules = [
        rule_from({"kinds": ["zone_change"], "zones": ["SVZM"]}, name="zones"),
        rule_from({"kinds": ["incursion"]}, name="incursions"),
    ]
    declared = box_zone("SVZM", (-67, 10, -66, 11), version=2, change=ZoneChange.AMEND, recorded_at=at(0))
    lifted = box_zone(
        "SVZM", (-67, 10, -66, 11), version=3, change=ZoneChange.LIFT, status=ZoneStatus.LIFTED, recorded_at=at(5)
    )
    elsewhere = box_zone("TNCF", (-70, 12, -69, 13), version=1, recorded_at=at(0))
    entries = zone_change_entries([declared, lifted, elsewhere], rules, base_url="http://m.test")
    assert [e.idempotency_key for e in entries] == ["zones:zone-SVZM@v2:console", "zones:zone-SVZM@v3:console"]
    first = entries[0].payload
    assert first["kind"] == "zone_change"
    assert first["action"] == "amend"
    assert first["zone"]["id"] == "SVZM" and first["zone"]["version"] == 2
    assert first["zone"]["feature"]["geometry"]["type"] == "Polygon"
    assert first["title"] == "ZONE AMENDED · SVZM v2"
    assert entries[1].payload["title"] == "ZONE LIFTED · SVZM v3"
    assert first["url"] == "http://m.test/api/zones/SVZM/history"


def test_feed_health_alerts_stale_and_recovered() -> None:
    engine = RulesEngine([rule_from({"kinds": ["feed_health"], "on_close": True})])
    feed = Applier()
    stale = engine(
        feed.applied(
            incident("f", t=at(0), kind=IncidentKind.FEED_HEALTH, severity=Severity.MEDIUM,
                     subject_kind="feed", subject_id="adsb_lol", label=None, zone_id=None)
        )
    )
    back = engine(
        feed.applied(
            incident("f", ChangeAction.CLOSE, t=at(30), kind=IncidentKind.FEED_HEALTH, severity=Severity.MEDIUM,
                     subject_kind="feed", subject_id="adsb_lol", label=None, zone_id=None)
        )
    )
    assert stale[0].payload["title"] == "FEED STALE · adsb_lol"
    assert back[0].payload["title"] == "FEED RECOVERED · adsb_lol"


def test_a_more_severe_incident_is_news_even_in_the_cooldown() -> None:
    """Advisory airspace first (medium), then the prohibited core (critical): both sent."""
    engine = RulesEngine([rule_from({"cooldown_s": 900})])
    feed = Applier()
    advisory = engine(feed.applied(incident("a", t=at(0), severity=Severity.MEDIUM, zone_id="TNCF")))
    again = engine(feed.applied(incident("b", t=at(2), severity=Severity.MEDIUM, zone_id="TNCF")))
    core = engine(feed.applied(incident("c", t=at(4), severity=Severity.CRITICAL)))
    assert (len(advisory), len(again), len(core)) == (1, 0, 1)
    assert core[0].payload["grouped"]["count"] == 1


def test_a_held_back_incident_that_escalates_is_sent() -> None:
    engine = RulesEngine([rule_from({"cooldown_s": 900, "on_close": True})])
    feed = Applier()
    engine(feed.applied(incident("a", t=at(0), severity=Severity.HIGH)))
    held = engine(feed.applied(incident("b", t=at(1), severity=Severity.HIGH)))
    quiet = engine(feed.applied(incident("b", ChangeAction.UPDATE, t=at(2), severity=Severity.HIGH)))
    worse = engine(feed.applied(incident("b", ChangeAction.UPDATE, t=at(3), severity=Severity.CRITICAL)))
    closed = engine(feed.applied(incident("b", ChangeAction.CLOSE, t=at(4), severity=Severity.CRITICAL)))
    assert held == [] and quiet == []
    assert [e.payload["action"] for e in worse] == ["open"]
    assert worse[0].payload["previous_severity"] == "high"
    assert worse[0].payload["grouped"] is None  # the only held-back one is this incident
    assert [e.payload["action"] for e in closed] == ["close"]
