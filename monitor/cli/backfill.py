"""``monitor backfill PATH...``: history before install, from public archives.

Registered by ``monitor.cli.app``; the work is :func:`monitor.backfill.run.backfill`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import orjson
import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from monitor.cli import context
from monitor.errors import MonitorError
from monitor.logsetup import setup_logging
from monitor.timeutil import parse_utc_lenient

console = context.make_console()
err_console = Console(stderr=True)


def _when(text: str | None, name: str) -> Any:
    if text is None:
        return None
    try:
        return parse_utc_lenient(text)
    except ValueError:
        raise MonitorError(f"--{name}: not an ISO-8601 time: {text!r} (e.g. 2025-12-02T10:00Z)") from None


def backfill(
    paths: Annotated[
        list[str],
        typer.Argument(
            help="Files, folders or glob patterns (.gz accepted): readsb/tar1090 traces, "
            "OpenSky tracks/flights JSON and history CSV, MarineCadastre AIS CSV, NGA MSI "
            "broadcast-warn JSON, capture files, raw NMEA logs.",
        ),
    ],
    since: Annotated[str | None, typer.Option(help="Import fixes at or after this time (ISO-8601, UTC).")] = None,
    until: Annotated[str | None, typer.Option(help="Import fixes at or before this time.")] = None,
    bbox: Annotated[str | None, typer.Option(help="Import positions inside min_lon,min_lat,max_lon,max_lat.")] = None,
    resume: Annotated[bool, typer.Option(help="Finish an import of the same files that was killed.")] = False,
    alerts: Annotated[bool, typer.Option("--alerts/--no-alerts", help="Queue alerts for the incidents found (default: off).")] = False,
    finish_s: Annotated[float, typer.Option(help="Let data time run on this many seconds after the last fix.")] = 1800.0,
    report_json: Annotated[Path | None, typer.Option("--report", help="Also write the import report as JSON here.")] = None,
    batch_span_s: Annotated[float, typer.Option(help="Data time one pipeline batch spans at most (seconds).")] = 300.0,
    parse_worker: Annotated[
        bool | None,
        typer.Option("--parse-worker/--no-parse-worker", help="Read the files in a second process, one batch ahead; default: for 8 MB of files and more on two cores or more."),
    ] = None,
) -> None:
    """Import archived positions and warnings and detect incidents in them, as if live."""
    from monitor.backfill.run import Cut, run_backfill_report
    from monitor.backfill.run import backfill as run_backfill
    from monitor.service.runtime import build_runtime
    from monitor.store.queries import parse_bbox

    cut = Cut(_when(since, "since"), _when(until, "until"), parse_bbox(bbox) if bbox else None)
    if cut.since and cut.until and cut.since > cut.until:
        raise MonitorError(f"--since {since} is after --until {until}")
    from monitor.backfill.reader import expand_paths

    expand_paths(paths)  # a path that names nothing is a user error, before any set-up
    settings = context.get_settings()
    setup_logging(settings.log_level, settings.log_format)
    runtime = build_runtime(settings)
    try:
        if alerts:
            from monitor.alerts.service import build_alerting
            from monitor.service.main import base_url

            alerting = build_alerting(
                settings, runtime.store, base_url=base_url(settings),
                known_zone_ids={v.zone_id for v in runtime.pipeline.geofence.index.versions},
            )
            runtime.pipeline.outbox = alerting.engine if alerting is not None else None
            if alerting is None:
                err_console.print("--alerts: no alert rules in the configuration; none queued")
        with Progress(
            TextColumn("[bold]backfill[/]"),
            BarColumn(),
            TextColumn("{task.fields[records]:,} records, {task.fields[obs]:,} positions, "
                       "{task.fields[incidents]:,} incidents, data time {task.fields[t]}"),
            TimeElapsedColumn(),
            console=err_console,
            transient=True,
            disable=not err_console.is_terminal,
        ) as progress:
            task = progress.add_task("import", total=None, records=0, obs=0, incidents=0, t="")

            def on_progress(report: Any) -> None:
                rows = sum(f.rows for f in report.files)
                now = runtime.pipeline.now
                progress.update(
                    task, records=rows, obs=report.positions, incidents=report.stats.opened,
                    t=now.strftime("%Y-%m-%d %H:%MZ") if now else "",
                )

            report = run_backfill(
                runtime.pipeline, paths, cut=cut, resume=resume, finish_s=finish_s,
                batch_span_s=batch_span_s, progress=on_progress, parse_worker=parse_worker,
            )
    finally:
        runtime.close()
    for line in run_backfill_report(report):
        console.print(line, markup=False, highlight=False)
    if report_json is not None:
        report_json.write_bytes(orjson.dumps(report.as_dict(), option=orjson.OPT_INDENT_2))
