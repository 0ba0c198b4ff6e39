"""What every importer shares: the items it yields and the tally of what it skipped.

An importer is a pure function of a file's decoded content (a JSON value or an iterator
of CSV lines, handed over by :mod:`monitor.backfill.reader`) that yields
:data:`Entry` tuples ``(t_s, seq, line, item)``: the item's data time in epoch seconds,
a running number in the file (ties keep file order), the file line or row the item came
from, and the item itself (an :class:`~monitor.domain.Observation`, a
:class:`~monitor.domain.VesselInfo` or a :class:`~monitor.capture.CaptureRecord` left for
the pipeline's own parsers). Items a file cannot give are counted in its
:class:`FileTally` by reason with their line, and the import goes on.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from monitor.capture import CaptureRecord
from monitor.domain import Observation, VesselInfo

#: what an importer yields: (data time in epoch s, sequence in the file, line, item)
Item = Observation | VesselInfo | CaptureRecord
Entry = tuple[float, int, int, Item]

#: examples kept per reason and file (line numbers of the first few)
EXAMPLES_PER_REASON = 5

#: earliest and latest data times accepted (ADS-B and AIS archives start in the 2000s)
MIN_T_S = 946_684_800.0  # 2000-01-01
MAX_T_S = 4_102_444_800.0  # 2100-01-01


@dataclass
class FileTally:
    """What one file gave and what it skipped, by reason, with the first lines of each."""

    path: str
    format: str = ""
    #: rows (CSV lines, trace points, capture lines) read
    rows: int = 0
    observations: int = 0
    vessel_info: int = 0
    records: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    examples: dict[str, list[tuple[int, str]]] = field(default_factory=dict)
    #: rows outside --since/--until/--bbox (not errors)
    cut: Counter[str] = field(default_factory=Counter)

    def skip(self, reason: str, line: int, detail: str = "") -> None:
        """Count one skipped row; keep the line (and the bad value) of the first few."""
        self.skipped[reason] += 1
        kept = self.examples.setdefault(reason, [])
        if len(kept) < EXAMPLES_PER_REASON:
            kept.append((line, detail[:120]))

    def as_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "format": self.format,
            "rows": self.rows,
            "observations": self.observations,
            "vessel_info": self.vessel_info,
            "records": self.records,
            "skipped": dict(self.skipped),
            "examples": {k: [list(e) for e in v] for k, v in self.examples.items()},
            "cut": dict(self.cut),
        }


def finite(value: Any) -> float | None:
    """A finite number (int, float, or numeric text) as float, else ``None``."""
    if type(value) is float:
        return value if math.isfinite(value) else None
    if type(value) is int:
        return float(value)
    if isinstance(value, str) and value.strip():
        try:
            v = float(value)
        except ValueError:
            return None
        return v if math.isfinite(v) else None
    return None


def good_position(lat: float | None, lon: float | None) -> bool:
    """WGS84 degrees in range (0,0 is "Null Island", the usual placeholder of a bad fix)."""
    return (
        lat is not None
        and lon is not None
        and -90.0 <= lat <= 90.0
        and -180.0 <= lon <= 180.0
        and not (lat == 0.0 and lon == 0.0)
    )


def good_time(t_s: float | None) -> bool:
    return t_s is not None and MIN_T_S <= t_s <= MAX_T_S
