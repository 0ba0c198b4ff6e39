"""``monitor simulate``: write the SYNTHETIC demo scenario as a capture file with labels."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from monitor.sim.generator import write_capture, write_labels, write_routes
from monitor.sim.scenario import DEFAULT_HOURS, DEFAULT_SEED, build_scenario


def _default_labels(out: Path) -> Path:
    name = out.name
    for suffix in (".jsonl.gz", ".jsonl", ".gz"):
        if name.endswith(suffix):
            name = name[: -len(suffix)]
            break
    return out.with_name(f"{name}_labels.json")


def simulate(
    out: Annotated[
        Path,
        typer.Option(
            "--out",
            "-o",
            help="Capture file to write (JSON Lines; gzip-compressed when it ends in .gz).",
        ),
    ] = Path("var/demo_scenario.jsonl.gz"),
    labels_out: Annotated[
        Path | None,
        typer.Option(
            "--labels-out",
            help="Ground-truth labels JSON to write (default: beside OUT, named *_labels.json).",
        ),
    ] = None,
    seed: Annotated[
        int, typer.Option("--seed", help="Seed of the jitter (report times, RSSI, NIC values).")
    ] = DEFAULT_SEED,
    hours: Annotated[
        float,
        typer.Option(
            "--hours",
            min=0.1,
            max=DEFAULT_HOURS,
            help="Length of scenario to write, from 2026-01-03 10:00Z (at most 3).",
        ),
    ] = DEFAULT_HOURS,
    outage: Annotated[
        bool,
        typer.Option(
            "--outage/--no-outage",
            help="Write the AIS feed-outage variant (no vessel goes dark; the feeds do).",
        ),
    ] = False,
) -> None:
    """Write a SYNTHETIC labelled scenario of the southern Caribbean as a capture file.

    Every aircraft, vessel and label in it is made up: it exists to demonstrate the monitor and to measure its detectors (monitor replay FILE, then score the incidents against the labels). A routes CSV for the reroute detector is written beside the labels.
    """
    console = Console()
    scn = build_scenario("outage" if outage else "demo", seed, hours)
    labels_path = labels_out or _default_labels(out)
    routes_path = labels_path.with_name(labels_path.name.replace("_labels.json", "_routes.csv"))
    if routes_path == labels_path:
        routes_path = labels_path.with_suffix(".routes.csv")
    if out.exists():
        out.unlink()
    console.print(
        f"[bold yellow]SYNTHETIC[/] scenario [bold]{scn.name}[/]: "
        f"{scn.start:%Y-%m-%d %H:%MZ} to {scn.end:%H:%MZ}, seed {seed}: "
        f"{len(scn.flights)} aircraft, {len(scn.voyages)} vessel tracks, "
        f"{len(scn.labels)} labels. Nothing in it is real."
    )
    with Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    ) as progress:
        task = progress.add_task("writing capture", total=1.0)
        count = write_capture(scn, out, progress=lambda f: progress.update(task, completed=f))
    write_labels(scn, labels_path)
    write_routes(scn, routes_path)
    console.print(f"wrote {count:,} records to {out} ({out.stat().st_size:,} bytes)")
    console.print(f"wrote labels to {labels_path} and routes to {routes_path}")
    console.print(f"replay it with: monitor replay {out}")
