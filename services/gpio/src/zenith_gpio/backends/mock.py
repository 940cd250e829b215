"""The mock backend: gpiozero's MockFactory with PWM-capable mock pins.

Tests read the pins back (``factory.pin(18).state``, ``.frequency``,
``.states``). Each pin keeps its latest changes only, so a development node
whose focuser steps for days does not grow without bound.
"""

from __future__ import annotations

from collections import deque
from time import monotonic

from gpiozero.pins.mock import MockFactory, MockPWMPin, PinState

from zenith_gpio.settings import GpioSettings

MAX_STATES = 200_000
MAX_PWM_HZ = 1_000_000


class MockPWMPinBounded(MockPWMPin):  # type: ignore[misc]
    """A MockPWMPin whose ``states`` history holds the last MAX_STATES changes."""

    def clear_states(self) -> None:
        self._last_change = monotonic()
        self.states = deque([PinState(0.0, self._state)], maxlen=MAX_STATES)


def mock_factory() -> MockFactory:
    return MockFactory(pin_class=MockPWMPinBounded)


def create(settings: GpioSettings) -> MockFactory:
    return mock_factory()
