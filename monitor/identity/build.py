"""Build the identity tables in ``geodata/identity/`` from ``shared/reference/identity``.

Run ``python -m monitor.identity.build --reference ../shared/reference --out geodata/identity``.
The output is deterministic (same inputs, same bytes); ``tests/identity`` rebuilds into a
temporary folder and compares with the committed files.

This is project tooling, an edge like ``monitor.zones.build``: :func:`build` reads and writes
files; :func:`resolve_smallest`, :func:`resolve_blocks`, :func:`resolve_military` and
:func:`airline_rows` are pure.

What the build decides (``geodata/SOURCES.md`` says it for people):

* **ICAO address blocks.** The reference lists a few sub-ranges on top of a State block
  (Bermuda, Cayman Islands ... inside the United Kingdom block; Hong Kong inside China). The
  build cuts the table into non-overlapping pieces, each labelled by the *smallest* reference
  row containing it, so a lookup is one bisection. Each piece keeps its row's ``source`` and
  names the row's range in ``allocation``.
* **Military address ranges.** Both lists apply (tar1090-db ``ranges.json`` and VRS
  ``code-blocks.csv`` ``IsMilitary=1``), and the VRS ``IsMilitary=0`` exceptions ("NOT
  military") too: each address takes the smallest reference range containing it (ties: the
  exception, then tar1090-db, then VRS). Only the pieces that end up military are written;
  ``reason`` names the winning range and, when the other list also flags the address, that
  list's range.
* **Airline designators.** The rows are copied with an ``iso2`` column for the operator's
  State: the ``country`` name looked up in the address-block table's State names, then in
  :data:`COUNTRY_ISO2_EXTRA`; blank (and counted) when neither knows it.
"""

from __future__ import annotations

import argparse
import csv
import io
import logging
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Generic, TypeVar

log = logging.getLogger(__name__)

#: what the build writes into ``--out``, in this order
BUILT_FILES = (
    "icao_address_blocks.csv",
    "military_address_ranges.csv",
    "airline_designators.csv",
)

#: country names in ``airline_designators.csv`` that are not State names of the block table
COUNTRY_ISO2_EXTRA = {
    "Netherland": "NL",  # OpenFlights spelling of the Netherlands (WIA)
    "Aruba": "AW",  # ISO 3166-1 code of Aruba (ARU); not a separate block in the table
    "French Guiana": "GF",  # ISO 3166-1 code of French Guiana (GUY)
}
#: country names deliberately left without a code: "Netherlands Antilles" was dissolved in
#: 2010 and the sources do not say which successor (CW, SX ...) the carrier belongs to.
COUNTRY_UNKNOWN = frozenset({"", "Netherlands Antilles"})

BLOCK_FIELDS = ("start_hex", "end_hex", "iso2", "state", "allocation", "source")
MILITARY_FIELDS = ("start_hex", "end_hex", "state", "range", "reason", "source")
AIRLINE_FIELDS = (
    "icao_designator",
    "iata",
    "name",
    "callsign",
    "country",
    "iso2",
    "active",
    "source",
)

P = TypeVar("P")


@dataclass(frozen=True, slots=True)
class Span(Generic[P]):
    """One reference range ``[start, end]`` (both ends inclusive) with what it says."""

    start: int
    end: int
    payload: P
    #: tie-break between ranges of equal size: lower wins
    rank: int = 0

    @property
    def size(self) -> int:
        return self.end - self.start + 1


@dataclass(frozen=True, slots=True)
class Piece(Generic[P]):
    """A maximal run of addresses that the same smallest range wins."""

    start: int
    end: int
    winner: Span[P]


def resolve_smallest(spans: Sequence[Span[P]]) -> list[Piece[P]]:
    """Cut overlapping ranges into pieces, each won by the smallest range containing it.

    Parameters
    ----------
    spans:
        The ranges; they may overlap and nest. Ties of size go to the lower ``rank``, then to
        the earlier span.

    Returns
    -------
    list[Piece]
        Non-overlapping pieces in address order; adjacent pieces won by the same span are
        merged; addresses in no span are in no piece.
    """
    points = sorted({s.start for s in spans} | {s.end + 1 for s in spans})
    order = {id(s): i for i, s in enumerate(spans)}
    pieces: list[Piece[P]] = []
    for lo, nxt in zip(points, points[1:], strict=False):
        # no range starts or ends strictly inside [lo, nxt - 1], so containing lo is enough
        containing = [s for s in spans if s.start <= lo <= s.end]
        if not containing:
            continue
        win = min(containing, key=lambda s: (s.size, s.rank, order[id(s)]))
        last = pieces[-1] if pieces else None
        if last is not None and last.winner is win and last.end == lo - 1:
            pieces[-1] = Piece(last.start, nxt - 1, win)
        else:
            pieces.append(Piece(lo, nxt - 1, win))
    return pieces


def _hex(value: int) -> str:
    return f"{value:06X}"


def _span_text(span: Span[dict[str, str]]) -> str:
    return f"{span.payload['start_hex']}-{span.payload['end_hex']}"


def _span(row: dict[str, str], rank: int = 0) -> Span[dict[str, str]]:
    start, end = int(row["start_hex"], 16), int(row["end_hex"], 16)
    if end < start:
        raise ValueError(f"range {row['start_hex']}-{row['end_hex']} ends before it starts")
    return Span(start, end, row, rank)


def resolve_blocks(rows: Iterable[dict[str, str]]) -> list[dict[str, str]]:
    """The address-block rows as non-overlapping pieces (smallest containing row wins)."""
    pieces = resolve_smallest([_span(r) for r in rows])
    out = []
    for p in pieces:
        row = p.winner.payload
        out.append(
            {
                "start_hex": _hex(p.start),
                "end_hex": _hex(p.end),
                "iso2": row["iso2"],
                "state": row["state"],
                "allocation": _span_text(p.winner),
                "source": row["source"],
            }
        )
    return out


def _military_list(row: dict[str, str]) -> str:
    """``exception``, ``tar1090-db`` or ``VRS``: which list a military reference row is from."""
    if row["note"].startswith("NOT military"):
        return "exception"
    if "tar1090-db" in row["source"]:
        return "tar1090-db"
    if "standing-data" in row["source"]:
        return "VRS"
    raise ValueError(f"military range {_span_text(_span(row))}: unknown source {row['source']!r}")


_LIST_RANK = {"exception": 0, "tar1090-db": 1, "VRS": 2}
_LIST_LABEL = {"tar1090-db": "tar1090-db ranges.json", "VRS": "VRS code-blocks IsMilitary=1"}


def resolve_military(rows: Iterable[dict[str, str]]) -> list[dict[str, str]]:
    """The military pieces of both lists with the VRS exceptions applied (see module doc)."""
    spans = [_span(r, _LIST_RANK[_military_list(r)]) for r in rows]
    pieces = resolve_smallest(spans)
    out: list[dict[str, str]] = []
    for p in pieces:
        win = p.winner
        kind = _military_list(win.payload)
        if kind == "exception":
            continue
        reason = f"{win.payload['state']} military range {_span_text(win)} ({_LIST_LABEL[kind]})"
        source = win.payload["source"]
        other = "VRS" if kind == "tar1090-db" else "tar1090-db"
        also = [
            s
            for s in spans
            if _military_list(s.payload) == other and s.start <= p.start and p.end <= s.end
        ]
        if also:
            best = min(also, key=lambda s: s.size)
            reason += f"; {_LIST_LABEL[other]} also: {_span_text(best)}"
            source += "; " + best.payload["source"]
        row = {
            "start_hex": _hex(p.start),
            "end_hex": _hex(p.end),
            "state": win.payload["state"],
            "range": _span_text(win),
            "reason": reason,
            "source": source,
        }
        if out and out[-1]["reason"] == reason and int(out[-1]["end_hex"], 16) == p.start - 1:
            out[-1]["end_hex"] = row["end_hex"]
        else:
            out.append(row)
    return out


def airline_rows(
    airlines: Iterable[dict[str, str]], blocks: Iterable[dict[str, str]]
) -> tuple[list[dict[str, str]], list[str]]:
    """The designator rows with ``iso2`` added; also the designators whose State is unknown."""
    by_name = {b["state"]: b["iso2"] for b in blocks if b["iso2"]}
    by_name.update(COUNTRY_ISO2_EXTRA)
    out: list[dict[str, str]] = []
    unknown: list[str] = []
    for row in airlines:
        country = row["country"].strip()
        iso2 = by_name.get(country, "")
        if not iso2:
            if country not in COUNTRY_UNKNOWN:
                raise ValueError(
                    f"airline {row['icao_designator']}: country {country!r} has no ISO2 code; "
                    "add it to COUNTRY_ISO2_EXTRA or COUNTRY_UNKNOWN"
                )
            unknown.append(row["icao_designator"])
        out.append({**{k: row[k] for k in AIRLINE_FIELDS if k != "iso2"}, "iso2": iso2})
    return out, unknown


def _read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _write(path: Path, fields: Sequence[str], rows: Iterable[dict[str, str]]) -> Path:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(fields), lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: row[k] for k in fields})
    path.write_text(buf.getvalue(), encoding="utf-8", newline="")
    return path


def build(reference: Path, out: Path) -> list[Path]:
    """Build every identity table into ``out``; return the paths written.

    Parameters
    ----------
    reference:
        The ``shared/reference`` folder (its ``identity/`` subfolder is read).
    out:
        Where to write (``geodata/identity``); created if missing.
    """
    src = reference / "identity"
    blocks = _read(src / "icao_address_blocks.csv")
    military = _read(src / "military_address_ranges.csv")
    airlines = _read(src / "airline_designators.csv")
    out.mkdir(parents=True, exist_ok=True)

    block_rows = resolve_blocks(blocks)
    military_rows = resolve_military(military)
    airline_out, unknown = airline_rows(airlines, blocks)
    written = [
        _write(out / BUILT_FILES[0], BLOCK_FIELDS, block_rows),
        _write(out / BUILT_FILES[1], MILITARY_FIELDS, military_rows),
        _write(out / BUILT_FILES[2], AIRLINE_FIELDS, airline_out),
    ]
    log.info(
        "address blocks: %d reference rows -> %d pieces; military: %d reference rows -> "
        "%d military pieces; airlines: %d rows, State unknown for %d (%s)",
        len(blocks),
        len(block_rows),
        len(military),
        len(military_rows),
        len(airline_out),
        len(unknown),
        ", ".join(unknown) or "none",
    )
    return written


def main(argv: list[str] | None = None) -> int:
    """``python -m monitor.identity.build --reference ../shared/reference --out geodata/identity``."""
    parser = argparse.ArgumentParser(
        prog="python -m monitor.identity.build",
        description="Build geodata/identity/ from shared/reference/identity.",
    )
    parser.add_argument("--reference", type=Path, required=True, help="shared/reference folder")
    parser.add_argument("--out", type=Path, required=True, help="output folder (geodata/identity)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    if not (args.reference / "identity").is_dir():
        parser.error(f"{args.reference / 'identity'} not found")
    try:
        build(args.reference, args.out)
    except (OSError, ValueError, KeyError) as exc:
        log.error("%s", exc)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
