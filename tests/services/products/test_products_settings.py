"""Settings: a bad value stops the service with a message naming the setting."""

from __future__ import annotations

import pytest

from zenith.config import load_settings
from zenith.errors import ConfigError
from zenith_products.config import NightConfig
from zenith_products.service import worker_id
from zenith_products.settings import ProductsSettings


@pytest.mark.parametrize("env, name", [
    ({"ZENITH_PRODUCTS_TIMEZONE": "Mars/Olympus"}, "ZENITH_PRODUCTS_TIMEZONE"),
    ({"ZENITH_PRODUCTS_STARTRAILS_THRESHOLD": "1.5"}, "ZENITH_PRODUCTS_STARTRAILS_THRESHOLD"),
    ({"ZENITH_PRODUCTS_TIMELAPSE_PRESET": "placebo"}, "ZENITH_PRODUCTS_TIMELAPSE_PRESET"),
    ({"ZENITH_PRODUCTS_KEOGRAM_EXPAND": "0"}, "ZENITH_PRODUCTS_KEOGRAM_EXPAND"),
    ({"ZENITH_PRODUCTS_WORKER_ID": "a.b"}, "ZENITH_PRODUCTS_WORKER_ID"),
    ({"ZENITH_PRODUCTS_CHECKPOINT_S": "90"}, "ZENITH_PRODUCTS_ACK_WAIT_S"),
    ({"ZENITH_PRODUCTS_DISK_HIGH_WATER": "120"}, "ZENITH_PRODUCTS_DISK_HIGH_WATER"),
])
def test_bad_settings_name_the_variable(env, name):
    with pytest.raises(ConfigError) as info:
        load_settings(ProductsSettings, env=env)
    assert name in str(info.value)


def test_toml_section_and_environment(tmp_path):
    config = tmp_path / "zenith.toml"
    config.write_text('[products]\nkeogram_expand = 4\ntimezone = "Europe/Amsterdam"\n')
    s = load_settings(ProductsSettings, env={"ZENITH_PRODUCTS_TIMELAPSE_FPS": "30"},
                      config_file=config)
    assert (s.products_keogram_expand, s.products_timezone, s.products_timelapse_fps) == \
        (4, "Europe/Amsterdam", 30)
    night = NightConfig.from_settings(s)
    assert NightConfig.from_dict(night.to_dict()) == night
    assert night.timelapse_params(1281, 961).width == 1280  # even sizes for yuv420p


def test_default_worker_id_is_a_valid_key_token():
    s = load_settings(ProductsSettings, env={})
    assert all(c.isalnum() or c in "-_" for c in worker_id(s))
    named = load_settings(ProductsSettings, env={"ZENITH_PRODUCTS_WORKER_ID": "pod-1"})
    assert worker_id(named) == "pod-1"
