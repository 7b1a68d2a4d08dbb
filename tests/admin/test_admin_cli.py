"""The admin command line against a temporary local.settings.json and against a fake Key Vault."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
from azure.core.exceptions import ServiceRequestError

from scim.admin import cli
from scim.auth.keyvault import KeyVaultTokenSource
from scim.auth.tokens import SettingsTokenSource
from tests.support.auth_fakes import VAULT_URL, FakeClock, FakeVault, is_accepted

ENTRA_TENANT = "11111111-2222-3333-4444-555555555555"


@pytest.fixture
def settings_file(tmp_path: Path) -> Path:
    path = tmp_path / "local.settings.json"
    values = {"FUNCTIONS_WORKER_RUNTIME": "python", "SCIM_TOKENS": json.dumps({"local": "local-token-0123456789"})}
    path.write_text(json.dumps({"IsEncrypted": False, "Values": values}))
    return path


class Admin:
    """Runs the command line and keeps what it printed."""

    def __init__(self, capsys, settings_file: Path, vault: FakeVault | None = None, environ: dict | None = None):
        self.capsys = capsys
        self.settings_file = settings_file
        self.vault = vault
        self.environ = environ if environ is not None else {}
        self.vault_urls: list[str] = []

    def __call__(self, *args: str) -> int:
        return cli.main(
            ["--settings-file", str(self.settings_file), *args], environ=self.environ, secret_client=self._client
        )

    def run(self, *args: str) -> str:
        """Run a command that must succeed; its standard output."""
        assert self(*args) == 0, self.capsys.readouterr().err
        return self.capsys.readouterr().out

    def _client(self, vault_url: str, credential: str):
        assert self.vault is not None, "the local store must not reach for Key Vault"
        self.vault_urls.append(vault_url)
        return self.vault.client


@pytest.fixture
def admin(capsys, settings_file: Path) -> Admin:
    return Admin(capsys, settings_file)


@pytest.fixture
def vault() -> FakeVault:
    return FakeVault()


@pytest.fixture
def vault_admin(capsys, settings_file: Path, vault: FakeVault) -> Admin:
    return Admin(capsys, settings_file, vault, {"SCIM_KEY_VAULT_URL": VAULT_URL})


def printed(output: str, label: str) -> str:
    return next(line.split(":", 1)[1].strip() for line in output.splitlines() if line.startswith(label + ":"))


def settings_source(settings_file: Path) -> SettingsTokenSource:
    return SettingsTokenSource(json.loads(settings_file.read_text())["Values"])


def test_create_tenant_prints_the_tenant_url(admin):
    output = admin.run("create-tenant", "acme")

    assert printed(output, "Tenant URL") == "http://127.0.0.1:7071/scim/acme/v2"


def test_create_tenant_prints_a_token_the_endpoint_is_accepted(admin, settings_file):
    token = printed(admin.run("create-tenant", "acme"), "Secret Token")

    assert is_accepted(settings_source(settings_file), "acme", token)


def test_created_token_has_at_least_256_bits(admin):
    token = printed(admin.run("create-tenant", "acme"), "Secret Token")

    assert len(token) >= 43  # base64url: 6 bits a character


def test_each_created_token_is_new(admin):
    first = printed(admin.run("create-tenant", "acme"), "Secret Token")
    second = printed(admin.run("create-tenant", "globex"), "Secret Token")

    assert first != second


def test_base_url_option_makes_the_tenant_url(admin):
    output = admin.run("--base-url", "https://scim.example.net/", "create-tenant", "acme")

    assert printed(output, "Tenant URL") == "https://scim.example.net/scim/acme/v2"


def test_create_tenant_keeps_the_other_tenants_and_settings(admin, settings_file):
    admin.run("create-tenant", "acme")

    values = json.loads(settings_file.read_text())["Values"]
    assert values["FUNCTIONS_WORKER_RUNTIME"] == "python"
    assert is_accepted(settings_source(settings_file), "local", "local-token-0123456789")


def test_settings_file_stays_private(admin, settings_file):
    admin.run("create-tenant", "acme")

    assert stat.S_IMODE(settings_file.stat().st_mode) == 0o600


def test_create_tenant_refuses_an_existing_tenant(admin, settings_file):
    before = settings_file.read_text()

    assert admin("create-tenant", "local") == 1
    assert settings_file.read_text() == before


def test_create_tenant_refuses_what_is_not_a_tenant_slug(admin):
    with pytest.raises(SystemExit):
        admin("create-tenant", "Acme Corp")


def test_create_tenant_for_entra_tokens_prints_no_token(admin, settings_file):
    output = admin.run("create-tenant", "acme", "--entra-tenant-id", ENTRA_TENANT)

    assert "Secret Token: (leave it blank" in output
    assert settings_source(settings_file).credentials_for("acme").entra_tenant_id == ENTRA_TENANT


def test_create_tenant_refuses_an_entra_tenant_id_that_is_not_a_guid(admin):
    assert admin("create-tenant", "acme", "--entra-tenant-id", "contoso.onmicrosoft.com") == 1


def test_rotate_keeps_the_current_token_and_adds_the_next(admin, settings_file):
    next_token = printed(admin.run("rotate", "local"), "Next Secret Token")

    source = settings_source(settings_file)
    assert is_accepted(source, "local", "local-token-0123456789")
    assert is_accepted(source, "local", next_token)


def test_finish_rotation_leaves_only_the_next_token(admin, settings_file):
    next_token = printed(admin.run("rotate", "local"), "Next Secret Token")

    admin.run("finish-rotation", "local")

    source = settings_source(settings_file)
    assert not is_accepted(source, "local", "local-token-0123456789")
    assert is_accepted(source, "local", next_token)


def test_rotating_twice_is_refused(admin):
    admin.run("rotate", "local")

    assert admin("rotate", "local") == 1


def test_finish_rotation_without_a_rotation_is_refused(admin):
    assert admin("finish-rotation", "local") == 1


def test_rotating_an_unknown_tenant_is_refused(admin):
    assert admin("rotate", "nobody") == 1


def test_revoke_leaves_no_token_accepted(admin, settings_file):
    admin.run("revoke", "local")

    assert not is_accepted(settings_source(settings_file), "local", "local-token-0123456789")


def test_revoked_tenant_can_be_created_again(admin, settings_file):
    admin.run("revoke", "local")

    token = printed(admin.run("create-tenant", "local"), "Secret Token")

    assert is_accepted(settings_source(settings_file), "local", token)


def test_list_shows_tenants_and_states_but_no_token(admin):
    admin.run("create-tenant", "acme")
    admin.run("rotate", "acme")

    output = admin.run("list")

    assert output.splitlines() == ["acme\trotating", "local\ttoken"]


def test_missing_settings_file_is_reported(capsys, tmp_path):
    missing = Admin(capsys, tmp_path / "absent.json")

    assert missing("create-tenant", "acme") == 1
    assert "does not exist" in capsys.readouterr().err


def test_key_vault_url_setting_selects_key_vault(vault_admin, settings_file):
    before = settings_file.read_text()

    vault_admin.run("create-tenant", "acme")

    assert vault_admin.vault_urls == [VAULT_URL]
    assert settings_file.read_text() == before


def test_key_vault_url_in_local_settings_selects_key_vault(capsys, settings_file, vault):
    settings = json.loads(settings_file.read_text())
    settings["Values"]["SCIM_KEY_VAULT_URL"] = VAULT_URL
    settings_file.write_text(json.dumps(settings))

    Admin(capsys, settings_file, vault).run("create-tenant", "acme")

    assert "scim-tenant-acme" in vault.secrets


def test_create_tenant_writes_the_record_to_the_tenant_secret(vault_admin, vault):
    token = printed(vault_admin.run("create-tenant", "acme"), "Secret Token")

    assert vault.record("acme") == {"current": token}
    assert vault.secrets["scim-tenant-acme"].properties.content_type == "application/json"


def test_rotation_in_key_vault_is_followed_by_the_key_vault_token_source(vault_admin, vault):
    source = KeyVaultTokenSource(vault.client, clock=FakeClock())
    current = printed(vault_admin.run("create-tenant", "acme"), "Secret Token")
    next_token = printed(vault_admin.run("rotate", "acme"), "Next Secret Token")

    assert is_accepted(source, "acme", current)
    assert is_accepted(source, "acme", next_token)


def test_list_in_key_vault_reads_no_secret_value(vault_admin, vault):
    vault_admin.run("create-tenant", "acme")
    vault.put_record("other-tool", {"current": "other-tool-token-0123456789"})  # untagged: its record is read instead
    vault.secrets["storage-key"] = vault.secrets["scim-tenant-acme"]
    vault.client.get_secret.reset_mock()

    output = vault_admin.run("list")

    assert output.splitlines() == ["acme\ttoken", "other-tool\ttoken"]
    vault.client.get_secret.assert_called_once_with("scim-tenant-other-tool")


def test_key_vault_failure_is_reported_in_one_line(vault_admin, vault, capsys):
    vault.failure = ServiceRequestError("connection refused")

    assert vault_admin("create-tenant", "acme") == 1
    assert capsys.readouterr().err.strip().splitlines() == [f"error: Key Vault {VAULT_URL}: connection refused"]


def recorded_secret_clients(monkeypatch) -> list[tuple]:
    """SecretClient replaced by a recorder of its (vault_url, credential) arguments."""
    import azure.keyvault.secrets

    built = []
    monkeypatch.setattr(azure.keyvault.secrets, "SecretClient", lambda *args, **kwargs: built.append(args))
    return built


def test_admin_signs_in_to_key_vault_with_the_azure_cli(monkeypatch):
    import azure.identity

    built = recorded_secret_clients(monkeypatch)
    monkeypatch.setattr(azure.identity, "AzureCliCredential", FakeAzureCliCredential)

    cli.key_vault_client(VAULT_URL, "azure-cli")

    assert [(url, type(credential)) for url, credential in built] == [(VAULT_URL, FakeAzureCliCredential)]


def test_managed_identity_option_uses_the_app_credential(monkeypatch):
    built = recorded_secret_clients(monkeypatch)
    credential = object()
    monkeypatch.setattr(cli, "azure_credential", lambda: credential)

    cli.key_vault_client(VAULT_URL, "managed-identity")

    assert built == [(VAULT_URL, credential)]


class FakeAzureCliCredential:
    """Stands in for azure.identity.AzureCliCredential, which would run `az` for a token."""


# --- OAuth clients, federation and signing keys ----------------------------------------------


def oauth_server(settings_file: Path):
    from scim.auth.oauth import OAuthServer
    from scim.auth.signing_keys import SettingsSigningKeys

    values = json.loads(settings_file.read_text())["Values"]
    return OAuthServer(SettingsTokenSource(values), SettingsSigningKeys(values))


def client_token(settings_file: Path, client_id: str, secret: str) -> bool:
    from scim.auth.oauth import OAuthError, TokenRequest

    request = TokenRequest(grant_type="client_credentials", basic=(client_id, secret))
    try:
        oauth_server(settings_file).issue("acme", "http://127.0.0.1:7071/scim/acme/v2", request)
    except OAuthError:
        return False
    return True


def test_create_oauth_client_prints_a_client_the_token_endpoint_accepts(admin, settings_file):
    output = admin.run("create-oauth-client", "acme")

    assert printed(output, "Token Endpoint") == "http://127.0.0.1:7071/scim/acme/v2/oauth2/token"
    assert client_token(settings_file, printed(output, "Client Identifier"), printed(output, "Client Secret"))


def test_create_oauth_client_stores_no_secret(admin, settings_file):
    secret = printed(admin.run("create-oauth-client", "acme"), "Client Secret")

    assert secret not in settings_file.read_text()


def test_create_oauth_client_writes_the_first_signing_key_only(admin, settings_file):
    admin.run("create-oauth-client", "acme")
    admin.run("create-oauth-client", "globex")

    assert len(json.loads(json.loads(settings_file.read_text())["Values"]["SCIM_OAUTH_SIGNING_KEYS"])) == 1


def test_added_secret_works_along_with_the_first_until_that_is_removed(admin, settings_file):
    output = admin.run("create-oauth-client", "acme")
    client_id, first = printed(output, "Client Identifier"), printed(output, "Client Secret")
    second = printed(admin.run("add-client-secret", "acme", client_id), "Client Secret")
    assert client_token(settings_file, client_id, first) and client_token(settings_file, client_id, second)

    record = json.loads(json.loads(settings_file.read_text())["Values"]["SCIM_TOKENS"])["acme"]
    first_id = record["oauthClients"][client_id][0]["id"]
    admin.run("remove-client-secret", "acme", client_id, first_id)

    assert not client_token(settings_file, client_id, first)
    assert client_token(settings_file, client_id, second)


def test_removing_the_last_secret_is_refused(admin, settings_file):
    client_id = printed(admin.run("create-oauth-client", "acme"), "Client Identifier")
    record = json.loads(json.loads(settings_file.read_text())["Values"]["SCIM_TOKENS"])["acme"]

    assert admin("remove-client-secret", "acme", client_id, record["oauthClients"][client_id][0]["id"]) == 1


def test_enable_federation_prints_the_client_identifier_and_keeps_no_secret(admin, settings_file):
    output = admin.run(
        "enable-federation", "acme", "--entra-tenant-id", ENTRA_TENANT, "--audience", "api://x", "--subject", "s"
    )

    record = json.loads(json.loads(settings_file.read_text())["Values"]["SCIM_TOKENS"])["acme"]
    assert record["federation"] == {
        "clientId": printed(output, "Client Identifier"),
        "entraTenantId": ENTRA_TENANT,
        "audience": "api://x",
        "subject": "s",
    }
    assert "Client Secret" not in output


def test_list_shows_what_each_tenant_accepts(admin):
    admin.run("create-oauth-client", "acme")
    admin.run("enable-federation", "acme", "--entra-tenant-id", ENTRA_TENANT, "--audience", "api://x")

    assert "acme\toauth(1)+federation" in admin.run("list").splitlines()


def test_token_lifetime_outside_60_to_360_minutes_is_refused(admin):
    assert admin("create-oauth-client", "acme", "--token-lifetime-minutes", "10") == 1


def test_rotate_signing_key_keeps_the_earlier_key(admin, settings_file):
    admin.run("create-oauth-client", "acme")
    admin.run("rotate-signing-key")

    assert len(json.loads(json.loads(settings_file.read_text())["Values"]["SCIM_OAUTH_SIGNING_KEYS"])) == 2


def test_key_vault_gets_the_first_signing_key_from_the_first_client_only(vault_admin, vault):
    vault_admin.run("create-oauth-client", "acme")
    first = vault.secrets["scim-oauth-signing-key"].value
    vault_admin.run("create-oauth-client", "globex")

    assert vault.secrets["scim-oauth-signing-key"].value == first


def test_rotating_the_secret_token_keeps_the_oauth_clients(admin, settings_file):
    admin.run("create-tenant", "acme")
    output = admin.run("create-oauth-client", "acme")

    admin.run("rotate", "acme")
    admin.run("finish-rotation", "acme")

    assert client_token(settings_file, printed(output, "Client Identifier"), printed(output, "Client Secret"))
