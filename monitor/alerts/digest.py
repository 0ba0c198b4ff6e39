"""The daily digest: the status board in words, sent once a day through the alert channels.

``alerts.digest: {hour_local: 6, timezone: America/Caracas, channels: [desk_slack]}`` (see
:class:`monitor.alerts.config.DigestConfig`). At that local hour the live service
(:func:`schedule_digest`, called from :mod:`monitor.service.live`) builds the status board
(:func:`monitor.web.api_status_board.build_status_board`) at its data clock, renders it with
:func:`digest_text` and inserts one outbox row per channel (:func:`digest_entries`); the
dispatcher delivers them with retries and records every attempt, like any alert. The
idempotency key is ``digest:<local date>:<channel>``: a restart within the hour sends nothing
twice. ``monitor status --digest`` prints the same text.

The payload is the alert payload (version 1) with ``kind`` and ``action`` ``"digest"``,
``incident``, ``zone`` and ``subject`` null, ``url`` the status board and ``digest`` the
board's headline and counts.

:func:`digest_text` and :func:`digest_entries` are pure; :func:`schedule_digest` is the one
piece with I/O.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from monitor.alerts.config import AlertSetup, DigestSpec
from monitor.store import OutboxEntry

log = logging.getLogger(__name__)

RULE = "digest"


def _t(iso: str | None) -> str:
    if not iso:
        return "further notice"
    return iso.replace("T", " ")[:16] + "Z"


def digest_title(board: Mapping[str, Any], *, timezone: str | None = None) -> str:
    at = datetime.fromisoformat(str(board["at"]).replace("Z", "+00:00"))
    local = f" ({at.astimezone(ZoneInfo(timezone)):%Y-%m-%d %H:%M} {timezone})" if timezone else ""
    state = "binding rules in force" if board["binding_in_force"] else "nothing binding in force"
    return f"Airspace digest {at:%Y-%m-%d %H:%M}Z{local}: {state}"


def digest_text(
    board: Mapping[str, Any], *, timezone: str | None = None, base_url: str | None = None
) -> str:
    """The digest of a status board, as plain text (the same words on every channel)."""
    lines = [digest_title(board, timezone=timezone), "", board["headline"], "", "RULES IN FORCE"]
    any_rule = False
    for f in board["firs"]:
        for r in f["rules"]:
            any_rule = True
            bind = "BINDING " if r["binding"] else ""
            lines.append(
                f"- {f['fir']}: {bind}{r['authority']} {r['kind']}, binds {r['binds_text']}; "
                f"since {_t(r['since'])}, until {_t(r['until'])}"
                + (f"; source {r['sources'][0]}" if r["sources"] else "")
            )
    if not any_rule:
        lines.append("- none")
    lines += ["", "CHANGES IN THE LAST 24 H"]
    changes = [(c["at"] or "", f["fir"], c) for f in board["firs"] for c in f["changes_24h"]]
    for _at, fir, c in sorted(changes, key=lambda x: (x[0], x[1])):
        lines.append(f"- {_t(c['at'])} {fir}: {c['authority']} {c['kind']} {c['change']}")
    if not changes:
        lines.append("- none")
    tr = board["traffic"]
    base = tr["baseline"]["flights_per_day"]
    lines += ["", f"TRAFFIC THROUGH {tr['zone']} (distinct flights a day)"]
    for d in tr["days"]:
        share = f", {d['flights'] / base:.0%} of the baseline of {base:g} a day" if base else ""
        lines.append(f"- {d['day']}: {d['flights']} flights{share}")
    if not tr["days"]:
        lines.append("- no flights counted")
    if base is None:
        lines.append(
            f"- baseline {tr['baseline']['since'][:10]} to {tr['baseline']['until'][:10]}: no stored counts"
        )
    tops = [o for o in tr["top_operators"] if o["flights"]][:6]
    if tops:
        lines.append("- busiest operators: " + ", ".join(f"{o['label']} {o['flights']}" for o in tops))
    rr = board["reroutes_24h"]
    lines += ["", f"REROUTES, LAST 24 H ({len(rr)})"]
    for x in rr[:15]:
        km = x["extra_distance_km"] or 0
        mins = x["extra_time_min"] or 0
        lines.append(
            f"- {x['callsign'] or '?'} {x['route'] or ''}: +{km:.0f} km, +{mins:.0f} min, around "
            f"{', '.join(x['avoided_zones']) or '?'} via {', '.join(x['firs_used']) or '?'}"
        )
    if len(rr) > 15:
        lines.append(f"- +{len(rr) - 15} more")
    if not rr:
        lines.append("- none")
    lines += ["", "OPERATOR RETURNS"]
    lines += [f"- {r['text']}" for r in board["operator_returns"]] or ["- none"]
    lines += ["", "OPEN INCIDENTS"]
    opened = board["open_incidents"]
    lines.append("- " + (", ".join(f"{k.replace('_', ' ')} {n}" for k, n in opened.items()) or "none"))
    if base_url:
        lines += ["", f"Status board: {base_url.rstrip('/')}/status"]
    return "\n".join(lines)


def digest_entries(
    board: Mapping[str, Any], spec: DigestSpec, *, base_url: str | None = None
) -> list[OutboxEntry]:
    """One outbox row per channel of the digest of ``board``."""
    at = datetime.fromisoformat(str(board["at"]).replace("Z", "+00:00"))
    local_day = at.astimezone(ZoneInfo(spec.timezone)).date()
    title = digest_title(board, timezone=spec.timezone)
    text = digest_text(board, timezone=spec.timezone, base_url=base_url)
    url = f"{base_url.rstrip('/')}/status" if base_url else None
    out = []
    for channel in spec.channels:
        key = f"{RULE}:{local_day.isoformat()}:{channel}"
        out.append(OutboxEntry(
            idempotency_key=key,
            rule=RULE,
            channel=channel,
            payload={
                "version": 1,
                "idempotency_key": key,
                "rule": RULE,
                "channel": channel,
                "kind": "digest",
                "severity": "info",
                "previous_severity": None,
                "action": "digest",
                "incident": None,
                "zone": None,
                "subject": None,
                "times": {"event_at": board["at"], "started_at": board["at"], "ended_at": None},
                "grouped": None,
                "url": url,
                "title": title,
                "text": text,
                "digest": {
                    "headline": board["headline"],
                    "binding_in_force": board["binding_in_force"],
                    "reroutes_24h": len(board["reroutes_24h"]),
                    "operator_returns": len(board["operator_returns"]),
                    "open_incidents": dict(board["open_incidents"]),
                },
            },
        ))
    return out


def send_digest(
    store: Any,
    zones: Callable[[], Any],
    setup: AlertSetup,
    at: datetime,
    *,
    base_url: str | None = None,
    live: Callable[[], Any] | None = None,
) -> int:
    """Build the board at ``at`` and queue the digest in the outbox; returns rows inserted
    (0 when today's digest was queued already)."""
    from monitor.store.outbox import OutboxStore
    from monitor.web.api_status_board import build_status_board  # the board is the web's view

    spec = setup.digest
    if spec is None:
        return 0
    board = build_status_board(
        store, list(zones()), at, live=live() if live is not None else None,
        traffic_zone=spec.traffic_zone, baseline=(spec.baseline_since, spec.baseline_until),
    )
    entries = digest_entries(board, spec, base_url=setup.base_url or base_url)
    n = OutboxStore.of(store).insert_entries(entries)
    log.info("daily digest queued for %s: %d new alert(s)", ", ".join(spec.channels), n)
    return n


def schedule_digest(scheduler: Any, runtime: Any, *, clock: Callable[[], datetime]) -> bool:
    """Add the digest job to the live service's APScheduler when ``alerts.digest`` is set;
    returns whether it was added. The board is built at the service's data clock."""
    from monitor.alerts.config import load_alert_rules

    settings = getattr(runtime, "settings", None)
    if settings is None or not getattr(settings, "alerts", None):
        return False
    setup = load_alert_rules(settings.alerts, source=settings.source_file or "config")
    spec = setup.digest
    if spec is None or not setup.enabled:
        return False
    if not setup.rules:
        log.warning("alerts.digest is set but no alert rule is: the dispatcher that delivers it does not run")
    base_url = settings.web.public_url or f"http://{settings.web.host}:{settings.web.port}"
    zones = runtime.zones.versions if runtime.zones is not None else (lambda: runtime.pipeline.geofence.index.versions)
    live = getattr(runtime.pipeline, "live", None)

    def job() -> None:
        try:
            send_digest(
                runtime.store, zones, setup, clock(), base_url=base_url,
                live=(lambda: live.snapshot.aircraft) if live is not None else None,
            )
        except Exception:  # a failing digest must not stop the scheduler; retried tomorrow
            log.exception("daily digest failed")

    scheduler.add_job(
        job, "cron", hour=spec.hour_local, minute=0, timezone=ZoneInfo(spec.timezone),
        id="daily-digest", max_instances=1, coalesce=True, misfire_grace_time=3600,
    )
    log.info("daily digest at %02d:00 %s to %s", spec.hour_local, spec.timezone, ", ".join(spec.channels))
    return True
