// The storage account: the Functions host's own storage (AzureWebJobsStorage), the Flex
// Consumption deployment container, the table holding every tenant's SCIM data, and the queues
// tenants' change events are pushed to (created by the app's event_push relay, one per registration).
//
// Shared keys are off: every caller (the app, the host, the deployment) authenticates with
// Microsoft Entra ID through role assignments (rbac.bicep), so there is no key to leak or rotate.

@minLength(3)
@maxLength(24)
param name string

param location string
param tags object = {}

@description('Blob container the Flex Consumption app runs its deployment package from.')
param deploymentContainerName string

@description('The table holding all tenants\' data (one partition per tenant).')
param tableName string

@allowed([
  'Standard_LRS'
  'Standard_ZRS'
])
@description('Redundancy. LRS is offered in every region; choose ZRS where the region has availability zones.')
param skuName string = 'Standard_LRS'

resource account 'Microsoft.Storage/storageAccounts@2025-01-01' = {
  // checkov:skip=CKV_AZURE_35: without VNet integration a Flex Consumption app has no fixed outbound addresses to allow; access is by Entra ID roles only (shared keys off)
  // checkov:skip=CKV_AZURE_59: same reason: the app reaches storage over the public endpoint; every request needs an Entra ID token and a data role
  // checkov:skip=CKV_AZURE_206: LRS by default so that the template deploys in every Flex Consumption region; set storageSkuName=Standard_ZRS where the region has zones
  name: name
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: {
    name: skuName
  }
  properties: {
    accessTier: 'Hot'
    allowSharedKeyAccess: false
    // The portal and tools default to Entra ID too, instead of trying (disabled) keys first.
    defaultToOAuthAuthentication: true
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    allowBlobPublicAccess: false
    allowCrossTenantReplication: false
    // Reached over its public endpoint: a Flex Consumption app without VNet integration has no
    // fixed outbound addresses to allow-list. Access is governed by Entra ID roles instead.
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      defaultAction: 'Allow'
      bypass: 'AzureServices'
    }
  }

  resource blobServices 'blobServices' = {
    name: 'default'
    properties: {
      // Deleted or overwritten deployment packages stay recoverable for a week.
      deleteRetentionPolicy: {
        enabled: true
        days: 7
      }
      containerDeleteRetentionPolicy: {
        enabled: true
        days: 7
      }
    }

    resource deploymentContainer 'containers' = {
      name: deploymentContainerName
      properties: {
        publicAccess: 'None'
      }
    }
  }

  resource tableServices 'tableServices' = {
    name: 'default'

    // Created here, not on first use: the app's role is scoped to this one table.
    resource table 'tables' = {
      name: tableName
    }
  }
}

output name string = account.name
output id string = account.id
// Ends with '/'; the deployment container URL is this plus the container name.
output blobEndpoint string = account.properties.primaryEndpoints.blob
// https://<account>.table.core.windows.net, no trailing slash: the form SCIM_STORAGE_TABLE_ENDPOINT takes.
output tableEndpoint string = 'https://${account.name}.table.${environment().suffixes.storage}'
// https://<account>.queue.core.windows.net, the form SCIM_EVENTS_QUEUE_ENDPOINT takes.
output queueEndpoint string = 'https://${account.name}.queue.${environment().suffixes.storage}'
