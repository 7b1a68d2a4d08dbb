// SCIM 2.0 endpoint: everything from an empty subscription to a working Tenant URL.
//
// Subscription scope so that one deployment also creates the resource group (what azd expects).
// This file only orchestrates; each module holds one concern and says why it is configured the
// way it is. Deploy with `azd up`, or with scripts/deploy (plain `az deployment sub create`).
targetScope = 'subscription'

@minLength(1)
@maxLength(64)
@description('Name of the environment (azd environment name); with the subscription and location it seeds every resource name.')
param environmentName string

@minLength(1)
@description('Azure region for every resource. It must offer the Flex Consumption plan: az functionapp list-flexconsumption-locations')
@metadata({
  azd: {
    type: 'location'
  }
})
param location string

@minLength(1)
@maxLength(63)
@description('Slug of the first SCIM tenant ([a-z0-9-]{1,63}); its Tenant URL is the SCIM_TENANT_URL output. Its token is created by the deploy script, never by this template.')
param firstTenant string = 'default'

@description('Object id of whoever deploys (azd fills AZURE_PRINCIPAL_ID). It gets Key Vault Secrets Officer so that it can create and rotate tenant tokens; empty: no such assignment.')
param principalId string = ''

@allowed([
  'User'
  'ServicePrincipal'
])
@description('Kind of principalId: User for a person, ServicePrincipal for a pipeline identity.')
param principalType string = 'User'

@description('E-mail address the alert rules notify (an action group is created for it); empty: alerts show in the portal only.')
param alertEmail string = ''

@description('Name of the resource group to create; default rg-<environmentName>.')
param resourceGroupName string = ''

@allowed([
  512
  2048
  4096
])
@description('Memory of each Flex Consumption instance, in MB. 2048 is the platform default; SCIM requests are small, 512 is the cheapest.')
param instanceMemoryMB int = 2048

@minValue(40)
@maxValue(1000)
@description('Upper bound on scale-out (the Flex Consumption minimum is 40); a ceiling on cost and on load sent to Table Storage.')
param maximumInstanceCount int = 40

@allowed([
  'Standard_LRS'
  'Standard_ZRS'
])
@description('Storage redundancy: LRS is offered in every region; ZRS survives a zone outage where the region has zones.')
param storageSkuName string = 'Standard_LRS'

@minValue(7)
@maxValue(90)
@description('Days a deleted vault or secret stays recoverable. Fixed when the vault is created; with purge protection the vault name stays taken that long after a teardown.')
param keyVaultRetentionDays int = 90

@minValue(30)
@maxValue(730)
@description('Days Log Analytics keeps logs (the first 31 are included in the ingestion price).')
param logRetentionDays int = 30

// The Python version CI tests with; tests/infra compares it with the interpreter running the tests.
var pythonVersion = '3.11'

// The table holding every tenant's data (the app's SCIM_TABLE_NAME default).
var tableName = 'scim'

var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
var tags = {
  'azd-env-name': environmentName
}
var functionAppName = 'func-${resourceToken}'
// Flex Consumption runs the package from this blob container; one per app, named after it.
var deploymentContainerName = 'app-package-${take(functionAppName, 32)}'

resource rg 'Microsoft.Resources/resourceGroups@2022-09-01' = {
  name: empty(resourceGroupName) ? 'rg-${environmentName}' : resourceGroupName
  location: location
  tags: tags
}

module identity 'modules/identity.bicep' = {
  name: 'identity'
  scope: rg
  params: {
    name: 'id-${resourceToken}'
    location: location
    tags: tags
  }
}

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring'
  scope: rg
  params: {
    logAnalyticsName: 'log-${resourceToken}'
    applicationInsightsName: 'appi-${resourceToken}'
    location: location
    tags: tags
    retentionInDays: logRetentionDays
  }
}

// The provisioning workbook and the alert rules, on the workspace the telemetry lands in.
module operations 'modules/operations.bicep' = {
  name: 'operations'
  scope: rg
  params: {
    location: location
    tags: tags
    logAnalyticsWorkspaceId: monitoring.outputs.logAnalyticsWorkspaceId
    alertEmail: alertEmail
  }
}

module storage 'modules/storage.bicep' = {
  name: 'storage'
  scope: rg
  params: {
    name: 'st${resourceToken}'
    location: location
    tags: tags
    skuName: storageSkuName
    deploymentContainerName: deploymentContainerName
    tableName: tableName
  }
}

module keyVault 'modules/keyvault.bicep' = {
  name: 'keyvault'
  scope: rg
  params: {
    name: 'kv-${resourceToken}'
    location: location
    tags: tags
    softDeleteRetentionInDays: keyVaultRetentionDays
    logAnalyticsWorkspaceId: monitoring.outputs.logAnalyticsWorkspaceId
  }
}

// Every role assignment, in one place, before the app exists: the first start of the host
// already finds its storage, its tokens and its telemetry sink reachable.
module rbac 'modules/rbac.bicep' = {
  name: 'rbac'
  scope: rg
  params: {
    storageAccountName: storage.outputs.name
    tableName: tableName
    keyVaultName: keyVault.outputs.name
    applicationInsightsName: monitoring.outputs.applicationInsightsName
    appPrincipalId: identity.outputs.principalId
    deployerPrincipalId: principalId
    deployerPrincipalType: principalType
  }
}

module functionApp 'modules/functionapp.bicep' = {
  name: 'functionapp'
  scope: rg
  params: {
    planName: 'plan-${resourceToken}'
    name: functionAppName
    location: location
    tags: tags
    pythonVersion: pythonVersion
    instanceMemoryMB: instanceMemoryMB
    maximumInstanceCount: maximumInstanceCount
    identityId: identity.outputs.id
    identityClientId: identity.outputs.clientId
    blobEndpoint: storage.outputs.blobEndpoint
    deploymentContainerUrl: '${storage.outputs.blobEndpoint}${deploymentContainerName}'
    tableEndpoint: storage.outputs.tableEndpoint
    tableName: tableName
    queueEndpoint: storage.outputs.queueEndpoint
    keyVaultUri: keyVault.outputs.uri
    applicationInsightsName: monitoring.outputs.applicationInsightsName
  }
  dependsOn: [
    rbac
  ]
}

// Outputs: azd stores each one in the environment (.azure/<env>/.env); the deploy scripts read
// them. Names and endpoints only, never a key, a connection string or a token.
output AZURE_LOCATION string = location
output AZURE_TENANT_ID string = tenant().tenantId
output AZURE_RESOURCE_GROUP string = rg.name
output AZURE_FUNCTION_APP_NAME string = functionApp.outputs.name
output AZURE_KEY_VAULT_NAME string = keyVault.outputs.name
output AZURE_STORAGE_ACCOUNT_NAME string = storage.outputs.name
output AZURE_APPLICATION_INSIGHTS_NAME string = monitoring.outputs.applicationInsightsName
output SCIM_KEY_VAULT_URL string = keyVault.outputs.uri
output SCIM_STORAGE_TABLE_ENDPOINT string = storage.outputs.tableEndpoint
output SCIM_EVENTS_QUEUE_ENDPOINT string = storage.outputs.queueEndpoint
output SCIM_TABLE_NAME string = tableName
output SCIM_FIRST_TENANT string = firstTenant
output SCIM_TOKEN_SECRET_NAME string = 'scim-tenant-${firstTenant}'
output SCIM_TENANT_URL string = 'https://${functionApp.outputs.defaultHostName}/scim/${firstTenant}/v2'
