"""Stepper drivers, move plans and the stepping thread, on gpiozero's mock pins."""

from __future__ import annotations

import threading
import time

import pytest
from gpiozero import GPIOPinInUse

from zenith_gpio.backends.mock import mock_factory
from zenith_gpio.focuser.drivers import A4988, HALF_STEPS, ULN2003
from zenith_gpio.focuser.motion import MotorRun
from zenith_gpio.focuser.plan import steps_needed, waypoints

COILS = [5, 6, 13, 19]


def coils(factory) -> tuple[int, ...]:
    return tuple(int(factory.pin(p).state) for p in COILS)


@pytest.mark.parametrize("direction", [1, -1])
def test_uln2003_walks_the_half_step_sequence(direction):
    factory = mock_factory()
    driver = ULN2003(factory, COILS)
    assert coils(factory) == (0, 0, 0, 0)
    driver.begin(direction)
    assert coils(factory) == HALF_STEPS[0]
    for k in range(1, 17):
        driver.step(direction)
        assert coils(factory) == HALF_STEPS[(k * direction) % 8]
    driver.end()
    assert coils(factory) == (0, 0, 0, 0)
    driver.close()
    assert factory.pin(5).function == "input"


def test_uln2003_keeps_its_phase_between_moves_and_can_hold():
    factory = mock_factory()
    driver = ULN2003(factory, COILS, hold=True)
    assert coils(factory) == HALF_STEPS[0]
    driver.begin(1)
    for _ in range(3):
        driver.step(1)
    driver.end()
    assert coils(factory) == HALF_STEPS[3]  # held
    driver.begin(-1)
    driver.step(-1)
    assert coils(factory) == HALF_STEPS[2]


def test_a4988_pulses_step_after_setting_dir_and_enable():
    factory = mock_factory()
    driver = A4988(factory, [17, 27, 22])
    assert factory.pin(22).state == 1  # /ENABLE high: off
    driver.begin(-1)
    assert factory.pin(22).state == 0 and factory.pin(27).state == 0
    factory.pin(17).clear_states()
    for _ in range(5):
        driver.step(-1)
    assert [bool(s.state) for s in factory.pin(17).states] == [False] + [True, False] * 5
    driver.end()
    assert factory.pin(22).state == 1


def test_a_driver_that_cannot_get_its_pins_frees_the_ones_it_took():
    factory = mock_factory()
    with pytest.raises(ValueError):
        A4988(factory, [17, 27])
    blocker = A4988(factory, [4, 5, 6])
    with pytest.raises(GPIOPinInUse):
        A4988(factory, [17, 27, 4])
    blocker.close()
    A4988(factory, [17, 27, 4]).close()  # 17 and 27 were given back


@pytest.mark.parametrize("position, target, backlash, low, expected", [
    (0, 100, 10, 0, [100]),            # outward: straight
    (100, 50, 10, 0, [40, 50]),        # inward: overshoot, come back out
    (100, 50, 0, 0, [50]),             # no backlash
    (100, 5, 10, 0, [0, 5]),           # overshoot stops at the lower limit
    (100, 0, 10, 0, [0]),              # at the limit: no room to overshoot
    (100, 100, 10, 0, []),             # already there
    (-500, -600, 25, -1000, [-625, -600]),
])
def test_waypoints(position, target, backlash, low, expected):
    assert waypoints(position, target, backlash, low) == expected


def test_steps_needed():
    assert steps_needed(100, [40, 50]) == 70


def test_motor_run_counts_every_step_and_stops_within_one():
    factory = mock_factory()
    driver = A4988(factory, [17, 27, 22])
    run = MotorRun(driver, 0, [100_000], speed=500)
    thread = threading.Thread(target=run.run)
    thread.start()
    while run.position < 20:
        time.sleep(0.005)
    run.stop()
    thread.join(timeout=5)
    assert not thread.is_alive()
    pulses = sum(1 for s in factory.pin(17).states if s.state)
    assert run.position == run.steps == pulses
    assert 20 <= run.position < 100_000
    assert run.error is None
    assert factory.pin(22).state == 1  # released after the stop


def test_motor_run_follows_waypoints_with_reverse():
    factory = mock_factory()
    driver = A4988(factory, [17, 27, 22])
    factory.pin(27).clear_states()
    run = MotorRun(driver, 100, [40, 50], speed=5000, reverse=True)
    run.run()
    assert run.position == 50 and run.steps == 70
    # inward is dir high when reversed, then outward (low)
    assert [bool(s.state) for s in factory.pin(27).states] == [False, True, False]
