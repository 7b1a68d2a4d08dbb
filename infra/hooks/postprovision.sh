#!/bin/sh
# azd postprovision hook: create the first tenant's token in Key Vault unless it exists, so that
# `azd provision` and `azd up` run again never change a token Entra already has. azd passes the
# template's outputs as environment variables.
set -eu
exec bash ./scripts/deploy-steps ensure-token "$AZURE_KEY_VAULT_NAME" "$SCIM_FIRST_TENANT"
