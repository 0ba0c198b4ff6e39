"""Detector quality on the SYNTHETIC labelled scenarios: precision and recall per kind.

Run: ``.venv/bin/python bench/bench_detection_quality.py [--scenario demo|outage|both]``

Each scenario's shipped capture (``monitor/sim/data``) is replayed through the real
pipeline (``monitor.service.runtime.build_runtime`` + ``monitor.service.replay.replay``,
the code behind ``monitor replay``) into a fresh SQLite database, with the scenario's
published routes (``demo_scenario.routes.csv``) as the route source; the incidents stored are
scored against the scenario's labels with ``monitor.sim.scoring`` and printed per kind
against the targets of issues 4 and 5 (precision >= 0.9 and recall >= 0.9). The outage
scenario scores ``going_dark`` (expected: none) and ``feed_health``.

Exits 0 whatever the figures (a benchmark reports; ``tests/`` hold the line), 2 when the
pipeline cannot be built.
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from monitor.sim.labels import LabelSet  # noqa: E402
from monitor.sim.scoring import KindScore, format_scores, score  # noqa: E402
from monitor.sim.shipped import shipped_paths  # noqa: E402

TARGET = 0.9


def _aware(value: Any) -> Any:
    if isinstance(value, datetime) and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


def _row_dict(row: Any) -> dict[str, Any]:
    doc = dict(row._mapping) if hasattr(row, "_mapping") else dict(row)
    for key in ("started_at", "ended_at", "last_seen_at"):
        doc[key] = _aware(doc.get(key))
    return doc


def stored_incidents(store: Any) -> list[dict[str, Any]]:
    """Every incident in the store, as mappings the scorer reads."""
    from monitor.store.queries import MAX_LIMIT, IncidentQuery

    out: list[dict[str, Any]] = []
    cursor = None
    while True:
        rows, cursor = store.query_incidents(IncidentQuery(limit=MAX_LIMIT, cursor=cursor))
        out.extend(_row_dict(r) for r in rows)
        if not cursor:
            return out


def replay_and_score(
    capture: Path, labels: LabelSet, workdir: Path, routes_csv: Path | None
) -> tuple[dict[str, KindScore], dict[str, Any]]:
    from monitor.config import load_settings
    from monitor.service.replay import replay
    from monitor.service.runtime import build_runtime

    db = workdir / f"{capture.name}.sqlite"
    settings = load_settings(overrides={"database_url": f"sqlite:///{db}"})
    runtime = build_runtime(settings)
    extra = runtime.pipeline.state.extra
    if routes_csv is not None and routes_csv.exists() and "routes" not in extra:
        # the scenario's published routes (reroute / diversion need origin and destination)
        from monitor.feeds.routes import RouteBook

        extra["routes"] = RouteBook.from_csv(routes_csv)
    try:
        t0 = time.perf_counter()
        report = replay(runtime.pipeline, capture)
        wall_s = time.perf_counter() - t0
        incidents = stored_incidents(runtime.store)
    finally:
        runtime.close()
    facts = {
        "records": report.stats.records,
        "observations": report.stats.observations,
        "incidents": len(incidents),
        "wall_s": wall_s,
        "bad_lines": sum(report.bad_line_reasons.values()),
    }
    return score(incidents, labels), facts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", choices=("demo", "outage", "both"), default="both")
    parser.add_argument("--verbose", action="store_true", help="List misses and false positives.")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    try:
        import monitor.service.replay  # noqa: F401
        import monitor.service.runtime  # noqa: F401
    except ImportError as exc:
        print(f"the pipeline is not available ({exc}); nothing measured")
        return 2
    paths = shipped_paths()
    wanted = ("demo", "outage") if args.scenario == "both" else (args.scenario,)
    below = 0
    with tempfile.TemporaryDirectory(prefix="bench-quality-") as tmp:
        for name in wanted:
            capture, labels_path = paths[f"{name}_capture"], paths[f"{name}_labels"]
            labels = LabelSet.read(labels_path)
            routes = paths["demo_routes"]
            scores, facts = replay_and_score(capture, labels, Path(tmp), routes)
            print(f"== {name} scenario (SYNTHETIC): {capture.name}")
            print(
                f"   {facts['records']} records, {facts['observations']} observations, "
                f"{facts['incidents']} incidents stored, replay {facts['wall_s']:.1f} s, "
                f"{facts['bad_lines']} unreadable lines"
            )
            print(format_scores(scores, target=TARGET))
            for _kind, s in sorted(scores.items()):
                if not s.meets(TARGET):
                    below += 1
                if args.verbose or not s.meets(TARGET):
                    for m in s.missed:
                        print(f"   missed   {m}")
                    for fp in s.false_positives[:15]:
                        print(f"   false +  {fp}")
    print(f"kinds below the {TARGET:.2f} target: {below}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
