"""Resources and their index rows in one table, partitioned by tenant.

Row layout (PartitionKey is the tenant slug):
- ``res:<type>:<id>``: the resource; its attributes are JSON split over ``Json0..JsonN``.
- ``idx:<type>:<attribute>:<sha256(value)>``: a unique index row naming the resource's id.
- ``idx:<type>:<attribute>:<sha256(value)>:<id>``: a non-unique index row.
- ``mem:<group id>:<member id>``: one direct member of a group (``MemberType``).
- ``mof:<member id>:<group id>``: the same membership seen from the member.
- ``del:<type>:<id>``: a delete whose membership cleanup has not finished yet.
- ``sch:<urn>``: an extension schema the tenant declared (``ResourceType``, ``Json``);
  ``sch:~policy``: the tenant's policy for undeclared extension attributes (``Undeclared``).
  ``~`` sorts after every URN character, and one range query over ``sch:`` reads them all.

One row outside every tenant: ``secret:<name>`` in partition ``_service`` (no tenant slug starts
with ``_``), a random key shared by every instance of the service (the cursor key).

A resource and its index rows share the partition, so every write that must agree is one entity
group transaction: all of it commits or none of it does.
"""

from __future__ import annotations

import base64
import dataclasses
import functools
import secrets
from collections.abc import Callable, Mapping, Sequence
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

from scim.service.journal import name_digest
from scim.service.ports import (
    IndexEntry,
    KeyTaken,
    MemberMissing,
    Membership,
    ResourceMissing,
    ResourceTooLarge,
    StorageUnavailable,
    StoredResource,
    StoredSchema,
    TenantSchemas,
    VersionConflict,
)
from scim.storage.chunks import chunked_json, unchunked_json
from scim.storage.journal import JOURNAL_ROWS_PER_TRANSACTION, row_time, utc_clock, with_journal_row

# Table Storage: an entity holds at most 1 MiB, and strings count 2 bytes a character (UTF-16):
# 15 chunks of 30,000 characters (scim.storage.chunks) are 900,000 bytes, which leaves the entity's
# other properties room under 1 MiB (1,048,576 bytes).
MAX_JSON_CHUNKS = 15
# An entity group transaction holds at most 100 operations.
MAX_TRANSACTION_OPERATIONS = 100
# Added plus removed members that change_memberships writes in one transaction, hence whole or not
# at all: (100 operations per transaction - the group's touch - the journal row) / 3 operations per
# added member: 32.
ATOMIC_MEMBERSHIP_CHANGES = (MAX_TRANSACTION_OPERATIONS - 1 - JOURNAL_ROWS_PER_TRANSACTION) // 3
# Memberships (two rows each) a delete's cleanup removes per transaction, leaving room for the
# deletion marker and the journal row: 49, so a user in up to 49 groups is cleaned up in one.
CLEANUP_PAIRS_PER_TRANSACTION = (MAX_TRANSACTION_OPERATIONS - 1 - JOURNAL_ROWS_PER_TRANSACTION) // 2
RANGE_FILTER = "PartitionKey eq @tenant and RowKey ge @low and RowKey lt @high"
AFTER_FILTER = "PartitionKey eq @tenant and RowKey gt @low and RowKey lt @high"
SERVICE_PARTITION = "_service"
SCHEMA_PREFIX = "sch:"
POLICY_KEY = "sch:~policy"
SECRET_BYTES = 32

T = TypeVar("T")


class TableResourceRepository:
    """``ResourceRepository`` on one Azure Table."""

    atomic_membership_changes = ATOMIC_MEMBERSHIP_CHANGES

    def __init__(self, table: TableClient):
        self._table = table
        self._secrets: dict[str, bytes] = {}

    def insert(self, tenant: str, resource: StoredResource, indexes: Sequence[IndexEntry]) -> StoredResource:
        operations = [("create", _resource_entity(tenant, resource))]
        operations += [("create", _index_entity(tenant, resource, entry)) for entry in indexes]
        operations = _with_resource_journal_row(operations, tenant, "create", resource, indexes)
        results = self._transact(operations, list(indexes), first_index_at=1)
        return dataclasses.replace(resource, version=results[0]["etag"])

    def get(self, tenant: str, resource_type: str, resource_id: str) -> StoredResource | None:
        try:
            entity = self._call(lambda: self._table.get_entity(tenant, _resource_key(resource_type, resource_id)))
        except ResourceMissing:
            return None
        return _resource_from_entity(entity)

    def find_ids(
        self, tenant: str, resource_type: str, attribute: str, value: str, *, unique: bool | None = None
    ) -> list[str]:
        unique_key = _index_key(resource_type, IndexEntry(attribute, value, unique=True))
        if unique:  # a point read, found or not
            try:
                entity = self._call(lambda: self._table.get_entity(tenant, unique_key, select=["ResourceId"]))
            except ResourceMissing:
                return []
            return [entity["ResourceId"]]
        # One range query: the non-unique rows (the key, ':', an id) and, when the kind is not given,
        # the unique row too (the key itself).
        low = unique_key + ":" if unique is False else unique_key
        rows = self.query_range(tenant, low, _after_prefix(unique_key + ":"), select=["ResourceId"])
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
        operations = _with_resource_journal_row(operations, tenant, "replace", resource, new_indexes)
        results = self._transact(operations, added, first_index_at=1)
        return dataclasses.replace(resource, version=results[0]["etag"])

    def delete(self, tenant: str, resource: StoredResource, indexes: Sequence[IndexEntry]) -> None:
        marker = {"PartitionKey": tenant, "RowKey": _deletion_key(resource.resource_type, resource.id)}
        operations: list[tuple[Any, ...]] = [
            (
                "delete",
                {"PartitionKey": tenant, "RowKey": _resource_key(resource.resource_type, resource.id)},
                {"etag": resource.version, "match_condition": MatchConditions.IfNotModified},
            ),
            ("upsert", marker),
        ]
        operations += [
            ("delete", {"PartitionKey": tenant, "RowKey": _index_key(resource.resource_type, entry, resource.id)})
            for entry in indexes
        ]
        operations = with_journal_row(
            operations,
            tenant,
            "delete",
            resource.resource_type,
            resource.id,
            name_digest=_unique_name_digest(indexes),
            at=max(utc_clock(), row_time(resource.last_modified, after=True)),
        )
        self._transact(operations, [], first_index_at=1)
        self._remove_memberships(tenant, resource.resource_type, resource.id)  # the marker was just written

    def finish_deletion(self, tenant: str, resource_type: str, resource_id: str) -> bool:
        if not self._row_exists(tenant, _deletion_key(resource_type, resource_id)):
            return False
        self._remove_memberships(tenant, resource_type, resource_id)
        return True

    def _remove_memberships(self, tenant: str, resource_type: str, resource_id: str) -> None:
        """Both rows of every membership of a deleted resource, then its marker (with the last batch)."""
        # A group's own members (mem) and, for any member, the groups it is in (mof); users have no mem rows.
        prefixes = [f"{kind}:{resource_id}:" for kind in (("mem", "mof") if resource_type == "Group" else ("mof",))]
        pairs = sorted({_membership_pair(key) for prefix in prefixes for key in self._keys_in_range(tenant, prefix)})
        # Whole pairs per transaction (a retry finds a membership by the deleted resource's side only),
        # the marker last, so that an interrupted cleanup is found and finished.
        batches = [[row for pair in batch for row in pair] for batch in _batches(pairs, CLEANUP_PAIRS_PER_TRANSACTION)]
        batches = batches or [[]]
        batches[-1].append(_deletion_key(resource_type, resource_id))
        for batch in batches:
            self._delete_rows(tenant, batch, (resource_type, resource_id))

    def exists(self, tenant: str, resource_type: str, resource_id: str) -> bool:
        return self._row_exists(tenant, _resource_key(resource_type, resource_id))

    def members(self, tenant: str, group_id: str, limit: int | None = None) -> list[Membership]:
        prefix = f"mem:{group_id}:"
        rows = self.query_range(tenant, prefix, _after_prefix(prefix), select=["RowKey", "MemberType"], limit=limit)
        return [Membership(row["RowKey"][len(prefix) :], row["MemberType"]) for row in rows]

    def groups_of(self, tenant: str, member_id: str) -> list[str]:
        prefix = f"mof:{member_id}:"
        return [key[len(prefix) :] for key in self._keys_in_range(tenant, prefix)]

    def groups_of_members_between(self, tenant: str, first_id: str, last_id: str) -> dict[str, list[str]]:
        rows = self.query_range(tenant, f"mof:{first_id}:", _after_prefix(f"mof:{last_id}:"), select=["RowKey"])
        groups: dict[str, list[str]] = {}
        for row in rows:
            _, member_id, group_id = row["RowKey"].split(":")
            groups.setdefault(member_id, []).append(group_id)
        return groups

    def memberships_present(self, tenant: str, group_id: str, member_ids: Sequence[str]) -> set[str]:
        return {member for member in member_ids if self._row_exists(tenant, f"mem:{group_id}:{member}")}

    def change_memberships(
        self,
        tenant: str,
        group_id: str,
        *,
        add: Sequence[Membership],
        remove: Sequence[str],
        last_modified: str,
        expected_version: str | None = None,
    ) -> str:
        changes: list[Membership | str] = [*add, *remove]  # a Membership to add, a member id to remove
        # Each transaction touches the group: it fails if the group was deleted meanwhile, so no
        # membership row can outlive its group; each added member is touched for the same reason.
        version = ""
        for batch in _batches(changes, ATOMIC_MEMBERSHIP_CHANGES) or [[]]:
            condition = {"etag": expected_version, "match_condition": MatchConditions.IfNotModified}
            touch_group = {
                "PartitionKey": tenant,
                "RowKey": _resource_key("Group", group_id),
                "LastModified": last_modified,
            }
            operations: list[tuple[Any, ...]] = [
                ("update", touch_group, {"mode": UpdateMode.MERGE, **(condition if expected_version else {})})
            ]
            # The member behind each operation, to name the one that vanished if a touch fails.
            owners: list[str | None] = [None]
            for change in batch:
                added = _membership_operations(tenant, group_id, change, last_modified)
                operations += added
                owners += [change.member_id if isinstance(change, Membership) else None] * len(added)
            added_ids = [change.member_id for change in batch if isinstance(change, Membership)]
            removed_ids = [change for change in batch if isinstance(change, str)]
            operations = with_journal_row(
                operations,
                tenant,
                "members",
                "Group",
                group_id,
                added=added_ids,
                removed=removed_ids,
                modified=last_modified,
            )
            owners.append(None)
            results = self._transact_memberships(operations, owners)
            version = results[0]["etag"]
            expected_version = None  # checked once, by the first transaction
        return version

    def list_ids(self, tenant: str, resource_type: str) -> list[str]:
        prefix = _resource_key(resource_type, "")
        rows = self.query_range(tenant, prefix, _after_prefix(prefix), select=["RowKey"])
        return [row["RowKey"][len(prefix) :] for row in rows]

    def list_from(self, tenant: str, resource_type: str, first_id: str, limit: int) -> list[StoredResource]:
        if limit <= 0:
            return []
        low = _resource_key(resource_type, first_id)
        high = _after_prefix(_resource_key(resource_type, ""))
        rows = self.query_range(tenant, low, high, limit=limit)
        return [_resource_from_entity(row) for row in rows]

    def list_after(self, tenant: str, resource_type: str, after_id: str | None, limit: int) -> list[StoredResource]:
        if limit <= 0:
            return []
        prefix = _resource_key(resource_type, "")
        low = prefix if after_id is None else _resource_key(resource_type, after_id)
        rows = self.query_range(tenant, low, _after_prefix(prefix), limit=limit, after=after_id is not None)
        return [_resource_from_entity(row) for row in rows]

    def tenant_schemas(self, tenant: str) -> TenantSchemas:
        rows = self.query_range(tenant, SCHEMA_PREFIX, _after_prefix(SCHEMA_PREFIX))
        schemas = [StoredSchema(row["ResourceType"], row["Json"]) for row in rows if row["RowKey"] != POLICY_KEY]
        policy = next((row.get("Undeclared") for row in rows if row["RowKey"] == POLICY_KEY), None)
        return TenantSchemas(schemas, policy)

    def put_schema(self, tenant: str, urn: str, schema: StoredSchema) -> None:
        entity = {
            "PartitionKey": tenant,
            "RowKey": SCHEMA_PREFIX + urn,
            "ResourceType": schema.resource_type,
            "Json": schema.document,
        }
        self._call(lambda: self._table.upsert_entity(entity, mode=UpdateMode.REPLACE))

    def delete_schema(self, tenant: str, urn: str) -> bool:
        if not self._row_exists(tenant, SCHEMA_PREFIX + urn):
            return False
        self._call(lambda: self._table.delete_entity(tenant, SCHEMA_PREFIX + urn))
        return True

    def set_undeclared_policy(self, tenant: str, policy: str) -> None:
        entity = {"PartitionKey": tenant, "RowKey": POLICY_KEY, "Undeclared": policy}
        self._call(lambda: self._table.upsert_entity(entity, mode=UpdateMode.REPLACE))

    def secret(self, name: str) -> bytes:
        if name not in self._secrets:
            self._secrets[name] = self._stored_secret(f"secret:{name}")
        return self._secrets[name]

    # --- rows other than resources (journal, poll state), for the modules beside this one ---------

    def row(self, tenant: str, key: str) -> Any | None:
        """The entity at ``key``, or None."""
        try:
            return self._call(lambda: self._table.get_entity(tenant, key))
        except ResourceMissing:
            return None

    def create_row(self, entity: dict[str, Any]) -> None:
        """Insert; ``VersionConflict`` if the row exists (someone else created it first)."""
        try:
            self._call(lambda: self._table.create_entity(entity))
        except ResourceExistsError:
            raise VersionConflict() from None

    def write_row(self, entity: dict[str, Any], mode: UpdateMode, etag: str, condition: MatchConditions) -> None:
        """Update at ``etag``; ``VersionConflict`` if it changed."""
        self._call(lambda: self._table.update_entity(entity, mode=mode, etag=etag, match_condition=condition))

    def delete_batch(self, tenant: str, keys: Sequence[str]) -> None:
        """Delete up to 100 rows in one transaction, journaling nothing (the journal's own sweep)."""
        try:
            self._transact([("delete", {"PartitionKey": tenant, "RowKey": key}) for key in keys], [], first_index_at=0)
        except VersionConflict:
            self.delete_rows(tenant, keys)

    def delete_rows(self, tenant: str, keys: Sequence[str]) -> None:
        """Delete rows that may be missing, one by one (missing is no error), journaling nothing."""
        for key in keys:
            self._call(functools.partial(self._table.delete_entity, tenant, key))

    def partitions_with_prefix(self, low: str, high: str) -> list[str]:
        """The partitions holding a row with ``low <= RowKey < high``: a scan of the table's keys."""

        def run() -> list[str]:
            rows = self._table.query_entities(
                "RowKey ge @low and RowKey lt @high", parameters={"low": low, "high": high}, select=["PartitionKey"]
            )
            return sorted({row["PartitionKey"] for row in rows})

        return self._call(run)

    def _stored_secret(self, key: str) -> bytes:
        """The secret in row ``key``, created at random by whichever instance needs it first."""
        entity: Mapping[str, Any]
        try:
            entity = self._call(lambda: self._table.get_entity(SERVICE_PARTITION, key))
        except ResourceMissing:
            value = base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode("ascii")
            try:
                self._call(
                    lambda: self._table.create_entity(
                        {"PartitionKey": SERVICE_PARTITION, "RowKey": key, "Value": value}
                    )
                )
            except ResourceExistsError:  # another instance created it first: use theirs
                entity = self._call(lambda: self._table.get_entity(SERVICE_PARTITION, key))
            else:
                entity = {"Value": value}
        return base64.b64decode(entity["Value"])

    def query_range(
        self,
        tenant: str,
        low: str,
        high: str,
        *,
        select: list[str] | None = None,
        limit: int | None = None,
        after: bool = False,
    ) -> list[dict[str, Any]]:
        """Rows with ``low <= RowKey < high`` (``low < RowKey`` when ``after``), following continuations."""

        def run() -> list[dict[str, Any]]:
            pages = self._table.query_entities(
                AFTER_FILTER if after else RANGE_FILTER,
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
    ) -> list[Mapping[str, Any]]:
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

    def _transact_memberships(
        self, operations: list[tuple[Any, ...]], owners: list[str | None]
    ) -> list[Mapping[str, Any]]:
        """Submit a membership transaction; ``owners[i]`` is the member behind operation ``i``."""
        try:
            return self._call(lambda: self._table.submit_transaction(operations))
        except TableTransactionError as error:
            code = _error_code(error)
            if code == "ResourceNotFound" and error.index == 0:
                raise ResourceMissing() from None
            if code == "ResourceNotFound" and operations[error.index][0] == "update":
                raise MemberMissing(owners[error.index] or "") from None
            if code in ("ResourceNotFound", "UpdateConditionNotSatisfied"):
                raise VersionConflict() from None
            raise StorageUnavailable() from error

    def _row_exists(self, tenant: str, key: str) -> bool:
        try:
            self._call(lambda: self._table.get_entity(tenant, key, select=["RowKey"]))
            return True
        except ResourceMissing:
            return False

    def _keys_in_range(self, tenant: str, prefix: str) -> list[str]:
        return [row["RowKey"] for row in self.query_range(tenant, prefix, _after_prefix(prefix), select=["RowKey"])]

    def _delete_rows(self, tenant: str, batch: list[str], deleted: tuple[str, str]) -> None:
        """Delete rows of a deleted resource that may already be gone (a retried cleanup) in one
        transaction, with a journal row naming the groups that lost the resource as a member."""
        resource_type, resource_id = deleted
        # mem:<group>:<deleted id>: that group's members changed (a deleted group's own members did not).
        groups = [key.split(":")[1] for key in batch if key.startswith("mem:") and key.endswith(f":{resource_id}")]
        operations = [("delete", {"PartitionKey": tenant, "RowKey": key}) for key in batch]
        if groups:
            operations = with_journal_row(operations, tenant, "unlinked", resource_type, resource_id, removed=groups)
        try:
            self._transact(operations, [], first_index_at=0)
        except VersionConflict:
            self.delete_rows(tenant, batch)  # some were gone: one by one, where missing is no error

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


def _deletion_key(resource_type: str, resource_id: str) -> str:
    return f"del:{resource_type}:{resource_id}"


def _membership_pair(key: str) -> tuple[str, str]:
    """Both rows of the membership that ``key`` (``mem:g:m`` or ``mof:m:g``) is one side of."""
    kind, first, second = key.split(":")
    group_id, member_id = (first, second) if kind == "mem" else (second, first)
    return f"mem:{group_id}:{member_id}", f"mof:{member_id}:{group_id}"


def _membership_operations(
    tenant: str, group_id: str, change: Membership | str, last_modified: str
) -> list[tuple[Any, ...]]:
    if isinstance(change, str):  # a member id to remove
        member_row, reverse_row = _membership_pair(f"mem:{group_id}:{change}")
        return [
            ("delete", {"PartitionKey": tenant, "RowKey": member_row}),
            ("delete", {"PartitionKey": tenant, "RowKey": reverse_row}),
        ]
    member_row, reverse_row = _membership_pair(f"mem:{group_id}:{change.member_id}")
    touch_member = {
        "PartitionKey": tenant,
        "RowKey": _resource_key(change.member_type, change.member_id),
        "LastModified": last_modified,
    }
    return [
        ("upsert", {"PartitionKey": tenant, "RowKey": member_row, "MemberType": change.member_type}),
        ("upsert", {"PartitionKey": tenant, "RowKey": reverse_row}),
        ("update", touch_member, {"mode": UpdateMode.MERGE}),
    ]


def _batches(items: Sequence[T], size: int) -> list[Sequence[T]]:
    return [items[start : start + size] for start in range(0, len(items), size)]


def _resource_key(resource_type: str, resource_id: str) -> str:
    return f"res:{resource_type}:{resource_id}"


def _with_resource_journal_row(
    operations: list[Any], tenant: str, event: str, resource: StoredResource, indexes: Sequence[IndexEntry]
) -> list[Any]:
    """The journal row of a create or replace: the resource's new LastModified and name digest."""
    return with_journal_row(
        operations,
        tenant,
        event,
        resource.resource_type,
        resource.id,
        modified=resource.last_modified,
        name_digest=_unique_name_digest(indexes),
        at=row_time(resource.last_modified),
    )


def _unique_name_digest(indexes: Sequence[IndexEntry]) -> str | None:
    return next((name_digest(entry.value) for entry in indexes if entry.unique), None)


def _index_key(resource_type: str, entry: IndexEntry, resource_id: str = "") -> str:
    # Hashing makes any value a safe, bounded key: no '/', '\\', '#', '?' or control characters.
    digest = name_digest(entry.value)
    key = f"idx:{resource_type}:{entry.attribute}:{digest}"
    return key if entry.unique else f"{key}:{resource_id}"


def _after_prefix(prefix: str) -> str:
    """The smallest key greater than every key starting with ``prefix``."""
    return prefix[:-1] + chr(ord(prefix[-1]) + 1)


def _resource_entity(tenant: str, resource: StoredResource) -> dict[str, Any]:
    chunks = chunked_json("Json", resource.attributes, MAX_JSON_CHUNKS)
    if chunks is None:
        raise ResourceTooLarge()
    return {
        "PartitionKey": tenant,
        "RowKey": _resource_key(resource.resource_type, resource.id),
        "ResourceType": resource.resource_type,
        "Id": resource.id,
        "Created": resource.created,
        "LastModified": resource.last_modified,
        **chunks,
    }


def _index_entity(tenant: str, resource: StoredResource, entry: IndexEntry) -> dict[str, Any]:
    return {
        "PartitionKey": tenant,
        "RowKey": _index_key(resource.resource_type, entry, resource.id),
        "ResourceId": resource.id,
    }


def _resource_from_entity(entity: Any) -> StoredResource:
    return StoredResource(
        resource_type=entity["ResourceType"],
        id=entity["Id"],
        attributes=unchunked_json(entity, "Json"),
        created=entity["Created"],
        last_modified=entity["LastModified"],
        version=entity.metadata["etag"],
    )
