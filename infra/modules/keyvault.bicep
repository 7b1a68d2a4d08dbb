// The Key Vault holding one secret per SCIM tenant, named scim-tenant-<tenant slug>, whose value
// is the tenant's JSON record ({"current": "<token>"}; see scim/auth/records.py), and the secret
// scim-oauth-signing-key, whose versions are the keys that sign OAuth access tokens (see
// scim/auth/signing_keys.py).
//
// The template creates no secret: the deploy script creates the first tenant's secret and the
// first signing key only when they are absent (scripts/deploy-steps ensure-token,
// ensure-signing-key), so a redeploy never changes or rotates a token or a key and neither ever
// passes through ARM deployment history.

@minLength(3)
@maxLength(24)
param name string

param location string
param tags object = {}

@minValue(7)
@maxValue(90)
@description('Days a deleted vault or secret stays recoverable; cannot be changed after creation.')
param softDeleteRetentionInDays int = 90

@description('Workspace receiving the vault\'s audit log (who read or changed which secret).')
param logAnalyticsWorkspaceId string

resource vault 'Microsoft.KeyVault/vaults@2025-05-01' = {
  // checkov:skip=CKV_AZURE_109: a firewall would block the Flex Consumption app, which has no VNet and no fixed outbound addresses; access is by Entra ID roles (RBAC mode)
  // checkov:skip=CKV_AZURE_189: same reason: the app reads tokens over the public endpoint with its managed identity; no access policy or key exists
  name: name
  location: location
  tags: tags
  properties: {
    tenantId: subscription().tenantId
    sku: {
      family: 'A'
      name: 'standard'
    }
    // Azure RBAC, not access policies: the app gets Key Vault Secrets User (read only) and the
    // deployer Key Vault Secrets Officer, both in rbac.bicep.
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: softDeleteRetentionInDays
    // A deleted vault or secret cannot be purged before its retention ends, not even by an owner.
    enablePurgeProtection: true
    enabledForDeployment: false
    enabledForDiskEncryption: false
    enabledForTemplateDeployment: false
    // Public endpoint: the Flex Consumption app has no VNet and no fixed outbound addresses.
    // Every data-plane call still needs an Entra identity with a role on this vault.
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      defaultAction: 'Allow'
      bypass: 'AzureServices'
    }
  }
}

// Every secret read, write and failed attempt lands in Log Analytics (AzureDiagnostics/AuditEvent).
resource auditLogs 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'audit-to-log-analytics'
  scope: vault
  properties: {
    workspaceId: logAnalyticsWorkspaceId
    logs: [
      {
        categoryGroup: 'audit'
        enabled: true
      }
    ]
  }
}

output name string = vault.name
output id string = vault.id
// https://<vault>.vault.azure.net/ (SCIM_KEY_VAULT_URL).
output uri string = vault.properties.vaultUri
