"""The workbook and alert rules (infra/modules/operations.bicep, workbook.json) query what the app
and the Functions host really log: each query's table and columns exist, and its filters and
``parse`` patterns select and split the log lines the app writes, taken from real requests through
function_app's triggers (and a Key Vault that fails, faked at the SecretClient seam)."""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path

import azure.functions as func
import pytest
from azure.core.exceptions import ServiceRequestError
from azure.keyvault.secrets import KeyVaultSecret, SecretProperties
from bicep_templates import INFRA, REPO
from resource_types import BicepFile, Expr, Obj, declarations

import function_app
from scim.api import dependencies
from scim.auth.keyvault import KeyVaultTokenSource
from scim.auth.records import secret_name

OPERATIONS = INFRA / "modules" / "operations.bicep"
WORKBOOK = INFRA / "modules" / "workbook.json"
HOST = "https://func-test.azurewebsites.net"

# Columns of the Azure Monitor Logs tables the queries read (Azure Monitor Logs table reference:
# AppRequests, AppTraces; AzureDiagnostics as Key Vault's audit log fills it).
TABLE_COLUMNS = {
    "AppRequests": {
        "TimeGenerated",
        "Name",
        "Url",
        "ResultCode",
        "DurationMs",
        "Success",
        "ItemCount",
        "OperationName",
    },
    "AppTraces": {"TimeGenerated", "Message", "SeverityLevel", "ItemCount", "OperationName", "Properties"},
    "AzureDiagnostics": {"TimeGenerated", "ResourceProvider", "OperationName", "ResultSignature", "httpStatusCode_d"},
}
STRING_LITERAL = re.compile(r'"(?:[^"\\]|\\.)*"')
PARSE_CLAUSE = re.compile(r"\|\s*parse\s+Message\s+with\s+(?P<pattern>[^\n|]+)")
STARTSWITH = re.compile(r'Message\s+startswith\s+"([^"]*)"')


def workbook_queries() -> dict[str, str]:
    workbook = json.loads(WORKBOOK.read_text(encoding="utf-8"))
    return {f"workbook:{item['name']}": item["content"]["query"] for item in workbook["items"] if item["type"] == 3}


def alert_rules() -> dict[str, Obj]:
    return {
        d.symbol: d.body
        for d in declarations(BicepFile.parse(OPERATIONS))
        if d.full_type.startswith("Microsoft.Insights/scheduledQueryRules@")
    }


def alert_queries() -> dict[str, str]:
    queries = {}
    for symbol, body in alert_rules().items():
        criteria = body.properties["properties"][0].properties["criteria"][0].properties["allOf"][0]
        (condition,) = criteria
        queries[f"alert:{symbol}"] = condition.properties["query"][0]
    return queries


QUERIES = {**workbook_queries(), **alert_queries()}


def parse_regex(pattern: str) -> re.Pattern[str]:
    """KQL's simple ``parse ... with "literal" Column "literal" Column:int`` as a regular expression."""
    parts = re.findall(r'"((?:[^"\\]|\\.)*)"|([A-Za-z_]\w*)(?::(\w+))?', pattern)
    regex = ""
    for index, (literal, column, kind) in enumerate(parts):
        if literal:
            regex += re.escape(literal)
        else:
            last = index == len(parts) - 1
            regex += f"(?P<{column}>-?\\d+)" if kind in ("int", "long") else f"(?P<{column}>.{'*' if last else '*?'})"
    return re.compile(regex)


def request_line_queries() -> dict[str, str]:
    return {name: query for name, query in QUERIES.items() if "SCIM request " in query}


def http_request(method: str, route: str, route_params: dict, token: str | None, body=None) -> func.HttpRequest:
    headers = {"Content-Type": "application/scim+json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = json.dumps(body).encode() if body is not None else b""
    return func.HttpRequest(method, f"{HOST}/{route}", headers=headers, route_params=route_params, body=data)


def app_log_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [record.getMessage() for record in caplog.records]


@pytest.fixture
def request_lines(served, tenant: str, tokens: dict[str, str], caplog: pytest.LogCaptureFixture) -> dict[str, str]:
    """Operation -> the line the app logged for it, from real requests through function_app."""
    caplog.set_level(logging.INFO)
    token = tokens[tenant]
    users = f"scim/{tenant}/v2/Users"
    user = {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "ops.check@example.com"}
    created = function_app.users(http_request("POST", users, {"tenant": tenant}, token, user))
    user_id = json.loads(created.get_body())["id"]
    patch = {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "replace", "path": "active", "value": False}],
    }
    item = {"tenant": tenant, "id": user_id}
    function_app.user(http_request("PATCH", f"{users}/{user_id}", item, token, patch))
    function_app.users(http_request("GET", users, {"tenant": tenant}, "wrong-token"))
    function_app.user(
        http_request("GET", f"{users}/00000000-0000-4000-8000-000000000000", {**item, "id": "0" * 8}, token)
    )
    function_app.service_provider_config(
        http_request("GET", f"scim/{tenant}/v2/ServiceProviderConfig", {"tenant": tenant}, None)
    )
    lines = [line for line in app_log_lines(caplog) if line.startswith("SCIM request ")]
    return {line.split(" operation=")[1].rsplit(" status=")[0] + " " + line.rsplit("=", 1)[1]: line for line in lines}


def test_every_query_reads_a_table_the_telemetry_lands_in():
    for name, query in QUERIES.items():
        assert query.split("\n", 1)[0].strip() in TABLE_COLUMNS, name


def test_every_query_uses_only_columns_its_table_has_or_it_defines():
    for name, query in QUERIES.items():
        table = query.split("\n", 1)[0].strip()
        text = re.sub(r"\{[^}]*\}", "", STRING_LITERAL.sub('""', query.split("\n", 1)[1]))
        defined = set(re.findall(r"\b(\w+)\s*=(?!=)", text))
        for match in PARSE_CLAUSE.finditer(query):
            defined |= set(parse_regex(match["pattern"]).groupindex)
        used = set(re.findall(r"\b([A-Z]\w*|\w+_[dsg])\b", text))

        assert used - defined <= TABLE_COLUMNS[table], f"{name}: {sorted(used - defined - TABLE_COLUMNS[table])}"


def test_request_line_queries_parse_tenant_operation_and_status_of_every_outcome(request_lines, tenant):
    expected = {
        "POST Users 201": ("POST Users", "201"),
        "PATCH Users/{id} 200": ("PATCH Users/{id}", "200"),
        "GET Users 401": ("GET Users", "401"),
        "GET Users/{id} 404": ("GET Users/{id}", "404"),
        "GET ServiceProviderConfig 200": ("GET ServiceProviderConfig", "200"),
    }
    assert set(request_lines) == set(expected)

    for name, query in request_line_queries().items():
        (prefix,) = STARTSWITH.findall(query)
        (clause,) = PARSE_CLAUSE.finditer(query)
        pattern = parse_regex(clause["pattern"])
        for key, (operation, status) in expected.items():
            line = request_lines[key]
            assert line.startswith(prefix), name
            fields = pattern.match(line)
            assert fields, f"{name} does not parse {line!r}"
            assert (fields["Tenant"], fields["Operation"], fields["Status"]) == (tenant, operation, status), name


def test_the_request_line_carries_no_resource_id(request_lines):
    for line in request_lines.values():
        assert not re.search(r"[0-9a-f]{8}-[0-9a-f]{4}-", line), line


def test_per_tenant_alert_splits_by_a_column_the_request_line_provides():
    rule = alert_rules()["unauthorizedBurst"].properties["properties"][0]
    (condition,) = rule.properties["criteria"][0].properties["allOf"][0]
    (dimension,) = condition.properties["dimensions"][0]
    (clause,) = PARSE_CLAUSE.finditer(condition.properties["query"][0])

    assert dimension.properties["name"][0] == "Tenant"
    assert "Tenant" in parse_regex(clause["pattern"]).groupindex
    assert "where Status == 401" in condition.properties["query"][0]


class FailingVault:
    """A SecretClient whose Key Vault cannot be reached."""

    def get_secret(self, name: str, **kwargs):
        raise ServiceRequestError("connection refused")


class VaultWithBrokenRecord:
    """A SecretClient whose tenant secret holds something that is not a tenant record."""

    def get_secret(self, name: str, **kwargs):
        return KeyVaultSecret(SecretProperties(vault_id=f"https://kv.vault.azure.net/secrets/{name}/1"), "not json")


@pytest.mark.parametrize("vault", [FailingVault(), VaultWithBrokenRecord()], ids=["unreachable", "broken-record"])
def test_key_vault_queries_select_the_line_the_app_logs_when_key_vault_fails(served, caplog, vault):
    caplog.set_level(logging.INFO)
    dependencies.override(dependencies.Dependencies(KeyVaultTokenSource(vault), served.users, served.groups))
    response = function_app.users(http_request("GET", "scim/acme/v2/Users", {"tenant": "acme"}, "some-token"))
    failure_lines = [line for line in app_log_lines(caplog) if not line.startswith("SCIM request ")]
    queries = {name: query for name, query in QUERIES.items() if "Token store unavailable" in query}

    assert response.status_code in (401, 503)
    assert failure_lines
    assert {"workbook:key-vault-failures-app", "alert:keyVaultFailures"} <= queries.keys()
    for name, query in queries.items():
        prefixes = STARTSWITH.findall(query)
        assert all(any(line.startswith(prefix) for prefix in prefixes) for line in failure_lines), name
    assert not any(secret_name("acme") in line and "not json" in line for line in failure_lines)


def test_request_telemetry_queries_select_every_scim_route():
    routes = re.findall(r'@app\.route\(route="([^"]+)"', (REPO / "function_app.py").read_text())
    route_prefix = json.loads((REPO / "host.json").read_text())["extensions"]["http"]["routePrefix"]

    assert routes
    for name, query in QUERIES.items():
        if query.startswith("AppRequests"):
            assert 'Url has "/scim/"' in query, name
            assert all(f"{HOST}/{route_prefix}{route}".count("/scim/") == 1 for route in routes)


def test_workbook_shows_requests_failures_statuses_latency_and_key_vault_per_tenant_and_operation():
    workbook = json.loads(WORKBOOK.read_text(encoding="utf-8"))
    titles = [item["content"].get("title", "") for item in workbook["items"]]
    queries = workbook_queries()

    assert any("by Tenant, Operation" in query for query in queries.values())
    assert any("Status in (401, 429) or Status >= 500" in query for query in queries.values())
    assert any("percentile(DurationMs, 95)" in query for query in queries.values())
    assert any("MICROSOFT.KEYVAULT" in query for query in queries.values())
    assert any("Key Vault" in title for title in titles)
    assert workbook["fallbackResourceIds"] == ["__WORKSPACE_ID__"]
    assert "replace(loadTextContent('workbook.json'), '__WORKSPACE_ID__', logAnalyticsWorkspaceId)" in (
        OPERATIONS.read_text()
    )


def test_every_alert_rule_watches_the_workspace_and_notifies_the_optional_action_group():
    rules = alert_rules()
    group = next(d for d in declarations(BicepFile.parse(OPERATIONS)) if "actionGroups@" in d.full_type)

    assert set(rules) == {"serverErrorRate", "unauthorizedBurst", "keyVaultFailures"}
    for symbol, body in rules.items():
        properties = body.properties["properties"][0].properties
        assert [scope.text for scope in properties["scopes"][0]] == ["logAnalyticsWorkspaceId"], symbol
        actions = properties["actions"][0].properties["actionGroups"][0]
        assert isinstance(actions, Expr) and actions.identifier == "actionGroups", symbol
    assert "if (!empty(alertEmail))" in group.node.text.decode()
    assert Path(OPERATIONS).read_text().count("var actionGroups = empty(alertEmail) ? [] : [alertGroup.id]") == 1
