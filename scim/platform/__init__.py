"""What every layer may use and that belongs to none: the Azure credential of the function app's
managed identity, and the per-request count of storage requests. Imports nothing else of ``scim``."""
