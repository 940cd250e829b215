"""The lgpio backend: /dev/gpiochip* through gpiozero's LGPIOFactory (Pi 5 and older)."""

from __future__ import annotations

from gpiozero.pins.lgpio import LGPIOFactory

from zenith_gpio.settings import GpioSettings

MAX_PWM_HZ = 10_000  # lgpio's software PWM: 0.1 Hz .. 10 kHz


def create(settings: GpioSettings) -> LGPIOFactory:
    return LGPIOFactory(chip=settings.gpio_lgpio_chip)
