"""``monitor zones``: list, show, history, import, declare, amend, lift.

The shipped zones (``geodata/``, :func:`~monitor.zones.bundled.load_bundled_zones`) are
merged with the stored versions (``open_zone_store``) in a
:class:`~monitor.zones.registry.ZoneRegistry`; new versions are built by the registry and
stored through the store. A user's mistake (unknown zone, invalid file, bad time) prints
one clear line and exits with code 2, without a traceback.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import shapely
import typer
from pyproj import Geod
from rich.console import Console
from rich.table import Table

from monitor.cli.context import get_settings, make_console, open_zone_store, read_only
from monitor.domain.zone import AppliesTo, BindingScope, ZoneKind, ZoneStatus, ZoneVersion
from monitor.errors import MonitorError, ZoneError
from monitor.timeutil import iso_z, parse_utc_lenient, utcnow
from monitor.zones.altitude import format_altitude, parse_altitude_ft
from monitor.zones.bundled import load_bundled_zones
from monitor.zones.fields import ImportDefaults, check_version_fields
from monitor.zones.geometry import check_area
from monitor.zones.reader import read_zone_bytes
from monitor.zones.registry import ZoneRegistry


def _out() -> Console:
    """A console made per command, so it reads the terminal width (``COLUMNS``) of the run."""
    return make_console()


def _err() -> Console:
    return make_console(stderr=True)


app = typer.Typer(
    help=(
        "Zones: the declared closed airspace, FIRs, strike zones and your own watch areas, "
        "with their versions over time (declare, amend, lift)."
    ),
    no_args_is_help=True,
)

_GEOD = Geod(ellps="WGS84")

KindOpt = Annotated[ZoneKind | None, typer.Option("--kind", help="Zone kind.")]
StatusOpt = Annotated[ZoneStatus | None, typer.Option("--status", help="Zone status.")]
AppliesOpt = Annotated[
    AppliesTo | None, typer.Option("--applies-to", help="aircraft, vessels or both.")
]
AuthorityOpt = Annotated[
    str | None, typer.Option("--authority", help="Who declares it (FAA, EASA, user...).")
]
GeometryOpt = Annotated[
    Path | None,
    typer.Option("--geometry", help="GeoJSON / KML file holding the area (one feature)."),
]
BboxOpt = Annotated[
    str | None, typer.Option("--bbox", help="Area as WEST,SOUTH,EAST,NORTH in degrees.")
]
LikeOpt = Annotated[
    str | None, typer.Option("--like", help="Use the area of another zone (e.g. FIR-TTZP).")
]
BindsOpt = Annotated[
    str | None,
    typer.Option(
        "--binds",
        help="Whom the rule binds: all, civil, operators:US, carriers:IBE,AEA, nobody "
        "(default: all for prohibited/closed, else nobody).",
    ),
]
SourceUrlOpt = Annotated[
    str | None, typer.Option("--source-url", help="http(s) address of the source.")
]
NotesOpt = Annotated[
    str | None,
    typer.Option("--notes", help="What sources disagree on, the area's caveats."),
]


@contextmanager
def _user_errors() -> Iterator[None]:
    """Turn the monitor's own errors into one line on stderr and exit code 2."""
    try:
        yield
    except MonitorError as exc:
        _err().print(f"[bold red]error:[/] {exc}")
        raise typer.Exit(code=2) from None


@contextmanager
def _registry() -> Iterator[tuple[Any, ZoneRegistry]]:
    with open_zone_store() as store:
        yield store, ZoneRegistry.merged(_bundled(), store.list_versions())


@app.command("list")
def list_zones(
    at: Annotated[
        str | None, typer.Option("--at", help="Time to evaluate (ISO-8601, UTC; default now).")
    ] = None,
    kind: KindOpt = None,
    in_force: Annotated[
        bool, typer.Option("--in-force", help="Only zones with a version in force at --at.")
    ] = False,
) -> None:
    """Every zone, with the version governing it at a time (default: now)."""
    with _user_errors(), read_only(), _registry() as (_, registry):  # a query creates no database
        when = _time(at, "--at") or utcnow()
        table = Table(title=f"Zones at {iso_z(when)}")
        for col in ("zone", "name", "kind", "status", "binds", "authority", "valid", "versions"):
            table.add_column(col)
        shown = 0
        binding = 0
        for zone_id in registry.zone_ids():
            gov = registry.governing(zone_id, when)
            latest = registry.latest(zone_id)
            assert latest is not None
            shown_v = gov or latest
            if kind is not None and shown_v.kind is not kind:
                continue
            if in_force and gov is None:
                continue
            status = (
                shown_v.status.value if gov else f"[dim]not in force[/] ({latest.status.value})"
            )
            binds = _binds_at(registry, zone_id, when) if gov else "-"
            binding += binds not in ("-", "nobody")
            table.add_row(
                zone_id,
                shown_v.name,
                shown_v.kind.value,
                status,
                binds,
                shown_v.authority,
                _validity(shown_v),
                str(len(registry.history(zone_id))),
            )
            shown += 1
        _out().print(table)
        _out().print(
            f"{shown} zone(s); "
            + (f"{binding} with a rule in force that binds someone" if binding
               else "no rule in force binds anyone")
        )


def _binds_at(registry: ZoneRegistry, zone_id: str, when: datetime) -> str:
    """Whom the versions of a zone in force at ``when`` bind, strictest first."""
    scopes = [str(v.binding_scope) for v in registry.in_force(when, zone_id)]
    found = [s for s in dict.fromkeys(scopes) if s != "nobody"]
    return ", ".join(found) if found else "nobody"


@app.command("show")
def show(
    zone: Annotated[str, typer.Argument(help="Zone id, e.g. SVZM or FIR-TTZP.")],
    at: Annotated[
        str | None, typer.Option("--at", help="Time to evaluate (ISO-8601, UTC; default now).")
    ] = None,
) -> None:
    """One zone: the versions in force at a time, the governing one, and its area."""
    with _user_errors(), read_only(), _registry() as (_, registry):  # a query creates no database
        _known(registry, zone)
        when = _time(at, "--at") or utcnow()
        live = registry.in_force(when, zone)
        gov = registry.governing(zone, when)
        shown = gov or registry.latest(zone)
        assert shown is not None
        table = Table(title=f"{zone} at {iso_z(when)}", show_header=False)
        table.add_column("field", style="bold")
        table.add_column("value")
        area_m2 = abs(_GEOD.geometry_area_perimeter(shown.geometry)[0])
        west, south, east, north = shown.geometry.bounds
        rows = [
            ("governing", f"{shown.key} ({shown.status.value})" if gov else "none in force"),
            ("name", shown.name),
            ("kind", shown.kind.value),
            ("authority", shown.authority),
            ("source", shown.source_ref + (f" <{shown.source_url}>" if shown.source_url else "")),
            ("validity", _validity(shown)),
            (
                "altitudes",
                f"{format_altitude(shown.floor_ft)} - {format_altitude(shown.ceiling_ft)}",
            ),
            ("applies to", shown.applies_to.value),
            ("binds", f"{shown.binding_scope} ({shown.binding_scope.describe()})"),
            ("confidence", f"{shown.confidence:g}"),
            (
                "area",
                f"{area_m2 / 1e6:,.0f} km2, {shapely.get_num_coordinates(shown.geometry)} vertices",
            ),
            ("bounds", f"W {west:.3f} S {south:.3f} E {east:.3f} N {north:.3f}"),
            (
                "in force",
                ", ".join(f"{v.key} {v.authority} ({v.status.value})" for v in live) or "-",
            ),
            ("description", shown.description or "-"),
        ]
        if shown.more_sources:
            rows.append(("more sources", " ".join(shown.more_sources)))
        if shown.notes:
            rows.append(("notes", shown.notes))
        for k, v in rows:
            table.add_row(k, v)
        _out().print(table)


@app.command("history")
def history(zone: Annotated[str, typer.Argument(help="Zone id, e.g. SVZM.")]) -> None:
    """Every version of a zone: who declared, amended or lifted it, and when it was in force."""
    with _user_errors(), read_only(), _registry() as (_, registry):  # a query creates no database
        _known(registry, zone)
        table = Table(title=f"History of {zone}")
        for col in (
            "v",
            "change",
            "status",
            "kind",
            "authority",
            "valid from",
            "valid to",
            "in force until",
            "binds",
        ):
            table.add_column(col, no_wrap=col == "authority")
        # long source addresses fold inside their own column, not into the others
        table.add_column("source", overflow="fold", max_width=56)
        effective = {v.key: end for v, _start, end in registry.intervals(zone)}
        for v in registry.history(zone):
            end = effective.get(v.key)
            table.add_row(
                str(v.version),
                v.change.value,
                v.status.value,
                v.kind.value,
                v.authority,
                _fmt(v.valid_from, "open"),
                _fmt(v.valid_to, "open"),
                "-" if not v.restricts else _fmt(end, "open"),
                "-" if not v.restricts else str(v.binding_scope),
                "\n".join([v.source_ref, *v.sources]),
            )
        _out().print(table)


@app.command("import")
def import_zones(
    file: Annotated[Path, typer.Argument(help="GeoJSON (.geojson/.json), KML or KMZ file.")],
    kind: Annotated[
        ZoneKind, typer.Option("--kind", help="Kind of features that do not say.")
    ] = ZoneKind.WATCH_AREA,
    authority: Annotated[
        str, typer.Option("--authority", help="Authority of features that do not say.")
    ] = "user",
    status: StatusOpt = None,
    applies_to: AppliesOpt = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Check and show, store nothing.")
    ] = False,
) -> None:
    """Import zones from a file: each feature becomes a version (ids from the file)."""
    with _user_errors():
        data = _read_file(file)
        defaults = ImportDefaults(
            kind=kind,
            authority=authority,
            status=status,
            applies_to=applies_to,
            source_ref=f"imported from {file.name}",
        )
        result = read_zone_bytes(data, filename=file.name, defaults=defaults)
        for warning in result.warnings:
            _err().print(f"[yellow]warning:[/] {warning}")
        with _registry() as (store, registry):
            numbered = registry.number(result.versions)
            if not dry_run and numbered:
                numbered = store.add_versions(numbered)
        if numbered:
            _print_versions(
                numbered,
                title=("would import" if dry_run else "imported") + f" from {file.name}",
            )
        skipped = len(result.versions) - len(numbered)
        if skipped:
            _out().print(f"{skipped} feature(s) already held with the same content: skipped")


@app.command("declare")
def declare(
    zone: Annotated[str, typer.Argument(help="Zone id (new, or declared by another authority).")],
    authority: Annotated[str, typer.Option("--authority", help="Who declares it.")],
    name: Annotated[str | None, typer.Option("--name", help="Zone name.")] = None,
    kind: KindOpt = None,
    status: StatusOpt = None,
    applies_to: AppliesOpt = None,
    source_ref: Annotated[
        str, typer.Option("--source-ref", help="NOTAM number, statement, URL...")
    ] = "",
    valid_from: Annotated[
        str | None, typer.Option("--from", help="Start, ISO-8601 UTC (default now).")
    ] = None,
    valid_to: Annotated[str | None, typer.Option("--to", help="End, ISO-8601 UTC.")] = None,
    floor: Annotated[str | None, typer.Option("--floor", help="SFC, FL100, 5000 (ft).")] = None,
    ceiling: Annotated[str | None, typer.Option("--ceiling", help="UNL, FL450, ft.")] = None,
    confidence: Annotated[
        float | None, typer.Option("--confidence", help="0..1 for approximate areas.")
    ] = None,
    description: Annotated[str, typer.Option("--description")] = "",
    geometry: GeometryOpt = None,
    bbox: BboxOpt = None,
    like: LikeOpt = None,
    binds: BindsOpt = None,
    source_url: SourceUrlOpt = None,
    notes: NotesOpt = None,
) -> None:
    """Declare a zone (or the same zone by a new authority): adds a version."""
    with _user_errors(), _registry() as (store, registry):
        fields: dict[str, Any] = {"source_ref": source_ref, "description": description}
        fields.update(_band(floor, ceiling))
        fields.update(_sources(binds, source_url, notes))
        if applies_to is not None:
            fields["applies_to"] = applies_to
        if confidence is not None:
            fields["confidence"] = confidence
        if valid_to:
            fields["valid_to"] = _time(valid_to, "--to")
        v = registry.declare(
            zone,
            authority=authority,
            valid_from=_time(valid_from, "--from") or utcnow(),
            geometry=_area(registry, geometry, bbox, like),
            name=name,
            kind=kind,
            status=status,
            **fields,
        )
        _print_versions(store.add_versions([v]), title=f"declared {zone}")


@app.command("amend")
def amend(
    zone: Annotated[str, typer.Argument(help="Zone id.")],
    authority: AuthorityOpt = None,
    valid_from: Annotated[
        str | None, typer.Option("--from", help="When the amendment applies (default now).")
    ] = None,
    valid_to: Annotated[str | None, typer.Option("--to", help="New end, ISO-8601 UTC.")] = None,
    name: Annotated[str | None, typer.Option("--name")] = None,
    kind: KindOpt = None,
    status: StatusOpt = None,
    applies_to: AppliesOpt = None,
    source_ref: Annotated[str | None, typer.Option("--source-ref")] = None,
    floor: Annotated[str | None, typer.Option("--floor")] = None,
    ceiling: Annotated[str | None, typer.Option("--ceiling")] = None,
    confidence: Annotated[float | None, typer.Option("--confidence")] = None,
    description: Annotated[str | None, typer.Option("--description")] = None,
    geometry: GeometryOpt = None,
    bbox: BboxOpt = None,
    like: LikeOpt = None,
    binds: BindsOpt = None,
    source_url: SourceUrlOpt = None,
    notes: NotesOpt = None,
) -> None:
    """Amend a zone: its authority's latest version with the changes given, as a new version."""
    with _user_errors(), _registry() as (store, registry):
        _known(registry, zone)
        changes: dict[str, Any] = {
            k: val
            for k, val in {
                "name": name,
                "kind": kind,
                "status": status,
                "applies_to": applies_to,
                "source_ref": source_ref,
                "confidence": confidence,
                "description": description,
            }.items()
            if val is not None
        }
        changes.update(_band(floor, ceiling))
        changes.update(_sources(binds, source_url, notes))
        if valid_to:
            changes["valid_to"] = _time(valid_to, "--to")
        area = _area(registry, geometry, bbox, like)
        if area is not None:
            changes["geometry"] = area
        if not changes:
            raise ZoneError("nothing to amend: give at least one change (--status, --to...)")
        v = registry.amend(
            zone,
            valid_from=_time(valid_from, "--from") or utcnow(),
            authority=authority,
            **changes,
        )
        _print_versions(store.add_versions([v]), title=f"amended {zone}")


@app.command("lift")
def lift(
    zone: Annotated[str, typer.Argument(help="Zone id.")],
    authority: AuthorityOpt = None,
    at: Annotated[str | None, typer.Option("--at", help="When it is lifted (default now).")] = None,
    source_ref: Annotated[str, typer.Option("--source-ref")] = "",
    source_url: SourceUrlOpt = None,
    notes: NotesOpt = None,
    reason: Annotated[
        str, typer.Option("--reason", help="Why it was lifted (the version's description).")
    ] = "",
) -> None:
    """Lift a zone: a 'lifted' version by the same authority ends the one in force."""
    with _user_errors(), _registry() as (store, registry):
        _known(registry, zone)
        extra = _sources(None, source_url, notes)
        v = registry.lift(
            zone,
            at=_time(at, "--at") or utcnow(),
            authority=authority,
            source_ref=source_ref,
            description=reason,
        )
        if extra:
            v = dataclasses.replace(v, **extra)
            check_version_fields(v, f"zone {v.key}")
        _print_versions(store.add_versions([v]), title=f"lifted {zone}")


# ------------------------------------------------------------------------- helpers
def _known(registry: ZoneRegistry, zone: str) -> None:
    if zone not in registry:
        ids = registry.zone_ids()
        close = [z for z in ids if z.upper() == zone.upper()] or [
            z for z in ids if zone.upper() in z.upper()
        ][:5]
        hint = f" (did you mean {', '.join(close)}?)" if close else ""
        raise ZoneError(f"unknown zone {zone!r}{hint}; `monitor zones list` shows them all")


def _time(text: str | None, option: str) -> datetime | None:
    if not text:
        return None
    try:
        return parse_utc_lenient(text)
    except ValueError:
        raise ZoneError(
            f"{option}: {text!r} is not an ISO-8601 time (e.g. 2026-01-03T12:00Z)"
        ) from None


def _band(floor: str | None, ceiling: str | None) -> dict[str, float]:
    out: dict[str, float] = {}
    for key, text in (("floor_ft", floor), ("ceiling_ft", ceiling)):
        if text is None:
            continue
        try:
            out[key] = parse_altitude_ft(text)
        except ValueError as exc:
            raise ZoneError(f"--{key[:-3]}: {exc}") from None
    return out


def _sources(binds: str | None, source_url: str | None, notes: str | None) -> dict[str, Any]:
    """``--binds``, ``--source-url``, ``--notes`` as version fields (the address itself is
    checked with the version: an http(s) address)."""
    out: dict[str, Any] = {}
    if binds is not None:
        try:
            out["scope"] = BindingScope.parse(binds)
        except ValueError as exc:
            raise ZoneError(f"--binds: {exc}") from None
    if source_url is not None:
        url = source_url.strip()
        if url and not url.startswith(("http://", "https://")):
            raise ZoneError(f"--source-url: {url!r} is not an http(s) address")
        out["source_url"] = url or None
    if notes is not None:
        out["notes"] = notes.strip()
    return out


def _read_file(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise ZoneError(f"{path}: no such file") from None
    except OSError as exc:
        raise ZoneError(f"{path}: cannot read ({exc.strerror})") from None


def _area(registry: ZoneRegistry, geometry: Path | None, bbox: str | None, like: str | None) -> Any:
    given = [x for x in (geometry, bbox, like) if x is not None]
    if len(given) > 1:
        raise ZoneError("give only one of --geometry, --bbox, --like")
    if geometry is not None:
        result = read_zone_bytes(_read_file(geometry), filename=geometry.name)
        if len(result.versions) != 1:
            raise ZoneError(
                f"{geometry}: holds {len(result.versions)} features; --geometry needs exactly one"
            )
        return result.versions[0].geometry
    if bbox is not None:
        try:
            west, south, east, north = (float(p) for p in bbox.split(","))
        except ValueError:
            raise ZoneError(f"--bbox {bbox!r} is not WEST,SOUTH,EAST,NORTH") from None
        if not (west < east and south < north):
            raise ZoneError(f"--bbox {bbox!r}: WEST must be < EAST and SOUTH < NORTH")
        geom, _ = check_area(shapely.box(west, south, east, north), "--bbox")
        return geom
    if like is not None:
        _known(registry, like)
        latest = registry.latest(like)
        assert latest is not None
        return latest.geometry
    return None


def _fmt(t: datetime | None, none: str) -> str:
    return iso_z(t) if t is not None else none


def _validity(v: ZoneVersion) -> str:
    return f"{_fmt(v.valid_from, 'open')} .. {_fmt(v.valid_to, 'open')}"


def _print_versions(versions: list[ZoneVersion], *, title: str) -> None:
    table = Table(title=title)
    for col in ("version", "name", "kind", "status", "authority", "valid", "altitudes"):
        table.add_column(col)
    for v in versions:
        table.add_row(
            v.key,
            v.name,
            v.kind.value,
            v.status.value,
            v.authority,
            _validity(v),
            f"{format_altitude(v.floor_ft)}-{format_altitude(v.ceiling_ft)}"
            if not math.isnan(v.floor_ft)
            else "-",
        )
    _out().print(table)


def _bundled() -> list:  # type: ignore[type-arg]
    """The shipped zones from ``geodata_dir`` in the settings (env MONITOR_GEODATA_DIR)."""
    from pathlib import Path

    folder = get_settings().geodata_dir
    return load_bundled_zones(Path(folder) if folder else None)
