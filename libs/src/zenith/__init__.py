"""Zenith shared library: contracts, bus, config, storage and telemetry.

This package never imports a service; services import it.
"""

__version__ = "0.1.0"
