"""The I2C bus a driver talks to: smbus2 on hardware, :class:`RegisterBus` in tests.

Drivers use only :class:`I2cBus`, so the same arithmetic runs against a
chip and against registers a test (or the datasheet) provides.
"""

from __future__ import annotations

from typing import Protocol

from zenith_sensors.errors import BackendUnavailable, ReadError


class I2cBus(Protocol):
    def read_register(self, address: int, register: int, length: int) -> bytes: ...

    def write_register(self, address: int, register: int, data: bytes) -> None: ...

    def write(self, address: int, data: bytes) -> None: ...

    def read(self, address: int, length: int) -> bytes: ...

    def close(self) -> None: ...


class Smbus2Bus:
    """``/dev/i2c-<bus>`` through smbus2 (the only module that imports it)."""

    def __init__(self, bus: int) -> None:
        try:
            from smbus2 import SMBus
        except ImportError as exc:  # pragma: no cover - a dependency of the package
            raise BackendUnavailable(f"smbus2 is not installed: {exc}") from exc
        try:
            self._bus = SMBus(bus)
        except OSError as exc:
            raise BackendUnavailable(f"cannot open /dev/i2c-{bus}: {exc}") from exc

    def read_register(self, address: int, register: int, length: int) -> bytes:
        try:
            return bytes(self._bus.read_i2c_block_data(address, register, length))
        except OSError as exc:
            raise ReadError(f"I2C 0x{address:02x} register 0x{register:02x}: {exc}") from exc

    def write_register(self, address: int, register: int, data: bytes) -> None:
        try:
            self._bus.write_i2c_block_data(address, register, list(data))
        except OSError as exc:
            raise ReadError(f"I2C 0x{address:02x} register 0x{register:02x}: {exc}") from exc

    def write(self, address: int, data: bytes) -> None:
        from smbus2 import i2c_msg

        try:
            self._bus.i2c_rdwr(i2c_msg.write(address, list(data)))
        except OSError as exc:
            raise ReadError(f"I2C 0x{address:02x} write: {exc}") from exc

    def read(self, address: int, length: int) -> bytes:
        from smbus2 import i2c_msg

        msg = i2c_msg.read(address, length)
        try:
            self._bus.i2c_rdwr(msg)
        except OSError as exc:
            raise ReadError(f"I2C 0x{address:02x} read: {exc}") from exc
        return bytes(msg)

    def close(self) -> None:
        self._bus.close()


class RegisterBus:
    """A simulated bus: register files and command replies per address.

    ``registers[address][register]`` is one byte; a block read returns
    consecutive registers. ``replies[address][command]`` is what a
    command-style chip (SHT3x, HTU21) sends after ``command`` was written.
    ``blocks[address][command]`` answers an SMBus block read of that command
    as a whole (chips whose commands are not a register file: MLX90614).
    ``writes`` records every write, for assertions.
    """

    def __init__(self) -> None:
        self.registers: dict[int, dict[int, int]] = {}
        self.replies: dict[int, dict[bytes, bytes]] = {}
        self.blocks: dict[int, dict[int, bytes]] = {}
        self.writes: list[tuple[int, bytes]] = []
        self._last_command: dict[int, bytes] = {}

    def load(self, address: int, start: int, data: bytes) -> None:
        regs = self.registers.setdefault(address, {})
        for offset, value in enumerate(data):
            regs[start + offset] = value

    def _device(self, address: int) -> None:
        if not any(address in table for table in (self.registers, self.replies, self.blocks)):
            raise ReadError(f"I2C 0x{address:02x}: no device answers (simulated bus)")

    def read_register(self, address: int, register: int, length: int) -> bytes:
        self._device(address)
        block = self.blocks.get(address, {}).get(register)
        if block is not None:
            return block[:length]
        regs = self.registers.get(address, {})
        return bytes(regs.get(register + i, 0) for i in range(length))

    def write_register(self, address: int, register: int, data: bytes) -> None:
        self._device(address)
        self.writes.append((address, bytes([register]) + data))
        self.load(address, register, data)

    def write(self, address: int, data: bytes) -> None:
        self._device(address)
        self.writes.append((address, data))
        self._last_command[address] = data

    def read(self, address: int, length: int) -> bytes:
        self._device(address)
        command = self._last_command.get(address, b"")
        reply = self.replies.get(address, {}).get(command)
        if reply is None:
            raise ReadError(f"I2C 0x{address:02x}: no reply to {command.hex()} (simulated)")
        return reply[:length]

    def close(self) -> None:
        return None
