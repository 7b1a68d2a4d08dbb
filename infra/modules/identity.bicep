// The user-assigned managed identity the function app runs as.
//
// User-assigned rather than system-assigned: it exists before the app, so every role assignment
// can be made (and can propagate) before the first start, and it survives re-creating the app.
// The app selects it by client id (AZURE_CLIENT_ID, AzureWebJobsStorage__clientId).

@description('Name of the identity.')
param name string

param location string
param tags object = {}

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: name
  location: location
  tags: tags
}

output id string = identity.id
output name string = identity.name
output clientId string = identity.properties.clientId
output principalId string = identity.properties.principalId
