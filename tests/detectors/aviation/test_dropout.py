"""Dropout: coverage-aware, so feed outages, landings and lonely aircraft are not dropouts."""

from __future__ import annotations

from monitor.detectors.aviation.airports import AirportIndex, AirportPoint
from monitor.detectors.aviation.dropout import DropoutConfig, DropoutDetector
from monitor.domain import ChangeAction, IncidentKind, Severity, ZoneKind, ZoneStatus
from tests.builders import at, box_zone
from tests.detectors.aviation.helpers import Run, heading, incidents, state_with

SVZM = box_zone("SVZM", (-70, 4, -62, 11), kind=ZoneKind.CLOSED_AIRSPACE, status=ZoneStatus.CLOSED)
SVMI = AirportPoint("SVMI", "Maiquetia", 10.6031, -66.9906, 235.0)
AIRPORTS = AirportIndex([SVMI])


def detector(**kw):
    return DropoutDetector(DropoutConfig(**kw), airports=AIRPORTS)


def neighbours(minutes=90, **kw):
    """Two aircraft crossing the same area for the whole run, heard by the same feed."""
    return heading("0d0b01", (8.0, -69.5), 80.0, minutes, at(0), **kw) + heading(
        "0d0b02", (7.0, -63.0), 265.0, minutes, at(0), **kw
    )


def subject(silent=(20, 45), minutes=60, start=(7.5, -68.0), track=85.0, **kw):
    fx = heading("0d0a01", start, track, minutes, at(0), callsign="VCV500", **kw)
    a, b = at(silent[0]), at(silent[1])
    return [o for o in fx if not a <= o.time < b]


def test_silence_inside_the_zone_while_neighbours_report_is_a_dropout_closed_on_reappearance():
    run = Run(detector(), state_with([SVZM]))
    run.run(subject() + neighbours())
    (inc,) = incidents(run.changes, IncidentKind.DROPOUT).values()
    opened, closed = inc
    assert opened.action is ChangeAction.OPEN and closed.action is ChangeAction.CLOSE
    assert opened.severity is Severity.HIGH  # inside closed airspace
    assert opened.zone_id == "SVZM" and opened.details["inside_zone"] is True
    assert opened.at < at(20) and opened.at >= at(19, 45)  # the last fix before the silence
    assert "others nearby still reported by test" in opened.summary
    assert closed.details["closed_because"] == "reappeared"
    assert 25 * 60 - 30 <= closed.details["gap_s"] <= 25 * 60 + 30
    assert 330 < closed.details["gap_km"] < 360  # 25 min at 450 kt is 347 km
    assert 430 < closed.details["implied_speed_kt"] < 470


def test_a_feed_outage_is_not_a_wave_of_dropouts():
    run = Run(detector(), state_with([SVZM]))
    outage = (at(20), at(45))
    fx = [o for o in subject(silent=(0, 0)) + neighbours() if not outage[0] <= o.time < outage[1]]
    run.run(fx, feed_gaps=[("test", *outage)])
    assert run.of(IncidentKind.DROPOUT) == []


def test_a_silence_that_began_with_a_feed_outage_is_not_a_dropout_even_if_longer():
    run = Run(detector(), state_with([SVZM]))
    outage = (at(20), at(40))
    fx = [o for o in subject(silent=(20, 60)) + neighbours() if not outage[0] <= o.time < outage[1]]
    run.run(fx, feed_gaps=[("test", *outage)])
    assert run.of(IncidentKind.DROPOUT) == []


def test_a_short_feed_hiccup_below_the_stale_threshold_is_not_a_dropout_either():
    run = Run(detector(min_gap_s=120), state_with([SVZM]))
    outage = (at(20), at(27))  # 7 minutes: under the 15 min the feed book calls stale
    fx = [o for o in subject(silent=(0, 0)) + neighbours() if not outage[0] <= o.time < outage[1]]
    run.run(fx, feed_gaps=[("test", *outage)])
    assert run.of(IncidentKind.DROPOUT) == []


def test_nobody_else_reported_nearby_means_no_coverage_evidence():
    # the feed covers a wide area (an aircraft far to the east) but no one near the subject
    far_east = heading("0d0b05", (6.0, -59.0), 0.0, 90, at(0), speed_kt=300)
    run = Run(detector(), state_with([SVZM]))
    run.run(subject() + far_east, until=at(90))
    assert run.changes == []


def test_neighbours_on_another_feed_do_not_count():
    run = Run(detector(), state_with([SVZM]), feeds=("test", "other"))
    run.run(subject() + neighbours(source="other"))
    assert run.changes == []


def coastal_traffic():
    """Aircraft along the coast near Caracas all the time (coverage evidence there)."""
    return heading("0d0b06", (10.9, -68.5), 90.0, 90, at(0), speed_kt=150) + heading(
        "0d0b07", (9.8, -65.0), 270.0, 90, at(0), speed_kt=150
    )


def test_landing_at_an_airport_is_not_a_dropout():
    # descending towards Maiquetía from the west: 4,000 ft 15 nm out, then silence
    approach = heading("0d0a02", (10.5, -67.6), 95.0, 3, at(10), speed_kt=180,
                       altitude_ft=4000.0, vertical_rate_fpm=-800.0)
    run = Run(detector(), state_with([SVZM]))
    run.run(approach + coastal_traffic() + neighbours())
    assert run.of(IncidentKind.DROPOUT) == []
    # the same silence at cruise level over the same spot is a dropout
    cruise = heading("0d0a02", (10.5, -67.6), 95.0, 3, at(10), speed_kt=180)
    run = Run(detector(), state_with([SVZM]))
    run.run(cruise + coastal_traffic() + neighbours())
    assert len(run.of(IncidentKind.DROPOUT, ChangeAction.OPEN)) == 1


def test_far_from_any_zone_is_not_watched():
    run = Run(detector(), state_with([SVZM]))
    far = subject(start=(16.0, -68.0))  # 500 km north of the zone
    far_neighbours = heading("0d0b03", (16.5, -69.0), 90.0, 90, at(0))
    run.run(far + far_neighbours)
    assert run.of(IncidentKind.DROPOUT) == []


def test_leaving_the_area_the_feed_covers_is_not_a_dropout():
    # the feed reports nothing south of 4N; the subject flies south out of it and vanishes
    slow = heading("0d0b04", (4.5, -67.0), 90.0, 90, at(0), speed_kt=150)
    leaving = heading("0d0a03", (5.6, -66.0), 180.0, 12, at(0), speed_kt=480)
    run = Run(detector(), state_with([SVZM]))
    run.run(leaving + slow + neighbours())
    assert run.of(IncidentKind.DROPOUT) == []
    # vanishing while flying east, inside the covered area, is a dropout
    staying = heading("0d0a03", (5.0, -66.0), 90.0, 12, at(0), speed_kt=480)
    run = Run(detector(), state_with([SVZM]))
    run.run(staying + slow + neighbours())
    assert len(run.of(IncidentKind.DROPOUT, ChangeAction.OPEN)) == 1


def test_never_seen_again_closes_after_the_give_up_time():
    run = Run(detector(give_up_s=3600), state_with([SVZM]))
    run.run(subject(silent=(20, 999)) + neighbours(minutes=150), until=at(150))
    (inc,) = incidents(run.changes, IncidentKind.DROPOUT).values()
    assert [c.action for c in inc] == [ChangeAction.OPEN, ChangeAction.CLOSE]
    assert inc[-1].details["closed_because"] == "not_seen_again"


def test_a_dropout_left_open_by_a_previous_run_closes_when_the_aircraft_reappears():
    first = Run(detector(), state_with([SVZM]))
    fx = subject() + neighbours()
    first.run([o for o in fx if o.time < at(40)])
    (opened,) = first.of(IncidentKind.DROPOUT, ChangeAction.OPEN)
    restarted = Run(detector(), first.state)  # a new process; the open incident is in the store
    restarted.run([o for o in fx if o.time >= at(40)])
    (closed,) = restarted.of(IncidentKind.DROPOUT, ChangeAction.CLOSE)
    assert closed.dedupe_key == opened.dedupe_key
    assert 24 * 60 <= closed.details["gap_s"] <= 26 * 60
