"""Configuration: YAML + environment, and mistakes that name the file, key and expectation."""

from __future__ import annotations

import pytest

from monitor.config import load_settings
from monitor.detectors.registry import build_detectors
from monitor.errors import ConfigError


def test_shipped_config_is_valid_and_has_keyless_feeds(repo_dir):
    settings = load_settings(repo_dir / "config" / "monitor.yaml", environ={})
    names = {f.name: f for f in settings.feeds}
    assert {"opensky", "adsb_lol", "nga_msi"} <= set(names)
    keyless = [f.name for f in settings.feeds if f.enabled and not f.missing_env({})]
    assert set(keyless) == {"opensky", "adsb_lol", "nga_msi"}
    assert names["aisstream"].missing_env({}) == ["AISSTREAM_API_KEY"]
    build_detectors(settings.detectors)


def test_environment_overrides_the_file(tmp_path):
    cfg = tmp_path / "m.yaml"
    cfg.write_text("database_url: sqlite:///a.sqlite\nweb:\n  port: 9000\n")
    s = load_settings(cfg, environ={"DATABASE_URL": "sqlite:///b.sqlite", "MONITOR_PORT": "9100"})
    assert s.database_url == "sqlite:///b.sqlite"
    assert s.web.port == 9100


@pytest.mark.parametrize(
    ("yaml_text", "expected"),
    [
        ("web:\n  port: eighty\n", "web.port: Input should be a valid integer"),
        ("feeds:\n  - name: x\n    type: opensky\n    interval_s: -5\n", "feeds[0] (x).interval_s"),
        ("regionn: {}\n", "regionn: Extra inputs are not permitted"),
        ("log_format: xml\n", "log_format: Input should be 'text' or 'json'"),
        ("- a\n- b\n", "expected a mapping at the top"),
        ("web: [1, 2\n", "not valid YAML"),
    ],
)
def test_config_mistakes_name_file_and_key(tmp_path, yaml_text, expected):
    cfg = tmp_path / "bad.yaml"
    cfg.write_text(yaml_text)
    with pytest.raises(ConfigError) as err:
        load_settings(cfg, environ={})
    assert str(cfg) in str(err.value)
    assert expected in str(err.value)


def test_detector_thresholds_are_typed_and_named():
    with pytest.raises(ConfigError, match=r"detectors\.incursion\.lost_after_s"):
        build_detectors({"incursion": {"lost_after_s": "soon"}})
    with pytest.raises(ConfigError, match=r"detectors\.incursion\.lost_after_min: unknown setting"):
        build_detectors({"incursion": {"lost_after_min": 5}})
    with pytest.raises(ConfigError, match=r"detectors\.teleport: unknown detector"):
        build_detectors({"teleport": {}})
    names = [d.name for d in build_detectors({"incursion": {"enabled": False}})]
    assert "incursion" not in names


def test_missing_named_config_file_is_an_error(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        load_settings(tmp_path / "absent.yaml", environ={})


def test_each_process_of_a_shared_deployment_runs_its_named_feeds(repo_dir):
    import httpx

    from monitor.service.feeds import build_feeds, describe_feeds

    cfg = repo_dir / "config" / "monitor.yaml"
    s = load_settings(cfg, environ={"MONITOR_FEEDS": "opensky, nga_msi"})
    assert s.run_feeds == ["opensky", "nga_msi"]
    built = build_feeds(s, httpx.AsyncClient(transport=httpx.MockTransport(lambda r: httpx.Response(500))), environ={})
    assert sorted(a.name for a in built.polling) == ["nga_msi", "opensky"]
    states = {row[0]: row[2] for row in describe_feeds(s, environ={})}
    assert states["adsb_lol"] == "elsewhere" and states["opensky"] == "runs"


def test_an_unknown_feed_name_for_this_process_is_a_config_error(repo_dir):
    with pytest.raises(ConfigError, match=r"run_feeds: Value error, names feeds that are not configured: adsb_lo\b"):
        load_settings(repo_dir / "config" / "monitor.yaml", environ={"MONITOR_FEEDS": "adsb_lo"})
