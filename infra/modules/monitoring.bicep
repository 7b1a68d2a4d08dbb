// Logs and telemetry: a Log Analytics workspace and a workspace-based Application Insights.
//
// Local (instrumentation key) authentication is off on both, so telemetry is accepted only from
// Microsoft Entra identities holding Monitoring Metrics Publisher (the app's managed identity,
// see rbac.bicep); a leaked connection string cannot be used to inject telemetry.

param logAnalyticsName string
param applicationInsightsName string
param location string
param tags object = {}

@description('Days the workspace keeps logs.')
param retentionInDays int = 30

resource logAnalytics 'Microsoft.OperationalInsights/workspaces@2023-09-01' = {
  name: logAnalyticsName
  location: location
  tags: tags
  properties: {
    sku: {
      name: 'PerGB2018'
    }
    retentionInDays: retentionInDays
    features: {
      // Queries and ingestion with Entra identities only; no workspace shared keys.
      disableLocalAuth: true
    }
  }
}

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' = {
  name: applicationInsightsName
  location: location
  tags: tags
  kind: 'web'
  properties: {
    Application_Type: 'web'
    WorkspaceResourceId: logAnalytics.id
    IngestionMode: 'LogAnalytics'
    DisableLocalAuth: true
  }
}

output logAnalyticsWorkspaceId string = logAnalytics.id
output applicationInsightsName string = applicationInsights.name
output applicationInsightsId string = applicationInsights.id
