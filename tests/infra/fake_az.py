"""A stand-in for the Azure CLI (``az``) that the deploy script tests put first on PATH.

It answers the commands scripts/deploy and scripts/deploy-steps run, from and into a JSON state
file (``FAKE_AZ_STATE``): the login, Key Vault secrets, deleted secrets, role assignments,
deployments, published packages, the permissions of each file a secret was read from, and every
command line it was given. Like the real
``az keyvault secret set``, it prints the secret's value unless told ``--output none``, so a
script that forgets it leaks in the test too.

Logins (``state["login"]``), as ``az account show`` reports them: ``user``; ``servicePrincipal``
(user.name is the app id); ``managedIdentity`` (user.type servicePrincipal, user.name
``systemAssignedIdentity``). The ARM access token is a JWT whose ``oid`` claim is the login's
object id. Microsoft Graph (``az ad ...``) refuses every login: a service principal or a managed
identity usually lacks the permission, and a script must not need it.
"""

from __future__ import annotations

import base64
import itertools
import json
import os
import sys
import zipfile
from pathlib import Path

STATE = Path(os.environ["FAKE_AZ_STATE"])


def option(args: list[str], name: str, default: str | None = None) -> str | None:
    return args[args.index(name) + 1] if name in args else default


def all_options(args: list[str], name: str) -> list[str]:
    """Every value following ``name``, up to the next option (``--parameters a b --parameters c``)."""
    values, collecting = [], False
    for arg in args:
        if arg == name:
            collecting = True
        elif arg.startswith("--"):
            collecting = False
        elif collecting:
            values.append(arg)
    return values


def emit(args: list[str], value) -> None:
    output = option(args, "--output", option(args, "-o", "json"))
    if output == "none":
        return
    if output == "tsv":
        lines = value if isinstance(value, list) else [value]
        print("\n".join(str(line) for line in lines))
    else:
        print(json.dumps(value))


def deployment_outputs(args: list[str]) -> dict:
    parameters = {}
    for item in all_options(args, "--parameters"):
        if item.startswith("@"):
            for name, body in json.loads(Path(item[1:]).read_text())["parameters"].items():
                parameters[name] = body["value"]
        else:
            name, _, value = item.partition("=")
            parameters[name] = value
    tenant = parameters.get("firstTenant", "default")
    environment = parameters["environmentName"]
    names = {
        "AZURE_RESOURCE_GROUP": f"rg-{environment}",
        "AZURE_FUNCTION_APP_NAME": "func-fake",
        "AZURE_KEY_VAULT_NAME": "kv-fake",
        "SCIM_FIRST_TENANT": tenant,
        "SCIM_TENANT_URL": f"https://func-fake.azurewebsites.net/scim/{tenant}/v2",
    }
    return {name: {"type": "String", "value": value} for name, value in names.items()}


LOGINS = {
    "user": {"type": "user", "name": "deployer@example.com"},
    "servicePrincipal": {"type": "servicePrincipal", "name": "6d1f3c2a-0000-4000-8000-00000000a99d"},
    "managedIdentity": {"type": "servicePrincipal", "name": "systemAssignedIdentity"},
}


def account(args, state):
    user = LOGINS[state["login"]]
    fields = {"user.type": user["type"], "user.name": user["name"]}
    emit(args, fields.get(option(args, "--query"), "subscription"))


def access_token(args, state):
    """An ARM access token: a JWT (unsigned here) carrying the login's object id as ``oid``."""

    def segment(value: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")

    claims = {"aud": "https://management.azure.com/", "oid": state["object_id"], "tid": "tenant"}
    token = f"{segment({'alg': 'RS256', 'typ': 'JWT'})}.{segment(claims)}.signature"
    emit(args, token if option(args, "--query") == "accessToken" else {"accessToken": token})


def graph(args, state):
    print("Insufficient privileges to complete the operation.", file=sys.stderr)
    return 1


def vault_show(args, state):
    name = option(args, "--name")
    emit(args, f"/subscriptions/s/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/{name}")


def role_assignment_list(args, state):
    """Assignments at the scope with the role; the script filters by principalId in its query."""
    scope, role = option(args, "--scope"), option(args, "--role")
    matching = [a for a in state["role_assignments"] if a["scope"] == scope and a["role"] == role]
    query = option(args, "--query") or ""
    if "principalId==" in query:
        principal = query.split("principalId=='")[1].split("'")[0]
        matching = [a for a in matching if a["principalId"] == principal]
    emit(args, [f"{scope}/providers/Microsoft.Authorization/roleAssignments/{i}" for i, _ in enumerate(matching)])


def role_assignment_create(args, state):
    state["role_assignments"].append(
        {
            "scope": option(args, "--scope"),
            "role": option(args, "--role"),
            "principalId": option(args, "--assignee-object-id"),
            "principalType": option(args, "--assignee-principal-type"),
        }
    )


def provider_show(args, state):
    emit(args, "Registered" if option(args, "--namespace") in state["registered"] else "NotRegistered")


def provider_register(args, state):
    state["registered"].append(option(args, "--namespace"))


def deployment_create(args, state):
    state["deployments"].append(args)
    emit(args, deployment_outputs(args))


def secret_list_deleted(args, state):
    emit(args, sorted(state["deleted"].get(option(args, "--vault-name"), {})))


def secret_list(args, state):
    if state["forbidden_lists"] > 0:  # the deployer's role has not propagated yet
        state["forbidden_lists"] -= 1
        print("(Forbidden) Caller is not authorized to perform action on resource.", file=sys.stderr)
        return 1
    emit(args, sorted(state["secrets"].get(option(args, "--vault-name"), {})))
    return 0


def secret_set(args, state):
    vault, name = option(args, "--vault-name"), option(args, "--name")
    if option(args, "--file"):
        state["secret_file_modes"].append(Path(option(args, "--file")).stat().st_mode & 0o777)
    value = option(args, "--value") or Path(option(args, "--file")).read_text(encoding="utf-8")
    state["secrets"].setdefault(vault, {})[name] = value
    emit(args, {"id": f"https://{vault}.vault.azure.net/secrets/{name}/1", "value": value})


def secret_recover(args, state):
    vault, name = option(args, "--vault-name"), option(args, "--name")
    state["secrets"].setdefault(vault, {})[name] = state["deleted"][vault].pop(name)


def publish(args, state):
    with zipfile.ZipFile(option(args, "--src")) as package:
        state["published"].append(sorted(package.namelist()))


# Longest prefixes first: "keyvault secret list-deleted" before "keyvault secret list".
COMMANDS = {
    "account show": account,
    "account get-access-token": access_token,
    "ad signed-in-user show": graph,
    "ad sp show": graph,
    "keyvault show": vault_show,
    "role assignment list": role_assignment_list,
    "role assignment create": role_assignment_create,
    "provider show": provider_show,
    "provider register": provider_register,
    "deployment sub create": deployment_create,
    "keyvault secret list-deleted": secret_list_deleted,
    "keyvault secret list": secret_list,
    "keyvault secret set": secret_set,
    "keyvault secret recover": secret_recover,
    "functionapp deployment source config-zip": publish,
}


def main(args: list[str]) -> int:
    state = json.loads(STATE.read_text())
    state["calls"].append(args)
    words = " ".join(itertools.takewhile(lambda arg: not arg.startswith("-"), args))
    handler = next((handler for command, handler in COMMANDS.items() if words == command), None)
    if handler is None:
        print(f"fake az: unexpected command: {args}", file=sys.stderr)
        status = 2
    else:
        status = handler(args, state) or 0
    STATE.write_text(json.dumps(state))
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
