"""Settings of the sensors service (``ZENITH_SENSORS_*``)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field, SecretStr

from zenith.config import Settings
from zenith_sensors.config import AlertRule, FanRule, HeaterRule, SensorSpec


class SensorsSettings(Settings):
    sensors_backend: Literal["auto", "hardware", "simulated"] = Field(
        "auto", description="Sensor backends: auto (hardware on a Raspberry Pi, simulated "
        "elsewhere), hardware or simulated (a plausible night, for zenith dev).")
    sensors_devices: list[SensorSpec] | None = Field(
        None, description="The sensors ([[sensors.devices]]: name, driver, interval_s, bus, "
        "address, device, options). Unset: the demo set when simulated, none on hardware "
        "(a hub).")
    sensors_heaters: list[HeaterRule] | None = Field(
        None, description="Dew heater rules; unset: a demo heater when simulated.")
    sensors_fans: list[FanRule] | None = Field(
        None, description="Fan rules; unset: a demo fan when simulated.")
    sensors_alerts: list[AlertRule] | None = Field(
        None, description="Alert rules; unset: the default set (dew risk, disk, offline, "
        "sky clear, sensor failed).")
    sensors_store: bool = Field(
        True, description="Run the SENSORS -> SeriesStore writer (every replica shares it).")
    sensors_store_batch: int = Field(256, ge=1, le=10_000,
                                     description="Readings written per batch.")
    sensors_sim_speed: float = Field(
        1.0, gt=0, le=10_000, description="Simulated night: this many seconds pass per second.")
    sensors_sim_start: datetime | None = Field(
        None, description="ISO time the simulated clock starts at (as "
        "ZENITH_CAPTURE_SIM_START); empty: now. The simulated night runs from 18:00 to 06:00 "
        "local solar time at the site's longitude.")
    sensors_onewire_dir: str = Field("/sys/bus/w1/devices", description="1-wire sysfs.")
    sensors_iio_dir: str = Field("/sys/bus/iio/devices", description="IIO sysfs (DHT22).")
    sensors_thermal_zone: str = Field("/sys/class/thermal/thermal_zone0/temp",
                                      description="CPU temperature file, millidegrees.")
    sensors_disk_path: str = Field("/", description="Disk whose use raspistatus reports "
                                   "(the data volume).")
    sensors_retry_max_s: float = Field(600, gt=0, description="Longest pause between tries "
                                       "of a failing sensor, s.")
    sensors_control_interval_s: float = Field(
        30, gt=0, description="Heater and fan rules are also evaluated this often.")
    # alerts
    sensors_hub_alerts: bool = Field(
        False, description="On a hub: alerts for every uploading camera too (offline from the "
        "network service's status, dew, humidity, disk and sky from uploaded readings); "
        "this service's own camera then has no offline rule of its own.")
    sensors_hub_alerts_max_age_s: float = Field(
        3600, gt=0, description="On a hub, uploaded readings older than this are not judged "
        "(a node catching up).")
    sensors_webhook_urls: list[str] = Field(default_factory=list,
                                            description="Alerts are POSTed here as JSON.")
    sensors_webhook_attempts: int = Field(5, ge=1, le=20, description="Tries per webhook.")
    sensors_smtp_host: str = Field("", description="SMTP server for alert mail; empty: none.")
    sensors_smtp_port: int = Field(587, ge=1, le=65535)
    sensors_smtp_starttls: bool = Field(True, description="STARTTLS after connecting.")
    sensors_smtp_username: str = ""
    sensors_smtp_password: SecretStr | None = None
    sensors_smtp_from: str = Field("zenith@localhost", description="Sender of alert mail.")
    sensors_smtp_to: list[str] = Field(default_factory=list, description="Alert recipients.")
    # MQTT
    sensors_mqtt_host: str = Field("", description="MQTT broker; empty: no MQTT.")
    sensors_mqtt_port: int = Field(1883, ge=1, le=65535)
    sensors_mqtt_username: str = ""
    sensors_mqtt_password: SecretStr | None = None
    sensors_mqtt_prefix: str = Field("zenith", pattern=r"^[A-Za-z0-9_/-]{1,64}$",
                                     description="Topics: <prefix>/<camera>/...")
    sensors_mqtt_discovery: bool = Field(True, description="Send Home Assistant discovery.")
    sensors_mqtt_discovery_prefix: str = Field("homeassistant", pattern=r"^[A-Za-z0-9_/-]{1,64}$")
    sensors_mqtt_commands: bool = Field(
        False, description="Accept commands on <prefix>/<camera>/set/<heater|fan|capture>.")
    sensors_public_url: str = Field("", description="Base URL of the web service, for the "
                                    "latest image's URL on MQTT.")
