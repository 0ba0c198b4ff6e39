"""Results of the geofence engine, shared by the engine, the pipeline and the detectors."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

import msgspec

if TYPE_CHECKING:
    from monitor.domain.zone import ZoneVersion


class TransitionKind(StrEnum):
    ENTER = "enter"
    EXIT = "exit"
    INSIDE = "inside"
    CROSS = "cross"


class Transition(msgspec.Struct, frozen=True, gc=False):
    """One subject's relation to one zone, as decided by a batch.

    ``enter`` / ``exit`` are confirmed transitions (after hysteresis); ``inside`` is
    reported for every later fix while the subject stays, with ``dwell_s`` since the
    enter; ``cross`` is a straight segment between two consecutive fixes, both outside,
    that passes through the zone. ``obs_index`` points into the batch's observations (for
    a ``cross`` it is the second fix; ``prev`` positions give the first).

    Times: an ``enter``'s ``at`` is the fix that confirmed it (``entered_at`` is the first
    fix inside, ``dwell_s`` the time between); an ``exit``'s ``at`` is the first fix seen
    outside (``obs_index`` is the fix that confirmed it, ``dwell_s`` the time spent inside);
    ``inside`` and ``cross`` are at their fix. ``zone`` is the governing version of the
    zone at that fix (at the last fix inside, for an ``exit``); ``crossing_lon`` /
    ``crossing_lat`` is a point of the segment inside the zone.

    A frozen :class:`msgspec.Struct`: the engine builds one per fix inside a zone (tens of
    thousands a second), and its constructor runs in C. ``gc=False``: it refers to no
    container that could lead back to it.
    """

    kind: TransitionKind
    subject_kind: str
    subject_id: str
    zone: ZoneVersion
    at: datetime
    obs_index: int
    dwell_s: float = 0.0
    entered_at: datetime | None = None
    prev_lon: float | None = None
    prev_lat: float | None = None
    prev_at: datetime | None = None
    crossing_lon: float | None = None
    crossing_lat: float | None = None
