"""Upload parts' temporary files: spares made ahead, taken where they are, never left
behind."""

from __future__ import annotations

import asyncio
from pathlib import Path

from zenith_web.tempfiles import SPARE, TempFiles


def names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.is_file()) if folder.is_dir() else []


async def until(condition, timeout: float = 5.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.01)


async def test_spares_are_made_after_the_first_file_and_taken_by_later_ones(tmp_path):
    folder = tmp_path / "staging"
    files = TempFiles(folder, spare=4)
    assert not folder.exists()  # nothing made before it is used: a node makes none

    fh, first = await files.new()  # none ready: made then
    with fh:
        fh.write(b"part one")
    assert first.parent == folder and first.name.startswith(".tmp-")
    await until(lambda: files.ready == 4)
    assert len(names(folder / SPARE)) == 4

    spares = set(names(folder / SPARE))
    fh, second = await files.new()
    with fh:
        fh.write(b"part two")
    assert second.name in spares and second.parent == folder / SPARE  # taken where it is
    assert second.read_bytes() == b"part two"
    assert names(folder) == [first.name]
    await until(lambda: files.ready == 4)  # topped up again
    assert len(names(folder / SPARE)) == 5  # four ready, and the part being received
    await files.close()
    assert names(folder / SPARE) == [second.name]  # the caller's to move or remove


async def test_close_removes_the_spares_and_makes_no_more(tmp_path):
    folder = tmp_path / "staging"
    files = TempFiles(folder, spare=3)
    fh, path = await files.new()
    fh.close()
    await until(lambda: files.ready == 3)
    await files.close()
    assert names(folder / SPARE) == []
    assert names(folder) == [path.name]  # the caller's own file is the caller's to remove
    fh, other = await files.new()  # still works, without spares
    assert other.parent == folder
    fh.close()
    await asyncio.sleep(0.05)
    assert files.ready == 0 and names(folder / SPARE) == []


async def test_a_spare_swept_while_it_waited_is_skipped(tmp_path):
    folder = tmp_path / "staging"
    files = TempFiles(folder, spare=2)
    (await files.new())[0].close()
    await until(lambda: files.ready == 2)
    for spare in (folder / SPARE).iterdir():
        spare.unlink()  # what staging.sweep does to a day-old temporary file
    (folder / SPARE).rmdir()  # and to the folder it left empty
    fh, path = await files.new()
    with fh:
        fh.write(b"x")
    assert path.read_bytes() == b"x" and path.parent == folder
    await until(lambda: files.ready == 2)  # the folder is made again
    assert len(names(folder / SPARE)) == 2
    await files.close()


async def test_a_spare_that_is_not_empty_is_left_alone(tmp_path):
    folder = tmp_path / "staging"
    files = TempFiles(folder, spare=1)
    (await files.new())[0].close()
    await until(lambda: files.ready == 1)
    [spare] = (folder / SPARE).iterdir()
    spare.write_bytes(b"someone else's")  # a part must never write over other bytes
    fh, path = await files.new()
    with fh:
        fh.write(b"mine")
    assert path != spare and path.read_bytes() == b"mine"
    assert spare.read_bytes() == b"someone else's"
    await files.close()


async def test_without_spares_each_file_is_made_when_asked_for(tmp_path):
    folder = tmp_path / "staging"
    files = TempFiles(folder, spare=0)
    made = []
    for _ in range(3):
        fh, path = await files.new()
        fh.close()
        made.append(path.name)
    await asyncio.sleep(0.05)
    assert sorted(made) == names(folder) and not (folder / SPARE).exists()
    await files.close()


async def test_a_disk_that_refuses_new_files_still_fails_only_the_part(tmp_path):
    folder = tmp_path / "staging"
    folder.mkdir()
    blocker = folder / SPARE
    blocker.write_text("not a folder")  # spares cannot be made
    files = TempFiles(folder, spare=2)
    fh, path = await files.new()
    fh.close()
    await asyncio.sleep(0.1)
    assert files.ready == 0 and path.exists()  # parts make their own files
    await files.close()
