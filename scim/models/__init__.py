"""Pydantic v2 models of SCIM resources and messages (RFC 7643, RFC 7644)."""
