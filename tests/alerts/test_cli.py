"""``monitor alerts list`` / ``test`` / ``retry`` as a user runs them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from monitor.alerts.receiver import WebhookReceiver
from monitor.alerts.service import build_alerting
from monitor.errors import ConfigError
from monitor.store import Store, StoreBatch
from monitor.store.outbox import OutboxStore
from monitor.timeutil import utcnow
from tests.alerts.helpers import SECRET, incident, settings_with
from tests.builders import at

runner = CliRunner(env={"COLUMNS": "200"})


@pytest.fixture
def cli_app() -> Any:
    from monitor.cli.app import app

    return app


def write_config(tmp_path: Path, hook_url: str) -> tuple[Path, str]:
    db = f"sqlite:///{tmp_path / 'cli.sqlite'}"
    cfg = {
        "database_url": db,
        "web": {"host": "127.0.0.1", "port": 8123},
        "alerts": {
            "channels": {"hook": {"type": "webhook", "url": hook_url, "secret": SECRET}},
            "rules": [
                {"name": "desk", "kinds": ["reroute", "incursion"], "zones": ["SVZM"], "channels": ["hook", "console"]}
            ],
        },
    }
    path = tmp_path / "monitor.yaml"
    path.write_text(yaml.safe_dump(cfg))
    return path, db


def seed_alerts(db: str, hook_url: str) -> None:
    store = Store.open(db)
    try:
        settings = settings_with(
            {"channels": {"hook": {"type": "webhook", "url": hook_url}},
             "rules": [{"name": "desk", "channels": ["hook"], "cooldown_s": 0}]}
        )
        a = build_alerting(settings, store, base_url=None, known_zone_ids={"SVZM"})
        assert a is not None
        store.apply(StoreBatch(changes=[incident("ok", t=at(0), subject_id="aaaaaa")]), a.engine)
        store.apply(StoreBatch(changes=[incident("bad", t=at(1), subject_id="bbbbbb")]), a.engine)
        outbox = OutboxStore.of(store)
        first, second = outbox.claim_due(now=utcnow(), limit=2, lease_s=60)
        outbox.delivered(first.id, at=utcnow(), duration_s=0.01)
        outbox.failed(second.id, at=utcnow(), error="HTTP 410: gone", duration_s=0.01, retry_at=None)
        a.detach()
    finally:
        store.close()


def test_list_shows_deliveries_and_failures(tmp_path: Path, cli_app: Any) -> None:
    cfg, db = write_config(tmp_path, "http://127.0.0.1:9/hook")
    seed_alerts(db, "http://127.0.0.1:9/hook")
    result = runner.invoke(cli_app, ["--config", str(cfg), "alerts", "list"], terminal_width=200)
    assert result.exit_code == 0, result.output
    assert "delivered" in result.output and "dead" in result.output
    assert "HTTP 410: gone" in result.output
    assert "pending: 0 · sending: 0 · delivered: 1 · dead: 1" in result.output
    dead = runner.invoke(cli_app, ["--config", str(cfg), "alerts", "list", "--state", "dead"], terminal_width=200)
    assert dead.exit_code == 0
    assert "HTTP 410" in dead.output and "delivered 1" not in dead.output
    assert dead.output.count("desk") == 1


def test_retry_queues_dead_alerts_again(tmp_path: Path, cli_app: Any) -> None:
    cfg, db = write_config(tmp_path, "http://127.0.0.1:9/hook")
    seed_alerts(db, "http://127.0.0.1:9/hook")
    result = runner.invoke(cli_app, ["--config", str(cfg), "alerts", "retry", "--dead"])
    assert result.exit_code == 0, result.output
    assert "1 alert(s) queued again" in result.output
    store = Store.open(db)
    try:
        assert OutboxStore.of(store).counts() == {"pending": 1, "sending": 0, "delivered": 1, "dead": 0}
    finally:
        store.close()


def test_test_command_sends_a_marked_sample_through_each_channel(
    tmp_path: Path, cli_app: Any, receiver: WebhookReceiver
) -> None:
    cfg, _db = write_config(tmp_path, receiver.url)
    result = runner.invoke(cli_app, ["--config", str(cfg), "alerts", "test", "desk"], terminal_width=200)
    assert result.exit_code == 0, result.output
    assert "sent hook" in result.output and "sent console" in result.output
    [got] = receiver.received
    assert got.signature_ok is True
    assert got.payload["test"] is True
    assert got.payload["kind"] == "reroute"
    assert "Route: KMIA Miami International -> SBGR Guarulhos" in got.payload["text"]
    assert got.payload["url"] == "http://127.0.0.1:8123/"
    assert got.payload["text"].endswith("Map: http://127.0.0.1:8123/")
    assert "This is a test alert" in result.output  # the console channel printed it


def test_test_command_reports_a_failing_channel(tmp_path: Path, cli_app: Any, receiver: WebhookReceiver) -> None:
    receiver.fail_always(503)
    cfg, _db = write_config(tmp_path, receiver.url)
    result = runner.invoke(cli_app, ["--config", str(cfg), "alerts", "test", "desk", "--channel", "hook"])
    assert result.exit_code == 1
    assert "failed hook: HTTP 503" in result.output


def test_test_command_names_the_known_rules(tmp_path: Path, cli_app: Any) -> None:
    cfg, _db = write_config(tmp_path, "http://127.0.0.1:9/hook")
    result = runner.invoke(cli_app, ["--config", str(cfg), "alerts", "test", "nope"])
    assert isinstance(result.exception, ConfigError)
    assert "no alert rule named 'nope' (rules: desk)" in str(result.exception)
