"""``monitor alerts``: recent deliveries and failures, test a rule, send dead alerts again."""

from __future__ import annotations

import asyncio
import json
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from monitor.cli import context
from monitor.errors import ConfigError
from monitor.logsetup import setup_logging
from monitor.timeutil import utcnow

app = typer.Typer(help="Alerts: deliveries, failures, tests.", no_args_is_help=True)

_STATE_STYLE = {"delivered": "green", "pending": "yellow", "sending": "cyan", "dead": "bold red"}


def _console() -> Console:
    """A console made per command, so it sizes itself to the terminal in use."""
    return context.make_console()


def _settings() -> Any:
    settings = context.get_settings()
    setup_logging(settings.log_level, settings.log_format)
    return settings


def _base_url(settings: Any) -> str:
    return settings.web.public_url or f"http://{settings.web.host}:{settings.web.port}"


@app.command("list")
def list_alerts(
    state: Annotated[
        str | None, typer.Option(help="Only alerts in this state: pending, sending, delivered, dead.")
    ] = None,
    rule: Annotated[str | None, typer.Option(help="Only alerts of this rule.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=10_000, help="How many (newest first).")] = 30,
    as_json: Annotated[bool, typer.Option("--json", help="JSON lines instead of a table.")] = False,
) -> None:
    """Recent alerts, newest first: what was delivered, what waits, what failed for good."""
    console = _console()
    from monitor.store.outbox import STATES, OutboxStore

    if state is not None and state not in STATES:
        raise ConfigError(f"--state: one of {', '.join(STATES)} (got {state!r})")
    _settings()
    with context.open_store() as store:
        outbox = OutboxStore.of(store)
        rows = outbox.list(limit=limit, state=state, rule=rule)
        counts = outbox.counts()
    if as_json:
        for r in rows:
            console.print_json(json.dumps(_row_doc(r)), highlight=False)
        return
    table = Table(title=f"alerts ({len(rows)} shown)")
    for col in ("id", "created (UTC)", "rule", "channel", "alert", "incident", "state", "tries", "when / last error"):
        table.add_column(col, overflow="fold")
    for r in rows:
        payload = r.payload or {}
        style = _STATE_STYLE.get(r.state, "")
        if r.state == "delivered" and r.delivered_at is not None:
            when = f"delivered {r.delivered_at:%H:%M:%S}"
        elif r.state in ("pending", "sending"):
            when = f"next {r.next_attempt_at:%H:%M:%S}" + (f" · {r.last_error}" if r.last_error else "")
        else:
            when = r.last_error or ""
        table.add_row(
            str(r.id),
            f"{r.created_at:%Y-%m-%d %H:%M:%S}",
            r.rule,
            r.channel,
            str(payload.get("title") or payload.get("kind") or ""),
            str(r.incident_id or "") or ((payload.get("zone") or {}).get("key") or ""),
            f"[{style}]{r.state}[/]" if style else r.state,
            str(r.attempts),
            when[:120],
        )
    console.print(table)
    console.print(" · ".join(f"{k}: {v}" for k, v in counts.items()))


def _row_doc(r: Any) -> dict[str, Any]:
    return {
        "id": r.id,
        "idempotency_key": r.idempotency_key,
        "rule": r.rule,
        "channel": r.channel,
        "incident_id": r.incident_id,
        "state": r.state,
        "attempts": r.attempts,
        "created_at": r.created_at.isoformat(),
        "next_attempt_at": r.next_attempt_at.isoformat() if r.next_attempt_at else None,
        "delivered_at": r.delivered_at.isoformat() if r.delivered_at else None,
        "last_error": r.last_error,
        "title": (r.payload or {}).get("title"),
    }


@app.command("test")
def test_rule(
    rule: Annotated[str, typer.Argument(help="Name of the rule (alerts.rules[].name).")],
    channel: Annotated[str | None, typer.Option(help="Only this one of the rule's channels.")] = None,
) -> None:
    """Send a sample alert, marked as a test, through every channel of RULE, and say how it went."""
    console = _console()
    from monitor.alerts.config import load_alert_rules
    from monitor.alerts.samples import sample_payloads
    from monitor.alerts.service import _known_zone_ids

    settings = _settings()
    if not settings.alerts:
        raise ConfigError("no alerts configured (the 'alerts' section of the config is empty)")
    with context.open_store() as store:
        known = _known_zone_ids(settings, store)
    setup = load_alert_rules(settings.alerts, source=settings.source_file or "config", known_zone_ids=known)
    r = setup.rule(rule)
    payloads = sample_payloads(r, now=utcnow(), base_url=setup.base_url or _base_url(settings))
    if channel is not None:
        payloads = [p for p in payloads if p["channel"] == channel]
        if not payloads:
            raise ConfigError(f"rule {rule!r} has no channel {channel!r} (it has {', '.join(r.channels)})")
    results = asyncio.run(_send_all(setup, payloads, console))
    failed = 0
    for p, res in zip(payloads, results, strict=True):
        if res.ok:
            console.print(f"[green]sent[/] {p['channel']}: {p['title']} ({res.duration_s or 0:.2f} s)")
        else:
            failed += 1
            console.print(f"[red]failed[/] {p['channel']}: {res.error}")
    if failed:
        raise typer.Exit(1)


async def _send_all(setup: Any, payloads: list[dict[str, Any]], console: Console) -> list[Any]:
    import httpx

    from monitor.alerts.channels import Redactor, build_channels, install_redactor

    redactor = Redactor(setup.secrets())
    install_redactor(redactor)
    async with httpx.AsyncClient() as client:
        channels = build_channels(setup, client, console_write=lambda text: console.print(text, highlight=False), redact=redactor)
        return [await channels[p["channel"]].send(p) for p in payloads]


@app.command("retry")
def retry(
    ids: Annotated[list[int] | None, typer.Argument(help="Alert ids to send again.")] = None,
    dead: Annotated[bool, typer.Option("--dead", help="Send every dead alert again.")] = False,
) -> None:
    """Queue alerts again (after fixing a channel): by id, or all dead ones."""
    console = _console()
    from monitor.store.outbox import OutboxStore

    if not ids and not dead:
        raise ConfigError("name alert ids or pass --dead")
    _settings()
    with context.open_store() as store:
        n = OutboxStore.of(store).requeue(ids=ids or (), state="dead" if dead else None)
    console.print(f"{n} alert(s) queued again; a running monitor sends them within seconds")


@app.command("rules")
def rules() -> None:
    """The configured rules and their channels."""
    console = _console()
    from monitor.alerts.config import load_alert_rules

    settings = _settings()
    setup = load_alert_rules(settings.alerts or {}, source=settings.source_file or "config")
    table = Table(title="alert rules")
    for col in ("rule", "kinds", "zones", "min severity", "subjects", "channels", "cooldown", "close"):
        table.add_column(col, overflow="fold")
    for r in setup.rules:
        subjects = [
            *sorted(r.subjects.icao24),
            *r.subjects.callsigns,
            *sorted(r.subjects.mmsi),
            *sorted(r.subjects.feeds),
        ]
        table.add_row(
            r.name,
            ", ".join(sorted(r.kinds)) or "all",
            ", ".join(r.zones) or "any",
            r.min_severity.value,
            ", ".join(subjects) or "any",
            ", ".join(f"{c} ({setup.channels[c].type})" for c in r.channels),
            f"{r.cooldown_s:.0f} s",
            "yes" if r.on_close else "no",
        )
    console.print(table)
