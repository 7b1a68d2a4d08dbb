"""What the templates deploy, read from the parsed Bicep: identity-based connections, least-privilege
roles, locked-down storage and vault, Entra-only telemetry, and outputs that carry no secret."""

from __future__ import annotations

import json
import re
import sys

import pytest
from bicep_templates import INFRA, REPO, Template, expression_text
from resource_types import BicepFile, declarations

# Azure built-in role definition ids (Microsoft Learn, "Azure built-in roles": Storage, Security, Monitor).
STORAGE_BLOB_DATA_OWNER = "b7e6dc6d-f1e8-4753-8033-0f276bb0955b"
STORAGE_TABLE_DATA_CONTRIBUTOR = "0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3"
STORAGE_QUEUE_DATA_CONTRIBUTOR = "974c5e8b-45b9-4653-ba55-5f855dd0fb88"
KEY_VAULT_SECRETS_USER = "4633458b-17de-408a-b874-0445c86b69e6"
MONITORING_METRICS_PUBLISHER = "3913510d-42f4-4e42-8a64-420c390055eb"
KEY_VAULT_SECRETS_OFFICER = "b86a8fe4-44ce-4948-aee5-eccb2c155cd7"

# App settings the Flex Consumption plan deprecates (its runtime, scale and deployment settings
# moved to functionAppConfig), and the ones this project keeps for local runs only.
FLEX_DEPRECATED_SETTINGS = {
    "FUNCTIONS_WORKER_RUNTIME",
    "FUNCTIONS_EXTENSION_VERSION",
    "WEBSITE_RUN_FROM_PACKAGE",
    "WEBSITE_CONTENTAZUREFILECONNECTIONSTRING",
    "WEBSITE_CONTENTSHARE",
    "SCM_DO_BUILD_DURING_DEPLOYMENT",
    "ENABLE_ORYX_BUILD",
}
LOCAL_ONLY_SETTINGS = {"SCIM_STORAGE_CONNECTION_STRING", "SCIM_TOKENS", "AzureWebJobsStorage"}

UPPER_SNAKE_CASE = re.compile(r"[A-Z][A-Z0-9]*(_[A-Z0-9]+)*")


@pytest.fixture(scope="module")
def main(templates) -> Template:
    return templates["main.bicep"]


@pytest.fixture(scope="module")
def site(templates) -> dict:
    return templates["modules/functionapp.bicep"].resource("Microsoft.Web/sites")


@pytest.fixture(scope="module")
def app_settings(site) -> dict[str, str]:
    """The app settings as name -> expression text."""
    return {item["name"]: expression_text(item["value"]) for item in site["properties"]["siteConfig"]["appSettings"]}


def test_host_storage_connection_is_identity_based_with_the_user_assigned_identity(app_settings):
    assert app_settings["AzureWebJobsStorage__blobServiceUri"] == "blobEndpoint"
    assert app_settings["AzureWebJobsStorage__credential"] == "managedidentity"
    assert app_settings["AzureWebJobsStorage__clientId"] == "identityClientId"


def test_host_storage_names_only_the_blob_service_so_the_host_derives_no_table_endpoint(main, app_settings):
    host_storage = {name for name in app_settings if name.startswith("AzureWebJobsStorage")}

    assert "AzureWebJobsStorage__accountName" not in host_storage
    assert not any(name.endswith(("tableServiceUri", "queueServiceUri")) for name in host_storage)
    assert (
        expression_text(main.tree["modules"]["functionApp"]["config"]["params"]["blobEndpoint"])
        == "storage.outputs.blobEndpoint"
    )


def test_app_settings_hold_no_connection_string_key_or_local_only_setting(app_settings):
    assert not LOCAL_ONLY_SETTINGS & app_settings.keys()
    assert not any("listKeys" in value or "AccountKey" in value for value in app_settings.values())


def test_app_settings_avoid_what_flex_consumption_deprecates(app_settings):
    assert not FLEX_DEPRECATED_SETTINGS & app_settings.keys()


def test_scim_code_gets_its_table_endpoint_table_vault_and_identity(templates, app_settings):
    storage = templates["modules/storage.bicep"]

    assert app_settings["SCIM_STORAGE_TABLE_ENDPOINT"] == "tableEndpoint"
    assert expression_text(storage.tree["outputs"]["tableEndpoint"]["value"]) == (
        "https://${account.name}.table.${environment().suffixes.storage}"
    )
    assert app_settings["SCIM_TABLE_NAME"] == "tableName"
    assert app_settings["SCIM_KEY_VAULT_URL"] == "keyVaultUri"
    assert app_settings["AZURE_CLIENT_ID"] == "identityClientId"


def test_event_push_reaches_the_queue_service_of_the_storage_account(main, templates, app_settings):
    storage = templates["modules/storage.bicep"]

    assert app_settings["SCIM_EVENTS_QUEUE_ENDPOINT"] == "queueEndpoint"
    assert expression_text(storage.tree["outputs"]["queueEndpoint"]["value"]) == (
        "https://${account.name}.queue.${environment().suffixes.storage}"
    )
    assert expression_text(main.tree["modules"]["functionApp"]["config"]["params"]["queueEndpoint"]) == (
        "storage.outputs.queueEndpoint"
    )


def test_the_table_the_app_uses_is_created_by_the_template(main, templates):
    table = templates["modules/storage.bicep"].resource("Microsoft.Storage/storageAccounts/tableServices/tables")

    assert main.variable("tableName") == "scim"  # the app's SCIM_TABLE_NAME default
    assert table["name"] == "tableName"
    assert main.tree["modules"]["storage"]["config"]["params"]["tableName"] == "tableName"
    assert main.tree["modules"]["functionApp"]["config"]["params"]["tableName"] == "tableName"


def test_telemetry_authenticates_with_the_managed_identity(app_settings):
    assert app_settings["APPLICATIONINSIGHTS_AUTHENTICATION_STRING"] == "ClientId=${identityClientId};Authorization=AAD"


def test_app_runs_as_the_user_assigned_identity(site):
    assert site["identity"]["type"] == "UserAssigned"
    assert list(site["identity"]["userAssignedIdentities"]) == ["'${identityId}'"]


def test_flex_consumption_deployment_storage_uses_the_user_assigned_identity(site):
    storage = site["properties"]["functionAppConfig"]["deployment"]["storage"]

    assert storage["type"] == "blobContainer"
    assert storage["authentication"] == {"type": "UserAssignedIdentity", "userAssignedIdentityResourceId": "identityId"}


def test_runtime_is_python_at_the_version_ci_tests_with(main, templates, site):
    ci_python = f"{sys.version_info.major}.{sys.version_info.minor}"
    runtime = site["properties"]["functionAppConfig"]["runtime"]

    assert main.variable("pythonVersion") == ci_python
    assert main.tree["modules"]["functionApp"]["config"]["params"]["pythonVersion"] == "pythonVersion"
    assert runtime == {"name": "python", "version": "pythonVersion"}


def test_plan_is_linux_flex_consumption(templates):
    plan = templates["modules/functionapp.bicep"].resource("Microsoft.Web/serverfarms")

    assert plan["sku"] == {"name": "FC1", "tier": "FlexConsumption"}
    assert plan["properties"]["reserved"] is True


def test_app_accepts_https_only_with_tls_1_2(site):
    assert site["properties"]["httpsOnly"] is True
    assert site["properties"]["siteConfig"]["minTlsVersion"] == "1.2"


def test_storage_account_refuses_shared_keys_old_tls_plain_http_and_public_blobs(templates):
    properties = templates["modules/storage.bicep"].resource("Microsoft.Storage/storageAccounts")["properties"]

    assert properties["allowSharedKeyAccess"] is False
    assert properties["minimumTlsVersion"] == "TLS1_2"
    assert properties["supportsHttpsTrafficOnly"] is True
    assert properties["allowBlobPublicAccess"] is False
    assert properties["defaultToOAuthAuthentication"] is True


def test_key_vault_uses_rbac_with_soft_delete_and_purge_protection(templates):
    properties = templates["modules/keyvault.bicep"].resource("Microsoft.KeyVault/vaults")["properties"]

    assert properties["enableRbacAuthorization"] is True
    assert properties["enableSoftDelete"] is True
    assert properties["enablePurgeProtection"] is True
    assert "accessPolicies" not in properties


def test_key_vault_audit_log_goes_to_log_analytics(templates):
    setting = templates["modules/keyvault.bicep"].resource("Microsoft.Insights/diagnosticSettings")

    assert setting["scope"] == "vault"
    assert {"categoryGroup": "audit", "enabled": True} in setting["properties"]["logs"]


def test_no_template_writes_a_secret_so_no_token_passes_through_deployment_history(templates):
    for template in templates.values():
        assert not template.resources("Microsoft.KeyVault/vaults/secrets"), template.path.name
        assert not any(
            decorator["type"] == "secure"
            for parameter in template.tree.get("parameters", {}).values()
            for decorator in parameter["decorators"]
        ), template.path.name


def test_application_insights_accepts_entra_authenticated_telemetry_only(templates):
    monitoring = templates["modules/monitoring.bicep"]
    components = monitoring.resource("Microsoft.Insights/components")
    workspace = monitoring.resource("Microsoft.OperationalInsights/workspaces")

    assert components["properties"]["DisableLocalAuth"] is True
    assert expression_text(components["properties"]["WorkspaceResourceId"]) == "logAnalytics.id"
    assert workspace["properties"]["features"]["disableLocalAuth"] is True


@pytest.mark.parametrize(
    ("role", "scope"),
    [
        (STORAGE_BLOB_DATA_OWNER, "storage"),
        (STORAGE_TABLE_DATA_CONTRIBUTOR, "storage::tableServices::table"),
        (STORAGE_QUEUE_DATA_CONTRIBUTOR, "storage"),
        (KEY_VAULT_SECRETS_USER, "vault"),
        (MONITORING_METRICS_PUBLISHER, "applicationInsights"),
    ],
    ids=[
        "storage-blob-data-owner",
        "storage-table-data-contributor",
        "storage-queue-data-contributor",
        "key-vault-secrets-user",
        "metrics-publisher",
    ],
)
def test_app_identity_gets_the_role_on_its_scope_with_a_deterministic_name(templates, role, scope):
    rbac = templates["modules/rbac.bicep"]
    assignments = [
        body
        for body in rbac.resources("Microsoft.Authorization/roleAssignments").values()
        if rbac.resolve(body["properties"]["roleDefinitionId"]["function"]["parameters"]["resource_name_1"]) == role
    ]

    (assignment,) = assignments
    role_argument = assignment["properties"]["roleDefinitionId"]["function"]["parameters"]["resource_name_1"]
    role_reference = expression_text(role_argument)
    assert expression_text(assignment["scope"]) == scope
    assert assignment["properties"]["principalId"] == "appPrincipalId"
    assert assignment["properties"]["principalType"] == "ServicePrincipal"
    assert expression_text(assignment["name"]) == f"guid({scope}.id, appPrincipalId, {role_reference})"


def test_every_role_assignment_lives_in_the_rbac_module(templates):
    owners = {
        name for name, template in templates.items() if template.resources("Microsoft.Authorization/roleAssignments")
    }

    assert owners == {"modules/rbac.bicep"}


def test_deployer_gets_key_vault_secrets_officer_only_when_named(templates):
    rbac = templates["modules/rbac.bicep"]
    conditional = rbac.tree["resources"]["deployerSecretsOfficer"]["config"]

    assert rbac.variable("roles")["keyVaultSecretsOfficer"] == KEY_VAULT_SECRETS_OFFICER
    assert expression_text(conditional["condition"]) == "not(empty(deployerPrincipalId))"
    assert expression_text(conditional["config"]["name"]) == (
        "guid(vault.id, deployerPrincipalId, roles.keyVaultSecretsOfficer)"
    )


def test_app_is_created_after_its_role_assignments(main):
    assert main.tree["modules"]["functionApp"]["config"]["dependsOn"] == ["rbac"]


def test_outputs_are_upper_snake_case_and_include_the_tenant_url(main):
    outputs = main.tree["outputs"]

    assert all(UPPER_SNAKE_CASE.fullmatch(name) for name in outputs), sorted(outputs)
    assert {
        "SCIM_TENANT_URL",
        "AZURE_RESOURCE_GROUP",
        "AZURE_FUNCTION_APP_NAME",
        "AZURE_KEY_VAULT_NAME",
        "SCIM_FIRST_TENANT",
        "SCIM_TOKEN_SECRET_NAME",
    } <= outputs.keys()


def test_tenant_url_follows_the_route_prefix_of_host_json(main):
    route_prefix = json.loads((REPO / "host.json").read_text())["extensions"]["http"]["routePrefix"]

    assert route_prefix == ""
    assert main.tree["outputs"]["SCIM_TENANT_URL"]["value"] == (
        "https://${functionApp.outputs.defaultHostName}/scim/${firstTenant}/v2"
    )
    assert main.tree["outputs"]["SCIM_TOKEN_SECRET_NAME"]["value"] == "scim-tenant-${firstTenant}"


SECRET_MARKERS = re.compile(r"list\w*\(|ConnectionString|InstrumentationKey|[Pp]assword|primaryKey|secondaryKey|sas")


def test_no_output_of_any_template_carries_a_secret(templates):
    for name, template in templates.items():
        for output_name, output in template.tree.get("outputs", {}).items():
            value = expression_text(output["value"])
            assert not SECRET_MARKERS.search(value), f"{name}: output {output_name} = {value}"
            assert not any(decorator["type"] == "secure" for decorator in output["decorators"]), output_name


def test_parameter_files_name_only_parameters_main_declares_and_give_every_required_one(main):
    declared = main.tree["parameters"]
    required = {name for name, parameter in declared.items() if parameter.get("default") is None}

    # scripts/deploy passes principalId itself; azd fills the azd file's ${...} placeholders.
    files = [("infra/main.parameters.json", set()), ("infra/main.az.parameters.json", {"principalId"})]
    for path, supplied_elsewhere in files:
        supplied = set(json.loads((REPO / path).read_text())["parameters"])
        assert supplied <= declared.keys(), path
        assert required <= supplied | supplied_elsewhere, path


def test_flex_deployment_container_is_a_private_child_of_the_blob_service_the_app_deploys_from(main):
    # Nested children exist only in the tree-sitter tree: pycep-parser drops them.
    storage = {d.symbol: d for d in declarations(BicepFile.parse(INFRA / "modules/storage.bicep"))}
    container = storage["deploymentContainer"]
    blob_service = storage["blobServices"].body.properties["properties"][0].properties

    assert container.full_type == "Microsoft.Storage/storageAccounts/blobServices/containers@2025-01-01"
    assert container.body.properties["name"][0].identifier == "deploymentContainerName"
    assert container.body.properties["properties"][0].properties["publicAccess"][0] == "None"
    assert blob_service["deleteRetentionPolicy"][0].properties["enabled"][0] is True
    assert main.variable("deploymentContainerName") == "app-package-${take(functionAppName, 32)}"
    assert main.tree["modules"]["storage"]["config"]["params"]["deploymentContainerName"] == "deploymentContainerName"
    assert main.tree["modules"]["functionApp"]["config"]["params"]["deploymentContainerUrl"] == (
        "${storage.outputs.blobEndpoint}${deploymentContainerName}"
    )
