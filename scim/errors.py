"""SCIM errors raised by any layer and turned into responses by the HTTP adapter alone.

RFC 7644 section 3.12: an error carries an HTTP status and, for 400 and some 409s, a
``scimType`` keyword.
"""

from __future__ import annotations


class ScimError(Exception):
    """An error the client should see as a SCIM Error response."""

    status: int = 400
    scim_type: str | None = None

    def __init__(self, detail: str, *, status: int | None = None, scim_type: str | None = None):
        super().__init__(detail)
        self.detail = detail
        if status is not None:
            self.status = status
        if scim_type is not None:
            self.scim_type = scim_type


class InvalidSyntax(ScimError):
    """The request body could not be parsed or violates the schema (400 invalidSyntax)."""

    scim_type = "invalidSyntax"


class InvalidValue(ScimError):
    """A required value is missing or a value is not compatible (400 invalidValue)."""

    scim_type = "invalidValue"


class InvalidFilter(ScimError):
    """The filter is malformed or not supported (400 invalidFilter)."""

    scim_type = "invalidFilter"


class InvalidPath(ScimError):
    """A PATCH path is malformed or names no attribute (400 invalidPath)."""

    scim_type = "invalidPath"


class NoTarget(ScimError):
    """A PATCH path matched nothing where a target is required (400 noTarget)."""

    scim_type = "noTarget"


class Mutability(ScimError):
    """The request tries to change a read-only or immutable attribute (400 mutability)."""

    scim_type = "mutability"


class TooMany(ScimError):
    """The request would return or touch more resources than allowed (400 tooMany)."""

    scim_type = "tooMany"


class InvalidCursor(ScimError):
    """A ``cursor`` that this service did not issue for this query (RFC 9865: 400 invalidCursor)."""

    scim_type = "invalidCursor"


class Uniqueness(ScimError):
    """A unique attribute value is already taken (409 uniqueness)."""

    status = 409
    scim_type = "uniqueness"


class Unauthorized(ScimError):
    """Missing or rejected credentials (401); ``bearer_error`` is RFC 6750 section 3.1's error code,
    set when a token was presented (none when the request had no credentials at all)."""

    status = 401

    def __init__(self, detail: str, *, bearer_error: str | None = None):
        super().__init__(detail)
        self.bearer_error = bearer_error


class NotFound(ScimError):
    """The resource does not exist (404)."""

    status = 404


class PreconditionFailed(ScimError):
    """If-Match did not match the resource's current version (412)."""

    status = 412


class PayloadTooLarge(ScimError):
    """The request body is larger than the service accepts (413)."""

    status = 413


class ServiceUnavailable(ScimError):
    """A dependency is unavailable; the client should retry later (503 with Retry-After)."""

    status = 503

    def __init__(self, detail: str, *, retry_after_seconds: int = 5):
        super().__init__(detail)
        self.retry_after_seconds = retry_after_seconds
