"""Table Storage: resources and their index rows, one partition per tenant. No SCIM rules here."""
