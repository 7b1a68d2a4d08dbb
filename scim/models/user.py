"""The User resource (RFC 7643 section 4.1) and the enterprise extension (section 4.3)."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field, field_validator

from scim.models import tolerances
from scim.models.base import Scim, ScimObject
from scim.models.common import Meta, MultiValued, Reference

USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
ENTERPRISE_USER_SCHEMA = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"

READ_ONLY = Scim(mutability="readOnly")


class Name(ScimObject):
    """RFC 7643 section 4.1.1 ``name``."""

    formatted: str | None = None
    familyName: str | None = None
    givenName: str | None = None
    middleName: str | None = None
    honorificPrefix: str | None = None
    honorificSuffix: str | None = None


# The ``type`` sub-attributes carry the canonical values RFC 7643 section 4.1.2 gives them.


class Email(MultiValued):
    """RFC 7643 section 4.1.2 ``emails``."""

    type: Annotated[str | None, Scim(canonical_values=("work", "home", "other"))] = None


class PhoneNumber(MultiValued):
    """RFC 7643 section 4.1.2 ``phoneNumbers``."""

    type: Annotated[str | None, Scim(canonical_values=("work", "home", "mobile", "fax", "pager", "other"))] = None


class InstantMessaging(MultiValued):
    """RFC 7643 section 4.1.2 ``ims``."""

    type: Annotated[
        str | None, Scim(canonical_values=("aim", "gtalk", "icq", "xmpp", "msn", "skype", "qq", "yahoo"))
    ] = None


class Address(ScimObject):
    """RFC 7643 section 4.1.2 ``addresses``."""

    formatted: str | None = None
    streetAddress: str | None = None
    locality: str | None = None
    region: str | None = None
    postalCode: str | None = None
    country: str | None = None
    type: Annotated[str | None, Scim(canonical_values=("work", "home", "other"))] = None
    primary: tolerances.Boolean | None = None


class X509Certificate(MultiValued):
    """RFC 7643 section 4.1.2 ``x509Certificates``: a base64 DER certificate, compared exactly."""

    value: Annotated[str | None, Scim(case_exact=True, type="binary")] = None


class Photo(MultiValued):
    """RFC 7643 section 4.1.2 ``photos``: the URL of an image."""

    value: Annotated[str | None, Scim(case_exact=True, type="reference", reference_types=("external",))] = None
    type: Annotated[str | None, Scim(canonical_values=("photo", "thumbnail"))] = None


class Manager(ScimObject):
    """RFC 7643 section 4.3 ``manager``: the manager's id, and what the provider fills in."""

    value: str | None = None
    ref: Annotated[
        str | None, Field(alias="$ref"), Scim(case_exact=True, type="reference", reference_types=("User",))
    ] = None
    displayName: Annotated[str | None, Scim(mutability="readOnly")] = None


class EnterpriseUser(ScimObject):
    """RFC 7643 section 4.3, the enterprise User extension."""

    employeeNumber: str | None = None
    costCenter: str | None = None
    organization: str | None = None
    division: str | None = None
    department: str | None = None
    manager: Manager | None = None

    @field_validator("manager", mode="before")
    @classmethod
    def _manager_as_entra_sends_it(cls, value: Any) -> Any:
        return tolerances.manager_value(value)


class User(ScimObject):
    """RFC 7643 section 4.1. ``id``, ``meta`` and ``groups`` are the server's."""

    schemas: Annotated[list[str] | None, Scim(returned="always", case_exact=True)] = None
    id: Annotated[str | None, Scim(mutability="readOnly", returned="always", case_exact=True, uniqueness="server")] = (
        None
    )
    externalId: Annotated[str | None, Scim(case_exact=True)] = None
    userName: Annotated[str, Scim(required=True, uniqueness="server")]
    name: Name | None = None
    displayName: str | None = None
    nickName: str | None = None
    profileUrl: Annotated[str | None, Scim(type="reference", reference_types=("external",))] = None
    title: str | None = None
    userType: str | None = None
    preferredLanguage: str | None = None
    locale: str | None = None
    timezone: str | None = None
    active: tolerances.Boolean | None = None
    # RFC 7643 section 4.1.1: writeOnly, returned never. Accepted on POST, PUT and PATCH and never
    # stored (see ResourceService._validated); ServiceProviderConfig says changePassword false.
    password: Annotated[str | None, Scim(mutability="writeOnly", returned="never")] = None
    emails: list[Email] | None = None
    phoneNumbers: list[PhoneNumber] | None = None
    ims: list[InstantMessaging] | None = None
    photos: list[Photo] | None = None
    addresses: list[Address] | None = None
    groups: Annotated[list[Reference] | None, READ_ONLY] = None
    entitlements: list[MultiValued] | None = None
    roles: list[MultiValued] | None = None
    x509Certificates: list[X509Certificate] | None = None
    enterprise: Annotated[EnterpriseUser | None, Field(alias=ENTERPRISE_USER_SCHEMA)] = None
    meta: Annotated[Meta | None, READ_ONLY] = None

    @field_validator("roles", "entitlements", mode="before")
    @classmethod
    def _roles_as_entra_sends_them(cls, value: Any) -> Any:
        return [tolerances.role_value(item) for item in value] if isinstance(value, list) else value

    @field_validator("userName")
    @classmethod
    def _user_name_is_not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("userName must not be blank")
        return value
