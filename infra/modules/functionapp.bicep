// The Flex Consumption (FC1) plan and the Linux function app serving the SCIM routes.
//
// Flex Consumption moved the runtime, scale and deployment settings from app settings into
// functionAppConfig; the app settings FUNCTIONS_WORKER_RUNTIME, FUNCTIONS_EXTENSION_VERSION,
// WEBSITE_RUN_FROM_PACKAGE and WEBSITE_CONTENT* are deprecated there and deliberately absent.
// Every connection uses the user-assigned managed identity: no key or connection string is set.

param planName string
param name string
param location string
param tags object = {}

@description('Python version of the worker; main.bicep passes the version CI tests with.')
param pythonVersion string

param instanceMemoryMB int = 2048
param maximumInstanceCount int = 40

@description('Resource id of the user-assigned managed identity.')
param identityId string

@description('Client id of that identity: how the host and the app select it.')
param identityClientId string

@description('https://<account>.blob.core.windows.net/: the only storage service the host uses.')
param blobEndpoint string

@description('URL of the blob container holding the deployment package.')
param deploymentContainerUrl string

@description('https://<account>.table.core.windows.net')
param tableEndpoint string

param tableName string

@description('https://<account>.queue.core.windows.net: where tenants\' change events are pushed.')
param queueEndpoint string

param keyVaultUri string
param applicationInsightsName string

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

resource plan 'Microsoft.Web/serverfarms@2024-11-01' = {
  // checkov:skip=CKV_AZURE_225: zone redundancy needs a region with zones, ZRS storage and billed always-ready instances; Entra retries a failed provisioning cycle
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    name: 'FC1'
    tier: 'FlexConsumption'
  }
  properties: {
    // Linux.
    reserved: true
  }
}

resource site 'Microsoft.Web/sites@2024-11-01' = {
  // checkov:skip=CKV_AZURE_222: Entra's provisioning service calls the Tenant URL from the internet; every request needs the tenant's bearer token
  // checkov:skip=CKV_AZURE_17: Entra's provisioning service authenticates with a bearer token and presents no client certificate
  // checkov:skip=CKV_AZURE_78: Flex Consumption has no FTP deployment (packages go to the blob container) and rejects siteConfig properties it does not support
  // checkov:skip=CKV_AZURE_18: HTTP version is not a Flex Consumption setting; siteConfig holds only minTlsVersion, as in Microsoft's Flex Consumption quickstart
  // checkov:skip=CKV_AZURE_67: same check for function apps: HTTP version is not a Flex Consumption setting
  // checkov:skip=CKV_AZURE_212: Flex Consumption scales from zero on demand; always-ready instances would be billed around the clock for a job that syncs every 40 minutes
  // checkov:skip=CKV_AZURE_213: every route requires a tenant's bearer token, so there is no anonymous path to probe; Flex Consumption replaces unhealthy instances itself
  name: name
  location: location
  // azd deploys the 'api' service of azure.yaml to the resource carrying this tag.
  tags: union(tags, { 'azd-service-name': 'api' })
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identityId}': {}
    }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    // Entra's provisioning service calls from the internet; the bearer token is checked in code.
    publicNetworkAccess: 'Enabled'
    siteConfig: {
      // Only what Flex Consumption accepts in siteConfig; the runtime lives in functionAppConfig.
      minTlsVersion: '1.2'
      // The complete list of app settings: a redeploy replaces anything set by hand in the portal.
      appSettings: [
        // Host storage through the managed identity (identity-based connection, no connection string).
        // The blob service only, as in Microsoft's HTTP-only Flex Consumption sample: __accountName
        // would make the host derive a table endpoint too, where its diagnostic-events writer gets
        // 403 (the identity may use the scim table only), logs a warning and switches itself off.
        {
          name: 'AzureWebJobsStorage__blobServiceUri'
          value: blobEndpoint
        }
        {
          name: 'AzureWebJobsStorage__credential'
          value: 'managedidentity'
        }
        {
          name: 'AzureWebJobsStorage__clientId'
          value: identityClientId
        }
        // Telemetry with Entra ID authentication (local auth is off on Application Insights). The
        // connection string only locates the resource; without the role it grants nothing.
        {
          name: 'APPLICATIONINSIGHTS_CONNECTION_STRING'
          value: applicationInsights.properties.ConnectionString
        }
        {
          name: 'APPLICATIONINSIGHTS_AUTHENTICATION_STRING'
          value: 'ClientId=${identityClientId};Authorization=AAD'
        }
        // Read by the SCIM code (scim/platform/credentials.py, scim/storage/tables.py, scim/auth/tokens.py):
        // the identity its credential uses, the table, and the vault holding tenants' tokens.
        {
          name: 'AZURE_CLIENT_ID'
          value: identityClientId
        }
        {
          name: 'SCIM_STORAGE_TABLE_ENDPOINT'
          value: tableEndpoint
        }
        {
          name: 'SCIM_TABLE_NAME'
          value: tableName
        }
        {
          name: 'SCIM_KEY_VAULT_URL'
          value: keyVaultUri
        }
        // The queue account of pushed change events (scim/storage/queues.py, docs/events.md).
        {
          name: 'SCIM_EVENTS_QUEUE_ENDPOINT'
          value: queueEndpoint
        }
      ]
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: deploymentContainerUrl
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identityId
          }
        }
      }
      scaleAndConcurrency: {
        instanceMemoryMB: instanceMemoryMB
        maximumInstanceCount: maximumInstanceCount
      }
      runtime: {
        name: 'python'
        version: pythonVersion
      }
    }
  }
}

output name string = site.name
output defaultHostName string = site.properties.defaultHostName
