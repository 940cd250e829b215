"""Prometheus metrics of the sensors service."""

from __future__ import annotations

from prometheus_client import Counter

READS = Counter("zenith_sensor_reads_total", "Sensor reads", ["sensor", "outcome"])
STORED = Counter("zenith_sensor_readings_stored_total", "Readings written to the SeriesStore")
ALERTS = Counter("zenith_alerts_total", "Alerts started or ended", ["kind", "state"])
DELIVERIES = Counter("zenith_alert_deliveries_total", "Alert deliveries",
                     ["channel", "outcome"])
