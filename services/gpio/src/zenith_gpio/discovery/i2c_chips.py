"""Chips commonly found at each I2C address on all-sky cameras and weather boxes.

Several chips share an address; the list names the likely ones, most
common first. It is a hint for the user, not an identification.
"""

from __future__ import annotations

KNOWN: dict[int, tuple[str, ...]] = {
    0x0D: ("QMC5883L",),
    0x10: ("VEML7700", "VEML6075"),
    0x18: ("MCP9808", "LIS3DH"),
    0x19: ("MCP9808", "LIS3DH", "LSM303"),
    0x1C: ("MMA8451", "LIS3MDL"),
    0x1D: ("ADXL345", "MMA8451"),
    0x1E: ("HMC5883L", "LSM303"),
    0x20: ("MCP23017", "PCF8574"),
    0x21: ("MCP23017", "PCF8574"),
    0x23: ("BH1750",),
    0x27: ("PCF8574 LCD backpack", "MCP23017"),
    0x29: ("TSL2591", "TSL2561", "VL53L0X", "TCS34725"),
    0x38: ("AHT10", "AHT20", "VEML6070"),
    0x39: ("TSL2561", "APDS-9960"),
    0x3C: ("SSD1306 OLED", "SH1106 OLED"),
    0x3D: ("SSD1306 OLED",),
    0x40: ("HTU21D", "SHT21", "Si7021", "INA219", "HDC1080", "PCA9685"),
    0x41: ("INA219", "INA260"),
    0x44: ("SHT3x", "SHT4x", "INA219"),
    0x45: ("SHT3x", "INA219"),
    0x48: ("ADS1115", "TMP102", "PCF8591", "LM75"),
    0x49: ("ADS1115", "TSL2561", "TMP102"),
    0x4A: ("ADS1115", "TMP102"),
    0x4B: ("ADS1115", "TMP102"),
    0x50: ("AT24C EEPROM",),
    0x51: ("AT24C EEPROM",),
    0x52: ("AT24C EEPROM",),
    0x53: ("ADXL345", "AT24C EEPROM"),
    0x57: ("AT24C EEPROM", "MAX30102"),
    0x5A: ("MLX90614", "CCS811"),
    0x5B: ("CCS811",),
    0x5C: ("AM2320", "BH1750"),
    0x60: ("Si1145", "MCP4725", "MPL3115A2"),
    0x61: ("SCD30",),
    0x62: ("SCD40", "SCD41"),
    0x68: ("DS3231", "DS1307", "MPU6050"),
    0x69: ("MPU6050",),
    0x70: ("TCA9548A", "HT16K33"),
    0x76: ("BME280", "BMP280", "BME680", "MS5611"),
    0x77: ("BME280", "BMP280", "BMP180", "BME680", "MS5611"),
}


def candidates(address: int) -> list[str]:
    return list(KNOWN.get(address, ()))
