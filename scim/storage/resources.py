"""Resources and their index rows in one table, partitioned by tenant.

Row layout (PartitionKey is the tenant slug):
- ``res:<type>:<id>``: the resource; its attributes are JSON split over ``Json0..JsonN``.
- ``idx:<type>:<attribute>:<sha256(value)>``: a unique index row naming the resource's id.
- ``idx:<type>:<attribute>:<sha256(value)>:<id>``: a non-unique index row.

A resource and its index rows share the partition, so every write that must agree is one entity
group transaction: all of it commits or none of it does.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from azure.core import MatchConditions
from azure.core.exceptions import (
    AzureError,
    HttpResponseError,
    ResourceExistsError,
    ResourceModifiedError,
    ResourceNotFoundError,
)
from azure.data.tables import TableClient, TableTransactionError, UpdateMode

from scim.service.ports import (
    IndexEntry,
    KeyTaken,
    ResourceMissing,
    ResourceTooLarge,
    StorageUnavailable,
    StoredResource,
    VersionConflict,
)

# Table Storage: a string property holds at most 64 KiB (32K UTF-16 units), an entity 1 MiB.
JSON_CHUNK_CHARACTERS = 30_000
MAX_JSON_CHUNKS = 30
RANGE_FILTER = "PartitionKey eq @tenant and RowKey ge @low and RowKey lt @high"

T = TypeVar("T")


class TableResourceRepository:
    """``ResourceRepository`` on one Azure Table."""

    def __init__(self, table: TableClient):
        self._table = table

    def insert(self, tenant: str, resource: StoredResource, indexes: Sequence[IndexEntry]) -> StoredResource:
        operations = [("create", _resource_entity(tenant, resource))]
        operations += [("create", _index_entity(tenant, resource, entry)) for entry in indexes]
        results = self._transact(operations, list(indexes), first_index_at=1)
        return dataclasses.replace(resource, version=results[0]["etag"])

    def get(self, tenant: str, resource_type: str, resource_id: str) -> StoredResource | None:
        try:
            entity = self._call(lambda: self._table.get_entity(tenant, _resource_key(resource_type, resource_id)))
        except ResourceMissing:
            return None
        return _resource_from_entity(entity)

    def find_ids(self, tenant: str, resource_type: str, attribute: str, value: str) -> list[str]:
        unique_key = _index_key(resource_type, IndexEntry(attribute, value, unique=True))
        try:
            entity = self._call(lambda: self._table.get_entity(tenant, unique_key, select=["ResourceId"]))
            return [entity["ResourceId"]]
        except ResourceMissing:
            pass
        # Not unique (or absent): all rows under the value's prefix, in one range query.
        prefix = unique_key + ":"
        rows = self._query_range(tenant, prefix, _after_prefix(prefix), select=["ResourceId"])
        return [row["ResourceId"] for row in rows]

    def replace(
        self,
        tenant: str,
        resource: StoredResource,
        *,
        old_indexes: Sequence[IndexEntry],
        new_indexes: Sequence[IndexEntry],
    ) -> StoredResource:
        old_keys = {_index_key(resource.resource_type, entry, resource.id) for entry in old_indexes}
        new_keys = {_index_key(resource.resource_type, entry, resource.id) for entry in new_indexes}
        added = [
            entry for entry in new_indexes if _index_key(resource.resource_type, entry, resource.id) not in old_keys
        ]
        operations: list[tuple[Any, ...]] = [
            (
                "update",
                _resource_entity(tenant, resource),
                {
                    "mode": UpdateMode.REPLACE,
                    "etag": resource.version,
                    "match_condition": MatchConditions.IfNotModified,
                },
            )
        ]
        operations += [("create", _index_entity(tenant, resource, entry)) for entry in added]
        operations += [("delete", {"PartitionKey": tenant, "RowKey": key}) for key in sorted(old_keys - new_keys)]
        results = self._transact(operations, added, first_index_at=1)
        return dataclasses.replace(resource, version=results[0]["etag"])

    def delete(self, tenant: str, resource: StoredResource, indexes: Sequence[IndexEntry]) -> None:
        operations: list[tuple[Any, ...]] = [
            (
                "delete",
                {"PartitionKey": tenant, "RowKey": _resource_key(resource.resource_type, resource.id)},
                {"etag": resource.version, "match_condition": MatchConditions.IfNotModified},
            )
        ]
        operations += [
            ("delete", {"PartitionKey": tenant, "RowKey": _index_key(resource.resource_type, entry, resource.id)})
            for entry in indexes
        ]
        self._transact(operations, [], first_index_at=1)

    def list_ids(self, tenant: str, resource_type: str) -> list[str]:
        prefix = _resource_key(resource_type, "")
        rows = self._query_range(tenant, prefix, _after_prefix(prefix), select=["RowKey"])
        return [row["RowKey"][len(prefix) :] for row in rows]

    def list_from(self, tenant: str, resource_type: str, first_id: str, limit: int) -> list[StoredResource]:
        if limit <= 0:
            return []
        low = _resource_key(resource_type, first_id)
        high = _after_prefix(_resource_key(resource_type, ""))
        rows = self._query_range(tenant, low, high, limit=limit)
        return [_resource_from_entity(row) for row in rows]

    def _query_range(
        self, tenant: str, low: str, high: str, *, select: list[str] | None = None, limit: int | None = None
    ) -> list[dict[str, Any]]:
        def run() -> list[dict[str, Any]]:
            pages = self._table.query_entities(
                RANGE_FILTER,
                parameters={"tenant": tenant, "low": low, "high": high},
                select=select,
                results_per_page=min(limit, 1000) if limit else None,
            ).by_page()
            rows: list[dict[str, Any]] = []
            for page in pages:
                rows.extend(page)
                if limit is not None and len(rows) >= limit:
                    return rows[:limit]
            return rows

        return self._call(run)

    def _transact(
        self, operations: list[tuple[Any, ...]], indexes: list[IndexEntry], *, first_index_at: int
    ) -> list[dict[str, Any]]:
        """Submit one entity group transaction and translate its failure.

        ``indexes[i]`` is the unique entry created by operation ``first_index_at + i``.
        """
        try:
            return self._call(lambda: self._table.submit_transaction(operations))
        except TableTransactionError as error:
            code = _error_code(error)
            if code == "EntityAlreadyExists":
                position = error.index - first_index_at
                attribute = indexes[position].attribute if 0 <= position < len(indexes) else "id"
                raise KeyTaken(attribute) from None
            if code in ("UpdateConditionNotSatisfied", "ResourceNotFound"):
                raise VersionConflict() from None
            if code in ("EntityTooLarge", "PropertyValueTooLarge", "RequestBodyTooLarge"):
                raise ResourceTooLarge() from None
            raise StorageUnavailable() from error

    def _call(self, operation: Callable[[], T]) -> T:
        """Run one storage call; create the table on first use; translate Azure errors."""
        try:
            try:
                return operation()
            except HttpResponseError as error:
                if _error_code(error) != "TableNotFound":
                    raise
                self._table.create_table()  # first use of a fresh table name
                return operation()
        except TableTransactionError:
            raise
        except ResourceNotFoundError:
            raise ResourceMissing() from None
        except ResourceExistsError as error:
            if _error_code(error) == "TableAlreadyExists":
                return operation()  # another instance created it between our two calls
            raise
        except ResourceModifiedError:
            raise VersionConflict() from None
        except AzureError as error:
            raise StorageUnavailable() from error


def _error_code(error: Exception) -> str:
    """The storage error code; the SDK gives either a plain string or a ``TableErrorCode`` member."""
    code = getattr(error, "error_code", None)
    return str(getattr(code, "value", code) or "")


def _resource_key(resource_type: str, resource_id: str) -> str:
    return f"res:{resource_type}:{resource_id}"


def _index_key(resource_type: str, entry: IndexEntry, resource_id: str = "") -> str:
    # Hashing makes any value a safe, bounded key: no '/', '\\', '#', '?' or control characters.
    digest = hashlib.sha256(entry.value.encode("utf-8")).hexdigest()
    key = f"idx:{resource_type}:{entry.attribute}:{digest}"
    return key if entry.unique else f"{key}:{resource_id}"


def _after_prefix(prefix: str) -> str:
    """The smallest key greater than every key starting with ``prefix``."""
    return prefix[:-1] + chr(ord(prefix[-1]) + 1)


def _resource_entity(tenant: str, resource: StoredResource) -> dict[str, Any]:
    # ensure_ascii keeps one character per UTF-16 unit, so chunk sizes are exact.
    text = json.dumps(resource.attributes, ensure_ascii=True, separators=(",", ":"))
    chunks = [text[start : start + JSON_CHUNK_CHARACTERS] for start in range(0, len(text), JSON_CHUNK_CHARACTERS)]
    if len(chunks) > MAX_JSON_CHUNKS:
        raise ResourceTooLarge()
    entity: dict[str, Any] = {
        "PartitionKey": tenant,
        "RowKey": _resource_key(resource.resource_type, resource.id),
        "ResourceType": resource.resource_type,
        "Id": resource.id,
        "Created": resource.created,
        "LastModified": resource.last_modified,
        "JsonChunks": len(chunks),
    }
    entity.update({f"Json{number}": chunk for number, chunk in enumerate(chunks)})
    return entity


def _index_entity(tenant: str, resource: StoredResource, entry: IndexEntry) -> dict[str, Any]:
    return {
        "PartitionKey": tenant,
        "RowKey": _index_key(resource.resource_type, entry, resource.id),
        "ResourceId": resource.id,
    }


def _resource_from_entity(entity: Any) -> StoredResource:
    text = "".join(entity[f"Json{number}"] for number in range(entity["JsonChunks"]))
    return StoredResource(
        resource_type=entity["ResourceType"],
        id=entity["Id"],
        attributes=json.loads(text),
        created=entity["Created"],
        last_modified=entity["LastModified"],
        version=entity.metadata["etag"],
    )
