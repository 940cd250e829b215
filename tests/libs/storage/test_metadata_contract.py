"""The MetadataStore contract, run against every backend (``metadata_store`` fixture).

The MongoDB backend is written for MongoDB. Where a stand-in server used in
tests answers otherwise, the case is an expected failure naming the
difference (``STAND_IN_DIFFERENCES``), strict: it fails the run once the
stand-in agrees with MongoDB, so the list stays true. A real MongoDB
(``ZENITH_TEST_MONGODB_URL``) runs every case.
"""

from __future__ import annotations

import asyncio

import pytest

from zenith.errors import BadRequest, Conflict, DuplicateKey
from zenith.storage.metadata import MetadataStore

FRAMES = [
    {"_id": "f1", "camera": "demo", "time": "2026-11-21T01:00:00.000000Z", "exposure": 10.5,
     "night": True, "stars": 120, "meta": {"gain": 2, "mode": "auto"}},
    {"_id": "f2", "camera": "demo", "time": "2026-11-21T02:00:00.000000Z", "exposure": 20,
     "night": True, "stars": 300, "meta": {"gain": 4, "mode": "manual"}},
    {"_id": "f3", "camera": "demo", "time": "2026-11-21T03:00:00.000000Z", "exposure": 0.001,
     "night": False, "stars": None, "meta": {"gain": 1}},
    {"_id": "f4", "camera": "roof", "time": "2026-11-21T04:00:00.000000Z", "exposure": 30,
     "night": True, "meta": {"gain": 8, "mode": "auto"}},
]


NX = "nx-27017 0.8.1"
STAND_IN_DIFFERENCES: dict[str, dict[str, str]] = {
    "test_unique_index_refuses_duplicates_on_insert_put_and_update": {
        "nx-27017": f"{NX} answers a unique-index violation in findAndModify as 'no match' "
                    "instead of error E11000"},
    "test_unique_index_on_existing_duplicates_is_refused": {
        "nx-27017": f"{NX} refuses a unique index over duplicates without MongoDB's code "
                    "11000 / E11000 text (it says 'UNIQUE constraint failed')"},
    "test_plain_index_allows_duplicates": {
        "nx-27017": f"{NX} finds no string with $gte on an indexed field pair"},
    "test_equality_never_mixes_types": {
        "nx-27017": f"{NX} compares across types: 1 equals true",
        "mongomock": "mongomock compares across types: 1 equals true"},
    "test_comparisons_on_numbers_and_iso_strings": {
        "nx-27017": f"{NX} compares across types: a string is greater than 0"},
    "test_ne_matches_missing_and_other_types": {
        "nx-27017": f"{NX} $ne: null matches missing fields (MongoDB: missing equals null)"},
    "test_in_and_exists": {
        "nx-27017": f"{NX} $exists: true skips fields holding null"},
    "test_update_keeps_booleans_and_null": {
        "nx-27017": f"{NX} stores a boolean set by $set as 1 or 0"},
}


@pytest.fixture(autouse=True)
def stand_in_differences(request: pytest.FixtureRequest) -> None:
    callspec = getattr(request.node, "callspec", None)
    backend = callspec.params.get("metadata_store") if callspec else None
    name = request.node.originalname
    reason = STAND_IN_DIFFERENCES.get(name, {}).get(str(backend))
    if reason:
        request.applymarker(pytest.mark.xfail(reason=reason, strict=True))


@pytest.fixture
async def frames(metadata_store: MetadataStore) -> MetadataStore:
    for doc in FRAMES:
        await metadata_store.insert("frames", doc)
    return metadata_store


async def ids(store: MetadataStore, flt: dict[str, object], **kw: object) -> list[str]:
    return [d["_id"] for d in await store.find("frames", flt, **kw)]  # type: ignore[arg-type]


async def test_insert_get_round_trips_json_values(metadata_store: MetadataStore) -> None:
    doc = {"_id": "u1", "name": "Zoë", "n": 3, "x": 2.5, "ok": True, "none": None,
           "list": [1, "a", {"b": False}], "nested": {"deep": {"er": "yes"}}}
    await metadata_store.insert("users", doc)
    assert await metadata_store.get("users", "u1") == doc
    assert await metadata_store.get("users", "nobody") is None
    assert await metadata_store.get("empty_collection", "u1") is None


async def test_insert_duplicate_id_raises_and_keeps_original(
        metadata_store: MetadataStore) -> None:
    await metadata_store.insert("users", {"_id": "u1", "name": "first"})
    with pytest.raises(DuplicateKey):
        await metadata_store.insert("users", {"_id": "u1", "name": "second"})
    assert await metadata_store.get("users", "u1") == {"_id": "u1", "name": "first"}


async def test_put_inserts_then_replaces_whole_document(metadata_store: MetadataStore) -> None:
    assert await metadata_store.put("cameras", {"_id": "demo", "a": 1, "b": 2}) is True
    assert await metadata_store.put("cameras", {"_id": "demo", "c": 3}) is False
    assert await metadata_store.get("cameras", "demo") == {"_id": "demo", "c": 3}
    assert await metadata_store.count("cameras") == 1


async def test_unique_index_refuses_duplicates_on_insert_put_and_update(
        metadata_store: MetadataStore) -> None:
    await metadata_store.ensure_index("users", ["email"], unique=True)
    await metadata_store.ensure_index("users", ["email"], unique=True)  # idempotent
    await metadata_store.insert("users", {"_id": "a", "email": "a@example.org"})
    await metadata_store.insert("users", {"_id": "b", "email": "b@example.org"})
    with pytest.raises(DuplicateKey):
        await metadata_store.insert("users", {"_id": "c", "email": "a@example.org"})
    with pytest.raises(DuplicateKey):
        await metadata_store.put("users", {"_id": "b", "email": "a@example.org"})
    with pytest.raises(DuplicateKey):
        await metadata_store.update("users", {"_id": "b"}, set={"email": "a@example.org"})
    assert await metadata_store.get("users", "b") == {"_id": "b", "email": "b@example.org"}
    assert await metadata_store.count("users") == 2


async def test_unique_index_over_several_fields(metadata_store: MetadataStore) -> None:
    await metadata_store.ensure_index("highlights", ["camera", "night"], unique=True)
    await metadata_store.insert("highlights", {"_id": "1", "camera": "a", "night": "2026-01-01"})
    await metadata_store.insert("highlights", {"_id": "2", "camera": "b", "night": "2026-01-01"})
    with pytest.raises(DuplicateKey):
        await metadata_store.insert("highlights",
                                    {"_id": "3", "camera": "a", "night": "2026-01-01"})


async def test_unique_index_on_existing_duplicates_is_refused(
        metadata_store: MetadataStore) -> None:
    await metadata_store.insert("users", {"_id": "a", "email": "same"})
    await metadata_store.insert("users", {"_id": "b", "email": "same"})
    with pytest.raises(DuplicateKey):
        await metadata_store.ensure_index("users", ["email"], unique=True)


async def test_plain_index_allows_duplicates(metadata_store: MetadataStore) -> None:
    await metadata_store.ensure_index("frames", ["camera", "time"])
    await metadata_store.ensure_index("frames", ["camera", "time"])
    for doc in FRAMES:
        await metadata_store.insert("frames", doc)
    assert await ids(metadata_store, {"camera": "demo", "time": {"$gte": "2026-11-21T02"}}) \
        == ["f2", "f3"]


async def test_changing_an_index_uniqueness_is_a_conflict(
        metadata_store: MetadataStore) -> None:
    await metadata_store.ensure_index("users", ["login"])
    with pytest.raises(Conflict):
        await metadata_store.ensure_index("users", ["login"], unique=True)


async def test_equality_on_strings_numbers_bools_and_null(frames: MetadataStore) -> None:
    assert await ids(frames, {"camera": "roof"}) == ["f4"]
    assert await ids(frames, {"exposure": 20}) == ["f2"]
    assert await ids(frames, {"exposure": 20.0}) == ["f2"]
    assert await ids(frames, {"night": False}) == ["f3"]
    assert await ids(frames, {"stars": None}) == ["f3", "f4"]  # null or missing
    assert await ids(frames, {"camera": "demo", "night": True}) == ["f1", "f2"]
    assert await ids(frames, {"_id": "f3"}) == ["f3"]
    assert await ids(frames, {}) == ["f1", "f2", "f3", "f4"]
    assert await ids(frames, None) == ["f1", "f2", "f3", "f4"]  # type: ignore[arg-type]


async def test_equality_never_mixes_types(metadata_store: MetadataStore) -> None:
    for i, value in enumerate([1, "1", True, None, 0, False]):
        await metadata_store.insert("things", {"_id": f"t{i}", "v": value})
    assert [d["_id"] for d in await metadata_store.find("things", {"v": "1"})] == ["t1"]
    assert [d["_id"] for d in await metadata_store.find("things", {"v": 1})] == ["t0"]
    assert [d["_id"] for d in await metadata_store.find("things", {"v": True})] == ["t2"]
    assert [d["_id"] for d in await metadata_store.find("things", {"v": 0})] == ["t4"]
    assert [d["_id"] for d in await metadata_store.find("things", {"v": False})] == ["t5"]


async def test_comparisons_on_numbers_and_iso_strings(frames: MetadataStore) -> None:
    assert await ids(frames, {"exposure": {"$gt": 10.5}}) == ["f2", "f4"]
    assert await ids(frames, {"exposure": {"$gte": 10.5}}) == ["f1", "f2", "f4"]
    assert await ids(frames, {"exposure": {"$lt": 20}}) == ["f1", "f3"]
    assert await ids(frames, {"exposure": {"$lte": 20}}) == ["f1", "f2", "f3"]
    assert await ids(frames, {"exposure": {"$gt": 1, "$lt": 25}}) == ["f1", "f2"]
    assert await ids(frames, {"time": {"$gte": "2026-11-21T02:00:00.000000Z",
                                       "$lt": "2026-11-21T04:00:00.000000Z"}}) == ["f2", "f3"]
    # a number never compares with a string, nor null with anything
    assert await ids(frames, {"time": {"$gt": 0}}) == []
    assert await ids(frames, {"exposure": {"$gt": ""}}) == []
    assert await ids(frames, {"stars": {"$gt": 100}}) == ["f1", "f2"]
    assert await ids(frames, {"stars": {"$lt": 1000}}) == ["f1", "f2"]


async def test_ne_matches_missing_and_other_types(frames: MetadataStore) -> None:
    assert await ids(frames, {"camera": {"$ne": "demo"}}) == ["f4"]
    assert await ids(frames, {"stars": {"$ne": None}}) == ["f1", "f2"]
    assert await ids(frames, {"stars": {"$ne": 120}}) == ["f2", "f3", "f4"]
    assert await ids(frames, {"meta.mode": {"$ne": "auto"}}) == ["f2", "f3"]


async def test_in_and_exists(frames: MetadataStore) -> None:
    assert await ids(frames, {"_id": {"$in": ["f4", "f1", "nope"]}}) == ["f1", "f4"]
    assert await ids(frames, {"exposure": {"$in": [20, 30, "20"]}}) == ["f2", "f4"]
    assert await ids(frames, {"stars": {"$in": [None, 300]}}) == ["f2", "f3", "f4"]
    assert await ids(frames, {"camera": {"$in": []}}) == []
    assert await ids(frames, {"stars": {"$exists": True}}) == ["f1", "f2", "f3"]
    assert await ids(frames, {"stars": {"$exists": False}}) == ["f4"]
    assert await ids(frames, {"meta.mode": {"$exists": False}}) == ["f3"]


async def test_dotted_fields(frames: MetadataStore) -> None:
    assert await ids(frames, {"meta.gain": {"$gte": 4}}) == ["f2", "f4"]
    assert await ids(frames, {"meta.mode": "auto"}) == ["f1", "f4"]
    assert await ids(frames, {"meta.gain.deeper": {"$exists": True}}) == []


async def test_sort_limit_skip(frames: MetadataStore) -> None:
    assert await ids(frames, {}, sort=[("exposure", 1)]) == ["f3", "f1", "f2", "f4"]
    assert await ids(frames, {}, sort=[("exposure", -1)]) == ["f4", "f2", "f1", "f3"]
    assert await ids(frames, {}, sort=[("time", -1)], limit=2) == ["f4", "f3"]
    assert await ids(frames, {}, sort=[("time", -1)], limit=2, skip=1) == ["f3", "f2"]
    assert await ids(frames, {}, sort=[("time", 1)], skip=3) == ["f4"]
    assert await ids(frames, {}, sort=[("time", 1)], skip=10) == []
    assert await ids(frames, {}, sort=[("night", 1), ("meta.gain", -1)]) \
        == ["f3", "f4", "f2", "f1"]
    # null and missing sort before numbers
    assert await ids(frames, {}, sort=[("stars", 1), ("_id", -1)]) == ["f4", "f3", "f1", "f2"]
    assert await ids(frames, {"camera": "demo"}, sort=[("_id", -1)]) == ["f3", "f2", "f1"]
    first = await frames.find_one("frames", {"camera": "demo"}, sort=[("stars", -1)])
    assert first is not None and first["_id"] == "f2"
    assert await frames.find_one("frames", {"camera": "none"}) is None


async def test_count(frames: MetadataStore) -> None:
    assert await frames.count("frames") == 4
    assert await frames.count("frames", {"camera": "demo"}) == 3
    assert await frames.count("frames", {"exposure": {"$gt": 100}}) == 0
    assert await frames.count("never_written") == 0


async def test_update_sets_and_unsets_and_returns_document_after(
        frames: MetadataStore) -> None:
    after = await frames.update("frames", {"_id": "f1"},
                                set={"stars": 121, "meta.mode": "manual", "new.deep": 1},
                                unset=["night", "meta.gain", "not_there"])
    expected = {"_id": "f1", "camera": "demo", "time": "2026-11-21T01:00:00.000000Z",
                "exposure": 10.5, "stars": 121, "meta": {"mode": "manual"},
                "new": {"deep": 1}}
    assert after == expected
    assert await frames.get("frames", "f1") == expected


async def test_update_keeps_booleans_and_null(frames: MetadataStore) -> None:
    after = await frames.update("frames", {"_id": "f3"},
                                set={"night": True, "flag": False, "meta.ok": True,
                                     "stars": None, "x": 0})
    assert after is not None
    assert (after["night"], after["flag"], after["meta"], after["stars"], after["x"]) \
        == (True, False, {"gain": 1, "ok": True}, None, 0)
    assert await frames.get("frames", "f3") == after
    assert await ids(frames, {"flag": False}) == ["f3"]
    assert await ids(frames, {"meta.ok": True}) == ["f3"]
    assert await frames.update_many("frames", {"camera": "demo"}, set={"night": False}) == 3
    assert await ids(frames, {"night": False}) == ["f1", "f2", "f3"]
    assert (await frames.get("frames", "f1") or {})["night"] is False


async def test_update_only_unset(frames: MetadataStore) -> None:
    after = await frames.update("frames", {"_id": "f4"}, unset=["meta"])
    assert after is not None and "meta" not in after
    assert "meta" not in (await frames.get("frames", "f4") or {})


async def test_update_is_compare_and_set(frames: MetadataStore) -> None:
    assert await frames.update("frames", {"_id": "f1", "stars": 999}, set={"stars": 0}) is None
    assert (await frames.get("frames", "f1") or {})["stars"] == 120
    after = await frames.update("frames", {"_id": "f1", "stars": 120}, set={"stars": 0})
    assert after is not None and after["stars"] == 0
    assert await frames.update("frames", {"_id": "missing"}, set={"a": 1}) is None
    assert await frames.count("frames") == 4


async def test_update_without_changes_returns_the_match(frames: MetadataStore) -> None:
    assert await frames.update("frames", {"_id": "f2"}) == FRAMES[1]
    assert await frames.update("frames", {"_id": "nope"}) is None


async def test_update_many_and_delete(frames: MetadataStore) -> None:
    assert await frames.update_many("frames", {"camera": "demo"}, set={"checked": True}) == 3
    assert await frames.count("frames", {"checked": True}) == 3
    assert await frames.update_many("frames", {"camera": "none"}, set={"x": 1}) == 0
    assert await frames.update_many("frames", {}, unset=["checked"]) == 4
    assert await frames.count("frames", {"checked": {"$exists": True}}) == 0
    assert await frames.delete("frames", {"night": True, "camera": "demo"}) == 2
    assert await ids(frames, {}) == ["f3", "f4"]
    assert await frames.delete("frames", {"_id": "nope"}) == 0
    assert await frames.delete("frames", {}) == 2
    assert await frames.count("frames") == 0


async def test_concurrent_compare_and_set_counter_loses_no_increment(
        metadata_store: MetadataStore) -> None:
    await metadata_store.insert("counters", {"_id": "c", "n": 0})

    async def increment() -> None:
        while True:
            doc = await metadata_store.get("counters", "c")
            assert doc is not None
            if await metadata_store.update("counters", {"_id": "c", "n": doc["n"]},
                                           set={"n": doc["n"] + 1}):
                return

    await asyncio.gather(*(increment() for _ in range(50)))
    assert await metadata_store.get("counters", "c") == {"_id": "c", "n": 50}


async def test_collections_are_separate(metadata_store: MetadataStore) -> None:
    await metadata_store.insert("a_one", {"_id": "x", "v": 1})
    await metadata_store.insert("a_two", {"_id": "x", "v": 2})
    assert await metadata_store.get("a_one", "x") == {"_id": "x", "v": 1}
    assert await metadata_store.get("a_two", "x") == {"_id": "x", "v": 2}


@pytest.mark.parametrize("doc", [
    "not a dict", ["_id", "x"], {"name": "no id"}, {"_id": 5}, {"_id": ""}, {"_id": None},
    {"_id": "x", "bad.key": 1}, {"_id": "x", "$op": 1}, {"_id": "x", "nested": {"a.b": 1}},
    {"_id": "x", "when": object()}, {"_id": "x", "nan": float("nan")}, {"_id": "x", 5: "int key"},
    {"_id": "x", "_zenith_noop": []},
])
async def test_bad_documents_are_refused_and_change_nothing(
        metadata_store: MetadataStore, doc: object) -> None:
    with pytest.raises(BadRequest):
        await metadata_store.insert("users", doc)  # type: ignore[arg-type]
    with pytest.raises(BadRequest):
        await metadata_store.put("users", doc)  # type: ignore[arg-type]
    assert await metadata_store.count("users") == 0


@pytest.mark.parametrize("name", ["", "Users", "1abc", "a-b", "a.b", "a b", "x" * 64,
                                  "sqlite_master", "system_x", None, 5, "users;drop"])
async def test_bad_collection_names_are_refused(metadata_store: MetadataStore,
                                                name: object) -> None:
    with pytest.raises(BadRequest):
        await metadata_store.insert(name, {"_id": "x"})  # type: ignore[arg-type]
    with pytest.raises(BadRequest):
        await metadata_store.find(name)  # type: ignore[arg-type]
    with pytest.raises(BadRequest):
        await metadata_store.count(name)  # type: ignore[arg-type]


@pytest.mark.parametrize("flt", [
    {"a": {"$regex": "x"}}, {"$where": "1"}, {"$or": [{"a": 1}]}, {"a": {"$in": "x"}},
    {"a": {"$exists": 1}}, {"a": {"$gt": [1]}}, {"a": {"$gt": {"b": 1}}}, {"bad field": 1},
    {"a..b": 1}, {"a'); DROP TABLE frames; --": 1}, {"a": {"$gt": 1, "b": 2}}, "a = 1", [1],
    {"a": {"$ne": {"$gt": 1}}}, {"a": object()}, {"meta": {"gain": 1}}, {"a": [1, 2]},
    {"a": {"$in": [[1]]}}, {"a": {"$ne": {"b": 1}}},
])
async def test_bad_filters_are_refused(frames: MetadataStore, flt: object) -> None:
    with pytest.raises(BadRequest):
        await frames.find("frames", flt)  # type: ignore[arg-type]
    with pytest.raises(BadRequest):
        await frames.count("frames", flt)  # type: ignore[arg-type]
    with pytest.raises(BadRequest):
        await frames.update("frames", flt, set={"x": 1})  # type: ignore[arg-type]
    with pytest.raises(BadRequest):
        await frames.delete("frames", flt)  # type: ignore[arg-type]
    assert await frames.count("frames") == 4
    assert await frames.count("frames", {"x": {"$exists": True}}) == 0


@pytest.mark.parametrize("kwargs", [
    {"sort": [("a", 2)]}, {"sort": "a"}, {"sort": [("bad field", 1)]}, {"sort": [("a",)]},
    {"limit": -1}, {"skip": -1}, {"limit": "5"}, {"skip": 1.5},
])
async def test_bad_sort_and_paging_are_refused(frames: MetadataStore,
                                               kwargs: dict[str, object]) -> None:
    with pytest.raises(BadRequest):
        await frames.find("frames", {}, **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize("kwargs", [
    {"set": {"_id": "other"}}, {"unset": ["_id"]}, {"set": {"a": 1}, "unset": ["a"]},
    {"set": {"meta": {}, "meta.gain": 1}}, {"set": {"bad path": 1}}, {"set": {"$inc": 1}},
    {"set": "a"}, {"unset": "a"}, {"set": {"a": {"b.c": 1}}}, {"set": {"a": float("inf")}},
    {"set": {"a": 2**64}}, {"set": {"_zenith_noop": 1}},
])
async def test_bad_updates_are_refused_and_change_nothing(
        frames: MetadataStore, kwargs: dict[str, object]) -> None:
    with pytest.raises(BadRequest):
        await frames.update("frames", {"_id": "f1"}, **kwargs)  # type: ignore[arg-type]
    with pytest.raises(BadRequest):
        await frames.update_many("frames", {}, **kwargs)  # type: ignore[arg-type]
    assert await frames.get("frames", "f1") == FRAMES[0]


@pytest.mark.parametrize("fields", [[], "email", ["bad field"], ["a", "a"]])
async def test_bad_indexes_are_refused(metadata_store: MetadataStore, fields: object) -> None:
    with pytest.raises(BadRequest):
        await metadata_store.ensure_index("users", fields)  # type: ignore[arg-type]


async def test_bad_ids_to_get_are_refused(metadata_store: MetadataStore) -> None:
    with pytest.raises(BadRequest):
        await metadata_store.get("users", 5)  # type: ignore[arg-type]
    with pytest.raises(BadRequest):
        await metadata_store.get("users", "")


async def test_setting_below_a_scalar_changes_nothing(frames: MetadataStore) -> None:
    # MongoDB and SQLite refuse it (BadRequest); nx-27017 ignores it. Either way
    # the document is left as it was.
    try:
        await frames.update("frames", {"_id": "f1"}, set={"camera.sub": 1, "stars": 0})
    except BadRequest:
        pass
    assert (await frames.get("frames", "f1") or {})["camera"] == "demo"
