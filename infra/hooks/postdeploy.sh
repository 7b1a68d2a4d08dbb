#!/bin/sh
# azd postdeploy hook: print the Tenant URL and the command that reveals the Secret Token.
set -eu
exec bash ./scripts/deploy-steps summary "$AZURE_KEY_VAULT_NAME" "$SCIM_FIRST_TENANT" "$SCIM_TENANT_URL"
