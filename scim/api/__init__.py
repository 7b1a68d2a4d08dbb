"""The HTTP adapter: request and response translation, authentication, SCIM error responses."""
