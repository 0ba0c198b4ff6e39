"""Alert rules: which incident changes and zone changes become alerts, to which channels.

:class:`RulesEngine` is the store's ``OutboxFn``: ``Store.apply`` calls it INSIDE the
transaction that applies each incident change and inserts the outbox rows it returns, so
alerting can never disagree with the store. It does no I/O and reads no clock: every
decision depends on the applied change (data time ``change.at``) and on what the engine
decided before.

What a rule sends
-----------------
``open``
    The first time an incident matches the rule (kind, zone, minimum severity, subject
    watch lists). An incident opened below the rule's ``min_severity`` that later
    escalates into range is sent then, as ``open`` with ``previous_severity`` set.
``update``
    When an incident already alerted changes severity (``on_update``, default on). Other
    updates (a reroute's progress, an incursion's new fixes) send nothing.
``close``
    When an incident already alerted ends, if the rule asks (``on_close``).

Cooldown and grouping (a flight skirting a boundary)
-----------------------------------------------------
Per rule, per incident kind and per subject (aircraft, vessel, feed), at most one ``open``
alert is sent per ``cooldown_s`` of data time (default 900 s). A further incident of the
same kind for the same subject within the cooldown, no more severe than the last one
announced, is *held back*: no alert, and its later updates and close stay quiet too, unless
it becomes more severe than what was announced (then it is sent). The next alert sent for that subject after the cooldown
carries ``grouped = {count, since, cooldown_s}`` and says "+N more ... held back". A flight
weaving in and out of SVZM for an hour thus sends about four alerts, not forty. Different
kinds (a reroute and an incursion of the same flight) are separate news and do not hold
each other back. Every held-back incident is still stored and on the map.

Transactions
------------
The engine remembers what it sent (per rule: incidents alerted and their severity,
incidents held back, the last ``open`` per subject). If the transaction that carried a
decision rolls back, the decision must be forgotten too, or a retried batch would be held
back by an alert that was never written. With :meth:`RulesEngine.journal` on, every
change of state is journalled per thread and :meth:`commit` / :meth:`rollback` settle it;
``monitor.alerts.service`` calls them from the database engine's commit and rollback
events. After a restart :meth:`seed` restores the state from the outbox.
"""

from __future__ import annotations

import fnmatch
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from monitor.alerts.payload import incident_key, incident_payload, zone_key, zone_payload
from monitor.domain import ChangeAction, IncidentChange, IncidentKind, Severity, ZoneVersion
from monitor.store import AppliedChange, OutboxEntry
from monitor.timeutil import iso_z

#: the pseudo-kind a rule names to receive zone changes (declared, amended, lifted)
ZONE_CHANGE = "zone_change"


@dataclass(frozen=True, slots=True)
class SubjectFilter:
    """Watch lists. Empty: every subject. Otherwise one list must match."""

    icao24: frozenset[str] = frozenset()
    callsigns: tuple[str, ...] = ()
    mmsi: frozenset[str] = frozenset()
    feeds: frozenset[str] = frozenset()

    @classmethod
    def of(
        cls,
        *,
        icao24: Iterable[str] = (),
        callsigns: Iterable[str] = (),
        mmsi: Iterable[str] = (),
        feeds: Iterable[str] = (),
    ) -> SubjectFilter:
        return cls(
            icao24=frozenset(s.strip().lower().removeprefix("~") for s in icao24),
            callsigns=tuple(s.strip().upper() for s in callsigns),
            mmsi=frozenset(str(s).strip() for s in mmsi),
            feeds=frozenset(feeds),
        )

    @property
    def empty(self) -> bool:
        return not (self.icao24 or self.callsigns or self.mmsi or self.feeds)

    def matches(self, change: IncidentChange) -> bool:
        if self.empty:
            return True
        kind = change.subject_kind or ""
        sid = (change.subject_id or "").strip()
        if kind == "aircraft" and sid.lower() in self.icao24:
            return True
        if kind == "vessel" and sid in self.mmsi:
            return True
        if kind == "feed" and sid in self.feeds:
            return True
        if self.callsigns:
            for label in _callsigns(change):
                if any(fnmatch.fnmatchcase(label, pat) for pat in self.callsigns):
                    return True
        return False


def _callsigns(change: IncidentChange) -> list[str]:
    out = []
    for value in (change.subject_label, change.details.get("callsign"), change.details.get("name")):
        if value:
            text = str(value).strip().upper()
            if text and text not in out:
                out.append(text)
    return out


@dataclass(frozen=True, slots=True)
class AlertRule:
    """One rule (built from config by ``monitor.alerts.config.load_alert_rules``).

    ``kinds`` empty means every incident kind (zone changes only when ``zone_change`` is
    listed). ``zones`` are zone ids or fnmatch patterns; empty means any zone or none.
    """

    name: str
    channels: tuple[str, ...]
    kinds: frozenset[str] = frozenset()
    zones: tuple[str, ...] = ()
    min_severity: Severity = Severity.INFO
    subjects: SubjectFilter = field(default_factory=SubjectFilter)
    cooldown_s: float = 900.0
    on_update: bool = True
    on_close: bool = False

    def wants_incidents(self) -> bool:
        return not self.kinds or bool(self.kinds - {ZONE_CHANGE})

    def wants_zone_changes(self) -> bool:
        return ZONE_CHANGE in self.kinds

    def matches(self, change: IncidentChange) -> bool:
        """Kind, zone, minimum severity and subject all agree (pure)."""
        if self.kinds and change.kind.value not in self.kinds:
            return False
        if change.severity.rank < self.min_severity.rank:
            return False
        if self.zones and not any(self._zone_ok(z) for z in _zones_of(change)):
            return False
        return self.subjects.matches(change)

    def matches_zone(self, version: ZoneVersion) -> bool:
        if not self.wants_zone_changes():
            return False
        if version.severity.rank < self.min_severity.rank and version.change.value != "lift":
            return False
        return not self.zones or self._zone_ok(version.zone_id)

    def _zone_ok(self, zone_id: str) -> bool:
        return any(fnmatch.fnmatchcase(zone_id, pat) for pat in self.zones)


def _zones_of(change: IncidentChange) -> list[str]:
    """The zone of an incident and, for reroutes, every zone it avoided."""
    out = [change.zone_id] if change.zone_id else []
    avoided = change.details.get("avoided_zones")
    if isinstance(avoided, (list, tuple)):
        out.extend(str(z) for z in avoided if z and str(z) not in out)
    return out


# --- the engine ------------------------------------------------------------------------------


@dataclass
class _RuleState:
    #: incident id -> severity last sent
    alerted: dict[int, Severity] = field(default_factory=dict)
    #: incidents held back by the cooldown (their updates and close stay quiet)
    held: dict[int, bool] = field(default_factory=dict)
    #: (kind, subject) -> (data time, incident id, severity) of the last open sent
    last_open: dict[tuple[str, str], tuple[datetime, int, Severity]] = field(default_factory=dict)
    #: (kind, subject) -> (count, first time) held back since the last open sent
    pending: dict[tuple[str, str], tuple[int, datetime]] = field(default_factory=dict)


_MISSING = object()


@dataclass(frozen=True, slots=True)
class Decision:
    rule: AlertRule
    action: str
    previous_severity: Severity | None = None
    grouped: Mapping[str, Any] | None = None


class RulesEngine:
    """The alert rules as an ``OutboxFn``: ``engine(applied) -> [OutboxEntry, ...]``.

    Parameters
    ----------
    rules:
        The rules, in config order.
    base_url:
        Base of the links in alerts (``{base_url}/incidents/{id}``).
    """

    #: beyond this many remembered subjects, those past every cooldown are forgotten
    PRUNE_AT = 20_000

    def __init__(self, rules: Sequence[AlertRule], *, base_url: str | None = None) -> None:
        self.rules = tuple(rules)
        self.base_url = base_url
        self._state = {r.name: _RuleState() for r in self.rules}
        self._started: dict[int, datetime] = {}
        self._severity: dict[int, Severity] = {}
        self._journal_on = False
        self._local = threading.local()
        self._max_cooldown_s = max((r.cooldown_s for r in self.rules), default=0.0)
        #: called after each committed decision that produced entries (wakes the dispatcher)
        self.on_commit: Callable[[], None] | None = None

    # --- the OutboxFn ------------------------------------------------------------------------

    def __call__(self, applied: AppliedChange) -> list[OutboxEntry]:
        ch = applied.change
        iid = applied.incident_id
        if ch.action is ChangeAction.OPEN and applied.created:
            self._set(self._started, iid, ch.at)
        started = self._started.get(iid)
        seen = self._severity.get(iid)
        entries: list[OutboxEntry] = []
        for rule in self.rules:
            if not rule.wants_incidents():
                continue
            decision = self.decide(rule, applied, seen_severity=seen)
            if decision is None:
                continue
            for channel in rule.channels:
                key = incident_key(rule.name, iid, applied.seq, channel)
                payload = incident_payload(
                    key=key,
                    rule=rule.name,
                    channel=channel,
                    action=decision.action,
                    change=ch,
                    incident_id=iid,
                    seq=applied.seq,
                    started_at=started,
                    previous_severity=decision.previous_severity,
                    grouped=decision.grouped,
                    base_url=self.base_url,
                )
                entries.append(OutboxEntry(key, rule.name, channel, payload))
        if ch.action is ChangeAction.CLOSE:
            self._del(self._started, iid)
            self._del(self._severity, iid)
        elif seen is not ch.severity:
            self._set(self._severity, iid, ch.severity)
        if entries:
            self._mark_entries()
        return entries

    def decide(
        self, rule: AlertRule, applied: AppliedChange, *, seen_severity: Severity | None = None
    ) -> Decision | None:
        """What ``rule`` sends for ``applied`` (and remember it); ``None``: nothing.

        ``seen_severity``: the incident's severity at its previous change, when known.
        """
        st = self._state[rule.name]
        ch = applied.change
        iid = applied.incident_id
        if ch.action is ChangeAction.CLOSE:
            was = st.alerted.get(iid)
            self._del(st.alerted, iid)
            self._del(st.held, iid)
            if was is not None and rule.on_close:
                return Decision(rule, "close", previous_severity=None)
            return None
        subject = (ch.kind.value, _subject_key(ch))
        last = st.last_open.get(subject)
        escalated = False
        if iid in st.held:
            # held back by the cooldown: stays quiet unless it becomes more severe than
            # what was announced for this subject (then it is news)
            if last is None or ch.severity.rank <= last[2].rank or not rule.matches(ch):
                return None
            self._del(st.held, iid)
            escalated = True
        elif iid in st.alerted:
            prev = st.alerted[iid]
            if ch.severity is prev:
                return None
            self._set(st.alerted, iid, ch.severity)
            return Decision(rule, "update", previous_severity=prev) if rule.on_update else None
        elif not rule.matches(ch):
            return None
        if (
            not escalated
            and rule.cooldown_s > 0
            and last is not None
            and abs((ch.at - last[0]).total_seconds()) < rule.cooldown_s
            and ch.severity.rank <= last[2].rank
        ):
            self._set(st.held, iid, True)
            count, first = st.pending.get(subject, (0, ch.at))
            self._set(st.pending, subject, (count + 1, min(first, ch.at)))
            return None
        grouped: dict[str, Any] | None = None
        pending = st.pending.get(subject)
        if pending is not None:
            count = pending[0] - (1 if escalated else 0)
            if count > 0:
                grouped = {"count": count, "since": iso_z(pending[1]), "cooldown_s": rule.cooldown_s}
            self._del(st.pending, subject)
        self._set(st.last_open, subject, (ch.at, iid, ch.severity))
        self._set(st.alerted, iid, ch.severity)
        if len(st.last_open) > self.PRUNE_AT:
            self._prune(st, ch.at, rule.cooldown_s)
        previous = None if applied.created or seen_severity is ch.severity else seen_severity
        return Decision(rule, "open", previous_severity=previous, grouped=grouped)

    # --- zone changes --------------------------------------------------------------------------

    def zone_change_entries(self, versions: Iterable[ZoneVersion]) -> list[OutboxEntry]:
        """Outbox entries for zone versions just stored (declared, amended or lifted).

        Each version alerts once per rule and channel (the key names the version), so
        calling this again for the same versions inserts nothing new.
        """
        return zone_change_entries(versions, self.rules, base_url=self.base_url)

    # --- after a restart ---------------------------------------------------------------------

    def seed(self, rows: Iterable[Mapping[str, Any]], *, open_incident_ids: Iterable[int]) -> int:
        """Restore what was sent from outbox rows (``rule``, ``incident_id``, ``payload``).

        ``open_incident_ids``: incidents still open; only those are remembered as alerted.
        Returns the number of rows used.
        """
        open_ids = set(open_incident_ids)
        used = 0
        for row in rows:
            st = self._state.get(str(row.get("rule")))
            payload = row.get("payload") or {}
            iid = row.get("incident_id")
            if st is None or iid is None or payload.get("kind") == ZONE_CHANGE:
                continue
            used += 1
            try:
                severity = Severity(payload.get("severity"))
                at = datetime.fromisoformat(str(payload["times"]["event_at"]).replace("Z", "+00:00"))
            except (KeyError, TypeError, ValueError):
                continue
            action = payload.get("action")
            if iid in open_ids and action in ("open", "update"):
                st.alerted[int(iid)] = severity
                self._severity[int(iid)] = severity
            subject = payload.get("subject") or {}
            if action == "open":
                dedupe = ((payload.get("incident") or {}).get("properties") or {}).get("dedupe_key")
                key = (
                    str(payload.get("kind")),
                    f"{subject.get('kind')}:{subject.get('id')}" if subject.get("id") else f"incident:{dedupe}",
                )
                prev = st.last_open.get(key)
                if prev is None or prev[0] < at:
                    st.last_open[key] = (at, int(iid), severity)
            started = (payload.get("times") or {}).get("started_at")
            if started and iid in open_ids:
                try:
                    self._started[int(iid)] = datetime.fromisoformat(str(started).replace("Z", "+00:00"))
                except ValueError:
                    pass
        return used

    @property
    def max_cooldown_s(self) -> float:
        return self._max_cooldown_s

    # --- transactional state -----------------------------------------------------------------

    def journal(self, on: bool = True) -> None:
        """Journal state changes per thread until :meth:`commit` or :meth:`rollback`."""
        self._journal_on = on

    def commit(self) -> None:
        """The transaction of this thread committed: keep its decisions."""
        entries = getattr(self._local, "entries", False)
        self._local.undo = []
        self._local.entries = False
        if entries and self.on_commit is not None:
            self.on_commit()

    def rollback(self) -> None:
        """The transaction of this thread rolled back: forget its decisions."""
        undo: list[tuple[dict[Any, Any], Any, Any]] = getattr(self._local, "undo", [])
        for d, k, old in reversed(undo):
            if old is _MISSING:
                d.pop(k, None)
            else:
                d[k] = old
        self._local.undo = []
        self._local.entries = False

    def _mark_entries(self) -> None:
        if self._journal_on:
            self._local.entries = True
        elif self.on_commit is not None:
            self.on_commit()

    def _record(self, d: dict[Any, Any], k: Any) -> None:
        if not self._journal_on:
            return
        undo = getattr(self._local, "undo", None)
        if undo is None:
            undo = self._local.undo = []
        undo.append((d, k, d.get(k, _MISSING)))

    def _set(self, d: dict[Any, Any], k: Any, v: Any) -> None:
        self._record(d, k)
        d[k] = v

    def _del(self, d: dict[Any, Any], k: Any) -> None:
        if k in d:
            self._record(d, k)
            del d[k]

    def _prune(self, st: _RuleState, now: datetime, cooldown_s: float) -> None:
        """Forget subjects past the cooldown (no decision depends on them any more).

        Held-back counts are kept for a day, to be reported if the subject comes back.
        """
        keep_pending_s = max(cooldown_s, 86_400.0)
        for key, (_count, first_at) in list(st.pending.items()):
            if abs((now - first_at).total_seconds()) >= keep_pending_s:
                self._del(st.pending, key)
        for key, (t, _iid, _sev) in list(st.last_open.items()):
            if abs((now - t).total_seconds()) >= cooldown_s and key not in st.pending:
                self._del(st.last_open, key)


def zone_change_entries(
    versions: Iterable[ZoneVersion], rules: Sequence[AlertRule], *, base_url: str | None = None
) -> list[OutboxEntry]:
    """Outbox entries for zone versions (pure): one per matching rule and channel."""
    entries: list[OutboxEntry] = []
    for v in versions:
        for rule in rules:
            if not rule.matches_zone(v):
                continue
            for channel in rule.channels:
                key = zone_key(rule.name, v.zone_id, v.version, channel)
                payload = zone_payload(key=key, rule=rule.name, channel=channel, version=v, base_url=base_url)
                entries.append(OutboxEntry(key, rule.name, channel, payload))
    return entries


def _subject_key(ch: IncidentChange) -> str:
    if ch.subject_id:
        return f"{ch.subject_kind}:{ch.subject_id}"
    return f"incident:{ch.dedupe_key}"


def kinds_for(rule: AlertRule) -> list[str]:
    """The incident kinds a rule covers (for display)."""
    if not rule.kinds:
        return [k.value for k in IncidentKind]
    return sorted(rule.kinds)
