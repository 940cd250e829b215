"""Upload parts kept in memory while they stream in: checked from their bytes while
their file is written, within one budget for all uploads, never left behind."""

from __future__ import annotations

import hashlib
import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from zenith.errors import ZenithError
from zenith_web.multipart_stream import FilePart, MemoryBudget, Upload, read_upload
from zenith_web.tempfiles import TempFiles

LIMITS = {"fullhd": 4 << 20, "file": 400_000}


class Receiver:
    """A real aiohttp server whose one route reads the upload and says what it saw."""

    def __init__(self, folder: Path, budget: int) -> None:
        self.folder = folder
        self.files = TempFiles(folder, spare=0)
        self.memory = MemoryBudget(budget)
        self.heard: list[dict[str, Any]] = []
        self.upload: Upload | None = None

    def on_file(self, part: FilePart) -> None:
        self.heard.append({"name": part.name, "in_memory": part.data is not None,
                           "data": part.data, "on_disk": part.path.stat().st_size,
                           "memory_used": self.memory.used})

    async def handle(self, request: web.Request) -> web.Response:
        try:
            self.upload = await read_upload(request, LIMITS, self.files,
                                            on_file=self.on_file,
                                            in_memory=lambda name: name == "fullhd",
                                            memory=self.memory)
        except ZenithError as exc:
            return web.json_response({"error": exc.code}, status=exc.status)
        return web.json_response({name: {"sha256": part.sha256, "size": part.size,
                                         "bytes": part.path.read_bytes().hex()}
                                  for name, part in self.upload.files.items()})


@pytest.fixture
async def receiver(tmp_path: Path, request: pytest.FixtureRequest) -> AsyncIterator[Any]:
    budget = getattr(request, "param", 32 << 20)
    got = Receiver(tmp_path / "staging", budget)
    app = web.Application(client_max_size=64 << 20)
    app.router.add_post("/upload", got.handle)
    server = TestServer(app)
    await server.start_server()
    try:
        yield got, str(server.make_url("/upload"))
    finally:
        await server.close()
        await got.files.close()


async def send(url: str, **parts: bytes) -> tuple[int, dict[str, Any]]:
    form = aiohttp.FormData()
    for name, data in parts.items():
        form.add_field(name, data, filename=f"{name}.bin", content_type="image/jpeg")
    async with aiohttp.ClientSession() as session, session.post(url, data=form) as response:
        return response.status, await response.json()


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


async def test_a_kept_part_is_heard_with_its_bytes_and_returned_written(receiver):
    got, url = receiver
    image, other = os.urandom(700_000), os.urandom(300_000)  # in several chunks
    status, body = await send(url, fullhd=image, file=other)
    assert status == 200
    first, second = got.heard
    # heard with its bytes before its file is written (a check asked for then runs
    # beside the write); the budget holds them
    assert first["name"] == "fullhd" and first["in_memory"] and first["on_disk"] == 0
    assert first["data"] == image and first["memory_used"] == len(image)
    # a part not asked for in memory streams to its file, written when heard
    assert second == {"name": "file", "in_memory": False, "data": None,
                      "on_disk": len(other), "memory_used": len(image)}
    for name, data in (("fullhd", image), ("file", other)):
        assert body[name] == {"sha256": hashlib.sha256(data).hexdigest(), "size": len(data),
                              "bytes": data.hex()}
    assert got.upload is not None
    got.upload.files["fullhd"].drop_data()
    assert got.memory.used == 0
    got.upload.discard()
    assert leftovers(got.folder) == []


@pytest.mark.parametrize("receiver", [400_000], indirect=True)
async def test_a_part_that_finds_the_budget_spent_streams_to_disk(receiver):
    got, url = receiver
    image = os.urandom(900_000)  # the budget runs out on the way: what was kept goes first
    status, body = await send(url, fullhd=image)
    assert status == 200
    [heard] = got.heard
    assert not heard["in_memory"] and heard["on_disk"] == len(image)
    assert heard["memory_used"] == 0
    assert body["fullhd"]["sha256"] == hashlib.sha256(image).hexdigest()
    assert bytes.fromhex(body["fullhd"]["bytes"]) == image
    assert got.memory.used == 0


async def test_a_refused_upload_gives_its_memory_back_and_leaves_nothing(receiver):
    got, url = receiver
    image = os.urandom(700_000)
    status, body = await send(url, fullhd=image, unexpected=b"x" * 10)
    assert status == 400 and body == {"error": "unexpected_part"}
    assert got.heard[0]["in_memory"]  # it was kept, and its file being written
    assert got.memory.used == 0
    assert leftovers(got.folder) == []
    status, body = await send(url, fullhd=image, file=os.urandom(LIMITS["file"] + 1))
    assert status == 413 and body == {"error": "part_too_large"}
    assert got.memory.used == 0 and leftovers(got.folder) == []
