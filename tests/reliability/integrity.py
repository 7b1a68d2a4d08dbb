"""One check of a tenant's stored state, used after every race, fault and hostile request.

``assert_integrity(table, tenant)`` reads the tenant's whole partition and asserts the invariants
docs/architecture.md promises, derived here from the documented row layout rather than from the
storage code, so that a bug there cannot hide itself:

- every row is of a known kind, and a resource row names its own type and id;
- every resource has exactly the index rows its attributes call for, each naming it;
- every index row belongs to a resource whose current attributes call for it (no stale or
  dangling index row), and no two resources share a unique value (no duplicate userName or
  displayName, in any letter case);
- every membership is a ``mem``/``mof`` pair, and both its group and its member exist;
- no deletion is pending (``del:`` marker), unless ``pending_deletes_allowed``: then the rows of a
  resource whose delete was interrupted are tolerated, but only those;
- the journal (``jnl:`` rows) accounts for the state, change by change: replaying its rows in key
  order gives exactly the resources and memberships stored (no change and no row without the
  other), and a journal row carries the ``LastModified`` each resource has (a write without its
  row would leave a value no row names; not necessarily the last row by key, since concurrent
  membership changes of one group commute and commit in any order).
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from azure.data.tables import TableClient

from scim.models.base import attribute
from scim.models.resource_types import GROUP, USER, ResourceType

RESOURCE_TYPES: dict[str, ResourceType] = {"User": USER, "Group": GROUP}


@dataclass
class TenantState:
    """What a tenant's partition holds, by kind of row."""

    resources: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)  # (type, id) -> attributes
    index_rows: dict[str, str] = field(default_factory=dict)  # RowKey -> ResourceId
    memberships: set[tuple[str, str]] = field(default_factory=set)  # (group id, member id) from mem rows
    member_types: dict[tuple[str, str], str] = field(default_factory=dict)
    reverse: set[tuple[str, str]] = field(default_factory=set)  # (group id, member id) from mof rows
    pending_deletes: set[tuple[str, str]] = field(default_factory=set)  # (type, id)
    last_modified: dict[tuple[str, str], str] = field(default_factory=dict)  # (type, id) -> LastModified
    journal: list[dict[str, Any]] = field(default_factory=list)  # jnl rows in key order
    # Rows that hold no resource state: refused writes (``ref:``), the event poll's bookkeeping
    # (``evs:``), the tenant's extension schemas (``sch:``).
    bookkeeping: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)

    def ids(self, resource_type: str) -> set[str]:
        return {resource_id for kind, resource_id in self.resources if kind == resource_type}

    def members(self, group_id: str) -> set[str]:
        return {member for group, member in self.memberships if group == group_id}

    @property
    def row_count(self) -> int:
        return (
            len(self.resources)
            + len(self.index_rows)
            + len(self.memberships)
            + len(self.reverse)
            + len(self.pending_deletes)
            + len(self.journal)
            + len(self.bookkeeping)
            + len(self.unknown)
        )


BOOKKEEPING_KINDS = ("ref", "evs", "sch")


def read_state(table: TableClient, tenant: str) -> TenantState:
    """Every row of the tenant's partition, sorted by kind."""
    state = TenantState()
    for row in table.query_entities("PartitionKey eq @tenant", parameters={"tenant": tenant}):
        key = row["RowKey"]
        kind, _, rest = key.partition(":")
        if kind == "res":
            resource_type, _, resource_id = rest.partition(":")
            assert row["ResourceType"] == resource_type and row["Id"] == resource_id, f"row {key} names another"
            text = "".join(row[f"Json{number}"] for number in range(row["JsonChunks"]))
            state.resources[(resource_type, resource_id)] = json.loads(text)
            state.last_modified[(resource_type, resource_id)] = row["LastModified"]
        elif kind == "idx":
            state.index_rows[key] = row["ResourceId"]
        elif kind == "mem":
            group_id, _, member_id = rest.partition(":")
            state.memberships.add((group_id, member_id))
            state.member_types[(group_id, member_id)] = row["MemberType"]
        elif kind == "mof":
            member_id, _, group_id = rest.partition(":")
            state.reverse.add((group_id, member_id))
        elif kind == "jnl":
            state.journal.append(dict(row))
        elif kind == "del":
            resource_type, _, resource_id = rest.partition(":")
            state.pending_deletes.add((resource_type, resource_id))
        elif kind in BOOKKEEPING_KINDS:
            state.bookkeeping.append(key)
        else:
            state.unknown.append(key)
    return state


def expected_index_keys(resource_type: str, resource_id: str, attributes: dict[str, Any]) -> dict[str, str]:
    """RowKey -> attribute of the index rows a resource with ``attributes`` must have."""
    definition = RESOURCE_TYPES[resource_type]
    keys = {}
    for name in definition.indexed:
        value = attributes.get(name)
        if not isinstance(value, str):
            continue
        characteristics = attribute(definition.model, name).characteristics
        normalized = value if characteristics.case_exact else value.lower()
        digest = hashlib.sha256(normalized.encode("utf-8")).hexdigest()
        key = f"idx:{resource_type}:{name}:{digest}"
        keys[key if characteristics.uniqueness != "none" else f"{key}:{resource_id}"] = name
    return keys


def integrity_problems(state: TenantState, *, pending_deletes_allowed: bool = False) -> list[str]:
    """Every broken invariant, as a sentence (empty when the state is consistent)."""
    problems = [f"row of no known kind: {key}" for key in state.unknown]
    if state.pending_deletes and not pending_deletes_allowed:
        problems.append(f"deletes left unfinished: {sorted(state.pending_deletes)}")
    problems += [
        f"{resource_type} {resource_id} exists but is marked deleted"
        for resource_type, resource_id in state.pending_deletes
        if (resource_type, resource_id) in state.resources
    ]
    problems += _index_problems(state)
    pending_ids = {resource_id for _, resource_id in state.pending_deletes} if pending_deletes_allowed else set()
    problems += _membership_problems(state, pending_ids)
    problems += _journal_problems(state, pending_ids)
    return problems


def _journal_problems(state: TenantState, pending_ids: set[str]) -> list[str]:
    """Replay the journal: it must give the stored resources, memberships and LastModified values."""
    alive: set[tuple[str, str]] = set()
    memberships: set[tuple[str, str]] = set()
    writes: dict[tuple[str, str], set[str]] = {}  # (type, id) -> Modified of every row writing it
    for row in sorted(state.journal, key=lambda row: row["RowKey"]):
        subject = (row["ResourceType"], row["ResourceId"])
        event = row["Event"]
        if event == "create":
            alive.add(subject)
        elif event == "delete":
            alive.discard(subject)
            memberships = {pair for pair in memberships if subject[1] not in pair}
        elif event == "members":
            added, removed = json.loads(row.get("Added", "[]")), json.loads(row.get("Removed", "[]"))
            memberships |= {(subject[1], member) for member in added}
            memberships -= {(subject[1], member) for member in removed}
            for key in alive:
                if key[1] in added:
                    writes.setdefault(key, set()).add(row["Modified"])
        if "Modified" in row:
            writes.setdefault(subject, set()).add(row["Modified"])
    problems = []
    stored = set(state.resources)
    problems += [f"{kind} {rid} is stored but the journal has no create for it" for kind, rid in stored - alive]
    problems += [f"the journal creates {kind} {rid} but it is not stored" for kind, rid in alive - stored]
    stored_memberships = {pair for pair in state.memberships if not set(pair) & pending_ids}
    memberships = {pair for pair in memberships if not set(pair) & pending_ids}
    problems += [f"membership {g} -> {m} stored without its journal row" for g, m in stored_memberships - memberships]
    problems += [f"the journal adds {g} -> {m} but it is not stored" for g, m in memberships - stored_memberships]
    for subject in stored & alive:
        if state.last_modified[subject] not in writes.get(subject, set()):
            problems.append(
                f"{subject[0]} {subject[1]} was last written at {state.last_modified[subject]},"
                " which no journal row says"
            )
    return problems


def _index_problems(state: TenantState) -> list[str]:
    """Index rows and resources must match one to one; unique values must be unique."""
    problems = []
    expected: dict[str, str] = {}  # index RowKey -> resource id
    unique_values: Counter[str] = Counter()
    for (resource_type, resource_id), attributes in state.resources.items():
        if resource_type not in RESOURCE_TYPES:
            problems.append(f"resource of unknown type {resource_type} {resource_id}")
            continue
        for key in expected_index_keys(resource_type, resource_id, attributes):
            expected[key] = resource_id
            if key.count(":") == 3:  # idx:<type>:<attribute>:<digest>: a unique value
                unique_values[key] += 1
    problems += [
        f"unique value shared by {count} resources: {key}" for key, count in unique_values.items() if count > 1
    ]
    for key, resource_id in expected.items():
        if key not in state.index_rows:
            problems.append(f"resource {resource_id} lacks its index row {key}")
        elif state.index_rows[key] != resource_id:
            problems.append(f"index row {key} names {state.index_rows[key]}, not its owner {resource_id}")
    problems += [
        f"index row {key} (naming {resource_id}) belongs to no current resource value"
        for key, resource_id in state.index_rows.items()
        if key not in expected
    ]
    return problems


def _membership_problems(state: TenantState, pending_ids: set[str]) -> list[str]:
    """Both rows of each membership, both sides existing; rows of a pending delete excepted."""
    problems = []
    all_ids = {resource_id for _, resource_id in state.resources}
    for group_id, member_id in sorted(state.memberships | state.reverse):
        if {group_id, member_id} & pending_ids:
            continue  # an interrupted delete: its retry removes these
        if (group_id, member_id) not in state.memberships or (group_id, member_id) not in state.reverse:
            problems.append(f"membership {group_id} -> {member_id} lacks its mem or mof row")
        if ("Group", group_id) not in state.resources:
            problems.append(f"membership row of a missing group {group_id} (member {member_id})")
        member_type = state.member_types.get((group_id, member_id))
        if member_id not in all_ids:
            problems.append(f"membership row of a missing member {member_id} (group {group_id})")
        elif member_type is not None and (member_type, member_id) not in state.resources:
            problems.append(f"member {member_id} of group {group_id} is not a {member_type}")
    return problems


def assert_integrity(table: TableClient, tenant: str, *, pending_deletes_allowed: bool = False) -> TenantState:
    """Read the tenant's partition and fail with every broken invariant; returns the state read."""
    state = read_state(table, tenant)
    problems = integrity_problems(state, pending_deletes_allowed=pending_deletes_allowed)
    assert not problems, "stored state is inconsistent:\n" + "\n".join(problems)
    return state
