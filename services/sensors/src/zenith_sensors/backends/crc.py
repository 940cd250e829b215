"""CRC-8 checks of the Sensirion, TE (HTU21) and Melexis (SMBus PEC) chips."""

from __future__ import annotations


def crc8(data: bytes, polynomial: int, init: int) -> int:
    crc = init
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = ((crc << 1) ^ polynomial) & 0xFF if crc & 0x80 else (crc << 1) & 0xFF
    return crc


def sensirion(data: bytes) -> int:
    """SHT3x: x^8+x^5+x^4+1, init 0xFF (datasheet: 0xBEEF -> 0x92)."""
    return crc8(data, 0x31, 0xFF)


def htu21(data: bytes) -> int:
    """HTU21D: x^8+x^5+x^4+1, init 0x00 (datasheet: 0x683A -> 0x7C)."""
    return crc8(data, 0x31, 0x00)


def smbus_pec(data: bytes) -> int:
    """SMBus packet error code: x^8+x^2+x+1, init 0."""
    return crc8(data, 0x07, 0x00)
