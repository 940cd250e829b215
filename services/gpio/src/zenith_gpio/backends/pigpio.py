"""The pigpio backend: a pigpiod daemon, local or over the network (not on a Pi 5)."""

from __future__ import annotations

from gpiozero.pins.pigpio import PiGPIOFactory

from zenith_gpio.settings import GpioSettings

MAX_PWM_HZ = 8_000  # pigpiod's highest PWM rate at its default 5 us sampling


def create(settings: GpioSettings) -> PiGPIOFactory:
    return PiGPIOFactory(host=settings.gpio_pigpio_host, port=settings.gpio_pigpio_port)
