"""Settings from the environment and a TOML file, with errors naming the setting."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import Field

from zenith.config import Settings, describe, load_settings, redact_url
from zenith.errors import ConfigError


class ExampleSettings(Settings):
    gpio_pin_factory: str = Field("mock")
    web_trusted_proxies: list[str] = Field(default_factory=list)
    capture_interval_s: float = Field(30.0, gt=0)


def test_defaults_without_env():
    s = load_settings(ExampleSettings, env={})
    assert s.camera == "demo"
    assert s.capture_interval_s == 30.0
    assert s.resolved_metadata_url == f"sqlite:///{Path('var') / 'metadata.db'}"


def test_env_overrides_and_lists():
    s = load_settings(ExampleSettings, env={
        "ZENITH_CAMERA": "roof-cam",
        "ZENITH_CAPTURE_INTERVAL_S": "12.5",
        "ZENITH_WEB_TRUSTED_PROXIES": "10.0.0.1, 10.0.0.0/24",
    })
    assert s.camera == "roof-cam"
    assert s.capture_interval_s == 12.5
    assert s.web_trusted_proxies == ["10.0.0.1", "10.0.0.0/24"]
    s = load_settings(ExampleSettings, env={"ZENITH_WEB_TRUSTED_PROXIES": '["::1"]'})
    assert s.web_trusted_proxies == ["::1"]


def test_toml_sections_and_env_precedence(tmp_path: Path):
    cfg = tmp_path / "zenith.toml"
    cfg.write_text('camera = "file-cam"\n[capture]\ninterval_s = 60\n'
                   '[gpio]\npin_factory = "lgpio"\n')
    s = load_settings(ExampleSettings, env={"ZENITH_CONFIG": str(cfg),
                                            "ZENITH_GPIO_PIN_FACTORY": "pigpio"})
    assert s.camera == "file-cam"
    assert s.capture_interval_s == 60
    assert s.gpio_pin_factory == "pigpio"  # environment wins over the file


@pytest.mark.parametrize("env, named", [
    ({"ZENITH_CAMERA": "Bad Camera!"}, "ZENITH_CAMERA"),
    ({"ZENITH_CAPTURE_INTERVAL_S": "-1"}, "ZENITH_CAPTURE_INTERVAL_S"),
    ({"ZENITH_CAPTURE_INTERVAL_S": "soon"}, "ZENITH_CAPTURE_INTERVAL_S"),
    ({"ZENITH_LATITUDE": "91"}, "ZENITH_LATITUDE"),
    ({"ZENITH_LOG_LEVEL": "chatty"}, "ZENITH_LOG_LEVEL"),
    ({"ZENITH_METRICS_PORT": "70000"}, "ZENITH_METRICS_PORT"),
])
def test_bad_setting_names_the_variable(env, named):
    with pytest.raises(ConfigError) as info:
        load_settings(ExampleSettings, env=env)
    assert named in str(info.value)


def test_secrets_are_not_echoed():
    with pytest.raises(ConfigError) as info:
        load_settings(ExampleSettings,
                      env={"ZENITH_INFLUX_TOKEN": "s3cret", "ZENITH_LATITUDE": "x"})
    assert "s3cret" not in str(info.value)


def test_missing_or_broken_config_file(tmp_path: Path):
    with pytest.raises(ConfigError, match="ZENITH_CONFIG"):
        load_settings(ExampleSettings, env={"ZENITH_CONFIG": str(tmp_path / "nope.toml")})
    broken = tmp_path / "broken.toml"
    broken.write_text("camera = [unclosed")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_settings(ExampleSettings, env={"ZENITH_CONFIG": str(broken)})


def test_describe_lists_env_names():
    names = {row["env"] for row in describe(ExampleSettings)}
    assert {"ZENITH_CAMERA", "ZENITH_GPIO_PIN_FACTORY", "ZENITH_NATS_URL"} <= names


def test_redact_url_hides_credentials():
    assert redact_url("nats://user:pw@nats:4222,nats://n2:4222") == \
        "nats://***@nats:4222,nats://n2:4222"
    assert redact_url("nats://127.0.0.1:4222") == "nats://127.0.0.1:4222"
