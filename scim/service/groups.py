"""SCIM rules particular to Groups (RFC 7643 section 4.2) and their membership: no Azure, no HTTP.

Members are not part of a group's stored JSON: each membership is a row of its own, so a group
has no size limit and adding or removing k members costs work in proportion to k.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from scim.errors import (
    InvalidPath,
    InvalidValue,
    NoTarget,
    NotFound,
    ScimError,
    TooMany,
)
from scim.models.base import key_in_any_case, value_in_any_case
from scim.models.messages import PatchOperation
from scim.models.resource_types import GROUP
from scim.service.filters.evaluator import matches
from scim.service.filters.parser import parse_patch_path
from scim.service.filters.tree import equalities_of_conjunction
from scim.service.ports import (
    MemberMissing,
    Membership,
    ResourceMissing,
    StorageUnavailable,
    StoredResource,
)
from scim.service.resources import (
    ResourceService,
    Selection,
    is_resource_id,
    redo_on_lost_race,
)

MEMBER_TYPES = ("User", "Group")
# The most members one POST, PUT or PATCH may add or remove (400 tooMany beyond): each costs a
# storage read and a third of a transaction's operations, so this bounds a request to well under a
# minute; a 1 MiB body could otherwise name about 20,000. Clients send larger changes in batches.
MAX_MEMBERS_PER_REQUEST = 5000


@dataclass
class MembershipChange:
    """What a request does to a group's members, after every operation in order."""

    clear: bool = False  # remove every current member first (replace, remove without value)
    add: dict[str, str | None] = field(default_factory=dict)  # member id -> type given, if any
    remove: set[str] = field(default_factory=set)
    remove_matching: list[Any] = field(default_factory=list)  # value filters other than `value eq`
    presumed: set[str] = field(default_factory=set)  # untyped members to add, taken for Users unread
    unread_removals: bool = False  # remove the members named without reading whether they are members

    def adding(self, member_id: str, member_type: str | None) -> None:
        self.remove.discard(member_id)
        self.add[member_id] = member_type

    def removing(self, member_id: str) -> None:
        self.add.pop(member_id, None)
        self.remove.add(member_id)

    def clearing(self) -> None:
        self.clear, self.add, self.remove, self.remove_matching = True, {}, set(), []

    @property
    def empty(self) -> bool:
        return not (self.clear or self.add or self.remove or self.remove_matching)


class GroupService(ResourceService):
    """Groups of a tenant, with their members."""

    resource_type = GROUP

    def create(self, tenant: str, body: Any) -> StoredResource:
        """A new group; members given in the body are added once the group exists."""
        change = self._members_in_body(body)
        members = self._validated_members(tenant, None, change)
        created = super().create(tenant, body)
        if not members:
            return created
        try:
            return self._apply(tenant, created.id, members, [], None, fallback=created)
        except (ScimError, StorageUnavailable):
            # Not all members could be added: the group goes too, so that the request changed
            # nothing and the client's retry creates it whole instead of finding its name taken.
            self._undo_create(tenant, created.id)
            raise

    def replace(self, tenant: str, group_id: str, body: Any, if_match: str | None = None) -> StoredResource:
        """RFC 7644 section 3.5.1: attributes and the whole member list are replaced."""
        change = self._members_in_body(body)
        change.clear = True
        additions = self._validated_members(tenant, group_id, change)
        replaced = super().replace(tenant, group_id, body, if_match)
        return self._change_members(tenant, group_id, change, additions, None, fallback=replaced)

    def patch(self, tenant: str, group_id: str, body: Any, if_match: str | None = None) -> StoredResource | None:
        """RFC 7644 section 3.5.2 for groups, in every membership shape Entra sends.

        Returns None: a group PATCH is answered 204 unless the client asks for attributes, as
        Entra expects ("Returning a body with a list of all the members isn't advisable"), and
        membership-only patches never read the group, whatever its size.
        """
        operations = self.patch_operations(body)
        attribute_operations, change = self._split(operations)
        _check_member_count(change)
        # A membership-only change written in one transaction needs no read of the members it adds:
        # the transaction checks each one exists and writes nothing if one does not (see _apply).
        presume = not (attribute_operations or change.clear or change.remove_matching) and (
            len(change.add) + len(change.remove) <= self._repository.atomic_membership_changes
        )
        additions = self._validated_members(tenant, group_id, change, presume=presume)  # before any write
        # Likewise the memberships to remove: if one is absent the transaction fails whole, and the
        # retry reads which are present (without If-Match, whose failure must mean a stale version).
        change.unread_removals = presume and if_match is None
        if attribute_operations:
            self._patch_attributes(tenant, group_id, attribute_operations, if_match)
            if_match = None  # checked by the attribute write
        elif not is_resource_id(group_id):
            raise NotFound(f"Group {group_id} not found")
        if not change.empty:
            self._change_members(tenant, group_id, change, additions, if_match, fallback=None)
        return None

    def members_of(self, tenant: str, group_id: str) -> list[Membership]:
        return self._repository.members(tenant, group_id)

    def _related(self, tenant: str, resource: StoredResource, tenant_url: str, selection: Selection) -> dict[str, Any]:
        if not selection.includes("members"):
            return {}  # excludedAttributes=members reads no membership row
        members = [
            {
                "value": member.member_id,
                "$ref": f"{tenant_url}/{member.member_type}s/{member.member_id}",
                "type": member.member_type,
            }
            for member in self._repository.members(tenant, resource.id)
        ]
        return {"members": members} if members else {}

    # --- membership ---------------------------------------------------------------------------

    def _split(self, operations: list[PatchOperation]) -> tuple[list[PatchOperation], MembershipChange]:
        """Operations on attributes, and the membership change the others make, in order."""
        attribute_operations: list[PatchOperation] = []
        change = MembershipChange()
        for operation in operations:
            if operation.path is None and isinstance(operation.value, dict):
                members_key = key_in_any_case(operation.value, "members")
                if members_key is not None:
                    rest = {key: value for key, value in operation.value.items() if key != members_key}
                    _record(change, operation.op, None, operation.value[members_key])
                    if rest:
                        attribute_operations.append(PatchOperation(op=operation.op, value=rest))
                    continue
            if operation.path is not None:
                path = parse_patch_path(operation.path)
                if path.path.attribute.lower() == "members" and path.path.schema in (None, GROUP.schema):
                    _record(change, operation.op, path, operation.value)
                    continue
            attribute_operations.append(operation)
        return attribute_operations, change

    def _members_in_body(self, body: Any) -> MembershipChange:
        self._model_of(body)  # the whole body is validated before anything is written
        change = MembershipChange()
        members = value_in_any_case(body, "members")
        if members:
            _record(change, "add", None, members)
        _check_member_count(change)
        return change

    def _change_members(
        self,
        tenant: str,
        group_id: str,
        change: MembershipChange,
        additions: list[Membership],
        if_match: str | None,
        *,
        fallback: StoredResource | None,
    ) -> StoredResource | None:
        """Apply ``change``, recomputing what to remove if the members changed meanwhile."""

        def attempt(_number: int) -> StoredResource | None:
            removals = self._removals(tenant, group_id, change, additions)
            return self._apply(
                tenant, group_id, additions, removals, if_match, fallback=fallback, presumed=change.presumed
            )

        return redo_on_lost_race(attempt, subject=self.name, if_match=if_match)

    def _apply(
        self,
        tenant: str,
        group_id: str,
        additions: list[Membership],
        removals: list[str],
        if_match: str | None,
        *,
        fallback: StoredResource | None,
        presumed: frozenset[str] | set[str] = frozenset(),
    ) -> StoredResource | None:
        """Write the change; a member in ``presumed`` that is not a User may be a Group: then redo."""
        if not additions and not removals:
            if fallback is None and not self._repository.exists(tenant, self.name, group_id):
                raise NotFound(f"Group {group_id} not found")
            return fallback
        try:
            self._repository.change_memberships(
                tenant,
                group_id,
                add=additions,
                remove=removals,
                last_modified=self._clock(),
                expected_version=None if if_match in (None, "*") else if_match,
            )
        except ResourceMissing:
            raise NotFound(f"Group {group_id} not found") from None
        except MemberMissing as missing:
            member = missing.member_id
            if member not in presumed or not self._repository.exists(tenant, "Group", member):
                raise InvalidValue(f"member {member} is not a User or Group of this tenant") from None
            # A Group, not a User: the failed transaction wrote nothing, so write it again with the type.
            additions = [Membership(member, "Group") if m.member_id == member else m for m in additions]
            return self._apply(
                tenant, group_id, additions, removals, if_match, fallback=fallback, presumed=presumed - {member}
            )
        return None if fallback is None else self.get(tenant, group_id)

    def _validated_members(
        self, tenant: str, group_id: str | None, change: MembershipChange, *, presume: bool = False
    ) -> list[Membership]:
        """Each member to add must be a User or Group of the tenant (400 invalidValue otherwise).

        With ``presume`` nothing is read: a member is taken to be of its given type, else a User
        (recorded in ``change.presumed``), and the write that adds it checks that it exists.
        """
        memberships = []
        for member_id, given_type in change.add.items():
            if member_id == group_id:
                raise InvalidValue("a group cannot be a member of itself")
            if presume and is_resource_id(member_id):
                if given_type is None:
                    change.presumed.add(member_id)
                memberships.append(Membership(member_id, given_type.title() if given_type else "User"))
                continue
            member_type = self._member_type(tenant, member_id, given_type)
            if member_type is None:
                raise InvalidValue(f"member {member_id} is not a User or Group of this tenant")
            memberships.append(Membership(member_id, member_type))
        return memberships

    def _member_type(self, tenant: str, member_id: str, given_type: str | None) -> str | None:
        if not is_resource_id(member_id):
            return None
        candidates = [t for t in MEMBER_TYPES if given_type is None or t.lower() == given_type.lower()]
        return next((t for t in candidates if self._repository.exists(tenant, t, member_id)), None)

    def _removals(self, tenant: str, group_id: str, change: MembershipChange, additions: list[Membership]) -> list[str]:
        """Current members the change removes; members absent already are no-ops."""
        added = {membership.member_id for membership in additions}
        # Only resource ids can be members: removing anything else is a no-op, and never a storage key.
        removing = {member_id for member_id in change.remove if is_resource_id(member_id)} - added
        if change.unread_removals:
            change.unread_removals = False  # once: a failed attempt is redone with the reads below
            return sorted(removing)
        if change.clear or change.remove_matching:
            current = self._repository.members(tenant, group_id)
            chosen = {
                m.member_id
                for m in current
                if change.clear
                or m.member_id in change.remove
                or any(_member_matches(tree, m) for tree in change.remove_matching)
            }
            return sorted(chosen - added)
        return sorted(self._repository.memberships_present(tenant, group_id, sorted(removing)))


def _check_member_count(change: MembershipChange) -> None:
    """400 tooMany when one request names more members to add or remove than ``MAX_MEMBERS_PER_REQUEST``."""
    if len(change.add) + len(change.remove) > MAX_MEMBERS_PER_REQUEST:
        raise TooMany(f"a request may add or remove at most {MAX_MEMBERS_PER_REQUEST} members; send several")


def _record(change: MembershipChange, op: str, path: Any, value: Any) -> None:
    """Record one operation on ``members`` (RFC 7644 section 3.5.2) into ``change``."""
    if path is not None and (path.sub_attribute or path.path.sub_attribute):
        raise InvalidPath("members can be added or removed, not changed in part")
    value_filter = path.value_filter if path is not None else None
    if op == "remove":
        if value_filter is not None:
            ids = _ids_in_filter(value_filter)
            if ids is None:
                change.remove_matching.append(value_filter)
            for member_id in ids or []:
                change.removing(member_id)
        elif value is None:
            change.clearing()
        else:
            for member_id, _ in _members_of_value(value):
                change.removing(member_id)
        return
    if value_filter is not None:
        raise NoTarget(f"{op} on members takes the members as its value, not a filter")
    if op == "replace":
        change.clearing()
    for member_id, member_type in _members_of_value(value):
        change.adding(member_id, member_type)


def _members_of_value(value: Any) -> list[tuple[str, str | None]]:
    """(id, type) of each member in a PATCH value: a list of ``{"value": id}`` objects, or one."""
    items = value if isinstance(value, list) else [value]
    members = []
    for item in items:
        if not isinstance(item, dict):
            raise InvalidValue("each member must be an object with a 'value'")
        member_id, member_type = value_in_any_case(item, "value"), value_in_any_case(item, "type")
        if not isinstance(member_id, str) or not member_id:
            raise InvalidValue("each member must have a string 'value', the member's id")
        if member_type is not None and (not isinstance(member_type, str) or member_type.title() not in MEMBER_TYPES):
            raise InvalidValue("a member's 'type' is 'User' or 'Group'")
        members.append((member_id, member_type))
    return members


def _ids_in_filter(tree: Any) -> list[str] | None:
    """The ids a ``members[value eq "id"]`` filter names (or None for any other filter)."""
    equalities = equalities_of_conjunction(tree)
    if not equalities or len(equalities) != 1 or equalities[0].path.attribute.lower() != "value":
        return None
    value = equalities[0].value
    return [value] if isinstance(value, str) else []


def _member_matches(tree: Any, member: Membership) -> bool:
    element = {"value": member.member_id, "type": member.member_type}
    return matches(tree, element, case_exact=lambda path: path.attribute.lower() == "value")
