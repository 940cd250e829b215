"""MetadataStore on MongoDB through ``motor``: the production backend.

Documents keep the application's string ``_id``. Filters go through
:mod:`zenith.storage.mongo_query`, in MongoDB's own terms. ``update`` is
one ``find_one_and_update`` (``$set`` and ``$unset`` in the same update,
returning the document after), so a filter holding a precondition is an
atomic compare-and-set in one round trip. The code is written for MongoDB;
where a test server differs, the contract suite says so.

Any motor-like client may be passed in (``mongomock_motor`` in tests).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

from pymongo import ReturnDocument
from pymongo.errors import (
    ConnectionFailure,
    DuplicateKeyError,
    OperationFailure,
    PyMongoError,
)

from zenith.errors import BadRequest, ConfigError, Conflict, DuplicateKey, StorageError, Unavailable
from zenith.storage import mongo_query, validate
from zenith.storage.metadata import Doc, Filter, MetadataStore, Sort

_DB_NAME_RE = re.compile(r"^[A-Za-z0-9_-]{1,63}$")
_DUPLICATE_CODES = {11000, 11001, 12582}
_DUPLICATE_TEXT = re.compile(r"E11000")
# BadValue, FailedToParse, TypeMismatch, PathNotViable, ConflictingUpdateOperators,
# DollarPrefixedFieldName, EmptyFieldName, DottedFieldName, ImmutableField, Location...
_BAD_INPUT_CODES = {2, 9, 14, 28, 40, 52, 56, 57, 66, 16837}


@contextmanager
def _errors(action: str) -> Iterator[None]:
    """Turn driver errors into Zenith errors."""
    try:
        yield
    except DuplicateKeyError as exc:
        raise DuplicateKey(f"{action}: duplicate key") from exc
    except OperationFailure as exc:
        if exc.code in _DUPLICATE_CODES or _DUPLICATE_TEXT.search(str(exc)):
            raise DuplicateKey(f"{action}: duplicate key") from exc
        if exc.code in _BAD_INPUT_CODES:
            raise BadRequest(f"{action}: {exc.details.get('errmsg') if exc.details else exc}",
                             code="invalid_update") from exc
        raise StorageError(f"{action}: {exc}") from exc
    except ConnectionFailure as exc:
        raise Unavailable(f"{action}: MongoDB is not reachable ({exc})") from exc
    except PyMongoError as exc:
        raise StorageError(f"{action}: {exc}") from exc


def database_name(url: str) -> str:
    name = urlsplit(url).path.lstrip("/") or "zenith"
    if not _DB_NAME_RE.fullmatch(name):
        raise ConfigError(f"ZENITH_METADATA_URL: invalid database name {name!r} "
                          "(letters, digits, '_' or '-')")
    return name


class MongoMetadataStore(MetadataStore):
    """``client`` is a motor ``AsyncIOMotorClient`` or a client with its API."""

    def __init__(self, client: Any, database: str, *, owns_client: bool = False) -> None:
        self.client = client
        self.database = database
        self.db = client[database]
        self._owns_client = owns_client

    @classmethod
    async def open(cls, url: str, *, client: Any | None = None,
                   server_selection_timeout_ms: int = 10_000) -> MongoMetadataStore:
        """Connect to ``mongodb://host:port/<database>`` (default database ``zenith``)
        and check the server answers; :class:`~zenith.errors.Unavailable` if not.

        With ``client``, use that client (not closed by :meth:`close`)."""
        name = database_name(url)
        if client is not None:
            return cls(client, name)
        from motor.motor_asyncio import AsyncIOMotorClient

        try:
            made: Any = AsyncIOMotorClient(url,
                                           serverSelectionTimeoutMS=server_selection_timeout_ms)
        except (PyMongoError, ValueError, TypeError) as exc:
            raise ConfigError(f"ZENITH_METADATA_URL: {exc}") from None
        store = cls(made, name, owns_client=True)
        try:
            with _errors(f"connect to {urlsplit(url).hostname}"):
                await made.admin.command("ping")
        except BaseException:
            made.close()
            raise
        return store

    async def close(self) -> None:
        if self._owns_client:
            self.client.close()

    async def drop_database(self) -> None:
        """Delete the whole database (test clean-up)."""
        with _errors("drop database"):
            await self.client.drop_database(self.database)

    def _coll(self, collection: str) -> Any:
        return self.db[validate.collection_name(collection)]

    async def ensure_index(self, collection: str, fields: Sequence[str], *,
                           unique: bool = False) -> None:
        coll = self._coll(collection)
        names = validate.index_fields(fields)
        if names == ["_id"]:
            return
        keys = [(f, 1) for f in names]
        with _errors(f"index {collection}"):
            for info in (await coll.index_information()).values():
                if [(k, int(d)) for k, d in info["key"]] == keys:
                    if bool(info.get("unique")) == unique:
                        return
                    raise Conflict(f"{collection}: an index on {names} exists with "
                                   f"unique={not unique}", code="index_conflict")
            await coll.create_index(keys, unique=unique)

    async def insert(self, collection: str, doc: Doc) -> None:
        coll = self._coll(collection)
        checked = validate.document(doc)
        with _errors(f"insert into {collection}"):
            await coll.insert_one(checked)

    async def put(self, collection: str, doc: Doc) -> bool:
        coll = self._coll(collection)
        checked = validate.document(doc)
        with _errors(f"put into {collection}"):
            result = await coll.replace_one({"_id": checked["_id"]}, checked, upsert=True)
        return result.upserted_id is not None

    async def get(self, collection: str, doc_id: str) -> Doc | None:
        coll = self._coll(collection)
        validate.doc_id(doc_id)
        with _errors(f"get from {collection}"):
            found: Doc | None = await coll.find_one({"_id": doc_id})
        return found

    async def find(self, collection: str, filter: Filter | None = None, *,
                   sort: Sort = (), limit: int = 0, skip: int = 0) -> list[Doc]:
        coll = self._coll(collection)
        query = mongo_query.translate(validate.filter_spec(filter))
        order = mongo_query.sort(validate.sort_spec(sort))
        limit, skip = validate.paging(limit, skip)
        with _errors(f"find in {collection}"):
            cursor = coll.find(query, sort=order, skip=skip, limit=limit)
            found: list[Doc] = [doc async for doc in cursor]
        return found

    async def count(self, collection: str, filter: Filter | None = None) -> int:
        coll = self._coll(collection)
        query = mongo_query.translate(validate.filter_spec(filter))
        with _errors(f"count in {collection}"):
            return int(await coll.count_documents(query))

    async def update(self, collection: str, filter: Filter, *,
                     set: Mapping[str, Any] | None = None,
                     unset: Sequence[str] = ()) -> Doc | None:
        coll = self._coll(collection)
        query = mongo_query.translate(validate.filter_spec(filter))
        update = mongo_query.update(*validate.update_spec(set, unset))
        with _errors(f"update {collection}"):
            if not update:
                found: Doc | None = await coll.find_one(query)
                return found
            after: Doc | None = await coll.find_one_and_update(
                query, update, return_document=ReturnDocument.AFTER)
        return after

    async def update_many(self, collection: str, filter: Filter, *,
                          set: Mapping[str, Any] | None = None,
                          unset: Sequence[str] = ()) -> int:
        coll = self._coll(collection)
        query = mongo_query.translate(validate.filter_spec(filter))
        update = mongo_query.update(*validate.update_spec(set, unset))
        with _errors(f"update {collection}"):
            if not update:
                return int(await coll.count_documents(query))
            result = await coll.update_many(query, update)
        return int(result.matched_count)

    async def delete(self, collection: str, filter: Filter) -> int:
        coll = self._coll(collection)
        query = mongo_query.translate(validate.filter_spec(filter))
        with _errors(f"delete from {collection}"):
            result = await coll.delete_many(query)
        return int(result.deleted_count)
