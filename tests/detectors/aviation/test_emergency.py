"""Emergency detector: squawks and the ADS-B emergency field open, rank and close incidents."""

from __future__ import annotations

import pytest

from monitor.detectors.aviation.emergency import EmergencyConfig, EmergencyDetector, emergency_code
from monitor.domain import ChangeAction, IncidentKind, Severity
from tests.builders import aircraft, at
from tests.detectors.aviation.helpers import Run, state_with
from tests.detectors.helpers import apply, batch, make_state


def fixes(hex_id, squawks, *, start=0.0, every_s=15.0, **kw):
    """One fix per entry: a squawk string, or (squawk, emergency)."""
    out = []
    for n, sq in enumerate(squawks):
        squawk, em = (sq, None) if not isinstance(sq, tuple) else sq
        out.append(
            aircraft(hex_id, -66.0 + n * 0.02, 11.0, at(start, n * every_s), squawk=squawk,
                     emergency=em, callsign="VCV123", **kw)
        )
    return out


@pytest.mark.parametrize(
    ("squawk", "emergency", "expected"),
    [
        ("7500", None, "unlawful"),
        ("7600", None, "nordo"),
        ("7700", None, "general"),
        ("2000", "minfuel", "minfuel"),
        ("7700", "unlawful", "unlawful"),  # the worse of the two
        ("7600", "general", "general"),
        ("1200", None, ""),
        (None, "none", ""),
        (None, None, None),  # says nothing (MLAT, OpenSky without squawk)
    ],
)
def test_codes_from_squawk_and_emergency_field(squawk, emergency, expected):
    obs = aircraft("abc123", -66, 11, at(0), squawk=squawk, emergency=emergency)
    assert emergency_code(obs) == expected


def test_7700_opens_closes_when_the_code_clears():
    run = Run(EmergencyDetector(), state_with())
    run.run(fixes("abc123", ["2000", "7700", "7700", "7700", "2000", "2000", "2000"]))
    (opened,) = run.of(IncidentKind.EMERGENCY, ChangeAction.OPEN)
    (closed,) = run.of(IncidentKind.EMERGENCY, ChangeAction.CLOSE)
    assert opened.severity is Severity.HIGH
    assert "squawk 7700" in opened.summary
    assert opened.at == at(0, 15)  # the first emergency fix, not the confirming one
    assert closed.dedupe_key == opened.dedupe_key
    assert closed.details["closed_because"] == "code_cleared"
    assert closed.at == at(0, 75)  # the second clear fix


def test_7500_is_critical_and_ranks_above_7700_when_both_are_seen():
    run = Run(EmergencyDetector(), state_with())
    run.run(fixes("abc123", ["7700", "7700", "7500", "7500", "7700"]))
    changes = run.of(IncidentKind.EMERGENCY)
    assert [c.action for c in changes] == [ChangeAction.OPEN, ChangeAction.UPDATE, ChangeAction.UPDATE]
    assert changes[0].severity is Severity.HIGH
    assert changes[1].severity is Severity.CRITICAL
    assert changes[2].severity is Severity.CRITICAL  # the episode keeps its worst code
    assert changes[2].details["code"] == "general"
    assert changes[2].details["codes_seen"] == ["general", "unlawful"]


def test_ads_b_emergency_field_without_squawk():
    run = Run(EmergencyDetector(), state_with())
    run.run(fixes("abc123", [(None, "unlawful")] * 3 + [(None, "none")] * 2))
    (opened,) = run.of(IncidentKind.EMERGENCY, ChangeAction.OPEN)
    assert opened.severity is Severity.CRITICAL
    assert len(run.of(IncidentKind.EMERGENCY, ChangeAction.CLOSE)) == 1


def test_a_single_garbled_squawk_does_not_open():
    run = Run(EmergencyDetector(), state_with())
    run.run(fixes("abc123", ["2000", "7700", "2000", "2000", "2000"]))
    assert run.changes == []


def test_fixes_without_squawk_neither_confirm_nor_clear():
    run = Run(EmergencyDetector(), state_with())
    run.run(fixes("abc123", ["7700", "7700", None, None, None, "7700"]))
    assert [c.action for c in run.changes] == [ChangeAction.OPEN]


def test_contact_lost_closes_after_the_timeout():
    det, state = EmergencyDetector(EmergencyConfig(lost_after_s=600)), make_state()
    fx = fixes("abc123", ["7700", "7700"])
    opened = det.detect(batch(fx), state, at(0, 15))
    apply(state, opened)
    assert [c.action for c in opened] == [ChangeAction.OPEN]
    assert det.detect(batch([]), state, at(9)) == []
    (closed,) = det.detect(batch([]), state, at(11))
    assert closed.action is ChangeAction.CLOSE
    assert closed.details["closed_because"] == "lost_contact"
    assert closed.at == at(0, 15)


def test_lifeguard_is_low_and_can_be_left_out():
    run = Run(EmergencyDetector(), state_with())
    run.run(fixes("abc123", [(None, "lifeguard")] * 3))
    (opened,) = run.of(IncidentKind.EMERGENCY, ChangeAction.OPEN)
    assert opened.severity is Severity.LOW
    quiet = Run(EmergencyDetector(EmergencyConfig(include_lifeguard=False)), state_with())
    quiet.run(fixes("abc123", [(None, "lifeguard")] * 3))
    assert quiet.changes == []


def test_an_emergency_left_open_by_a_previous_run_is_closed_when_it_clears():
    first = Run(EmergencyDetector(), state_with())
    first.run(fixes("abc123", ["7700", "7700", "7700"]))
    state = first.state
    restarted = EmergencyDetector()  # a new process: the open incident comes from the store
    changes = restarted.detect(batch(fixes("abc123", ["2000", "2000"], start=5)), state, at(6))
    assert [c.action for c in changes] == [ChangeAction.CLOSE]
    assert changes[0].dedupe_key == first.changes[0].dedupe_key
