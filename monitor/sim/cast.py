"""A small accumulator the scenario definitions use: flights, voyages and their labels."""

from __future__ import annotations

from dataclasses import dataclass, field

from monitor.sim.flights import FlightPlan, build_flight
from monitor.sim.labels import Label
from monitor.sim.model import Flight, Voyage
from monitor.timeutil import utc_from_epoch_s


@dataclass
class Cast:
    """Collects the actors of a scenario and the labels that say what they do."""

    t0_s: float
    seed: int
    flights: list[Flight] = field(default_factory=list)
    voyages: list[Voyage] = field(default_factory=list)
    labels: list[Label] = field(default_factory=list)

    def at(self, hhmm: str) -> float:
        """Epoch seconds of ``HH:MM`` (or ``HH:MM:SS``) on the scenario's day (t0 is 10:00)."""
        parts = [int(p) for p in hhmm.split(":")]
        h, m = parts[0], parts[1]
        s = parts[2] if len(parts) > 2 else 0
        return self.t0_s + (h - 10) * 3600 + m * 60 + s

    def fly(self, plan: FlightPlan) -> tuple[Flight, list[float]]:
        flight, marks = build_flight(plan)
        self.flights.append(flight)
        return flight, marks

    def sail(self, voyage: Voyage) -> Voyage:
        self.voyages.append(voyage)
        return voyage

    def label(
        self,
        kind: str,
        subjects: tuple[str, ...] | list[str],
        start_s: float,
        end_s: float,
        note: str,
        *,
        zone_id: str | None = None,
        area: tuple[float, float, float, float] | None = None,
        multiple: bool = False,
        optional: bool = False,
    ) -> None:
        self.labels.append(
            Label(
                kind=str(kind),
                subjects=tuple(subjects),
                start=utc_from_epoch_s(round(start_s)),
                end=utc_from_epoch_s(round(end_s)),
                note=note,
                zone_id=zone_id,
                area=area,
                multiple=multiple,
                optional=optional,
            )
        )
