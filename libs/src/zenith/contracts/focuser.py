"""Focuser subjects (served by ``gpio``, which owns the stepper pins)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, WithJsonSchema, model_validator

from zenith.contracts.base import Empty, Endpoint, Event, Message
from zenith.contracts.common import Pin

READ = ("focuser", "read")
UPDATE = ("focuser", "update")


@dataclass(frozen=True)
class DriverSpec:
    """A stepper driver board: its name and its pins' roles, in the order a
    user gives the pins (the gpio service implements each one)."""

    name: str
    roles: tuple[str, ...]
    summary: str


DRIVERS: tuple[DriverSpec, ...] = (
    DriverSpec("a4988", ("step", "dir", "enable"),
               "Pololu A4988 / DRV8825 style: STEP pulses, DIR, /ENABLE."),
    DriverSpec("uln2003", ("in1", "in2", "in3", "in4"),
               "ULN2003 board with a 28BYJ-48, half-stepping."),
)
DRIVER: dict[str, DriverSpec] = {d.name: d for d in DRIVERS}
DEFAULT_DRIVER = "a4988"

# Limits every focuser input obeys (bus, HTTP, settings, saved configuration).
MAX_POSITION = 1_000_000  # steps either side of 0
MAX_SPEED = 5000.0  # steps/s
MAX_BACKLASH = 10_000  # steps


def _known_driver(value: str) -> str:
    if value not in DRIVER:
        raise ValueError(f"unknown driver {value!r} (one of {', '.join(DRIVER)})")
    return value


Driver = Annotated[str, AfterValidator(_known_driver),
                   WithJsonSchema({"type": "string", "enum": list(DRIVER)})]
Steps = Annotated[int, Field(ge=-MAX_POSITION, le=MAX_POSITION)]
Speed = Annotated[float, Field(gt=0, le=MAX_SPEED, description="steps/s")]
Backlash = Annotated[int, Field(ge=0, le=MAX_BACKLASH)]
PINS_HELP = "; ".join(f"{d.name}: {', '.join(d.roles)}" for d in DRIVERS)


class Move(Message):
    """Exactly one of ``steps`` (relative; positive is outward) or ``position``."""

    steps: Steps | None = None
    position: Steps | None = None
    speed: Speed | None = None
    wait: bool = Field(False, description="Reply when the move has finished.")

    @model_validator(mode="after")
    def _one_target(self) -> Move:
        if (self.steps is None) == (self.position is None):
            raise ValueError("give exactly one of steps or position")
        return self


class Sync(Message):
    position: Steps


class Configure(Message):
    driver: Driver | None = None
    pins: list[Pin] | None = Field(None, max_length=max(len(d.roles) for d in DRIVERS),
                                   description=f"{PINS_HELP}; []: no focuser (frees the pins)")
    min_position: Steps | None = None
    max_position: Steps | None = None
    backlash: Backlash | None = None
    speed: Speed | None = None
    reverse: bool | None = None
    hold: bool | None = Field(None, description="Keep the coils powered between moves.")


class CurvePoint(Message):
    position: int
    score: float = Field(description="HFR (lower is better) or sharpness (higher is "
                         "better), as the run's method says.")
    hfr: float | None = None
    stars: int | None = None
    sharpness: float | None = None


class AutofocusState(Message):
    running: bool
    progress: float = 0.0
    method: Literal["hfr", "laplacian"] | None = None
    curve: list[CurvePoint] = Field(default_factory=list)
    best_position: int | None = None
    error: str | None = None
    finished_at: datetime | None = None
    note: str | None = Field(None, description="E.g. the best frame was at the end of the sweep.")


class Status(Message):
    position: int
    target: int
    moving: bool
    driver: Driver
    min_position: int
    max_position: int
    backlash: int
    speed: float
    reverse: bool
    autofocus: AutofocusState | None = None
    pins: list[int] = Field(default_factory=list, description="Pins in use; empty: no focuser.")
    hold: bool = False


class Autofocus(Message):
    start: int | None = None
    end: int | None = None
    step: int | None = Field(None, gt=0)
    exposure_s: float | None = Field(None, gt=0, le=60)

    @model_validator(mode="after")
    def _range(self) -> Autofocus:
        if self.start is not None and self.end is not None and self.end <= self.start:
            raise ValueError("end must be greater than start")
        return self


class AutofocusReply(Message):
    best_position: int
    method: Literal["hfr", "laplacian"]
    curve: list[CurvePoint]
    fit: list[float] | None = Field(None, description="Parabola a, b, c fitted to score(position); "
                                   "to score² for HFR.")
    note: str | None = Field(None, description="E.g. the best frame was at the end of the "
                             "sweep, so focus may lie beyond it.")


class Position(Message):
    camera: str
    position: int
    moving: bool
    at: datetime


MOVE = Endpoint(service="gpio", name="focuser-move", subject="zenith.node.{camera}.focuser.move",
                request=Move, reply=Status, permission=UPDATE,
                summary="Move relative steps or to a position, within the soft limits.")
STOP = Endpoint(service="gpio", name="focuser-stop", subject="zenith.node.{camera}.focuser.stop",
                request=Empty, reply=Status, permission=UPDATE, summary="Stop a move at once.")
STATUS = Endpoint(service="gpio", name="focuser-status",
                  subject="zenith.node.{camera}.focuser.status",
                  request=Empty, reply=Status, permission=READ,
                  summary="Position, limits, settings and the last autofocus.")
SYNC = Endpoint(service="gpio", name="focuser-sync", subject="zenith.node.{camera}.focuser.sync",
                request=Sync, reply=Status, permission=UPDATE,
                summary="Declare the current position (no motion).")
CONFIGURE = Endpoint(service="gpio", name="focuser-configure",
                     subject="zenith.node.{camera}.focuser.configure",
                     request=Configure, reply=Status, permission=UPDATE,
                     summary="Change driver, pins, limits, backlash, speed (persisted).")
AUTOFOCUS = Endpoint(service="gpio", name="focuser-autofocus",
                     subject="zenith.node.{camera}.focuser.autofocus",
                     request=Autofocus, reply=AutofocusReply, permission=UPDATE,
                     summary="Sweep, score frames from capture, fit, move to the best focus.")
POSITION = Event(name="focuser.position", subject="zenith.status.{camera}.focuser",
                 stream="STATUS", payload=Position,
                 publishers=("gpio",),
                 summary="Focuser position after each change (last value kept).")
