"""`monitor zones declare|amend|lift` with --binds, --source-url and --notes on a real store
(SQLite and PostGIS), followed by a running history server within 5 s; bad values exit 2
naming the option and store nothing."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from typer.testing import CliRunner

from monitor.store import Store
from tests.web.test_zone_admin import PROPAGATION_S, history, history_server

runner = CliRunner()
WIDE = {"COLUMNS": "250"}


@pytest.fixture
def cli_on(store: Store, monkeypatch: pytest.MonkeyPatch) -> Store:
    """``monitor zones`` storing into ``store`` (the shipped zones come from geodata/)."""
    import monitor.cli.zones as zones_cli

    @contextmanager
    def open_store() -> Iterator[Store]:
        yield store

    monkeypatch.setattr(zones_cli, "open_zone_store", open_store)
    return store


def zones(*args: str):  # type: ignore[no-untyped-def]
    from monitor.cli.zones import app

    return runner.invoke(app, list(args), env=WIDE)


def test_cli_declare_amend_lift_carry_scope_sources_notes_to_a_running_server(cli_on: Store) -> None:
    with history_server(cli_on) as base:
        delays = []
        for args, version in (
            (["declare", "CLI-ZONE", "--authority", "FAA", "--kind", "advisory_airspace",
              "--bbox=-67.5,10,-66,11.2", "--from", "2026-01-03T12:00Z", "--binds", "operators:US",
              "--source-url", "https://www.faa.gov/x", "--notes", "EASA draws it wider"], 1),
            (["amend", "CLI-ZONE", "--status", "closed", "--binds", "carriers:IBE,AEA",
              "--from", "2026-01-05T00:00Z"], 2),
            (["lift", "CLI-ZONE", "--at", "2026-02-01T00:00Z", "--source-url", "https://www.faa.gov/lift",
              "--notes", "cancelled by NOTAM", "--reason", "advisory cancelled"], 3),
        ):
            started = time.perf_counter()
            result = zones(*args)
            assert result.exit_code == 0, result.output
            while not any(f["properties"]["version"] == version for f in history(base, "CLI-ZONE")):
                assert time.perf_counter() - started < PROPAGATION_S, f"v{version} not served in 5 s"
                time.sleep(0.02)
            delays.append(time.perf_counter() - started)
        print(f"\n{cli_on.dialect}: CLI write -> server delays {[round(d, 3) for d in delays]} s")
    by_version = {v.version: v for v in cli_on.list_versions("CLI-ZONE")}
    assert str(by_version[1].scope) == "operators:US"
    assert (by_version[1].source_url, by_version[1].notes) == ("https://www.faa.gov/x", "EASA draws it wider")
    assert str(by_version[2].scope) == "carriers:AEA,IBE"
    assert by_version[3].status.value == "lifted"
    assert (by_version[3].source_url, by_version[3].notes) == ("https://www.faa.gov/lift", "cancelled by NOTAM")
    assert by_version[3].description == "advisory cancelled"
    shown = zones("show", "CLI-ZONE", "--at", "2026-01-10T00:00Z")
    assert "carriers:AEA,IBE" in shown.output and "the carriers AEA, IBE" in shown.output


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["declare", "BAD-ZONE", "--authority", "FAA", "--kind", "watch_area", "--bbox=0,0,1,1",
          "--binds", "everyone"], "--binds"),
        (["declare", "BAD-ZONE", "--authority", "FAA", "--kind", "watch_area", "--bbox=0,0,1,1",
          "--source-url", "not a url"], "--source-url"),
        (["declare", "BAD-ZONE", "--authority", "FAA", "--kind", "watch_area", "--bbox=0,0,1,1",
          "--from", "2026-02-01T00:00Z", "--to", "2026-01-01T00:00Z"], "valid_to"),
        (["amend", "SVZM", "--authority", "AESA (Spain)", "--binds", "operators:USA"], "--binds"),
        (["lift", "SVZM", "--source-url", "ftp://example.org"], "--source-url"),
    ],
)
def test_cli_refuses_bad_values_naming_them_and_stores_nothing(
    cli_on: Store, args: list[str], named: str
) -> None:
    before = cli_on.zone_change_token()
    result = zones(*args)
    assert result.exit_code == 2, result.output
    assert named in result.output and "Traceback" not in result.output
    assert cli_on.zone_change_token() == before
