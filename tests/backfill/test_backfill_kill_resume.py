"""A backfill killed with SIGKILL mid-import and then resumed stores exactly what an
uninterrupted import of the same files stores: the same incidents with the same
timelines and evidence, the same positions and vessels, the same coverage counts.

The files: the first 2,300 lines of the shipped synthetic demo capture
(``monitor/sim/data/demo_scenario.jsonl.gz``, 10:00-11:57Z on 3 January 2026: incursions,
reroutes, zone entries, a traffic collapse ...) as a capture file, a gzip-compressed readsb
trace of a US aircraft crossing SVZM in the same hours and a MarineCadastre CSV of a
vessel. The reference is one uninterrupted import run in this process; the killed one runs
``monitor backfill`` as a subprocess, is killed once it has stored a seeded random share of
its batches (and killed again after resuming, for the second case), then ``--resume``
finishes it. What is stored is compared with the harness of
``tests/reliability/test_kill_resume.py`` (``read_stored``, ``assert_consistent``).
"""

from __future__ import annotations

import gzip
import random
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import orjson
import pytest
from sqlalchemy import Engine, create_engine, select
from sqlalchemy.exc import DBAPIError

from monitor.store.models import CheckpointRow, CoverageRow
from tests.backfill.builders import ais_rows, write_ais, write_trace
from tests.reliability.test_kill_resume import Stored, _difference, assert_consistent, read_stored

REPO = Path(__file__).resolve().parents[2]
DEMO = REPO / "monitor" / "sim" / "data" / "demo_scenario.jsonl.gz"
CONFIG = REPO / "config" / "monitor.yaml"
MONITOR = [sys.executable, "-c", "from monitor.cli.app import main; main()"]
RUN_TIMEOUT_S = 240.0
#: batches of replay's 30 s, so the import has many batch boundaries to be killed between
SPAN_S = 30.0
CP = CheckpointRow.__table__
COV = CoverageRow.__table__

pytestmark = pytest.mark.slow


def _inputs(folder: Path) -> list[str]:
    folder.mkdir()
    capture = folder / "demo_first_2300.jsonl"
    with gzip.open(DEMO, "rb") as src, capture.open("wb") as dst:
        for _, line in zip(range(2300), src, strict=False):
            dst.write(line)
    start = datetime(2026, 1, 3, 10, 5, tzinfo=UTC)
    write_trace(folder, "a1b2c3", start, 400)
    write_ais(folder, "AIS_2026_01_03.csv", ais_rows("636021061", start, 90), gz=True)
    return [str(folder)]


def _coverage(engine: Engine) -> list[tuple]:
    with engine.connect() as conn:
        return sorted(tuple(r) for r in conn.execute(select(COV.c.source, COV.c.hour, COV.c.positions)))


def _stored_batch(engine: Engine) -> int:
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                select(CP.c.position).where(CP.c.name.like("backfill:%"))
            ).scalars().all()
    except DBAPIError:  # no schema yet while the child migrates, or a moment's lock
        return 0
    return max((int(p.get("batch", 0)) for p in rows), default=0)


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[str], Stored, list, int]:
    from monitor.backfill.run import backfill
    from monitor.config import load_settings
    from monitor.service.runtime import build_runtime

    folder = tmp_path_factory.mktemp("backfill_kill")
    paths = _inputs(folder / "in")
    url = f"sqlite:///{folder / 'clean.sqlite'}"
    runtime = build_runtime(load_settings(CONFIG, overrides={"database_url": url}))
    try:
        report = backfill(runtime.pipeline, paths, batch_span_s=SPAN_S)
        final = read_stored(runtime.store.engine, "-").without_checkpoint()
        cov = _coverage(runtime.store.engine)
    finally:
        runtime.close()
    kinds = {row[0] for row in final.incidents.values()}
    assert {"incursion", "zone_entry"} <= kinds, kinds
    assert ("a1b2c3" in {row[1] for row in final.incidents.values()})
    assert report.batches > 50
    return paths, final, cov, report.batches


def _command(url: str, paths: list[str], *extra: str) -> list[str]:
    return [*MONITOR, "--config", str(CONFIG), "--database-url", url, "backfill", *paths,
            "--batch-span-s", str(SPAN_S), *extra]


def _run_and_kill(url: str, engine: Engine, paths: list[str], target: int, workdir: Path,
                  *, resume: bool, extra_s: float) -> int:
    log = workdir / f"killed-{time.monotonic_ns()}.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(_command(url, paths, *(["--resume"] if resume else [])),
                                cwd=workdir, stdout=out, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + RUN_TIMEOUT_S
            while _stored_batch(engine) < target:
                if proc.poll() is not None:
                    pytest.fail(f"the import ended (exit {proc.returncode}) before batch {target}:\n"
                                f"{log.read_text()[-3000:]}")
                assert time.monotonic() < deadline, "the import made no progress"
                time.sleep(0.005)
            time.sleep(extra_s)
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=30)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    assert proc.returncode == -signal.SIGKILL, f"ended by itself (exit {proc.returncode})"
    return _stored_batch(engine)


@pytest.mark.parametrize(("seed", "kills"), [(11, 1), (12, 2)])
def test_sigkill_mid_backfill_then_resume_gives_the_uninterrupted_result(
    reference: tuple[list[str], Stored, list, int], tmp_path: Path, seed: int, kills: int
) -> None:
    paths, want, want_cov, batches = reference
    rng = random.Random(seed)
    url = f"sqlite:///{tmp_path / 'killed.sqlite'}"
    engine = create_engine(url)
    try:
        for attempt in range(kills):
            already = _stored_batch(engine)
            target = rng.randint(already + 1, already + int(0.6 * (batches - already)))
            stored = _run_and_kill(url, engine, paths, target, tmp_path, resume=attempt > 0,
                                   extra_s=rng.uniform(0.0, 0.05))
            assert target <= stored < batches
            assert_consistent(engine, read_stored(engine, "-"))
        refused = subprocess.run(_command(url, paths), cwd=tmp_path, capture_output=True,
                                 text=True, timeout=RUN_TIMEOUT_S)
        assert refused.returncode == 2 and "--resume" in refused.stderr
        report = tmp_path / "report.json"
        done = subprocess.run(_command(url, paths, "--resume", "--report", str(report)),
                              cwd=tmp_path, capture_output=True, text=True, timeout=RUN_TIMEOUT_S)
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
        assert "resumed:" in done.stdout
        body = orjson.loads(report.read_bytes())
        assert body["resumed_batches"] == stored and body["batches"] == batches
        got = read_stored(engine, "-").without_checkpoint()
        assert_consistent(engine, got)
        assert got == want, _difference(got, want)
        assert _coverage(engine) == want_cov
    finally:
        engine.dispose()
