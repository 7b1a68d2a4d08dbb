"""SCIM rules particular to Groups (RFC 7643 section 4.2) and their membership: no Azure, no HTTP.

Members are not part of a group's stored JSON: each membership is a row of its own, so a group
has no size limit and adding or removing k members costs work in proportion to k.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
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
from scim.service.filters.tree import Node, PatchPath, equalities_of_conjunction
from scim.service.ports import (
    MemberMissing,
    Membership,
    ResourceMissing,
    StorageUnavailable,
    StoredResource,
)
from scim.service.resources import (
    PatchResult,
    ResourceService,
    is_resource_id,
    redo_on_lost_race,
)
from scim.service.selection import Selection

MEMBER_TYPES = ("User", "Group")
# The most members one POST, PUT or PATCH may add or remove (400 tooMany beyond): each costs a
# storage read and a third of a transaction's operations, so this bounds a request to well under a
# minute; a 1 MiB body could otherwise name about 20,000. Clients send larger changes in batches.
MAX_MEMBERS_PER_REQUEST = 5000
# The most members a group's representation carries (400 tooMany beyond, reading at most this many
# plus one): 10 storage pages and about 1.5 MB of JSON. Entra reads groups with
# excludedAttributes=members, which reads no membership row at any size.
MAX_MEMBERS_IN_RESPONSE = 10_000


@dataclass(frozen=True)
class MembershipRequest:
    """What a request asks of a group's members, after all its operations in order."""

    clear: bool = False  # remove every current member first (replace, remove without value)
    add: tuple[tuple[str, str | None], ...] = ()  # (member id, type given or None), in request order
    remove: frozenset[str] = frozenset()
    remove_matching: tuple[Node, ...] = ()  # value filters other than `value eq`

    @property
    def empty(self) -> bool:
        return not (self.clear or self.add or self.remove or self.remove_matching)

    @property
    def named(self) -> int:
        """How many members the request names to add or remove."""
        return len(self.add) + len(self.remove)

    def writable_unread(self, atomic_changes: int) -> bool:
        """Whether it names only members, few enough for one transaction, which checks that each member
        to add exists and writes nothing if one does not: then nothing needs reading first."""
        return not (self.clear or self.remove_matching) and self.named <= atomic_changes


@dataclass(frozen=True)
class MembershipPlan:
    """How a ``MembershipRequest`` is written (``membership_plan``)."""

    request: MembershipRequest
    additions: tuple[Membership, ...]  # each member to add, with its type
    presumed: frozenset[str]  # untyped members taken for Users unread: the write finds out otherwise
    named_removals: tuple[str, ...]  # members named to remove that can be members, less those added
    unread_removals: bool  # the first attempt removes the named members without reading that they are members

    @property
    def added(self) -> frozenset[str]:
        return frozenset(membership.member_id for membership in self.additions)


def membership_plan(
    request: MembershipRequest,
    *,
    group_id: str | None,
    member_types: Mapping[str, str],
    unread: bool,
    if_match: str | None,
) -> MembershipPlan:
    """How to write ``request``; 400 invalidValue for a member to add that cannot be one.

    Read first, each member to add has its type in ``member_types``. ``unread`` (see
    ``MembershipRequest.writable_unread``), nothing is read: a member is taken to be of its given
    type, else a User (``presumed``); and, without If-Match, the members to remove are removed
    without reading whether they are members: if one is not, the transaction fails whole and the
    retry reads which are (with If-Match a failure must mean a stale version).
    """
    additions: list[Membership] = []
    presumed: set[str] = set()
    for member_id, given_type in request.add:
        if member_id == group_id:
            raise InvalidValue("a group cannot be a member of itself")
        if unread and is_resource_id(member_id):
            if given_type is None:
                presumed.add(member_id)
            additions.append(Membership(member_id, given_type.title() if given_type else "User"))
            continue
        member_type = member_types.get(member_id)
        if member_type is None:
            raise InvalidValue(f"member {member_id} is not a User or Group of this tenant")
        additions.append(Membership(member_id, member_type))
    added = {membership.member_id for membership in additions}
    # Only resource ids can be members: removing anything else is a no-op, and never a storage key.
    named_removals = sorted({member_id for member_id in request.remove if is_resource_id(member_id)} - added)
    return MembershipPlan(
        request, tuple(additions), frozenset(presumed), tuple(named_removals), unread and if_match is None
    )


class GroupService(ResourceService):
    """Groups of a tenant, with their members."""

    resource_type = GROUP

    def create(self, tenant: str, body: Any) -> StoredResource:
        """A new group; members given in the body are added once the group exists."""
        plan = self._plan(tenant, None, self._members_in_body(body), unread=False, if_match=None)
        created = super().create(tenant, body)
        if not plan.additions:
            return created
        try:
            self._change_members(tenant, created.id, plan, None, known_to_exist=True)
            return self.get(tenant, created.id)
        except (ScimError, StorageUnavailable):
            # Not all members could be added: the group goes too, so that the request changed
            # nothing and the client's retry creates it whole instead of finding its name taken.
            self._undo_create(tenant, created.id)
            raise

    def replace(self, tenant: str, group_id: str, body: Any, if_match: str | None = None) -> StoredResource:
        """RFC 7644 section 3.5.1: attributes and the whole member list are replaced."""
        request = dataclasses.replace(self._members_in_body(body), clear=True)
        plan = self._plan(tenant, group_id, request, unread=False, if_match=None)
        replaced = super().replace(tenant, group_id, body, if_match)
        changed = self._change_members(tenant, group_id, plan, None, known_to_exist=True)
        return self.get(tenant, group_id) if changed else replaced

    def patch(
        self, tenant: str, group_id: str, body: Any, if_match: str | None = None, *, attributes_requested: bool = False
    ) -> PatchResult:
        """RFC 7644 section 3.5.2 for groups, in every membership shape Entra sends.

        Answered 204 unless the client asks for attributes, as Entra expects ("Returning a body with
        a list of all the members isn't advisable"); membership-only patches never read the group,
        whatever its size.
        """
        operations = self.patch_operations(body)
        attribute_operations, request = _split(operations)
        _check_member_count(request)
        unread = not attribute_operations and request.writable_unread(self._repository.atomic_membership_changes)
        plan = self._plan(tenant, group_id, request, unread=unread, if_match=if_match)  # before any write
        if attribute_operations:
            self._patch_attributes(tenant, group_id, attribute_operations, if_match)
            if_match = None  # checked by the attribute write
        elif not is_resource_id(group_id):
            raise NotFound(f"Group {group_id} not found")
        if not request.empty:
            self._change_members(tenant, group_id, plan, if_match, known_to_exist=False)
        return PatchResult(self.get(tenant, group_id) if attributes_requested else None)

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
            for member in self._members_to_render(tenant, resource.id)
        ]
        return {"members": members} if members else {}

    def _members_to_render(self, tenant: str, group_id: str) -> list[Membership]:
        """Every member, unless there are more than a response may carry: then 400 tooMany."""
        members = self._repository.members(tenant, group_id, limit=MAX_MEMBERS_IN_RESPONSE + 1)
        if len(members) > MAX_MEMBERS_IN_RESPONSE:
            raise TooMany(
                f"this group has more than {MAX_MEMBERS_IN_RESPONSE} members, more than one response carries; "
                "read it with excludedAttributes=members"
            )
        return members

    # --- membership ---------------------------------------------------------------------------

    def _members_in_body(self, body: Any) -> MembershipRequest:
        self._model_of(body)  # the whole body is validated before anything is written
        recorder = _Recorder()
        members = value_in_any_case(body, "members")
        if members:
            _record(recorder, "add", None, members)
        request = recorder.request()
        _check_member_count(request)
        return request

    def _plan(
        self, tenant: str, group_id: str | None, request: MembershipRequest, *, unread: bool, if_match: str | None
    ) -> MembershipPlan:
        member_types: dict[str, str] = {} if unread else self._member_types(tenant, group_id, request)
        return membership_plan(request, group_id=group_id, member_types=member_types, unread=unread, if_match=if_match)

    def _member_types(self, tenant: str, group_id: str | None, request: MembershipRequest) -> dict[str, str]:
        """The type of each member to add, read in request order up to the first that is not a User
        or Group of the tenant (``membership_plan`` refuses it, so nothing after it is read)."""
        member_types: dict[str, str] = {}
        for member_id, given_type in request.add:
            member_type = None if member_id == group_id else self._member_type(tenant, member_id, given_type)
            if member_type is None:
                break
            member_types[member_id] = member_type
        return member_types

    def _member_type(self, tenant: str, member_id: str, given_type: str | None) -> str | None:
        if not is_resource_id(member_id):
            return None
        candidates = [t for t in MEMBER_TYPES if given_type is None or t.lower() == given_type.lower()]
        return next((t for t in candidates if self._repository.exists(tenant, t, member_id)), None)

    def _change_members(
        self, tenant: str, group_id: str, plan: MembershipPlan, if_match: str | None, *, known_to_exist: bool
    ) -> bool:
        """Write ``plan``, recomputing what to remove if the members changed meanwhile; False when
        there was nothing to write (404 then, unless the group is ``known_to_exist``)."""

        def attempt(number: int) -> bool:
            removals = self._removals(tenant, group_id, plan, first_attempt=number == 0)
            if not plan.additions and not removals:
                if not known_to_exist and not self._repository.exists(tenant, self.name, group_id):
                    raise NotFound(f"Group {group_id} not found")
                return False
            self._write_memberships(tenant, group_id, plan, removals, if_match)
            return True

        return redo_on_lost_race(attempt, subject=self.name, if_match=if_match)

    def _write_memberships(
        self, tenant: str, group_id: str, plan: MembershipPlan, removals: list[str], if_match: str | None
    ) -> None:
        """Write the additions and ``removals``; a presumed User that is missing may be a Group: then
        the write, which wrote nothing (it was one transaction), is done again with that type."""
        additions, unconfirmed = list(plan.additions), set(plan.presumed)
        while True:
            try:
                self._repository.change_memberships(
                    tenant,
                    group_id,
                    add=additions,
                    remove=removals,
                    last_modified=self._clock(),
                    expected_version=None if if_match in (None, "*") else if_match,
                )
                return
            except ResourceMissing:
                raise NotFound(f"Group {group_id} not found") from None
            except MemberMissing as missing:
                member = missing.member_id
                if member not in unconfirmed or not self._repository.exists(tenant, "Group", member):
                    raise InvalidValue(f"member {member} is not a User or Group of this tenant") from None
                additions = [Membership(member, "Group") if m.member_id == member else m for m in additions]
                unconfirmed.discard(member)

    def _removals(self, tenant: str, group_id: str, plan: MembershipPlan, *, first_attempt: bool) -> list[str]:
        """Current members the change removes; members absent already are no-ops."""
        if plan.unread_removals and first_attempt:
            return list(plan.named_removals)  # a failed attempt is redone with the reads below
        request = plan.request
        if request.clear or request.remove_matching:
            chosen = {
                m.member_id
                for m in self._repository.members(tenant, group_id)
                if request.clear
                or m.member_id in request.remove
                or any(_member_matches(tree, m) for tree in request.remove_matching)
            }
            return sorted(chosen - plan.added)
        return sorted(self._repository.memberships_present(tenant, group_id, list(plan.named_removals)))


def _split(operations: list[PatchOperation]) -> tuple[list[PatchOperation], MembershipRequest]:
    """Operations on attributes, and what the others ask of the members, in order."""
    attribute_operations: list[PatchOperation] = []
    recorder = _Recorder()
    for operation in operations:
        if operation.path is None and isinstance(operation.value, dict):
            members_key = key_in_any_case(operation.value, "members")
            if members_key is not None:
                rest = {key: value for key, value in operation.value.items() if key != members_key}
                _record(recorder, operation.op, None, operation.value[members_key])
                if rest:
                    attribute_operations.append(PatchOperation(op=operation.op, value=rest))
                continue
        if operation.path is not None:
            path = parse_patch_path(operation.path)
            if path.path.attribute.lower() == "members" and path.path.schema in (None, GROUP.schema):
                _record(recorder, operation.op, path, operation.value)
                continue
        attribute_operations.append(operation)
    return attribute_operations, recorder.request()


def _check_member_count(request: MembershipRequest) -> None:
    """400 tooMany when one request names more members to add or remove than ``MAX_MEMBERS_PER_REQUEST``."""
    if request.named > MAX_MEMBERS_PER_REQUEST:
        raise TooMany(f"a request may add or remove at most {MAX_MEMBERS_PER_REQUEST} members; send several")


class _Recorder:
    """A ``MembershipRequest`` in the making: each operation on ``members`` in turn (``_record``)."""

    def __init__(self) -> None:
        self.clear = False
        self.add: dict[str, str | None] = {}
        self.remove: set[str] = set()
        self.remove_matching: list[Node] = []

    def adding(self, member_id: str, member_type: str | None) -> None:
        self.remove.discard(member_id)
        self.add[member_id] = member_type

    def removing(self, member_id: str) -> None:
        self.add.pop(member_id, None)
        self.remove.add(member_id)

    def clearing(self) -> None:
        self.clear, self.add, self.remove, self.remove_matching = True, {}, set(), []

    def request(self) -> MembershipRequest:
        return MembershipRequest(
            self.clear, tuple(self.add.items()), frozenset(self.remove), tuple(self.remove_matching)
        )


def _record(change: _Recorder, op: str, path: PatchPath | None, value: Any) -> None:
    """Record one operation on ``members`` (RFC 7644 section 3.5.2)."""
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


def _ids_in_filter(tree: Node) -> list[str] | None:
    """The ids a ``members[value eq "id"]`` filter names (or None for any other filter)."""
    equalities = equalities_of_conjunction(tree)
    if not equalities or len(equalities) != 1 or equalities[0].path.attribute.lower() != "value":
        return None
    value = equalities[0].value
    return [value] if isinstance(value, str) else []


def _member_matches(tree: Node, member: Membership) -> bool:
    element = {"value": member.member_id, "type": member.member_type}
    return matches(tree, element, case_exact=lambda path: path.attribute.lower() == "value")
