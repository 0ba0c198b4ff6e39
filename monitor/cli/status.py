"""``monitor status``: the airspace status board in the terminal (rich tables), as JSON, or
as the daily digest's text."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

import orjson
import typer
from rich.table import Table

from monitor.cli import context
from monitor.errors import MonitorError
from monitor.logsetup import setup_logging
from monitor.timeutil import parse_utc_lenient, utcnow


class StatusFormat(StrEnum):
    table = "table"
    json = "json"


def _when(text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        return parse_utc_lenient(text)
    except ValueError:
        raise MonitorError(f"--at: not an ISO-8601 time: {text!r} (e.g. 2026-01-03T12:00Z)") from None


def _short(iso: str | None) -> str:
    return "further notice" if not iso else iso.replace("T", " ")[:16] + "Z"


def _counts(rows: list[dict[str, Any]], n: int = 4) -> str:
    if not rows:
        return "-"
    text = ", ".join(f"{r['key'] or 'unknown'} {r['flights']}" for r in rows[:n])
    return text + (f" +{len(rows) - n}" if len(rows) > n else "")


def _sources(urls: list[str]) -> str:
    """``; sources: guardian.co.tt, visaverge.com`` (the full addresses: ``--format json``)."""
    if not urls:
        return "; no source address"
    hosts = [u.split("://", 1)[-1].split("/", 1)[0].removeprefix("www.") for u in urls]
    return "; sources: " + ", ".join(dict.fromkeys(hosts))


def _print_board(board: dict[str, Any]) -> None:
    console = context.make_console()
    style = "bold red" if board["binding_in_force"] else "bold green"
    console.print(f"Airspace status board at {_short(board['at'])}", style="bold")
    console.print(board["headline"], style=style)
    console.print(f"flights from {board['flights_source']}", style="dim")
    table = Table(show_lines=True)
    for col in ("FIR", "rules in force (whom they bind, since, until, authority, sources)",
                "changed, last 24 h", "flights now", "by registry", "by operator", "reroutes 24 h"):
        table.add_column(col, overflow="fold")
    for f in board["firs"]:
        if not (f["watched"] or f["rules"] or f["flights_now"]["total"]):
            continue
        rules = "\n".join(
            f"{'[red]BINDING[/] ' if r['binding'] else ''}{r['authority']} {r['kind']}: binds {r['binds_text']}; "
            f"{_short(r['since'])} to {_short(r['until'])}" + _sources(r["sources"])
            for r in f["rules"]
        ) or "none"
        changes = "\n".join(f"{_short(c['at'])} {c['authority']} {c['kind']} {c['change']}" for c in f["changes_24h"]) or "-"
        rr = f["reroutes_24h"]
        rr_text = "\n".join(
            f"{x['callsign']} +{x['extra_distance_km'] or 0:.0f} km +{x['extra_time_min'] or 0:.0f} min" for x in rr[:4]
        ) + (f"\n+{len(rr) - 4} more" if len(rr) > 4 else "")
        table.add_row(
            f"{f['fir']}\n{f['name']}", rules, changes, str(f["flights_now"]["total"]),
            _counts(f["flights_now"]["by_registry"]), _counts(f["flights_now"]["by_operator"]), rr_text or "-",
        )
    console.print(table)
    tr = board["traffic"]
    base = tr["baseline"]["flights_per_day"]
    days = ", ".join(f"{d['day']} {d['flights']}" for d in tr["days"]) or "none counted"
    console.print(f"Flights a day through {tr['zone']}: {days}; baseline "
                  f"{'no stored counts' if base is None else f'{base:g} a day'}")
    for r in board["operator_returns"]:
        console.print(f"Operator return: {r['text']}")
    opened = ", ".join(f"{k} {n}" for k, n in board["open_incidents"].items()) or "none"
    console.print(f"Open incidents: {opened}")


def status(
    at: Annotated[str | None, typer.Option("--at", help="Time of the board (ISO-8601 UTC; default now).")] = None,
    fmt: Annotated[StatusFormat, typer.Option("--format", help="table or json.")] = StatusFormat.table,
    digest: Annotated[bool, typer.Option("--digest", help="Print the daily digest's text instead.")] = False,
) -> None:
    """The airspace status board: per FIR the rules in force and whom they bind (with their
    sources), what changed in the last 24 h, the flights inside by State of registry and
    operator, the reroutes of the last 24 h; traffic against the baseline, operator returns."""
    from monitor.service.runtime import load_shipped_zones, merge_zones
    from monitor.web.api_status_board import build_status_board

    settings = context.get_settings()
    setup_logging(settings.log_level, settings.log_format)
    when = _when(at) or utcnow()
    with context.open_store() as store:
        zones = merge_zones(load_shipped_zones(settings), store)
        board = build_status_board(store, zones, when)
    if digest:
        from monitor.alerts.digest import digest_text

        tz = "America/Caracas"
        spec = (settings.alerts or {}).get("digest") if isinstance(settings.alerts, dict) else None
        if isinstance(spec, dict) and spec.get("timezone"):
            tz = str(spec["timezone"])
        base_url = settings.web.public_url or f"http://{settings.web.host}:{settings.web.port}"
        typer.echo(digest_text(board, timezone=tz, base_url=base_url))
        return
    if fmt is StatusFormat.json:
        typer.echo(orjson.dumps(board, option=orjson.OPT_INDENT_2).decode())
        return
    _print_board(board)
