"""Parsing a batch of capture records: what the parsers made of each record, in order.

:func:`parse_records` runs each record's parser and keeps, per record, what the pipeline
needs to account for it (items, skipped items by reason, or why the whole body was
unusable). It changes nothing outside the parsers' own stream state: the pipeline applies
the outcomes (feed health, counts, notices) afterwards, in record order. The same function
runs in the pipeline's process or, in a long replay, in a second process ahead of it
(``monitor.feeds.ahead``), so both paths account for a record the same way.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from monitor.capture import CaptureRecord
from monitor.domain import Notice, Observation, VesselInfo, ZoneVersion
from monitor.errors import ParseError
from monitor.feeds.base import ParseFn

#: (capture kind, source name) -> the parser of that stream
ParserFor = Callable[[str, str], ParseFn]


@dataclass(slots=True)
class RecordParse:
    """The outcome of one record.

    A usable body has counts (``n_*``: what it added to the batch's lists, in order) and
    its skipped items by reason; an unusable one has ``failure`` (the reason), ``detail``
    and, for a parser that raised something other than :class:`ParseError`, ``bug`` with
    the traceback in ``detail``. ``deferred`` marks a record left for the pipeline's own
    process to parse (see ``monitor.feeds.ahead``).
    """

    n_observations: int = 0
    n_vessel_info: int = 0
    n_zone_versions: int = 0
    n_notices: int = 0
    errors: dict[str, int] | None = None
    error_samples: list[str] | None = None
    failure: str | None = None
    detail: str = ""
    bug: bool = False
    deferred: bool = False

    @property
    def items(self) -> int:
        """Positions and static reports the body gave (the feed's health counts these)."""
        return self.n_observations + self.n_vessel_info


@dataclass(slots=True)
class ParsedRecords:
    """What the parsers made of a batch of records: the batch's lists in record order and
    one :class:`RecordParse` per record."""

    observations: list[Observation] = field(default_factory=list)
    vessel_info: list[VesselInfo] = field(default_factory=list)
    zone_versions: list[ZoneVersion] = field(default_factory=list)
    notices: list[Notice] = field(default_factory=list)
    outcomes: list[RecordParse] = field(default_factory=list)

    @property
    def deferred(self) -> bool:
        """Whether some record is left to parse."""
        return any(o.deferred for o in self.outcomes)


def parse_records(
    records: Iterable[CaptureRecord], parser_for: ParserFor, *, defer: frozenset[str] = frozenset()
) -> ParsedRecords:
    """Parse ``records`` in order; records of the kinds in ``defer`` are only marked."""
    out = ParsedRecords()
    outcomes = out.outcomes
    for rec in records:
        if rec.feed in defer:
            outcomes.append(RecordParse(deferred=True))
            continue
        try:
            result = parser_for(rec.feed, rec.source_name)(
                rec.body, received_at=rec.received_at, source=rec.source_name, record_ref=rec.ref
            )
        except ParseError as exc:
            outcomes.append(RecordParse(failure=exc.reason, detail=exc.detail))
            continue
        except Exception:  # a parser bug must not stop the monitor: the pipeline logs it
            outcomes.append(RecordParse(failure="parser_bug", detail=traceback.format_exc(), bug=True))
            continue
        out.observations.extend(result.observations)
        out.vessel_info.extend(result.vessel_info)
        out.zone_versions.extend(result.zone_versions)
        out.notices.extend(result.notices)
        outcomes.append(RecordParse(
            n_observations=len(result.observations),
            n_vessel_info=len(result.vessel_info),
            n_zone_versions=len(result.zone_versions),
            n_notices=len(result.notices),
            errors=dict(result.errors) if result.errors else None,
            error_samples=result.error_samples[:5] or None,
        ))
    return out


def complete(
    records: Sequence[CaptureRecord], parsed: ParsedRecords, parser_for: ParserFor
) -> ParsedRecords:
    """``parsed`` with its deferred records parsed by ``parser_for``, each record's items
    in its place in the batch's lists."""
    if not parsed.deferred:
        return parsed
    if len(records) != len(parsed.outcomes):
        raise ValueError(
            f"{len(parsed.outcomes)} parse outcome(s) for a batch of {len(records)} record(s)"
        )
    out = ParsedRecords()
    at = [0, 0, 0, 0]  # read positions in parsed's four lists
    for rec, outcome in zip(records, parsed.outcomes, strict=True):
        if outcome.deferred:
            one = parse_records([rec], parser_for)
            out.observations.extend(one.observations)
            out.vessel_info.extend(one.vessel_info)
            out.zone_versions.extend(one.zone_versions)
            out.notices.extend(one.notices)
            out.outcomes.extend(one.outcomes)
            continue
        counts = (
            outcome.n_observations,
            outcome.n_vessel_info,
            outcome.n_zone_versions,
            outcome.n_notices,
        )
        for k, (src, dst) in enumerate((
            (parsed.observations, out.observations),
            (parsed.vessel_info, out.vessel_info),
            (parsed.zone_versions, out.zone_versions),
            (parsed.notices, out.notices),
        )):
            dst.extend(src[at[k] : at[k] + counts[k]])  # type: ignore[arg-type]
            at[k] += counts[k]
        out.outcomes.append(outcome)
    return out
