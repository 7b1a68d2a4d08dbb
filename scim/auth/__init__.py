"""Authentication: where tenants' secret tokens come from and how a bearer token is checked."""
