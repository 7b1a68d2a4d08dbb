#!/bin/sh
# azd postprovision hook: create the first tenant's token and the first OAuth access-token signing
# key in Key Vault unless they exist, so that `azd provision` and `azd up` run again never change a
# token Entra already has nor a signing key. azd passes the template's outputs as environment
# variables.
#
# The template gives Key Vault Secrets Officer to azd's principal (AZURE_PRINCIPAL_ID), but this
# hook talks to Key Vault as the az login, which may be another account or identity: grant it
# the role too first (a no-op when the two are the same).
set -eu
bash ./scripts/deploy-steps ensure-secrets-officer "$AZURE_KEY_VAULT_NAME"
bash ./scripts/deploy-steps ensure-token "$AZURE_KEY_VAULT_NAME" "$SCIM_FIRST_TENANT"
exec bash ./scripts/deploy-steps ensure-signing-key "$AZURE_KEY_VAULT_NAME"
