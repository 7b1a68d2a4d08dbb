"""What the SCIM rules need from storage, and the outcomes storage reports.

The service depends on this interface only; ``scim.storage`` implements it with Table Storage.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass(frozen=True)
class StoredResource:
    """A resource as stored: its writable attributes plus the server's bookkeeping."""

    resource_type: str
    id: str
    attributes: dict[str, Any]
    created: str
    last_modified: str
    version: str = ""  # opaque; changes on every write (backs meta.version and ETag)
    # Created by this request: nothing is stored apart for it yet (no membership rows to read).
    new: bool = field(default=False, compare=False)


@dataclass(frozen=True)
class IndexEntry:
    """A lookup key of a resource; ``value`` is already normalized by the service."""

    attribute: str
    value: str
    unique: bool = field(default=False)


@dataclass(frozen=True)
class Membership:
    """One direct member of a group: a User or a Group of the same tenant."""

    member_id: str
    member_type: str  # "User" or "Group"


class KeyTaken(Exception):
    """A unique index entry belongs to another resource."""

    def __init__(self, attribute: str):
        super().__init__(attribute)
        self.attribute = attribute


class VersionConflict(Exception):
    """The resource changed since the version the write was based on."""


class ResourceMissing(Exception):
    """The resource does not exist (any more)."""


class MemberMissing(Exception):
    """A member named in a membership change does not exist (any more)."""

    def __init__(self, member_id: str):
        super().__init__(member_id)
        self.member_id = member_id


class ResourceTooLarge(Exception):
    """The resource does not fit in one stored entity."""


class StorageUnavailable(Exception):
    """Storage could not be reached or throttled us past our retries."""


@dataclass(frozen=True)
class StoredSchema:
    """A tenant's extension schema as stored: the resource type it extends and its JSON text."""

    resource_type: str
    document: str


@dataclass(frozen=True)
class TenantSchemas:
    """Everything a tenant declares about extensions, read together (one request)."""

    schemas: list[StoredSchema]
    undeclared: str | None = None  # the policy for undeclared extension attributes; None: the default


class SchemaRepository(Protocol):
    """A tenant's extension schemas and policy, kept in the tenant's partition."""

    def tenant_schemas(self, tenant: str) -> TenantSchemas:
        """The tenant's schemas and policy: one range query, also when there are none."""

    def put_schema(self, tenant: str, urn: str, schema: StoredSchema) -> None:
        """Store (or replace) the schema called ``urn``."""

    def delete_schema(self, tenant: str, urn: str) -> bool:
        """Remove the schema called ``urn``; False when there was none."""

    def set_undeclared_policy(self, tenant: str, policy: str) -> None:
        """Store the tenant's policy for undeclared extension attributes."""


class ResourceRepository(Protocol):
    """Resources of one tenant at a time, with their index entries kept in step atomically."""

    # How many members (added plus removed) ``change_memberships`` writes in one transaction, hence
    # whole or not at all; a larger change is written in several.
    atomic_membership_changes: int

    def insert(self, tenant: str, resource: StoredResource, indexes: Sequence[IndexEntry]) -> StoredResource:
        """Store a new resource and its index entries together; ``KeyTaken`` if a unique one exists."""

    def get(self, tenant: str, resource_type: str, resource_id: str) -> StoredResource | None:
        """The resource, or None."""

    def find_ids(
        self, tenant: str, resource_type: str, attribute: str, value: str, *, unique: bool | None = None
    ) -> list[str]:
        """Ids of the resources whose index entry ``attribute`` equals ``value``: one request.

        ``unique`` says which kind of index entry the attribute has (a point read when True);
        None finds either kind.
        """

    def replace(
        self,
        tenant: str,
        resource: StoredResource,
        *,
        old_indexes: Sequence[IndexEntry],
        new_indexes: Sequence[IndexEntry],
    ) -> StoredResource:
        """Overwrite the resource at ``resource.version`` and move its index entries together.

        ``VersionConflict`` if it changed meanwhile, ``KeyTaken`` if a new unique entry is taken.
        """

    def delete(self, tenant: str, resource: StoredResource, indexes: Sequence[IndexEntry]) -> None:
        """Remove the resource at ``resource.version`` with its index entries, then its memberships.

        The resource goes first, atomically with a deletion marker; its membership rows (as a
        group and as a member) follow in as many transactions as needed; the marker goes last.
        ``finish_deletion`` completes a delete that was interrupted in between.
        """

    def finish_deletion(self, tenant: str, resource_type: str, resource_id: str) -> bool:
        """Complete an interrupted delete of this resource; False if none is pending."""

    def exists(self, tenant: str, resource_type: str, resource_id: str) -> bool:
        """Whether the resource exists (reads its key only)."""

    def members(self, tenant: str, group_id: str, limit: int | None = None) -> list[Membership]:
        """Every direct member of the group (the first ``limit`` when given), paging through its membership rows."""

    def groups_of(self, tenant: str, member_id: str) -> list[str]:
        """Ids of the groups ``member_id`` is a direct member of."""

    def groups_of_members_between(self, tenant: str, first_id: str, last_id: str) -> dict[str, list[str]]:
        """The groups of every member whose id is from ``first_id`` to ``last_id``, by member id.

        One range query (a request per 1,000 memberships): cheap when those members are a page
        of consecutive ids, since nothing but their memberships lies in that range.
        """

    def memberships_present(self, tenant: str, group_id: str, member_ids: Sequence[str]) -> set[str]:
        """Which of ``member_ids`` are direct members of the group (one point read each)."""

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
        """Add and remove members, touching the group (and each added member) in every transaction.

        Returns the group's new version. ``ResourceMissing`` if the group is gone,
        ``MemberMissing`` if an added member is gone, ``VersionConflict`` if ``expected_version``
        is stale or a removed membership vanished meanwhile. Adding is idempotent.
        """

    def list_ids(self, tenant: str, resource_type: str) -> list[str]:
        """Every id of this type in the tenant, in storage order (reads keys only)."""

    def list_from(self, tenant: str, resource_type: str, first_id: str, limit: int) -> list[StoredResource]:
        """Up to ``limit`` resources in storage order, starting at ``first_id``."""

    def list_after(self, tenant: str, resource_type: str, after_id: str | None, limit: int) -> list[StoredResource]:
        """Up to ``limit`` resources in storage (id) order whose id comes after ``after_id``.

        From the first when ``after_id`` is None. One range query, usually one request: the
        storage service's continuation tokens are followed until ``limit`` rows or the end, so
        fewer than ``limit`` resources means there are no more.
        """

    def secret(self, name: str) -> bytes:
        """A random key called ``name``, the same for every instance; created on first use."""
