"""Each driver against a simulated bus holding the datasheet's registers.

The bus is :class:`RegisterBus` (a complete test backend: register files
and command replies per address); the arithmetic checked is ours.
"""

from __future__ import annotations

import math
import struct
from pathlib import Path

import pytest

from zenith_sensors.backends import (
    DRIVERS,
    bme280,
    crc,
    dht22,
    ds18b20,
    htu21,
    mlx90614,
    open_sensor,
    pi,
    sht3x,
)
from zenith_sensors.backends.base import Environment
from zenith_sensors.backends.i2c import RegisterBus
from zenith_sensors.backends.night import Night
from zenith_sensors.config import SensorSpec
from zenith_sensors.dewpoint import dew_point
from zenith_sensors.errors import ReadError

# BMP280 datasheet 3.12 (the BME280 shares its T and P compensation)
T_CAL = (27504, 26435, -1000)
P_CAL = (36477, -10685, 3024, 2855, 140, -7, 15500, -14600, 6000)
ADC_T, ADC_P = 519888, 415148
# typical humidity trimming of a BME280
H1, H2, H3, H4, H5, H6 = 75, 362, 0, 313, 50, 30
ADC_H = 30000


def env_with(bus: RegisterBus, tmp_path: Path | None = None) -> Environment:
    root = tmp_path or Path("/nonexistent")
    return Environment(onewire_dir=root / "w1", iio_dir=root / "iio",
                       thermal_zone=root / "thermal", disk_path=root,
                       open_i2c=lambda number: bus)


def bme280_bus(address: int = 0x76) -> RegisterBus:
    bus = RegisterBus()
    bus.load(address, 0xD0, bytes([0x60]))
    bus.load(address, 0x88, struct.pack("<HhhHhhhhhhhh", *T_CAL, *P_CAL))
    bus.load(address, 0xA1, bytes([H1]))
    e4, e5, e6 = H4 >> 4, (H4 & 0x0F) | ((H5 & 0x0F) << 4), H5 >> 4
    bus.load(address, 0xE1, struct.pack("<hB", H2, H3) + bytes([e4, e5, e6]) +
             struct.pack("<b", H6))
    bus.load(address, 0xF3, bytes([0]))
    bus.load(address, 0xF7, bytes([ADC_P >> 12, (ADC_P >> 4) & 0xFF, (ADC_P & 0x0F) << 4,
                                   ADC_T >> 12, (ADC_T >> 4) & 0xFF, (ADC_T & 0x0F) << 4,
                                   ADC_H >> 8, ADC_H & 0xFF]))
    return bus


def bosch_int32_humidity(adc_h: int, t_fine: int) -> float:
    """The datasheet's integer humidity formula (4.2.3), as an independent check."""
    v = t_fine - 76800
    v = (((((adc_h << 14) - (H4 << 20) - (H5 * v)) + 16384) >> 15) *
         (((((((v * H6) >> 10) * (((v * H3) >> 11) + 32768)) >> 10) + 2097152) * H2 + 8192)
          >> 14))
    v = v - (((((v >> 15) * (v >> 15)) >> 7) * H1) >> 4)
    v = min(max(v, 0), 419430400)
    return (v >> 12) / 1024.0


def test_bme280_datasheet_example() -> None:
    bus = bme280_bus()
    sensor = open_sensor(SensorSpec(name="dome", driver="bme280"), simulated=False,
                         env=env_with(bus), night=Night())
    fields = sensor.read()
    assert fields["temp"] == pytest.approx(25.08, abs=0.005)  # datasheet: 25.08 °C
    assert fields["press"] == pytest.approx(1006.53, abs=0.01)  # datasheet: 100653.27 Pa
    _, t_fine = bme280.compensate_temperature(ADC_T, bme280.Calibration.parse(
        struct.pack("<HhhHhhhhhhhh", *T_CAL, *P_CAL), H1, bus.read_register(0x76, 0xE1, 7)))
    assert round(t_fine) == 128422  # datasheet's t_fine
    assert fields["hum"] == pytest.approx(bosch_int32_humidity(ADC_H, round(t_fine)), abs=0.05)
    assert fields["dewpoint"] == pytest.approx(dew_point(fields["temp"], fields["hum"]),
                                               abs=0.01)
    # forced mode with x1 oversampling was asked for
    assert (0x76, bytes([0xF4, 0b00100101])) in bus.writes


def test_bme280_wrong_chip_is_a_read_error() -> None:
    bus = bme280_bus()
    bus.load(0x76, 0xD0, bytes([0x58]))  # a BMP280
    sensor = open_sensor(SensorSpec(name="dome", driver="bme280"), simulated=False,
                         env=env_with(bus), night=Night())
    with pytest.raises(ReadError, match="not a BME280"):
        sensor.read()


def test_missing_device_is_a_read_error() -> None:
    sensor = open_sensor(SensorSpec(name="x", driver="sht3x"), simulated=False,
                         env=env_with(RegisterBus()), night=Night())
    with pytest.raises(ReadError, match="no device"):
        sensor.read()


def test_crc_datasheet_examples() -> None:
    assert crc.sensirion(bytes([0xBE, 0xEF])) == 0x92  # SHT3x datasheet 4.12
    assert crc.htu21(bytes([0x68, 0x3A])) == 0x7C  # HTU21D datasheet
    assert crc.htu21(bytes([0x4E, 0x85])) == 0x6B


def _word(value: int, check: int) -> bytes:
    return bytes([value >> 8, value & 0xFF, check])


def test_sht3x() -> None:
    raw_t, raw_h = 0x6666, 0x8000  # 25.0 °C, 50.0 %
    bus = RegisterBus()
    bus.replies[0x44] = {sht3x.MEASURE_HIGH: _word(raw_t, crc.sensirion(bytes([0x66, 0x66])))
                         + _word(raw_h, crc.sensirion(bytes([0x80, 0x00])))}
    fields = open_sensor(SensorSpec(name="dome", driver="sht3x"), simulated=False,
                         env=env_with(bus), night=Night()).read()
    assert fields["temp"] == pytest.approx(-45 + 175 * raw_t / 65535, abs=0.005)
    assert fields["hum"] == pytest.approx(100 * raw_h / 65535, abs=0.005)
    bad = bytearray(bus.replies[0x44][sht3x.MEASURE_HIGH])
    bad[2] ^= 0xFF
    bus.replies[0x44][sht3x.MEASURE_HIGH] = bytes(bad)
    with pytest.raises(ReadError, match="CRC"):
        open_sensor(SensorSpec(name="dome", driver="sht3x"), simulated=False,
                    env=env_with(bus), night=Night()).read()


def test_htu21_datasheet_values() -> None:
    bus = RegisterBus()
    bus.replies[0x40] = {htu21.TEMP_NO_HOLD: bytes([0x68, 0x3A, 0x7C]),
                         htu21.HUM_NO_HOLD: bytes([0x4E, 0x85, 0x6B])}
    fields = open_sensor(SensorSpec(name="dome", driver="htu21"), simulated=False,
                         env=env_with(bus), night=Night()).read()
    assert fields["temp"] == pytest.approx(-46.85 + 175.72 * 0x6838 / 65536, abs=0.005)
    assert fields["temp"] == pytest.approx(24.7, abs=0.05)  # datasheet example: 24.7 °C
    assert fields["hum"] == pytest.approx(-6 + 125 * 0x4E84 / 65536, abs=0.005)
    assert fields["hum"] == pytest.approx(32.3, abs=0.05)  # datasheet example: 32.3 %RH


def _mlx_word(address: int, register: int, raw: int) -> bytes:
    lsb, msb = raw & 0xFF, raw >> 8
    pec = crc.smbus_pec(bytes([address << 1, register, (address << 1) | 1, lsb, msb]))
    return bytes([lsb, msb, pec])


def test_mlx90614_with_pec_and_sky_temperature() -> None:
    bus = RegisterBus()
    ta, to = round((10.0 + 273.15) / 0.02), round((-15.0 + 273.15) / 0.02)
    bus.blocks[0x5A] = {0x06: _mlx_word(0x5A, 0x06, ta), 0x07: _mlx_word(0x5A, 0x07, to)}
    spec = SensorSpec(name="cloud", driver="mlx90614")
    fields = open_sensor(spec, simulated=False, env=env_with(bus), night=Night()).read()
    assert fields["Ambient"] == pytest.approx(10.0, abs=0.01)
    assert fields["Object"] == pytest.approx(-15.0, abs=0.01)
    assert fields["Tsky"] == pytest.approx(-25.0, abs=0.02)  # k1 = 100: Tobj - Ta
    assert fields["CloudState"] == 0
    assert mlx90614.sky_temperature(-15, 10, {"k1": 0}) == -15  # all k = 0: raw
    bus.blocks[0x5A][0x07] = _mlx_word(0x5A, 0x07, to)[:2] + b"\x00"
    with pytest.raises(ReadError, match="PEC"):
        open_sensor(spec, simulated=False, env=env_with(bus), night=Night()).read()


def test_tsl2591_lux_and_sqm() -> None:
    bus = RegisterBus()
    bus.load(0x29, 0xA0 | 0x12, bytes([0x50]))
    bus.load(0x29, 0xA0 | 0x13, bytes([0x01]))
    ch0, ch1 = 1000, 300
    bus.load(0x29, 0xA0 | 0x14, bytes([ch0 & 0xFF, ch0 >> 8, ch1 & 0xFF, ch1 >> 8]))
    spec = SensorSpec(name="light", driver="tsl2591", options={"gain": 428,
                                                                "integration_ms": 600,
                                                                "sqm_const": 20.0})
    fields = open_sensor(spec, simulated=False, env=env_with(bus), night=Night()).read()
    cpl = 600 * 428 / 408
    assert fields["Lux"] == pytest.approx((ch0 - ch1) * (1 - ch1 / ch0) / cpl, rel=1e-4)
    assert fields["SQM_RAW"] == pytest.approx(20.0 - 2.5 * math.log10(
        1000 / (428 * 0.6)), abs=0.001)
    assert fields["GoodRead"] == 1 and fields["CH0"] == 1000
    assert (0x29, bytes([0xA1, (0b10 << 4) | 5])) in bus.writes  # high gain, 600 ms


W1_GOOD = ("72 01 4b 46 7f ff 0e 10 57 : crc=57 YES\n"
           "72 01 4b 46 7f ff 0e 10 57 t=23125\n")


def test_ds18b20_sysfs(tmp_path: Path) -> None:
    dev = tmp_path / "w1" / "28-0316a2790dff"
    dev.mkdir(parents=True)
    (tmp_path / "w1" / "w1_bus_master1").mkdir()
    (dev / "w1_slave").write_text(W1_GOOD)
    sensor = open_sensor(SensorSpec(name="outside", driver="ds18b20"), simulated=False,
                         env=env_with(RegisterBus(), tmp_path), night=Night())
    assert sensor.read() == {"temp": 23.125}
    (dev / "w1_slave").write_text(W1_GOOD.replace("YES", "NO"))
    with pytest.raises(ReadError, match="CRC"):
        sensor.read()
    (dev / "w1_slave").write_text(W1_GOOD.replace("t=23125", "t=85000"))
    with pytest.raises(ReadError, match="power-on"):
        sensor.read()
    named = open_sensor(SensorSpec(name="o", driver="ds18b20", device="28-000000000000"),
                        simulated=False, env=env_with(RegisterBus(), tmp_path), night=Night())
    with pytest.raises(ReadError, match="not found"):
        named.read()
    assert ds18b20.parse_w1_slave(W1_GOOD.replace("t=23125", "t=-1250")) == -1.25


def test_dht22_iio_sysfs(tmp_path: Path) -> None:
    dev = tmp_path / "iio" / "iio:device0"
    dev.mkdir(parents=True)
    (dev / "name").write_text("dht11\n")
    (dev / "in_temp_input").write_text("12300\n")
    (dev / "in_humidityrelative_input").write_text("81500\n")
    sensor = open_sensor(SensorSpec(name="box", driver="dht22"), simulated=False,
                         env=env_with(RegisterBus(), tmp_path), night=Night())
    fields = sensor.read()
    assert fields["temp"] == 12.3 and fields["hum"] == 81.5
    assert fields["dewpoint"] == pytest.approx(dew_point(12.3, 81.5), abs=0.01)
    (dev / "in_temp_input").unlink()
    with pytest.raises(ReadError):
        sensor.read()
    assert dht22.MEASUREMENT == "dht22"


def test_pi_reads_thermal_zone_and_psutil(tmp_path: Path) -> None:
    (tmp_path / "thermal").write_text("48312\n")
    sensor = open_sensor(SensorSpec(name="pi", driver="pi"), simulated=False,
                         env=env_with(RegisterBus(), tmp_path), night=Night())
    fields = sensor.read()
    assert sensor.measurement == pi.MEASUREMENT == "raspistatus"
    assert fields["raspiTemp"] == pytest.approx(48.312)
    assert fields["raspiDiskUsage"] > 0 and 0 < fields["raspiDiskPercent"] < 100
    assert fields["raspiMemTotalMB"] > 0 and fields["online"] == 1.0


def test_every_driver_simulates_a_night_that_nears_dew() -> None:
    clock = [0.0]
    night = Night(clock=lambda: clock[0], speed=3600.0)  # one hour per second
    sensors = {d: open_sensor(SensorSpec(name=d, driver=d), simulated=True,
                              env=Environment(), night=night) for d in DRIVERS}
    evening = {d: s.read() for d, s in sensors.items()}
    clock[0] = 5.5  # 5.5 hours later: near the coldest, most humid hour
    late = {d: s.read() for d, s in sensors.items()}
    assert late["bme280"]["temp"] < evening["bme280"]["temp"] - 5
    assert late["bme280"]["hum"] > evening["bme280"]["hum"] + 20
    spread_late = late["bme280"]["temp"] - late["bme280"]["dewpoint"]
    assert 0 <= spread_late < 1.0
    assert late["ds18b20"]["temp"] < evening["ds18b20"]["temp"]
    clear = late["mlx90614"]["Tsky"]
    clock[0] = 4.5 - 0.25  # inside a passing cloud (60..100 min of each 3 hours)
    cloudy = sensors["mlx90614"].read()["Tsky"]
    assert cloudy > clear + 10  # the sky temperature jumps when a cloud passes
    for driver, fields in late.items():
        assert fields and all(isinstance(v, float | int) for v in fields.values()), driver
