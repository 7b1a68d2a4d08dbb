"""Tenant administration: the ``python -m scim.admin`` command line."""
