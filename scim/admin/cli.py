"""``python -m scim.admin``: create tenants, rotate and revoke their tokens, list them; their extension
schemas (``schema put|list|delete|policy``, ``scim.admin.schemas``).

The store is Key Vault when ``--key-vault-url`` or ``SCIM_KEY_VAULT_URL`` (in the environment or in
local.settings.json) names one, reached as the administrator signed in with the Azure CLI
(``az login``) or with the managed identity (``--credential managed-identity``); otherwise the
``SCIM_TOKENS`` setting of local.settings.json.

A token is shown once, when it is made, on standard output; guidance goes to standard error.
"""

from __future__ import annotations

import argparse
import os
import secrets
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from scim.admin import event_push, event_settings, schemas
from scim.admin.stores import AdminError, KeyVaultStore, LocalSettingsStore, TenantStore
from scim.auth.client_secrets import DEFAULT_SECRET_DAYS, MAX_SECRET_DAYS, MIN_SECRET_DAYS, new_client_id, new_secret
from scim.auth.records import ClientSecret, Federation, InvalidRecord, TenantCredentials, is_tenant_slug
from scim.platform.credentials import azure_credential
from scim.platform.local_settings import FILE_NAME, UnreadableSettings, settings_values
from scim.service.ports import SchemaRepository

DEFAULT_BASE_URL = "http://127.0.0.1:7071"
DEFAULT_SETTINGS_FILE = FILE_NAME
TOKEN_BYTES = 32  # 256 bits
STORAGE_SETTINGS = ("SCIM_STORAGE_CONNECTION_STRING", "SCIM_STORAGE_TABLE_ENDPOINT", "SCIM_TABLE_NAME")
MAX_CLIENT_SECRETS = 2  # the current one and the next, during a rotation

SecretClientFactory = Callable[[str, str], Any]


def main(
    argv: Sequence[str] | None = None,
    *,
    environ: Mapping[str, str] = os.environ,
    secret_client: SecretClientFactory | None = None,
    table_client: Callable[[], Any] | None = None,
    schema_repository: Callable[[], SchemaRepository] | None = None,
) -> int:
    """Run one command; 0 on success, 1 (with a message on standard error) when it cannot be done.

    ``secret_client(vault_url, credential)`` builds the Key Vault client (tests pass a fake);
    ``schema_repository()`` the Table Storage repository of the ``schema`` commands;
    ``table_client()`` the journal's TableClient for ``activity`` (default: from the settings).
    """
    args = _parser(environ).parse_args(argv)
    if table_client is not None:
        args.table_client = table_client
    try:
        if hasattr(args, "schema_command"):
            schemas.run(args, (schema_repository or schemas.table_repository)())
            return 0
        store = _store(args, environ, secret_client or key_vault_client)
        args.command(args, store)
    except AdminError as problem:
        print(f"error: {problem}", file=sys.stderr)
        return 1
    return 0


def key_vault_client(vault_url: str, credential: str) -> Any:
    """A SecretClient signed in with the Azure CLI, or with the managed identity where there is one."""
    from azure.keyvault.secrets import SecretClient

    if credential == "managed-identity":
        return SecretClient(vault_url, azure_credential())
    from azure.identity import AzureCliCredential

    return SecretClient(vault_url, AzureCliCredential())


def new_token() -> str:
    """A Secret Token of 256 random bits, URL-safe (43 characters)."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def _create_tenant(args: argparse.Namespace, store: TenantStore) -> None:
    existing = store.read(args.tenant)
    if existing is not None and existing.state != "revoked":
        raise AdminError(f"tenant {args.tenant} exists ({existing.state}); use rotate to give it a new token")
    try:
        credentials = TenantCredentials.from_json(
            {"entraTenantId": args.entra_tenant_id} if args.entra_tenant_id else {"current": new_token()}
        )
    except InvalidRecord as problem:
        raise AdminError(str(problem)) from None
    store.write(args.tenant, credentials)
    print(f"Tenant URL:   {args.base_url.rstrip('/')}/scim/{args.tenant}/v2")
    if credentials.current:
        print(f"Secret Token: {credentials.current}")
        _note(f"Tenant {args.tenant} created in {store.description}. The token is not shown again.")
    else:
        print("Secret Token: (leave it blank: Entra sends its own tokens)")
        _note(f"Tenant {args.tenant} created in {store.description}; it accepts tokens Entra tenant")
        _note(f"{credentials.entra_tenant_id} issues to any of its non-gallery provisioning jobs.")
    _note(store.applies)


def _rotate(args: argparse.Namespace, store: TenantStore) -> None:
    credentials = _existing(store, args.tenant)
    if credentials.next:
        raise AdminError(f"tenant {args.tenant} is already rotating; run finish-rotation first")
    if not credentials.current:
        raise AdminError(f"tenant {args.tenant} has no Secret Token to rotate ({credentials.state})")
    rotating = replace(credentials, next=new_token())  # OAuth clients and federation stay
    store.write(args.tenant, rotating)
    print(f"Next Secret Token: {rotating.next}")
    _note(f"Tenant {args.tenant} now accepts its current and its next token. {store.applies}")
    _note("Paste the next token into Entra's Secret Token field, Test Connection and Save; then run")
    _note(f"  python -m scim.admin finish-rotation {args.tenant}")


def _finish_rotation(args: argparse.Namespace, store: TenantStore) -> None:
    credentials = _existing(store, args.tenant)
    if not credentials.next:
        raise AdminError(f"tenant {args.tenant} is not rotating; run rotate first")
    store.write(args.tenant, replace(credentials, current=credentials.next, next=None))
    _note(f"Tenant {args.tenant} accepts only its new token now. {store.applies}")


def _revoke(args: argparse.Namespace, store: TenantStore) -> None:
    _existing(store, args.tenant)
    store.write(args.tenant, TenantCredentials())
    _note(f"Tenant {args.tenant} revoked: it accepts no token. {store.applies}")
    _note("Its data stays in storage; create-tenant gives it a new token.")


def _create_event_reader(args: argparse.Namespace, store: TenantStore) -> None:
    """A new event reader credential (replacing any former one), shown once."""
    credentials = _existing(store, args.tenant)
    reader = new_token()
    store.write(args.tenant, replace(credentials, event_reader=reader))
    print(f"Events URL:              {args.base_url.rstrip('/')}/scim/{args.tenant}/v2/Events")
    print(f"Event reader credential: {reader}")
    _note(f"Tenant {args.tenant}'s application polls its events with this credential; it cannot provision,")
    _note(f"and the tenant's tokens cannot read events. It is not shown again. {store.applies}")


def _activity(args: argparse.Namespace, store: TenantStore) -> None:
    from scim.admin.activity import activity, print_activity
    from scim.storage.tables import table_client_from_settings

    for name, value in _settings_for_storage(Path(args.settings_file)).items():
        os.environ.setdefault(name, value)
    since = datetime.fromisoformat(args.since).replace(tzinfo=UTC) if args.since else None
    table = args.table_client() if args.table_client else table_client_from_settings()
    entries = activity(table, args.tenant, since=since, resource_id=args.resource, user_name=args.user_name)
    print_activity(entries, args.json)
    if not entries:
        _note(f"No change to tenant {args.tenant} matches in its journal.")


def _settings_for_storage(path: Path) -> dict[str, str]:
    """Storage settings of local.settings.json's Values, where the environment lacks them."""
    try:
        values = settings_values(path)
    except (OSError, UnreadableSettings):
        return {}
    return {name: value for name, value in values.items() if name in STORAGE_SETTINGS}


def _create_oauth_client(args: argparse.Namespace, store: TenantStore) -> None:
    """A new OAuth client of the tenant (created if need be), with one secret; prints what Entra needs."""
    credentials = store.read(args.tenant) or TenantCredentials()
    client_id = new_client_id()
    secret, stored = _new_secret(args.days)
    updated = _with_lifetime(credentials.with_client(client_id, (stored,)), args.token_lifetime_minutes)
    store.write(args.tenant, updated)
    store.add_signing_key(only_if_none=True)
    _print_endpoints(args)
    print(f"Client Identifier: {client_id}")
    print(f"Client Secret:     {secret}")
    _note(f"Secret {stored.id} of client {client_id} expires {_date(stored.expires)}. It is not shown again.")
    _note(f"Access tokens live {updated.token_lifetime_seconds // 60} minutes. {store.applies}")


def _add_client_secret(args: argparse.Namespace, store: TenantStore) -> None:
    """A second secret for a client, accepted along with the first (rotation without downtime)."""
    credentials = _existing(store, args.tenant)
    secrets = _client(credentials, args.tenant, args.client_id)
    if len(secrets) >= MAX_CLIENT_SECRETS:
        raise AdminError(f"client {args.client_id} has {len(secrets)} secrets; remove one with remove-client-secret")
    secret, stored = _new_secret(args.days)
    store.write(args.tenant, credentials.with_client(args.client_id, (*secrets, stored)))
    print(f"Client Secret: {secret}")
    _note(f"Secret {stored.id} added; client {args.client_id} accepts {len(secrets) + 1} secrets. {store.applies}")
    _note("Paste it into Entra's Client Secret, Test Connection and Save; then remove the old one with")
    _note(f"  python -m scim.admin remove-client-secret {args.tenant} {args.client_id} {secrets[0].id}")


def _remove_client_secret(args: argparse.Namespace, store: TenantStore) -> None:
    credentials = _existing(store, args.tenant)
    secrets = _client(credentials, args.tenant, args.client_id)
    kept = tuple(secret for secret in secrets if secret.id != args.secret_id)
    if len(kept) == len(secrets):
        known = ", ".join(secret.id for secret in secrets)
        raise AdminError(f"client {args.client_id} has no secret {args.secret_id} (it has: {known})")
    if not kept:
        raise AdminError(f"that is the last secret of client {args.client_id}; use remove-oauth-client to remove it")
    store.write(args.tenant, credentials.with_client(args.client_id, kept))
    _note(f"Secret {args.secret_id} removed: no new token is issued for it. {store.applies}")


def _remove_oauth_client(args: argparse.Namespace, store: TenantStore) -> None:
    credentials = _existing(store, args.tenant)
    _client(credentials, args.tenant, args.client_id)
    store.write(args.tenant, credentials.with_client(args.client_id, None))
    _note(f"Client {args.client_id} removed: its secrets and the access tokens issued to it stop working.")
    _note(store.applies)


def _enable_federation(args: argparse.Namespace, store: TenantStore) -> None:
    """Workload identity federation: Entra's assertions authenticate the client; no secret exists."""
    credentials = store.read(args.tenant) or TenantCredentials()
    client_id = credentials.federation.client_id if credentials.federation else new_client_id()
    try:
        federation = Federation(client_id, args.entra_tenant_id, args.audience, args.subject)
        updated = TenantCredentials.from_json({**credentials.to_json(), "federation": federation.to_json()})
    except InvalidRecord as problem:
        raise AdminError(str(problem)) from None
    store.write(args.tenant, _with_lifetime(updated, args.token_lifetime_minutes))
    store.add_signing_key(only_if_none=True)
    _print_endpoints(args)
    print(f"Client Identifier: {client_id}")
    _note(f"Tenant {args.tenant} accepts assertions of Entra tenant {args.entra_tenant_id} for audience")
    _note(f"{args.audience}" + (f" and subject {args.subject}" if args.subject else " (any subject)") + ".")
    _note(store.applies)


def _rotate_signing_key(args: argparse.Namespace, store: TenantStore) -> None:
    store.add_signing_key(only_if_none=False)
    _note("A new signing key signs access tokens from now on; tokens signed before stay valid until they expire.")
    _note(store.applies)


def _client(credentials: TenantCredentials, tenant: str, client_id: str) -> tuple[ClientSecret, ...]:
    secrets = credentials.client_secrets(client_id)
    if secrets is None:
        raise AdminError(f"tenant {tenant} has no OAuth client {client_id}")
    return secrets


def _new_secret(days: int) -> tuple[str, ClientSecret]:
    if not MIN_SECRET_DAYS <= days <= MAX_SECRET_DAYS:
        raise AdminError(f"--days must be from {MIN_SECRET_DAYS} to {MAX_SECRET_DAYS}")
    return new_secret(days)


def _with_lifetime(credentials: TenantCredentials, minutes: int | None) -> TenantCredentials:
    if minutes is None:
        return credentials
    try:
        return TenantCredentials.from_json({**credentials.to_json(), "tokenLifetimeSeconds": minutes * 60})
    except InvalidRecord as problem:
        raise AdminError(str(problem)) from None


def _print_endpoints(args: argparse.Namespace) -> None:
    tenant_url = f"{args.base_url.rstrip('/')}/scim/{args.tenant}/v2"
    print(f"Tenant URL:        {tenant_url}")
    print(f"Token Endpoint:    {tenant_url}/oauth2/token")


def _date(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, UTC).date().isoformat()


def _list(args: argparse.Namespace, store: TenantStore) -> None:
    states = store.states()
    for tenant, state in states.items():
        print(f"{tenant}\t{state}")
    if not states:
        _note(f"No tenant in {store.description}.")


def _existing(store: TenantStore, tenant: str) -> TenantCredentials:
    credentials = store.read(tenant)
    if credentials is None:
        raise AdminError(f"no tenant {tenant} in {store.description}")
    return credentials


def _note(text: str) -> None:
    print(text, file=sys.stderr)


def _store(args: argparse.Namespace, environ: Mapping[str, str], secret_client: SecretClientFactory) -> TenantStore:
    settings_file = Path(args.settings_file)
    vault_url = args.key_vault_url or environ.get("SCIM_KEY_VAULT_URL") or _setting_in_file(settings_file)
    if vault_url:
        return KeyVaultStore(secret_client(vault_url, args.credential))
    return LocalSettingsStore(settings_file)


def _setting_in_file(path: Path) -> str | None:
    """SCIM_KEY_VAULT_URL from local.settings.json's Values: the local host would read it too."""
    try:
        values = settings_values(path)
    except (OSError, UnreadableSettings):
        return None  # the local store reports a broken file when it reads it
    return values.get("SCIM_KEY_VAULT_URL") or None


def _tenant(text: str) -> str:
    if not is_tenant_slug(text):
        raise argparse.ArgumentTypeError("a tenant slug is 1 to 63 characters of a-z, 0-9 and -")
    return text


def _add_activity_command(commands: Any) -> None:
    changes = commands.add_parser("activity", help="what changed in a tenant, from its journal (docs/events.md)")
    changes.add_argument("tenant", type=_tenant)
    changes.add_argument("--since", help="an ISO date or time in UTC (default: 30 days ago)")
    subject = changes.add_mutually_exclusive_group()
    subject.add_argument("--resource", help="only this resource id (and memberships naming it)")
    subject.add_argument("--user-name", help="only the user with this userName (any letter case), even deleted")
    changes.add_argument("--json", action="store_true", help="JSON instead of one line per change")
    changes.set_defaults(command=_activity, table_client=None)


def _parser(environ: Mapping[str, str]) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m scim.admin", description="Administer SCIM tenants and their Secret Tokens."
    )
    parser.add_argument("--key-vault-url", help="the Key Vault (default: SCIM_KEY_VAULT_URL)")
    parser.add_argument(
        "--credential",
        choices=["azure-cli", "managed-identity"],
        default="azure-cli",
        help="how to sign in to Key Vault (default: azure-cli, the account of `az login`)",
    )
    parser.add_argument(
        "--settings-file",
        default=DEFAULT_SETTINGS_FILE,
        help=f"the local settings holding SCIM_TOKENS when there is no Key Vault (default: {DEFAULT_SETTINGS_FILE})",
    )
    parser.add_argument(
        "--base-url",
        default=environ.get("SCIM_BASE_URL") or DEFAULT_BASE_URL,
        help=f"where the endpoint is served, for the Tenant URL (default: SCIM_BASE_URL or {DEFAULT_BASE_URL})",
    )
    commands = parser.add_subparsers(title="commands", required=True, metavar="COMMAND")

    create = commands.add_parser("create-tenant", help="create a tenant; print its Tenant URL and Secret Token")
    create.add_argument("tenant", type=_tenant)
    create.add_argument(
        "--entra-tenant-id",
        help="accept JWTs this Entra tenant issues instead of a Secret Token (leave Entra's field blank)",
    )
    create.set_defaults(command=_create_tenant)

    for name, command, summary in [
        ("rotate", _rotate, "give a tenant a next token, accepted along with the current one; print it"),
        ("finish-rotation", _finish_rotation, "make the next token the only one"),
        ("revoke", _revoke, "accept no token for a tenant any more"),
        ("create-event-reader", _create_event_reader, "give a tenant's application a credential to read events"),
    ]:
        subcommand = commands.add_parser(name, help=summary)
        subcommand.add_argument("tenant", type=_tenant)
        subcommand.set_defaults(command=command)

    commands.add_parser("list", help="list tenants and what they accept (never a secret)").set_defaults(command=_list)

    _add_activity_command(commands)
    event_settings.add_command(commands, _tenant)

    lifetime_help = "lifetime of the tenant's access tokens, 60 to 360 minutes (default: 60)"
    days_help = f"days until the secret expires, {MIN_SECRET_DAYS} to {MAX_SECRET_DAYS} (default {DEFAULT_SECRET_DAYS})"
    create_client = commands.add_parser(
        "create-oauth-client", help="an OAuth 2.0 client (client credentials); print its id and secret"
    )
    create_client.add_argument("tenant", type=_tenant)
    create_client.add_argument("--days", type=int, default=DEFAULT_SECRET_DAYS, help=days_help)
    create_client.add_argument("--token-lifetime-minutes", type=int, help=lifetime_help)
    create_client.set_defaults(command=_create_oauth_client)

    add_secret = commands.add_parser("add-client-secret", help="a second secret for a client, for rotation")
    add_secret.add_argument("tenant", type=_tenant)
    add_secret.add_argument("client_id")
    add_secret.add_argument("--days", type=int, default=DEFAULT_SECRET_DAYS, help=days_help)
    add_secret.set_defaults(command=_add_client_secret)

    remove_secret = commands.add_parser("remove-client-secret", help="stop accepting one secret of a client")
    remove_secret.add_argument("tenant", type=_tenant)
    remove_secret.add_argument("client_id")
    remove_secret.add_argument("secret_id")
    remove_secret.set_defaults(command=_remove_client_secret)

    remove_client = commands.add_parser("remove-oauth-client", help="remove a client and its tokens' validity")
    remove_client.add_argument("tenant", type=_tenant)
    remove_client.add_argument("client_id")
    remove_client.set_defaults(command=_remove_oauth_client)

    federation = commands.add_parser(
        "enable-federation", help="accept Entra-issued assertions (workload identity federation, RFC 7523)"
    )
    federation.add_argument("tenant", type=_tenant)
    federation.add_argument("--entra-tenant-id", required=True, help="the Entra tenant that issues the assertions")
    federation.add_argument("--audience", required=True, help="the aud the assertions carry (Entra shows it)")
    federation.add_argument("--subject", help="the sub the assertions carry (Entra shows it); any when left out")
    federation.add_argument("--token-lifetime-minutes", type=int, help=lifetime_help)
    federation.set_defaults(command=_enable_federation)

    commands.add_parser(
        "rotate-signing-key", help="sign access tokens with a new key; earlier tokens stay valid until they expire"
    ).set_defaults(command=_rotate_signing_key)
    schemas.add_commands(commands, _tenant)
    event_push.add_command(commands, _tenant)
    return parser
