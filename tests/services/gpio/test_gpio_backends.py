"""Choosing the pin backend, and settings that stop the service with a clear message."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from gpiozero.pins.mock import MockFactory, MockPWMPin

from zenith.cli.nats_server import free_port
from zenith.config import load_settings
from zenith.errors import ConfigError
from zenith.runner import service_context
from zenith_gpio.backends import is_raspberry_pi, load_pin_factory
from zenith_gpio.main import main, serve
from zenith_gpio.settings import GpioSettings


def model_file(tmp_path: Path, text: str) -> tuple[Path, ...]:
    path = tmp_path / "model"
    path.write_bytes(text.encode() + b"\x00")
    return (path,)


def test_auto_off_a_pi_is_the_mock_with_a_warning(tmp_path, caplog):
    caplog.set_level(logging.WARNING)
    backend = load_pin_factory(GpioSettings(), model_files=(tmp_path / "absent",))
    assert backend.name == "mock"
    assert isinstance(backend.factory, MockFactory)
    assert issubclass(backend.factory.pin_class, MockPWMPin)
    assert any("mock" in r.getMessage() and "ZENITH_GPIO_PIN_FACTORY" in r.getMessage()
               for r in caplog.records if r.levelno == logging.WARNING)


def test_auto_on_another_board_is_the_mock(tmp_path):
    files = model_file(tmp_path, "Orange Pi 5")
    assert not is_raspberry_pi(files)
    assert load_pin_factory(GpioSettings(), model_files=files).name == "mock"


@pytest.mark.skipif(Path("/dev/gpiochip0").exists(), reason="real GPIO here: lgpio would load")
def test_auto_on_a_pi_never_falls_back_to_the_mock(tmp_path):
    files = model_file(tmp_path, "Raspberry Pi 4 Model B Rev 1.4")
    assert is_raspberry_pi(files)
    with pytest.raises(ConfigError) as info:
        load_pin_factory(GpioSettings(), model_files=files)
    message = str(info.value)
    assert "ZENITH_GPIO_PIN_FACTORY" in message and "Raspberry Pi 4" in message
    assert "lgpio" in message


@pytest.mark.skipif(Path("/dev/gpiochip0").exists(), reason="real GPIO here: lgpio would load")
def test_an_explicit_backend_that_fails_is_a_config_error_naming_the_setting():
    with pytest.raises(ConfigError) as info:
        load_pin_factory(GpioSettings(gpio_pin_factory="lgpio"))
    assert "ZENITH_GPIO_PIN_FACTORY=lgpio" in str(info.value)


def test_pigpio_without_a_daemon_is_a_config_error(capsys):
    settings = GpioSettings(gpio_pin_factory="pigpio", gpio_pigpio_host="127.0.0.1",
                            gpio_pigpio_port=free_port())
    with pytest.raises(ConfigError) as info:
        load_pin_factory(settings)
    assert "ZENITH_GPIO_PIN_FACTORY=pigpio" in str(info.value)


def test_mock_by_name():
    backend = load_pin_factory(GpioSettings(gpio_pin_factory="mock"))
    assert backend.name == "mock" and isinstance(backend.factory, MockFactory)


@pytest.mark.parametrize("env, named", [
    ({"ZENITH_GPIO_PIN_FACTORY": "rpigpio"}, "ZENITH_GPIO_PIN_FACTORY"),
    ({"ZENITH_GPIO_FOCUSER_PINS": "17,27"}, "ZENITH_GPIO_FOCUSER_PINS"),
    ({"ZENITH_GPIO_FOCUSER_PINS": "17,27,99"}, "ZENITH_GPIO_FOCUSER_PINS"),
    ({"ZENITH_GPIO_FOCUSER_PINS": "17,17,27"}, "ZENITH_GPIO_FOCUSER_PINS"),
    ({"ZENITH_GPIO_FOCUSER_DRIVER": "uln2003", "ZENITH_GPIO_FOCUSER_PINS": "17,27,22"},
     "ZENITH_GPIO_FOCUSER_PINS"),
    ({"ZENITH_GPIO_FOCUSER_MIN_POSITION": "10", "ZENITH_GPIO_FOCUSER_MAX_POSITION": "5"},
     "ZENITH_GPIO_FOCUSER_MAX_POSITION"),
    ({"ZENITH_GPIO_FOCUSER_SPEED": "0"}, "ZENITH_GPIO_FOCUSER_SPEED"),
    ({"ZENITH_GPIO_PIGPIO_PORT": "http"}, "ZENITH_GPIO_PIGPIO_PORT"),
])
def test_bad_settings_name_the_variable(env, named):
    with pytest.raises(ConfigError) as info:
        load_settings(GpioSettings, env=env)
    assert named in str(info.value)


def test_settings_from_the_environment():
    settings = load_settings(GpioSettings, env={
        "ZENITH_GPIO_PIN_FACTORY": "pigpio", "ZENITH_GPIO_PIGPIO_HOST": "pi.local",
        "ZENITH_GPIO_FOCUSER_DRIVER": "uln2003", "ZENITH_GPIO_FOCUSER_PINS": "5, 6, 13, 19",
        "ZENITH_GPIO_ONEWIRE_DIR": "/tmp/w1"})
    assert settings.gpio_pin_factory == "pigpio" and settings.gpio_pigpio_host == "pi.local"
    assert settings.gpio_focuser_pins == [5, 6, 13, 19]
    assert settings.gpio_onewire_dir == Path("/tmp/w1")


def test_main_exits_2_naming_a_bad_setting(monkeypatch, capsys):
    monkeypatch.setenv("ZENITH_GPIO_PIN_FACTORY", "nonsense")
    assert main([]) == 2
    assert "ZENITH_GPIO_PIN_FACTORY" in capsys.readouterr().err


@pytest.mark.skipif(Path("/dev/gpiochip0").exists(), reason="real GPIO here: lgpio would load")
async def test_the_service_does_not_start_on_a_backend_that_fails(nats_server):
    settings = GpioSettings(nats_url=nats_server.url, gpio_pin_factory="lgpio")
    with pytest.raises(ConfigError) as info:
        async with service_context("gpio", settings, serve):
            pass
    assert "ZENITH_GPIO_PIN_FACTORY" in str(info.value)
