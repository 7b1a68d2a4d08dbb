"""SCIM rules: every protocol and schema rule, no Azure and no HTTP."""
