"""``python -m scim.admin schema ...``: a tenant's extension schemas and undeclared-attribute policy.

They live in Table Storage beside the tenant's data (rows ``sch:<urn>`` and ``sch:~policy`` in its
partition); running instances see a change within ``SCIM_SCHEMA_CACHE_SECONDS`` (60 s by default).
The table is the one the function app uses, from the same settings in the environment:
``SCIM_STORAGE_TABLE_ENDPOINT`` or ``SCIM_STORAGE_CONNECTION_STRING`` (default: Azurite), and
``SCIM_TABLE_NAME`` (default ``scim``).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from scim.admin.stores import AdminError
from scim.models.extension_schema import (
    MAX_SCHEMA_CHARACTERS,
    MAX_SCHEMAS_PER_TENANT,
    DeclaredSchema,
    InvalidSchema,
    check_unique_attribute_count,
    parse_extension_schema,
    schema_document,
)
from scim.service.extension_catalog import UNDECLARED_POLICIES
from scim.service.ports import SchemaRepository, StorageUnavailable, StoredSchema

APPLIES = "Running endpoints apply it within SCIM_SCHEMA_CACHE_SECONDS (60 s by default)."


def add_commands(commands: Any, tenant: Callable[[str], str]) -> None:
    """The ``schema`` command and its subcommands, on the admin parser's subparsers."""
    schema = commands.add_parser("schema", help="a tenant's extension schemas (RFC 7643 section 7) and policy")
    actions = schema.add_subparsers(title="schema commands", required=True, metavar="ACTION")
    put = actions.add_parser("put", help="declare (or replace) an extension schema from a JSON file")
    put.add_argument("tenant", type=tenant)
    put.add_argument("file", type=Path)
    put.add_argument("--resource-type", choices=["User", "Group"], help="default: the URN's last segment")
    put.set_defaults(schema_command=_put)
    listing = actions.add_parser("list", help="the tenant's schemas and policy")
    listing.add_argument("tenant", type=tenant)
    listing.set_defaults(schema_command=_list)
    delete = actions.add_parser("delete", help="remove an extension schema (stored values stay, undeclared)")
    delete.add_argument("tenant", type=tenant)
    delete.add_argument("urn")
    delete.set_defaults(schema_command=_delete)
    policy = actions.add_parser("policy", help="keep (default) or reject extension attributes no schema declares")
    policy.add_argument("tenant", type=tenant)
    policy.add_argument("policy", choices=UNDECLARED_POLICIES)
    policy.set_defaults(schema_command=_policy)


def run(args: argparse.Namespace, repository: SchemaRepository) -> None:
    """Carry out a ``schema`` subcommand; storage trouble becomes an ``AdminError``."""
    try:
        args.schema_command(args, repository)
    except StorageUnavailable:
        raise AdminError("Table Storage could not be reached; check the storage settings") from None


def table_repository() -> SchemaRepository:
    """The function app's table, from the storage settings in the environment."""
    from scim.storage.resources import TableResourceRepository
    from scim.storage.tables import table_client_from_settings

    return TableResourceRepository(table_client_from_settings())


def _put(args: argparse.Namespace, repository: SchemaRepository) -> None:
    try:
        document = json.loads(args.file.read_text(encoding="utf-8"))
        schema = parse_extension_schema(document, args.resource_type)
    except OSError as problem:
        raise AdminError(f"cannot read {args.file}: {problem.strerror}") from None
    except ValueError as problem:  # InvalidSchema too
        raise AdminError(f"{args.file}: {problem}") from None
    text = json.dumps(schema_document(schema), separators=(",", ":"))
    if len(text) > MAX_SCHEMA_CHARACTERS:
        raise AdminError(f"{schema.urn} is {len(text)} characters of JSON; at most {MAX_SCHEMA_CHARACTERS}")
    stored = repository.tenant_schemas(args.tenant).schemas
    urns = {_urn_of(row) for row in stored}
    if schema.urn.lower() not in urns and len(urns) >= MAX_SCHEMAS_PER_TENANT:
        raise AdminError(f"tenant {args.tenant} has {len(urns)} schemas already; at most {MAX_SCHEMAS_PER_TENANT}")
    others = [known for known in _parsed(stored) if known.urn.lower() != schema.urn.lower()]
    try:
        check_unique_attribute_count([*others, schema])
    except InvalidSchema as problem:
        raise AdminError(f"tenant {args.tenant}: {problem}") from None
    repository.put_schema(args.tenant, schema.urn, StoredSchema(schema.resource_type, text))
    _note(f"{schema.urn} extends {schema.resource_type}s of tenant {args.tenant}. {APPLIES}")


def _parsed(stored: list[StoredSchema]) -> list[DeclaredSchema]:
    """The stored schemas that are still valid (instances do not serve the others)."""
    parsed = []
    for row in stored:
        try:
            parsed.append(parse_extension_schema(json.loads(row.document), row.resource_type))
        except (ValueError, InvalidSchema):
            continue
    return parsed


def _list(args: argparse.Namespace, repository: SchemaRepository) -> None:
    stored = repository.tenant_schemas(args.tenant)
    for row in stored.schemas:
        document = json.loads(row.document)
        print(f"{document.get('id')}\t{row.resource_type}\t{len(document.get('attributes') or [])} attributes")
    print(f"undeclared extension attributes: {stored.undeclared or 'keep'}")


def _delete(args: argparse.Namespace, repository: SchemaRepository) -> None:
    if not repository.delete_schema(args.tenant, args.urn):
        raise AdminError(f"tenant {args.tenant} has no schema {args.urn}")
    _note(f"{args.urn} removed from tenant {args.tenant}. {APPLIES}")


def _policy(args: argparse.Namespace, repository: SchemaRepository) -> None:
    repository.set_undeclared_policy(args.tenant, args.policy)
    _note(f"Tenant {args.tenant} now {args.policy}s undeclared extension attributes. {APPLIES}")


def _urn_of(row: StoredSchema) -> str:
    try:
        return str(json.loads(row.document).get("id", "")).lower()
    except ValueError:
        return ""


def _note(text: str) -> None:
    print(text, file=sys.stderr)
