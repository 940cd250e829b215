"""The focuser's bus endpoints (served by the gpio service, which owns the pins)."""

from __future__ import annotations

from typing import Any

from zenith.bus import BusService, Call
from zenith.contracts import focuser as contract
from zenith_gpio.focuser.autofocus import AutofocusRun
from zenith_gpio.focuser.controller import Focuser


async def serve_focuser(svc: BusService, focuser: Focuser, autofocus: AutofocusRun) -> None:
    async def move(call: Call[contract.Move]) -> contract.Status:
        return await focuser.move(call.body)

    async def stop(call: Call[Any]) -> contract.Status:
        return await focuser.stop()

    async def status(call: Call[Any]) -> contract.Status:
        return focuser.status()

    async def sync(call: Call[contract.Sync]) -> contract.Status:
        return await focuser.sync(call.body.position)

    async def configure(call: Call[contract.Configure]) -> contract.Status:
        return await focuser.configure(call.body)

    async def run_autofocus(call: Call[contract.Autofocus]) -> contract.AutofocusReply:
        return await autofocus.run(call.body)

    # a move that waits and an autofocus take long: they must not hold back the next request
    await svc.serve(contract.MOVE, move, concurrent=True)
    await svc.serve(contract.STOP, stop)
    await svc.serve(contract.STATUS, status)
    await svc.serve(contract.SYNC, sync)
    await svc.serve(contract.CONFIGURE, configure)
    await svc.serve(contract.AUTOFOCUS, run_autofocus, concurrent=True)
