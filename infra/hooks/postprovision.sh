#!/bin/sh
# azd postprovision hook: create the first tenant's token in Key Vault unless it exists, so that
# `azd provision` and `azd up` run again never change a token Entra already has. azd passes the
# template's outputs as environment variables.
#
# The template gives Key Vault Secrets Officer to azd's principal (AZURE_PRINCIPAL_ID), but this
# hook talks to Key Vault as the az login, which may be another account or identity: grant it
# the role too first (a no-op when the two are the same).
set -eu
bash ./scripts/deploy-steps ensure-secrets-officer "$AZURE_KEY_VAULT_NAME"
exec bash ./scripts/deploy-steps ensure-token "$AZURE_KEY_VAULT_NAME" "$SCIM_FIRST_TENANT"
