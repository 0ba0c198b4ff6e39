"""Bad alert configuration is refused at start-up, naming the rule; the example loads."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from monitor.alerts.config import load_alert_rules
from monitor.alerts.service import alerting_for
from monitor.errors import ConfigError
from tests.alerts.helpers import settings_with

REPO = Path(__file__).resolve().parents[2]
ZONES = {"SVZM", "TNCF", "TTZP", "STRIKE-SOUTHERN-CARIBBEAN", "STRIKE-PARIA-TRINIDAD"}


def load(alerts: dict[str, Any], **kw: Any) -> Any:
    return load_alert_rules(alerts, source="monitor.yaml", known_zone_ids=ZONES, **kw)


def one_rule(**rule: Any) -> dict[str, Any]:
    rule.setdefault("name", "desk")
    rule.setdefault("channels", ["console"])
    return {"rules": [{"name": "fine", "channels": ["console"]}, rule]}


@pytest.mark.parametrize(
    ("alerts", "message"),
    [
        (
            {"channels": {"slack": {"type": "apprise", "url": "slack://only-one-token"}},
             "rules": [{"name": "desk", "channels": ["slack"]}]},
            "alerts.channels.slack: not a usable Apprise URL (scheme 'slack')",
        ),
        (one_rule(channels=["nosuchservice://abc/def"]), "alerts.rules[1] (desk): channel nosuchservice://…: not a usable Apprise URL"),
        (one_rule(kinds=["incurson"]), "alerts.rules[1] (desk): unknown incident kind 'incurson'"),
        (one_rule(zones=["SVZN"]), "alerts.rules[1] (desk): unknown zone 'SVZN'"),
        (one_rule(zones=["NOPE-*"]), "alerts.rules[1] (desk): zone pattern 'NOPE-*' matches no known zone"),
        (one_rule(channels=["pager"]), "alerts.rules[1] (desk): channel 'pager' is not defined"),
        (one_rule(min_severity="severe"), "alerts.rules[1] (desk): invalid alert configuration"),
        (one_rule(name="fine"), "alerts.rules[1] (fine): the rule name 'fine' is used twice"),
        (one_rule(cooldown_s=-5), "alerts.rules[1] (desk)"),
        (
            {"channels": {"hook": {"type": "webhook", "url": "ftp://127.0.0.1/x"}}, "rules": []},
            "alerts.channels.hook: a webhook URL must be http(s)",
        ),
        (
            {"channels": {"hook": {"type": "webhook", "url_env": "MISSING_HOOK_URL"}}, "rules": []},
            "alerts.channels.hook: environment variable MISSING_HOOK_URL is not set",
        ),
    ],
)
def test_bad_config_is_rejected_naming_the_rule(alerts: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError) as info:
        load(alerts, environ={})
    assert message in str(info.value)
    assert str(info.value).startswith("monitor.yaml")


def test_rejection_at_start_up_through_alerting_for(store: Any) -> None:
    settings = settings_with(one_rule(kinds=["incursion"], zones=["SVZX"]))
    with pytest.raises(ConfigError, match=r"alerts.rules\[1\] \(desk\): unknown zone 'SVZX'"):
        alerting_for(settings, store, base_url=None)


def test_unparsable_apprise_url_error_does_not_echo_the_url() -> None:
    with pytest.raises(ConfigError) as info:
        load({"channels": {"x": {"type": "apprise", "url": "slack://secret-token-value"}}, "rules": []})
    assert "secret-token-value" not in str(info.value)


def test_secrets_come_from_the_environment_and_stay_out_of_repr() -> None:
    setup = load(
        {
            "channels": {"hook": {"type": "webhook", "url_env": "HOOK_URL", "secret_env": "HOOK_SECRET"}},
            "rules": [{"name": "desk", "channels": ["hook"]}],
        },
        environ={"HOOK_URL": "http://127.0.0.1:9/hook/tok3n-abcdef", "HOOK_SECRET": "s3cret-value"},
    )
    spec = setup.channels["hook"]
    assert spec.url == "http://127.0.0.1:9/hook/tok3n-abcdef"
    assert spec.secret == "s3cret-value"
    assert "s3cret" not in repr(setup) and "tok3n" not in repr(setup)
    assert {"s3cret-value", "tok3n-abcdef"} <= set(setup.secrets())


def test_inline_urls_become_named_channels_without_secrets_in_the_name() -> None:
    setup = load(one_rule(channels=["http://127.0.0.1:9009/hook/T0KEN12345", "ntfy://ntfy.sh/caribe-desk"]))
    names = setup.rules[1].channels
    assert names[0].startswith("webhook-127.0.0.1-")
    assert names[1].startswith("ntfy-")
    assert all("T0KEN" not in n and "caribe-desk" not in n for n in names)


def test_disabled_rule_is_validated_but_not_used() -> None:
    setup = load(one_rule(enabled=False))
    assert [r.name for r in setup.rules] == ["fine"]
    with pytest.raises(ConfigError):
        load(one_rule(enabled=False, kinds=["bogus"]))


def test_the_example_config_loads_against_the_bundled_zones() -> None:
    from monitor.zones.bundled import load_bundled_zones

    example = yaml.safe_load((REPO / "config" / "alerts.example.yaml").read_text())
    known = {v.zone_id for v in load_bundled_zones()}
    setup = load_alert_rules(example["alerts"], source="alerts.example.yaml", known_zone_ids=known, environ={})
    names = [r.name for r in setup.rules]
    assert "reroutes-and-incursions" in names and "zone-changes" in names
    assert setup.channels["ops_hook"].url == "http://127.0.0.1:9009/hook"


def test_alerts_file_key_merges_a_separate_file(tmp_path: Path) -> None:
    (tmp_path / "alerts.yaml").write_text(
        "alerts:\n  rules:\n    - {name: from-file, kinds: [incursion], channels: [console]}\n"
    )
    cfg = tmp_path / "monitor.yaml"
    cfg.write_text("alerts: {file: alerts.yaml}\n")
    setup = load_alert_rules({"file": "alerts.yaml"}, source=str(cfg))
    assert [r.name for r in setup.rules] == ["from-file"]
