"""scripts/deploy and the azd hooks, run against a fake Azure CLI (fake_az.py, first on PATH).

What matters: the first deployment creates the first tenant's token and the first access-token
signing key, a redeploy never changes either, no token or key is ever printed or passed on a
command line, the published package is the app only, and
all of it works for a deployer signed in as a user, a service principal without Microsoft Graph
permission, or a managed identity.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from bicep_templates import REPO

from scim.auth.records import is_tenant_slug
from scim.auth.signing_keys import SIGNING_KEY_SECRET, SigningKey, key_from_json

FAKE_AZ = Path(__file__).with_name("fake_az.py")
DEPLOYER_OBJECT_ID = "00000000-0000-0000-0000-00000000d3b1"
KEY_VAULT_SECRETS_OFFICER = "b86a8fe4-44ce-4948-aee5-eccb2c155cd7"
# Login kind (fake_az.LOGINS) -> the principal type a role assignment for it names.
LOGIN_PRINCIPAL_TYPES = {"user": "User", "servicePrincipal": "ServicePrincipal", "managedIdentity": "ServicePrincipal"}


@dataclass
class FakeAzure:
    state_file: Path
    env: dict[str, str]

    @property
    def state(self) -> dict:
        return json.loads(self.state_file.read_text())

    def update(self, **changes) -> None:
        self.state_file.write_text(json.dumps({**self.state, **changes}))

    def run(self, *command: str, check: bool = True) -> subprocess.CompletedProcess:
        completed = subprocess.run(
            list(command), cwd=REPO, env=self.env, capture_output=True, text=True, timeout=120, check=False
        )
        if check:
            assert completed.returncode == 0, completed.stdout + completed.stderr
        return completed

    def deploy(self, *options: str, check: bool = True) -> subprocess.CompletedProcess:
        return self.run("scripts/deploy", *options, check=check)

    def record(self, vault: str = "kv-fake", tenant: str = "default") -> dict:
        return json.loads(self.state["secrets"][vault][f"scim-tenant-{tenant}"])

    def signing_key(self, vault: str = "kv-fake") -> SigningKey:
        """The signing key secret's value, read by the app's own parser."""
        return key_from_json(json.loads(self.state["secrets"][vault][SIGNING_KEY_SECRET]))

    def writes_of(self, name: str) -> list[list[str]]:
        return [call for call in self.state["calls"] if call[:3] == ["keyvault", "secret", "set"] and name in call]


@pytest.fixture
def azure(tmp_path: Path) -> FakeAzure:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    az = bin_dir / "az"
    az.write_text(f'#!/bin/sh\nexec "{sys.executable}" "{FAKE_AZ}" "$@"\n')
    az.chmod(0o755)
    state_file = tmp_path / "az-state.json"
    state_file.write_text(
        json.dumps(
            {
                "calls": [],
                "secrets": {},
                "deleted": {},
                "deployments": [],
                "published": [],
                "registered": ["Microsoft.Web", "Microsoft.Storage", "Microsoft.KeyVault"],
                "login": "user",
                "object_id": DEPLOYER_OBJECT_ID,
                "role_assignments": [],
                "forbidden_lists": 0,
                "secret_file_modes": [],
            }
        )
    )
    env = {
        **os.environ,
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        "FAKE_AZ_STATE": str(state_file),
        "SCIM_RBAC_RETRY_SECONDS": "0",
    }
    return FakeAzure(state_file, env)


def assert_never_shown(azure: FakeAzure, value: str, *runs: subprocess.CompletedProcess) -> None:
    """``value`` (a token or a key) is in no output and on no az command line."""
    for run in runs:
        assert value not in run.stdout + run.stderr
    assert not any(value in " ".join(call) for call in azure.state["calls"])


def encoded_secret(key: SigningKey) -> str:
    """The key's secret as the stored JSON carries it (``k``), base64url."""
    return base64.urlsafe_b64encode(key.secret).decode("ascii")


def test_first_deploy_creates_a_256_bit_token_for_the_first_tenant_without_showing_it(azure: FakeAzure):
    run = azure.deploy("--env", "test", "--location", "westeurope")

    record = azure.record()
    assert set(record) == {"current"}
    assert len(record["current"]) >= 43  # secrets.token_urlsafe(32): 32 random bytes
    assert_never_shown(azure, record["current"], run)


def test_redeploy_keeps_the_token_entra_already_has(azure: FakeAzure):
    first = azure.deploy("--env", "test")
    token = azure.record()["current"]

    second = azure.deploy("--env", "test")

    assert azure.record()["current"] == token
    assert len(azure.writes_of("scim-tenant-default")) == 1
    assert "exists: its token is kept" in second.stdout
    assert_never_shown(azure, token, first, second)


def test_a_rotated_record_survives_a_redeploy_untouched(azure: FakeAzure):
    rotating = json.dumps({"current": "old-token", "next": "new-token"})
    azure.update(secrets={"kv-fake": {"scim-tenant-default": rotating}})

    azure.deploy("--env", "test")

    assert azure.state["secrets"]["kv-fake"]["scim-tenant-default"] == rotating


def test_a_soft_deleted_token_is_recovered_rather_than_replaced(azure: FakeAzure):
    azure.update(deleted={"kv-fake": {"scim-tenant-default": json.dumps({"current": "kept-token"})}})

    run = azure.deploy("--env", "test")

    assert azure.record()["current"] == "kept-token"
    assert azure.writes_of("scim-tenant-default") == []
    assert "recovered" in run.stdout


def test_token_creation_waits_for_the_key_vault_role_to_take_effect(azure: FakeAzure):
    azure.update(forbidden_lists=2)

    azure.deploy("--env", "test")

    assert set(azure.record()) == {"current"}


def test_secrets_are_written_from_files_only_their_owner_can_read(azure: FakeAzure):
    azure.deploy("--env", "test")

    assert azure.state["secret_file_modes"] == [0o600, 0o600]  # the token, the signing key


def test_first_deploy_creates_the_first_access_token_signing_key_without_showing_it(azure: FakeAzure):
    run = azure.deploy("--env", "test")

    key = azure.signing_key()
    assert len(key.secret) == 32
    assert "scim-oauth-signing-key created with a new access-token signing key" in run.stdout
    assert_never_shown(azure, encoded_secret(key), run)


def test_redeploy_leaves_an_existing_signing_key_ring_untouched(azure: FakeAzure):
    azure.deploy("--env", "test")
    ring = azure.state["secrets"]["kv-fake"][SIGNING_KEY_SECRET]

    second = azure.deploy("--env", "test")

    assert azure.state["secrets"]["kv-fake"][SIGNING_KEY_SECRET] == ring
    assert len(azure.writes_of(SIGNING_KEY_SECRET)) == 1
    assert "scim-oauth-signing-key exists: its access-token signing key is kept" in second.stdout


def test_a_soft_deleted_signing_key_is_recovered_rather_than_replaced(azure: FakeAzure):
    deleted = '{"kid": "kept", "k": "' + "A" * 43 + '=", "created": 1800000000}'
    azure.update(deleted={"kv-fake": {SIGNING_KEY_SECRET: deleted}})

    azure.deploy("--env", "test")

    assert azure.signing_key().kid == "kept"
    assert azure.writes_of(SIGNING_KEY_SECRET) == []


def test_deploy_steps_import_their_scim_modules_with_the_standard_library_only():
    # The steps run the deployer's python3, which has none of the app's requirements.
    modules = "import scim.auth.records, scim.auth.signing_keys"
    isolated = subprocess.run(
        [sys.executable, "-S", "-c", modules], cwd=REPO, capture_output=True, text=True, check=False
    )

    assert isolated.returncode == 0, isolated.stderr


def test_deploy_prints_the_tenant_url_and_the_command_that_reveals_the_token(azure: FakeAzure):
    run = azure.deploy("--env", "test", "--tenant", "acme")

    assert "Tenant URL:   https://func-fake.azurewebsites.net/scim/acme/v2" in run.stdout
    assert "az keyvault secret show --vault-name kv-fake --name scim-tenant-acme --query value" in run.stdout
    assert set(azure.record(tenant="acme")) == {"current"}


def test_deploy_provisions_main_bicep_with_the_parameters_file_and_the_deployer(azure: FakeAzure):
    azure.deploy("--env", "test", "--location", "swedencentral")

    (deployment,) = azure.state["deployments"]
    command = " ".join(deployment)
    assert "--template-file infra/main.bicep" in command
    assert "@infra/main.az.parameters.json" in command
    assert "environmentName=test" in command
    assert "location=swedencentral" in command
    assert "principalId=00000000-0000-0000-0000-00000000d3b1 principalType=User" in command


def test_deploy_registers_the_resource_providers_a_new_subscription_lacks(azure: FakeAzure):
    azure.deploy("--env", "test", "--skip-code")

    assert {"Microsoft.Insights", "Microsoft.OperationalInsights", "Microsoft.ManagedIdentity"} <= set(
        azure.state["registered"]
    )


def test_published_package_is_the_function_app_without_tests_tooling_or_local_settings(azure: FakeAzure):
    azure.deploy("--env", "test")

    (files,) = azure.state["published"]
    assert {"function_app.py", "host.json", "requirements.txt"} <= set(files)
    assert any(path.startswith("scim/") for path in files)
    excluded_paths = ("tests/", "infra/", "scripts/", "docs/", ".venv", "node_modules/", "local.settings.json")
    for excluded in (*excluded_paths, "requirements-worker.txt", "requirements-dev.txt"):
        assert not any(path.startswith(excluded) for path in files), excluded


def test_deploy_refuses_a_tenant_that_is_not_a_slug_before_touching_azure(azure: FakeAzure):
    run = azure.deploy("--env", "test", "--tenant", "Acme Corp", check=False)

    assert run.returncode != 0
    assert "not a slug" in run.stderr
    assert azure.state["deployments"] == []


def test_azd_postprovision_hook_creates_the_token_from_the_deployment_outputs(azure: FakeAzure):
    azure.env.update(AZURE_KEY_VAULT_NAME="kv-azd", SCIM_FIRST_TENANT="default")

    first = azure.run("sh", "infra/hooks/postprovision.sh")
    token = azure.record(vault="kv-azd")["current"]
    second = azure.run("sh", "infra/hooks/postprovision.sh")

    assert azure.record(vault="kv-azd")["current"] == token
    assert_never_shown(azure, token, first, second)


def test_azd_postprovision_hook_creates_the_signing_key_once_without_showing_it(azure: FakeAzure):
    azure.env.update(AZURE_KEY_VAULT_NAME="kv-azd", SCIM_FIRST_TENANT="default")

    first = azure.run("sh", "infra/hooks/postprovision.sh")
    key = azure.signing_key(vault="kv-azd")
    second = azure.run("sh", "infra/hooks/postprovision.sh")

    assert azure.signing_key(vault="kv-azd") == key
    assert len(azure.writes_of(SIGNING_KEY_SECRET)) == 1
    assert_never_shown(azure, encoded_secret(key), first, second)


@pytest.mark.parametrize(("login", "principal_type"), LOGIN_PRINCIPAL_TYPES.items())
def test_deploy_names_the_login_by_its_token_oid_without_microsoft_graph(azure: FakeAzure, login, principal_type):
    azure.update(login=login, object_id="11111111-2222-3333-4444-555555555555")

    azure.deploy("--env", "test")

    (deployment,) = azure.state["deployments"]
    command = " ".join(deployment)
    assert f"principalId=11111111-2222-3333-4444-555555555555 principalType={principal_type}" in command
    assert not [call for call in azure.state["calls"] if call[0] == "ad"]
    assert set(azure.record()) == {"current"}


@pytest.mark.parametrize(("login", "principal_type"), LOGIN_PRINCIPAL_TYPES.items())
def test_azd_postprovision_hook_grants_the_az_login_secrets_officer_when_azd_signed_in_as_another(
    azure: FakeAzure, login, principal_type
):
    azure.update(login=login, object_id="99999999-0000-0000-0000-000000000001")
    azure.env.update(AZURE_KEY_VAULT_NAME="kv-azd", SCIM_FIRST_TENANT="default")

    azure.run("sh", "infra/hooks/postprovision.sh")

    (assignment,) = azure.state["role_assignments"]
    assert assignment["role"] == KEY_VAULT_SECRETS_OFFICER
    assert assignment["scope"].endswith("/providers/Microsoft.KeyVault/vaults/kv-azd")
    assert assignment["principalId"] == "99999999-0000-0000-0000-000000000001"
    assert assignment["principalType"] == principal_type
    assert not [call for call in azure.state["calls"] if call[0] == "ad"]
    assert set(azure.record(vault="kv-azd")) == {"current"}


def test_azd_postprovision_hook_adds_no_assignment_when_the_az_login_already_has_the_role(azure: FakeAzure):
    vault_id = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv-azd"
    existing = {"scope": vault_id, "role": KEY_VAULT_SECRETS_OFFICER, "principalId": DEPLOYER_OBJECT_ID}
    azure.update(role_assignments=[existing])
    azure.env.update(AZURE_KEY_VAULT_NAME="kv-azd", SCIM_FIRST_TENANT="default")

    azure.run("sh", "infra/hooks/postprovision.sh")

    assert azure.state["role_assignments"] == [existing]
    assert not [call for call in azure.state["calls"] if call[:3] == ["role", "assignment", "create"]]


def test_deployer_step_never_prints_the_access_token(azure: FakeAzure):
    run = azure.run("scripts/deploy-steps", "deployer")

    assert run.stdout.split() == [DEPLOYER_OBJECT_ID, "User"]
    assert "." not in run.stdout + run.stderr


@pytest.mark.parametrize(
    ("tenant", "accepted"),
    [("a" * 63, True), ("a" * 64, False), ("acme-2", True), ("Acme", False), ("acme_2", False)],
)
def test_deploy_steps_take_the_slug_rule_from_scim_auth_records(azure: FakeAzure, tenant, accepted):
    run = azure.run("scripts/deploy-steps", "secret-name", tenant, check=False)

    assert is_tenant_slug(tenant) is accepted
    assert (run.returncode == 0) is accepted
    assert run.stdout.strip() == (f"scim-tenant-{tenant}" if accepted else "")
