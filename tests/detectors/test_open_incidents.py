"""The open-incident set the pipeline keeps for detectors: its kind and subject indexes
stay in step with the incidents by key through every change."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from monitor.detectors.base import OpenIncidents
from monitor.domain import IncidentKind, OpenIncident, Severity

T0 = datetime(2025, 11, 29, 12, 0, tzinfo=UTC)


def _inc(key: str, kind: IncidentKind, subject: str | None, zone: str | None = None) -> OpenIncident:
    return OpenIncident(key, kind, Severity.MEDIUM, T0, T0, subject, zone)


def test_find_and_of_kind_follow_put_and_remove() -> None:
    open_ = OpenIncidents()
    a = _inc("incursion:abc:SVZM:1", IncidentKind.INCURSION, "abc", "SVZM")
    b = _inc("incursion:abc:R-1:1", IncidentKind.INCURSION, "abc", "R-1")
    c = _inc("going_dark:123:1", IncidentKind.GOING_DARK, "123")
    for inc in (a, b, c):
        open_.put(inc)

    assert len(open_) == 3 and "going_dark:123:1" in open_
    assert open_.find(IncidentKind.INCURSION, "abc", "R-1") is b
    assert open_.find(IncidentKind.INCURSION, "abc") in (a, b)
    assert open_.find(IncidentKind.GOING_DARK, "abc") is None
    assert open_.find(IncidentKind.INCURSION, "abc", "SKED") is None
    assert {o.dedupe_key for o in open_.of_kind(IncidentKind.INCURSION)} == {a.dedupe_key, b.dedupe_key}

    assert open_.remove(b.dedupe_key) is b
    assert open_.remove(b.dedupe_key) is None  # already gone: nothing to forget
    assert open_.find(IncidentKind.INCURSION, "abc", "R-1") is None
    assert [o.dedupe_key for o in open_.of_kind(IncidentKind.INCURSION)] == [a.dedupe_key]

    open_.clear()
    assert len(open_) == 0 and list(open_.of_kind(IncidentKind.GOING_DARK)) == []
    assert open_.find(IncidentKind.INCURSION, "abc") is None


def test_put_under_a_known_key_replaces_it_in_every_index() -> None:
    open_ = OpenIncidents([_inc("k", IncidentKind.LOITERING, "111")])
    open_.put(_inc("k", IncidentKind.RENDEZVOUS, "222"))
    assert len(open_) == 1
    assert open_.find(IncidentKind.LOITERING, "111") is None
    assert list(open_.of_kind(IncidentKind.LOITERING)) == []
    assert open_.find(IncidentKind.RENDEZVOUS, "222") is open_.get("k")


def test_of_kind_is_a_copy_and_by_key_is_read_only() -> None:
    open_ = OpenIncidents(_inc(f"d{i}", IncidentKind.DROPOUT, str(i)) for i in range(3))
    for inc in open_.of_kind(IncidentKind.DROPOUT):  # closing while walking them
        open_.remove(inc.dedupe_key)
    assert len(open_) == 0
    with pytest.raises(TypeError):
        open_.by_key["x"] = _inc("x", IncidentKind.DROPOUT, "x")  # type: ignore[index]
