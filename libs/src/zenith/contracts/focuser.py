"""Focuser subjects (served by ``gpio``, which owns the stepper pins)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field, model_validator

from zenith.contracts.base import Empty, Endpoint, Event, Message
from zenith.contracts.common import Pin

Driver = Literal["a4988", "uln2003"]
READ = ("focuser", "read")
UPDATE = ("focuser", "update")


class Move(Message):
    """Exactly one of ``steps`` (relative; positive is outward) or ``position``."""

    steps: int | None = Field(None, ge=-1_000_000, le=1_000_000)
    position: int | None = Field(None, ge=-1_000_000, le=1_000_000)
    speed: float | None = Field(None, gt=0, le=5000, description="steps/s")
    wait: bool = Field(False, description="Reply when the move has finished.")

    @model_validator(mode="after")
    def _one_target(self) -> Move:
        if (self.steps is None) == (self.position is None):
            raise ValueError("give exactly one of steps or position")
        return self


class Sync(Message):
    position: int = Field(..., ge=-1_000_000, le=1_000_000)


class Configure(Message):
    driver: Driver | None = None
    pins: list[Pin] | None = Field(None, max_length=4,
                                   description="a4988: step, dir, enable; uln2003: in1..in4; "
                                   "[]: no focuser (frees the pins)")
    min_position: int | None = Field(None, ge=-1_000_000, le=1_000_000)
    max_position: int | None = Field(None, ge=-1_000_000, le=1_000_000)
    backlash: int | None = Field(None, ge=0, le=10000)
    speed: float | None = Field(None, gt=0, le=5000)
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
                 summary="Focuser position after each change (last value kept).")
