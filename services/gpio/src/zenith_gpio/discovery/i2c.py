"""I2C discovery: the ``/dev/i2c-N`` buses and the addresses answering on them.

Probing follows ``i2cdetect``'s automatic mode, talking to the kernel's
i2c-dev interface with ``ioctl``: an SMBus quick write for most addresses
and a receive-byte read for 0x30-0x37 and 0x50-0x5F, where a quick write
is known to upset some EEPROMs and write-protect latches. An address a
kernel driver already holds is reported as in use without being touched.
A bus that cannot be opened is listed with the reason; no bus, no devices.
"""

from __future__ import annotations

import asyncio
import ctypes
import errno
import fcntl
import os
import re
from pathlib import Path

from zenith.contracts.gpio import I2cBus, I2cDevice
from zenith_gpio.discovery.i2c_chips import candidates

FIRST, LAST = 0x03, 0x77
I2C_SLAVE = 0x0703
I2C_FUNCS = 0x0705
I2C_SMBUS = 0x0720
SMBUS_WRITE, SMBUS_READ = 0, 1
SMBUS_QUICK, SMBUS_BYTE = 0, 1
FUNC_QUICK = 0x00010000
FUNC_READ_BYTE = 0x00020000
BUS_RE = re.compile(r"^i2c-(\d+)$")


class _SmbusData(ctypes.Union):
    _fields_ = [("byte", ctypes.c_uint8), ("word", ctypes.c_uint16),
                ("block", ctypes.c_uint8 * 34)]


class _SmbusIoctl(ctypes.Structure):
    _fields_ = [("read_write", ctypes.c_uint8), ("command", ctypes.c_uint8),
                ("size", ctypes.c_uint32), ("data", ctypes.POINTER(_SmbusData))]


def _read_first(address: int) -> bool:
    return 0x30 <= address <= 0x37 or 0x50 <= address <= 0x5F


def _probe(fd: int, address: int, funcs: int) -> bool:
    """True when a chip acknowledges ``address`` (not probed when unsafe: False)."""
    if _read_first(address):
        if not funcs & FUNC_READ_BYTE:
            return False
        use_read = True
    else:
        use_read = not funcs & FUNC_QUICK
    data = _SmbusData()
    if use_read:
        args = _SmbusIoctl(SMBUS_READ, 0, SMBUS_BYTE, ctypes.pointer(data))
    else:
        args = _SmbusIoctl(SMBUS_WRITE, 0, SMBUS_QUICK, None)
    try:
        fcntl.ioctl(fd, I2C_SMBUS, args)
    except OSError:
        return False
    return True


def scan_bus(path: Path, number: int) -> tuple[I2cBus, list[I2cDevice]]:
    """Every answering address of one bus (blocking: run it in a thread)."""
    bus = I2cBus(bus=number, path=str(path))
    try:
        fd = os.open(path, os.O_RDWR)
    except OSError as exc:
        bus.error = f"cannot open: {exc.strerror or exc}"
        return bus, []
    devices: list[I2cDevice] = []
    try:
        funcs_buf = ctypes.c_ulong(0)
        try:
            fcntl.ioctl(fd, I2C_FUNCS, funcs_buf)
        except OSError as exc:
            bus.error = f"not an I2C adapter: {exc.strerror or exc}"
            return bus, []
        funcs = funcs_buf.value
        if not funcs & (FUNC_QUICK | FUNC_READ_BYTE):
            bus.error = "the adapter can neither quick-write nor read a byte; not probed"
            return bus, []
        for address in range(FIRST, LAST + 1):
            try:
                fcntl.ioctl(fd, I2C_SLAVE, address)
            except OSError as exc:
                if exc.errno == errno.EBUSY:
                    devices.append(_device(number, address, in_use=True))
                continue
            if _probe(fd, address, funcs):
                devices.append(_device(number, address))
    finally:
        os.close(fd)
    return bus, devices


def _device(bus: int, address: int, in_use: bool = False) -> I2cDevice:
    return I2cDevice(bus=bus, address=address, hex=f"0x{address:02x}",
                     candidates=candidates(address), in_use=in_use)


def list_buses(dev_dir: Path) -> list[tuple[int, Path]]:
    try:
        names = os.listdir(dev_dir)
    except OSError:
        return []
    found = [(int(m.group(1)), dev_dir / name) for name in names if (m := BUS_RE.match(name))]
    return sorted(found)


class I2cScanner:
    """Scans one bus at a time (two scans at once would confuse each other)."""

    def __init__(self, dev_dir: Path) -> None:
        self.dev_dir = dev_dir
        self._lock = asyncio.Lock()

    async def scan(self) -> tuple[list[I2cBus], list[I2cDevice]]:
        async with self._lock:
            buses: list[I2cBus] = []
            devices: list[I2cDevice] = []
            for number, path in await asyncio.to_thread(list_buses, self.dev_dir):
                bus, found = await asyncio.to_thread(scan_bus, path, number)
                buses.append(bus)
                devices.extend(found)
            return buses, devices
