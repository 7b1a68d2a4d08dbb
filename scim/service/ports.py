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


@dataclass(frozen=True)
class IndexEntry:
    """A lookup key of a resource; ``value`` is already normalized by the service."""

    attribute: str
    value: str
    unique: bool = field(default=False)


class KeyTaken(Exception):
    """A unique index entry belongs to another resource."""

    def __init__(self, attribute: str):
        super().__init__(attribute)
        self.attribute = attribute


class VersionConflict(Exception):
    """The resource changed since the version the write was based on."""


class ResourceMissing(Exception):
    """The resource does not exist (any more)."""


class ResourceTooLarge(Exception):
    """The resource does not fit in one stored entity."""


class StorageUnavailable(Exception):
    """Storage could not be reached or throttled us past our retries."""


class ResourceRepository(Protocol):
    """Resources of one tenant at a time, with their index entries kept in step atomically."""

    def insert(self, tenant: str, resource: StoredResource, indexes: Sequence[IndexEntry]) -> StoredResource:
        """Store a new resource and its index entries together; ``KeyTaken`` if a unique one exists."""

    def get(self, tenant: str, resource_type: str, resource_id: str) -> StoredResource | None:
        """The resource, or None."""

    def find_ids(self, tenant: str, resource_type: str, attribute: str, value: str) -> list[str]:
        """Ids of the resources whose index entry ``attribute`` equals ``value``."""

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
        """Remove the resource at ``resource.version`` with its index entries together."""

    def list_ids(self, tenant: str, resource_type: str) -> list[str]:
        """Every id of this type in the tenant, in storage order (reads keys only)."""

    def list_from(self, tenant: str, resource_type: str, first_id: str, limit: int) -> list[StoredResource]:
        """Up to ``limit`` resources in storage order, starting at ``first_id``."""
