// What an operator watches: a workbook of provisioning activity and alert rules, all on the
// Log Analytics workspace behind Application Insights.
//
// Two sources, both in the workspace: AppRequests, the Functions host's record of every
// invocation (never sampled: host.json excludes requests from sampling), and AppTraces lines
// "SCIM request tenant=<slug> operation=<METHOD endpoint> status=<code>" written by the app for
// every SCIM request (scim/api/adapter.py). Traces may be sampled, so counts sum ItemCount.
// tests/infra/test_operations.py checks every query against log lines the app really writes.

param location string
param tags object = {}

@description('Resource id of the Log Analytics workspace the app\'s telemetry lands in.')
param logAnalyticsWorkspaceId string

@description('E-mail address that alerts are sent to; empty: the alert rules fire in the portal only.')
param alertEmail string = ''

var actionGroups = empty(alertEmail) ? [] : [alertGroup.id]

resource workbook 'Microsoft.Insights/workbooks@2023-06-01' = {
  // A workbook's name must be a GUID; derived, so a redeploy updates the same workbook.
  name: guid(resourceGroup().id, 'scim-provisioning-workbook')
  location: location
  tags: tags
  kind: 'shared'
  properties: {
    displayName: 'SCIM provisioning'
    category: 'workbook'
    version: 'Notebook/1.0'
    sourceId: logAnalyticsWorkspaceId
    serializedData: replace(loadTextContent('workbook.json'), '__WORKSPACE_ID__', logAnalyticsWorkspaceId)
  }
}

resource alertGroup 'Microsoft.Insights/actionGroups@2023-01-01' = if (!empty(alertEmail)) {
  name: 'ag-scim-${uniqueString(resourceGroup().id)}'
  location: 'global'
  tags: tags
  properties: {
    groupShortName: 'scim-alerts'
    enabled: true
    emailReceivers: [
      {
        name: 'operator'
        emailAddress: alertEmail
        useCommonAlertSchema: true
      }
    ]
  }
}

// Entra quarantines a provisioning job that keeps failing: server errors need attention early.
resource serverErrorRate 'Microsoft.Insights/scheduledQueryRules@2022-06-15' = {
  name: 'scim-server-error-rate'
  location: location
  tags: tags
  kind: 'LogAlert'
  properties: {
    displayName: 'SCIM: more than 5% of requests answered 5xx'
    description: 'Share of SCIM requests the host answered with a 5xx status over 15 minutes (at least 20 requests).'
    severity: 1
    enabled: true
    scopes: [
      logAnalyticsWorkspaceId
    ]
    evaluationFrequency: 'PT5M'
    windowSize: 'PT15M'
    criteria: {
      allOf: [
        {
          query: 'AppRequests\n| where Url has "/scim/"\n| summarize Total = sum(ItemCount), ServerErrors = sumif(ItemCount, toint(ResultCode) >= 500)\n| where Total >= 20\n| extend ServerErrorPercent = 100.0 * ServerErrors / Total\n'
          timeAggregation: 'Maximum'
          metricMeasureColumn: 'ServerErrorPercent'
          operator: 'GreaterThan'
          threshold: 5
          failingPeriods: {
            numberOfEvaluationPeriods: 1
            minFailingPeriodsToAlert: 1
          }
        }
      ]
    }
    autoMitigate: true
    actions: {
      actionGroups: actionGroups
    }
  }
}

// A burst of 401s for one tenant: a rotated or revoked token Entra still sends, or someone guessing.
resource unauthorizedBurst 'Microsoft.Insights/scheduledQueryRules@2022-06-15' = {
  name: 'scim-unauthorized-burst'
  location: location
  tags: tags
  kind: 'LogAlert'
  properties: {
    displayName: 'SCIM: burst of 401 responses for a tenant'
    description: 'More than 20 requests of one tenant answered 401 within 15 minutes; the Tenant dimension names it.'
    severity: 2
    enabled: true
    scopes: [
      logAnalyticsWorkspaceId
    ]
    evaluationFrequency: 'PT5M'
    windowSize: 'PT15M'
    criteria: {
      allOf: [
        {
          query: 'AppTraces\n| where Message startswith "SCIM request "\n| parse Message with "SCIM request tenant=" Tenant " operation=" Operation " status=" Status:int\n| where Status == 401\n| summarize Unauthorized = sum(ItemCount) by Tenant\n'
          timeAggregation: 'Total'
          metricMeasureColumn: 'Unauthorized'
          dimensions: [
            {
              name: 'Tenant'
              operator: 'Include'
              values: [
                '*'
              ]
            }
          ]
          operator: 'GreaterThan'
          threshold: 20
          failingPeriods: {
            numberOfEvaluationPeriods: 1
            minFailingPeriodsToAlert: 1
          }
        }
      ]
    }
    autoMitigate: true
    actions: {
      actionGroups: actionGroups
    }
  }
}

// The app cannot read tenants' tokens: within the grace period cached tokens still work, after
// it every request is 503 (scim/auth/cache.py).
resource keyVaultFailures 'Microsoft.Insights/scheduledQueryRules@2022-06-15' = {
  name: 'scim-key-vault-failures'
  location: location
  tags: tags
  kind: 'LogAlert'
  properties: {
    displayName: 'SCIM: Key Vault unreachable or a tenant record unreadable'
    description: 'The app logged that Key Vault could not be read, or that a tenant\'s secret is not a valid record.'
    severity: 1
    enabled: true
    scopes: [
      logAnalyticsWorkspaceId
    ]
    evaluationFrequency: 'PT5M'
    windowSize: 'PT15M'
    criteria: {
      allOf: [
        {
          query: 'AppTraces\n| where Message startswith "Token store unavailable" or Message startswith "Key Vault secret "\n| summarize Failures = sum(ItemCount)\n'
          timeAggregation: 'Total'
          metricMeasureColumn: 'Failures'
          operator: 'GreaterThan'
          threshold: 0
          failingPeriods: {
            numberOfEvaluationPeriods: 1
            minFailingPeriodsToAlert: 1
          }
        }
      ]
    }
    autoMitigate: true
    actions: {
      actionGroups: actionGroups
    }
  }
}

output workbookId string = workbook.id
