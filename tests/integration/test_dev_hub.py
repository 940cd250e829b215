"""`zenith dev --hub` as a user runs it: the hub profile, with simulated Zenith
cameras and an AllSkyKamera client uploading to it, each camera online and its
frames indexed."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import time
from pathlib import Path

import nats
import pytest

from tests.integration.devstack import ZENITH, DevStack
from zenith.contracts import frames
from zenith.contracts.services import service_names

pytestmark = pytest.mark.slow

SIMULATED = {"sim-0", "sim-1", "sim-ask-0"}


def camera_list(stack: DevStack) -> dict[str, dict]:
    """`zenith camera list --json` against the stack's NATS with the admin credentials."""
    env = {**os.environ, "ZENITH_NATS_URL": stack.nats_url,
           "ZENITH_NATS_CREDENTIALS": str(stack.data_dir / "secrets" / "nats" / "zenith.json")}
    result = subprocess.run([ZENITH, "camera", "list", "--json"], env=env, capture_output=True,
                            text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    return {cam["id"]: cam for cam in json.loads(result.stdout)["cameras"]}


async def latest_frames(stack: DevStack, camera: str) -> list[dict]:
    nc = await nats.connect(stack.nats_url, **stack.nats_login)
    try:
        msg = await nc.request(frames.LATEST.subject_for(camera=camera),
                               json.dumps({"limit": 5}).encode(), timeout=10)
        return list(json.loads(msg.data)["frames"])
    finally:
        await nc.close()


def test_dev_hub_runs_the_hub_profile_with_simulated_cameras_uploading(tmp_path: Path):
    stack = DevStack(tmp_path / "var", ZENITH_DEV_HUB_CAMERAS="2",
                     ZENITH_DEV_HUB_EVERY_S="10").start("--hub")
    try:
        body = stack.wait_healthy(timeout=180)
        assert set(body["services"]) == set(service_names("hub"))
        stack.wait_for_line("Zenith is running at " + stack.url)
        stack.wait_for_line("First start: created user 'admin' with password")
        stack.wait_for_line("2 simulated Zenith cameras and 1 AllSkyKamera client upload to "
                            + stack.url)
        for cam in sorted(SIMULATED):
            stack.wait_for_line(f"simulated camera {cam}:", timeout=60)
        assert "sim-2" not in stack.output

        deadline = time.monotonic() + 180
        while True:
            listed = camera_list(stack)
            online = {cid for cid, cam in listed.items() if cam["online"]}
            if SIMULATED <= online:
                break
            assert time.monotonic() < deadline, f"online: {online}\n{stack.output[-4000:]}"
            time.sleep(2)
        places = {listed[c]["location"]["longitude"] for c in SIMULATED}
        assert len(places) == 3  # each at its own place
        for cam in SIMULATED:
            found = asyncio.run(latest_frames(stack, cam))
            assert found and all(f["camera"] == cam for f in found), cam
            assert (stack.data_dir / "blobs" / found[0]["key"]).is_file(), found[0]["key"]
        assert "exited with" not in stack.output

        assert stack.stop() == 0
        assert "zenith dev: stopped" in stack.output
    finally:
        if stack.proc and stack.proc.poll() is None:
            stack.stop()
