"""The ``monitor`` command line."""

from __future__ import annotations

import logging
import sys
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import orjson
import typer
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from monitor.cli import context
from monitor.errors import MonitorError
from monitor.logsetup import setup_logging
from monitor.timeutil import parse_utc_lenient

console = context.make_console()
err_console = Console(stderr=True)

app = typer.Typer(
    name="monitor",
    help=(
        "Airspace and maritime incident monitor for the southern Caribbean: polls public "
        "flight-tracking and AIS feeds, geofences every position against the declared "
        "closed airspace (SVZM) and strike zones, and records incidents."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def _global(
    config: Annotated[
        Path | None,
        typer.Option("--config", "-c", help="YAML config file (env MONITOR_CONFIG; default config/monitor.yaml)."),
    ] = None,
    database_url: Annotated[
        str | None, typer.Option("--database-url", help="Database URL (env DATABASE_URL).")
    ] = None,
    log_level: Annotated[
        str | None, typer.Option("--log-level", help="DEBUG, INFO, WARNING or ERROR.")
    ] = None,
    log_format: Annotated[
        str | None, typer.Option("--log-format", help="text or json (env MONITOR_LOG_FORMAT).")
    ] = None,
) -> None:
    context.STATE.config = config
    context.STATE.overrides = {
        "database_url": database_url,
        "log_level": log_level.upper() if log_level else None,
        "log_format": log_format,
    }
    context.STATE._settings = None


def _settings_and_logging():  # type: ignore[no-untyped-def]
    settings = context.get_settings()
    setup_logging(settings.log_level, settings.log_format)
    return settings


def _when(text: str | None, name: str) -> datetime | None:
    if text is None:
        return None
    try:
        return parse_utc_lenient(text)
    except ValueError:
        raise MonitorError(f"--{name}: not an ISO-8601 time: {text!r} (e.g. 2025-12-02T10:00Z)") from None


# --- replay ---------------------------------------------------------------------------------


@app.command()
def replay(
    capture: Annotated[
        Path,
        typer.Argument(help="Capture file (JSON Lines, .gz accepted), or a raw NMEA log (.nmea, .nm4, .aivdm)."),
    ],
    speed: Annotated[
        float | None,
        typer.Option(help="Speed factor (60 = one hour of data per minute); default: as fast as possible."),
    ] = None,
    resume: Annotated[bool, typer.Option(help="Continue after the last batch a killed replay stored.")] = False,
    report_json: Annotated[
        Path | None, typer.Option("--report", help="Also write the replay report as JSON here.")
    ] = None,
    finish_s: Annotated[
        float, typer.Option(help="Let data time run on this many seconds after the last record.")
    ] = 1800.0,
    routes: Annotated[
        list[Path] | None,
        typer.Option(help="Route CSV (callsign,origin_icao,destination_icao); default: NAME.routes.csv beside the capture."),
    ] = None,
    labels: Annotated[
        Path | None,
        typer.Option(help="Ground-truth labels (a scenario's *_labels.json): print precision and recall."),
    ] = None,
    parse_worker: Annotated[
        bool | None,
        typer.Option(
            "--parse-worker/--no-parse-worker",
            help="Read and parse the file in a second process, one batch ahead; default: for files of 8 MB and more on a machine with two cores or more.",
        ),
    ] = None,
) -> None:
    """Run a capture file through the whole pipeline and store the incidents."""
    from monitor.service.replay import replay as run_replay
    from monitor.service.runtime import build_runtime, companion_routes

    if not capture.is_file():
        raise MonitorError(f"capture file {capture} does not exist")
    route_files = [str(p) for p in routes or []]
    if not route_files and (found := companion_routes(capture)) is not None:
        route_files = [str(found)]
        err_console.print(f"routes: using {found}")
    if route_files:
        context.STATE.overrides["routes_csv"] = route_files
        context.STATE._settings = None
    settings = _settings_and_logging()
    runtime = build_runtime(settings)
    try:
        with Progress(
            TextColumn("[bold]replay[/] {task.description}"),
            BarColumn(),
            DownloadColumn(),
            TimeRemainingColumn(),
            console=err_console,
            transient=True,
            disable=not err_console.is_terminal,
        ) as progress:
            task = progress.add_task(capture.name, total=None)

            def on_progress(done: int, total: int) -> None:
                progress.update(task, completed=done, total=total)

            report = run_replay(
                runtime.pipeline, capture, speed=speed, resume=resume, progress=on_progress,
                finish_s=finish_s, parse_worker=parse_worker,
            )
    finally:
        runtime.close()
    _print_replay_report(report)
    if labels is not None:
        _print_scores(settings, labels)
    if report_json is not None:
        report_json.write_bytes(orjson.dumps(_report_dict(report), option=orjson.OPT_INDENT_2))


def _report_dict(report) -> dict:  # type: ignore[no-untyped-def]
    s = report.stats
    return {
        "capture": str(report.path),
        "lines": report.lines,
        "records": s.records,
        "observations": s.observations,
        "accepted": s.accepted,
        "incidents_opened": s.opened,
        "incident_changes": s.changes,
        "zone_versions": s.zone_versions,
        "notices": s.notices,
        "bad_lines": report.bad_line_reasons,
        "bad_line_examples": [
            {"line": p.line, "reason": p.reason, "detail": p.detail} for p in report.bad_lines[:20]
        ],
        "unusable_bodies": dict(s.unusable_bodies),
        "skipped_items": dict(s.parse_errors),
        "wall_s": round(report.wall_s, 3),
        "parse_worker": report.parse_worker,
    }


def _print_replay_report(report) -> None:  # type: ignore[no-untyped-def]
    s = report.stats
    console.print(
        f"[bold]{report.path.name}[/]: {s.records} records, {s.observations} observations "
        f"({s.accepted} after fusion), {s.opened} incidents opened, {s.changes} changes, "
        f"{s.zone_versions} zone versions from feeds, in {report.wall_s:.1f} s"
        + (" (read and parsed in a worker process)" if report.parse_worker else "")
    )
    if report.skipped_lines:
        console.print(f"resumed: {report.skipped_lines} lines already replayed were skipped")
    if report.bad_lines:
        console.print(f"[yellow]{sum(report.bad_line_reasons.values())} line(s) not read:[/]")
        for p in report.bad_lines[:10]:
            console.print(f"  line {p.line}: {p.reason}: {p.detail}")
    if s.unusable_bodies:
        console.print("[yellow]records whose body could not be used:[/]")
        for k, n in sorted(s.unusable_bodies.items()):
            console.print(f"  {k}: {n}")
    if s.parse_errors:
        console.print("items skipped inside records (feed:reason):")
        for k, n in sorted(s.parse_errors.items(), key=lambda kv: -kv[1])[:25]:
            console.print(f"  {k}: {n}")


def _print_scores(settings, labels_path: Path) -> None:  # type: ignore[no-untyped-def]
    from monitor.sim.labels import LabelSet
    from monitor.sim.scoring import format_scores, score
    from monitor.store import IncidentQuery, Store

    label_set = LabelSet.read(labels_path)
    store = Store.open(settings.database_url)
    try:
        rows: list = []
        cursor = None
        while True:
            page, cursor = store.query_incidents(IncidentQuery(limit=1000, cursor=cursor))
            rows.extend(page)
            if cursor is None:
                break
    finally:
        store.close()
    console.print(format_scores(score([r._mapping for r in rows], label_set)))


# --- incidents ------------------------------------------------------------------------------


class OutFormat(StrEnum):
    table = "table"
    json = "json"
    geojson = "geojson"
    csv = "csv"
    kml = "kml"
    geoparquet = "geoparquet"


@app.command()
def incidents(
    since: Annotated[str | None, typer.Option(help="Active at or after this time (ISO-8601, UTC).")] = None,
    until: Annotated[str | None, typer.Option(help="Active at or before this time.")] = None,
    bbox: Annotated[str | None, typer.Option(help="min_lon,min_lat,max_lon,max_lat")] = None,
    zone: Annotated[str | None, typer.Option(help="Zone id, e.g. SVZM.")] = None,
    kind: Annotated[list[str] | None, typer.Option(help="Incident kind (repeatable).")] = None,
    severity: Annotated[str | None, typer.Option(help="Minimum severity: info, low, medium, high, critical.")] = None,
    subject: Annotated[str | None, typer.Option(help="ICAO hex, callsign, MMSI or vessel name.")] = None,
    status: Annotated[str | None, typer.Option(help="open or closed.")] = None,
    limit: Annotated[int, typer.Option(help="At most this many (1-1000); use --all for every page.")] = 100,
    all_pages: Annotated[bool, typer.Option("--all", help="Follow pages until the end.")] = False,
    fmt: Annotated[OutFormat, typer.Option("--format", "-f", help="Output format.")] = OutFormat.table,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Write to this file instead of stdout.")] = None,
) -> None:
    """Query recorded incidents (the same filters as GET /api/incidents)."""
    from monitor import export
    from monitor.domain import IncidentKind, Severity
    from monitor.store import IncidentQuery
    from monitor.store.queries import parse_bbox

    settings = _settings_and_logging()
    kinds = tuple(kind or ())
    valid_kinds = {k.value for k in IncidentKind}
    for k in kinds:
        if k not in valid_kinds:
            raise MonitorError(f"--kind: unknown kind {k!r}; known: {', '.join(sorted(valid_kinds))}")
    if severity is not None and severity not in {s.value for s in Severity}:
        raise MonitorError(f"--severity: unknown severity {severity!r}")
    query = IncidentQuery(
        since=_when(since, "since"),
        until=_when(until, "until"),
        bbox=parse_bbox(bbox) if bbox else None,
        zone=zone,
        kinds=kinds,
        min_severity=severity,
        subject=subject,
        status=status,
        limit=limit,
    )
    from monitor.store import Store

    context.check_database_exists(settings.database_url)
    store = Store.open(settings.database_url)
    rows: list = []
    try:
        _check_zone(settings, store, zone)
        cursor = None
        while True:
            page, cursor = store.query_incidents(
                IncidentQuery(**{**query.__dict__, "cursor": cursor})
            )
            rows.extend(page)
            if not all_pages or cursor is None:
                break
    finally:
        store.close()
    base_url = settings.web.public_url or f"http://{settings.web.host}:{settings.web.port}"
    if fmt is OutFormat.table:
        _print_incident_table(rows)
        return
    if fmt is OutFormat.geoparquet:
        if out is None:
            raise MonitorError("--format geoparquet needs --out FILE")
        export.write_geoparquet(rows, out)
        err_console.print(f"wrote {len(rows)} incidents to {out}")
        return
    if fmt is OutFormat.json:
        text = orjson.dumps(export.incidents_json(rows), option=orjson.OPT_INDENT_2).decode()
    elif fmt is OutFormat.geojson:
        text = orjson.dumps(export.incidents_geojson(rows, base_url=base_url)).decode()
    elif fmt is OutFormat.csv:
        text = export.incidents_csv(rows)
    else:
        text = export.incidents_kml(rows)
    if out is not None:
        out.write_text(text, encoding="utf-8")
        err_console.print(f"wrote {len(rows)} incidents to {out}")
    else:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")


def _check_zone(settings, store, zone: str | None) -> None:  # type: ignore[no-untyped-def]
    """``--zone`` must name a zone (shipped or stored) or one incidents were recorded in,
    as ``GET /api/incidents?zone=`` answers 400 otherwise: a typo is not "no incidents"."""
    if zone is None:
        return
    from monitor.service.runtime import load_zone_versions
    from monitor.store import IncidentQuery

    if any(v.zone_id == zone for v in load_zone_versions(settings, store)):
        return
    if store.query_incidents(IncidentQuery(zone=zone, limit=1))[0]:
        return
    raise MonitorError(f"--zone: unknown zone {zone!r} (monitor zones list shows the zones)")


def _print_incident_table(rows: list) -> None:  # type: ignore[type-arg]
    table = Table(title=f"{len(rows)} incident(s)", show_lines=False)
    for col in ("id", "kind", "sev", "status", "subject", "zone", "started (UTC)", "last / ended", "summary"):
        table.add_column(col, overflow="fold")
    for r in rows:
        end = r.ended_at or r.last_seen_at
        table.add_row(
            str(r.id),
            r.kind,
            r.severity,
            r.status,
            (r.subject_label or r.subject_id or "").strip(),
            r.zone_id or "",
            f"{r.started_at:%Y-%m-%d %H:%M}",
            f"{end:%H:%M}" if end else "",
            r.summary or "",  # whole: rich wraps it at word boundaries
        )
    console.print(table)


# --- map ------------------------------------------------------------------------------------


@app.command("map")
def static_map(
    out: Annotated[Path, typer.Option("--out", "-o", help="HTML file to write.")] = Path("incidents.html"),
    since: Annotated[str | None, typer.Option(help="Active at or after this time.")] = None,
    until: Annotated[str | None, typer.Option(help="Active at or before this time.")] = None,
    zone: Annotated[str | None, typer.Option(help="Zone id.")] = None,
    kind: Annotated[list[str] | None, typer.Option(help="Incident kind (repeatable).")] = None,
    limit: Annotated[int, typer.Option(help="At most this many incidents.")] = 1000,
) -> None:
    """Write a self-contained static map (folium) of zones and a query's incidents."""
    from monitor.service.runtime import load_zone_versions
    from monitor.store import IncidentQuery, Store
    from monitor.web.static_map import build_static_map

    settings = _settings_and_logging()
    context.check_database_exists(settings.database_url)
    store = Store.open(settings.database_url)
    try:
        _check_zone(settings, store, zone)
        rows, _ = store.query_incidents(
            IncidentQuery(
                since=_when(since, "since"), until=_when(until, "until"), zone=zone,
                kinds=tuple(kind or ()), limit=min(limit, 1000),
            )
        )
        at = _when(until, "until") or _when(since, "since")
        zones = load_zone_versions(settings, store)
    finally:
        store.close()
    html = build_static_map(zones, rows, at=at)
    out.write_text(html, encoding="utf-8")
    console.print(f"wrote {out} ({len(rows)} incidents, {len(zones)} zone versions)")


# --- run / demo -----------------------------------------------------------------------------


@app.command()
def run(
    record: Annotated[
        Path | None, typer.Option(help="Record every feed response to this capture file.")
    ] = None,
    host: Annotated[str | None, typer.Option(help="Web server address (env MONITOR_HOST).")] = None,
    port: Annotated[int | None, typer.Option(help="Web server port (env MONITOR_PORT).")] = None,
    web: Annotated[bool, typer.Option(help="Serve the live map and API.")] = True,
    feeds: Annotated[
        str | None,
        typer.Option(
            help="Comma-separated names of the configured feeds this process runs "
            "(default: all; env MONITOR_FEEDS). For several processes sharing one database."
        ),
    ] = None,
) -> None:
    """Run live: poll the configured feeds, detect, store, and serve the map."""
    from monitor.service.main import run_live

    run_feeds = [n.strip() for n in feeds.split(",") if n.strip()] if feeds else None
    context.STATE.overrides.update(
        {
            "web.host": host,
            "web.port": port,
            "record_path": str(record) if record else None,
            "run_feeds": run_feeds,
        }
    )
    context.STATE._settings = None
    settings = _settings_and_logging()
    run_live(settings, web=web, console=console)


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Address (env MONITOR_HOST; default 127.0.0.1).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (env MONITOR_PORT; default 8000).")] = None,
    workers: Annotated[
        int, typer.Option(min=1, help="Worker processes; about one per core.")
    ] = 2,
) -> None:
    """Serve the history (incidents, exports, zones, traffic, pages) from the database,
    without feeds, in several processes: for many readers, beside the `monitor run`
    processes that write (README "Several processes, one database")."""
    import os

    from monitor.store.db import make_engine, migrate
    from monitor.web.server import run_workers

    context.STATE.overrides.update({"web.host": host, "web.port": port})
    context.STATE._settings = None
    settings = _settings_and_logging()
    # the workers read their settings as the CLI does: hand them what was given here
    if context.STATE.config is not None:
        os.environ["MONITOR_CONFIG"] = str(context.STATE.config)
    os.environ["DATABASE_URL"] = settings.database_url
    migrate(make_engine(settings.database_url))  # workers never migrate
    console.print(
        f"serving the history of {make_engine(settings.database_url).url.render_as_string(hide_password=True)} "
        f"at http://{settings.web.host}:{settings.web.port} with {workers} worker(s); Ctrl-C stops"
    )
    # each worker serves the shipped zones merged with the stored ones and follows changes
    run_workers(
        settings.web.host,
        settings.web.port,
        workers=workers,
        factory="monitor.service.main:history_app",
    )


@app.command()
def demo(
    speed: Annotated[float, typer.Option(help="Scenario seconds per wall-clock second.")] = 40.0,
    port: Annotated[int, typer.Option(help="Port of the map and API.")] = 8000,
    database: Annotated[
        Path, typer.Option(help="SQLite file for the demo (recreated each run).")
    ] = Path("var/demo.sqlite"),
    duration_s: Annotated[
        float | None, typer.Option(help="Stop after this many wall-clock seconds (default: Ctrl-C).")
    ] = None,
) -> None:
    """Run the whole service on the bundled SYNTHETIC scenario: local fake feeds, real
    adapters, SQLite, console alerts, and the map at http://127.0.0.1:PORT."""
    from monitor.service.demo import run_demo

    setup_logging("INFO", "text")
    run_demo(speed=speed, port=port, database=database, duration_s=duration_s, console=console)


@app.command()
def feeds() -> None:
    """List the configured feeds: which run, which wait for a key."""
    from monitor.service.feeds import describe_feeds

    settings = _settings_and_logging()
    table = Table(title="feeds")
    for col in ("name", "type", "state", "interval", "why"):
        table.add_column(col)
    for row in describe_feeds(settings):
        table.add_row(*row)
    console.print(table)


db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
app.add_typer(db_app, name="db")


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Create or upgrade the schema (Alembic) at DATABASE_URL."""
    from monitor.store.db import make_engine, migrate

    settings = _settings_and_logging()
    engine = make_engine(settings.database_url)
    migrate(engine)
    console.print(f"schema up to date at {engine.url.render_as_string(hide_password=True)}")


def _register_optional() -> None:
    """Sub-commands that live in their own modules."""
    try:
        from monitor.cli.zones import app as zones_app

        app.add_typer(zones_app, name="zones")
    except ImportError as exc:  # pragma: no cover - only while a module is being written
        logging.getLogger(__name__).debug("zones commands unavailable: %s", exc)
    try:
        from monitor.cli.simulate import simulate

        app.command("simulate")(simulate)
    except ImportError as exc:  # pragma: no cover
        logging.getLogger(__name__).debug("simulate unavailable: %s", exc)
    try:
        from monitor.cli.backfill import backfill

        app.command("backfill")(backfill)
    except ImportError as exc:  # pragma: no cover
        logging.getLogger(__name__).debug("backfill unavailable: %s", exc)
    try:
        from monitor.cli.status import status

        app.command("status")(status)
    except ImportError as exc:  # pragma: no cover
        logging.getLogger(__name__).debug("status unavailable: %s", exc)
    try:
        from monitor.cli.alerts import app as alerts_app

        app.add_typer(alerts_app, name="alerts")
    except ImportError:
        pass


_register_optional()


def main() -> None:
    """Entry point: user mistakes print a message and exit 2, never a traceback."""
    try:
        app()
    except MonitorError as exc:
        err_console.print(f"[bold red]error:[/] {exc}")
        sys.exit(2)
    except KeyboardInterrupt:
        err_console.print("interrupted")
        sys.exit(130)


if __name__ == "__main__":
    main()
