"""Discovery (RFC 7644 section 4; RFC 7643 sections 5 to 7), generated from the models.

The schemas and resource types served here are derived from the same pydantic models, declared
extension schemas and attribute characteristics the service validates with, so they cannot drift
from the behaviour. The discovery routes are authenticated, so each answers for the calling
tenant: the deployment's and the tenant's own extensions, never another tenant's.
Nothing here is null: absent values are left out.
"""

from __future__ import annotations

from typing import Any

from scim.errors import NotFound
from scim.models.base import AttributeSource, attributes
from scim.models.messages import LIST_RESPONSE_SCHEMA
from scim.models.resource_types import GROUP, USER, ResourceType
from scim.service.events import EVENT_URIS
from scim.service.query import CURSOR_SUPPORTED, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, SORT_SUPPORTED
from scim.service.resources import ETAG_SUPPORTED

SERVICE_PROVIDER_CONFIG_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"
SCHEMA_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Schema"
RESOURCE_TYPE_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:ResourceType"
RESOURCE_TYPES: tuple[ResourceType, ...] = (USER, GROUP)
# Attributes every resource has (RFC 7643 section 3.1), which schema definitions leave out;
# externalId is listed, as Microsoft's schema-discoverability test expects it for Users and Groups.
COMMON_ATTRIBUTES = frozenset({"schemas", "id", "meta"})
DESCRIPTIONS = {
    USER.schema: ("User", "User Account"),
    GROUP.schema: ("Group", "Group"),
}
EXTENSION_DESCRIPTIONS = {
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": ("EnterpriseUser", "Enterprise User"),
}


BEARER_SCHEME = {
    "type": "oauthbearertoken",
    "name": "OAuth Bearer Token",
    "description": "The tenant's Secret Token, sent as 'Authorization: Bearer <token>'",
    "specUri": "https://www.rfc-editor.org/info/rfc6750",
}
OAUTH2_SCHEME = {
    "type": "oauth2",
    "name": "OAuth 2.0 client credentials",
    "description": "An access token from the Token Endpoint {Tenant URL}/oauth2/token (client secret or"
    " an Entra-issued client assertion), sent as 'Authorization: Bearer <token>'",
    "specUri": "https://www.rfc-editor.org/info/rfc6749",
}
# Which scheme each of a tenant's methods (scim.auth.records.TenantCredentials.methods) is.
SCHEME_OF_METHOD = {
    "bearer": BEARER_SCHEME,
    "entra": BEARER_SCHEME,
    "oauth": OAUTH2_SCHEME,
    "federation": OAUTH2_SCHEME,
}


def authentication_schemes(methods: tuple[str, ...] | None) -> list[dict[str, Any]]:
    """The schemes a tenant accepts; every scheme the service offers when the caller is not known
    (``None``), so that an unauthenticated reader learns nothing about a tenant. The first is primary."""
    schemes = [BEARER_SCHEME, OAUTH2_SCHEME] if methods is None else [SCHEME_OF_METHOD[method] for method in methods]
    unique = [scheme for index, scheme in enumerate(schemes) if scheme not in schemes[:index]]
    return [{**scheme, "primary": index == 0} for index, scheme in enumerate(unique)]


def service_provider_config(
    tenant_url: str, methods: tuple[str, ...] | None = None, *, security_events: bool = False
) -> dict[str, Any]:
    """RFC 7643 section 5: what this service provider implements, and nothing more; the
    authentication schemes of the calling tenant (``methods``) when it is known, and the events it
    can read (RFC 9967 section 4) when it has an event reader (``security_events``)."""
    from scim.service.bulk import MAX_OPERATIONS, MAX_PAYLOAD_BYTES  # not at cold start: few requests need it

    config: dict[str, Any] = {
        "schemas": [SERVICE_PROVIDER_CONFIG_SCHEMA],
        "patch": {"supported": True},
        "bulk": {"supported": True, "maxOperations": MAX_OPERATIONS, "maxPayloadSize": MAX_PAYLOAD_BYTES},
        "filter": {"supported": True, "maxResults": MAX_PAGE_SIZE},
        "changePassword": {"supported": False},
        "sort": {"supported": SORT_SUPPORTED},
        "etag": {"supported": ETAG_SUPPORTED},
        # RFC 9865 section 4; cursors do not expire, so no cursorTimeout is advertised.
        "pagination": {
            "cursor": CURSOR_SUPPORTED,
            "index": True,
            "defaultPaginationMethod": "index",
            "defaultPageSize": DEFAULT_PAGE_SIZE,
            "maxPageSize": MAX_PAGE_SIZE,
        },
        "authenticationSchemes": authentication_schemes(methods),
        "meta": {"resourceType": "ServiceProviderConfig", "location": f"{tenant_url}/ServiceProviderConfig"},
    }
    if security_events:
        # RFC 9967 section 4: the events this service issues, by poll at {Tenant URL}/Events (RFC 8936).
        # Only to a tenant that can read them: clients built on RFC 7643 alone (scim2-models among
        # them) refuse an attribute they do not know.
        config["securityEvents"] = {"asyncRequest": "none", "eventUris": list(EVENT_URIS)}
    return config


def schemas(tenant_url: str, served: tuple[ResourceType, ...] = RESOURCE_TYPES) -> dict[str, Any]:
    """RFC 7644 section 4: every schema served (``served``: the resource types as the calling tenant
    has them, with its extensions), as a ListResponse."""
    return _list_response([_schema(tenant_url, urn, model, served) for urn, model in _all_schemas(served).items()])


def schema(tenant_url: str, schema_id: str, served: tuple[ResourceType, ...] = RESOURCE_TYPES) -> dict[str, Any]:
    """One schema by its URN (in any letter case), or 404."""
    for urn, model in _all_schemas(served).items():
        if urn.lower() == schema_id.lower():
            return _schema(tenant_url, urn, model, served)
    raise NotFound(f"no schema {schema_id}")


def resource_types(tenant_url: str, served: tuple[ResourceType, ...] = RESOURCE_TYPES) -> dict[str, Any]:
    """RFC 7644 section 4: every resource type served, as a ListResponse."""
    return _list_response([_resource_type(tenant_url, resource_type) for resource_type in served])


def resource_type(tenant_url: str, name: str, served: tuple[ResourceType, ...] = RESOURCE_TYPES) -> dict[str, Any]:
    """One resource type by name (in any letter case), or 404."""
    for candidate in served:
        if candidate.name.lower() == name.lower():
            return _resource_type(tenant_url, candidate)
    raise NotFound(f"no resource type {name}")


def _all_schemas(served: tuple[ResourceType, ...]) -> dict[str, AttributeSource]:
    found: dict[str, AttributeSource] = {}
    for resource_type in served:
        found[resource_type.schema] = resource_type.model
        found.update(resource_type.extensions)
    return found


def _list_response(resources: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "schemas": [LIST_RESPONSE_SCHEMA],
        "totalResults": len(resources),
        "startIndex": 1,
        "itemsPerPage": len(resources),
        "Resources": resources,
    }


def _schema(tenant_url: str, urn: str, model: AttributeSource, served: tuple[ResourceType, ...]) -> dict[str, Any]:
    """RFC 7643 section 7: a schema and the characteristics of each of its attributes."""
    from scim.models.extension_schema import attribute_definition  # discovery only: not at cold start

    declared = {schema.urn: (schema.name, schema.description) for rt in served for schema in rt.declared}
    name, description = (DESCRIPTIONS | EXTENSION_DESCRIPTIONS | declared)[urn]
    definitions = [
        attribute_definition(info)
        for key, info in attributes(model).items()
        if key not in COMMON_ATTRIBUTES and not key.startswith("urn:")
    ]
    return {
        "schemas": [SCHEMA_SCHEMA],
        "id": urn,
        "name": name,
        "description": description,
        "attributes": definitions,
        "meta": {"resourceType": "Schema", "location": f"{tenant_url}/Schemas/{urn}"},
    }


def _resource_type(tenant_url: str, resource_type: ResourceType) -> dict[str, Any]:
    """RFC 7643 section 6: a resource type, its endpoint, schema and extensions."""
    described: dict[str, Any] = {
        "schemas": [RESOURCE_TYPE_SCHEMA],
        "id": resource_type.name,
        "name": resource_type.name,
        "description": DESCRIPTIONS[resource_type.schema][1],
        "endpoint": resource_type.endpoint,
        "schema": resource_type.schema,
        "meta": {"resourceType": "ResourceType", "location": f"{tenant_url}/ResourceTypes/{resource_type.name}"},
    }
    if resource_type.extensions:
        described["schemaExtensions"] = [{"schema": urn, "required": False} for urn in resource_type.extensions]
    return described
