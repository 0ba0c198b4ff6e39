"""Detector quality against a scenario's labels: precision and recall per incident kind.

Pure: incidents in, scores out. An incident is any mapping (or object with the same
attributes) with ``kind``, ``subject_id``, ``zone_id``, ``started_at``, ``ended_at`` or
``last_seen_at``, ``details`` and optionally ``lat`` / ``lon``; times are aware datetimes
or ISO-8601 strings.

Matching rules
--------------
An incident matches a label when

* the kinds are equal;
* the label's ``subjects`` are empty, or contain the incident's ``subject_id``, or contain
  ``details["other_subject_id"]`` (the second vessel of a rendezvous-like pair);
* the label's ``zone_id``, when it gives one, equals the incident's (shell patterns such
  as ``STRIKE-*`` allowed);
* the label's ``area``, when it gives one, contains the incident's position (when the
  incident has one);
* the intervals overlap once the label's is widened by ``tolerance_s`` on both sides:
  ``incident.start <= label.end + tol`` and ``incident.end >= label.start - tol``, where
  ``incident.end`` is ``ended_at``, else ``last_seen_at``, else ``started_at``.

Each label is matched by at most one incident (a maximum bipartite matching, so the count
does not depend on the order incidents arrive in). Incidents left over are false
positives, except those matching a label marked ``multiple`` (a region-wide phenomenon
seen as several incidents, e.g. one per H3 cell), which are *absorbed*: they count as
correct for precision and do not add to recall. A left-over incident matching a
single-incident label already taken is a *duplicate* (one anomaly raised twice): a false
positive, counted apart to help the reader. Labels marked ``optional`` (either behaviour
is acceptable) take no part in the matching: a left-over incident matching one is
*ignored* (not counted at all), and an optional label never counts as missed.

``precision = (tp + absorbed) / (incidents - ignored)`` and ``recall = tp / labels``
(required labels only); a kind with no counted incidents has precision 1.0 and a kind
with no required labels has recall 1.0.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from fnmatch import fnmatchcase
from typing import Any

from monitor.sim.labels import Label, LabelSet, as_labels
from monitor.timeutil import parse_utc

DEFAULT_TOLERANCE_S = 600.0


@dataclass(frozen=True, slots=True)
class KindScore:
    """The score of one incident kind."""

    kind: str
    tp: int
    fp: int
    fn: int
    precision: float
    recall: float
    incidents: int = 0
    labels: int = 0
    absorbed: int = 0
    duplicates: int = 0
    ignored: int = 0
    missed: tuple[str, ...] = ()
    false_positives: tuple[str, ...] = ()

    def meets(self, target: float = 0.9) -> bool:
        return self.precision >= target and self.recall >= target


@dataclass(frozen=True, slots=True)
class _Inc:
    kind: str
    subject_id: str | None
    other_subject_id: str | None
    zone_id: str | None
    start: datetime
    end: datetime
    lat: float | None
    lon: float | None

    def describe(self) -> str:
        zone = f" in {self.zone_id}" if self.zone_id else ""
        return (
            f"{self.kind} {self.subject_id or '-'}{zone} {self.start:%H:%M:%S}-{self.end:%H:%M:%S}"
        )


def _get(obj: Any, key: str) -> Any:
    if isinstance(obj, Mapping):
        return obj.get(key)
    return getattr(obj, key, None)


def _time(value: Any) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r} in an incident")
        return value
    return parse_utc(str(value))


def _normalise(obj: Any) -> _Inc:
    kind = _get(obj, "kind")
    kind = getattr(kind, "value", kind)
    start = _time(_get(obj, "started_at"))
    if start is None:
        raise ValueError(f"incident without started_at: {obj!r}")
    end = _time(_get(obj, "ended_at")) or _time(_get(obj, "last_seen_at")) or start
    details = _get(obj, "details") or {}
    other = details.get("other_subject_id") if isinstance(details, Mapping) else None
    lat, lon = _get(obj, "lat"), _get(obj, "lon")
    if lat is None and isinstance(details, Mapping):
        lat, lon = details.get("lat"), details.get("lon")
    subject = _get(obj, "subject_id")
    return _Inc(
        kind=str(kind),
        subject_id=None if subject is None else str(subject),
        other_subject_id=None if other is None else str(other),
        zone_id=_get(obj, "zone_id"),
        start=start,
        end=max(end, start),
        lat=float(lat) if isinstance(lat, int | float) else None,
        lon=float(lon) if isinstance(lon, int | float) else None,
    )


def matches(label: Label, inc: _Inc, tolerance: timedelta) -> bool:
    """Whether one incident matches one label (see the module docstring)."""
    if inc.kind != label.kind:
        return False
    if label.subjects and not (
        inc.subject_id in label.subjects or inc.other_subject_id in label.subjects
    ):
        return False
    if label.zone_id and not fnmatchcase(inc.zone_id or "", label.zone_id):
        return False
    if label.area is not None and inc.lat is not None and inc.lon is not None:
        min_lon, min_lat, max_lon, max_lat = label.area
        if not (min_lat <= inc.lat <= max_lat and min_lon <= inc.lon <= max_lon):
            return False
    return inc.start <= label.end + tolerance and inc.end >= label.start - tolerance


def _max_matching(edges: Sequence[Sequence[int]], n_labels: int) -> list[int | None]:
    """Kuhn's augmenting paths: for each incident, the label it is matched to (or None)."""
    label_of_inc: list[int | None] = [None] * len(edges)
    inc_of_label: list[int | None] = [None] * n_labels

    def augment(i: int, seen: set[int]) -> bool:
        for lab in edges[i]:
            if lab in seen:
                continue
            seen.add(lab)
            other = inc_of_label[lab]
            if other is None or augment(other, seen):
                inc_of_label[lab] = i
                label_of_inc[i] = lab
                return True
        return False

    for i in range(len(edges)):
        augment(i, set())
    return label_of_inc


def score(
    incidents: Iterable[Any],
    labels: LabelSet | Iterable[Label] | Mapping[str, Any],
    *,
    tolerance_s: float = DEFAULT_TOLERANCE_S,
    kinds: Iterable[str] | None = None,
) -> dict[str, KindScore]:
    """Precision and recall per kind.

    Parameters
    ----------
    incidents:
        The incidents the pipeline recorded (mappings or objects, see the module docstring).
    labels:
        A :class:`LabelSet`, the parsed labels JSON, or :class:`Label` values.
    tolerance_s:
        How far (seconds) an incident's interval may lie outside the label's and still match.
    kinds:
        Kinds to score; default: the label set's ``scored_kinds`` plus every labelled kind.
        Incidents of other kinds are ignored.
    """
    label_set = as_labels(labels)
    wanted = tuple(kinds) if kinds is not None else label_set.kinds()
    tol = timedelta(seconds=tolerance_s)
    by_kind: dict[str, list[_Inc]] = {k: [] for k in wanted}
    for obj in incidents:
        inc = _normalise(obj)
        if inc.kind in by_kind:
            by_kind[inc.kind].append(inc)
    out: dict[str, KindScore] = {}
    for kind in wanted:
        all_labs = label_set.of_kind(kind)
        labs = [lab for lab in all_labs if not lab.optional]
        optional = [lab for lab in all_labs if lab.optional]
        incs = sorted(by_kind[kind], key=lambda i: (i.start, i.subject_id or "", i.zone_id or ""))
        edges = [[j for j, lab in enumerate(labs) if matches(lab, inc, tol)] for inc in incs]
        assigned = _max_matching(edges, len(labs))
        matched_labels = {j for j in assigned if j is not None}
        absorbed = duplicates = fp = ignored = 0
        false_pos: list[str] = []
        for inc, lab_idx, cand in zip(incs, assigned, edges, strict=True):
            if lab_idx is not None:
                continue
            if any(labs[j].multiple for j in cand):
                absorbed += 1
                continue
            if any(matches(lab, inc, tol) for lab in optional):
                ignored += 1
                continue
            fp += 1
            if cand:
                duplicates += 1
            false_pos.append(inc.describe() + (" (duplicate)" if cand else ""))
        tp = len(matched_labels)
        missed = [
            f"{lab.kind} {','.join(lab.subjects) or '*'} {lab.start:%H:%M}-{lab.end:%H:%M}: {lab.note}"
            for j, lab in enumerate(labs)
            if j not in matched_labels
        ]
        n_inc = len(incs) - ignored
        out[kind] = KindScore(
            kind=kind,
            tp=tp,
            fp=fp,
            fn=len(labs) - tp,
            precision=(tp + absorbed) / n_inc if n_inc else 1.0,
            recall=tp / len(labs) if labs else 1.0,
            incidents=n_inc,
            labels=len(labs),
            absorbed=absorbed,
            duplicates=duplicates,
            ignored=ignored,
            missed=tuple(missed),
            false_positives=tuple(false_pos),
        )
    return out


def format_scores(scores: Mapping[str, KindScore], *, target: float = 0.9) -> str:
    """A plain-text table of the scores against ``target`` (for benchmarks and the CLI)."""
    lines = [
        f"{'kind':<20} {'labels':>6} {'incid.':>6} {'tp':>4} {'fp':>4} {'fn':>4} "
        f"{'precision':>9} {'recall':>7}  target {target:.2f}"
    ]
    for kind in sorted(scores):
        s = scores[kind]
        ok = "ok" if s.meets(target) else "BELOW"
        lines.append(
            f"{kind:<20} {s.labels:>6} {s.incidents:>6} {s.tp:>4} {s.fp:>4} {s.fn:>4} "
            f"{s.precision:>9.2f} {s.recall:>7.2f}  {ok}"
        )
    return "\n".join(lines)
