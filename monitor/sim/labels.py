"""Ground-truth labels of a scenario, and their JSON file.

The file::

    {"synthetic": true, "scenario": NAME, "description": TEXT,
     "start": ISO, "end": ISO, "scored_kinds": [KIND, ...],
     "labels": [{"kind": KIND, "subjects": [ID, ...], "zone_id": ZONE | null,
                 "start": ISO, "end": ISO, "note": TEXT,
                 "area": [min_lon, min_lat, max_lon, max_lat] | null,
                 "multiple": false, "optional": false}, ...]}

``kind`` is an :class:`~monitor.domain.IncidentKind` value. ``subjects`` are ICAO hex
addresses or MMSIs (as strings); empty for region-wide kinds (traffic collapse, military
presence, GNSS interference). ``zone_id`` may be a shell pattern (``STRIKE-*``).
``multiple`` says the label may absorb several incidents (a GNSS-degraded area seen as
several H3 cells); otherwise one label is one incident. ``optional`` marks a case where
either behaviour is acceptable (a vessel already inside a zone at its first report may or
may not get a ``zone_entry``): an incident matching it is not counted at all, and a
missing one is not a miss. ``scored_kinds`` lists the kinds a
score covers, including kinds expected *not* to fire (no labels, so every incident of
that kind is a false positive). See ``scoring`` for how incidents are matched.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson

from monitor.domain import IncidentKind
from monitor.errors import ConfigError
from monitor.timeutil import EPOCH, iso_z, parse_utc

_KINDS = frozenset(k.value for k in IncidentKind)


@dataclass(frozen=True, slots=True)
class Label:
    """One expected incident (or, with ``multiple``, one expected group of incidents)."""

    kind: str
    subjects: tuple[str, ...]
    start: datetime
    end: datetime
    note: str = ""
    zone_id: str | None = None
    area: tuple[float, float, float, float] | None = None
    multiple: bool = False
    optional: bool = False

    def __post_init__(self) -> None:
        if self.kind not in _KINDS:
            raise ValueError(f"unknown incident kind {self.kind!r}")
        if self.end < self.start:
            raise ValueError(f"label {self.kind} {self.subjects}: end before start")

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "subjects": list(self.subjects),
            "zone_id": self.zone_id,
            "start": iso_z(self.start),
            "end": iso_z(self.end),
            "note": self.note,
            "area": list(self.area) if self.area is not None else None,
            "multiple": self.multiple,
            "optional": self.optional,
        }

    @classmethod
    def from_json(cls, doc: Mapping[str, Any]) -> Label:
        area = doc.get("area")
        return cls(
            kind=str(doc["kind"]),
            subjects=tuple(str(s) for s in doc.get("subjects") or ()),
            start=parse_utc(str(doc["start"])),
            end=parse_utc(str(doc["end"])),
            note=str(doc.get("note") or ""),
            zone_id=doc.get("zone_id") or None,
            area=(
                (float(area[0]), float(area[1]), float(area[2]), float(area[3])) if area else None
            ),
            multiple=bool(doc.get("multiple", False)),
            optional=bool(doc.get("optional", False)),
        )


@dataclass(frozen=True)
class LabelSet:
    """The labels of one scenario."""

    scenario: str
    description: str
    start: datetime
    end: datetime
    labels: tuple[Label, ...]
    scored_kinds: tuple[str, ...] = field(default=())
    synthetic: bool = True

    def kinds(self) -> tuple[str, ...]:
        """Kinds a score covers: ``scored_kinds`` plus every labelled kind, sorted."""
        return tuple(sorted(set(self.scored_kinds) | {lab.kind for lab in self.labels}))

    def of_kind(self, kind: str) -> list[Label]:
        return [lab for lab in self.labels if lab.kind == kind]

    def to_json(self) -> dict[str, Any]:
        return {
            "synthetic": self.synthetic,
            "scenario": self.scenario,
            "description": self.description,
            "start": iso_z(self.start),
            "end": iso_z(self.end),
            "scored_kinds": list(self.kinds()),
            "labels": [lab.to_json() for lab in self.labels],
        }

    def dumps(self) -> bytes:
        return orjson.dumps(self.to_json(), option=orjson.OPT_INDENT_2) + b"\n"

    def write(self, path: Path | str) -> None:
        Path(path).write_bytes(self.dumps())

    @classmethod
    def from_json(cls, doc: Mapping[str, Any], *, origin: str = "labels") -> LabelSet:
        """Build from the parsed JSON document.

        Raises
        ------
        ConfigError
            Naming ``origin``, the label index and the problem.
        """
        if not isinstance(doc, Mapping):
            raise ConfigError(f"{origin}: expected a JSON object, got {type(doc).__name__}")
        for key in ("scenario", "start", "end", "labels"):
            if key not in doc:
                raise ConfigError(f"{origin}: missing key {key!r}")
        labels: list[Label] = []
        for i, item in enumerate(doc["labels"]):
            try:
                labels.append(Label.from_json(item))
            except (KeyError, TypeError, ValueError) as exc:
                raise ConfigError(f"{origin}: labels[{i}]: {exc}") from None
        scored = tuple(str(k) for k in doc.get("scored_kinds") or ())
        unknown = [k for k in scored if k not in _KINDS]
        if unknown:
            raise ConfigError(f"{origin}: scored_kinds: unknown kind(s) {unknown}")
        try:
            start = parse_utc(str(doc["start"]))
            end = parse_utc(str(doc["end"]))
        except ValueError as exc:
            raise ConfigError(f"{origin}: start/end: {exc}") from None
        return cls(
            scenario=str(doc["scenario"]),
            description=str(doc.get("description") or ""),
            start=start,
            end=end,
            labels=tuple(labels),
            scored_kinds=scored,
            synthetic=bool(doc.get("synthetic", False)),
        )

    @classmethod
    def read(cls, path: Path | str) -> LabelSet:
        p = Path(path)
        try:
            doc = orjson.loads(p.read_bytes())
        except OSError as exc:
            raise ConfigError(f"cannot read labels file {p}: {exc}") from None
        except orjson.JSONDecodeError as exc:
            raise ConfigError(f"{p}: not JSON: {exc}") from None
        return cls.from_json(doc, origin=str(p))


def as_labels(labels: LabelSet | Iterable[Label] | Mapping[str, Any]) -> LabelSet:
    """Accept a :class:`LabelSet`, the parsed labels JSON, or plain :class:`Label` values."""
    if isinstance(labels, LabelSet):
        return labels
    if isinstance(labels, Mapping):
        return LabelSet.from_json(labels)
    items: Sequence[Label] = tuple(labels)
    return LabelSet(
        scenario="",
        description="",
        start=min((lab.start for lab in items), default=EPOCH),
        end=max((lab.end for lab in items), default=EPOCH),
        labels=tuple(items),
    )
