"""A replay killed with SIGKILL at a random point leaves a consistent database, and
``monitor replay --resume`` finishes it with exactly the incidents of an uninterrupted run
(issue #8).

The capture is the first :data:`CAPTURE_LINES` lines of the shipped synthetic demo scenario
(``monitor/sim/data/demo_scenario.jsonl.gz``, with its route file beside it): 10:00 to
12:20Z of ADS-B, OpenSky, aisstream, NMEA and NGA records in which incursions, reroutes,
zone entries, spoofing, loitering, a traffic collapse, an emergency and feed outages are
detected. The traffic-collapse detector matters here: it is the one that loads its
history from the database at start-up.

The reference is one uninterrupted replay, run in this process with the settings the CLI
builds. After each of its batches the whole stored state (incidents, their timelines,
evidence and alert outbox rows, positions, vessels, outages) is read, keyed by the
checkpoint line saved with the batch. So a killed run can be checked against exactly what
the database must hold at its checkpoint: the batch that saved it and nothing after it.

Each case runs ``monitor replay`` as a subprocess, waits until a seeded random share of the
file is stored, lets a seeded random few milliseconds more pass (the kill lands inside the
next batch: parsing, detecting or in its transaction), and sends SIGKILL. One seed kills the
resumed run a second time. PostGIS runs one seed when ``MONITOR_TEST_POSTGRES_URL`` is set.
"""

from __future__ import annotations

import gzip
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import pytest
from sqlalchemy import Engine, create_engine, func, select
from sqlalchemy.exc import DBAPIError

from monitor.store.models import (
    AlertOutboxRow,
    CheckpointRow,
    EvidenceRow,
    FeedOutageRow,
    IncidentEventRow,
    IncidentRow,
    ObservationRow,
    VesselInfoRow,
)

REPO = Path(__file__).resolve().parents[2]
DEMO = REPO / "monitor" / "sim" / "data" / "demo_scenario.jsonl.gz"
DEMO_ROUTES = REPO / "monitor" / "sim" / "data" / "demo_scenario.routes.csv"
CONFIG = REPO / "config" / "monitor.yaml"
CAPTURE_LINES = 2300
#: (seed, how many times the replay is killed before it may finish)
SQLITE_CASES = [(1, 1), (2, 1), (3, 2)]
MONITOR = [sys.executable, "-c", "from monitor.cli.app import main; main()"]
#: a wedged subprocess fails the test instead of hanging the suite
RUN_TIMEOUT_S = 240.0

INC = IncidentRow.__table__
EVT = IncidentEventRow.__table__
EVD = EvidenceRow.__table__
OUT = AlertOutboxRow.__table__
OBS = ObservationRow.__table__
VI = VesselInfoRow.__table__
FO = FeedOutageRow.__table__
CP = CheckpointRow.__table__

pytestmark = pytest.mark.slow


# --- what is stored ---------------------------------------------------------------------


@dataclass(frozen=True)
class Stored:
    """Everything a replay writes that must neither be lost nor written twice."""

    checkpoint_line: int | None
    #: dedupe key -> (kind, subject, zone, opened at, status, closed at, change count)
    incidents: dict[str, tuple[Any, ...]]
    #: dedupe key -> its timeline ((seq, action, at), ...)
    events: dict[str, tuple[tuple[Any, ...], ...]]
    #: dedupe key -> its evidence, sorted ((observed at, source, record ref), ...)
    evidence: dict[str, tuple[tuple[Any, ...], ...]]
    #: dedupe key -> the timeline seqs its alert outbox rows point at
    outbox: dict[str, tuple[int, ...]]
    observations: int
    vessels: int
    outages: tuple[tuple[Any, ...], ...]

    def without_checkpoint(self) -> Stored:
        return Stored(None, self.incidents, self.events, self.evidence, self.outbox,
                      self.observations, self.vessels, self.outages)

    def identity(self) -> list[tuple[Any, ...]]:
        """The incident set the issue compares: dedupe key, kind, subject, zone, opened at."""
        return sorted((key, *row[:4]) for key, row in self.incidents.items())


def read_stored(engine: Engine, checkpoint: str) -> Stored:
    with engine.connect() as conn:
        key_of: dict[int, str] = {}
        incidents = {}
        for r in conn.execute(
            select(INC.c.id, INC.c.dedupe_key, INC.c.kind, INC.c.subject_id, INC.c.zone_id,
                   INC.c.started_at, INC.c.status, INC.c.ended_at, INC.c.change_seq)
        ):
            key_of[r[0]] = r[1]
            incidents[r[1]] = tuple(r[2:])
        events: dict[str, list[tuple[Any, ...]]] = defaultdict(list)
        seq_of: dict[int, tuple[int, int]] = {}
        for r in conn.execute(
            select(EVT.c.id, EVT.c.incident_id, EVT.c.seq, EVT.c.action, EVT.c.at).order_by(
                EVT.c.incident_id, EVT.c.seq
            )
        ):
            seq_of[r[0]] = (r[1], r[2])
            events[key_of.get(r[1], f"orphan:{r[1]}")].append((r[2], r[3], r[4]))
        evidence: dict[str, list[tuple[Any, ...]]] = defaultdict(list)
        for r in conn.execute(
            select(EVD.c.incident_id, EVD.c.observed_at, EVD.c.source, EVD.c.record_ref)
        ):
            evidence[key_of.get(r[0], f"orphan:{r[0]}")].append((r[1], r[2], r[3] or ""))
        outbox: dict[str, list[int]] = defaultdict(list)
        for r in conn.execute(select(OUT.c.incident_id, OUT.c.event_id)):
            owner, seq = seq_of.get(r[1], (None, -1))
            assert owner == r[0], f"outbox row of incident {r[0]} points at event {r[1]} of {owner}"
            outbox[key_of.get(r[0], f"orphan:{r[0]}")].append(seq)
        observations = conn.execute(select(func.count()).select_from(OBS)).scalar_one()
        vessels = conn.execute(select(func.count()).select_from(VI)).scalar_one()
        outages = tuple(sorted(
            ((r[0], r[1], r[2], r[3])
             for r in conn.execute(select(FO.c.source, FO.c.started_at, FO.c.ended_at, FO.c.reason))),
            key=repr,
        ))
        cp = conn.execute(select(CP.c.position).where(CP.c.name == checkpoint)).scalar_one_or_none()
    return Stored(
        checkpoint_line=None if cp is None else int(cp["line"]),
        incidents=incidents,
        events={k: tuple(v) for k, v in events.items()},
        evidence={k: tuple(sorted(v)) for k, v in evidence.items()},
        outbox={k: tuple(sorted(v)) for k, v in outbox.items()},
        observations=observations,
        vessels=vessels,
        outages=outages,
    )


def assert_consistent(engine: Engine, stored: Stored) -> None:
    """What must hold in any state a transaction boundary can leave behind."""
    if engine.dialect.name == "sqlite":
        path = engine.url.database
        assert path is not None
        with sqlite3.connect(path) as raw:
            assert raw.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
            assert raw.execute("PRAGMA foreign_key_check").fetchall() == []
    orphans = [k for k in (*stored.events, *stored.evidence, *stored.outbox) if k.startswith("orphan:")]
    assert not orphans, f"rows of incidents that do not exist: {orphans[:5]}"
    for key, (_kind, _s, _z, started, status, ended, change_seq) in stored.incidents.items():
        timeline = stored.events.get(key, ())
        assert [e[0] for e in timeline] == list(range(1, change_seq + 1)), (
            f"{key}: timeline {[e[:2] for e in timeline]} does not match change_seq {change_seq}"
        )
        assert timeline[0][1] == "open" and timeline[0][2] == started, (key, timeline[0])
        if status == "closed":
            assert ended is not None and timeline[-1][1] == "close", (key, timeline[-1])
        else:
            assert status == "open" and ended is None, (key, status, ended)
    same = defaultdict(list)
    for key, row in stored.incidents.items():
        same[row[:4]].append(key)
    duplicates = {k: v for k, v in same.items() if len(v) > 1}
    assert not duplicates, f"the same incident stored twice: {duplicates}"


# --- the capture and the uninterrupted reference ---------------------------------------------


@dataclass(frozen=True)
class Reference:
    capture: Path
    checkpoint: str
    records: int
    last_line: int
    #: checkpoint line -> what the database holds once that batch is committed
    at_checkpoint: dict[int, Stored]
    final: Stored


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> Reference:
    from monitor.config import load_settings
    from monitor.service.replay import checkpoint_name, replay
    from monitor.service.runtime import build_runtime

    folder = tmp_path_factory.mktemp("kill_resume")
    capture = folder / "demo_first_2300.jsonl"
    with gzip.open(DEMO, "rb") as src, capture.open("wb") as dst:
        for _, line in zip(range(CAPTURE_LINES), src, strict=False):
            dst.write(line)
    shutil.copyfile(DEMO_ROUTES, folder / "demo_first_2300.routes.csv")
    records = sum(1 for _ in capture.open("rb"))
    assert records == CAPTURE_LINES

    url = f"sqlite:///{folder / 'clean.sqlite'}"
    settings = load_settings(
        CONFIG,
        overrides={"database_url": url, "routes_csv": [str(folder / "demo_first_2300.routes.csv")]},
    )
    runtime = build_runtime(settings)
    name = checkpoint_name(capture)
    states: dict[int, Stored] = {}

    def after_batch(done: int, total: int) -> None:
        state = read_stored(runtime.store.engine, name)
        if state.checkpoint_line is not None and state.checkpoint_line not in states:
            states[state.checkpoint_line] = state.without_checkpoint()

    try:
        # as `monitor replay` runs it (its default --finish-s is 1800)
        replay(runtime.pipeline, capture, progress=after_batch, finish_s=1800.0)
        final = read_stored(runtime.store.engine, name)
    finally:
        runtime.close()
    assert final.checkpoint_line == CAPTURE_LINES
    kinds = {row[0] for row in final.incidents.values()}
    assert {"incursion", "reroute", "zone_entry", "traffic_collapse"} <= kinds, kinds
    assert len(states) > 10
    return Reference(capture, name, records, CAPTURE_LINES, states, final)


# --- running and killing `monitor replay` ---------------------------------------------------


def _replay_command(url: str, capture: Path, *extra: str) -> list[str]:
    return [*MONITOR, "--config", str(CONFIG), "--database-url", url, "replay", str(capture), *extra]


def _stored_line(engine: Engine, checkpoint: str) -> int | None:
    try:
        with engine.connect() as conn:
            cp = conn.execute(select(CP.c.position).where(CP.c.name == checkpoint)).scalar_one_or_none()
    except DBAPIError:  # no schema yet while the child migrates, or a moment's lock
        return None
    return None if cp is None else int(cp["line"])


def run_and_kill(
    url: str,
    engine: Engine,
    ref: Reference,
    rng: random.Random,
    workdir: Path,
    *,
    resume: bool,
    extra: tuple[str, ...] = (),
) -> int:
    """Start a replay, SIGKILL it at a random point past what is stored; the stored line."""
    already = _stored_line(engine, ref.checkpoint) or 0
    target = rng.randint(already + 1, already + int(0.8 * (ref.last_line - already)))
    extra_s = rng.uniform(0.0, 0.08)
    log = workdir / f"killed-{time.monotonic_ns()}.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            _replay_command(url, ref.capture, *(["--resume"] if resume else []), *extra),
            cwd=workdir, stdout=out, stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + RUN_TIMEOUT_S
            while (_stored_line(engine, ref.checkpoint) or 0) < target:
                if proc.poll() is not None:
                    pytest.fail(
                        f"the replay ended (exit {proc.returncode}) before line {target} was "
                        f"stored:\n{log.read_text()[-3000:]}"
                    )
                assert time.monotonic() < deadline, "replay made no progress"
                time.sleep(0.005)
            time.sleep(extra_s)
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=30)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    assert proc.returncode == -signal.SIGKILL, (
        f"the replay ended by itself (exit {proc.returncode}) before the kill landed"
    )
    line = _stored_line(engine, ref.checkpoint)
    assert line is not None and line >= target
    return line


def run_to_end(
    url: str, ref: Reference, workdir: Path, extra: tuple[str, ...] = ()
) -> dict[str, Any]:
    report = workdir / "resumed-report.json"
    done = subprocess.run(
        _replay_command(url, ref.capture, "--resume", "--report", str(report), *extra),
        cwd=workdir, capture_output=True, text=True, timeout=RUN_TIMEOUT_S,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "resumed:" in done.stdout, done.stdout
    return orjson.loads(report.read_bytes())


# --- the tests -----------------------------------------------------------------------------------


def _database(backend: str, tmp_path: Path) -> Iterator[str]:
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'killed.sqlite'}"
        return
    if not os.environ.get("MONITOR_TEST_POSTGRES_URL"):
        pytest.skip("PostGIS tests need MONITOR_TEST_POSTGRES_URL (set by .ci/run)")
    from tests.conftest import _postgis_database

    yield from _postgis_database()


CASES = [pytest.param("sqlite", seed, kills, False, id=f"sqlite-seed{seed}-kills{kills}")
         for seed, kills in SQLITE_CASES]
# a replay reading and parsing in a worker process: the worker outlives nothing and the
# resumed run rebuilds its state from the worker's batches
CASES.append(pytest.param("sqlite", 5, 2, True, id="sqlite-seed5-kills2-parse-worker"))
CASES.append(
    pytest.param("postgis", 4, 1, False, id="postgis-seed4-kills1", marks=pytest.mark.postgis)
)


def _parse_workers() -> list[int]:
    """Process ids of the parse workers running on this machine (by command line: a killed
    replay's worker is re-parented, so its parent id tells nothing)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmd = (entry / "cmdline").read_bytes().split(b"\0")
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if b"monitor.feeds.ahead" in cmd and state[0] != "Z":
            found.append(int(entry.name))
    return found


@pytest.mark.parametrize(("backend", "seed", "kills", "worker"), CASES)
def test_sigkill_mid_replay_then_resume_gives_the_uninterrupted_result(
    reference: Reference, tmp_path: Path, backend: str, seed: int, kills: int, worker: bool
) -> None:
    extra = ("--parse-worker",) if worker else ("--no-parse-worker",)
    rng = random.Random(seed)
    databases = _database(backend, tmp_path)
    url = next(databases)
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        for attempt in range(kills):
            line = run_and_kill(
                url, engine, reference, rng, tmp_path, resume=attempt > 0, extra=extra
            )
            assert line < reference.last_line
            stored = read_stored(engine, reference.checkpoint)
            assert_consistent(engine, stored)
            # the checkpoint matches what is stored: exactly the state after its batch
            expected = reference.at_checkpoint.get(line)
            assert expected is not None, f"checkpoint line {line} is not a batch boundary"
            now = stored.without_checkpoint()
            assert now == expected, _difference(now, expected)

        if worker:  # the killed replay's worker stops once its reader has gone
            deadline = time.monotonic() + 20
            while _parse_workers() and time.monotonic() < deadline:
                time.sleep(0.05)
            assert not _parse_workers(), "a killed replay left its parse worker running"
        report = run_to_end(url, reference, tmp_path, extra)
        assert report["parse_worker"] is worker
        assert report["records"] == reference.records - line  # nothing stored was redone
        final = read_stored(engine, reference.checkpoint)
        assert_consistent(engine, final)
        got, want = set(final.identity()), set(reference.final.identity())
        assert got == want, f"missing {sorted(want - got)[:3]}, extra {sorted(got - want)[:3]}"
        assert final == reference.final, _difference(final, reference.final)
    finally:
        engine.dispose()
        databases.close()


def _difference(got: Stored, want: Stored) -> str:
    lines = []
    for name in ("incidents", "events", "evidence", "outbox"):
        g, w = getattr(got, name), getattr(want, name)
        missing = sorted(set(w) - set(g))
        extra = sorted(set(g) - set(w))
        changed = sorted(k for k in set(g) & set(w) if g[k] != w[k])
        if missing or extra or changed:
            lines.append(f"{name}: missing {missing[:4]} extra {extra[:4]} changed {changed[:4]}")
            for k in changed[:2]:
                lines.append(f"  {k}: got {str(g[k])[:300]} want {str(w[k])[:300]}")
    for name in ("observations", "vessels", "outages", "checkpoint_line"):
        if getattr(got, name) != getattr(want, name):
            lines.append(f"{name}: got {str(getattr(got, name))[:300]} want {str(getattr(want, name))[:300]}")
    return "\n".join(lines) or "no difference found"
