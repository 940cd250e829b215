"""1-wire and I2C discovery, through the bus, on directories laid out like the kernel's."""

from __future__ import annotations

import pytest

from tests.services.gpio.gpiotest import CAMERA
from zenith.contracts import gpio
from zenith_gpio.discovery.i2c_chips import candidates
from zenith_gpio.discovery.onewire import parse_w1_slave

GOOD = "72 01 4b 46 7f ff 0e 10 57 : crc=57 YES\n72 01 4b 46 7f ff 0e 10 57 t=23125\n"
BAD_CRC = "72 01 4b 46 7f ff 0e 10 57 : crc=12 NO\n72 01 4b 46 7f ff 0e 10 57 t=23125\n"
RESET = "50 05 4b 46 7f ff 0c 10 1c : crc=1c YES\n50 05 4b 46 7f ff 0c 10 1c t=85000\n"


def device(root, name: str, **files: str) -> None:
    path = root / name
    path.mkdir(parents=True)
    for filename, text in files.items():
        (path / filename).write_text(text)


async def test_onewire_lists_devices_and_reads_temperatures(gpio_svc, bus, settings):
    root = settings.gpio_onewire_dir
    device(root, "w1_bus_master1")
    device(root, "28-0316a2790dff", w1_slave=GOOD)
    device(root, "28-000005e2fdc3", temperature="-1500\n", w1_slave=BAD_CRC)
    device(root, "28-00000a1b2c3d", w1_slave=BAD_CRC)
    device(root, "10-000802b4d3e7", w1_slave=RESET)
    device(root, "3b-0000001a2b3c")  # no files: read fails, still listed
    device(root, "3a-00000012ab34")
    device(root, "ee-00000000beef")
    reply = await bus.request(gpio.ONEWIRE_DEVICES, {}, camera=CAMERA)
    found = {d.id: d for d in reply.devices}
    assert sorted(found) == ["10-000802b4d3e7", "28-000005e2fdc3", "28-00000a1b2c3d",
                             "28-0316a2790dff", "3a-00000012ab34", "3b-0000001a2b3c",
                             "ee-00000000beef"]
    ds = found["28-0316a2790dff"]
    assert (ds.family, ds.kind, ds.chip, ds.temperature_c) == ("28", "temperature",
                                                                "DS18B20", 23.125)
    assert found["28-000005e2fdc3"].temperature_c == -1.5  # the newer temperature file
    assert found["28-00000a1b2c3d"].temperature_c is None
    assert "CRC" in found["28-00000a1b2c3d"].error
    assert found["10-000802b4d3e7"].temperature_c is None
    assert "85.0" in found["10-000802b4d3e7"].error
    assert found["3b-0000001a2b3c"].error and found["3b-0000001a2b3c"].family == "3B"
    assert (found["3a-00000012ab34"].kind, found["3a-00000012ab34"].error) == ("switch", None)
    assert found["ee-00000000beef"].kind == "unknown"


async def test_no_onewire_bus_is_an_empty_list(gpio_svc, bus):
    reply = await bus.request(gpio.ONEWIRE_DEVICES, {}, camera=CAMERA)
    assert reply.devices == []


@pytest.mark.parametrize("text", ["", "garbage", "xx : crc=00 YES\nno temperature here\n"])
def test_unreadable_w1_slave(text):
    with pytest.raises(ValueError):
        parse_w1_slave(text)


async def test_no_i2c_bus_is_an_empty_list(gpio_svc, bus):
    reply = await bus.request(gpio.I2C_DEVICES, {}, camera=CAMERA)
    assert reply.devices == [] and reply.buses == []


async def test_an_i2c_bus_that_cannot_be_scanned_is_reported_not_fatal(gpio_svc, bus,
                                                                       settings):
    dev = settings.gpio_i2c_dev_dir
    dev.mkdir()
    (dev / "i2c-1").write_text("")  # a plain file: the adapter ioctls fail on it
    (dev / "i2c-3").mkdir()  # cannot be opened read-write
    (dev / "i2c-x").write_text("")  # not a bus name
    (dev / "spidev0.0").write_text("")
    reply = await bus.request(gpio.I2C_DEVICES, {}, camera=CAMERA)
    assert reply.devices == []
    assert [(b.bus, b.path) for b in reply.buses] == [(1, str(dev / "i2c-1")),
                                                      (3, str(dev / "i2c-3"))]
    assert "not an I2C adapter" in reply.buses[0].error
    assert "cannot open" in reply.buses[1].error


def test_well_known_chip_addresses():
    assert "BME280" in candidates(0x76) and "BME280" in candidates(0x77)
    assert "TSL2591" in candidates(0x29)
    assert "SHT3x" in candidates(0x44)
    assert "BH1750" in candidates(0x23)
    assert "MLX90614" in candidates(0x5A)
    assert candidates(0x42) == []
